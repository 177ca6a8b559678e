"""Why a plan leaves a referral unplaced (summary.json's diagnosis, as ``reallocate`` gives):
each cause once where it binds and once where it does not (the referral is then admitted
and nothing is said)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from models.domain import Instance, Limits, Patient, Policy, SolverSettings, Unit, Weights
from optimiser.core.plansolve import solve_plan

START = dt.date(2026, 12, 7)


def ward(uid: str, beds: int, lat: float = 53.0) -> Unit:
    return Unit(uid, "N1", "adult_secure", "medium", beds, lat, -1.0, sex="male")


def person(pid: str, *, current: str | None = None, leaves: int | None = None,
           arrives: int | None = None, movable: bool = False) -> Patient:
    return Patient(pid, "inpatient" if current else "referral", "adult_secure", "medium",
                   "male", 30, 53.0, -1.0, "N1", current_unit_id=current, movable=movable,
                   expected_discharge=START + dt.timedelta(days=leaves - 1) if leaves else None,
                   arrives_on=START + dt.timedelta(days=arrives - 1) if arrives else None)


def diagnosis(units: list[Unit], patients: list[Patient], nights: int, *,
              max_adm: int | None = None, unplaced: float = 1000.0) -> tuple[str, ...]:
    inst = Instance(tuple(units), tuple(patients), policy=Policy(
        distance="geodesic", weights=Weights(unplaced=unplaced),
        limits=Limits(max_admissions_per_unit=max_adm),
        solver=SolverSettings(name="highs", time_limit=60)))
    result = solve_plan(inst, start=START, nights=nights)
    assert result.status == "optimal"
    return result.diagnosis


def test_the_only_unit_full_to_the_last_night():
    (line,) = diagnosis([ward("A", 1)], [person("P", current="A"), person("R")], 3)
    assert line.startswith("referral R left unplaced: the only compatible unit, unit A (")
    assert line.endswith("is full on some night on or after every night it could admit them "
                         "(an admitted referral stays to the last night)")


def test_a_bed_that_frees_before_the_last_night_admits_and_says_nothing():
    assert diagnosis([ward("A", 1)], [person("P", current="A", leaves=3), person("R")],
                     3) == ()


def test_the_only_unit_with_a_bed_but_no_admissions():
    (line,) = diagnosis([ward("A", 2)], [person("R")], 2, max_adm=0)
    assert line.endswith("has a bed to the last night but takes no new patient "
                         "(max_admissions_per_unit = 0)")


def test_the_admission_limit_taken_by_another_referral():
    """Two free beds, one admission a night, both referrals arrive on the last night."""
    lines = diagnosis([ward("A", 2)], [person("R1", arrives=2), person("R2", arrives=2)], 2,
                      max_adm=1)
    assert len(lines) == 1 and "left unplaced" in lines[0]
    assert lines[0].endswith("has a bed to the last night but had taken "
                             "max_admissions_per_unit = 1 new patient on each of those nights")
    assert diagnosis([ward("A", 2)], [person("R1", arrives=2), person("R2", arrives=2)], 2,
                     max_adm=2) == ()


def test_several_units_full_and_at_their_limit():
    units = [ward("A", 1), ward("B", 1, lat=53.5)]
    (line,) = diagnosis(units, [person("P", current="A"), person("Q", current="B"),
                                person("R")], 2)
    assert line == ("referral R left unplaced: all 2 compatible units are full on some night "
                    "on or after every night they could admit them (an admitted referral "
                    "stays to the last night)")
    (line,) = diagnosis([ward("A", 1), ward("B", 1, lat=53.5)],
                        [person("P", current="A"), person("R")], 2, max_adm=0)
    assert line.startswith("referral R left unplaced: none of the 2 compatible units could "
                           "admit them on any night: 1 full to the last night, and 1 with a "
                           "bed to the last night that takes no new patient "
                           "(max_admissions_per_unit = 0): unit B (")


def test_waiting_cheaper_than_a_far_bed():
    far = [ward("F", 1, lat=55.0)]
    (line,) = diagnosis(far, [person("R")], 2, unplaced=1.0)
    # admitted on night 2 it waits one night (1) and sleeps 222.6 km away for one
    assert line == ("referral R left unplaced: waiting every night (2) costs no more than "
                    "the cheapest admission with a bed to the last night (unit F on night 2, "
                    "cost 223.6)")
    assert diagnosis(far, [person("R")], 2, unplaced=1000.0) == ()


def test_a_free_bed_the_plan_does_not_use_is_said_of_a_plan_not_proven():
    # Binds: a plan within a requested gap (or stopped) may leave a referral waiting beside
    # a free bed; the sentence says the plan is not proven, not that the beds were full.
    import optimiser.core.plandiagnosis as pd
    from optimiser.core.costs import UNPLACED

    inst = Instance((ward("A", 1),), (person("R"),), policy=Policy(distance="geodesic"))
    from optimiser.core.costs import build_cost_table
    from optimiser.core.plantable import build_plan_table, horizon
    from optimiser.core.rows import build_plan_rows

    hz = horizon(inst, START, 2)
    table = build_plan_table(inst, hz, day=build_cost_table(inst))
    rows = build_plan_rows(table.costs, table.night, hz.current, hz.last, 2, inst.policy.limits)
    waits = np.flatnonzero(table.costs.kind == UNPLACED)
    (line,) = pd.explain_unplaced_plan(inst, table, rows, waits, inst.policy)
    assert line == ("referral R left unplaced: a compatible bed was free to the last night, "
                    "but this plan (not proven optimal, or optimal within the requested gap) "
                    "does not admit them")


def test_no_compatible_unit_and_a_referral_after_the_last_night():
    women = Unit("W", "N1", "adult_secure", "medium", 2, 53.0, -1.0, sex="female")
    assert diagnosis([women], [person("R")], 2) == (
        "referral R left unplaced: no compatible unit at all",)
    assert diagnosis([women], [person("R", arrives=3)], 2) == ()
