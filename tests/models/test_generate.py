"""The realistic instance generator: determinism, validity, feasibility and calibration."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from models import calibration as cal
from models.compatibility import is_compatible
from models.domain import Instance, Unit
from models.generate import (
    HomeModel,
    PopulationSettings,
    england_areas,
    generate_instance,
    haversine_km,
    populate_patients,
    regional_home_model,
    regions,
)
from models.io import validate, write_instance


@pytest.fixture(scope="module")
def big() -> Instance:
    """Large enough for the calibration figures to settle (about 0.5 s)."""
    return generate_instance(7, 3000, 250)


def _units(inst: Instance) -> dict[str, Unit]:
    return {u.unit_id: u for u in inst.units}


def _files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ determinism

def test_same_seed_gives_identical_instance_and_bytes(tmp_path: Path) -> None:
    a = generate_instance(11, 400, 40)
    b = generate_instance(11, 400, 40)
    assert a == b
    assert [p.extra for p in a.patients] == [p.extra for p in b.patients]
    write_instance(a, tmp_path / "a")
    write_instance(b, tmp_path / "b")
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(fa) == {"units.csv", "patients.csv", "networks.csv", "policy.toml"}
    assert fa == fb


def test_other_seed_gives_another_instance() -> None:
    assert generate_instance(1, 200, 20).patients != generate_instance(2, 200, 20).patients


def test_regions_do_not_depend_on_the_seed() -> None:
    a, b = generate_instance(1, 100, 60), generate_instance(2, 100, 60)
    region_a = {u.postcode: u.network_id.split("-")[0] for u in a.units
                if u.network_id.startswith("R")}
    region_b = {u.postcode: u.network_id.split("-")[0] for u in b.units
                if u.network_id.startswith("R")}
    common = set(region_a) & set(region_b)
    assert all(region_a[d] == region_b[d] for d in common)


# ------------------------------------------------------------------ sizes and validity

@pytest.mark.parametrize(("patients", "units", "referrals"),
                         [(0, 1, None), (5, 1, None), (1, 3, 1), (300, 25, 12), (60, 8, 0)])
def test_sizes_are_as_asked_and_the_files_validate(tmp_path: Path, patients: int, units: int,
                                                   referrals: int | None) -> None:
    inst = generate_instance(3, patients, units, n_referrals=referrals)
    assert len(inst.units) == units
    assert len(inst.patients) == patients
    if referrals is not None:
        assert sum(p.status == "referral" for p in inst.patients) == referrals
    write_instance(inst, tmp_path)
    back, problems = validate(tmp_path)
    assert problems == []
    assert back is not None
    assert back.units == inst.units and back.patients == inst.patients


def test_default_referrals_are_three_percent_of_beds(big: Instance) -> None:
    referrals = sum(p.status == "referral" for p in big.patients)
    beds = sum(u.open_beds for u in big.units)
    assert referrals == pytest.approx(cal.REFERRAL_SHARE_OF_BEDS * beds, abs=2)


def test_every_network_used_is_listed(big: Instance) -> None:
    listed = {n.network_id for n in big.networks}
    used = {u.network_id for u in big.units} | {p.home_network_id for p in big.patients}
    assert used == listed


def test_services_can_be_restricted() -> None:
    inst = generate_instance(4, 200, 20, services=["camhs"])
    assert {u.service for u in inst.units} == {"camhs"}
    assert {p.service for p in inst.patients} == {"camhs"}


@pytest.mark.parametrize("kwargs", [
    {"n_units": 0}, {"n_patients": -1}, {"services": ["dentistry"]}, {"services": []},
    {"occupancy": 0.0}, {"occupancy": 1.5}, {"n_referrals": 11}, {"seed": -1},
])
def test_impossible_arguments_are_refused(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"seed": 1, "n_patients": 10, "n_units": 3, **kwargs}
    with pytest.raises(ValueError):
        generate_instance(**args)  # type: ignore[arg-type]


# ------------------------------------------------------------------ feasibility

def test_no_unit_holds_more_inpatients_than_its_open_beds(big: Instance) -> None:
    load = Counter(p.current_unit_id for p in big.patients if p.status == "inpatient")
    assert all(load[u.unit_id] <= u.open_beds for u in big.units)
    assert any(load[u.unit_id] == u.open_beds for u in big.units)  # some wards are full


def test_inpatients_fit_their_ward_except_the_delayed(big: Instance) -> None:
    units = _units(big)
    delayed = 0
    for p in big.patients:
        if p.status != "inpatient":
            continue
        note = dict(p.extra)["note"]
        fits = is_compatible(p, units[p.current_unit_id or ""])
        assert fits == (note == ""), p.patient_id
        if note:
            delayed += 1
            assert note.startswith(("awaiting step-down", "wrong ward"))
            assert p.movable
            if note.startswith("awaiting"):
                assert any(is_compatible(p, u) for u in big.units)  # a bed type exists
            else:
                assert units[p.current_unit_id or ""].specialist_only and not p.needs
    assert 0 < delayed < 0.05 * len(big.patients)


def test_excluded_units_never_name_the_current_ward(big: Instance) -> None:
    excluded = [p for p in big.patients if p.excluded_units]
    assert excluded
    assert all(p.current_unit_id not in p.excluded_units for p in excluded)


def test_every_referral_has_a_compatible_ward(big: Instance) -> None:
    for p in big.patients:
        if p.status == "referral":
            assert p.current_unit_id is None and p.priority in (1, 2, 3)
            assert any(is_compatible(p, u) for u in big.units), p.patient_id


# ------------------------------------------------------------------ calibration

def test_occupancy_is_about_ninety_percent(big: Instance) -> None:
    inpatients = sum(p.status == "inpatient" for p in big.patients)
    assert inpatients / sum(u.open_beds for u in big.units) == pytest.approx(0.9, abs=0.01)


def test_sex_mix_follows_the_national_figures(big: Instance) -> None:
    secure = [p for p in big.patients if p.service == "adult_secure"]
    women = sum(p.sex == "female" for p in secure) / len(secure)
    assert 0.15 <= women <= 0.30          # 20–23% of secure beds are women's
    ed = [p for p in big.patients if p.service == "eating_disorder"]
    assert sum(p.sex == "female" for p in ed) / len(ed) >= 0.7


def test_out_of_area_share_is_in_the_published_range_and_far(big: Instance) -> None:
    units = _units(big)
    regional = [p for p in big.patients if p.status == "inpatient"
                and not units[p.current_unit_id or ""].network_id.startswith("national")]
    away = [p for p in regional if p.home_network_id != units[p.current_unit_id or ""].network_id]
    share = len(away) / len(regional)
    lo, hi = cal.OUT_OF_AREA_RANGE
    assert lo <= share <= hi

    def km(p):  # type: ignore[no-untyped-def]
        u = units[p.current_unit_id]
        return float(haversine_km(p.home_lat, p.home_lon, u.lat, u.lon))

    near = [km(p) for p in regional if p not in away]
    assert np.median([km(p) for p in away]) > 2 * np.median(near)


def test_homes_are_english_district_centroids(big: Instance) -> None:
    areas = england_areas()
    where = dict(zip(areas.code, zip(areas.lat, areas.lon, strict=True), strict=True))
    for p in big.patients[:500]:
        assert where[p.home_postcode] == (p.home_lat, p.home_lon)


def test_home_network_is_the_region_of_home() -> None:
    inst = generate_instance(5, 300, 60)
    label, _ = regions(3)
    code_region = dict(zip(england_areas().code, label, strict=True))
    for p in inst.patients:
        if p.home_network_id.startswith("R"):
            assert p.home_network_id.startswith(f"R{code_region[p.home_postcode] + 1:02d}-")


# ------------------------------------------------------------------ the patient model's knobs

def _two_units() -> tuple[Unit, ...]:
    """A men's medium ward in Leeds (R-north) and a low ward in London (R-south)."""
    return (
        Unit(unit_id="N", network_id="R01-secure", service="adult_secure", level="medium",
             beds=20, lat=53.80, lon=-1.55, sex="male"),
        Unit(unit_id="S", network_id="R02-secure", service="adult_secure", level="low",
             beds=10, beds_closed=2, lat=51.50, lon=-0.12, sex="male"),
    )


