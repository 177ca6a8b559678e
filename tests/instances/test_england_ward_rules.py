"""Contract 1.2's ward rules on the bundled England instance, through suggestions and a
reallocation, as a bed manager and a clinical reviewer would check them (issue 12):

- no suggestion for a patient without a specialist need offers a specialist-only ward;
- no referral is offered, or admitted to, a transfers-only ward;
- ``reallocate`` moves and admits nobody into a specialist-only ward without its need.

Each rule also has its "does not bind" side on the same data (a patient with the need is
offered the specialist ward; an inpatient is offered a transfers-only ward), so the checks
cannot pass on an instance that has no such wards. The instance, its road distances and
one reallocation are shared by the module (the reallocation takes a few seconds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.domain import Instance, Patient, Unit
from models.io import read_instance

ENGLAND = Path(__file__).resolve().parents[2] / "instances" / "england"
pytestmark = pytest.mark.skipif(not (ENGLAND / "units.csv").is_file(),
                                reason="no England instance")
#: Inpatients asked about as moves: every STEP-th (all referrals are asked about).
STEP = 20


@pytest.fixture(scope="module")
def england() -> Instance:
    return read_instance(ENGLAND)


@pytest.fixture(scope="module")
def km(england: Instance) -> np.ndarray:
    from optimiser.geography.distances import distance_matrix

    return distance_matrix(england)


@pytest.fixture(scope="module")
def answers(england: Instance, km: np.ndarray) -> dict[str, tuple[Patient, list[Unit], list]]:
    """Every referral's and every STEP-th inpatient's options (all of them) and rejections."""
    from optimiser.planning.suggest import suggest

    units = {u.unit_id: u for u in england.units}
    inpatients = [p for p in england.patients if not p.is_referral][::STEP]
    asked = [p for p in england.patients if p.is_referral] + inpatients
    out = {}
    for p in asked:
        s = suggest(england, p.patient_id, distances=km, top=len(units))
        out[p.patient_id] = (p, [units[o.unit_id] for o in s.options], list(s.rejected))
    return out


@pytest.fixture(scope="module")
def plan(england: Instance, km: np.ndarray):
    from optimiser.core.solve import solve

    result = solve(england, distances=km)
    assert result.has_plan, result.diagnosis
    return result


def _needs_it(p: Patient, u: Unit) -> bool:
    return bool(p.needs & u.specialisms)


def test_the_instance_has_both_kinds_of_ward(england: Instance) -> None:
    assert any(u.specialist_only for u in england.units)
    assert any(not u.accepts_referrals for u in england.units)


def test_no_specialist_ward_is_offered_without_its_need(answers) -> None:
    wrong = [(pid, u.unit_id) for pid, (p, options, _) in answers.items() for u in options
             if u.specialist_only and not _needs_it(p, u)]
    assert wrong == []


def test_specialist_wards_are_offered_to_patients_with_the_need(answers) -> None:
    offered = [(pid, u.unit_id) for pid, (p, options, _) in answers.items() for u in options
               if u.specialist_only and _needs_it(p, u)]
    assert offered, "no specialist-only ward was offered to anyone: the rule binds always?"


def test_no_referral_is_offered_a_transfers_only_ward(answers) -> None:
    wrong = [(pid, u.unit_id) for pid, (p, options, _) in answers.items() for u in options
             if p.is_referral and not u.accepts_referrals]
    assert wrong == []


def test_transfers_only_wards_are_offered_to_inpatients(answers) -> None:
    offered = [(pid, u.unit_id) for pid, (p, options, _) in answers.items() for u in options
               if not p.is_referral and not u.accepts_referrals]
    assert offered, "no transfers-only ward was offered to any inpatient"


def test_nearer_wards_excluded_by_the_rules_say_why(england: Instance, answers) -> None:
    """Where a nearer ward is refused by a 1.2 rule, the reason says so in words."""
    units = {u.unit_id: u for u in england.units}
    specialist = transfers = 0
    for p, _, rejected in answers.values():
        for r in rejected:
            u = units[r.unit_id]
            if u.specialist_only and not _needs_it(p, u) and u.service == p.service:
                assert any("ward; the patient has no" in x for x in r.reasons), r
                specialist += 1
            if p.is_referral and not u.accepts_referrals:
                assert any(x.endswith("takes transfers, not referrals") for x in r.reasons), r
                transfers += 1
    assert specialist and transfers


def test_reallocate_places_nobody_in_a_specialist_ward_without_the_need(england, plan) -> None:
    units = {u.unit_id: u for u in england.units}
    wrong = [(p.patient_id, a.action, a.unit_id)
             for p, a in zip(england.patients, plan.assignments, strict=True)
             if a.action in ("move", "admit") and units[a.unit_id].specialist_only
             and not _needs_it(p, units[a.unit_id])]
    assert wrong == []
    arrivals = [a for p, a in zip(england.patients, plan.assignments, strict=True)
                if a.action in ("move", "admit") and units[a.unit_id].specialist_only]
    assert arrivals, "nobody moved to or was admitted to a specialist ward: vacuous check"


def test_reallocate_admits_no_referral_to_a_transfers_only_ward(england, plan) -> None:
    units = {u.unit_id: u for u in england.units}
    wrong = [(a.patient_id, a.unit_id) for a in plan.assignments
             if a.action == "admit" and not units[a.unit_id].accepts_referrals]
    assert wrong == []
    assert any(a.action == "admit" for a in plan.assignments)
