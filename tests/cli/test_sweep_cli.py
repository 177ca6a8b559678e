"""``bedplan sweep``: exit codes, outputs, and clear messages for bad grids."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from bedplan.cli import cli
from models.domain import Instance, Patient, Policy, Unit
from models.io import write_instance


def _unit(uid: str, network: str, lat: float) -> Unit:
    return Unit(unit_id=uid, network_id=network, service="adult_secure", level="medium",
                beds=1, lat=lat, lon=-1.0)


def _patient(pid: str, status: str, current: str | None = None) -> Patient:
    return Patient(patient_id=pid, status=status, service="adult_secure", level="medium",
                   sex="male", age=30, home_lat=52.0, home_lon=-1.0, home_network_id="N1",
                   current_unit_id=current, movable=current is None)


@pytest.fixture()
def instance_dir(tmp_path):
    inst = Instance(units=(_unit("A", "N1", 52.0), _unit("B", "N2", 52.5)),
                    patients=(_patient("P1", "inpatient", "A"), _patient("R1", "referral")),
                    policy=Policy(distance="geodesic"))
    path = tmp_path / "inst"
    write_instance(inst, path)
    return path


def _run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _grid(tmp_path, text: str):
    path = tmp_path / "SWEEP.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sweep_writes_results_and_exits_0(tmp_path, instance_dir):
    grid = _grid(tmp_path, '[demand]\nmode = "instance"\n[[vary]]\nunit_id = "A"\n'
                           'beds = [1, 2]\n[[close_options]]\nunit_ids = ["B"]\n')
    out = tmp_path / "out"
    result = _run("sweep", instance_dir, "--grid", grid, "--out", out, "--workers", "0",
                  "--no-progress")
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out / "sweep.parquet")
    assert list(df["placed"]) == [2, 1, 2, 2]  # R1 unplaced only with A full and B closed
    assert (out / "sweep.csv").is_file() and (out / "sweep.png").is_file()
    assert "optimal 4" in result.stdout
    assert "4 scenarios x 1 demand draws = 4 solves (in this process)" in result.stderr


def test_seeds_flag_sets_the_number_of_draws(tmp_path, instance_dir):
    grid = _grid(tmp_path, '[demand]\nsource = "instance"\nreferrals = 2\n')
    out = tmp_path / "out"
    result = _run("sweep", instance_dir, "--grid", grid, "--out", out, "--workers", "0",
                  "--seeds", "3", "--no-progress")
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out / "sweep.csv")
    assert list(df["seed"]) == [0, 1, 2]
    assert set(df["referrals"]) == {3}  # the instance's R1 is kept; 2 drawn are added
    assert ("demand: the instance's 1 referral plus 2 drawn resampled from the instance's "
            "patients, 3 draws (seeds 0-2)") in result.stderr


def test_the_instance_referrals_are_used_as_they_are_by_default(tmp_path, instance_dir):
    out = tmp_path / "out"
    result = _run("sweep", instance_dir, "--grid", _grid(tmp_path, ""), "--out", out,
                  "--workers", "0", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "demand      the instance's 1 referral as given (no draws)" in result.stdout
    assert pd.read_csv(out / "sweep.csv")["referrals"].tolist() == [1]


def test_ties_are_told_as_ties(tmp_path, instance_dir):
    """R1 goes to A (at home) when A has a second bed, else to B (55.6 km, out of area):
    B's second bed changes nothing. Two scenarios tie for best; A.beds=1 is behind."""
    grid = _grid(tmp_path, '[[vary]]\nunit_id = "A"\nbeds = [1, 2]\n'
                           '[[vary]]\nunit_id = "B"\nbeds = [1, 2]\n')
    result = _run("sweep", instance_dir, "--grid", grid, "--out", tmp_path / "out",
                  "--workers", "0", "--no-progress")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith("best"))
    assert lines[at] == "best        a tie: 2 scenarios give the same objective (mean 0.0):"
    assert lines[at + 1:at + 3] == ["              A.beds=2, B.beds=1",
                                    "              A.beds=2, B.beds=2"]
    assert lines[at + 3].startswith("next        A.beds=1, B.beds=1 (+105.6 on average)")


def test_no_difference_at_all_is_said(tmp_path, instance_dir):
    grid = _grid(tmp_path, '[[vary]]\nunit_id = "B"\nbeds = [1, 2, 3]\n')
    result = _run("sweep", instance_dir, "--grid", grid, "--out", tmp_path / "out",
                  "--workers", "0", "--no-progress")
    assert result.exit_code == 0, result.output
    assert ("best        no difference: all 3 scenarios give the same objective "
            "(mean 105.6)") in result.stdout
    assert "next" not in result.stdout


@pytest.mark.parametrize(("text", "message"), [
    ("[[vary]\nunit_id = 'A'", "SWEEP.toml:1: not valid TOML"),
    ("[[vary]]\nunit_id = 'U99'\nbeds = [1]", "SWEEP.toml: vary[1].unit_id: unknown unit 'U99'"),
    ("[[close_options]]\nunit_ids = ['Z']", "close_options[1].unit_ids: unknown unit 'Z'"),
    ("[demand]\nseedz = 2", "SWEEP.toml: demand.seedz: unknown key"),
])
def test_bad_grid_exits_2_with_a_message_and_writes_nothing(tmp_path, instance_dir, text,
                                                             message):
    out = tmp_path / "out"
    result = _run("sweep", instance_dir, "--grid", _grid(tmp_path, text), "--out", out,
                  "--workers", "0")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_grid_file_and_bad_instance_exit_2(tmp_path, instance_dir):
    result = _run("sweep", instance_dir, "--grid", tmp_path / "nope.toml", "--out",
                  tmp_path / "out")
    assert result.exit_code == 2 and "nope.toml: file not found" in result.stderr
    result = _run("sweep", tmp_path / "no-instance", "--grid", _grid(tmp_path, ""),
                  "--out", tmp_path / "out")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_an_out_that_is_a_file_and_a_malformed_scheduler_exit_2(tmp_path, instance_dir):
    (tmp_path / "f").write_text("x")
    result = _run("sweep", instance_dir, "--grid", _grid(tmp_path, ""), "--out", tmp_path / "f")
    assert result.exit_code == 2
    assert f"error: --out: {tmp_path / 'f'} exists and is not a directory" in result.stderr
    result = _run("sweep", instance_dir, "--grid", _grid(tmp_path, ""), "--out",
                  tmp_path / "out", "--scheduler", "not-an-address", "--no-progress")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "error: --scheduler: cannot reach a Dask scheduler at not-an-address" in \
        result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # Dask tries to connect for 10 s
def test_unreachable_scheduler_exits_2(tmp_path, instance_dir):
    result = _run("sweep", instance_dir, "--grid", _grid(tmp_path, ""), "--out",
                  tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9", "--no-progress")
    assert result.exit_code == 2
    assert "cannot reach a Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert not (tmp_path / "out").exists()