def _homes() -> HomeModel:
    areas = england_areas()
    north = np.where(areas.lat > 52.5, "R01-secure", "R02-secure").astype(object)
    return HomeModel(areas=areas, regional={"adult_secure": north}, national={})


def test_inpatients_fill_exactly_the_open_beds_when_asked() -> None:
    pts = populate_patients(_two_units(), _homes(), np.random.default_rng(0), n_referrals=0,
                            n_inpatients=28)
    assert Counter(p.current_unit_id for p in pts) == {"N": 20, "S": 8}
    with pytest.raises(ValueError):
        populate_patients(_two_units(), _homes(), np.random.default_rng(0), n_referrals=0,
                          n_inpatients=29)


def test_out_of_area_share_zero_keeps_everyone_home_and_one_sends_everyone_away() -> None:
    units = {u.unit_id: u for u in _two_units()}
    for share, expect_away in ((0.0, False), (1.0, True)):
        settings = PopulationSettings(out_of_area_share={"male": share, "female": share})
        pts = populate_patients(tuple(units.values()), _homes(), np.random.default_rng(1),
                                n_referrals=0, settings=settings)
        for p in pts:
            if not dict(p.extra)["note"]:
                away = p.home_network_id != units[p.current_unit_id or ""].network_id
                assert away == expect_away


