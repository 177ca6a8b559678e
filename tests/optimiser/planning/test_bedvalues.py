"""Bed values: exact shortest-path values match re-solving with beds ±1."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models.domain import Instance, Limits, Patient, Policy, Unit, Weights
from optimiser.core.solve import solve
from optimiser.planning.bedvalues import (
    INFEASIBLE_WITHOUT,
    NO_OPEN_BEDS,
    bed_values,
    with_open_beds,
)


def unit(uid: str, beds: int, *, closed: int = 0, level: str = "medium", net: str = "N1",
         sex: str = "mixed") -> Unit:
    return Unit(uid, net, "adult_secure", level, beds=beds, beds_closed=closed, lat=52.0,
                lon=-1.0, sex=sex)


def person(pid: str, cur: str | None = None, *, movable: bool = True, level: str = "medium",
           sex: str = "male", net: str = "N1", priority: int = 1) -> Patient:
    return Patient(pid, "inpatient" if cur else "referral", "adult_secure", level, sex, 30,
                   52.0, -1.0, net, current_unit_id=cur, movable=movable, priority=priority)


def policy(**limits: int | None) -> Policy:
    return Policy(distance="geodesic", limits=Limits(**limits))


def hand_instance() -> tuple[Instance, np.ndarray]:
    """A (1 bed, P1 unmovable), B (1 bed, empty), C (0 open beds: 1 closed).

    R1: A 10 km, B 100 km. R2: A 20, B 30. Optimum: R2 → B (30), R1 unplaced (1000)?
    No: R1 → B (100) + R2 unplaced (1000) vs R2 → B (30) + R1 unplaced (1000): R2 → B.
    """
    units = (unit("A", 1), unit("B", 1), unit("C", 1, closed=1))
    pats = (person("P1", "A", movable=False), person("R1"), person("R2"))
    km = np.array([[5., 50., 60.], [10., 100., 1.], [20., 30., 2.]])
    return Instance(units, pats, policy=policy()), km


def test_hand_checked_values():
    inst, km = hand_instance()
    bv = bed_values(inst, distances=km)
    assert bv.method == "flow" and bv.status == "optimal"
    assert bv.objective == pytest.approx(5 + 30 + 1000)
    by = {v.unit_id: v for v in bv.values}
    # +1 at A: R1 admitted at 10 km instead of unplaced: saves 990
    assert by["A"].one_more == pytest.approx(990.0)
    # +1 at B: R1 admitted at 100 km: saves 900
    assert by["B"].one_more == pytest.approx(900.0)
    # +1 at C (reopen the closed bed): R1 at 1 km: saves 999
    assert by["C"].one_more == pytest.approx(999.0)
    # −1 at A: P1 may not move: infeasible. −1 at B: R2 unplaced: 1000 − 30 = 970.
    assert by["A"].one_fewer is None and by["A"].note == INFEASIBLE_WITHOUT
    assert by["B"].one_fewer == pytest.approx(970.0)
    assert by["C"].one_fewer is None and by["C"].note == NO_OPEN_BEDS
    assert [v.unit_id for v in bv.values] == ["C", "A", "B"]
    assert (by["A"].open_beds, by["A"].used_beds, by["C"].open_beds) == (1, 1, 0)


def test_hand_checked_json():
    inst, km = hand_instance()
    d = bed_values(inst, distances=km).to_json_dict(inst, top=1)
    assert d["units"] == [{"rank": 1, "unit_id": "C", "name": "", "network_id": "N1",
                           "service": "adult_secure", "level": "medium", "open_beds": 0,
                           "used_beds": 0, "one_more": 999.0, "one_fewer": None,
                           "exact": True, "one_more_bound": None, "one_fewer_bound": None,
                           "note": NO_OPEN_BEDS}]
    assert d["objective"] == pytest.approx(1035.0) and d["method"] == "flow"


def test_unused_beds_are_worth_nothing_in_a_flow():
    inst, km = hand_instance()
    inst = replace(inst, units=(unit("A", 1), unit("B", 3), unit("C", 1, closed=1)))
    by = {v.unit_id: v for v in bed_values(inst, distances=km).values}
    assert by["B"].one_more == 0.0 and by["B"].one_fewer == 0.0  # 2 beds used of 3


def test_with_open_beds_reopens_closed_beds_first():
    u = unit("X", 4, closed=1)
    assert (with_open_beds(u, 1).beds, with_open_beds(u, 1).beds_closed) == (4, 0)
    assert (with_open_beds(u, 2).beds, with_open_beds(u, 2).beds_closed) == (5, 0)
    assert (with_open_beds(u, -1).beds, with_open_beds(u, -1).beds_closed) == (4, 2)


def test_max_moves_makes_an_unused_bed_valuable_and_is_resolved():
    """K = 1 move. Q1 in U (1 bed) gains 10 by moving to W; Q2 in V gains 30 by moving to U,
    which needs U's bed. With one move the best is Q1 → W, leaving U's bed empty; with a
    second bed in U, Q2 → U alone is better: the unused bed is worth 30 − 10 = 20."""
    units = (unit("U", 1), unit("V", 1), unit("W", 1))
    pats = (person("Q1", "U"), person("Q2", "V"))
    km = np.array([[100., 500., 65.], [45., 100., 500.]])  # moves: −10 (Q1→W), −30 (Q2→U)
    inst = Instance(units, pats, policy=policy(max_moves=1))
    base = solve(inst, distances=km)
    assert {a.patient_id: a.unit_id for a in base.assignments} == {"Q1": "W", "Q2": "V"}
    bv = bed_values(inst, distances=km)
    assert bv.method == "resolve"
    by = {v.unit_id: v for v in bv.values}
    assert by["U"].used_beds == 0 and by["U"].one_more == pytest.approx(20.0)
    with pytest.raises(ValueError, match="max_moves"):
        bed_values(inst, distances=km, method="flow")


def random_instance(seed: int, *, max_adm: int | None = None) -> tuple[Instance, np.ndarray]:
    rng = np.random.default_rng(seed)
    levels = ("medium", "low")
    units = [unit(f"U{j}", int(rng.integers(1, 4)), level=levels[j % 2], net=f"N{j % 2}",
                  sex=("mixed", "male", "female")[int(rng.integers(0, 3))]) for j in range(6)]
    pats = []
    occ = {u.unit_id: 0 for u in units}
    for i in range(14):
        lvl, sex = levels[int(rng.integers(0, 2))], ("male", "female")[int(rng.integers(0, 2))]
        net = f"N{int(rng.integers(0, 2))}"
        if i < 8:
            cur = units[int(rng.integers(0, 6))].unit_id
            occ[cur] += 1
            pats.append(person(f"P{i}", cur, movable=bool(rng.random() < 0.8), level=lvl,
                               sex=sex, net=net))
        else:
            pats.append(person(f"R{i}", level=lvl, sex=sex, net=net,
                               priority=int(rng.integers(1, 3))))
    units = [replace(u, beds=max(u.beds, occ[u.unit_id]) + int(rng.integers(0, 2)))
             for u in units]
    units[0] = replace(units[0], beds_closed=min(units[0].beds, 1) if occ["U0"] < units[0].beds
                       else 0)
    km = rng.uniform(1, 400, size=(len(pats), len(units))).round(1)
    km[rng.random(km.shape) < 0.1] = np.inf
    for i, p in enumerate(pats):
        if p.current_unit_id:
            km[i, int(p.current_unit_id[1:])] = 50.0
    inst = Instance(tuple(units), tuple(pats),
                    policy=Policy(distance="geodesic", weights=Weights(unplaced=300.0),
                                  limits=Limits(max_admissions_per_unit=max_adm)))
    return inst, km


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("max_adm", [None, 1])
def test_flow_values_match_resolving(seed, max_adm):
    inst, km = random_instance(seed, max_adm=max_adm)
    flow = bed_values(inst, distances=km, method="flow")
    again = bed_values(inst, distances=km, method="resolve")
    assert flow.method == "flow" and again.method == "resolve"
    a = {v.unit_id: v for v in flow.values}
    b = {v.unit_id: v for v in again.values}
    for uid in a:
        assert a[uid].one_more == pytest.approx(b[uid].one_more, abs=1e-6), uid
        assert a[uid].note == b[uid].note, uid
        if a[uid].one_fewer is None:
            assert b[uid].one_fewer is None
        else:
            assert a[uid].one_fewer == pytest.approx(b[uid].one_fewer, abs=1e-6), uid
    assert [v.unit_id for v in flow.values] == [v.unit_id for v in again.values]


def test_random_instances_have_binding_values():
    """Guard on the comparison above: it is not all zeros."""
    values = [v.one_more for s in range(8) for v in bed_values(
        *random_instance(s)[:1], distances=random_instance(s)[1]).values]
    assert sum(v > 0 for v in values) >= 8
    fewer = [v.one_fewer for s in range(8) for v in bed_values(
        random_instance(s)[0], distances=random_instance(s)[1]).values]
    assert sum(f is not None and f > 0 for f in fewer) >= 8


def test_infeasible_instance_has_no_values():
    inst, km = hand_instance()
    inst = replace(inst, units=(unit("A", 1, closed=1), *inst.units[1:]))
    bv = bed_values(inst, distances=km)
    assert bv.status == "infeasible" and bv.values == () and bv.objective is None
