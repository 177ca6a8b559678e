"""Infeasibility and unplaced referrals explained in a bed manager's words."""

from __future__ import annotations

import numpy as np
import pytest

from optimiser.core.costs import build_cost_table
from optimiser.core.diagnosis import check_beds
from optimiser.core.result import INFEASIBLE, OPTIMAL
from optimiser.core.solve import solve


def _check(inst, d):
    return check_beds(inst, build_cost_table(inst, np.asarray(d, float)), inst.policy.limits)


def test_beds_closed_under_immovable_patients(b):
    inst = b.make([b.unit("W12", beds=12, closed=2, sex="male")],
                  [b.inpatient(f"P{i:02d}", "W12", movable=False) for i in range(12)])
    c = _check(inst, np.full((12, 1), 5.0))
    assert not c.feasible
    assert c.messages == ("unit W12 (medium secure, male) has 10 open beds but 12 inpatients "
                          "who may not move (12 not movable)",)


def test_movable_but_nowhere_compatible(b):
    # Two movable patients in A (1 bed); B is low secure (incompatible), C unreachable.
    inst = b.make([b.unit("A", beds=1), b.unit("B", beds=5, level="low"), b.unit("C", beds=5)],
                  [b.inpatient("P1", "A"), b.inpatient("P2", "A")])
    c = _check(inst, [[1.0, 1.0, np.inf], [1.0, 1.0, np.inf]])
    assert not c.feasible
    assert c.messages == ("unit A (medium secure, mixed) has 1 open bed but 2 inpatients who "
                          "may not move (2 with no other compatible unit within reach)",)


def test_chain_alternative_full(b):
    # A is over by one; its patients could go to B, but B is full of immovable patients.
    inst = b.make([b.unit("A", beds=1, name="Ash"), b.unit("B", beds=1)],
                  [b.inpatient("P1", "A"), b.inpatient("P2", "A"),
                   b.inpatient("P3", "B", movable=False)])
    c = _check(inst, np.full((3, 2), 5.0))
    assert not c.feasible
    assert c.messages == ("unit A (Ash: medium secure, mixed) has 1 open bed but 2 inpatients: "
                          "1 of them cannot move because every compatible unit they could go "
                          "to is full",)


def test_room_elsewhere_is_feasible_with_min_moves(b):
    inst = b.make([b.unit("A", beds=1), b.unit("B", beds=2)],
                  [b.inpatient("P1", "A"), b.inpatient("P2", "A"),
                   b.inpatient("P3", "B", movable=False)])
    c = _check(inst, np.full((3, 2), 5.0))
    assert c.feasible and c.min_moves == 1 and c.messages == ()


def test_exact_check_when_the_cheapest_moves_do_not_fit(b, monkeypatch):
    # P1/P2's cheapest move is into B (full, immovable patient); C is dearer but free.
    import optimiser.core.diagnosis as diagnosis

    monkeypatch.setattr(diagnosis, "FEW_MOVES", 1)
    inst = b.make([b.unit("A", beds=1), b.unit("B", beds=1), b.unit("C", beds=1)],
                  [b.inpatient("P1", "A"), b.inpatient("P2", "A"),
                   b.inpatient("P3", "B", movable=False)])
    c = _check(inst, [[5.0, 1.0, 90.0], [5.0, 1.0, 80.0], [5.0, 1.0, 9.0]])
    assert c.feasible and c.min_moves == 1
    r = solve(inst, distances=np.array([[5.0, 1.0, 90.0], [5.0, 1.0, 80.0], [5.0, 1.0, 9.0]]))
    assert r.objective == pytest.approx(5 + 80 + 25 + 1)


def test_max_moves_too_small_is_infeasible(b):
    units = [b.unit("A", beds=1), b.unit("B", beds=5)]
    pats = [b.inpatient(f"P{i}", "A") for i in range(3)]
    d = np.full((3, 2), 5.0)
    assert _check(b.make(units, pats, max_moves=2), d).feasible  # binding, still fits
    c = _check(b.make(units, pats, max_moves=1), d)
    assert not c.feasible
    assert c.messages == ("at least 2 inpatients must move to fit everyone into open beds, "
                          "but max_moves is 1 (unit A (medium secure, mixed) has 1 open bed "
                          "but 3 inpatients)",)


def test_admission_limit_can_make_it_infeasible(b):
    units = [b.unit("A", beds=1), b.unit("B", beds=5)]
    pats = [b.inpatient(f"P{i}", "A") for i in range(3)]
    d = np.full((3, 2), 5.0)
    assert _check(b.make(units, pats, max_adm=2), d).feasible
    c = _check(b.make(units, pats, max_adm=1), d)
    assert not c.feasible
    assert "max_admissions_per_unit = 1" in c.messages[0]
    assert c.messages[0].startswith("unit A ")


def test_solve_reports_infeasible_without_plan(b):
    inst = b.make([b.unit("A", beds=1)], [b.inpatient("P1", "A", movable=False),
                                          b.inpatient("P2", "A", movable=False)])
    r = solve(inst, distances=np.full((2, 1), 1.0), method="mip")
    assert r.status == INFEASIBLE and r.assignments == () and "unit A" in r.diagnosis[0]


# --- why referrals are left unplaced ----------------------------------------------------

def _reasons(inst, d):
    r = solve(inst, distances=np.asarray(d, float))
    assert r.status == OPTIMAL
    return r.diagnosis


def test_unplaced_no_compatible_unit(b):
    inst = b.make([b.unit("A")], [b.referral("R1", level="high")])
    assert _reasons(inst, [[5.0]]) == ("referral R1 left unplaced: no compatible unit at all",)


def test_unplaced_every_compatible_unit_unreachable(b):
    inst = b.make([b.unit("A"), b.unit("B", level="low")], [b.referral("R1")])
    assert _reasons(inst, [[np.inf, 3.0]]) == (
        "referral R1 left unplaced: every compatible unit is unreachable from home",)


def test_unplaced_all_full(b):
    inst = b.make([b.unit("A", beds=1), b.unit("B", beds=1)],
                  [b.inpatient("P1", "A", movable=False), b.inpatient("P2", "B", movable=False),
                   b.referral("R1")])
    assert _reasons(inst, np.full((3, 2), 5.0)) == (
        "referral R1 left unplaced: all 2 compatible units are full",)


def test_unplaced_limited_by_admissions(b):
    inst = b.make([b.unit("A", beds=5)], [b.referral("R1", priority=2), b.referral("R2")],
                  max_adm=1)
    assert _reasons(inst, np.full((2, 1), 5.0)) == (
        "referral R2 left unplaced: the only compatible unit is full or has already taken "
        "max_admissions_per_unit = 1 new patients",)


def test_unplaced_cheaper_than_placement(b):
    inst = b.make([b.unit("A", beds=5)], [b.referral("R1")])
    assert _reasons(inst, [[1200.0]]) == (
        "referral R1 left unplaced: cheaper to leave unplaced (1000) than the cheapest free "
        "compatible bed (unit A, 1200.0 km, cost 1200.0)",)


def test_no_diagnosis_when_everyone_placed(b):
    inst = b.make([b.unit("A", beds=5)], [b.referral("R1")])
    assert _reasons(inst, [[12.0]]) == ()
