"""Contract edge cases of ``reallocate`` and ``suggest`` that ordinary instances miss.

- ids are text ("unit_id | text"): ``007`` stays ``007``, never 7;
- "policy.toml (every key optional)": an empty file means every default; TOML integers for
  weights; ``max_moves = 1.0`` is the integer 1 ("Integers may be written 12 or 12.0");
- "Command-line flags override the file: --distance, --max-moves,
  --max-admissions-per-unit, --solver, ...";
- exit 2: "nothing was written" (an OUT that did not exist is not created);
- ``.xlsx`` with native Excel cells (numbers, booleans) reads as the CSV does;
- suggest: "`rejected` lists every unit nearer (by d(p,u)) than the first option that is not
  an option — incompatible or full" (a nearer ward of another service is incompatible).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import contract_util as cu
import pytest
from contract_util import Spec, patient_row, unit_row
from variants import base_spec

GEO = {"distance": "geodesic"}


def test_numeric_looking_ids_are_text(tmp_path: Path) -> None:
    units = [unit_row("007", network="01", beds=2), unit_row("7", network="1", beds=1,
                                                             lat=53.8, lon=-1.5)]
    patients = [patient_row("00123", status="inpatient", current="007", network="01"),
                patient_row("0042", network="1", lat=53.8, lon=-1.5, excluded="007")]
    spec = Spec(units, patients, policy=GEO)
    run, out = cu.reallocate(spec, tmp_path)
    assert cu.check_reallocate(spec, out, run) == []
    _, rows, _ = cu.read_assignments(out)
    assert [(r["patient_id"], r["current_unit_id"], r["unit_id"]) for r in rows] == \
        [("00123", "007", "007"), ("0042", "", "7")]


def test_empty_policy_file_means_defaults(tmp_path: Path) -> None:
    spec = base_spec()
    spec.policy = None
    spec.extra_files["policy.toml"] = ""
    run, out = cu.reallocate(spec, tmp_path, "--distance", "geodesic")
    assert cu.check_reallocate(spec.copy(policy=GEO), out, run) == []


def test_policy_integer_spellings(tmp_path: Path) -> None:
    """km = 2 (TOML integer) and max_moves = 1.0 are accepted and mean 2.0 and 1."""
    spec = base_spec()
    spec.policy = None
    spec.extra_files["policy.toml"] = ('distance = "geodesic"\n[weights]\nkm = 2\n'
                                       'delayed = 5000\n[limits]\nmax_moves = 1.0\n')
    run, out = cu.reallocate(spec, tmp_path)
    want = spec.copy(policy={**GEO, "weights": {"km": 2.0, "delayed": 5000.0},
                             "limits": {"max_moves": 1}})
    assert cu.check_reallocate(want, out, run) == []


def test_flags_override_policy(tmp_path: Path) -> None:
    """policy.toml says road over a custom geography and no limits; the flags say
    geodesic, --max-admissions-per-unit 0, --solver cbc: nobody may move or be admitted."""
    spec = base_spec()
    spec.policy = {"distance": "road"}
    spec.geography = cu.CUSTOM_GEOGRAPHY
    run, out = cu.reallocate(spec, tmp_path, "--distance", "geodesic",
                             "--max-admissions-per-unit", "0", "--solver", "cbc",
                             "--time-limit", "30", "--gap", "0")
    want = spec.copy(policy={**GEO, "limits": {"max_admissions_per_unit": 0}})
    assert cu.check_reallocate(want, out, run) == []
    assert json.loads((out / "summary.json").read_text())["solver"] == "cbc"


def test_invalid_run_creates_no_out_dir(tmp_path: Path) -> None:
    spec = base_spec()
    spec.units[0]["beds"] = "two"
    out = tmp_path / "never" / "out"
    run = cu.run_cli("reallocate", cu.write_spec(spec, tmp_path / "inst"), "--out", out)
    assert run.code == 2
    assert not out.exists()


def test_out_with_missing_parents_is_created(tmp_path: Path) -> None:
    spec = base_spec()
    out = tmp_path / "a" / "b" / "out"
    run = cu.run_cli("reallocate", cu.write_spec(spec, tmp_path / "inst"), "--out", out)
    assert cu.check_reallocate(spec, out, run) == []


def test_xlsx_native_cells(tmp_path: Path) -> None:
    """Excel booleans (TRUE/FALSE cells), numbers and numeric-looking text ids."""
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
            cells: list[object] = []
            for h in header:
                v = row[h]
                if h == "movable" and v:
                    cells.append(v == "true")
                elif h in ("beds", "age", "priority", "beds_closed") and v:
                    cells.append(float(v))  # 2.0 as Excel stores every number
                elif h in ("lat", "lon", "home_lat", "home_lon") and v:
                    cells.append(float(v))
                elif h == "admitted_on":
                    cells.append(datetime.date(2026, 1, 5))  # an Excel date cell
                else:
                    cells.append(v or None)
            ws.append(cells)
    book.create_sheet("notes").append(["anything", "else"])  # an extra sheet is ignored
    path = tmp_path / "book.xlsx"
    book.save(path)
    out = tmp_path / "out"
    run = cu.run_cli("reallocate", path, "--out", out, "--distance", "geodesic")
    assert cu.check_reallocate(spec, out, run) == []


def test_suggest_rejects_a_nearer_ward_of_another_service(tmp_path: Path) -> None:
    units = [unit_row("CAMHS1", service="camhs", level="general", beds=2, lat=51.5,
                      lon=-0.1),
             unit_row("ADULT1", beds=2, lat=52.0, lon=-0.1)]
    spec = Spec(units, [patient_row("R1", lat=51.5, lon=-0.1)], policy=GEO)
    inst = cu.write_spec(spec, tmp_path / "inst")
    run = cu.run_cli("suggest", inst, "--patient", "R1", "--json")
    assert run.code == 0, run.stderr
    data = cu.strict_json(run.stdout)
    assert [o["unit_id"] for o in data["options"]] == ["ADULT1"]
    assert [r["unit_id"] for r in data["rejected"]] == ["CAMHS1"]


def test_unicode_ids_echo_exactly(tmp_path: Path) -> None:
    units = [unit_row("Wärd-1", beds=1)]
    patients = [patient_row("Pé-1", status="inpatient", current="Wärd-1"),
                patient_row("Ré 2")]
    spec = Spec(units, patients, policy=GEO)
    run, out = cu.reallocate(spec, tmp_path)
    assert cu.check_reallocate(spec, out, run) == []


def test_error_row_counts_records_not_lines(tmp_path: Path) -> None:
    """A quoted name spanning two lines is one spreadsheet row: an error in the next unit
    (U3, the 3rd data row) is on row 4, although it starts on line 5 of the file."""
    spec = base_spec()
    spec.units[0]["name"] = "Ward One\n(Denmark Hill)"
    spec.units[2]["beds"] = "2.5"
    run = cu.run_cli("validate", cu.write_spec(spec, tmp_path / "inst"))
    assert run.code == 2
    lines = [x for x in run.stderr.splitlines() if "units.csv" in x and "beds" in x]
    assert lines and "4" in lines[0].replace("units.csv", "") and \
        "5" not in lines[0].replace("units.csv", "").replace("2.5", ""), run.stderr


def test_missing_required_column_names_header_row(tmp_path: Path) -> None:
    spec = base_spec()
    for row in spec.patients:
        del row["status"]
    run = cu.run_cli("validate", cu.write_spec(spec, tmp_path / "inst"))
    assert run.code == 2
    assert any("patients.csv" in x and "status" in x and "1" in x.replace("patients.csv", "")
               for x in run.stderr.splitlines()), run.stderr


def test_xlsx_errors_name_sheet_row_and_column(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    spec = base_spec()
    spec.units[2]["beds"] = "2.5"
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, rows in (("units", spec.units), ("patients", spec.patients)):
        ws = book.create_sheet(sheet)
        ws.append(list(rows[0]))
        for row in rows:
            ws.append([row[h] or None for h in rows[0]])
    path = tmp_path / "book.xlsx"
    book.save(path)
    run = cu.run_cli("reallocate", path, "--out", tmp_path / "out", "--distance", "geodesic")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert any("units" in x and "beds" in x and "4" in x for x in run.stderr.splitlines()), \
        run.stderr
    assert not (tmp_path / "out").exists()


def test_suggest_service_without_units(tmp_path: Path) -> None:
    """No unit of the patient's service at all: options and rejected empty, exit 0."""
    spec = Spec([unit_row("U1", beds=1)],
                [patient_row("R1", service="eating_disorder", level="general")], policy=GEO)
    run = cu.run_cli("suggest", cu.write_spec(spec, tmp_path / "inst"), "--patient", "R1",
                     "--json")
    assert run.code == 0, run.stderr
    assert cu.strict_json(run.stdout) == {"patient_id": "R1", "options": [], "rejected": []}


