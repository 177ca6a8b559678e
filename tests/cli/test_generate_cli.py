"""``bedplan generate``: exit codes, refusing to overwrite, byte-identical output."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bedplan.cli import cli
from models.io import validate


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["generate", *args])


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_writes_a_valid_instance_and_says_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "inst"
    res = _run(str(out), "--seed", "5", "--patients", "120", "--units", "12",
               "--referrals", "7")
    assert res.exit_code == 0, res.output
    assert "12 units" in res.output and "113 inpatients, 7 referrals" in res.output
    inst, problems = validate(out)
    assert problems == [] and inst is not None
    assert len(inst.units) == 12 and len(inst.patients) == 120


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    for name, seed in (("a", "9"), ("b", "9"), ("c", "10")):
        assert _run(str(tmp_path / name), "--seed", seed, "--patients", "80",
                    "--units", "9").exit_code == 0
    a, b, c = (_files(tmp_path / n) for n in "abc")
    assert a == b
    assert a["patients.csv"] != c["patients.csv"]


def test_refuses_a_non_empty_directory_without_force(tmp_path: Path) -> None:
    out = tmp_path / "inst"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    res = _run(str(out), "--seed", "1", "--patients", "10", "--units", "2")
    assert res.exit_code == 2
    assert "not empty" in res.output and "--force" in res.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    res = _run(str(out), "--seed", "1", "--patients", "10", "--units", "2", "--force")
    assert res.exit_code == 0, res.output
    assert (out / "units.csv").is_file() and (out / "keep.txt").read_text() == "mine"


def test_a_file_in_the_way_exits_2_even_with_force(tmp_path: Path) -> None:
    target = tmp_path / "inst"
    target.write_text("not a directory")
    res = _run(str(target), "--seed", "1", "--patients", "10", "--units", "2", "--force")
    assert res.exit_code == 2
    assert "is a file" in res.output
    assert target.read_text() == "not a directory"


def test_an_empty_existing_directory_is_fine(tmp_path: Path) -> None:
    assert _run(str(tmp_path), "--seed", "1", "--patients", "10", "--units", "2").exit_code == 0


def test_options_reach_the_instance(tmp_path: Path) -> None:
    res = _run(str(tmp_path / "x"), "--seed", "2", "--patients", "50", "--units", "6",
               "--services", "camhs", "--distance", "geodesic", "--regions", "2")
    assert res.exit_code == 0, res.output
    inst, _ = validate(tmp_path / "x")
    assert inst is not None
    assert {u.service for u in inst.units} == {"camhs"}
    assert inst.policy.distance == "geodesic"


def test_future_days_add_the_referrals_to_come_on_top_of_tonights(tmp_path: Path) -> None:
    args = ["--seed", "4", "--patients", "300", "--units", "20", "--referrals", "9"]
    assert _run(str(tmp_path / "tonight"), *args).exit_code == 0
    res = _run(str(tmp_path / "weeks"), *args, "--future-days", "28")
    assert res.exit_code == 0, res.output
    tonight, _ = validate(tmp_path / "tonight")
    weeks, _ = validate(tmp_path / "weeks")
    assert tonight is not None and weeks is not None
    later = weeks.patients[len(tonight.patients):]
    assert weeks.patients[:len(tonight.patients)] == tonight.patients
    assert later and f"9 referrals and {len(later)} over the next 28 days" in res.output
    start = date(2026, 12, 7)                                # [plan] start of both
    assert weeks.policy.plan.start == tonight.policy.plan.start == start
    assert all(p.status == "referral" and p.arrives_on is not None
               and start < p.arrives_on <= start + timedelta(days=28) for p in later)


def test_without_future_days_no_referral_arrives_later(tmp_path: Path) -> None:
    res = _run(str(tmp_path), "--seed", "4", "--patients", "300", "--units", "20",
               "--future-days", "0")
    assert res.exit_code == 0, res.output
    assert "over the next" not in res.output
    header = (tmp_path / "patients.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "arrives_on" not in header.split(",")


@pytest.mark.parametrize("args", [
    ["--patients", "10", "--units", "2"],                                   # no seed
    ["--seed", "1", "--patients", "-1", "--units", "2"],
    ["--seed", "1", "--patients", "10", "--units", "0"],
    ["--seed", "x", "--patients", "10", "--units", "2"],
    ["--seed", "1", "--patients", "10", "--units", "2", "--referrals", "11"],
    ["--seed", "1", "--patients", "10", "--units", "2", "--services", "dentistry"],
    ["--seed", "1", "--patients", "10", "--units", "2", "--occupancy", "0"],
    ["--seed", "1", "--patients", "10", "--units", "2", "--distance", "crow"],
    ["--seed", "1", "--patients", "10", "--units", "2", "--future-days", "-1"],
    ["--seed", "1", "--patients", "10", "--units", "2", "--future-days", "week"],
])
def test_bad_options_exit_2_and_write_nothing(tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "inst"
    res = _run(str(out), *args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert not out.exists()
