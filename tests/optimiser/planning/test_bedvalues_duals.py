"""Bed values with a move budget: the dual shortcuts against brute-force re-solves.

``method="duals"`` decides most values from Lagrangian/LP-dual bounds and plans built from
shortest paths, and re-solves the rest on a reduced model; ``method="resolve"`` re-solves
every unit on the full model (the definition). They must agree on seeded instances with
limits, and the shortcuts must actually save re-solves (else the comparison proves little).
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import optimiser.core.solve as solve_module
from models.domain import Instance
from optimiser.planning.bedvalues import (
    INFEASIBLE_WITHOUT,
    STOPPED,
    BedValues,
    bed_values,
)

SHAPES = ((16, 6, 1, None), (20, 6, 2, 1), (24, 8, 3, 2), (30, 8, 0, None))  # n, m, limits
CASES = [(seed, shape) for seed in range(6) for shape in SHAPES]


def same(a: BedValues, b: BedValues) -> None:
    x = {v.unit_id: v for v in a.values}
    y = {v.unit_id: v for v in b.values}
    assert x.keys() == y.keys()
    for uid, v in x.items():
        w = y[uid]
        assert v.one_more == pytest.approx(w.one_more, abs=1e-6), uid
        assert (v.one_fewer is None) == (w.one_fewer is None), uid
        if v.one_fewer is not None:
            assert v.one_fewer == pytest.approx(w.one_fewer, abs=1e-6), uid
        assert (v.note, v.used_beds, v.exact) == (w.note, w.used_beds, True), uid


def _builder() -> Any:
    """tests/optimiser/conftest.py (what the ``b`` fixture gives), for a module fixture."""
    here = Path(__file__).resolve().parents[1] / "conftest.py"
    return next(m for m in list(sys.modules.values())
                if getattr(m, "__file__", None) and Path(m.__file__).resolve() == here)


@pytest.fixture(scope="module")
def compared() -> list[tuple[BedValues, BedValues]]:
    """Both methods on every case, once for the module (about 3 s)."""
    return [both(*case) for case in CASES]


def both(seed: int, shape: tuple[int, int, int, int | None]) -> tuple[BedValues, BedValues]:
    n, m, moves, adm = shape
    inst, km = _builder().random_instance(seed, n, m, max_moves=moves, max_adm=adm,
                                          slack_beds=1)
    return (bed_values(inst, distances=km, method="duals"),
            bed_values(inst, distances=km, method="resolve"))


@pytest.mark.parametrize("case", range(len(CASES)))
def test_duals_equal_brute_force_resolves(compared, case):
    fast, brute = compared[case]
    assert fast.objective == brute.objective
    same(fast, brute)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6, 40))
def test_duals_equal_brute_force_on_more_seeds(seed):
    for shape in SHAPES:
        fast, brute = both(seed, shape)
        assert fast.objective == brute.objective
        same(fast, brute)


def test_the_shortcuts_are_used_and_the_comparison_binds(compared):
    """Guard on the comparison above: most cases take the dual path, which re-solves far
    less than brute force; values are positive and some beds cannot be lost."""
    dual = [(f, r) for f, r in compared if f.method == "duals"]
    assert len(dual) >= 0.7 * len(compared)
    assert sum(f.resolved for f, _ in dual) <= 0.35 * sum(r.resolved for _, r in dual)
    assert all(f.resolves <= 2 * f.resolved for f, _ in dual)  # reduced: 1 or 2 solves each
    values = [v for f, _ in compared for v in f.values]
    assert sum(v.one_more > 0 for v in values) >= 25
    assert sum((v.one_fewer or 0) > 0 for v in values) >= 25
    assert any(v.note == INFEASIBLE_WITHOUT for v in values)


def exchange(b) -> tuple[Instance, np.ndarray]:
    """One move allowed. a (in A, 110 km) gains 75 by moving home to HA (10 km, free);
    b (in B, 400 km) would gain 275 by moving to HB (100 km), full with c, who may not move.
    W (2 beds) is far from everyone. Tonight: a → HA, objective 35 + 400 + 5 = 440; the LP
    relaxation is tight (HB is full whatever the budget)."""
    units = [b.unit("A"), b.unit("HA"), b.unit("B"), b.unit("HB"), b.unit("W", 2)]
    pats = [b.inpatient("a", "A"), b.inpatient("b", "B"),
            b.inpatient("c", "HB", movable=False)]
    far = 600.0
    km = np.array([[110., 10., far, far, far],
                   [far, 500., 400., 100., far],
                   [far, far, far, 5., far]])
    return b.make(units, pats, max_moves=1), km


def test_hand_checked_exchange_values_come_from_the_bounds(b):
    inst, km = exchange(b)
    said: list[str] = []
    bv = bed_values(inst, distances=km, progress=said.append)
    assert bv.method == "duals" and bv.objective == pytest.approx(440.0)
    by = {v.unit_id: v for v in bv.values}
    # +1 at HB: b moves in, a stays (the one move goes where it saves most): 110 + 125 + 5
    assert by["HB"].one_more == pytest.approx(200.0)
    # −1 at HA: a stays in A (110 instead of 35); −1 at B: b must go, a stays:
    # b → HA (525) with a in A (110): 640, +200; −1 at HB: c may not move
    assert by["HA"].one_fewer == pytest.approx(75.0)
    assert by["B"].one_fewer == pytest.approx(200.0)
    assert by["HB"].one_fewer is None and by["HB"].note == INFEASIBLE_WITHOUT
    for uid in ("A", "HA", "B", "W"):
        assert by[uid].one_more == 0.0
    assert by["W"].one_fewer == 0.0 and by["A"].one_fewer == 0.0
    resolved = " ".join(m for m in said if m.startswith("re-solved"))
    # The exchange (b in, a's move undone) and the free wards need no re-solve.
    for uid in ("HB +1", "W +1", "A +1", "HA −1"):
        assert uid not in resolved
    brute = bed_values(inst, distances=km, method="resolve")
    same(bv, brute)


def test_a_free_bed_is_worth_nothing_when_the_lp_is_tight(b):
    """The rule binds: W has free beds, the LP is tight: +1 at W is 0, without a re-solve."""
    inst, km = exchange(b)
    bv = bed_values(inst, distances=km, units=["W"])
    assert bv.method == "duals" and bv.resolved == bv.resolves == 0
    assert bv.values[0].used_beds == 0 and bv.values[0].one_more == 0.0


def test_a_free_bed_can_be_worth_something_when_the_lp_is_not_tight(b):
    """The rule does not bind: one move; Q1 → W saves 10 and empties U; Q2 → U would save
    30 but needs U's bed. Tonight U's bed is free, yet a second bed there is worth 20 (Q2
    moves in, Q1 stays). The LP (½ of each move) is not tight: every unit is re-solved."""
    units = [b.unit("U"), b.unit("V"), b.unit("W")]
    pats = [b.inpatient("Q1", "U"), b.inpatient("Q2", "V")]
    km = np.array([[100., 500., 65.], [45., 100., 500.]])
    inst = b.make(units, pats, max_moves=1)
    bv = bed_values(inst, distances=km)
    assert bv.method == "resolve" and any("not tight" in n for n in bv.notes)
    by = {v.unit_id: v for v in bv.values}
    assert by["U"].used_beds == 0 and by["U"].one_more == pytest.approx(20.0)


def test_a_resolve_that_stops_early_is_labelled_with_its_bound(b, monkeypatch):
    """A re-solve that hits its time limit gives a plan (upper bound on the objective)
    and a bound: the value is shown as the best plan's, with the proven limit beside it."""
    inst, km = b.random_instance(3, 16, 6, max_moves=1)
    honest = bed_values(inst, distances=km, method="resolve")
    real = solve_module.solve

    def stopped(instance, *args, **kwargs):
        res = real(instance, *args, **kwargs)
        if instance.units != inst.units and res.objective is not None:
            return replace(res, status="feasible", bound=res.objective - 7.0)
        return res

    monkeypatch.setattr(solve_module, "solve", stopped)
    bv = bed_values(inst, distances=km, method="resolve")
    by = {v.unit_id: v for v in honest.values}
    for v in bv.values:
        assert not v.exact and v.note in (STOPPED, INFEASIBLE_WITHOUT)
        assert v.one_more == pytest.approx(by[v.unit_id].one_more, abs=1e-9)
        assert v.one_more_bound == pytest.approx(v.one_more + 7.0, abs=1e-9)
        if v.one_fewer_bound is not None:
            assert v.one_fewer_bound == pytest.approx(max(0.0, v.one_fewer - 7.0), abs=1e-9)
    assert any(n.startswith("some re-solves stopped") for n in bv.notes)


