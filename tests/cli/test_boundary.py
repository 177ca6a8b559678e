"""The real ``bedplan`` program on garbage input: exit 2, a message, never a traceback."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


def bedplan() -> list[str]:
    """The installed console script next to this Python, else ``python -m bedplan``."""
    script = Path(sys.executable).with_name("bedplan")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bedplan"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*bedplan(), *args], capture_output=True, text=True, timeout=120,
                          env=env, check=False)


def random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def garbage_cases(root: Path) -> dict[str, Path]:
    root.mkdir()
    cases: dict[str, Path] = {}
    binary = root / "binary.bin"
    binary.write_bytes(random_bytes(4096, 1))
    cases["a binary file"] = binary
    d = root / "random-units"
    d.mkdir()
    (d / "units.csv").write_bytes(random_bytes(4096, 2))
    (d / "patients.csv").write_bytes(random_bytes(100, 3))
    cases["a directory with random bytes as CSV"] = d
    cases["a nonexistent path"] = root / "does-not-exist"
    fake = root / "fake.xlsx"
    fake.write_bytes(random_bytes(2048, 4))
    cases["an xlsx that is not a zip"] = fake
    z = root / "zip.xlsx"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("[Content_Types].xml", "<not-xml")
    cases["a zip that is not a workbook"] = z
    nul = root / "nul-bytes"
    nul.mkdir()
    (nul / "units.csv").write_bytes(b"unit_id,beds\nU1\x00,2\n")
    (nul / "patients.csv").write_bytes(b"")
    cases["NUL bytes and a 0-byte file"] = nul
    toml = root / "bad-toml"
    toml.mkdir()
    (toml / "units.csv").write_text("unit_id\n")
    (toml / "patients.csv").write_text("patient_id\n")
    (toml / "policy.toml").write_bytes(random_bytes(300, 5))
    cases["random bytes as policy.toml"] = toml
    return cases


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Path]:
    return garbage_cases(tmp_path_factory.mktemp("garbage") / "cases")


@pytest.mark.parametrize("name", [
    "a binary file", "a directory with random bytes as CSV", "a nonexistent path",
    "an xlsx that is not a zip", "a zip that is not a workbook", "NUL bytes and a 0-byte file",
    "random bytes as policy.toml"])
def test_garbage_exits_2_without_traceback(cases, name):
    result = run("validate", str(cases[name]))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stderr.startswith("error: ")
    assert result.stdout == ""


def test_valid_instance_exits_0(tiny_instance):
    result = run("validate", str(tiny_instance))
    assert result.returncode == 0, result.stderr
    assert "6 patients: 4 inpatients, 2 referrals" in result.stdout
    assert result.stderr == ""


def test_named_problem_through_the_real_program(make_instance, tiny_tables):
    tiny_tables["patients"][3]["current_unit_id"] = "W99"
    result = run("validate", str(make_instance(**tiny_tables)))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "error: patients.csv:5: current_unit_id: unknown unit 'W99'")


# "nothing was written" only where a command would have written something -----------------

def _invoke(*args: str):
    from click.testing import CliRunner

    from bedplan.cli import cli

    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("args", [
    ("validate", "{missing}"),
    ("suggest", "{missing}", "--patient", "R1"),
    ("bed-values", "{missing}"),
    ("distance", "ZZ99", "SE5"),
])
def test_commands_that_never_write_do_not_say_nothing_was_written(tmp_path, args):
    result = _invoke(*(a.format(missing=tmp_path / "nope") for a in args))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert "nothing was written" not in result.stderr


@pytest.mark.parametrize("args", [
    ("reallocate", "{missing}", "--out", "{out}"),
    ("scenario", "{missing}", "--changes", "{missing}", "--out", "{out}"),
    ("sweep", "{missing}", "--grid", "{missing}", "--out", "{out}"),
])
def test_commands_that_write_say_nothing_was_written(tmp_path, args):
    result = _invoke(*(a.format(missing=tmp_path / "nope", out=tmp_path / "out")
                       for a in args))
    assert result.exit_code == 2, result.output
    assert result.stderr.rstrip().endswith("nothing was written.")
    assert not (tmp_path / "out").exists()


def test_several_problems_are_counted_either_way(make_instance, tiny_tables):
    tiny_tables["patients"][0]["current_unit_id"] = "W99"
    tiny_tables["units"][0]["beds"] = "-1"
    path = str(make_instance(**tiny_tables))
    assert _invoke("validate", path).stderr.splitlines()[-1] == "2 problems found."
    out = str(Path(path).parent / "out")
    assert _invoke("reallocate", path, "--out", out).stderr.splitlines()[-1] == \
        "2 problems found; nothing was written."