def test_delayed_share_binds_only_where_a_lower_level_exists() -> None:
    settings = PopulationSettings(delayed_share=1.0, not_movable_share=0.0, excluded_share=0.0)
    pts = populate_patients(_two_units(), _homes(), np.random.default_rng(2), n_referrals=0,
                            settings=settings)
    for p in pts:
        if p.current_unit_id == "N":   # medium, a low ward exists: all step down
            assert p.level == "low" and dict(p.extra)["note"] == "awaiting step-down to low secure"
        else:                          # low: there is no lower level
            assert p.level == "low" and dict(p.extra)["note"] == ""
    none = populate_patients(_two_units(), _homes(), np.random.default_rng(2), n_referrals=0,
                             settings=PopulationSettings(delayed_share=0.0))
    assert all(dict(p.extra)["note"] == "" for p in none)


def test_not_movable_share_zero_and_one() -> None:
    for share in (0.0, 1.0):
        pts = populate_patients(_two_units(), _homes(), np.random.default_rng(3),
                                n_referrals=0, settings=PopulationSettings(
                                    not_movable_share=share, delayed_share=0.0))
        if share == 1.0:
            assert not any(p.movable for p in pts)
        else:  # only restricted patients whose transfer is not agreed stay put
            assert all(p.legal_status in cal.RESTRICTED_STATUSES for p in pts if not p.movable)
            assert any(p.movable for p in pts)


def test_restricted_patients_without_agreement_are_not_movable(big: Instance) -> None:
    inpatients = [p for p in big.patients if p.status == "inpatient"]
    secure = [p for p in inpatients if p.service == "adult_secure"]
    assert {p.legal_status for p in secure} <= set().union(
        *(cal.LEGAL_STATUS_MIX[("adult_secure", lvl)] for lvl in ("high", "medium", "low")))
    restricted = [p for p in secure if p.legal_status in cal.RESTRICTED_STATUSES
                  and not dict(p.extra)["note"]]
    stuck = sum(not p.movable for p in restricted) / len(restricted)
    assert stuck >= 1 - cal.RESTRICTED_TRANSFER_AGREED_SHARE - 0.05
    civil = [p for p in inpatients if p.legal_status in ("informal", "s2", "s3")]
    assert sum(not p.movable for p in civil) / len(civil) < 0.2


def test_dates_lie_either_side_of_the_start(big: Instance) -> None:
    for p in big.patients:
        if p.status == "inpatient":
            assert p.admitted_on is not None and p.expected_discharge is not None
            assert p.admitted_on < cal.REFERENCE_DATE < p.expected_discharge
        else:
            assert p.expected_discharge is None


