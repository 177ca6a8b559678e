"""`bedplan reallocate` end to end: files, exit codes, flags, progress, no tracebacks."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bedplan.cli import cli
from optimiser.core.result import ERROR, Metrics, Result

UNITS = """\
unit_id,name,provider,provider_type,network_id,service,level,sex,beds,beds_closed,lat,lon
A,Thames,T1,nhs,N1,adult_secure,medium,male,1,0,51.5074,-0.1278
B,Irwell,T2,nhs,N1,adult_secure,medium,male,2,0,53.4808,-2.2426
X,Rea,T3,nhs,N2,adult_secure,medium,male,1,0,52.4862,-1.8904
"""
# a1 lives in London but is in Manchester (B); b1 lives in Manchester but is in London (A):
# the optimum swaps them through B's free bed. r1 (Birmingham) is admitted to X.
PATIENTS = """\
patient_id,status,service,level,sex,age,home_lat,home_lon,home_network_id,current_unit_id,movable
a1,inpatient,adult_secure,medium,male,30,51.5074,-0.1278,N1,B,true
b1,inpatient,adult_secure,medium,male,40,53.4808,-2.2426,N1,A,true
r1,referral,adult_secure,medium,male,25,52.4862,-1.8904,N2,,
"""
POLICY = 'distance = "geodesic"\n'


def make_instance(root: Path, units: str = UNITS, patients: str = PATIENTS,
                  policy: str = POLICY) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "units.csv").write_text(units, encoding="utf-8")
    (root / "patients.csv").write_text(patients, encoding="utf-8")
    (root / "policy.toml").write_text(policy, encoding="utf-8")
    return root


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def invoke(*args: str):
    return CliRunner().invoke(cli, ["reallocate", *args])


def test_plan_written_exit_0_with_progress_and_one_screen_result(tmp_path):
    inst = make_instance(tmp_path / "inst")
    out = tmp_path / "out"
    res = invoke(str(inst), "--out", str(out))
    assert res.exit_code == 0, res.output + res.stderr
    got = [(r["patient_id"], r["action"], r["unit_id"], r["out_of_area"])
           for r in rows(out / "assignments.csv")]
    assert got == [("a1", "move", "A", "false"), ("b1", "move", "B", "false"),
                   ("r1", "admit", "X", "false")]
    steps = [(r["step"], r["patient_id"], r["kind"], r["from_unit_id"], r["to_unit_id"])
             for r in rows(out / "transfers.csv")]
    assert steps == [("1", "b1", "move", "A", "B"), ("2", "a1", "move", "B", "A"),
                     ("3", "r1", "admit", "", "X")]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal" and summary["metrics"]["moves"] == 2
    assert summary["headline"]["km_saved"] > 2 * 250  # both come ~260 km closer
    totals = []
    for phase in ("read", "distances", "solve", "transfers", "write"):
        line = next(x for x in res.stderr.splitlines() if re.search(rf" s  {phase} ", x))
        totals.append(float(line.split("]")[0].strip("[ s")))
    assert totals == sorted(totals)  # the time since the start, never restarting at 0
    assert "status      optimal" in res.stdout and "moves       2" in res.stdout
    assert "Traceback" not in res.output


def test_flags_override_policy(tmp_path):
    inst = make_instance(tmp_path / "inst", policy=POLICY + "[limits]\nmax_moves = 5\n")
    out = tmp_path / "out"
    res = invoke(str(inst), "--out", str(out), "--max-moves", "0", "--solver", "cbc",
                 "--method", "mip", "--time-limit", "30")
    assert res.exit_code == 0, res.output
    assert [r["action"] for r in rows(out / "assignments.csv")] == ["stay", "stay", "admit"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["solver"] == "cbc" and summary["method"] == "mip"
    assert rows(out / "transfers.csv") == [
        {"step": "1", "patient_id": "r1", "kind": "admit", "from_unit_id": "",
         "to_unit_id": "X", "km_before": "", "km_after": "0.000", "km_closer": "",
         "cycle": "", "needs": ""}]


def test_network_flag_solves_one_collaborative(tmp_path):
    inst = make_instance(tmp_path / "inst")
    out = tmp_path / "out"
    res = invoke(str(inst), "--out", str(out), "--network", "N2")
    assert res.exit_code == 0, res.output
    assert [r["patient_id"] for r in rows(out / "assignments.csv")] == ["r1"]
    assert json.loads((out / "summary.json").read_text())["network"] == "N2"


def test_unknown_network_is_exit_2_and_nothing_written(tmp_path):
    inst = make_instance(tmp_path / "inst")
    res = invoke(str(inst), "--out", str(tmp_path / "out"), "--network", "N9")
    assert res.exit_code == 2
    assert "unknown network 'N9'" in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("out", ["", "  "])
def test_an_empty_out_exits_2_instead_of_writing_here(tmp_path, monkeypatch, out):
    inst = make_instance(tmp_path / "inst")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = invoke(str(inst), "--out", out)
    assert result.exit_code == 2
    assert "Invalid value for '--out': is empty: give the directory to write to" in \
        result.output
    assert list(here.iterdir()) == []


def test_garbage_is_exit_2_without_traceback_and_previous_outputs_survive(tmp_path):
    out = tmp_path / "out"
    assert invoke(str(make_instance(tmp_path / "good")), "--out", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "units.csv").write_bytes(b"\xff\xfe\x00garbage\x00\x81")
    (bad / "patients.csv").write_text("patient_id,status\nP1,sleeping\n")
    res = invoke(str(bad), "--out", str(out))
    assert res.exit_code == 2
    assert "error:" in res.stderr and "Traceback" not in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_missing_instance_is_exit_2(tmp_path):
    res = invoke(str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_bad_flag_value_is_a_usage_error(tmp_path):
    res = invoke(str(make_instance(tmp_path / "inst")), "--out", str(tmp_path / "o"),
                 "--max-moves", "-1")
    assert res.exit_code == 2 and not (tmp_path / "o").exists()


def test_infeasible_is_exit_3_and_names_the_unit(tmp_path):
    units = UNITS.replace("B,Irwell,T2,nhs,N1,adult_secure,medium,male,2,0",
                          "B,Irwell,T2,nhs,N1,adult_secure,medium,male,2,2")
    patients = PATIENTS.replace("N1,B,true", "N1,B,false")
    inst = make_instance(tmp_path / "inst", units=units, patients=patients)
    out = tmp_path / "out"
    res = invoke(str(inst), "--out", str(out))
    assert res.exit_code == 3, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert summary["objective"] is None and summary["bound"] is None and summary["gap"] is None
    assert any("unit B" in d and "may not move" in d for d in summary["diagnosis"])
    assert (out / "assignments.csv").read_text() == (
        "patient_id,status,current_unit_id,unit_id,action,distance_km,out_of_area\n")
    assert "infeasible" in res.stdout and "unit B" in res.stdout


def test_no_solution_is_exit_4_with_summary_saying_so(tmp_path, monkeypatch):
    import optimiser.core.solve

    def no_solution(instance, policy=None, **kwargs):
        return Result(ERROR, None, None, None, "highs", 60.0, (), Metrics(),
                      ("no solution found within the time limit of 60 s",))

    monkeypatch.setattr(optimiser.core.solve, "solve", no_solution)
    out = tmp_path / "out"
    res = invoke(str(make_instance(tmp_path / "inst")), "--out", str(out))
    assert res.exit_code == 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "error" and summary["objective"] is None
    assert summary["diagnosis"] == ["no solution found within the time limit of 60 s"]
    assert len(rows(out / "assignments.csv")) == 0
    assert "time limit" in res.stdout


def test_real_subprocess_exit_0_and_files(tmp_path):
    inst = make_instance(tmp_path / "inst")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "bedplan", "reallocate", str(inst), "--out",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["assignments.csv", "summary.json",
                                                    "transfers.csv"]
    assert "status      optimal" in proc.stdout and " s  write " in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_policy_flag_reaches_the_solver(tmp_path, monkeypatch):
    import optimiser.core.solve

    real = optimiser.core.solve.solve
    seen = []

    def spy(instance, policy=None, **kwargs):
        seen.append((policy, kwargs["method"]))
        return real(instance, policy, **kwargs)

    monkeypatch.setattr(optimiser.core.solve, "solve", spy)
    inst = make_instance(tmp_path / "inst", policy='distance = "road"\n')
    res = invoke(str(inst), "--out", str(tmp_path / "out"), "--distance", "geodesic",
                 "--gap", "0.5", "--threads", "1", "--time-limit", "7",
                 "--max-admissions-per-unit", "1", "--max-moves", "3", "--solver", "highs",
                 "--method", "fast")
    assert res.exit_code == 0, res.output
    policy, method = seen[0]
    assert method == "fast" and policy.distance == "geodesic"
    assert (policy.solver.name, policy.solver.mip_gap, policy.solver.threads,
            policy.solver.time_limit) == ("highs", 0.5, 1, 7.0)
    assert (policy.limits.max_moves, policy.limits.max_admissions_per_unit) == (3, 1)
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["distance"] == "geodesic"


def test_report_flag_writes_the_commissioners_page(tmp_path):
    from click.testing import CliRunner

    from bedplan.cli import cli

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["reallocate", TWO_WARDS,
                                      "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<html" in page.lower() and "out of area" in page.lower()
    assert (out / "charts" / "distance.png").stat().st_size > 0


TWO_WARDS = str(Path(__file__).resolve().parents[2] / "instances" / "examples" / "two-wards")
