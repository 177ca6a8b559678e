"""The bundled England instance: collaboratives, footprints, beds, prices, wards and dates."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from models import calibration as cal
from models.compatibility import is_compatible
from models.domain import Instance, Unit
from models.footprints import NATIONAL_NETWORKS, home_network
from models.io import validate

ROOT = Path(__file__).resolve().parents[2]
ENGLAND = ROOT / "instances" / "england"
DATA = ROOT / "scripts" / "data" / "england"
NATIONAL_BEDS = {"adult_secure": cal.ADULT_SECURE_BEDS, "camhs": cal.CAMHS_BEDS,
                 "eating_disorder": cal.EATING_DISORDER_BEDS}


@pytest.fixture(scope="module")
def england() -> Instance:
    inst, problems = validate(ENGLAND)
    assert problems == []
    assert inst is not None
    return inst


def _x(obj: Unit) -> dict[str, str]:
    return dict(obj.extra)


def test_the_cli_validates_it() -> None:
    done = subprocess.run([sys.executable, "-m", "bedplan", "validate", str(ENGLAND)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


def test_every_collaborative_is_named_led_and_has_wards(england: Instance) -> None:
    beds = Counter[str]()
    for u in england.units:
        beds[u.network_id] += u.beds
    for n in england.networks:
        assert not re.search(r"placeholder|not verified", n.name, re.I), n.network_id
        assert n.lead_provider, n.network_id
        assert beds[n.network_id] > 0, n.network_id
        basis = dict(n.extra)["lead_basis"]
        assert basis == "source" or basis.startswith("inference"), n.network_id
    used = {u.network_id for u in england.units} | {p.home_network_id for p in england.patients}
    assert used == {n.network_id for n in england.networks}


def test_bed_totals_are_within_five_percent_of_the_national_figures(england: Instance) -> None:
    for service, national in NATIONAL_BEDS.items():
        beds = sum(u.beds for u in england.units if u.service == service)
        assert abs(beds - national) <= 0.05 * national, service


def test_every_unit_records_its_source_and_imputed_wards_say_so(england: Instance) -> None:
    for u in england.units:
        x = _x(u)
        assert x["source"], u.unit_id
        if x["origin"] == "imputed":
            assert u.unit_id.startswith("imp-") and x["beds_imputed"] == "true"
            assert "ward imputed" in x["imputation"]
        if x["beds_imputed"] == "true":
            assert x["imputation"], u.unit_id
    real = [u for u in england.units if _x(u)["origin"] != "imputed"]
    assert len(real) >= 314


def test_prices_follow_the_price_table_and_differ_by_provider_type(england: Instance) -> None:
    with (DATA / "prices.csv").open(encoding="utf-8") as fh:
        table = {(r["service"], r["level"], r["provider_type"]): float(r["cost_per_day"])
                 for r in csv.DictReader(fh)}
    assert table == dict(cal.COST_PER_DAY_BY_PROVIDER)
    for u in england.units:
        assert u.cost_per_day == table[(u.service, u.level, u.provider_type)], u.unit_id
    pairs = {(u.service, u.level, u.provider_type): u.cost_per_day for u in england.units}
    differ = [(s, lvl) for (s, lvl, t) in pairs if t == "nhs"
              and (s, lvl, "independent") in pairs
              and pairs[(s, lvl, "independent")] != pairs[(s, lvl, "nhs")]]
    assert ("adult_secure", "medium") in differ and ("adult_secure", "low") in differ


def test_home_collaboratives_equal_the_footprint_function(england: Instance) -> None:
    for p in england.patients:
        assert p.home_network_id == home_network(p.home_postcode, p.service, p.level), \
            p.patient_id


def test_units_belong_to_the_collaborative_of_their_site(england: Instance) -> None:
    for u in england.units:
        national = NATIONAL_NETWORKS.get((u.service, u.level))
        if national:
            assert u.network_id == national
        elif u.postcode:
            assert u.network_id == home_network(u.postcode, u.service), u.unit_id


def test_dates_are_consistent_with_the_plan_start(england: Instance) -> None:
    start = cal.PLAN_START
    horizon = start + timedelta(days=cal.REFERRAL_HORIZON_DAYS)
    later = 0
    for p in england.patients:
        if p.status == "inpatient":
            assert p.admitted_on is not None and p.expected_discharge is not None
            assert p.admitted_on < start < p.expected_discharge, p.patient_id
            assert p.arrives_on is None
        else:
            assert p.expected_discharge is None and p.admitted_on is None
            if p.arrives_on is not None:
                later += 1
                assert start < p.arrives_on <= horizon, p.patient_id
    assert later > 0
    policy = (ENGLAND / "policy.toml").read_text(encoding="utf-8")
    assert f"start = {start.isoformat()}" in policy and f"nights = {cal.PLAN_NIGHTS}" in policy


def test_feasible_and_wards_hold_the_right_patients(england: Instance) -> None:
    units = {u.unit_id: u for u in england.units}
    inpatients = [p for p in england.patients if p.status == "inpatient"]
    load = Counter(p.current_unit_id for p in inpatients)
    assert all(load[uid] <= units[uid].open_beds for uid in load)
    for p in inpatients:
        if not is_compatible(p, units[p.current_unit_id or ""]):
            assert dict(p.extra)["note"].startswith(("awaiting step-down", "wrong ward"))
    special = [p for p in inpatients if units[p.current_unit_id or ""].specialist_only]
    fits = sum(bool(p.needs & units[p.current_unit_id or ""].specialisms) for p in special)
    assert special and fits / len(special) >= 0.9
    assert any(not u.accepts_referrals for u in england.units)
    for p in england.patients:
        if p.status == "referral":
            assert any(is_compatible(p, u) for u in england.units), p.patient_id


def test_legal_status_and_restricted_patients(england: Instance) -> None:
    inpatients = [p for p in england.patients if p.status == "inpatient"]
    assert all(p.legal_status for p in inpatients)
    restricted = [p for p in inpatients if p.legal_status in cal.RESTRICTED_STATUSES
                  and not dict(p.extra)["note"]]
    movable = sum(p.movable for p in restricted) / len(restricted)
    assert movable <= cal.RESTRICTED_TRANSFER_AGREED_SHARE + 0.05


def test_calibration_holds(england: Instance) -> None:
    units = {u.unit_id: u for u in england.units}
    inpatients = [p for p in england.patients if p.status == "inpatient"]
    open_beds = sum(u.open_beds for u in england.units)
    assert len(inpatients) / open_beds == pytest.approx(cal.OCCUPANCY, abs=0.005)
    tonight = [p for p in england.patients if p.status == "referral" and p.arrives_on is None]
    assert len(tonight) == pytest.approx(cal.REFERRAL_SHARE_OF_BEDS * open_beds, abs=1)
    secure = [p for p in inpatients if p.service == "adult_secure"]
    assert 0.15 <= sum(p.sex == "female" for p in secure) / len(secure) <= 0.25
    national = set(NATIONAL_NETWORKS.values())
    regional = [p for p in inpatients if units[p.current_unit_id or ""].network_id not in national]
    away = sum(p.home_network_id != units[p.current_unit_id or ""].network_id for p in regional)
    assert cal.OUT_OF_AREA_RANGE[0] <= away / len(regional) <= cal.OUT_OF_AREA_RANGE[1]


@pytest.mark.slow
def test_england_rebuilds_byte_identical(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "build_england.py"
    done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    for name in ("units.csv", "patients.csv", "networks.csv", "policy.toml", "README.md"):
        assert (tmp_path / name).read_bytes() == (ENGLAND / name).read_bytes(), name