def test_suggest_unreachable_units_are_valid_json(tmp_path: Path) -> None:
    """Custom geography: the only unit of the service is in another component (and the
    patient's home has nothing reachable): no option; rejected lists it, as valid JSON."""
    spec = Spec([unit_row("FAR", beds=2, lat=52.62, lon=1.29)],  # Norwich component
                [patient_row("R1", lat=51.5, lon=-0.1)], policy={"distance": "road"},
                geography=cu.CUSTOM_GEOGRAPHY)
    run = cu.run_cli("suggest", cu.write_spec(spec, tmp_path / "inst"), "--patient", "R1",
                     "--json")
    assert run.code == 0, run.stderr
    data = cu.strict_json(run.stdout)
    assert data["options"] == [] and [r["unit_id"] for r in data["rejected"]] == ["FAR"]
    assert data["rejected"][0]["reasons"]


def test_policy_solver_table(tmp_path: Path) -> None:
    """[solver] name/time_limit/mip_gap from policy.toml are accepted and name is used."""
    spec = base_spec()
    spec.policy = {"distance": "geodesic",
                   "solver": {"name": "cbc", "time_limit": 30, "mip_gap": 0.0}}
    run, out = cu.reallocate(spec, tmp_path)
    assert cu.check_reallocate(spec, out, run) == []
    assert cu.strict_json((out / "summary.json").read_text())["solver"] == "cbc"


