"""Contract: every input form the contract allows gives the same result as the plain CSV form.

Contract lines checked: "Files are UTF-8, with or without a BOM"; "Booleans: true/false,
yes/no, 1/0, any case. Integers may be written 12 or 12.0"; "a blank sex means mixed.
Default ages: 12..17 for camhs, 18..120 for adult_secure and eating_disorder"; "Unknown extra
columns are kept and ignored"; "A header-only patients.csv is a valid instance with no
patients"; "Reading Excel (.xlsx with sheets units, patients, networks) is welcome";
"units.csv may give postcode and patients.csv home_postcode ... When both are given,
coordinates win. An unknown postcode is invalid input." Column order and CSV quoting are
plain CSV (the contract names columns, never positions).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import contract_util as cu
import oracle
import pytest
from variants import EXPECTED_PLAN, HOME_POSTCODES, UNIT_POSTCODES, base_spec


def result_of(out: Path) -> dict[str, Any]:
    header, rows, _ = cu.read_assignments(out)
    summary = cu.strict_json((out / "summary.json").read_text(encoding="utf-8"))
    return {"header": header, "rows": rows, "status": summary.get("status"),
            "objective": summary.get("objective"), "metrics": summary.get("metrics")}


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("plain")
    spec = base_spec()
    run, out = cu.reallocate(spec, tmp)
    assert run.code == 0, run.stderr
    assert cu.check_reallocate(spec, out, run) == []
    return result_of(out)


def test_plain_form_matches_hand_checked_plan(plain: dict[str, Any]) -> None:
    got = [(r["patient_id"], r["action"], r["unit_id"]) for r in plain["rows"]]
    assert got == EXPECTED_PLAN
    best = oracle.solve(base_spec().oracle_instance())
    assert best.plan is not None
    assert [(p, a, u or "") for (p, _, _), (a, u) in zip(EXPECTED_PLAN, best.plan,
                                                        strict=True)] == EXPECTED_PLAN
    assert plain["metrics"]["delayed"] == 1 and plain["metrics"]["moves"] == 1


def write_raw(directory: Path, files: dict[str, str | bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
    return directory


def plain_files(spec: cu.Spec, **csv_kwargs: Any) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "units.csv": cu.csv_text(spec.units, **csv_kwargs),
        "patients.csv": cu.csv_text(spec.patients, **csv_kwargs)}
    if spec.networks is not None:
        files["networks.csv"] = cu.csv_text(spec.networks, **csv_kwargs)
    if spec.policy is not None:
        files["policy.toml"] = cu.policy_toml(spec.policy)
    return files


def run_files(tmp: Path, files: dict[str, str | bytes], *extra: str) -> dict[str, Any]:
    inst = write_raw(tmp / "inst", files)
    out = tmp / "out"
    run = cu.run_cli("reallocate", inst, "--out", out, *extra)
    assert "Traceback" not in run.stderr
    assert run.code == 0, f"exit {run.code}: {run.stderr[-800:]}"
    return result_of(out)


def test_bom(tmp_path: Path, plain: dict[str, Any]) -> None:
    files = plain_files(base_spec())
    for name in ("units.csv", "patients.csv", "networks.csv"):
        files[name] = b"\xef\xbb\xbf" + str(files[name]).encode("utf-8")
    assert run_files(tmp_path, files) == plain


def test_crlf_line_endings(tmp_path: Path, plain: dict[str, Any]) -> None:
    assert run_files(tmp_path, plain_files(base_spec(), newline="\r\n")) == plain


def test_quoted_fields(tmp_path: Path, plain: dict[str, Any]) -> None:
    spec = base_spec()
    spec.units[0]["name"] = 'Ward "One", Denmark Hill'
    assert run_files(tmp_path, plain_files(spec, quote_all=True)) == plain


def test_columns_in_any_order(tmp_path: Path, plain: dict[str, Any]) -> None:
    spec = base_spec()
    rng = random.Random(7)
    files = plain_files(spec)
    for name, rows in (("units.csv", spec.units), ("patients.csv", spec.patients)):
        header = list(rows[0])
        rng.shuffle(header)
        files[name] = cu.csv_text(rows, header)
    assert run_files(tmp_path, files) == plain


def test_unknown_extra_columns_ignored(tmp_path: Path, plain: dict[str, Any]) -> None:
    spec = base_spec()
    for i, row in enumerate(spec.units):
        row["ward_phone"] = f"0207 {i}"
        row["notes"] = "level: high; beds 99"
    for row in spec.patients:
        row["nhs_trust_ref"] = "x"
    for row in spec.networks or []:
        row["region"] = "somewhere"
    assert run_files(tmp_path, plain_files(spec)) == plain


def test_integers_written_with_point_zero(tmp_path: Path, plain: dict[str, Any]) -> None:
    spec = base_spec()
    for row in spec.units:
        row["beds"] = f"{row['beds']}.0"
        row["beds_closed"] = f"{row['beds_closed'] or 0}.0"
    spec.units[3]["age_min"], spec.units[3]["age_max"] = "12.0", "17.0"
    for row in spec.patients:
        row["age"] = f"{row['age']}.0"
        row["priority"] = f"{row['priority'] or 1}.0"
    assert run_files(tmp_path, plain_files(spec)) == plain


@pytest.mark.parametrize(("yes", "no"), [("TRUE", "False"), ("yes", "NO"), ("Yes", "no"),
                                         ("1", "0"), ("True", "FALSE"), ("tRuE", "nO")])
def test_boolean_spellings(tmp_path: Path, plain: dict[str, Any], yes: str, no: str) -> None:
    """P5 must be movable (it moves in the plan) and P2 immovable (it stays delayed)."""
    spec = base_spec()
    spec.patients[0]["movable"] = yes
    spec.patients[1]["movable"] = no
    spec.patients[2]["movable"] = yes
    assert run_files(tmp_path, plain_files(spec)) == plain


def test_blank_movable_means_true(tmp_path: Path, plain: dict[str, Any]) -> None:
    spec = base_spec()
    spec.patients[2]["movable"] = ""  # P5 moves in the plan, so blank must mean movable
    assert run_files(tmp_path, plain_files(spec)) == plain


def test_blank_sex_and_default_ages_bind(tmp_path: Path, plain: dict[str, Any]) -> None:
    """Writing U4 explicitly as mixed 12..17 changes nothing; the defaults are those."""
    spec = base_spec()
    spec.units[3].update(sex="mixed", age_min="12", age_max="17")
    assert run_files(tmp_path, plain_files(spec)) == plain
    adult_defaults = base_spec()
    adult_defaults.units[3].update(age_min="18", age_max="120")  # R3 (18) now fits, R2 not
    got = run_files(tmp_path / "b", plain_files(adult_defaults))
    actions = {r["patient_id"]: (r["action"], r["unit_id"]) for r in got["rows"]}
    assert actions["R3"] == ("admit", "U4") and actions["R2"] == ("unplaced", "")


def test_header_only_patients(tmp_path: Path) -> None:
    spec = base_spec()
    files = plain_files(spec)
    files["patients.csv"] = ",".join(cu.PATIENT_COLUMNS) + "\n"
    got = run_files(tmp_path, files)
    assert got["header"] == cu.ASSIGNMENT_COLUMNS and got["rows"] == []
    assert got["status"] == "optimal" and got["objective"] == 0
    assert got["metrics"]["patients"] == 0 and got["metrics"]["placed"] == 0


def _postcode_spec(*, keep_coordinates: bool, far: bool = False) -> cu.Spec:
    spec = base_spec()
    for row in spec.units:
        row["postcode"] = "NE1 4LP" if far else UNIT_POSTCODES[row["unit_id"]]
        if not keep_coordinates:
            del row["lat"], row["lon"]
    for row in spec.patients:
        row["home_postcode"] = "NR6 5BE" if far else HOME_POSTCODES[row["patient_id"]]
        if not keep_coordinates:
            row["home_lat"] = row["home_lon"] = ""
    return spec


def test_postcodes_instead_of_coordinates(tmp_path: Path, plain: dict[str, Any]) -> None:
    got = run_files(tmp_path, plain_files(_postcode_spec(keep_coordinates=False)))
    assert [(r["patient_id"], r["action"], r["unit_id"]) for r in got["rows"]] == \
        [(r["patient_id"], r["action"], r["unit_id"]) for r in plain["rows"]]
    assert got["objective"] == pytest.approx(plain["objective"], rel=1e-4)


def test_coordinates_win_over_postcodes(tmp_path: Path, plain: dict[str, Any]) -> None:
    """Every postcode names a far-away place; the coordinates must be used, unchanged."""
    assert run_files(tmp_path, plain_files(_postcode_spec(keep_coordinates=True, far=True))) \
        == plain


def test_postcode_district(tmp_path: Path) -> None:
    """A district (``SE5``) is accepted for a unit; the patient next door is admitted there."""
    units = [cu.unit_row("U1", network="N1", beds=1)]
    del units[0]["lat"], units[0]["lon"]
    units[0]["postcode"] = "SE5"
    patients = [cu.patient_row("R1", lat=51.47, lon=-0.09)]
    spec = cu.Spec(units=units, patients=patients, policy={"distance": "geodesic"})
    got = run_files(tmp_path, plain_files(spec))
    assert got["rows"][0]["action"] == "admit"
    assert float(got["rows"][0]["distance_km"]) < 3.0


def test_xlsx_workbook(tmp_path: Path, plain: dict[str, Any]) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    spec = base_spec()
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, rows in (("units", spec.units), ("patients", spec.patients),
                        ("networks", spec.networks or [])):
        ws = book.create_sheet(sheet)
        header = list(rows[0])
        ws.append(header)
        for row in rows:
            ws.append([_cell(row[h]) for h in header])
    path = tmp_path / "instance.xlsx"
    book.save(path)
    out = tmp_path / "out"
    run = cu.run_cli("reallocate", path, "--out", out, "--distance", "geodesic")
    assert "Traceback" not in run.stderr
    assert run.code == 0, run.stderr[-800:]
    assert result_of(out) == plain


def _cell(text: str) -> object:
    """Numbers as Excel numbers, text as text, blanks as empty cells."""
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text else value
