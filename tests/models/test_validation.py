"""Every validation rule of the contract: a failing example (with its exact message) and a
passing one, on the tiny instance of tests/conftest.py.

Row numbers are spreadsheet rows: units U1..U4 are rows 2..5, patients P1..P4 rows 2..5,
R1 row 6 and R2 row 7.
"""

from __future__ import annotations

import copy

import pytest

from models.errors import InputError
from models.io import read_instance, validate

#: What every unit and patient of network N2 says once N2 is gone from networks.csv.
UNKNOWN_N2 = [
    "units.csv:3: network_id: unknown network 'N2' (not in networks.csv)",
    "units.csv:5: network_id: unknown network 'N2' (not in networks.csv)",
    "patients.csv:3: home_network_id: unknown network 'N2' (not in networks.csv)",
    "patients.csv:5: home_network_id: unknown network 'N2' (not in networks.csv)",
    "patients.csv:7: home_network_id: unknown network 'N2' (not in networks.csv)",
]

# (table, index, column, value)
Edit = tuple[str, int, str, str]

CASES: list[tuple[str, list[Edit], list[str], list[Edit]]] = [
    # --- units.csv
    ("unit_id blank", [("units", 2, "unit_id", "")],
     ["units.csv:4: unit_id: required, but blank",
      "patients.csv:4: current_unit_id: unknown unit 'U3'"],
     [("units", 2, "unit_id", " U3 ")]),
    ("unit_id duplicate", [("units", 1, "unit_id", "U1")],
     ["units.csv:3: unit_id: duplicate unit_id 'U1' (first on row 2)",
      "patients.csv:3: current_unit_id: unknown unit 'U2'",
      "patients.csv:7: excluded_units: unknown unit 'U2'"],
     [("units", 1, "unit_id", "U2")]),
    ("network_id blank", [("units", 0, "network_id", "")],
     ["units.csv:2: network_id: required, but blank"], [("units", 0, "network_id", "N2")]),
    ("network_id unknown", [("units", 0, "network_id", "N9")],
     ["units.csv:2: network_id: unknown network 'N9' (not in networks.csv)"],
     [("units", 0, "network_id", "N2")]),
    ("service invalid", [("units", 0, "service", "adult")],
     ["units.csv:2: service: 'adult' is not a service: use adult_secure, camhs or "
      "eating_disorder"],
     [("units", 0, "service", "Adult_Secure")]),
    ("service blank", [("units", 0, "service", "")],
     ["units.csv:2: service: required, but blank"], [("units", 0, "service", "adult_secure")]),
    ("level of another service", [("units", 0, "level", "picu")],
     ["units.csv:2: level: 'picu' is not a level of adult_secure: use high, medium or low"],
     [("units", 0, "level", "high")]),
    ("level of no service", [("units", 3, "level", "secure")],
     ["units.csv:5: level: 'secure' is not a level: use general, high, low, medium or picu"],
     [("units", 3, "level", "picu")]),
    ("level of eating disorders", [("units", 3, "service", "eating_disorder"),
                                   ("units", 3, "level", "low")],
     ["units.csv:5: level: 'low' is not a level of eating_disorder: use general"],
     [("units", 3, "service", "eating_disorder"), ("units", 3, "level", "general")]),
    ("unit sex", [("units", 0, "sex", "men")],
     ["units.csv:2: sex: 'men' is not a ward sex: use male, female or mixed"],
     [("units", 0, "sex", "")]),
    ("provider_type", [("units", 0, "provider_type", "private")],
     ["units.csv:2: provider_type: 'private' is not a provider type: use nhs or independent"],
     [("units", 0, "provider_type", "independent")]),
    ("age_min not whole", [("units", 0, "age_min", "12.5")],
     ["units.csv:2: age_min: '12.5' is not a whole number"], [("units", 0, "age_min", "12.0")]),
    ("age_min with Python's digit separator", [("units", 0, "age_min", "1_2")],
     ["units.csv:2: age_min: '1_2' is not a whole number"], [("units", 0, "age_min", "12")]),
    ("cost_per_day with Python's digit separator", [("units", 0, "cost_per_day", "1_000")],
     ["units.csv:2: cost_per_day: '1_000' is not a number"],
     [("units", 0, "cost_per_day", "1000")]),
    ("age_max above 120", [("units", 0, "age_max", "130")],
     ["units.csv:2: age_max: must be between 0 and 120, got 130"],
     [("units", 0, "age_max", "120")]),
    ("age_min negative", [("units", 0, "age_min", "-1")],
     ["units.csv:2: age_min: must be between 0 and 120, got -1"],
     [("units", 0, "age_min", "0")]),
    ("age_min above age_max", [("units", 0, "age_min", "60"), ("units", 0, "age_max", "40")],
     ["units.csv:2: age_min: age_min 60 is above age_max 40"],
     [("units", 0, "age_min", "40"), ("units", 0, "age_max", "40")]),
    ("age_min above camhs default", [("units", 3, "age_min", "18")],
     ["units.csv:5: age_min: age_min 18 is above age_max 17 (camhs default)"],
     [("units", 3, "age_min", "17")]),
    ("beds negative", [("units", 0, "beds", "-1")],
     ["units.csv:2: beds: must be >= 0, got -1"], [("units", 0, "beds", "0"),
                                                   ("units", 0, "beds_closed", "0")]),
    ("beds beyond any ward", [("units", 0, "beds", "99999999999999999999999")],
     ["units.csv:2: beds: 1e+23 is implausibly large (at most 1e+06)"],
     [("units", 0, "beds", "1000000")]),
    ("cost_per_day absurd", [("units", 0, "cost_per_day", "1e300")],
     ["units.csv:2: cost_per_day: 1e+300 is implausibly large (at most 1e+09)"],
     [("units", 0, "cost_per_day", "950")]),
    ("beds blank", [("units", 0, "beds", "")],
     ["units.csv:2: beds: required, but blank"], [("units", 0, "beds", "2.0")]),
    ("beds not whole", [("units", 0, "beds", "2.5")],
     ["units.csv:2: beds: '2.5' is not a whole number"], [("units", 0, "beds", "12")]),
    ("beds_closed above beds", [("units", 1, "beds_closed", "4")],
     ["units.csv:3: beds_closed: 4 closed beds but only 3 beds"],
     [("units", 1, "beds_closed", "3")]),
    ("beds_closed negative", [("units", 1, "beds_closed", "-1")],
     ["units.csv:3: beds_closed: must be >= 0, got -1"], [("units", 1, "beds_closed", "")]),
    ("cost negative", [("units", 0, "cost_per_day", "-5")],
     ["units.csv:2: cost_per_day: must be >= 0, got -5"], [("units", 0, "cost_per_day", "0")]),
    ("cost not a number", [("units", 0, "cost_per_day", "£450")],
     ["units.csv:2: cost_per_day: '£450' is not a number"],
     [("units", 0, "cost_per_day", "450.75")]),
    ("lat south of Jersey", [("units", 0, "lat", "48.9")],
     ["units.csv:2: lat: 48.9 is outside the British Isles (latitude 49.0 to 61.0)"],
     [("units", 0, "lat", "49.19"), ("units", 0, "lon", "-2.11")]),
    ("lat north of Shetland", [("units", 0, "lat", "61.1")],
     ["units.csv:2: lat: 61.1 is outside the British Isles (latitude 49.0 to 61.0)"],
     [("units", 0, "lat", "60.8"), ("units", 0, "lon", "-0.8")]),
    ("lon west of Ireland", [("units", 0, "lon", "-11.5")],
     ["units.csv:2: lon: -11.5 is outside the British Isles (longitude -11.0 to 2.0)"],
     [("units", 0, "lat", "54.6"), ("units", 0, "lon", "-5.93")]),
    ("lon east of Lowestoft", [("units", 0, "lon", "2.1")],
     ["units.csv:2: lon: 2.1 is outside the British Isles (longitude -11.0 to 2.0)"],
     [("units", 0, "lat", "52.48"), ("units", 0, "lon", "1.75")]),
    ("lat and lon swapped", [("units", 0, "lat", "-0.12"), ("units", 0, "lon", "51.5")],
     ["units.csv:2: lat: -0.12 is outside the British Isles (latitude 49.0 to 61.0); "
      "are lat and lon swapped?",
      "units.csv:2: lon: 51.5 is outside the British Isles (longitude -11.0 to 2.0); "
      "are lat and lon swapped?"],
     [("units", 0, "lat", "51.5"), ("units", 0, "lon", "-0.12")]),
    ("lat not a number", [("units", 0, "lat", "nan")],
     ["units.csv:2: lat: 'nan' is not a number"], [("units", 0, "lat", "51")]),
    ("lat blank with lon", [("units", 0, "lat", "")],
     ["units.csv:2: lat: blank while lon is given"], [("units", 0, "lat", "51.51")]),
    ("no coordinates, no postcode", [("units", 0, "lat", ""), ("units", 0, "lon", "")],
     ["units.csv:2: lat: required, but blank: give lat and lon (or give postcode)"],
     [("units", 0, "lat", ""), ("units", 0, "lon", ""), ("units", 0, "postcode", "SE5")]),
    ("unknown postcode", [("units", 0, "lat", ""), ("units", 0, "lon", ""),
                          ("units", 0, "postcode", "ZZ99")],
     ["units.csv:2: postcode: unknown postcode 'ZZ99'"],
     [("units", 0, "postcode", "ZZ99")]),  # coordinates win: the postcode is not looked up
    # --- patients.csv
    ("patient_id blank", [("patients", 4, "patient_id", "")],
     ["patients.csv:6: patient_id: required, but blank"], [("patients", 4, "patient_id", "R9")]),
    ("patient_id duplicate", [("patients", 4, "patient_id", "P1")],
     ["patients.csv:6: patient_id: duplicate patient_id 'P1' (first on row 2)"],
     [("patients", 4, "patient_id", "p1")]),
    ("status invalid", [("patients", 0, "status", "discharged")],
     ["patients.csv:2: status: 'discharged' is not a status: use inpatient or referral"],
     [("patients", 0, "status", "INPATIENT")]),
    ("status blank", [("patients", 0, "status", "")],
     ["patients.csv:2: status: required, but blank"], [("patients", 0, "status", "inpatient")]),
    ("patient sex mixed", [("patients", 0, "sex", "mixed")],
     ["patients.csv:2: sex: 'mixed' is not a patient sex: use male or female"],
     [("patients", 0, "sex", "Female")]),
    ("patient sex blank", [("patients", 0, "sex", "")],
     ["patients.csv:2: sex: required, but blank"], [("patients", 0, "sex", "male")]),
    ("age above 120", [("patients", 0, "age", "121")],
     ["patients.csv:2: age: must be between 0 and 120, got 121"],
     [("patients", 0, "age", "120")]),
    ("age negative", [("patients", 0, "age", "-1")],
     ["patients.csv:2: age: must be between 0 and 120, got -1"], [("patients", 0, "age", "0")]),
    ("age not whole", [("patients", 0, "age", "34.5")],
     ["patients.csv:2: age: '34.5' is not a whole number"], [("patients", 0, "age", "34.0")]),
    ("patient level for service", [("patients", 3, "level", "high")],
     ["patients.csv:5: level: 'high' is not a level of camhs: use general, picu, low or "
      "medium"],
     [("patients", 3, "level", "picu")]),
    ("patient service", [("patients", 3, "service", "tier4")],
     ["patients.csv:5: service: 'tier4' is not a service: use adult_secure, camhs or "
      "eating_disorder"],
     [("patients", 3, "service", "camhs")]),
    ("home_network_id unknown", [("patients", 0, "home_network_id", "N7")],
     ["patients.csv:2: home_network_id: unknown network 'N7' (not in networks.csv)"],
     [("patients", 0, "home_network_id", "N2")]),
    ("home_network_id blank", [("patients", 0, "home_network_id", "")],
     ["patients.csv:2: home_network_id: required, but blank"],
     [("patients", 0, "home_network_id", "N1")]),
    ("current unit unknown", [("patients", 0, "current_unit_id", "W99")],
     ["patients.csv:2: current_unit_id: unknown unit 'W99'"],
     [("patients", 0, "current_unit_id", "U3")]),
    ("referral with a current unit", [("patients", 4, "current_unit_id", "U1")],
     ["patients.csv:6: current_unit_id: a referral has a current unit 'U1': leave it empty, "
      "or set status to inpatient"],
     [("patients", 4, "current_unit_id", "U1"), ("patients", 4, "status", "inpatient")]),
    ("inpatient without a current unit", [("patients", 0, "current_unit_id", "")],
     ["patients.csv:2: current_unit_id: an inpatient needs the unit they are in now"],
     [("patients", 0, "current_unit_id", ""), ("patients", 0, "status", "referral")]),
    ("excluded unit unknown", [("patients", 4, "excluded_units", "U1;W99")],
     ["patients.csv:6: excluded_units: unknown unit 'W99'"],
     [("patients", 4, "excluded_units", "U1; U2;")]),
    ("movable not a boolean", [("patients", 0, "movable", "maybe")],
     ["patients.csv:2: movable: 'maybe' is not true or false (true, false, yes, no, 1 or 0)"],
     [("patients", 0, "movable", "YES")]),
    ("priority zero", [("patients", 4, "priority", "0")],
     ["patients.csv:6: priority: must be >= 1, got 0"], [("patients", 4, "priority", "3")]),
    ("priority not whole", [("patients", 4, "priority", "1.5")],
     ["patients.csv:6: priority: '1.5' is not a whole number"],
     [("patients", 4, "priority", "1.0")]),
    ("admitted_on not ISO", [("patients", 0, "admitted_on", "05/01/2026")],
     ["patients.csv:2: admitted_on: '05/01/2026' is not a date (YYYY-MM-DD)"],
     [("patients", 0, "admitted_on", "2026-01-05 00:00:00")]),
    ("home_lat outside the UK", [("patients", 0, "home_lat", "40")],
     ["patients.csv:2: home_lat: 40 is outside the British Isles (latitude 49.0 to 61.0)"],
     [("patients", 0, "home_lat", "50")]),
    ("home_lon blank", [("patients", 0, "home_lon", "")],
     ["patients.csv:2: home_lon: blank while home_lat is given"],
     [("patients", 0, "home_lon", "0")]),
    ("home coordinates and postcode blank",
     [("patients", 0, "home_lat", ""), ("patients", 0, "home_lon", "")],
     ["patients.csv:2: home_lat: required, but blank: give home_lat and home_lon "
      "(or give home_postcode)"],
     [("patients", 0, "home_lat", ""), ("patients", 0, "home_lon", ""),
      ("patients", 0, "home_postcode", "m1")]),
    ("home postcode unknown", [("patients", 0, "home_lat", ""), ("patients", 0, "home_lon", ""),
                               ("patients", 0, "home_postcode", "hello")],
     ["patients.csv:2: home_postcode: unknown postcode 'hello'"],
     [("patients", 0, "home_lat", ""), ("patients", 0, "home_lon", ""),
      ("patients", 0, "home_postcode", "LS1")]),
    # --- contract 1.2
    ("specialist_only not a boolean", [("units", 0, "specialist_only", "perhaps")],
     ["units.csv:2: specialist_only: 'perhaps' is not true or false (true, false, yes, no, 1 "
      "or 0)"],
     [("units", 0, "specialist_only", "Yes")]),
    ("accepts_referrals not a boolean", [("units", 1, "accepts_referrals", "transfers")],
     ["units.csv:3: accepts_referrals: 'transfers' is not true or false (true, false, yes, "
      "no, 1 or 0)"],
     [("units", 1, "accepts_referrals", "0")]),
    ("expected_discharge on a referral", [("patients", 4, "expected_discharge", "2027-01-04")],
     ["patients.csv:6: expected_discharge: a referral has an expected_discharge: it is for "
      "inpatients only (a referral's first possible night is arrives_on)"],
     [("patients", 0, "expected_discharge", "2027-01-04")]),
    ("expected_discharge not a date", [("patients", 0, "expected_discharge", "next week")],
     ["patients.csv:2: expected_discharge: 'next week' is not a date (YYYY-MM-DD)"],
     [("patients", 0, "expected_discharge", "2027-01-04")]),
    ("arrives_on on an inpatient", [("patients", 1, "arrives_on", "2026-12-10")],
     ["patients.csv:3: arrives_on: an inpatient has an arrives_on date: it is for referrals "
      "only (an inpatient's leaving date is expected_discharge)"],
     [("patients", 5, "arrives_on", "2026-12-10")]),
    ("arrives_on not a date", [("patients", 5, "arrives_on", "31/12/2026")],
     ["patients.csv:7: arrives_on: '31/12/2026' is not a date (YYYY-MM-DD)"],
     [("patients", 5, "arrives_on", "2026-12-31")]),
    # --- networks.csv
    ("network duplicate", [("networks", 1, "network_id", "N1")],
     ["networks.csv:3: network_id: duplicate network_id 'N1' (first on row 2)",
      *UNKNOWN_N2],
     [("networks", 1, "network_id", "N2")]),
    ("network blank", [("networks", 1, "network_id", "")],
     ["networks.csv:3: network_id: required, but blank", *UNKNOWN_N2],
     [("networks", 1, "name", "")]),
]