def test_suggest_allow_moves_shape(tmp_path: Path) -> None:
    """U1 (near) is full with a movable inpatient P1 who also fits U2 (next to P1's home):
    with --allow-moves 1 an option in U1 may move P1 to U2; every listed move is
    {patient_id, from, to} of a movable inpatient into a compatible unit."""
    units = [unit_row("U1", beds=1, lat=51.5, lon=-0.1),
             unit_row("U2", beds=1, lat=53.8, lon=-1.5),
             unit_row("U3", beds=1, lat=54.9, lon=-1.6)]
    patients = [patient_row("P1", status="inpatient", current="U1", lat=53.8, lon=-1.5),
                patient_row("R1", lat=51.5, lon=-0.1)]
    spec = Spec(units, patients, policy=GEO)
    run = cu.run_cli("suggest", cu.write_spec(spec, tmp_path / "inst"), "--patient", "R1",
                     "--allow-moves", "1", "--json")
    assert run.code == 0, run.stderr
    data = cu.strict_json(run.stdout)
    first = data["options"][0]
    assert first["unit_id"] == "U1"
    assert first["moves"] == [{"patient_id": "P1", "from": "U1", "to": "U2"}]
    # The change in the whole objective: R1 placed in U1 (its own placement cost, as with
    # --allow-moves 0) plus P1's move (w.move + km in U2 - km in U1).
    km = spec.oracle_instance().km
    want = km["R1", "U1"] + 25.0 + km["P1", "U2"] - km["P1", "U1"]
    assert first["cost"] == pytest.approx(want, abs=0.0051)


def test_blank_line_counts_as_a_spreadsheet_row(tmp_path: Path) -> None:
    """A blank line after U1 is row 3 in a spreadsheet: U2's error is on row 4."""
    spec = base_spec()
    spec.units[1]["beds"] = "2.5"
    inst = cu.write_spec(spec, tmp_path / "inst")
    lines = (inst / "units.csv").read_text().split("\n")
    lines.insert(2, "")
    (inst / "units.csv").write_text("\n".join(lines))
    run = cu.run_cli("validate", inst)
    assert run.code in (0, 2)
    bad = [x for x in run.stderr.splitlines() if "beds" in x]
    assert bad and "4" in bad[0].replace("units.csv", "").replace("2.5", ""), run.stderr


def test_ids_with_commas_and_quotes_round_trip(tmp_path: Path) -> None:
    spec = base_spec()
    for row in spec.units:
        if row["unit_id"] == "U1":
            row["unit_id"] = "U,1"
    for row in spec.patients:
        if row["current_unit_id"] == "U1":
            row["current_unit_id"] = "U,1"
    spec.patients[0]["patient_id"] = 'P "1"'
    run, out = cu.reallocate(spec, tmp_path)
    assert cu.check_reallocate(spec, out, run) == []


@pytest.mark.parametrize(("who", "lat", "lon"), [
    ("patient", 49.19, -2.11),   # St Helier, Jersey: a Crown dependency, below 49.8 N
    ("patient", 54.15, -4.48),   # Douglas, Isle of Man
    ("patient", 53.35, -6.26),   # Dublin
    ("unit", 60.15, -1.15),      # Lerwick, Shetland
])
def test_british_isles_coordinates_are_valid(tmp_path: Path, who: str, lat: float,
                                             lon: float) -> None:
    """"lat, lon | WGS-84 degrees": the contract sets no bounding box. Issue 3 asks for
    coordinates "outside the UK" to be refused (they are nearly always swapped or zero); the
    box we use is the British Isles, so homes in the Crown dependencies, whose patients are
    placed in English wards, stay valid (see docs/contract-conformance.md)."""
    spec = base_spec()
    if who == "patient":
        spec.patients[3].update(home_lat=str(lat), home_lon=str(lon))  # R1
    else:
        spec.units[4].update(lat=str(lat), lon=str(lon))  # U5
    run, out = cu.reallocate(spec, tmp_path)
    assert run.code != 2, run.stderr
    assert cu.check_reallocate(spec, out, run) == []


