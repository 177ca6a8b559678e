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


# Each binding cause as a pair: the unit that is full and the unit at its nightly limit are
# told apart, per unit (issue 12: R0140 was told "full or has already taken ..." while
# suggest showed that unit with a free bed).

def test_unplaced_capped_unit_with_free_beds_says_so(b):
    inst = b.make([b.unit("A", beds=5)], [b.referral("R1", priority=2), b.referral("R2")],
                  max_adm=1)
    assert _reasons(inst, np.full((2, 1), 5.0)) == (
        "referral R2 left unplaced: the only compatible unit, unit A (medium secure, mixed), "
        "has 4 free beds but has already taken max_admissions_per_unit = 1 new patient "
        "tonight",)


def test_unplaced_not_when_the_limit_leaves_room(b):
    inst = b.make([b.unit("A", beds=5)], [b.referral("R1", priority=2), b.referral("R2")],
                  max_adm=2)
    assert _reasons(inst, np.full((2, 1), 5.0)) == ()


def test_unplaced_full_unit_says_full_not_the_limit(b):
    """A took one new patient (its limit) and that filled it: full binds, so it says full,
    and that the bed went tonight (suggest, reading the census, still offers it)."""
    inst = b.make([b.unit("A", beds=2)], [b.inpatient("P1", "A", movable=False),
                                          b.referral("R1", priority=2), b.referral("R2")],
                  max_adm=1)
    assert _reasons(inst, np.full((3, 1), 5.0)) == (
        "referral R2 left unplaced: the only compatible unit, unit A (medium secure, mixed), "
        "is full: 2 of 2 open beds taken, 1 of them by tonight's admissions and moves",)


def test_unplaced_full_already_in_the_census(b):
    inst = b.make([b.unit("A", beds=1)], [b.inpatient("P1", "A", movable=False),
                                          b.referral("R1")], max_adm=1)
    assert _reasons(inst, np.full((2, 1), 5.0)) == (
        "referral R1 left unplaced: the only compatible unit, unit A (medium secure, mixed), "
        "is full: 1 of 1 open bed taken",)


def test_unplaced_names_each_of_a_few_units_with_its_cause(b):
    """A (5 km) full with an immovable patient; B (9 km) has room but took R1 (limit 1)."""
    inst = b.make([b.unit("B", beds=3, name="Birch"), b.unit("A", beds=1, name="Ash")],
                  [b.inpatient("P1", "A", movable=False), b.referral("R1", priority=2),
                   b.referral("R2")], max_adm=1)
    d = [[9.0, 5.0], [9.0, 5.0], [9.0, 5.0]]
    assert _reasons(inst, d) == (
        "referral R2 left unplaced: none of the 2 compatible units can take them tonight: "
        "unit A (Ash: medium secure, mixed) is full: 1 of 1 open bed taken; unit B (Birch: "
        "medium secure, mixed) has 2 free beds but has already taken "
        "max_admissions_per_unit = 1 new patient tonight",)


def _many(b, full: int, capped: int):
    """``full`` units of 1 bed with an immovable patient, ``capped`` units of 3 beds that
    each take one of ``capped`` priority-2 referrals (limit 1); R0 waits. Unit k at k+1 km."""
    units = [b.unit(f"F{k}", beds=1) for k in range(full)] + \
        [b.unit(f"C{k}", beds=3) for k in range(capped)]
    pats = [b.inpatient(f"P{k}", f"F{k}", movable=False) for k in range(full)] + \
        [b.referral(f"R{k + 1}", priority=2) for k in range(capped)] + [b.referral("R0")]
    d = np.tile(np.arange(1.0, full + capped + 1), (len(pats), 1))
    return b.make(units, pats, max_adm=1), d


def test_unplaced_counts_many_units_and_names_the_nearest_capped(b):
    inst, d = _many(b, 3, 4)
    assert _reasons(inst, d) == (
        "referral R0 left unplaced: none of the 7 compatible units can take them tonight: "
        "3 are full, and 4 have free beds but have already taken max_admissions_per_unit = 1 "
        "new patient tonight: unit C0 (medium secure, mixed) 4.0 km with 2 free beds, unit C1 "
        "(medium secure, mixed) 5.0 km with 2 free beds, unit C2 (medium secure, mixed) "
        "6.0 km with 2 free beds and 1 more",)


def test_unplaced_many_units_all_full_need_no_names(b):
    inst, d = _many(b, 4, 0)
    assert _reasons(inst, d) == ("referral R0 left unplaced: all 4 compatible units are full",)


def test_unplaced_many_units_filled_tonight_say_so(b):
    """Four empty 1-bed units taken by four priority-2 referrals tonight: full, but only
    after tonight's admissions (the census, which suggest reads, had them free)."""
    units = [b.unit(f"U{k}") for k in range(4)]
    pats = [b.referral(f"R{k + 1}", priority=2) for k in range(4)] + [b.referral("R0")]
    assert _reasons(b.make(units, pats), np.full((5, 4), 5.0)) == (
        "referral R0 left unplaced: all 4 compatible units are full (4 of them only after "
        "tonight's admissions and moves)",)


def test_unplaced_many_units_all_capped(b):
    inst, d = _many(b, 0, 4)
    (reason,) = _reasons(inst, d)
    assert reason.startswith(
        "referral R0 left unplaced: all 4 compatible units have free beds but have already "
        "taken max_admissions_per_unit = 1 new patient tonight: unit C0 ")


def test_unplaced_limit_zero_is_worded_as_no_new_patient(b):
    inst = b.make([b.unit("A", beds=2)], [b.referral("R1")], max_adm=0)
    assert _reasons(inst, [[5.0]]) == (
        "referral R1 left unplaced: the only compatible unit, unit A (medium secure, mixed), "
        "has 2 free beds but takes no new patient tonight (max_admissions_per_unit = 0)",)


def test_unplaced_cheaper_than_placement(b):
    inst = b.make([b.unit("A", beds=5)], [b.referral("R1")])
    assert _reasons(inst, [[1200.0]]) == (
        "referral R1 left unplaced: cheaper to leave unplaced (1000) than the cheapest free "
        "compatible bed (unit A, 1200.0 km, cost 1200.0)",)


def test_no_diagnosis_when_everyone_placed(b):
    inst = b.make([b.unit("A", beds=5)], [b.referral("R1")])
    assert _reasons(inst, [[12.0]]) == ()


def test_unplaced_diagnosis_and_suggest_tell_one_story(b):
    """Issue 12's R0140: suggest (the census) offers A with a free bed; the plan filled A's
    admission limit, and the diagnosis says exactly that, not "full"."""
    from optimiser.planning.suggest import suggest

    inst = b.make([b.unit("A", beds=5)], [b.referral("R1", priority=2), b.referral("R2")],
                  max_adm=1)
    d = np.full((2, 1), 5.0)
    offered = suggest(inst, "R2", distances=d).options
    assert [(o.unit_id, o.free_beds) for o in offered] == [("A", 5)]
    (reason,) = _reasons(inst, d)
    assert "has 4 free beds but has already taken max_admissions_per_unit" in reason
    assert "full" not in reason
