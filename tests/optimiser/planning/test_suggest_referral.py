"""suggest() for inline referrals (read by models.referral, tested in
tests/models/test_referral.py) and its notes: a referral for a service the instance does not
offer is a valid question with an empty answer, not invalid input; how the referral's
collaborative was found is noted first."""

from __future__ import annotations

import pytest

from models.domain import Instance, Network, Patient, Policy, Unit
from models.referral import UNKNOWN_NETWORK, parse_referral, read_referral
from optimiser.planning.suggest import offer_notes, suggest

LONDON = "home_lat=51.5,home_lon=-0.1"
BIRMINGHAM = "home_lat=52.4,home_lon=-1.8"


def unit(uid: str, net: str, lat: float, lon: float, *, service: str = "adult_secure",
         level: str = "medium") -> Unit:
    return Unit(unit_id=uid, network_id=net, service=service, level=level, beds=2, lat=lat,
                lon=lon)


def instance(units: tuple[Unit, ...] = (), networks: tuple[str, ...] = ("N1", "N2"),
             patients: tuple[Patient, ...] = ()) -> Instance:
    """U1 London (N1), U3 Birmingham (N2): adult medium; U2 Bristol (N2): camhs general."""
    if not units:
        units = (unit("U1", "N1", 51.5, -0.12),
                 unit("U2", "N2", 51.45, -2.58, service="camhs", level="general"),
                 unit("U3", "N2", 52.48, -1.9))
    return Instance(units, patients, networks=tuple(Network(n) for n in networks),
                    policy=Policy(distance="geodesic"))


def test_no_unit_of_the_service_gives_an_empty_suggestion_with_reasons() -> None:
    inst = instance()
    p = parse_referral(f"service=eating_disorder,level=general,sex=female,age=19,{LONDON}",
                       inst)
    assert (p.patient_id, p.status, p.service, p.level, p.age) == (
        "REFERRAL", "referral", "eating_disorder", "general", 19)
    assert p.home_network_id == UNKNOWN_NETWORK == ""
    s = suggest(inst, p)
    assert s.to_json_dict() == {"patient_id": "REFERRAL", "options": [], "rejected": []}
    assert s.notes == ("no unit in this instance offers eating_disorder at all",
                       "home network unknown: no eating_disorder unit to infer it from")


def test_a_unit_of_the_service_exists_network_inferred_as_before() -> None:
    inst = instance()
    near_birmingham = parse_referral(
        f"service=adult_secure,level=medium,sex=male,age=30,{BIRMINGHAM}", inst)
    near_london = parse_referral(f"service=adult_secure,level=medium,sex=male,age=30,{LONDON}",
                                 inst)
    assert near_birmingham.home_network_id == "N2"  # U3 is nearest
    assert near_london.home_network_id == "N1"  # U1 is nearest
    s = suggest(inst, near_london)
    assert [(o.unit_id, o.out_of_area) for o in s.options] == [("U1", False), ("U3", True)]
    assert s.rejected == () and s.notes == ()


def test_level_not_offered_infers_from_the_service_and_says_so() -> None:
    """camhs picu: only a camhs general unit (U2, N2) exists; the network comes from it and
    the answer lists it with its reason, plus one note for the level nobody offers."""
    inst = instance()
    p = parse_referral(f"service=camhs,level=picu,sex=male,age=15,{LONDON}", inst)
    assert p.home_network_id == "N2"
    s = suggest(inst, p)
    assert s.options == ()
    assert [(r.unit_id, r.reasons) for r in s.rejected] == [
        ("U2", ("CAMHS general, patient needs CAMHS PICU",))]
    assert s.notes == ("no unit in this instance offers camhs/picu",)


def test_explicit_home_network_kept_when_there_is_nothing_to_infer_from() -> None:
    inst = instance()
    p = parse_referral(f"service=eating_disorder,level=general,sex=male,age=25,{LONDON},"
                       "home_network_id=N2", inst)
    assert p.home_network_id == "N2"
    assert suggest(inst, p).notes == ("no unit in this instance offers eating_disorder at all",)


@pytest.mark.parametrize("networks", [(), ("N1", "N2")])
def test_instance_without_units(networks: tuple[str, ...]) -> None:
    """No unit at all (with or without networks.csv): still a valid, empty answer."""
    inst = instance(units=(), networks=networks)
    inst = Instance((), (), networks=inst.networks, policy=inst.policy)
    p = parse_referral(f"service=adult_secure,level=low,sex=male,age=40,{LONDON}", inst)
    assert p.home_network_id == UNKNOWN_NETWORK
    s = suggest(inst, p)
    assert (s.options, s.rejected) == ((), ())
    assert s.notes[0] == "no unit in this instance offers adult_secure at all"


def test_notes_for_a_patient_of_the_instance() -> None:
    """--patient of patients.csv: the service note applies; the network one never does."""
    eating = Patient(patient_id="R5", status="referral", service="eating_disorder",
                     level="general", sex="female", age=19, home_lat=51.5, home_lon=-0.1,
                     home_network_id="N1")
    inst = instance(patients=(eating,))
    s = suggest(inst, "R5")
    assert (s.options, s.rejected) == ((), ())
    assert s.notes == ("no unit in this instance offers eating_disorder at all",)
    adult = Patient(patient_id="R6", status="referral", service="adult_secure",
                    level="medium", sex="female", age=19, home_lat=51.5, home_lon=-0.1,
                    home_network_id="N1")
    assert offer_notes(adult, inst.units) == ()


def test_the_referrals_own_notes_come_first() -> None:
    """Coordinates only: the collaborative is the nearest unit's, and suggest lists that
    note before its own; with the collaborative given there is no such note."""
    inst = instance()
    r = read_referral(f"service=camhs,level=picu,sex=male,age=15,{LONDON}", inst)
    s = suggest(inst, r.patient, notes=r.notes)
    assert s.notes == (r.notes[0], "no unit in this instance offers camhs/picu")
    assert r.notes[0].startswith("home collaborative N2 is that of the nearest camhs unit")
    r = read_referral(f"service=camhs,level=picu,sex=male,age=15,{LONDON},"
                      "home_network_id=N2", inst)
    assert suggest(inst, r.patient, notes=r.notes).notes == (
        "no unit in this instance offers camhs/picu",)
