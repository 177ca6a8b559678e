"""Contract: ``bedplan scenario INSTANCE --changes CHANGES.toml --out OUT``.

"Writes OUT/baseline/ and OUT/scenario/ (each assignments.csv + summary.json as for
reallocate) and OUT/comparison.json: {"baseline": {objective, metrics...}, "scenario": {...},
"delta": {...}}. An unknown unit_id or key is invalid input." with "[[set]] change numbers of
a unit (any of beds, beds_closed, cost_per_day)", "[[close]] take a unit out of use: no beds;
its inpatients must move (they are treated as movable for this scenario)", "[[add_unit]] a
new unit, with the columns of units.csv", "[policy] overrides of policy.toml, same keys".

The oracle applies the changes to the rows itself and checks both halves like a reallocate.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import contract_util as cu
import pytest
from contract_util import Spec


def changes_for(spec: Spec, seed: int) -> tuple[str, Spec]:
    """Random CHANGES.toml text for ``spec`` and the scenario instance it means."""
    rng = random.Random(seed)
    scen = spec.copy()
    lines: list[str] = []
    uids = [u["unit_id"] for u in spec.units]
    target = rng.choice(uids)
    beds = rng.randint(0, 4)
    lines += ["[[set]]", f'unit_id = "{target}"', f"beds = {beds}", "beds_closed = 0",
              "cost_per_day = 123.5", ""]
    for row in scen.units:
        if row["unit_id"] == target:
            row.update(beds=str(beds), beds_closed="0", cost_per_day="123.5")
    if rng.random() < 0.6:
        closed = rng.choice(uids)
        lines += ["[[close]]", f'unit_id = "{closed}"', ""]
        for row in scen.units:
            if row["unit_id"] == closed:
                row.update(beds="0", beds_closed="0")
        for p in scen.patients:
            if p["current_unit_id"] == closed:
                p["movable"] = "true"
    if rng.random() < 0.6:
        template = dict(rng.choice(spec.units))
        lat, lon = float(template["lat"]) + 0.05, float(template["lon"]) - 0.05
        new = {**template, "unit_id": "NEW1", "name": "New ward", "beds": "2",
               "beds_closed": "0", "lat": repr(lat), "lon": repr(lon)}
        scen.units.append(new)
        lines += ["[[add_unit]]"] + [f"{k} = {_toml(k, v)}" for k, v in new.items() if v]
        lines.append("")
    if rng.random() < 0.5:
        max_moves = rng.randint(0, 2)
        lines += ["[policy]", f"limits.max_moves = {max_moves}", ""]
        pol = dict(scen.policy or {})
        pol["limits"] = {**dict(pol.get("limits", {})), "max_moves": max_moves}
        scen.policy = pol
    return "\n".join(lines) + "\n", scen


def _toml(key: str, value: str) -> str:
    if key in ("beds", "beds_closed", "age_min", "age_max"):
        return str(int(float(value)))
    if key in ("lat", "lon", "cost_per_day"):
        return repr(float(value))
    return json.dumps(value)


def run_scenario(spec: Spec, changes: str, tmp: Path) -> tuple[cu.Run, Path]:
    inst = cu.write_spec(spec, tmp / "inst")
    (tmp / "changes.toml").write_text(changes, encoding="utf-8")
    out = tmp / "out"
    return cu.run_cli("scenario", inst, "--changes", tmp / "changes.toml", "--out", out), out


def part_code(spec: Spec) -> int:
    import oracle

    return {"optimal": 0, "infeasible": 3, "invalid": 2}[oracle.solve(
        spec.oracle_instance()).status]


@pytest.mark.parametrize("seed", [*range(6), *[pytest.param(s, marks=pytest.mark.slow)
                                                for s in range(6, 120)]])
def test_random_scenarios(tmp_path: Path, seed: int) -> None:
    spec = cu.random_spec(500 + seed)
    changes, scen = changes_for(spec, seed)
    run, out = run_scenario(spec, changes, tmp_path)
    assert "Traceback" not in run.stderr, run.stderr
    codes = (part_code(spec), part_code(scen))
    if 2 in codes:
        assert run.code == 2, (codes, run.stderr)
        return
    assert run.code == (3 if 3 in codes else 0), (codes, run.code, changes, run.stderr[-500:])
    problems = []
    for name, part, code in (("baseline", spec, codes[0]), ("scenario", scen, codes[1])):
        problems += [f"{name}: {p}" for p in
                     cu.check_reallocate(part, out / name, cu.Run(code, "", ""))]
    assert problems == [], (changes, problems)
    comparison = cu.strict_json((out / "comparison.json").read_text(encoding="utf-8"))
    assert set(comparison) >= {"baseline", "scenario", "delta"}
    for name in ("baseline", "scenario"):
        summary = cu.strict_json((out / name / "summary.json").read_text(encoding="utf-8"))
        assert comparison[name].get("objective") == summary["objective"]
        side: dict[str, Any] = comparison[name]
        metrics = side.get("metrics", side)
        for key in ("placed", "moves", "unplaced"):
            assert metrics.get(key) == summary["metrics"][key], (name, key, side)


@pytest.mark.parametrize("changes", [
    '[[set]]\nunit_id = "NOPE"\nbeds = 3\n',
    '[[set]]\nunit_id = "U1"\nbedz = 3\n',
    '[[close]]\nunit_id = "W9"\n',
    '[[explode]]\nunit_id = "U1"\n',
    '[policy]\nlimits.max_movez = 3\n',
    '[[set]]\nunit_id = "U1"\nbeds = 2.5\n',
])
def test_unknown_unit_or_key_is_invalid(tmp_path: Path, changes: str) -> None:
    from variants import base_spec

    run, out = run_scenario(base_spec(), changes, tmp_path)
    assert "Traceback" not in run.stderr
    assert run.code == 2, (run.code, run.stderr)
    assert not out.exists()
    assert "changes.toml" in run.stderr or "CHANGES" in run.stderr.upper(), run.stderr
