"""``bedplan plan`` end to end: the worked example's optimum, the four files exactly as the
contract writes them, the horizon's flags, exit codes and bad input."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bedplan.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "instances" / "examples" / "plan-home-ward"
PLAN_COLUMNS = ["patient_id", "status", "current_unit_id", "action", "night", "date",
                "unit_id", "distance_km", "out_of_area"]
NIGHT_COLUMNS = ["night", "date", "present", "moves", "admissions", "discharges", "waiting",
                 "out_of_area", "total_km", "cost_per_day"]
SCHEDULE_COLUMNS = ["night", "date", "step", "patient_id", "kind", "from_unit_id",
                    "to_unit_id", "km_before", "km_after", "cycle"]
METRICS = {"patients", "moves", "admissions", "unplaced", "later", "waiting_nights",
           "brought_home", "out_of_area_first_night", "out_of_area_last_night",
           "out_of_area_nights", "km_nights"}


def plan(*args: str):
    return CliRunner().invoke(cli, ["plan", *args])


def rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def copy_example(tmp_path: Path) -> Path:
    dest = tmp_path / "inst"
    shutil.copytree(EXAMPLE, dest)
    return dest


def test_the_worked_example_reaches_its_written_optimum(tmp_path):
    out = tmp_path / "out"
    result = plan(str(EXAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.output
    expected = json.loads((EXAMPLE / "expected-plan.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(expected["objective"], abs=1e-3)
    assert summary["start"] == "2026-12-07" and summary["nights"] == 7
    assert set(summary["metrics"]) == METRICS
    assert list(summary)[:10] == ["status", "objective", "bound", "gap", "solver", "seconds",
                                  "start", "nights", "metrics", "diagnosis"]
    header, plan_rows = rows(out / "plan.csv")
    assert header == PLAN_COLUMNS
    got = {r["patient_id"]: {"action": r["action"],
                             "night": int(r["night"]) if r["night"] else None,
                             "unit_id": r["unit_id"]} for r in plan_rows}
    assert got == expected["plan"]
    assert [r["patient_id"] for r in plan_rows] == ["X", "P", "R"]  # patients.csv order
    p = next(r for r in plan_rows if r["patient_id"] == "P")
    assert p["date"] == "2026-12-09" and p["distance_km"] == "0.000" and p["out_of_area"] == \
        "false"


def test_nights_and_schedule_as_the_contract_defines_them(tmp_path):
    out = tmp_path / "out"
    assert plan(str(EXAMPLE), "--out", str(out)).exit_code == 0
    header, nights = rows(out / "nights.csv")
    assert header == NIGHT_COLUMNS and len(nights) == 7
    by = {int(n["night"]): n for n in nights}
    assert by[1]["date"] == "2026-12-07" and by[1]["present"] == "2"
    assert by[1]["out_of_area"] == "1" and by[1]["total_km"] == "277.417"
    assert by[5]["total_km"] == "0.000"  # P home in H, R home in S
    assert by[3]["discharges"] == "1" and by[3]["moves"] == "1" and by[3]["present"] == "1"
    assert by[5]["admissions"] == "1" and by[5]["present"] == "2"
    assert all(n["waiting"] == "0" for n in nights)
    header, steps = rows(out / "schedule.csv")
    assert header == SCHEDULE_COLUMNS
    assert [(s["night"], s["patient_id"], s["kind"], s["from_unit_id"], s["to_unit_id"])
            for s in steps] == [("3", "P", "move", "F", "H"), ("5", "R", "admit", "", "S")]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"]["out_of_area_nights"] == 2
    assert summary["metrics"]["brought_home"] == 1
    # the sum of the figures as written (277.417 twice), not of the unrounded ones (554.835)
    assert summary["metrics"]["km_nights"] == \
        round(sum(float(n["total_km"]) for n in nights), 3) == 554.834


def test_flags_override_the_plan_table(tmp_path):
    out = tmp_path / "out"
    # one night from the start: tonight's problem, R arrives later than the plan
    assert plan(str(EXAMPLE), "--out", str(out), "--nights", "1").exit_code == 0
    _, plan_rows = rows(out / "plan.csv")
    assert {r["patient_id"]: r["action"] for r in plan_rows} == \
        {"X": "stay", "P": "move", "R": "later"}
    r = next(r for r in plan_rows if r["patient_id"] == "R")
    assert r["night"] == r["date"] == r["unit_id"] == r["distance_km"] == r["out_of_area"] == ""
    # a later start: X is still there on 8 December, and R arrives on night 4
    assert plan(str(EXAMPLE), "--out", str(out), "--start", "2026-12-08").exit_code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["start"] == "2026-12-08"


@pytest.mark.parametrize(("edit", "message"), [
    (("patients.csv", "2026-12-09", "2026-12-07"),
     "patients.csv:2: expected_discharge: expected_discharge 2026-12-07 is not after the "
     "plan's start 2026-12-07"),
    (("patients.csv", "1,,2026-12-11", "1,2027-01-01,2026-12-11"),
     "patients.csv:4: expected_discharge: a referral has an expected_discharge"),
    (("patients.csv", "F,true,1,,", "F,true,1,,2026-12-08"),
     "patients.csv:3: arrives_on: an inpatient has an arrives_on date"),
    (("patients.csv", "2026-12-11", "11/12/2026"),
     "patients.csv:4: arrives_on: '11/12/2026' is not a date (YYYY-MM-DD)"),
    (("policy.toml", "nights = 7", "nights = 0"),
     "policy.toml:5: plan.nights: must be a whole number of nights >= 1, got 0"),
])
def test_bad_input_exits_2_naming_file_row_and_column(tmp_path, edit, message):
    inst = copy_example(tmp_path)
    name, old, new = edit
    text = (inst / name).read_text()
    assert old in text
    (inst / name).write_text(text.replace(old, new, 1))
    out = tmp_path / "out"
    result = plan(str(inst), "--out", str(out))
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


@pytest.mark.parametrize(("flags", "message"), [
    (["--nights", "0"], "--nights: must be a whole number of nights >= 1, got 0"),
    (["--nights", "100000000", "--start", "2026-12-07"],
     "--nights: 100,000,000 nights from 2026-12-07 end after 9999-12-31, the last date that "
     "can be written"),
    (["--out", ""], "Invalid value for '--out': is empty: give the directory to write to"),
    (["--start", "tomorrow"], "--start: 'tomorrow' is not a date (YYYY-MM-DD)"),
    (["--method", "flow"], "--method flow cannot plan over nights"),
])
def test_bad_flags_exit_2(tmp_path, flags, message):
    result = plan(str(EXAMPLE), "--out", str(tmp_path / "out"), *flags)
    assert result.exit_code == 2 and message in result.output


def test_infeasible_exits_3_with_headers_only(tmp_path):
    inst = copy_example(tmp_path)
    text = (inst / "units.csv").read_text().replace("male,1,53.7997", "male,0,53.7997")
    (inst / "units.csv").write_text(text)  # H has no bed for X, who may not move
    out = tmp_path / "out"
    result = plan(str(inst), "--out", str(out))
    assert result.exit_code == 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert summary["objective"] is None and summary["bound"] is None and summary["gap"] is None
    assert summary["diagnosis"]
    for name, columns in (("plan.csv", PLAN_COLUMNS), ("nights.csv", NIGHT_COLUMNS),
                          ("schedule.csv", SCHEDULE_COLUMNS)):
        header, body = rows(out / name)
        assert header == columns and body == []


def test_the_model_of_record_writes_the_same_plan(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert plan(str(EXAMPLE), "--out", str(a)).exit_code == 0
    assert plan(str(EXAMPLE), "--out", str(b), "--method", "mip").exit_code == 0
    assert (a / "plan.csv").read_text() == (b / "plan.csv").read_text()
    assert (a / "nights.csv").read_text() == (b / "nights.csv").read_text()


def test_a_failed_run_leaves_the_previous_outputs(tmp_path):
    out = tmp_path / "out"
    assert plan(str(EXAMPLE), "--out", str(out)).exit_code == 0
    before = (out / "plan.csv").read_text()
    inst = copy_example(tmp_path)
    (inst / "policy.toml").write_text("[plan]\nnights = -1\n")
    assert plan(str(inst), "--out", str(out)).exit_code == 2
    assert (out / "plan.csv").read_text() == before


def test_report_flag_writes_the_page_and_chart(tmp_path):
    out = tmp_path / "out"
    result = plan(str(EXAMPLE), "--out", str(out), "--report")
    assert result.exit_code == 0 and "report:" in result.output
    assert (out / "report.html").exists() and (out / "charts" / "plan.png").exists()
