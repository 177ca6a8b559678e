"""``bedplan report``: a report from a finished run directory; exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bedplan.cli import cli
from models.domain import Instance, Patient, Policy, Unit
from models.io import write_instance
from optimiser.core.result import Assignment, Metrics, Result
from optimiser.planning.outputs import write_outputs


def _unit(uid: str, network: str, lat: float) -> Unit:
    return Unit(unit_id=uid, network_id=network, service="adult_secure", level="medium",
                beds=2, lat=lat, lon=-1.0)


def _patient(pid: str, status: str, current: str | None = None) -> Patient:
    return Patient(patient_id=pid, status=status, service="adult_secure", level="medium",
                   sex="male", age=30, home_lat=52.0, home_lon=-1.0, home_network_id="N1",
                   current_unit_id=current)


INSTANCE = Instance(units=(_unit("A", "N1", 52.0), _unit("B", "N2", 52.5)),
                    patients=(_patient("P1", "inpatient", "B"), _patient("R1", "referral")),
                    policy=Policy(distance="geodesic"))


@pytest.fixture()
def instance_dir(tmp_path):
    path = tmp_path / "inst"
    write_instance(INSTANCE, path)
    return path


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_report_after_reallocate_exits_0(tmp_path, instance_dir):
    out = tmp_path / "run"
    assert _run("reallocate", instance_dir, "--out", out).exit_code == 0
    result = _run("report", out, "--instance", instance_dir)
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    # P1 comes back from B (N2) to A (N1): one patient brought back
    assert '<div class="kpi" data-kpi="brought_back"><div class="v">1</div>' in page
    assert sorted(p.name for p in (out / "charts").iterdir()) == [
        "distance.png", "map.png", "out_of_area.png"]


def test_instance_path_can_come_from_run_json(tmp_path, instance_dir):
    out = tmp_path / "run"
    assert _run("reallocate", instance_dir, "--out", out).exit_code == 0
    (out / "run.json").write_text(json.dumps({"instance": "../inst"}), encoding="utf-8")
    result = _run("report", out)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()


def test_scenario_directory_compares_baseline_and_scenario(tmp_path, instance_dir):
    out = tmp_path / "scen"
    base = (Assignment("P1", "inpatient", "B", "B", "stay", 55.6, True),
            Assignment("R1", "referral", None, "B", "admit", 55.6, True))
    scen = (Assignment("P1", "inpatient", "B", "A", "move", 0.0, False),
            Assignment("R1", "referral", None, "A", "admit", 0.0, False))
    for name, plan in (("baseline", base), ("scenario", scen)):
        write_outputs(out / name, INSTANCE, Result("optimal", 1.0, 1.0, 0.0, "highs", 0.0,
                                                   plan, Metrics(2, 2)))
    result = _run("report", out, "--instance", instance_dir, "--title", "Open ward A")
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<title>Open ward A</title>" in page
    assert '<div class="v">2 → 0</div>' in page  # out of area: baseline → scenario


def test_missing_instance_or_run_exits_2(tmp_path, instance_dir):
    out = tmp_path / "run"
    assert _run("reallocate", instance_dir, "--out", out).exit_code == 0
    result = _run("report", out)
    assert result.exit_code == 2
    assert "--instance: required" in result.stderr and "Traceback" not in result.output
    result = _run("report", tmp_path / "empty", "--instance", instance_dir)
    assert result.exit_code == 2 and "summary.json: not found" in result.stderr
    (out / "run.json").write_text("[1, 2]", encoding="utf-8")
    result = _run("report", out)
    assert result.exit_code == 2 and "run.json: instance" in result.stderr


def test_report_on_another_instance_exits_2(tmp_path, instance_dir):
    out = tmp_path / "run"
    assert _run("reallocate", instance_dir, "--out", out).exit_code == 0
    other = tmp_path / "other"
    write_instance(Instance(units=INSTANCE.units, patients=INSTANCE.patients[:1],
                            policy=INSTANCE.policy), other)
    result = _run("report", out, "--instance", other)
    assert result.exit_code == 2
    assert "R1" in result.stderr and "not in the instance" in result.stderr
    assert not (out / "report.html").exists()


def test_tonight_km_use_the_distance_mode_of_the_run(tmp_path):
    inst_dir = tmp_path / "inst"
    write_instance(Instance(units=INSTANCE.units, patients=INSTANCE.patients), inst_dir)
    out = tmp_path / "run"  # the instance says road; the run was made with --distance geodesic
    result = _run("reallocate", inst_dir, "--out", out, "--distance", "geodesic")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["distance"] == "geodesic"
    result = _run("report", out, "--instance", inst_dir)
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    data = json.loads(page.split('id="kpi-data">')[1].split("</script>")[0])
    # P1 from B (55.6 km geodesic from home) to A (0 km): 55.6 km closer
    assert 55.0 < data["km_saved"] < 56.0


def test_report_of_a_network_run_reads_that_collaborative(tmp_path):
    # A run made with --network holds only that collaborative's patients: the report must
    # read it against the same subset (found in review: it refused the run as foreign).
    from pathlib import Path

    two_wards = Path(__file__).resolve().parents[2] / "instances" / "examples" / "two-wards"
    out = tmp_path / "north"
    runner = CliRunner()
    run = runner.invoke(cli, ["reallocate", str(two_wards), "--network", "south",
                              "--out", str(out)])
    assert run.exit_code == 0, run.output
    made = runner.invoke(cli, ["report", str(out), "--instance", str(two_wards)])
    assert made.exit_code == 0, made.output
    assert (out / "report.html").is_file()
