"""``bedplan simulate``: what it writes, and exit 2 with a clear message on bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bedplan.cli import cli
from optimiser.planning.simulate_policies import plan_available

EXAMPLE = "instances/examples/simulate-two-wards"
HEADER = ("policy,run,seed,brought_home,moves,admissions,discharges,referrals,unplaced_nights,"
          "out_of_area_bed_days,bed_days,km_bed_days,cost")


def invoke(*args: str):
    return CliRunner().invoke(cli, ["simulate", *args])


def test_writes_runs_summary_and_report(tmp_path):
    out = tmp_path / "out"
    res = invoke(EXAMPLE, "--days", "14", "--runs", "2", "--seed", "1", "--out", str(out),
                 "--start", "2027-01-01", "--no-progress")
    assert res.exit_code == 0, res.output
    lines = (out / "runs.csv").read_text().splitlines()
    assert lines == [HEADER,
                     "nearest,1,1,0,0,1,2,1,0,23,38,6408.51,16700.00",
                     "nearest,2,2,0,0,1,2,1,0,23,38,6408.51,16700.00",
                     "reallocate,1,1,1,1,1,2,1,0,0,38,388.52,16200.00",
                     "reallocate,2,2,1,1,1,2,1,0,0,38,388.52,16200.00"]
    summ = json.loads((out / "summary.json").read_text())
    assert (summ["days"], summ["runs"], summ["seed"]) == (14, 2, 1)
    assert summ["policies"]["reallocate"]["brought_home"] == {"mean": 1.0, "low": 1.0,
                                                              "high": 1.0}
    page = (out / "report.html").read_text()
    assert "data:image/png;base64," in page and "<script" not in page
    assert "brought_home" in page and "reallocate − nearest" in page
    assert "nearest" in res.output and "written to" in res.output


def test_one_policy_and_one_run_has_no_interval(tmp_path):
    out = tmp_path / "out"
    res = invoke(EXAMPLE, "--days", "3", "--runs", "1", "--out", str(out),
                 "--start", "2027-01-01", "--policy", "nearest", "--no-progress")
    assert res.exit_code == 0, res.output
    summ = json.loads((out / "summary.json").read_text())
    assert list(summ["policies"]) == ["nearest"]
    assert summ["policies"]["nearest"]["moves"] == {"mean": 0.0, "low": None, "high": None}


@pytest.mark.parametrize(("args", "message"), [
    (["--policy", "fastest"], "error: --policy: unknown policy 'fastest': use nearest, "
                              "reallocate, plan"),
    (["--days", "0"], "error: --days: must be at least 1, got 0"),
    (["--runs", "0"], "error: --runs: must be at least 1, got 0"),
    (["--days", "3661"], "error: --days: must be at most 3660 (ten years of nights), got 3661"),
    (["--seed", "-5"], "error: --seed: must be at least 0, got -5"),
    (["--policy", "nearest", "--policy", "nearest"], "error: --policy: a policy is named twice"),
])
def test_bad_flags_exit_2_and_write_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    res = invoke(EXAMPLE, "--days", "5", "--out", str(out), *args)
    assert res.exit_code == 2
    assert message in res.output
    assert not out.exists()


def test_a_malformed_demand_csv_exits_2_naming_file_row_and_column(tmp_path):
    inst = tmp_path / "inst"
    shutil.copytree(EXAMPLE, inst)
    (inst / "demand.csv").write_text("service,level,home_network_id,referrals_per_year\n"
                                     "adult_secure,medium,north,1\n"
                                     "adult_secure,medium,south,lots\n")
    out = tmp_path / "out"
    res = invoke(str(inst), "--days", "5", "--out", str(out), "--start", "2027-01-01")
    assert res.exit_code == 2
    assert "error: demand.csv:3: referrals_per_year: 'lots' is not a number" in res.output
    assert not out.exists()


def test_a_demand_file_given_by_flag_replaces_the_estimate(tmp_path):
    demand = tmp_path / "busy.csv"
    demand.write_text("service,level,home_network_id,referrals_per_year,mean_stay_days\n"
                      "adult_secure,medium,south,365,5\n")
    out = tmp_path / "out"
    res = invoke(EXAMPLE, "--days", "10", "--runs", "2", "--out", str(out), "--start",
                 "2027-01-01", "--demand", str(demand), "--policy", "nearest", "--no-progress")
    assert res.exit_code == 0, res.output
    referrals = [int(line.split(",")[7]) for line in
                 (out / "runs.csv").read_text().splitlines()[1:]]
    assert all(r > 3 for r in referrals)  # about 10 drawn (1 a night) + R1
    assert "busy.csv" in res.output


def test_an_expected_discharge_before_the_start_exits_2(tmp_path):
    res = invoke(EXAMPLE, "--days", "5", "--out", str(tmp_path / "o"), "--start", "2027-01-05")
    assert res.exit_code == 2
    assert "patients.csv:3: expected_discharge: 2027-01-02 is not after the first night " \
        "2027-01-05" in res.output


def test_plan_policy(tmp_path):
    out = tmp_path / "out"
    res = invoke(EXAMPLE, "--days", "3", "--runs", "1", "--out", str(out), "--start",
                 "2027-01-01", "--policy", "plan", "--lookahead", "3", "--no-progress")
    if plan_available():
        assert res.exit_code == 0, res.output
        assert (out / "runs.csv").read_text().splitlines()[1].startswith("plan,1,0,")
    else:
        assert res.exit_code == 2
        assert "policy 'plan' is not available yet" in res.output
        assert not out.exists()


def test_an_unreachable_scheduler_exits_2(tmp_path):
    res = invoke(EXAMPLE, "--days", "2", "--out", str(tmp_path / "o"), "--start",
                 "2027-01-01", "--scheduler", "tcp://127.0.0.1:9", "--no-progress")
    assert res.exit_code == 2
    assert "--scheduler: cannot reach a Dask scheduler at tcp://127.0.0.1:9" in res.output


def test_an_out_that_is_a_file_exits_2(tmp_path):
    (tmp_path / "o").write_text("x")
    res = invoke(EXAMPLE, "--days", "2", "--out", str(tmp_path / "o"), "--no-progress")
    assert res.exit_code == 2
    assert f"error: --out: {tmp_path / 'o'} exists and is not a directory" in res.output


def test_no_patients_at_all_is_simulated(tmp_path):
    """A header-only patients.csv is a valid instance: zeros, not a failed report (its
    figures were ints, which the report's number format could not round)."""
    inst = tmp_path / "inst"
    shutil.copytree(EXAMPLE, inst)
    header = (inst / "patients.csv").read_text().splitlines()[0]
    (inst / "patients.csv").write_text(header + "\n")
    (inst / "demand.csv").unlink(missing_ok=True)
    res = invoke(str(inst), "--days", "2", "--runs", "1", "--out", str(tmp_path / "o"),
                 "--no-progress")
    assert res.exit_code == 0, res.output
    assert {p.name for p in (tmp_path / "o").iterdir()} == {"runs.csv", "summary.json",
                                                             "report.html"}


def test_a_report_that_fails_leaves_the_earlier_outputs(tmp_path, monkeypatch):
    out = tmp_path / "o"
    args = ("--days", "2", "--runs", "1", "--out", str(out), "--no-progress")
    assert invoke(EXAMPLE, *args).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import optimiser.report.simulate as report

    def broken(*_a, **_k):
        raise RuntimeError("report failed")

    monkeypatch.setattr(report, "report_html", broken)
    res = invoke(EXAMPLE, *args[:-3], "--seed", "7", *args[-3:])
    assert res.exit_code == 2 and "report failed" in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_help_lists_the_policies():
    res = CliRunner().invoke(cli, ["simulate", "--help"])
    assert res.exit_code == 0
    for word in ("nearest", "reallocate", "plan", "--lookahead", "--scheduler"):
        assert word in res.output
    assert "simulate" in CliRunner().invoke(cli, ["--help"]).output


def test_the_example_is_documented():
    readme = Path(EXAMPLE, "README.md").read_text()
    assert "16,700" in readme and "16,200" in readme
