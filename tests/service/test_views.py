"""Contract 1.2 in the service (issue 12): each ward's function and each patient's legal
status in the API and on the pages, and the engine's ward rules and reasons in suggestions.

The census is conftest's plus two wards at R3's home in Leeds: LDW, a learning-disability
ward (specialist only), and REHAB, a rehabilitation ward (transfers only). P1 is held under
section 37/41.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import make_app, write_census
from .test_auth import login

RULE_UNITS = (
    "unit_id,name,provider,provider_type,network_id,service,level,sex,beds,lat,lon,"
    "specialisms,specialist_only,accepts_referrals,function\n"
    "LEEDS,Leeds ward,T,nhs,north,adult_secure,medium,male,2,53.7997,-1.5492,,false,true,\n"
    "LEEDSF,Leeds women's ward,T,nhs,north,adult_secure,medium,female,1,53.8000,-1.5500,,,,\n"
    "YORK,York ward,T,nhs,north,adult_secure,medium,male,1,53.9591,-1.0815,,,,\n"
    "LONDON,London ward,T,independent,south,adult_secure,medium,male,2,51.47,-0.09,,,,\n"
    "LDW,Leeds LD ward,T,nhs,north,adult_secure,medium,male,2,53.8000,-1.5500,ld,true,true,\n"
    "REHAB,Leeds rehab ward,T,nhs,north,adult_secure,medium,male,2,53.8000,-1.5500,,false,"
    "false,rehabilitation ward\n")
LD_REASON = "learning-disability ward; the patient has no learning-disability need"
REHAB_REASON = "rehabilitation ward: takes transfers, not referrals"


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    """A client on the ward-rules census (module-wide: the tests here only read, except
    the admission-limit test, which has its own census)."""
    from fastapi.testclient import TestClient

    tmp = tmp_path_factory.mktemp("rules")
    d = write_census(tmp / "instance")
    (d / "units.csv").write_text(RULE_UNITS)
    patients = (d / "patients.csv").read_text().splitlines()
    patients[0] += ",legal_status"
    patients = [line + (",section 37/41" if line.startswith("P1,") else ",")
                if i else line for i, line in enumerate(patients)]
    (d / "patients.csv").write_text("\n".join(patients) + "\n")
    with TestClient(make_app(tmp, d), raise_server_exceptions=False) as client:
        yield client


def _headers(client, name: str) -> dict[str, str]:
    from .conftest import bearer

    return bearer(client, name)


def _suggest(client, body: dict, user: str = "north") -> dict:
    r = client.post("/api/suggestions", json=body, headers=_headers(client, user))
    assert r.status_code == 200, r.text
    return r.json()


# ------------------------------------------------------------------ API: what a ward is


def test_the_census_shows_each_wards_function(rules):
    units = {u["unit_id"]: u for u in rules.get(
        "/api/census", headers=_headers(rules, "north")).json()["units"]}
    ld, rehab, leeds = units["LDW"], units["REHAB"], units["LEEDS"]
    assert (ld["specialist_only"], ld["accepts_referrals"], ld["specialisms"]) == (
        True, True, ["ld"])
    assert ld["ward_function"] == "learning-disability ward" and ld["function"] == ""
    assert (rehab["specialist_only"], rehab["accepts_referrals"]) == (False, False)
    assert rehab["ward_function"] == rehab["function"] == "rehabilitation ward"
    # an ordinary ward: neither rule, no function
    assert (leeds["specialist_only"], leeds["accepts_referrals"], leeds["ward_function"]) == (
        False, True, "")
    assert units["LONDON"]["provider_type"] == "independent"
    assert units["LONDON"]["network_name"] == "South"


def test_a_patient_shows_their_legal_status(rules):
    h = _headers(rules, "north")
    assert rules.get("/api/patients/P1", headers=h).json()["legal_status"] == "section 37/41"
    r3 = rules.get("/api/patients/R3", headers=h).json()
    assert r3["legal_status"] == "" and r3["expected_discharge"] is None


# ------------------------------------------------------------------ suggestions: the rules


def test_a_specialist_ward_is_no_option_without_its_need(rules):
    body = _suggest(rules, {"patient_id": "R3"})
    assert "LDW" not in [o["unit_id"] for o in body["options"]]
    reasons = {r["unit_id"]: r["reasons"] for r in body["rejected"]}
    assert LD_REASON in reasons["LDW"]
    assert body["units"]["LDW"]["ward_function"] == "learning-disability ward"


def test_a_specialist_ward_is_the_first_option_with_its_need(rules):
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "needs": ["ld"], "home_lat": 53.8, "home_lon": -1.55,
                "home_network_id": "north", "legal_status": "section 2"}
    body = _suggest(rules, {"referral": referral})
    assert body["options"][0]["unit_id"] == "LDW"
    assert body["patient"]["legal_status"] == "section 2"


def test_a_transfers_only_ward_takes_no_referral(rules):
    body = _suggest(rules, {"patient_id": "R3"})
    assert "REHAB" not in [o["unit_id"] for o in body["options"]]
    assert {r["unit_id"]: r["reasons"] for r in body["rejected"]}["REHAB"] == [REHAB_REASON]


def test_a_transfers_only_ward_takes_an_inpatients_transfer(rules):
    body = _suggest(rules, {"patient_id": "P1"})
    assert "REHAB" in [o["unit_id"] for o in body["options"]]
    assert body["patient"]["legal_status"] == "section 37/41"


def test_a_referrals_collaborative_found_by_its_nearest_unit_is_noted(rules):
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "home_postcode": "LS9"}  # England's footprints name no collaborative here
    notes = _suggest(rules, {"referral": referral})["notes"]
    assert any("nearest" in n and "north" in n for n in notes), notes


def test_a_referrals_given_collaborative_is_not_noted(rules):
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "home_postcode": "LS9", "home_network_id": "north"}
    assert not any("nearest" in n for n in _suggest(rules, {"referral": referral})["notes"])


@pytest.mark.parametrize("legal", ["section 3, informal", "x" * 65])
def test_a_malformed_legal_status_is_422(rules, legal):
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "home_lat": 53.8, "home_lon": -1.55, "legal_status": legal}
    r = rules.post("/api/suggestions", json={"referral": referral},
                   headers=_headers(rules, "north"))
    assert r.status_code == 422 and "legal_status" in r.text


def test_tonights_admission_limit_is_a_reason_once_it_binds(tmp_path: Path):
    """max_admissions_per_unit = 1: London is an option for a south referral until it has
    admitted one patient today, then it is listed with the limit as the reason."""
    from fastapi.testclient import TestClient

    d = write_census(tmp_path / "instance")
    (d / "units.csv").write_text((d / "units.csv").read_text().replace(
        "south,adult_secure,medium,male,2", "south,adult_secure,medium,male,4"))
    (d / "policy.toml").write_text('distance = "geodesic"\n[limits]\n'
                                   "max_admissions_per_unit = 1\n")
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "home_lat": 51.47, "home_lon": -0.09, "home_network_id": "south"}
    with TestClient(make_app(tmp_path, d), raise_server_exceptions=False) as client:
        before = _suggest(client, {"referral": referral}, "south")
        assert before["options"][0]["unit_id"] == "LONDON"  # the limit does not bind yet
        r = client.post("/api/accept", json={"patient_id": "R2", "unit_id": "LONDON"},
                        headers=_headers(client, "south"))
        assert r.status_code == 200, r.text
        after = _suggest(client, {"referral": referral}, "south")
    assert "LONDON" not in [o["unit_id"] for o in after["options"]]
    assert {r["unit_id"]: r["reasons"] for r in after["rejected"]}["LONDON"] == [
        "already took 1 new patient tonight (max_admissions_per_unit = 1)"]
    assert after["units"]["LONDON"]["free"] == 2  # beds free: the limit is the reason


# ------------------------------------------------------------------ the pages


def test_the_census_page_names_ward_functions(rules):
    assert login(rules, "north").status_code == 303
    page = rules.get("/census").text
    assert "learning-disability ward" in page and "rehabilitation ward" in page
    assert "specialist only: ld" in page and "transfers only" in page


def test_a_general_wards_page_says_so_and_shows_legal_status(rules):
    assert login(rules, "north").status_code == 303
    leeds = rules.get("/census/LEEDS").text
    assert "General ward" in leeds and "section 37/41" in leeds
    rehab = rules.get("/census/REHAB").text
    assert "rehabilitation ward" in rehab and "transfers only" in rehab
    assert "General ward" not in rehab
