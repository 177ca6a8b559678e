"""The domain dataclasses: contract defaults and derived values."""

from __future__ import annotations

import dataclasses

import pytest

from models.domain import DEFAULT_AGES, LEVELS, Instance, Patient, Policy, Unit


def unit(**kw) -> Unit:
    base = dict(unit_id="U1", network_id="N1", service="adult_secure", level="low", beds=10,
                lat=52.0, lon=-1.0)
    return Unit(**{**base, **kw})


def patient(**kw) -> Patient:
    base = dict(patient_id="P1", status="referral", service="adult_secure", level="low",
                sex="male", age=30, home_lat=52.0, home_lon=-1.0, home_network_id="N1")
    return Patient(**{**base, **kw})


def test_unit_defaults():
    u = unit()
    assert (u.sex, u.beds_closed, u.cost_per_day, u.specialisms) == ("mixed", 0, 0.0,
                                                                    frozenset())
    assert (u.age_min, u.age_max, u.min_age, u.max_age) == (None, None, 18, 120)


def test_open_beds():
    assert unit(beds=10, beds_closed=3).open_beds == 7
    assert unit(beds=0).open_beds == 0


@pytest.mark.parametrize("service", list(LEVELS))
def test_default_ages_by_service(service):
    u = unit(service=service, level=LEVELS[service][0])
    assert (u.min_age, u.max_age) == DEFAULT_AGES[service]
    assert unit(service=service, level=LEVELS[service][0], age_min=5).min_age == 5


def test_patient_defaults():
    p = patient()
    assert (p.movable, p.priority, p.current_unit_id, p.excluded_units, p.needs) == (
        True, 1, None, frozenset(), frozenset())
    assert p.is_referral and not patient(status="inpatient").is_referral


def test_policy_defaults():
    p = Policy()
    assert p.distance == "road"
    assert dataclasses.astuple(p.weights) == (1.0, 50.0, 0.0, 25.0, 200.0, 1000.0)
    assert (p.limits.max_moves, p.limits.max_admissions_per_unit) == (None, None)
    assert (p.solver.name, p.solver.time_limit, p.solver.mip_gap) == ("highs", 60.0, 0.0)


def test_extra_is_not_compared_and_dataclasses_are_frozen():
    assert unit(extra=(("x", "1"),)) == unit()
    with pytest.raises(dataclasses.FrozenInstanceError):
        unit().beds = 3  # type: ignore[misc]


def test_indexes():
    inst = Instance(units=(unit(unit_id="A"), unit(unit_id="B")),
                    patients=(patient(patient_id="X"),))
    assert inst.unit_index() == {"A": 0, "B": 1}
    assert inst.patient_index() == {"X": 0}


def test_occupancy_counts_inpatients_per_current_unit_and_lists_empty_units():
    from models.domain import Instance, Patient, Unit

    units = (Unit("A", "N", "camhs", "general", 2, 51.5, -0.1),
             Unit("B", "N", "camhs", "general", 2, 52.5, -1.1))
    kw = dict(service="camhs", level="general", sex="female", age=15, home_lat=52.0,
              home_lon=-1.0, home_network_id="N")
    patients = (Patient("P1", "inpatient", current_unit_id="A", **kw),
                Patient("P2", "inpatient", current_unit_id="A", **kw),
                Patient("R1", "referral", **kw))
    inst = Instance(units=units, patients=patients)
    assert inst.occupancy() == {"A": 2, "B": 0}
    inst.occupancy()["A"] = 99  # a fresh dict each call: callers may change it
    assert inst.occupancy()["A"] == 2
