"""Inline referrals (models.referral): checked as a patients.csv row; the home collaborative
given, else by footprint from the postcode, else from the nearest unit with a note, else
unknown."""

from __future__ import annotations

import pytest

from models.domain import Instance, Network, Policy, Unit
from models.errors import InputError
from models.referral import (
    FOOTPRINT,
    GIVEN,
    NEAREST,
    UNKNOWN,
    UNKNOWN_NETWORK,
    parse_referral,
    read_referral,
)

LONDON = "home_lat=51.5,home_lon=-0.1"
BIRMINGHAM = "home_lat=52.4,home_lon=-1.8"
ADULT = "service=adult_secure,level=medium,sex=male,age=30"


def unit(uid: str, net: str, lat: float, lon: float, *, service: str = "adult_secure",
         level: str = "medium") -> Unit:
    return Unit(unit_id=uid, network_id=net, service=service, level=level, beds=2, lat=lat,
                lon=lon)


def instance(units: tuple[Unit, ...] = (), networks: tuple[str, ...] = ("N1", "N2")
             ) -> Instance:
    """U1 London (N1), U3 Birmingham (N2): adult medium; U2 Bristol (N2): camhs general."""
    if not units:
        units = (unit("U1", "N1", 51.5, -0.12),
                 unit("U2", "N2", 51.45, -2.58, service="camhs", level="general"),
                 unit("U3", "N2", 52.48, -1.9))
    return Instance(units, (), networks=tuple(Network(n) for n in networks),
                    policy=Policy(distance="geodesic"))


def england_like() -> Instance:
    """Wards in London (nlfc-secure) and Leeds (wy-secure), networks as in England."""
    return instance((unit("LON", "nlfc-secure", 51.5, -0.12), unit("LDS", "wy-secure", 53.8,
                                                                   -1.55)),
                    ("nlfc-secure", "wy-secure"))


# --------------------------------------------------------------------------- reading


def test_values_are_read_as_a_patients_row() -> None:
    r = read_referral(f"{ADULT},{LONDON},needs=LD; asd,priority=3,legal_status=s37/41",
                      instance())
    p = r.patient
    assert (p.patient_id, p.status, p.service, p.level, p.sex, p.age) == (
        "REFERRAL", "referral", "adult_secure", "medium", "male", 30)
    assert (p.needs, p.priority, p.legal_status) == (frozenset({"ld", "asd"}), 3, "s37/41")


@pytest.mark.parametrize(("spec", "column", "words"), [
    (f"service=eating_disorder,level=general,sex=female,age=old,{LONDON}", "age",
     "whole number"),
    (f"service=eating_disorder,level=medium,sex=female,age=19,{LONDON}", "level",
     "not a level of eating_disorder"),
    ("service=eating_disorder,level=general,sex=female,age=19,home_lat=51.5", "home_lon",
     "blank"),
    (f"service=eating_disorder,level=general,sex=female,age=19,{LONDON},home_network_id=N9",
     "home_network_id", "unknown network 'N9'"),
    (f"{ADULT},{LONDON},colour=red", "colour", "unknown key"),
    (f"{ADULT},{LONDON},age=31", "age", "given twice"),
    (f"{ADULT},{LONDON},patient_id=R1", "patient_id", "already in patients.csv"),
])
def test_malformed_referral_is_invalid_input(spec: str, column: str, words: str) -> None:
    from models.domain import Patient

    inst = instance()
    taken = Patient(patient_id="R1", status="referral", service="adult_secure",
                    level="medium", sex="male", age=30, home_lat=51.5, home_lon=-0.1,
                    home_network_id="N1")
    inst = Instance(inst.units, (taken,), inst.networks, inst.policy)
    with pytest.raises(InputError) as err:
        parse_referral(spec, inst)
    (problem,) = err.value.problems
    assert (problem.file, problem.column) == ("--referral", column)
    assert words in problem.message


def test_not_key_value_is_invalid_input() -> None:
    with pytest.raises(InputError, match="'service' is not key=value"):
        parse_referral("service", instance())