@pytest.mark.parametrize(("who", "lat", "lon"), [
    ("patient", 48.39, -4.49),   # Brest, France
    ("unit", 48.85, 2.35),       # Paris
])
def test_coordinates_abroad_are_refused(tmp_path: Path, who: str, lat: float,
                                        lon: float) -> None:
    """Outside the British Isles: invalid input, exit 2, naming file, row and column."""
    spec = base_spec()
    if who == "patient":
        spec.patients[3].update(home_lat=str(lat), home_lon=str(lon))
        where = "patients.csv:5: home_lat"
    else:
        spec.units[4].update(lat=str(lat), lon=str(lon))
        where = "units.csv:6: lat"
    run, _ = cu.reallocate(spec, tmp_path)
    assert run.code == 2
    assert where in run.stderr and "Traceback" not in run.stderr


def test_only_required_columns(tmp_path: Path) -> None:
    """units.csv and patients.csv with only the columns the contract marks required (plus
    the contract's defaults for everything else): accepted, and the oracle's optimum."""
    spec = base_spec()
    keep_u = ["unit_id", "network_id", "service", "level", "beds", "lat", "lon"]
    keep_p = ["patient_id", "status", "service", "level", "sex", "age", "home_lat",
              "home_lon", "home_network_id", "current_unit_id"]
    spec.units[:] = [{k: u[k] for k in keep_u} for u in spec.units]
    spec.patients[:] = [{k: p[k] for k in keep_p} for p in spec.patients]
    spec.networks = [{"network_id": n["network_id"]} for n in spec.networks or []]
    run, out = cu.reallocate(spec, tmp_path)
    assert cu.check_reallocate(spec, out, run) == []


def _unreachable_stay(tmp_path: Path) -> Path:
    """P1's current unit FAR lies in another component of the custom geography than P1's
    home: invalid input for every command (the contract), found only with the paths."""
    spec = Spec([unit_row("FAR", beds=2, lat=52.62, lon=1.29), unit_row("U1", beds=2)],
                [patient_row("P1", status="inpatient", lat=51.5, lon=-0.1, current="FAR",
                             movable="true"), patient_row("R1")],
                policy={"distance": "road"}, geography=cu.CUSTOM_GEOGRAPHY)
    return cu.write_spec(spec, tmp_path / "inst")


@pytest.mark.parametrize("command", [
    ["validate"], ["reallocate", "--out", "OUT"], ["plan", "--out", "OUT", "--nights", "2"],
    ["suggest", "--patient", "R1"], ["sweep", "--grid", "GRID", "--out", "OUT", "--workers", "0"],
    ["simulate", "--days", "2", "--runs", "1", "--out", "OUT", "--no-progress"]])
def test_an_unreachable_stay_is_invalid_input_for_every_command(tmp_path: Path,
                                                                command: list[str]) -> None:
    """Before, sweep reported it as every scenario failing (exit 4, results written) and
    suggest for another patient answered (exit 0)."""
    inst = _unreachable_stay(tmp_path)
    grid = tmp_path / "SWEEP.toml"
    grid.write_text('[[vary]]\nunit_id = "U1"\nbeds = [1, 2]\n', encoding="utf-8")
    args = [str(tmp_path / "out") if a == "OUT" else str(grid) if a == "GRID" else a
            for a in command[1:]]
    run = cu.run_cli(command[0], inst, *args)
    assert run.code == 2, (run.stdout, run.stderr)
    assert "patients.csv:2: current_unit_id: unit 'FAR' is unreachable from home" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "out").exists()


def test_only_plan_reads_the_plan_table(tmp_path: Path) -> None:
    """policy.toml's [plan] "(1.2) only `bedplan plan` reads it": a mistake there does not
    stop reallocate or suggest; plan and validate name it."""
    spec = base_spec()
    spec.policy = {"distance": "geodesic", "plan": {"nights": 0}}
    inst = cu.write_spec(spec, tmp_path / "inst")
    assert cu.run_cli("reallocate", inst, "--out", tmp_path / "out").code == 0
    suggested = cu.run_cli("suggest", inst, "--patient", "R1", "--json")
    assert suggested.code == 0 and cu.strict_json(suggested.stdout)["patient_id"] == "R1"
    for run in (cu.run_cli("plan", inst, "--out", tmp_path / "plan"),
                cu.run_cli("validate", inst)):
        assert run.code == 2 and "plan.nights: must be a whole number of nights >= 1" in \
            run.stderr
