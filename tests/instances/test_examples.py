"""The bundled hand-checked examples (England: ``test_england.py``).

Each example's optimum (``expected.json``, derived by hand in its README) is checked three
ways: against an exhaustive search written here from the contract's objective alone, against
the solver, and (for the infeasible one) against the CLI's exit code.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from geopy.distance import geodesic

from models.compatibility import is_compatible
from models.domain import Instance
from models.io import read_instance, validate

ROOT = Path(__file__).resolve().parents[2] / "instances"
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())


def _expected(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((path / "expected.json").read_text())


def test_there_are_enough_examples() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"two-wards", "move-budget", "admission-limit", "unplaced", "infeasible"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_valid_small_and_documented(path: Path) -> None:
    inst, problems = validate(path)
    assert problems == []
    assert inst is not None
    assert 2 <= len(inst.units) <= 4 and 3 <= len(inst.patients) <= 8
    assert inst.policy.distance == "geodesic"
    readme = (path / "README.md").read_text()
    exp = _expected(path)
    if exp["objective"] is not None:
        assert f"{exp['objective']:.2f}" in readme  # the README states the optimum to 0.01
    else:
        assert "infeasible" in readme.lower()


def brute_force(inst: Instance) -> tuple[float, dict[str, tuple[str, str | None]]] | None:
    """The contract's optimum by trying every plan (tiny instances only)."""
    w, lim = inst.policy.weights, inst.policy.limits
    choices = []
    for p in inst.patients:
        opts: list[tuple[str, str | None]] = []
        for u in inst.units:
            if p.status == "inpatient":
                if u.unit_id == p.current_unit_id:
                    opts.append(("stay", u.unit_id))
                elif p.movable and is_compatible(p, u):
                    opts.append(("move", u.unit_id))
            elif is_compatible(p, u):
                opts.append(("admit", u.unit_id))
        if p.status == "referral":
            opts.append(("unplaced", None))
        choices.append(opts)
    units = {u.unit_id: u for u in inst.units}
    best: tuple[float, dict[str, tuple[str, str | None]]] | None = None
    for plan in itertools.product(*choices):
        load: Counter[str] = Counter()
        taken: Counter[str] = Counter()
        total, moves = 0.0, 0
        for p, (action, uid) in zip(inst.patients, plan, strict=True):
            if uid is None:
                total += w.unplaced * p.priority
                continue
            u = units[uid]
            load[uid] += 1
            total += (w.km * geodesic((p.home_lat, p.home_lon), (u.lat, u.lon)).km
                      + w.out_of_area * (u.network_id != p.home_network_id)
                      + w.cost * u.cost_per_day)
            if action == "move":
                moves += 1
                taken[uid] += 1
                total += w.move
            elif action == "admit":
                taken[uid] += 1
            elif not is_compatible(p, u):
                total += w.delayed
        if any(load[k] > units[k].open_beds for k in load):
            continue
        if lim.max_moves is not None and moves > lim.max_moves:
            continue
        if lim.max_admissions_per_unit is not None and any(
                v > lim.max_admissions_per_unit for v in taken.values()):
            continue
        if best is None or total < best[0] - 1e-9:
            best = (total, {p.patient_id: a for p, a in zip(inst.patients, plan, strict=True)})
    return best


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_written_optimum_is_the_exhaustive_optimum(path: Path) -> None:
    exp = _expected(path)
    best = brute_force(read_instance(path))
    if exp["status"] == "infeasible":
        assert best is None
        return
    assert best is not None
    assert best[0] == pytest.approx(exp["objective"], abs=0.01)
    assert {k: {"action": a, "unit_id": u} for k, (a, u) in best[1].items()} == \
        exp["assignments"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_solver_finds_the_written_optimum(path: Path) -> None:
    solve = pytest.importorskip("optimiser.core.solve").solve
    exp = _expected(path)
    result = solve(read_instance(path))
    assert result.status == exp["status"]
    if exp["objective"] is None:
        assert result.objective is None and result.diagnosis
        return
    assert result.objective == pytest.approx(exp["objective"], abs=0.01)
    got = {a.patient_id: {"action": a.action, "unit_id": a.unit_id} for a in result.assignments}
    assert got == exp["assignments"]


def test_infeasible_example_exits_3(tmp_path: Path) -> None:
    pytest.importorskip("bedplan.cli.reallocate")
    from bedplan.cli import cli

    res = CliRunner().invoke(cli, ["reallocate", str(ROOT / "examples" / "infeasible"),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 3, res.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert any("LEEDS" in line for line in summary["diagnosis"])
