"""`bedplan scenario` end to end: files, table, exit codes, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bedplan.cli import cli
from models.changes import apply_changes, read_changes
from models.io import read_instance
from optimiser.core.solve import solve


def run(*args: str):
    return CliRunner().invoke(cli, ["scenario", *args])


def write(tmp_path, text: str):
    path = tmp_path / "CHANGES.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_writes_both_runs_and_comparison(tiny_instance, tmp_path):
    # close U2: P2 (female, medium, not movable) must move all the same; U1 is male-only and
    # U3 low secure, so a mixed medium ward U5 opens near P2's home (Birmingham).
    changes = write(tmp_path, """
[[close]]
unit_id = "U2"
[[add_unit]]
unit_id = "U5"
network_id = "N2"
service = "adult_secure"
level = "medium"
beds = 2
lat = 52.45
lon = -1.85
""")
    out = tmp_path / "out"
    res = run(str(tiny_instance), "--changes", str(changes), "--out", str(out), "--distance",
              "geodesic")
    assert res.exit_code == 0, res.output
    for name in ("baseline/assignments.csv", "baseline/summary.json",
                 "scenario/assignments.csv", "scenario/summary.json", "comparison.json"):
        assert (out / name).is_file(), name
    with open(out / "scenario/assignments.csv", newline="", encoding="utf-8") as fh:
        rows = {r["patient_id"]: r for r in csv.DictReader(fh)}
    assert (rows["P2"]["action"], rows["P2"]["unit_id"]) == ("move", "U5")
    # the same as solving the changed instance directly
    inst = read_instance(tiny_instance, policy_overrides={"distance": "geodesic"})
    direct = solve(apply_changes(inst, read_changes(changes)))
    summary = json.loads((out / "scenario/summary.json").read_text())
    assert summary["objective"] == pytest.approx(direct.objective, abs=1e-6)
    comp = json.loads((out / "comparison.json").read_text())
    assert set(comp) == {"baseline", "scenario", "delta"}
    assert comp["delta"]["moves"] == comp["scenario"]["moves"] - comp["baseline"]["moves"]
    table = res.stdout.splitlines()
    assert table[0].split() == ["baseline", "scenario", "change"]
    assert [line.split()[0] for line in table[1:4]] == ["status", "objective", "placed"]


def test_infeasible_scenario_exits_3(tiny_instance, tmp_path):
    changes = write(tmp_path, '[[set]]\nunit_id = "U2"\nbeds_closed = 3\n')  # P2 stuck
    out = tmp_path / "out"
    res = run(str(tiny_instance), "--changes", str(changes), "--out", str(out), "--distance",
              "geodesic")
    assert res.exit_code == 3, res.output
    summary = json.loads((out / "scenario/summary.json").read_text())
    assert summary["status"] == "infeasible" and summary["diagnosis"]
    assert json.loads((out / "baseline/summary.json").read_text())["status"] == "optimal"
    assert "scenario: " in res.output  # the diagnosis is printed


def test_flags_apply_to_both_runs_and_policy_to_the_scenario(tiny_instance, tmp_path):
    changes = write(tmp_path, "[policy]\nlimits.max_moves = 0\n")
    out = tmp_path / "out"
    res = run(str(tiny_instance), "--changes", str(changes), "--out", str(out), "--distance",
              "geodesic", "--max-admissions-per-unit", "0")
    assert res.exit_code == 0, res.output
    comp = json.loads((out / "comparison.json").read_text())
    # no admissions anywhere: both referrals unplaced in both runs
    assert comp["baseline"]["unplaced"] == 2 and comp["scenario"]["unplaced"] == 2
    assert comp["scenario"]["moves"] == 0


@pytest.mark.parametrize(("text", "message"), [
    ('[[set]]\nunit_id = "U9"\nbeds = 2\n',
     "error: CHANGES.toml:1: [[set]] #1 unit_id: unknown unit 'U9'"),
    ('[[close]]\nunit = "U1"\n', "error: CHANGES.toml:2: [[close]] #1 unit: unknown key"),
    ('[[set]\nunit_id = "U1"\n', "error: CHANGES.toml:1: not valid TOML"),
    ("[policy]\nlimits.max_moves = 1.5\n",
     "error: CHANGES.toml:2: [policy] limits.max_moves: must be a whole number"),
    ('[extra]\na = 1\n', "error: CHANGES.toml:1: extra: unknown table"),
])
def test_bad_changes_exit_2_and_write_nothing(tiny_instance, tmp_path, text, message):
    changes = write(tmp_path, text)
    out = tmp_path / "out"
    res = run(str(tiny_instance), "--changes", str(changes), "--out", str(out))
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_missing_changes_file_exits_2(tiny_instance, tmp_path):
    res = run(str(tiny_instance), "--changes", str(tmp_path / "nope.toml"), "--out",
              str(tmp_path / "out"))
    assert res.exit_code == 2 and "cannot be read" in res.output


def test_network_flag_solves_one_collaborative(tiny_instance, tmp_path):
    changes = write(tmp_path, '[[set]]\nunit_id = "U1"\nbeds = 3\n')
    out = tmp_path / "out"
    res = run(str(tiny_instance), "--changes", str(changes), "--out", str(out), "--distance",
              "geodesic", "--network", "N1")
    assert res.exit_code == 0, res.output
    with open(out / "scenario/assignments.csv", newline="", encoding="utf-8") as fh:
        ids = [r["patient_id"] for r in csv.DictReader(fh)]
    assert ids == ["P1", "P3", "R1"]  # N1's wards and N1's referral
    res = run(str(tiny_instance), "--changes", str(changes), "--out", str(tmp_path / "o2"),
              "--network", "N7")
    assert res.exit_code == 2 and "unknown network 'N7'" in res.output
    assert not (tmp_path / "o2").exists()


ENGLAND = __import__("pathlib").Path(__file__).resolve().parents[2] / "instances" / "england"


@pytest.mark.slow
@pytest.mark.skipif(not (ENGLAND / "units.csv").is_file(), reason="no England instance")
def test_england_scenario(tmp_path):
    inst = read_instance(ENGLAND)
    biggest = max(inst.units, key=lambda u: u.open_beds if u.service == "camhs" else -1)
    changes = write(tmp_path, f'[[set]]\nunit_id = "{biggest.unit_id}"\n'
                              f"beds_closed = {biggest.beds_closed + 2}\n")
    out = tmp_path / "out"
    res = run(str(ENGLAND), "--changes", str(changes), "--out", str(out))
    assert res.exit_code == 0, res.output
    comp = json.loads((out / "comparison.json").read_text())
    # two fewer beds can only make the optimum worse (or leave it)
    assert comp["delta"]["objective"] >= -1e-6
    for side in ("baseline", "scenario"):
        summary = json.loads((out / side / "summary.json").read_text())
        assert comp[side]["objective"] == summary["objective"]


def test_report_flag_compares_scenario_with_baseline(tmp_path):
    from click.testing import CliRunner

    from bedplan.cli import cli

    changes = tmp_path / "changes.toml"
    changes.write_text('[[set]]\nunit_id = "LEEDS"\nbeds = 3\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["scenario", TWO_WARDS, "--changes",
                                      str(changes), "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert (out / "comparison.json").is_file()


def test_without_report_flag_no_page_is_written(tmp_path):
    from click.testing import CliRunner

    from bedplan.cli import cli

    changes = tmp_path / "changes.toml"
    changes.write_text('[[set]]\nunit_id = "LEEDS"\nbeds = 3\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["scenario", TWO_WARDS, "--changes",
                                      str(changes), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "report.html").exists()


TWO_WARDS = str(Path(__file__).resolve().parents[2] / "instances" / "examples" / "two-wards")