def _apply(tables: dict[str, list[dict[str, str]]], edits: list[Edit]) -> None:
    for table, index, column, value in edits:
        tables[table][index][column] = value


@pytest.mark.parametrize(("bad", "expected", "good"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rule_fails_then_passes(make_instance, tiny_tables, bad, expected, good):
    pristine = copy.deepcopy(tiny_tables)
    _apply(tiny_tables, bad)
    _, problems = validate(make_instance("bad", **tiny_tables))
    order = {"units.csv": 0, "patients.csv": 1, "networks.csv": 2}
    assert sorted(map(str, problems), key=lambda s: order[s.split(":")[0]]) == \
        sorted(expected, key=lambda s: order[s.split(":")[0]])

    _apply(pristine, good)
    instance, problems = validate(make_instance("good", **pristine))
    assert problems == []
    assert instance is not None


def test_every_problem_is_reported_in_row_order(make_instance, tiny_tables):
    tiny_tables["patients"][5]["age"] = "200"
    tiny_tables["patients"][0]["current_unit_id"] = "W99"
    tiny_tables["patients"][0]["sex"] = "x"
    tiny_tables["units"][3]["beds"] = "-4"
    _, problems = validate(make_instance(**tiny_tables))
    assert [str(p) for p in problems] == [
        "units.csv:5: beds: must be >= 0, got -4",
        "patients.csv:2: sex: 'x' is not a patient sex: use male or female",
        "patients.csv:2: current_unit_id: unknown unit 'W99'",
        "patients.csv:7: age: must be between 0 and 120, got 200",
    ]


def test_read_instance_raises_input_error_with_all_problems(make_instance, tiny_tables):
    tiny_tables["patients"][0]["age"] = "old"
    tiny_tables["patients"][1]["age"] = "older"
    with pytest.raises(InputError) as err:
        read_instance(make_instance(**tiny_tables))
    assert [p.row for p in err.value.problems] == [2, 3]
    assert "patients.csv:2: age: 'old' is not a whole number" in str(err.value)


def test_networks_checked_only_when_networks_csv_present(make_instance, tiny_tables):
    tiny_tables["units"][0]["network_id"] = "N9"
    tiny_tables["patients"][0]["home_network_id"] = "N8"
    del tiny_tables["networks"]
    instance, problems = validate(make_instance(**tiny_tables, networks=False))
    assert problems == []
    assert instance is not None and instance.networks == ()
    assert instance.units[0].network_id == "N9"


# --- files and columns


def test_missing_files(tmp_path):
    _, problems = validate(tmp_path)
    assert [str(p) for p in problems] == [
        "units.csv: missing: every instance needs units.csv (one row per ward)",
        "patients.csv: missing: every instance needs patients.csv (one row per inpatient or "
        "referral)",
    ]


def test_zero_byte_file_is_invalid_but_header_only_patients_is_valid(make_instance):
    _, problems = validate(make_instance("zero", patients=""))
    assert [str(p) for p in problems] == [
        "patients.csv: the file is empty (0 bytes): it needs at least the header row"]
    header = "patient_id,status,service,level,sex,age,home_lat,home_lon,home_network_id\n"
    instance, problems = validate(make_instance("header", patients=header))
    assert problems == [] and instance is not None
    assert instance.patients == () and len(instance.units) == 4


def test_missing_required_columns(make_instance, tiny_tables):
    for row in tiny_tables["units"]:
        del row["beds"]
        del row["lat"]
    _, problems = validate(make_instance(**tiny_tables))
    assert [str(p) for p in problems] == [
        "units.csv:1: beds: missing required column",
        "units.csv:1: lat: missing required column (or give postcode)",
    ]


def test_coordinates_columns_may_be_replaced_by_postcode(make_instance, tiny_tables):
    for row, code in zip(tiny_tables["units"], ["SE5", "B15", "M13", "BS1"], strict=True):
        del row["lat"]
        del row["lon"]
        row["postcode"] = code
    instance, problems = validate(make_instance(**tiny_tables))
    assert problems == [] and instance is not None
    assert instance.units[0].postcode == "SE5"
    assert abs(instance.units[0].lat - 51.474) < 0.01


def test_current_unit_column_missing_with_inpatients(make_instance, tiny_tables):
    for row in tiny_tables["patients"]:
        del row["current_unit_id"]
    _, problems = validate(make_instance(**tiny_tables))
    assert [str(p) for p in problems] == [
        "patients.csv:1: current_unit_id: missing column, required for inpatients"]
    referrals = [r for r in tiny_tables["patients"] if r["status"] == "referral"]
    instance, problems = validate(make_instance("refs", patients=referrals))
    assert problems == [] and instance is not None and len(instance.patients) == 2


def test_non_utf8_file_says_save_as_csv_utf8(make_instance, tiny_tables):
    text = "unit_id,name\n"
    path = make_instance(**tiny_tables)
    (path / "units.csv").write_bytes(("unit_id,name\nU1,Caf\u00e9\n").encode("latin-1"))
    _, problems = validate(path)
    assert len(problems) == 1
    assert str(problems[0]) == ('units.csv:2: not UTF-8 text (byte 0xe9): save it from Excel '
                                'as "CSV UTF-8 (comma delimited)"')
    assert text  # the header alone is ASCII: only row 2 is at fault


def test_utf8_with_bom_is_read(make_instance, tiny_tables):
    path = make_instance(**tiny_tables)
    raw = (path / "units.csv").read_bytes()
    (path / "units.csv").write_bytes(b"\xef\xbb\xbf" + raw.replace(b"Ward One", "Wärd Öne"
                                                                    .encode()))
    instance = read_instance(path)
    assert instance.units[0].unit_id == "U1"
    assert instance.units[0].name == "Wärd Öne"


def test_too_many_values_in_a_row(make_instance, tiny_tables):
    path = make_instance(**tiny_tables)
    lines = (path / "networks.csv").read_text().splitlines()
    lines[2] = "N2,South, Wales,Trust B"
    (path / "networks.csv").write_text("\n".join(lines) + "\n")
    _, problems = validate(path)
    assert [str(p) for p in problems] == [
        "networks.csv:3: 4 values but the header has 3 columns (a comma inside an unquoted "
        "value?)"]


@pytest.mark.parametrize(("sep", "word"), [(";", "';'"), ("\t", "tabs")])
def test_another_separator_than_a_comma(make_instance, sep, word):
    path = make_instance(networks=f"network_id{sep}name\nN1{sep}North\n")
    _, problems = validate(path)
    assert [str(p) for p in problems] == [
        f"networks.csv:1: the header uses {word} between column names: save it from Excel as "
        "\"CSV UTF-8 (comma delimited)\""]


def test_a_quote_left_open_names_the_row_and_column(make_instance):
    path = make_instance(networks='network_id,name\nN1,"North\nN2,South\n')
    _, problems = validate(path)
    assert "networks.csv:2: name: the value runs over several lines (a quote \" opened and " \
        "not closed?)" in [str(p) for p in problems]


def test_a_closed_quote_over_lines_in_a_column_of_the_users_own_is_fine(make_instance,
                                                                       tiny_tables):
    tiny_tables["networks"][0]["notes"] = "two\nlines"
    tiny_tables["networks"][1]["notes"] = ""
    assert validate(make_instance(**tiny_tables))[1] == []


def test_excel_sep_line_is_skipped_and_rows_still_counted(make_instance):
    _, problems = validate(make_instance(networks="sep=,\nnetwork_id,name\nN1,a\nN2,b\n,c\n"))
    assert [str(p) for p in problems] == ["networks.csv:5: network_id: required, but blank"]


def test_duplicate_header_column(make_instance):
    _, problems = validate(make_instance(networks="network_id,name,Name\nN1,a,b\nN2,c,d\n"))
    assert [str(p) for p in problems] == ["networks.csv:1: name: column appears twice in the "
                                          "header"]


def test_blank_lines_keep_spreadsheet_row_numbers(make_instance, tiny_tables):
    path = make_instance(**tiny_tables)
    lines = (path / "patients.csv").read_text().splitlines()
    lines.insert(2, "")
    lines.insert(3, ",,,")
    lines[6] = lines[6].replace(",15,", ",150,")  # P4, now on row 7
    (path / "patients.csv").write_text("\n".join(lines) + "\n")
    _, problems = validate(path)
    assert [str(p) for p in problems] == ["patients.csv:7: age: must be between 0 and 120, "
                                          "got 150"]


def test_not_an_instance(tmp_path):
    f = tmp_path / "units.csv"
    f.write_text("unit_id\n")
    assert [str(p) for p in validate(f)[1]] == [
        "units.csv: not an instance: give the directory holding units.csv and patients.csv, "
        "or an .xlsx workbook (give the directory that holds this file, not the file)"]
    old = tmp_path / "beds.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert str(validate(old)[1][0]).endswith("(save it from Excel as .xlsx)")
    assert [str(p) for p in validate(tmp_path / "nowhere")[1]] == [
        f"{tmp_path / 'nowhere'}: no such file or directory"]


# --- geography/


PLACES = "place_id,lat,lon\nA,51.5,-0.1\nB,52.5,-1.9\n"
LINKS = "from,to,km\nA,B,190\n"


def test_geography_is_read(make_instance):
    path = make_instance(files={"geography/places.csv": PLACES, "geography/links.csv": LINKS})
    geo = read_instance(path).geography
    assert geo is not None
    assert [(p.place_id, p.lat, p.lon) for p in geo.places] == [("A", 51.5, -0.1),
                                                                ("B", 52.5, -1.9)]
    assert [(lk.a, lk.b, lk.km) for lk in geo.links] == [("A", "B", 190.0)]


def test_geography_problems(make_instance):
    links = "from,to,km\nA,C,190\nA,B,0\nB,A,x\n"
    places = PLACES + "A,53,-2\n"
    path = make_instance(files={"geography/places.csv": places, "geography/links.csv": links})
    assert [str(p) for p in validate(path)[1]] == [
        "geography/places.csv:4: place_id: duplicate place_id 'A' (first on row 2)",
        "geography/links.csv:2: to: unknown place 'C'",
        "geography/links.csv:3: km: must be > 0, got 0",
        "geography/links.csv:4: km: 'x' is not a number",
    ]


def test_geography_needs_both_files(make_instance):
    path = make_instance(files={"geography/places.csv": PLACES})
    assert [str(p) for p in validate(path)[1]] == [
        "geography/links.csv: missing: a custom travel network needs geography/places.csv "
        "and geography/links.csv"]


def test_extra_unknown_columns_are_ignored(make_instance, tiny_tables):
    for k, row in enumerate(tiny_tables["patients"]):
        row["ward_round"] = f"Tue {k}"
        row["age"] = row["age"] + ".0"
    instance = read_instance(make_instance(**tiny_tables))
    assert instance.patients[0].extra == (("ward_round", "Tue 0"),)
    assert instance.patients[0].age == 34
