"""Contract: "No input, however malformed, produces a Python traceback."

Hypothesis mutates the valid base instance (random bytes, truncated rows, swapped columns,
huge numbers, NaN/inf, empty ids, unicode, deleted/duplicated lines) and runs
``bedplan reallocate`` on it: the exit code is always one of 0/2/3/4, nothing resembling a
traceback is printed, an exit 2 leaves OUT untouched, and exit 0/3 write summary.json with the
matching status. Bounded (60 examples, 200 in the slow run) and deterministic.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import contract_util as cu
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from variants import base_spec

NASTY = ["", " ", "1e308", "-1e308", "99999999999999999999999", "nan", "NaN", "inf", "-inf",
         "Infinity", "-0", "1e-320", "0x10", "1_000", " 3 ", "12.5", "-1", "true", "ünïcødé",
         "💥", "\u202e", "\x00", "\"", "a,b", "U1;U1", ";", "N1 ", "U1", "R1", "P1",
         "inpatient", "referral", "camhs", "high", "female", "2026-13-45"]


def base_files(*, geography: bool = False) -> dict[str, bytes]:
    spec = base_spec()
    files = {"units.csv": cu.csv_text(spec.units), "patients.csv": cu.csv_text(spec.patients),
             "networks.csv": cu.csv_text(spec.networks or []),
             "policy.toml": 'distance = "geodesic"\n[weights]\nkm = 1.0\n[limits]\n'
                            'max_moves = 3\n'}
    if geography:
        files["policy.toml"] = 'distance = "road"\n'
        files.update(cu.geography_files(cu.CUSTOM_GEOGRAPHY))
    return {k: v.encode("utf-8") for k, v in files.items()}


@st.composite
def mutated(draw: st.DrawFn, geography: bool = False) -> dict[str, bytes]:
    files = base_files(geography=geography)
    for _ in range(draw(st.integers(1, 3))):
        pool = [n for n in sorted(files) if n.startswith("geography/")] \
            if geography and draw(st.booleans()) else sorted(files)
        name = draw(st.sampled_from(pool))
        data = files[name]
        lines = data.split(b"\n")
        kind = draw(st.sampled_from(["bytes", "truncate", "swap", "cell", "cell", "cell",
                                     "delete", "duplicate"]))
        if kind == "bytes":
            pos = draw(st.integers(0, len(data)))
            data = data[:pos] + draw(st.binary(min_size=1, max_size=6)) + data[pos:]
        elif kind == "truncate":
            i = draw(st.integers(0, max(len(lines) - 1, 0)))
            cut = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:cut]
            data = b"\n".join(lines[: i + 1] if draw(st.booleans()) else lines)
        elif kind == "swap" and name.endswith(".csv"):
            header = lines[0].split(b",")
            a, b = draw(st.integers(0, len(header) - 1)), draw(st.integers(0, len(header) - 1))
            header[a], header[b] = header[b], header[a]
            data = b"\n".join([b",".join(header), *lines[1:]])
        elif kind == "cell" and name.endswith(".csv") and len(lines) > 1:
            i = draw(st.integers(1, max(len(lines) - 2, 1)))
            cells = lines[i].split(b",")
            j = draw(st.integers(0, len(cells) - 1))
            value = draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=6)))
            cells[j] = value.encode("utf-8", "surrogatepass")
            lines[i] = b",".join(cells)
            data = b"\n".join(lines)
        elif kind == "cell":  # policy.toml: a nasty value for a key
            value = draw(st.sampled_from(["-1", "nan", "inf", "1e400", '"x"', "[]", "true"]))
            data = data.replace(b"1.0", value.encode(), 1) if draw(st.booleans()) else \
                data.replace(b"3", value.encode(), 1)
        elif kind == "delete" and len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
            data = b"\n".join(lines)
        elif kind == "duplicate":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        files[name] = data
    return files


def check_no_crash(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inst = Path(tmp) / "inst"
        (inst / "geography").mkdir(parents=True)
        for name, data in files.items():
            (inst / name).write_bytes(data)
        out = Path(tmp) / "out"
        out.mkdir()
        (out / "keep.txt").write_text("previous")
        before = cu.snapshot(out)
        run = cu.run_cli("reallocate", inst, "--out", out)
        assert "Traceback" not in run.stderr + run.stdout, run.stderr[-2000:]
        assert run.code in (0, 2, 3, 4), (run.code, run.stderr[-800:])
        if run.code == 2:
            assert cu.snapshot(out) == before, "exit 2 but OUT changed"
            assert run.stderr.strip(), "exit 2 without a message"
        else:
            summary = cu.strict_json((out / "summary.json").read_text(encoding="utf-8"))
            want = {0: ("optimal", "feasible"), 3: ("infeasible",), 4: ("error", "feasible",
                                                                          "infeasible")}
            assert summary["status"] in want[run.code], (run.code, summary["status"])


FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(mutated())
def test_fuzz_mutated_instances_never_crash(files: dict[str, bytes]) -> None:
    check_no_crash(files)


@pytest.mark.slow
@settings(FUZZ, max_examples=400)
@given(mutated())
def test_fuzz_mutated_instances_never_crash_long(files: dict[str, bytes]) -> None:
    check_no_crash(files)


@settings(FUZZ, max_examples=30)
@given(mutated(geography=True))
def test_fuzz_mutated_custom_geography_never_crashes(files: dict[str, bytes]) -> None:
    check_no_crash(files)


@settings(FUZZ, max_examples=30)
@given(st.sampled_from(["suggest", "validate", "scenario"]), mutated())
def test_fuzz_other_commands_never_crash(command: str, files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inst = Path(tmp) / "inst"
        inst.mkdir()
        for name, data in files.items():
            (inst / name).write_bytes(data)
        args: list[str | Path] = [command, inst]
        if command == "suggest":
            args += ["--patient", "R1", "--json"]
        if command == "scenario":
            (Path(tmp) / "c.toml").write_text('[[set]]\nunit_id = "U2"\nbeds = 1\n')
            args += ["--changes", Path(tmp) / "c.toml", "--out", Path(tmp) / "out"]
        run = cu.run_cli(*args)
        assert "Traceback" not in run.stderr + run.stdout, run.stderr[-2000:]
        assert run.code in (0, 2, 3, 4), (run.code, run.stderr[-800:])
        if command == "suggest" and run.code == 0:
            cu.strict_json(run.stdout)


@settings(FUZZ, max_examples=40)
@given(st.one_of(st.binary(max_size=80),
                 st.lists(st.sampled_from(["[[set]]", "[[close]]", "[[add_unit]]", "[policy]",
                                           'unit_id = "U1"', 'unit_id = "U9"', "beds = -1",
                                           "beds = 1e9", "beds_closed = 9", 'beds = "x"',
                                           "cost_per_day = nan", "limits.max_moves = -1",
                                           'service = "camhs"', "lat = 95.0", "lon = -0.1",
                                           'level = "high"', "weights.km = inf"]),
                          max_size=8).map(lambda xs: "\n".join(xs).encode())))
def test_fuzz_changes_toml_never_crashes(changes: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inst = Path(tmp) / "inst"
        inst.mkdir()
        for name, data in base_files().items():
            (inst / name).write_bytes(data)
        (Path(tmp) / "c.toml").write_bytes(changes)
        out = Path(tmp) / "out"
        run = cu.run_cli("scenario", inst, "--changes", Path(tmp) / "c.toml", "--out", out)
        assert "Traceback" not in run.stderr + run.stdout, run.stderr[-2000:]
        assert run.code in (0, 2, 3, 4), (run.code, run.stderr[-800:])
        if run.code == 2:
            assert not out.exists()