def test_specialist_wards_hold_mostly_patients_with_their_need(big: Instance) -> None:
    units = _units(big)
    special = [u for u in big.units if u.specialist_only]
    assert special and all(u.specialisms for u in special)
    inside = [p for p in big.patients if p.status == "inpatient"
              and units[p.current_unit_id or ""].specialist_only]
    fits = sum(bool(p.needs & units[p.current_unit_id or ""].specialisms) for p in inside)
    assert fits / len(inside) >= 0.9
    assert any(not u.accepts_referrals for u in big.units)


def test_prices_differ_by_provider_type(big: Instance) -> None:
    for u in big.units:
        assert u.cost_per_day == cal.cost_per_day(u.service, u.level, u.provider_type)
    medium = {u.provider_type: u.cost_per_day for u in big.units if u.level == "medium"
              and u.service == "adult_secure"}
    assert medium["independent"] > medium["nhs"]


def test_future_referrals_arrive_over_the_horizon() -> None:
    rng = np.random.default_rng(5)
    pts = populate_patients(_two_units(), _homes(), rng, n_referrals=2, future_days=84)
    tonight = [p for p in pts if p.status == "referral" and p.arrives_on is None]
    later = [p for p in pts if p.status == "referral" and p.arrives_on is not None]
    assert len(tonight) == 2 and later
    start = cal.REFERENCE_DATE
    assert all(start < (p.arrives_on or start) <= start + timedelta(days=84) for p in later)
    ids = [p.patient_id for p in pts if p.status == "referral"]
    assert len(set(ids)) == len(ids)
    # Little's law: about 84 x inpatients / mean stay arrive (medium: 3 years, low: 18 months)
    expected = 84 * (20 * 0.9 / cal.MEAN_STAY_DAYS[("adult_secure", "medium")]
                     + 8 * 0.9 / cal.MEAN_STAY_DAYS[("adult_secure", "low")])
    assert 0 < len(later) < 4 * expected + 5


def test_referrals_need_an_open_bed_somewhere() -> None:
    closed = tuple(Unit(unit_id=u.unit_id, network_id=u.network_id, service=u.service,
                        level=u.level, beds=3, beds_closed=3, lat=u.lat, lon=u.lon)
                   for u in _two_units())
    with pytest.raises(ValueError):
        populate_patients(closed, _homes(), np.random.default_rng(0), n_referrals=1)


def test_regional_home_model_covers_every_area() -> None:
    model = regional_home_model(["adult_secure", "camhs"], 4)
    nets = model.networks("adult_secure", "medium")
    assert len(nets) == len(england_areas())
    assert set(nets) == {f"R0{r}-secure" for r in range(1, 5)}
    assert set(model.networks("adult_secure", "high")) == {"national-high-secure"}


def test_a_generated_instance_gives_the_optimiser_work() -> None:
    solve = pytest.importorskip("optimiser.core.solve").solve
    inst = generate_instance(8, 400, 30, distance="geodesic")
    result = solve(inst)
    assert result.status == "optimal"
    assert result.metrics.moves > 0          # out-of-area and delayed inpatients to move
    assert result.metrics.placed >= sum(p.status == "inpatient" for p in inst.patients)


def test_generated_instances_can_carry_future_referrals() -> None:
    plain = generate_instance(9, 300, 25)
    later = generate_instance(9, 300, 25, future_days=28)
    assert all(p.arrives_on is None for p in plain.patients)
    arriving = [p for p in later.patients if p.arrives_on is not None]
    assert arriving and len(later.patients) == len(plain.patients) + len(arriving)
    _, problems = validate_instance_rows(later)
    assert problems == []


def test_the_policy_starts_the_plan_on_the_census_night_the_dates_are_drawn_around(
        tmp_path: Path) -> None:
    inst = generate_instance(9, 300, 25, future_days=28)
    start = inst.policy.plan.start
    assert start is not None and start == cal.REFERENCE_DATE
    assert all(start < (p.expected_discharge or p.arrives_on or start) for p in inst.patients
               if p.expected_discharge or p.arrives_on)
    write_instance(inst, tmp_path)
    assert f"[plan]\nstart = {start.isoformat()}" in (tmp_path / "policy.toml").read_text()


def validate_instance_rows(inst: Instance) -> tuple[Instance | None, list[object]]:
    """Write and read back through the contract's validation."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        write_instance(inst, Path(d))
        back, problems = validate(Path(d))
    return back, list(problems)
