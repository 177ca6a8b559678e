"""Bed values by re-solving: pinned to independent solves of the changed instance.

``bed_values(method="resolve")`` must give, unit by unit, exactly (==, not approx) what
:func:`optimiser.core.solve.solve` gives on the instance with that unit's open beds +1 / −1
(the definition); and it may build the cost table only a fixed number of times, whatever
the number of units (the table is shared, only the capacities change).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

import optimiser.core.solve as solve_module
import optimiser.planning.bedvalues as bedvalues
from models.domain import Instance, Limits
from models.generate import generate_instance
from optimiser.core.result import INFEASIBLE
from optimiser.core.solve import solve
from optimiser.geography.distances import distance_matrix
from optimiser.planning.bedvalues import (
    INFEASIBLE_WITHOUT,
    NO_OPEN_BEDS,
    bed_values,
    with_open_beds,
)


def generated(max_moves: int | None, max_adm: int | None) -> tuple[Instance, np.ndarray]:
    inst = generate_instance(1, 120, 8, distance="geodesic", n_referrals=10, occupancy=0.97)
    limits = Limits(max_moves=max_moves, max_admissions_per_unit=max_adm)
    inst = replace(inst, policy=replace(inst.policy, limits=limits))
    return inst, distance_matrix(inst, "geodesic")


def objective_with(inst: Instance, km: np.ndarray, j: int, delta: int) -> float:
    units = list(inst.units)
    units[j] = with_open_beds(units[j], delta)
    r = solve(replace(inst, units=tuple(units)), distances=km)
    if r.status == INFEASIBLE:
        return math.inf
    assert r.objective is not None
    return r.objective


@pytest.mark.parametrize("limits", [(3, 2), (None, 1), (None, None)])
def test_resolved_values_equal_independent_solves(limits):
    inst, km = generated(*limits)
    bv = bed_values(inst, distances=km, method="resolve")
    base = solve(inst, distances=km)
    assert bv.method == "resolve" and bv.objective == base.objective
    assert base.objective is not None
    used = {uid: 0 for uid in inst.unit_index()}
    for a in base.assignments:
        if a.unit_id is not None and a.action != "unplaced":
            used[a.unit_id] += 1
    assert len(bv.values) == len(inst.units)
    for v in bv.values:
        j = inst.unit_index()[v.unit_id]
        u = inst.units[j]
        assert v.used_beds == used[v.unit_id]
        assert v.one_more == max(0.0, base.objective - objective_with(inst, km, j, +1))
        if u.open_beds <= 0:
            assert v.one_fewer is None and v.note == NO_OPEN_BEDS
        elif used[v.unit_id] < u.open_beds:
            assert v.one_fewer == 0.0  # a spare bed: the plan still fits
        else:
            after = objective_with(inst, km, j, -1)
            if math.isinf(after):
                assert v.one_fewer is None and v.note == INFEASIBLE_WITHOUT
            else:
                assert v.one_fewer == max(0.0, after - base.objective)


def test_the_generated_case_binds():
    """Guard on the comparison above: some values are positive, some units are full."""
    inst, km = generated(3, 2)
    bv = bed_values(inst, distances=km, method="resolve")
    # (counts, not exact numbers: the generator's calibration is tuned from time to time)
    assert 3 <= sum(v.one_more > 0 for v in bv.values) < len(bv.values)  # some +1 worth 0
    assert sum(v.one_fewer is not None and v.one_fewer > 0 for v in bv.values) >= 2


def test_restricting_units_gives_the_same_values():
    inst, km = generated(3, 2)
    full = {v.unit_id: v for v in bed_values(inst, distances=km, method="resolve").values}
    some = [inst.units[1].unit_id, inst.units[5].unit_id]
    part = bed_values(inst, distances=km, method="resolve", units=some).values
    assert sorted(v.unit_id for v in part) == sorted(some)
    assert all(v == full[v.unit_id] for v in part)


def test_the_cost_table_is_built_a_fixed_number_of_times(monkeypatch):
    """Twice (the base solve, the shared table), not once per re-solve."""
    calls: list[int] = []

    def counting(build):
        def wrapped(*args, **kwargs):
            calls.append(1)
            return build(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(solve_module, "build_cost_table", counting(solve_module.build_cost_table))
    monkeypatch.setattr(bedvalues, "build_cost_table", counting(bedvalues.build_cost_table))
    inst, km = generated(3, 2)
    bv = bed_values(inst, distances=km, method="resolve")
    assert len(bv.values) == 8
    assert len(calls) <= 2


@pytest.mark.parametrize("solve_method", ["fast", "flow", "mip"])
@pytest.mark.parametrize("seed", [2, 3, 5])
def test_every_solve_method_gives_the_independent_values(b, solve_method, seed):
    inst, km = b.random_instance(seed, 14, 5, max_moves=None if solve_method == "flow" else 2,
                                 max_adm=1)
    bv = bed_values(inst, distances=km, method="resolve", solve_method=solve_method)
    base = solve(inst, distances=km, method=solve_method)
    assert base.objective is not None and bv.objective == base.objective

    def changed(j: int, delta: int) -> float | None:
        units = list(inst.units)
        units[j] = with_open_beds(units[j], delta)
        r = solve(replace(inst, units=tuple(units)), distances=km, method=solve_method)
        return r.objective

    for v in bv.values:
        j = inst.unit_index()[v.unit_id]
        more = changed(j, +1)
        assert more is not None
        assert v.one_more == max(0.0, base.objective - more), v.unit_id
        if v.open_beds > 0 and v.used_beds >= v.open_beds:
            fewer = changed(j, -1)
            assert v.one_fewer == (None if fewer is None else
                                   max(0.0, fewer - base.objective)), v.unit_id
    assert any(v.one_more > 0 for v in bv.values)  # the comparison binds somewhere
    assert any(v.one_fewer for v in bv.values)


def test_a_bed_that_cannot_be_lost_is_infeasible_when_resolved(b):
    """A (1 bed) holds P1, who may not move; B (1 bed) is free; C's only bed is closed.
    R1: A 10 km, B 100, C 1; R2: A 20, B 30, C 2. Tonight R2 → B (30), R1 unplaced (1000)."""
    inst = b.make([b.unit("A"), b.unit("B"), b.unit("C", closed=1)],
                  [b.inpatient("P1", "A", movable=False), b.referral("R1"), b.referral("R2")])
    km = np.array([[5., 50., 60.], [10., 100., 1.], [20., 30., 2.]])
    bv = bed_values(inst, distances=km, method="resolve")
    assert bv.objective == pytest.approx(5 + 30 + 1000)
    by = {v.unit_id: v for v in bv.values}
    assert by["A"].one_fewer is None and by["A"].note == INFEASIBLE_WITHOUT
    assert by["B"].one_fewer == pytest.approx(970.0)  # R2 unplaced instead of at 30 km
    assert by["C"].note == NO_OPEN_BEDS and by["C"].one_more == pytest.approx(999.0)
