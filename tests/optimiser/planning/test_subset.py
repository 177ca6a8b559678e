"""--network ID: which units and patients one collaborative decides on."""

from __future__ import annotations

import pytest

from models.domain import Instance, Network, Patient, Policy, Unit
from models.errors import InputError
from optimiser.planning.subset import restrict_to_network


def unit(uid: str, network: str, beds: int = 3, closed: int = 0) -> Unit:
    return Unit(unit_id=uid, network_id=network, service="adult_secure", level="medium",
                beds=beds, beds_closed=closed, lat=52.0, lon=-1.0)


def patient(pid: str, home: str, current: str | None = None) -> Patient:
    return Patient(patient_id=pid, status="referral" if current is None else "inpatient",
                   service="adult_secure", level="medium", sex="male", age=30,
                   home_lat=52.0, home_lon=-1.0, home_network_id=home, current_unit_id=current)


INSTANCE = Instance(
    units=(unit("X1", "X", beds=5, closed=1), unit("A1", "N"), unit("X2", "X"),
           unit("N1", "N", beds=4), unit("Y1", "Y", beds=4, closed=1)),
    patients=(
        patient("in_own", "N", "N1"),         # N inpatient in an N unit
        patient("guest", "X", "N1"),          # other network's patient in an N unit
        patient("away1", "N", "X1"),          # N's patient placed in X's unit
        patient("away2", "N", "X1"),
        patient("other", "X", "X1"),          # X's own patient in X1: not N's business
        patient("ref_n", "N"),                # N's referral
        patient("ref_x", "X"),                # X's referral
        patient("far", "Y", "Y1"),
        patient("awayY", "N", "Y1"),
    ),
    networks=(Network("N"), Network("X"), Network("Y")),
    policy=Policy(distance="geodesic"),
    source="somewhere",
)


def test_subset_keeps_own_units_and_the_patients_it_is_responsible_for():
    sub = restrict_to_network(INSTANCE, "N")
    assert [p.patient_id for p in sub.patients] == [
        "in_own", "guest", "away1", "away2", "ref_n", "awayY"]
    assert [u.unit_id for u in sub.units] == ["X1", "A1", "N1", "Y1"]
    assert sub.policy == INSTANCE.policy and sub.networks == INSTANCE.networks
    assert sub.source == "somewhere"


def test_foreign_units_keep_only_the_beds_the_collaboratives_patients_hold():
    units = {u.unit_id: u for u in restrict_to_network(INSTANCE, "N").units}
    assert (units["X1"].beds, units["X1"].beds_closed, units["X1"].open_beds) == (2, 0, 2)
    assert units["Y1"].open_beds == 1
    # Own units are untouched.
    assert units["N1"] == INSTANCE.units[3] and units["A1"] == INSTANCE.units[1]


def test_a_foreign_unit_with_fewer_open_beds_than_held_keeps_its_own_open_beds():
    inst = Instance(units=(unit("N1", "N"), unit("X1", "X", beds=3, closed=2)),
                    patients=(patient("a", "N", "X1"), patient("b", "N", "X1")))
    x1 = restrict_to_network(inst, "N").units[1]
    assert x1.open_beds == 1  # the unit is over-full tonight; the subset does not hide it


def test_subset_for_another_network_applies_the_same_rule():
    sub = restrict_to_network(INSTANCE, "X")
    assert [p.patient_id for p in sub.patients] == ["guest", "away1", "away2", "other",
                                                   "ref_x"]
    # guest (home X) sits in N's unit N1: N1 is included with exactly that one bed.
    assert [(u.unit_id, u.open_beds) for u in sub.units] == [("X1", 4), ("X2", 3), ("N1", 1)]


def test_a_network_without_patients_elsewhere_gets_only_its_units():
    sub = restrict_to_network(INSTANCE, "Y")
    assert [(u.unit_id, u.open_beds) for u in sub.units] == [("Y1", 3)]
    assert [p.patient_id for p in sub.patients] == ["far", "awayY"]


def test_unknown_network_is_invalid_input():
    with pytest.raises(InputError, match="unknown network 'Z'"):
        restrict_to_network(INSTANCE, "Z")


def test_a_network_known_only_from_networks_csv_gives_an_empty_instance():
    inst = Instance(units=INSTANCE.units, patients=INSTANCE.patients,
                    networks=(*INSTANCE.networks, Network("EMPTY")))
    sub = restrict_to_network(inst, "EMPTY")
    assert sub.units == () and sub.patients == ()
