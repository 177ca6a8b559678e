"""Contract at a realistic size: a generated instance (``bedplan generate``, geodesic), too
big to enumerate, solved by ``reallocate``; the written plan must satisfy every constraint,
its objective must be the contract objective of the written assignments (recomputed by the
oracle's own distances and compatibility), the metrics must match, and every method must
reach the same optimum ("objective is the value of the objective above for the written
assignments").
"""

from __future__ import annotations

import json
from pathlib import Path

import contract_util as cu
import pytest


def generated(tmp: Path, patients: int, units: int, seed: int) -> Path:
    inst = tmp / "gen"
    run = cu.run_cli("generate", inst, "--seed", str(seed), "--patients", str(patients),
                     "--units", str(units), "--distance", "geodesic")
    assert run.code == 0, run.stderr
    return inst


def solve_and_check(inst: Path, out: Path, *extra: str) -> dict[str, object]:
    run = cu.run_cli("reallocate", inst, "--out", out, *extra)
    spec = cu.read_spec(inst)
    assert run.code in (0, 3), run.stderr[-800:]
    if run.code == 0:
        assert cu.check_reallocate(spec, out, run, brute_force=False) == []
    return json.loads((out / "summary.json").read_text())


def test_generated_instance_plan_is_consistent(tmp_path: Path) -> None:
    inst = generated(tmp_path, 120, 16, seed=3)
    summary = solve_and_check(inst, tmp_path / "out")
    assert summary["status"] == "optimal"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 5])
def test_generated_instance_methods_agree(tmp_path: Path, seed: int) -> None:
    inst = generated(tmp_path, 400, 50, seed=seed)
    objectives = []
    for method in ("mip", "fast"):
        summary = solve_and_check(inst, tmp_path / method, "--method", method)
        objectives.append(summary["objective"])
        assert summary["status"] in ("optimal", "infeasible")
    if objectives[0] is not None:
        assert objectives[1] == pytest.approx(objectives[0], rel=1e-6)


ENGLAND = Path(__file__).resolve().parents[2] / "instances" / "england"


@pytest.mark.slow
def test_bundled_england_instance(tmp_path: Path) -> None:
    """The bundled England instance (road over the built-in network, limits from its
    policy.toml): every distance, the objective and the metrics recomputed by the oracle."""
    if not (ENGLAND / "units.csv").exists():
        pytest.skip("instances/england not present")
    run = cu.run_cli("reallocate", ENGLAND, "--out", tmp_path / "out")
    assert run.code == 0, run.stderr[-800:]
    problems = cu.check_reallocate(cu.read_spec(ENGLAND), tmp_path / "out", run,
                                   brute_force=False)
    assert problems == [], problems[:20]