# --------------------------------------------------------------------------- collaborative


def test_given_collaborative_is_kept() -> None:
    r = read_referral(f"{ADULT},{LONDON},home_network_id=N2", instance())
    assert (r.patient.home_network_id, r.network_from, r.notes) == ("N2", GIVEN, ())


def test_footprint_decides_when_the_postcode_is_known() -> None:
    """LS9 (Leeds) is West Yorkshire's by footprint, although the London ward is nearer to
    nothing here: the footprint, not the distance, answers — and says nothing more."""
    r = read_referral(f"{ADULT},home_postcode=LS9", england_like())
    assert (r.patient.home_network_id, r.network_from, r.notes) == ("wy-secure", FOOTPRINT,
                                                                    ())


def test_footprint_beats_the_nearest_unit() -> None:
    """Home in Leeds by postcode but the only wy-secure ward is in London: the footprint
    still says wy-secure (the nearest-unit rule would have said nlfc-secure)."""
    units = (unit("NEAR", "nlfc-secure", 53.8, -1.55), unit("FAR", "wy-secure", 51.5, -0.12))
    inst = instance(units, ("nlfc-secure", "wy-secure"))
    r = read_referral(f"{ADULT},home_postcode=ls9", inst)
    assert r.patient.home_network_id == "wy-secure" and r.network_from == FOOTPRINT


def test_coordinates_only_fall_back_to_the_nearest_unit_with_a_note() -> None:
    r = read_referral(f"{ADULT},{BIRMINGHAM}", instance())
    assert (r.patient.home_network_id, r.network_from) == ("N2", NEAREST)
    assert r.notes == ("home collaborative N2 is that of the nearest adult_secure medium unit "
                       "(U3): no home_postcode to look it up in the collaboratives' "
                       "footprints; give home_network_id if it is another",)
    assert read_referral(f"{ADULT},{LONDON}", instance()).patient.home_network_id == "N1"


def test_postcode_outside_the_footprints_falls_back_with_a_note() -> None:
    """EH1 (Edinburgh) is not in England's footprints."""
    r = read_referral(f"{ADULT},home_postcode=EH1", england_like())
    assert r.network_from == NEAREST and r.patient.home_network_id == "wy-secure"
    assert "the footprints do not cover EH1" in r.notes[0]


def test_footprint_collaborative_missing_from_the_instance_falls_back_with_a_note() -> None:
    """The footprint says wy-secure for LS9, but this instance's collaboratives are N1/N2."""
    r = read_referral(f"{ADULT},home_postcode=LS9", instance())
    assert r.network_from == NEAREST and r.patient.home_network_id == "N2"  # U3, Birmingham
    assert "LS9's collaborative by footprint, wy-secure, is not one of this instance's" \
        in r.notes[0]


def test_without_networks_csv_the_units_name_the_collaboratives() -> None:
    units = (unit("LDS", "wy-secure", 53.8, -1.55),)
    r = read_referral(f"{ADULT},home_postcode=LS9", instance(units, ()))
    assert r.network_from == FOOTPRINT and r.patient.home_network_id == "wy-secure"


def test_level_not_offered_falls_back_to_the_service() -> None:
    r = read_referral(f"service=camhs,level=picu,sex=male,age=15,{LONDON}", instance())
    assert r.patient.home_network_id == "N2"  # U2, the only camhs unit
    assert r.notes[0].startswith("home collaborative N2 is that of the nearest camhs unit "
                                 "(U2)")


@pytest.mark.parametrize("networks", [(), ("N1", "N2")])
def test_no_unit_of_the_service_leaves_it_unknown(networks: tuple[str, ...]) -> None:
    r = read_referral(f"service=eating_disorder,level=general,sex=female,age=19,{LONDON}",
                      instance(networks=networks))
    assert (r.patient.home_network_id, r.network_from, r.notes) == (UNKNOWN_NETWORK, UNKNOWN,
                                                                    ())
    r = read_referral(f"{ADULT},{LONDON}", Instance((), (), policy=Policy()))
    assert r.patient.home_network_id == UNKNOWN_NETWORK
