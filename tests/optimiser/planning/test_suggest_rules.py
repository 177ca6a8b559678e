"""suggest(): each rule as a pair of hand-checked cases, one where it binds and one where it
does not — contract 1.2's ward rules in the reasons, the tie rule at one site, tonight's
admission limit and the move-budget note."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from models.domain import Instance, Limits, Patient, Policy, Unit
from optimiser.planning.suggest import suggest

TONIGHT = date(2026, 12, 7)


def unit(uid: str, *, beds: int = 2, spec: frozenset[str] = frozenset(), only: bool = False,
         referrals: bool = True, function: str = "", net: str = "N1") -> Unit:
    return Unit(unit_id=uid, network_id=net, service="adult_secure", level="medium",
                beds=beds, lat=53.0, lon=-1.5, specialisms=spec, specialist_only=only,
                accepts_referrals=referrals, function=function)


def patient(pid: str, *, status: str = "referral", cur: str | None = None,
            needs: frozenset[str] = frozenset(), admitted: date | None = None,
            movable: bool = True) -> Patient:
    return Patient(patient_id=pid, status=status, service="adult_secure", level="medium",
                   sex="male", age=30, home_lat=53.0, home_lon=-1.5, home_network_id="N1",
                   needs=needs, current_unit_id=cur, admitted_on=admitted, movable=movable)


def make(units: list[Unit], patients: list[Patient], km: list[list[float]], *,
         max_adm: int | None = None, max_moves: int | None = None
         ) -> tuple[Instance, np.ndarray]:
    policy = Policy(distance="geodesic",
                    limits=Limits(max_moves=max_moves, max_admissions_per_unit=max_adm))
    return Instance(tuple(units), tuple(patients), policy=policy), np.array(km, dtype=float)


def ids(s) -> list[str]:
    return [o.unit_id for o in s.options]


def reasons(s, uid: str) -> tuple[str, ...]:
    (r,) = [r for r in s.rejected if r.unit_id == uid]
    return r.reasons


# --------------------------------------------------------------------------- ward rules

LD = frozenset({"ld"})


def specialist_case(needs: frozenset[str]) -> tuple[Instance, np.ndarray]:
    """LDW: a learning-disability ward (specialist only) 5 km away; GEN: general ward with
    an LD pathway too, 20 km away."""
    return make([unit("LDW", spec=LD, only=True), unit("GEN", spec=LD)],
                [patient("R", needs=needs)], [[5.0, 20.0]])


def test_specialist_only_ward_is_refused_to_a_patient_without_its_need():
    inst, km = specialist_case(frozenset())
    s = suggest(inst, "R", distances=km)
    assert ids(s) == ["GEN"]
    assert reasons(s, "LDW") == (
        "learning-disability ward; the patient has no learning-disability need",)


def test_specialist_only_ward_is_offered_to_a_patient_with_its_need():
    inst, km = specialist_case(LD)
    s = suggest(inst, "R", distances=km)
    assert [(o.unit_id, o.cost) for o in s.options] == [("LDW", 5.0), ("GEN", 20.0)]
    assert s.rejected == ()


def transfers_case(status: str) -> tuple[Instance, np.ndarray]:
    """REHAB (transfers only, 5 km) and ADM (20 km); Q is an inpatient of a third ward."""
    units = [unit("REHAB", referrals=False, function="rehabilitation ward"), unit("ADM"),
             unit("OLD", beds=1)]
    who = patient("R") if status == "referral" else patient("R", status="inpatient",
                                                                 cur="OLD")
    return make(units, [who], [[5.0, 20.0, 30.0]])


def test_transfers_only_ward_is_refused_to_a_referral():
    inst, km = transfers_case("referral")
    s = suggest(inst, "R", distances=km)
    assert ids(s) == ["ADM", "OLD"]
    assert reasons(s, "REHAB") == ("rehabilitation ward: takes transfers, not referrals",)


def test_transfers_only_ward_is_offered_to_an_inpatient():
    inst, km = transfers_case("inpatient")
    s = suggest(inst, "R", distances=km)
    assert ids(s) == ["REHAB", "ADM"] and s.rejected == ()


# --------------------------------------------------------------------------- tie rule


def site_case(needs: frozenset[str], km: tuple[float, float, float] = (10.0, 10.0, 10.0)
              ) -> tuple[Instance, np.ndarray]:
    """One site, three wards at the same distance: A (LD pathway, 1 of 2 beds free),
    B (LD pathway, 3 of 3 free), S (learning-disability ward, specialist only, 1 of 2
    free). Listed in an order that is neither the answer nor unit_id order."""
    units = [unit("S", spec=LD, only=True), unit("B", spec=LD, beds=3), unit("A", spec=LD)]
    pats = [patient("PA", status="inpatient", cur="A", needs=LD),
            patient("PS", status="inpatient", cur="S", needs=LD), patient("R", needs=needs)]
    return make(units, pats, [[50.0] * 3, [50.0] * 3, list(km)])


def test_tie_goes_to_the_specialist_ward_of_the_need_then_to_more_free_beds():
    inst, km = site_case(LD)
    s = suggest(inst, "R", distances=km)
    assert [(o.unit_id, o.cost, o.free_beds) for o in s.options] == [
        ("S", 10.0, 1), ("B", 10.0, 3), ("A", 10.0, 1)]


def test_tie_rule_never_overrides_cost():
    # S 0.5 km further: the general wards come first; A 0.1 km nearer than B: A first.
    inst, km = site_case(LD, (10.5, 10.0, 9.9))  # S, B, A
    s = suggest(inst, "R", distances=km)
    assert ids(s) == ["A", "B", "S"]


def test_without_the_need_the_specialist_ward_is_no_option_and_free_beds_decide():
    inst, km = site_case(frozenset())
    s = suggest(inst, "R", distances=km)
    assert ids(s) == ["B", "A"]
    assert s.rejected == ()  # S is not nearer than B: not listed


def test_last_resort_is_unit_id_whatever_the_input_order():
    units = [unit("W2"), unit("W1"), unit("W3")]
    inst, km = make(units, [patient("R")], [[7.0, 7.0, 7.0]])
    assert ids(suggest(inst, "R", distances=km)) == ["W1", "W2", "W3"]
    rev = replace(inst, units=tuple(reversed(inst.units)))
    assert ids(suggest(rev, "R", distances=km[:, ::-1].copy())) == ["W1", "W2", "W3"]


def chain_tie_case(free_km: float) -> tuple[Instance, np.ndarray]:
    """X (1 bed, Q in it) 10 km; Q could move to Z (Q: X 50, Z 60 -> +35 with w.move);
    F free at ``free_km``; Z 100 km for R."""
    units = [unit("X", beds=1), unit("F", beds=1), unit("Z", beds=1)]
    pats = [patient("Q", status="inpatient", cur="X"), patient("R")]
    return make(units, pats, [[50.0, 200.0, 60.0], [10.0, free_km, 100.0]])


def test_equal_cost_fewer_moves_first():
    inst, km = chain_tie_case(45.0)  # F 45 = X 10 + 35
    s = suggest(inst, "R", allow_moves=1, distances=km)
    assert [(o.unit_id, o.cost, len(o.moves)) for o in s.options] == [
        ("F", 45.0, 0), ("X", 45.0, 1), ("Z", 100.0, 0)]


def test_cheaper_chain_still_first():
    inst, km = chain_tie_case(45.5)
    s = suggest(inst, "R", allow_moves=1, distances=km)
    assert [(o.unit_id, o.cost) for o in s.options][:2] == [("X", 45.0), ("F", 45.5)]


# --------------------------------------------------------------------------- tonight's limit


def limit_case(max_adm: int | None, admitted: date = TONIGHT) -> tuple[Instance, np.ndarray]:
    """NEAR (4 beds) took I1, I2 tonight and has 2 free beds; FAR (2 beds) is empty."""
    pats = [patient("I1", status="inpatient", cur="NEAR", admitted=admitted),
            patient("I2", status="inpatient", cur="NEAR", admitted=admitted),
            patient("R")]
    return make([unit("NEAR", beds=4), unit("FAR")], pats,
                [[1.0, 1.0], [1.0, 1.0], [5.0, 30.0]], max_adm=max_adm)


def test_a_ward_at_tonights_admission_limit_is_not_offered_and_says_why():
    inst, km = limit_case(2)
    s = suggest(inst, "R", distances=km, tonight=TONIGHT)
    assert ids(s) == ["FAR"]
    assert reasons(s, "NEAR") == ("already took 2 new patients tonight "
                                  "(max_admissions_per_unit = 2)",)


@pytest.mark.parametrize(("max_adm", "admitted", "tonight"), [
    (3, TONIGHT, TONIGHT),            # the limit is not reached
    (None, TONIGHT, TONIGHT),         # no limit in the policy
    (2, date(2026, 12, 6), TONIGHT),  # admitted last night, not tonight
    (2, TONIGHT, None),               # not asked: the contract's options
])
def test_the_admission_limit_does_not_bind(max_adm, admitted, tonight):
    inst, km = limit_case(max_adm, admitted)
    s = suggest(inst, "R", distances=km, tonight=tonight)
    assert ids(s) == ["NEAR", "FAR"] and s.rejected == ()


def test_a_limit_of_zero_closes_every_ward_tonight():
    inst, km = limit_case(0)
    s = suggest(inst, "R", distances=km, tonight=TONIGHT)
    assert s.options == ()
    assert [(r.unit_id, r.reasons) for r in s.rejected] == [
        ("NEAR", ("no new patients tonight: max_admissions_per_unit = 0",)),
        ("FAR", ("no new patients tonight: max_admissions_per_unit = 0",))]
    # without tonight the options stay the contract's, and a note says the limit is 0
    s = suggest(inst, "R", distances=km)
    assert ids(s) == ["NEAR", "FAR"]
    assert s.notes == ("max_admissions_per_unit = 0: tonight's plan takes no new patient "
                       "into any ward",)


def chain_limit_case(admitted: date) -> tuple[Instance, np.ndarray]:
    """X full (Q); Q's only way out is Z (free), which took one patient (I) on ``admitted``;
    limit 1."""
    units = [unit("X", beds=1), unit("Z", beds=3), unit("F", beds=1)]
    pats = [patient("Q", status="inpatient", cur="X"),
            patient("I", status="inpatient", cur="Z", admitted=admitted), patient("R")]
    return make(units, pats, [[50.0, 60.0, 900.0], [1.0, 1.0, 1.0], [10.0, 100.0, 200.0]],
                max_adm=1)


def test_a_chain_does_not_move_anyone_into_a_ward_at_its_limit():
    inst, km = chain_limit_case(TONIGHT)
    s = suggest(inst, "R", allow_moves=1, distances=km, tonight=TONIGHT)
    # F is at 200 km for R, but Q may go there: X 10 + (900 + 25 - 50) = 885; Z is closed
    assert [(o.unit_id, [m.to_unit for m in o.moves]) for o in s.options] == [("F", []),
                                                                              ("X", ["F"])]


def test_a_chain_uses_a_ward_below_its_limit():
    inst, km = chain_limit_case(date(2026, 12, 1))
    s = suggest(inst, "R", allow_moves=1, distances=km, tonight=TONIGHT)
    # X 10 + Q to Z (60 + 25 - 50 = 35) = 45
    first = s.options[0]
    assert (first.unit_id, first.cost, [m.to_unit for m in first.moves]) == ("X", 45.0, ["Z"])


# --------------------------------------------------------------------------- move budget


def budget_case(max_moves: int) -> tuple[Instance, np.ndarray]:
    """X and Y full (Q1, Q2); the cheap way into X moves Q1 to Y and Q2 to Z (2 moves)."""
    units = [unit("X", beds=1), unit("Y", beds=1), unit("Z", beds=1)]
    pats = [patient("Q1", status="inpatient", cur="X"),
            patient("Q2", status="inpatient", cur="Y"), patient("R")]
    return make(units, pats, [[50.0, 20.0, 60.0], [5.0, 40.0, 45.0], [10.0, 30.0, 100.0]],
                max_moves=max_moves)


def test_a_chain_longer_than_the_nights_move_budget_is_noted():
    inst, km = budget_case(1)
    s = suggest(inst, "R", allow_moves=2, distances=km)
    assert [(o.unit_id, len(o.moves)) for o in s.options][:2] == [("X", 2), ("Y", 2)]
    assert s.notes == ("option 1 (X) needs 2 moves tonight, more than max_moves = 1",
                       "option 2 (Y) needs 2 moves tonight, more than max_moves = 1")


def test_chains_within_the_move_budget_are_not_noted():
    inst, km = budget_case(2)
    assert suggest(inst, "R", allow_moves=2, distances=km).notes == ()
