"""Reading and writing instances: values and defaults, CSV and Excel round trips."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import zipfile

import openpyxl
import pytest

from models.domain import (
    Geography,
    Instance,
    Limits,
    Link,
    Network,
    Patient,
    Place,
    Policy,
    SolverSettings,
    Unit,
)
from models.io import read_instance, validate, write_instance, write_workbook


def same(a: Instance, b: Instance) -> bool:
    """Equal apart from where each was read from (``source``)."""
    return dataclasses.replace(a, source="") == dataclasses.replace(b, source="")


# --- values and defaults


def test_tiny_instance_values(tiny_instance):
    inst = read_instance(tiny_instance)
    assert inst.source == str(tiny_instance)
    assert [u.unit_id for u in inst.units] == ["U1", "U2", "U3", "U4"]
    u1, u2, u3, _ = inst.units
    assert u1 == Unit(unit_id="U1", network_id="N1", service="adult_secure", level="medium",
                      beds=2, lat=51.5, lon=-0.12, name="Ward One", provider="Trust A",
                      provider_type="nhs", sex="male", specialisms=frozenset({"ld"}),
                      beds_closed=0, cost_per_day=450.0)
    assert (u2.open_beds, u2.cost_per_day) == (2, 520.5)
    assert (u3.beds_closed, u3.cost_per_day) == (0, 0.0)  # blank → defaults
    assert inst.networks == (Network("N1", "North", "Trust A"), Network("N2", "South", "Trust B"))
    p1, p2, p3, _, r1, r2 = inst.patients
    assert p1 == Patient(patient_id="P1", status="inpatient", service="adult_secure",
                         level="medium", sex="male", age=34, home_lat=51.6, home_lon=-0.2,
                         home_network_id="N1", current_unit_id="U1", movable=True,
                         admitted_on=dt.date(2026, 1, 5))
    assert p2.movable is False and p3.movable is True  # "no", blank → default true
    assert (r1.current_unit_id, r1.priority, r1.needs) == (None, 2, frozenset({"ld"}))
    assert (p1.priority, r2.excluded_units) == (1, frozenset({"U2"}))


def test_age_defaults_by_service_stay_blank_in_the_dataclass(tiny_instance):
    units = read_instance(tiny_instance).units
    assert (units[0].age_min, units[0].age_max) == (None, None)
    assert (units[0].min_age, units[0].max_age) == (18, 120)
    assert (units[3].min_age, units[3].max_age) == (12, 17)


def test_blank_unit_sex_is_mixed_and_enums_ignore_case(make_instance, tiny_tables):
    tiny_tables["units"][0]["sex"] = ""
    tiny_tables["units"][1]["service"] = "ADULT_SECURE"
    tiny_tables["units"][1]["level"] = "Medium"
    tiny_tables["patients"][0]["status"] = "InPatient"
    units = read_instance(make_instance(**tiny_tables)).units
    assert units[0].sex == "mixed"
    assert (units[1].service, units[1].level) == ("adult_secure", "medium")


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("TRUE", True), ("Yes", True), ("1", True), ("false", False),
    ("False", False), ("NO", False), ("0", False), ("", True), (" yes ", True)])
def test_booleans(make_instance, tiny_tables, text, value):
    tiny_tables["patients"][0]["movable"] = text
    assert read_instance(make_instance(**tiny_tables)).patients[0].movable is value


@pytest.mark.parametrize(("text", "value"), [("12", 12), ("12.0", 12), (" 7 ", 7), ("0", 0)])
def test_integers_may_be_written_with_point_zero(make_instance, tiny_tables, text, value):
    tiny_tables["units"][0]["beds"] = text
    tiny_tables["units"][0]["beds_closed"] = ""
    assert read_instance(make_instance(**tiny_tables)).units[0].beds == value


def test_tags_are_split_stripped_lowercased(make_instance, tiny_tables):
    tiny_tables["units"][0]["specialisms"] = " LD ; asd;;Deaf; "
    tiny_tables["patients"][4]["needs"] = "Ld;"
    tiny_tables["patients"][4]["excluded_units"] = "U2 ; U3;"
    inst = read_instance(make_instance(**tiny_tables))
    assert inst.units[0].specialisms == frozenset({"ld", "asd", "deaf"})
    assert inst.patients[4].needs == frozenset({"ld"})
    assert inst.patients[4].excluded_units == frozenset({"U2", "U3"})  # ids keep their case


def test_postcodes_resolve_when_coordinates_are_blank(make_instance, tiny_tables):
    tiny_tables["patients"][0].update(home_lat="", home_lon="", home_postcode="se5")
    tiny_tables["patients"][1].update(home_postcode="M1")  # coordinates given: they win
    inst = read_instance(make_instance(**tiny_tables))
    p1, p2 = inst.patients[:2]
    assert abs(p1.home_lat - 51.474) < 0.01 and abs(p1.home_lon + 0.096) < 0.01
    assert (p2.home_lat, p2.home_lon, p2.home_postcode) == (52.4, -1.8, "M1")


def test_extra_columns_are_kept_in_order(make_instance, tiny_tables):
    for row in tiny_tables["units"]:
        row["Ward Manager"] = "Ann"
        row["notes"] = ""
    inst = read_instance(make_instance(**tiny_tables))
    assert inst.units[0].extra == (("Ward Manager", "Ann"), ("notes", ""))


def test_header_names_are_matched_case_insensitively(make_instance, tiny_tables):
    rows = [{k.upper(): v for k, v in r.items()} for r in tiny_tables["networks"]]
    inst = read_instance(make_instance(networks=rows))
    assert [n.network_id for n in inst.networks] == ["N1", "N2"]


# --- round trips


def rich_instance() -> Instance:
    """Every field away from its default, extra columns, networks, policy and geography."""
    units = (
        Unit("A1", "N1", "adult_secure", "high", 12, 51.501, -0.125, name='Ward "A", east',
             provider="Trust", provider_type="nhs", sex="male", age_min=21, age_max=65,
             specialisms=frozenset({"ld", "asd"}), beds_closed=2, cost_per_day=612.35,
             postcode="SE1 7EH", extra=(("ward_phone", "0207"), ("note", "=1+1"))),
        Unit("B2", "N2", "camhs", "picu", 0, 53.0, -1.5),
    )
    patients = (
        Patient("P1", "inpatient", "adult_secure", "high", "male", 40, 51.6, -0.3, "N1",
                needs=frozenset({"ld"}), current_unit_id="A1", movable=False,
                excluded_units=frozenset({"B2"}), admitted_on=dt.date(2025, 12, 24),
                home_postcode="SE5", extra=(("keyworker", "Bo"),)),
        Patient("R1", "referral", "camhs", "picu", "female", 14, 53.1, -1.4, "N2", priority=3),
    )
    return Instance(
        units=units, patients=patients,
        networks=(Network("N1", "North", "Lead", extra=(("region", "NE"),)), Network("N2")),
        policy=Policy(distance="geodesic", limits=Limits(max_moves=4),
                      solver=SolverSettings(name="cbc", time_limit=30.0, threads=2)),
        geography=Geography(places=(Place("X", 51.5, -0.1), Place("Y", 53.0, -1.5)),
                            links=(Link("X", "Y", 210.5),)),
    )


def test_csv_round_trip_gives_the_instance_back(tmp_path):
    inst = rich_instance()
    write_instance(inst, tmp_path / "out")
    back = read_instance(tmp_path / "out")
    assert same(back, inst)
    assert back.units[0].extra == inst.units[0].extra  # extra is not compared by ==
    assert back.patients[0].extra == inst.patients[0].extra
    assert back.networks[0].extra == (("region", "NE"),)


def test_round_trip_of_the_tiny_instance(tiny_instance, tmp_path):
    inst = read_instance(tiny_instance)
    write_instance(inst, tmp_path / "again")
    assert same(read_instance(tmp_path / "again"), inst)


def test_writing_is_deterministic_and_canonical(tmp_path):
    write_instance(rich_instance(), tmp_path / "a")
    write_instance(rich_instance(), tmp_path / "b")
    names = ["units.csv", "patients.csv", "networks.csv", "policy.toml",
             "geography/places.csv", "geography/links.csv"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    units = (tmp_path / "a" / "units.csv").read_text(encoding="utf-8").splitlines()
    assert units[0] == ("unit_id,name,provider,provider_type,network_id,service,level,sex,"
                        "age_min,age_max,specialisms,beds,beds_closed,cost_per_day,lat,lon,"
                        "postcode,ward_phone,note")
    assert units[1] == ('A1,"Ward ""A"", east",Trust,nhs,N1,adult_secure,high,male,21,65,'
                        "asd;ld,12,2,612.35,51.501,-0.125,SE1 7EH,0207,=1+1")
    assert units[2] == "B2,,,,N2,camhs,picu,mixed,,,,0,0,0.0,53.0,-1.5,,,"
    assert not list((tmp_path / "a").glob(".*.tmp"))


def test_rewriting_drops_stale_optional_files(tmp_path):
    write_instance(rich_instance(), tmp_path / "out")
    plain = dataclasses.replace(rich_instance(), networks=(), geography=None, policy=Policy())
    write_instance(plain, tmp_path / "out")
    assert not (tmp_path / "out" / "networks.csv").exists()
    assert not (tmp_path / "out" / "geography" / "places.csv").exists()
    assert same(read_instance(tmp_path / "out"), plain)


def test_excel_round_trip(tmp_path):
    inst = dataclasses.replace(rich_instance(), geography=None, policy=Policy())
    write_workbook(inst, tmp_path / "beds.xlsx")
    back = read_instance(tmp_path / "beds.xlsx")
    assert same(back, inst)
    assert back.units[0].extra == (("ward_phone", "0207"), ("note", "=1+1"))


def test_excel_reads_a_policy_toml_beside_it(tmp_path):
    write_workbook(rich_instance(), tmp_path / "beds.xlsx")
    (tmp_path / "policy.toml").write_text("[limits]\nmax_moves = 4\n")
    assert read_instance(tmp_path / "beds.xlsx").policy.limits.max_moves == 4


def test_excel_typed_cells_are_converted(tmp_path, tiny_instance):
    """Numbers, booleans and dates typed in Excel read as their CSV text would."""
    write_workbook(read_instance(tiny_instance), tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    ws = wb["patients"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("age") + 1).value = 34.0
    ws.cell(2, header.index("admitted_on") + 1).value = dt.datetime(2026, 2, 1)
    ws.cell(3, header.index("movable") + 1).value = True
    ws.append([])  # trailing empty row
    wb.save(tmp_path / "b.xlsx")
    inst = read_instance(tmp_path / "b.xlsx")
    assert inst.patients[0].age == 34
    assert inst.patients[0].admitted_on == dt.date(2026, 2, 1)
    assert inst.patients[1].movable is True


def test_excel_problems_name_the_sheet(tmp_path, tiny_instance):
    write_workbook(read_instance(tiny_instance), tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    ws = wb["patients"]
    ws.cell(3, 6).value = "old"  # P2's age
    del wb["units"]
    wb.save(tmp_path / "b.xlsx")
    assert [str(p) for p in validate(tmp_path / "b.xlsx")[1]] == [
        "b.xlsx: missing sheet 'units': the workbook needs sheets units and patients",
        "b.xlsx[patients]:3: age: 'old' is not a whole number",
    ]


def test_a_file_that_is_not_a_workbook(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "y.xlsx").write_bytes(b"")
    with zipfile.ZipFile(tmp_path / "z.xlsx", "w") as zf:
        zf.writestr("hello.txt", "a zip but not a workbook")
    for name in ("x.xlsx", "y.xlsx", "z.xlsx"):
        instance, problems = validate(tmp_path / name)
        assert instance is None
        assert len(problems) == 1
        assert str(problems[0]).startswith(f"{name}: not a readable .xlsx workbook (")


# --- speed


def test_reading_20000_patients_is_fast(make_instance, tiny_tables):
    base = tiny_tables["patients"]
    rows = []
    for i in range(20_000):
        row = dict(base[i % len(base)])
        row["patient_id"] = f"X{i}"
        rows.append(row)
    path = make_instance(patients=rows)
    start = time.perf_counter()
    inst = read_instance(path)
    seconds = time.perf_counter() - start
    assert len(inst.patients) == 20_000
    assert inst.patients[19_999].patient_id == "X19999"
    assert seconds < 3.0  # about 0.35 s on the shared 2-core machine


@pytest.mark.slow
def test_reading_100000_patients_takes_seconds(make_instance, tiny_tables):
    base = tiny_tables["patients"]
    rows = [dict(base[i % len(base)], patient_id=f"X{i}") for i in range(100_000)]
    path = make_instance(patients=rows)
    start = time.perf_counter()
    inst = read_instance(path)
    assert len(inst.patients) == 100_000
    assert time.perf_counter() - start < 6.0  # about 1.7 s measured


def _toy_world(tmp_path, with_geography: bool):
    """A two-ward instance on the equator (a toy network, as a test author might draw)."""
    d = tmp_path / ("geo" if with_geography else "plain")
    d.mkdir()
    (d / "units.csv").write_text(
        "unit_id,network_id,service,level,beds,lat,lon\n"
        "U1,N,camhs,general,1,0.0,10.0\nU2,N,camhs,general,1,0.0,10.5\n", encoding="utf-8")
    (d / "patients.csv").write_text(
        "patient_id,status,service,level,sex,age,home_lat,home_lon,home_network_id\n"
        "R1,referral,camhs,general,female,15,0.0,10.1,N\n", encoding="utf-8")
    if with_geography:
        (d / "geography").mkdir()
        (d / "geography" / "places.csv").write_text(
            "place_id,lat,lon\nA,0.0,10.0\nB,0.0,10.5\n", encoding="utf-8")
        (d / "geography" / "links.csv").write_text("from,to,km\nA,B,60\n", encoding="utf-8")
    return d


def test_custom_geography_lets_coordinates_lie_anywhere(tmp_path):
    from models.io import read_instance

    inst = read_instance(_toy_world(tmp_path, with_geography=True))
    assert inst.units[0].lat == 0.0 and inst.geography is not None


def test_without_custom_geography_coordinates_must_be_in_the_british_isles(tmp_path):
    from models.errors import InputError
    from models.io import read_instance

    with pytest.raises(InputError) as err:
        read_instance(_toy_world(tmp_path, with_geography=False))
    assert "units.csv:2: lat: 0 is outside the British Isles" in str(err.value)


def test_contract_1_2_columns_round_trip_and_stay_out_when_unused(tmp_path):
    import datetime as dt

    inst = rich_instance()
    units = (dataclasses.replace(inst.units[0], specialist_only=True, function="ld ward"),
             dataclasses.replace(inst.units[1], accepts_referrals=False))
    patients = tuple(
        dataclasses.replace(p, legal_status="s37/41", expected_discharge=dt.date(2027, 3, 1))
        if not p.is_referral else dataclasses.replace(p, arrives_on=dt.date(2026, 12, 9))
        for p in inst.patients)
    marked = dataclasses.replace(inst, units=units, patients=patients)
    write_instance(marked, tmp_path / "new")
    back = read_instance(tmp_path / "new")
    assert same(back, marked)
    assert back.units[0].specialist_only and not back.units[1].accepts_referrals
    header = (tmp_path / "new" / "patients.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "legal_status,expected_discharge,arrives_on" in header

    write_instance(inst, tmp_path / "old")  # nobody uses them: the 1.1 header, unchanged
    for name in ("units.csv", "patients.csv"):
        text = (tmp_path / "old" / name).read_text(encoding="utf-8")
        assert "specialist_only" not in text and "expected_discharge" not in text
    assert read_instance(tmp_path / "old").units[1].accepts_referrals is True


# --- the cache of parsed instances (read_instance_cached: bedplan suggest)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(folder))
    monkeypatch.delenv("BEDPLAN_NO_CACHE", raising=False)
    return folder


def _cached(path, **kwargs):
    from models.io import read_instance_cached

    return read_instance_cached(path, **kwargs)


def test_a_valid_instance_is_read_from_the_cache_the_second_time(cache_dir, tmp_path):
    from models import instance_cache

    write_instance(rich_instance(), tmp_path / "rich")
    first, hit1 = _cached(tmp_path / "rich")
    second, hit2 = _cached(tmp_path / "rich")
    assert (hit1, hit2) == (False, True)
    assert instance_cache.same(second, first) and second.source == str(tmp_path / "rich")
    assert second.geography == first.geography and second.policy == first.policy
    (file,) = cache_dir.glob("instance-*.json")
    assert oct(file.stat().st_mode & 0o777) == "0o600"
    assert oct(cache_dir.stat().st_mode & 0o777) == "0o700"
    assert read_instance(tmp_path / "rich", cache=True) == first  # the flag, same answer


def test_a_read_without_plan_is_cached_apart_from_one_with_it(cache_dir, tiny_instance):
    """A cached ``plan=False`` read (suggest: [plan] not read) must not serve a command that
    reads [plan]: its mistake there is still found, and its values are not the defaults."""
    (tiny_instance / "policy.toml").write_text("[plan]\nnights = 0\n", encoding="utf-8")
    instance, hit = _cached(tiny_instance, plan=False)
    assert not hit and instance.policy.plan.nights == 28
    assert _cached(tiny_instance, plan=False)[1]  # the same read: from the cache
    from models.errors import InputError

    with pytest.raises(InputError, match=r"plan\.nights"):
        _cached(tiny_instance, plan=True)
    (tiny_instance / "policy.toml").write_text("[plan]\nnights = 7\n", encoding="utf-8")
    assert _cached(tiny_instance, plan=False)[0].policy.plan.nights == 28
    assert _cached(tiny_instance, plan=True)[0].policy.plan.nights == 7


@pytest.mark.parametrize("change", ["units.csv", "patients.csv", "networks.csv",
                                    "policy.toml", "geography/links.csv", "geography/places.csv",
                                    "a new policy.toml"])
def test_a_changed_byte_in_any_file_read_is_a_new_key(cache_dir, tmp_path, change):
    """Keyed by the bytes: a blank line more changes no value, yet nothing is reused."""
    folder = tmp_path / "rich"
    write_instance(rich_instance(), folder)
    if change == "a new policy.toml":
        (folder / "policy.toml").unlink()
    before, _ = _cached(folder)
    assert _cached(folder)[1]
    if change == "a new policy.toml":
        (folder / "policy.toml").write_text("", encoding="utf-8")
    else:
        with open(folder / change, "a", encoding="utf-8") as fh:
            fh.write("\n")
    after, hit = _cached(folder)
    assert not hit and same(after, before)
    assert _cached(folder)[1]


def test_a_changed_value_is_read_anew(cache_dir, make_instance, tiny_tables):
    path = make_instance(**tiny_tables)
    assert _cached(path)[0].units[0].name == "Ward One"
    tiny_tables["units"][0]["name"] = "Ward One (renamed)"
    tiny_tables["patients"][0]["legal_status"] = "s3"
    make_instance(**tiny_tables)  # the same folder, rewritten
    again, hit = _cached(path)
    assert not hit and again.units[0].name == "Ward One (renamed)"
    assert again.patients[0].legal_status == "s3"


def test_invalid_input_is_reported_every_time_and_never_cached(cache_dir, make_instance,
                                                               tiny_tables):
    from models.errors import InputError

    tiny_tables["units"][0]["beds"] = "many"
    path = make_instance(**tiny_tables)
    for _ in range(2):
        with pytest.raises(InputError, match="beds"):
            _cached(path)
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []


def test_policy_overrides_are_part_of_the_key_and_checked_every_time(cache_dir,
                                                                     tiny_instance):
    from models.errors import InputError

    road, _ = _cached(tiny_instance, policy_overrides={"distance": "road"})
    geodesic, hit = _cached(tiny_instance, policy_overrides={"distance": "geodesic"})
    assert not hit and (road.policy.distance, geodesic.policy.distance) == ("road", "geodesic")
    assert _cached(tiny_instance, policy_overrides={"distance": "geodesic",
                                                    "max_moves": None})[1]
    for _ in range(2):
        with pytest.raises(InputError, match="distance"):
            _cached(tiny_instance, policy_overrides={"distance": "flying"})


@pytest.mark.parametrize("damage", ["byte", "truncated", "other key", "empty"])
def test_a_damaged_cache_file_is_ignored(cache_dir, tiny_instance, damage):
    first, _ = _cached(tiny_instance)
    (file,) = cache_dir.glob("instance-*.json")
    data = file.read_bytes()
    if damage == "byte":
        at = data.index(b'"U2"')
        data = data[:at] + b'"U9"' + data[at + 4:]  # the checksum no longer matches
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "other key":
        data = data.replace(file.stem.removeprefix("instance-").encode(), b"0" * 64, 1)
    else:
        data = b""
    file.write_bytes(data)
    again, hit = _cached(tiny_instance)
    assert not hit and again == first and again.units[1].unit_id == "U2"
    assert _cached(tiny_instance)[1]  # stored again, good


def test_caches_off_and_workbooks_read_as_usual(cache_dir, tiny_instance, tmp_path,
                                                monkeypatch):
    write_workbook(read_instance(tiny_instance), tmp_path / "book.xlsx")
    assert _cached(tmp_path / "book.xlsx")[1] is False
    assert _cached(tmp_path / "book.xlsx")[1] is False
    monkeypatch.setenv("BEDPLAN_NO_CACHE", "1")
    assert [_cached(tiny_instance)[1] for _ in range(2)] == [False, False]
    assert not cache_dir.exists()


def test_a_new_version_of_the_reading_code_is_a_new_key(cache_dir, tiny_instance,
                                                        monkeypatch):
    from models import io as models_io

    _cached(tiny_instance)
    assert _cached(tiny_instance)[1]
    monkeypatch.setattr(models_io, "code_digest", lambda: "another version")
    assert not _cached(tiny_instance)[1]
    assert len(list(cache_dir.glob("instance-*.json"))) == 2


def test_the_code_digest_names_the_modules_data_and_postcode_libraries():
    from models.io import code_digest

    assert code_digest() == code_digest() and len(code_digest()) == 64


def test_only_the_most_recent_instances_are_kept(cache_dir, make_instance, tiny_tables,
                                                 monkeypatch):
    from models import instance_cache

    monkeypatch.setattr(instance_cache, "KEEP", 2)
    for k in range(4):
        tiny_tables["units"][0]["name"] = f"Ward {k}"
        _cached(make_instance(f"i{k}", **tiny_tables))
        time.sleep(0.01)
    assert len(list(cache_dir.glob("instance-*.json"))) == 2
    assert _cached(cache_dir.parent / "i3")[1] and not _cached(cache_dir.parent / "i0")[1]


def test_a_read_from_the_cache_imports_no_validation(cache_dir, tiny_instance):
    import os
    import subprocess
    import sys

    code = ("import sys\nfrom models.io import read_instance_cached\n"
            f"print(read_instance_cached({str(tiny_instance)!r})[1], "
            "'models.validation' in sys.modules, 'models.readers' in sys.modules)")
    env = {**os.environ, "BEDPLAN_CACHE_DIR": str(cache_dir)}

    def run() -> str:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, env=env).stdout.strip()

    assert run() == "False True True"
    assert run() == "True False False"


# --------------------------------------------------------------- what is there but not a file

@pytest.mark.parametrize("name", ["policy.toml", "networks.csv"])
def test_an_optional_file_that_is_a_directory_is_a_problem(tiny_instance, name):
    (tiny_instance / name).unlink(missing_ok=True)
    (tiny_instance / name).mkdir()
    _, problems = validate(tiny_instance)
    assert [str(p) for p in problems] == [
        f"{name}: is not a regular file (a directory?): {name} must be a file, or be left out"]


def test_an_optional_file_left_out_is_no_problem(tiny_instance):
    (tiny_instance / "policy.toml").unlink(missing_ok=True)
    assert validate(tiny_instance)[1] == []


def test_geography_that_is_a_file_is_a_problem(tiny_instance):
    (tiny_instance / "geography").write_text("places\n", encoding="utf-8")
    _, problems = validate(tiny_instance)
    assert [p.message for p in problems] == [
        "is a file: a custom travel network is a folder geography/ holding places.csv and "
        "links.csv"]


def test_an_empty_geography_folder_keeps_the_built_in_network(tiny_instance):
    (tiny_instance / "geography").mkdir()
    instance, problems = validate(tiny_instance)
    assert problems == [] and instance is not None and instance.geography is None