def test_re_solving_on_dask_gives_the_same_values(b):
    """The same re-solves on a (threaded, in-process) Dask cluster given by address."""
    from dask.distributed import LocalCluster

    inst, km = b.random_instance(4, 24, 8, max_moves=3, max_adm=2, slack_beds=1)
    here = bed_values(inst, distances=km, method="resolve")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        there = bed_values(inst, distances=km, method="resolve",
                           scheduler=cluster.scheduler_address)
    assert [v for v in here.values] == [v for v in there.values]
    assert here.resolves == there.resolves > 0


def test_values_are_finite_numbers_in_json(b):
    inst, km = exchange(b)
    d = bed_values(inst, distances=km).to_json_dict(inst)
    assert d["method"] == "duals" and all(
        u["exact"] and (u["one_fewer"] is None or math.isfinite(u["one_fewer"]))
        for u in d["units"])


@pytest.mark.parametrize("moves", [None, 0, 2])
def test_no_patients_and_a_single_stuck_ward(b, moves):
    """Edge cases: nobody to place (every value 0); one ward holding a patient who may
    not move, with a referral waiting (+1 places it: 1000 − 5; −1 is infeasible)."""
    empty = b.make([b.unit("A", 2), b.unit("B", 0)], [], max_moves=moves, max_adm=1)
    by = {v.unit_id: v for v in bed_values(empty, distances=np.zeros((0, 2))).values}
    assert (by["A"].one_more, by["A"].one_fewer) == (0.0, 0.0)
    assert by["B"].one_fewer is None and by["B"].note == "no open bed to lose"
    stuck = b.make([b.unit("A", 1)], [b.referral("R1"), b.inpatient("P1", "A", movable=False)],
                   max_moves=moves, max_adm=1)
    (v,) = bed_values(stuck, distances=np.array([[5.0], [3.0]])).values
    assert v.one_more == pytest.approx(995.0) and v.note == INFEASIBLE_WITHOUT
