"""A planner's scenario: the same night solved as it is and as CHANGES.toml would make it.

Both runs go through :func:`optimiser.planning.run.run_instance` (the same solve, outputs and
summary as ``reallocate``), into ``OUT/baseline/`` and ``OUT/scenario/``; then
``OUT/comparison.json`` puts the two side by side::

    {"baseline": {"status", "objective", "bound", "gap", "metrics": {...}, <metrics...>},
     "scenario": {...}, "delta": {"objective", "metrics": {...}, <metrics...>}}

``metrics`` are summary.json's metrics plus ``cost_per_day`` (GBP per day of the placed
patients' beds); they also appear at the top level of each side so that a spreadsheet import
finds them without nesting. ``delta`` is scenario minus baseline, null where either side has
no plan. The invalid input of either the instance or the changes is reported before anything
is written; the distances of the baseline are reused for the scenario (only added units'
columns are computed).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from models.atomic import atomic_write
from models.changes import Changes, apply_changes
from models.domain import Instance
from models.text import number, signed
from optimiser.core.result import Result
from optimiser.geography.distances import KmTable, PairDistances, pair_distances
from optimiser.planning.money import spend_after
from optimiser.planning.outputs import summary_dict
from optimiser.planning.run import PhaseEvent, RunOutcome, check_out_dir, run_instance

log = logging.getLogger(__name__)

COMPARISON = "comparison.json"
#: Rows of the side-by-side table: (key in metrics, label, digits or None for counts).
ROWS: tuple[tuple[str, str, int], ...] = (
    ("placed", "placed", 0),
    ("unplaced", "unplaced", 0),
    ("moves", "moves", 0),
    ("out_of_area", "out of area", 0),
    ("delayed", "delayed stays", 0),
    ("total_km", "total km", 1),
    ("median_km", "median km", 1),
    ("cost_per_day", "cost per day (GBP)", 2),
    ("cost_per_year", "cost per year (GBP)", 0),
    ("out_of_area_cost_per_year", "  out of area", 0),
    ("independent_cost_per_year", "  independent", 0),
)

ScenarioProgress = Callable[[str, PhaseEvent], None]


@dataclass(frozen=True)
class ScenarioOutcome:
    """Both runs, their comparison and the exit code the contract gives the pair."""

    baseline: RunOutcome
    scenario: RunOutcome
    comparison: dict[str, Any]
    exit_code: int
    paths: tuple[Path, ...]


def scenario_distances(before: Instance, after: Instance, distances: KmTable) -> KmTable:
    """The scenario's km from the baseline's: same patients, same units first (their places do
    not change), then the added units' columns, computed alone. Distances computed pair by
    pair are cheap to set up again for the scenario's instance."""
    if isinstance(distances, PairDistances):
        return pair_distances(after, after.policy.distance)
    if after.policy.distance != before.policy.distance:
        from optimiser.geography.distances import distance_matrix

        return distance_matrix(after, after.policy.distance)
    added = after.units[len(before.units):]
    if not added:
        return distances
    from optimiser.geography.distances import distance_matrix

    extra = distance_matrix(replace(after, units=tuple(added)), after.policy.distance)
    return np.hstack([distances, extra])


def cost_per_day(instance: Instance, result: Result) -> float | None:
    """GBP per day of the beds the plan fills (None when there is no plan)."""
    spent = spend_after(instance, result)
    return None if spent is None else round(spent.per_day, 2)


def side(instance: Instance, result: Result) -> dict[str, Any]:
    """One column of the comparison, with the same numbers as that run's summary.json, and
    the money: £ per day and per year of the beds filled, out of area and independent."""
    s = summary_dict(instance, result)
    metrics = dict(s["metrics"])
    spent = spend_after(instance, result)
    money = {} if spent is None else spent.as_dict()
    metrics["cost_per_day"] = money.get("per_day")
    for key in ("per_year", "out_of_area_per_day", "out_of_area_per_year",
                "independent_per_day", "independent_per_year"):
        name = "cost_" + key if key == "per_year" else key.replace("_per", "_cost_per")
        metrics[name] = money.get(key)
    out: dict[str, Any] = {k: s[k] for k in ("status", "objective", "bound", "gap")}
    out["metrics"] = metrics
    out.update(metrics)
    return out


def _minus(a: Any, b: Any) -> float | int | None:
    if a is None or b is None:
        return None
    value = a - b
    return round(value, 6) if isinstance(value, float) else value


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{"baseline", "scenario", "delta"}`` from two :func:`side` columns."""
    plans = before["objective"] is not None and after["objective"] is not None
    metrics = {k: (_minus(after["metrics"][k], before["metrics"][k]) if plans else None)
               for k in before["metrics"]}
    delta: dict[str, Any] = {"objective": _minus(after["objective"], before["objective"]),
                             "metrics": metrics}
    delta.update(metrics)
    return {"baseline": before, "scenario": after, "delta": delta}


def run_scenario(instance: Instance, changes: Changes, out_dir: str | os.PathLike[str], *,
                 method: str = "auto", progress: ScenarioProgress | None = None,
                 distances: np.ndarray | None = None,
                 network: str | None = None) -> ScenarioOutcome:
    """Apply ``changes``, solve baseline and scenario, write both and comparison.json.

    ``network`` solves one collaborative only, as ``reallocate --network`` does (the
    changes apply to the whole instance first). Raises InputError (nothing written) when
    the changes do not fit the instance. Exit code: the worse of the two runs' (0 plan,
    3 infeasible, 4 no solution).
    """
    changed = apply_changes(instance, changes)
    out = check_out_dir(out_dir)
    if network is not None:
        from optimiser.planning.subset import restrict_to_network

        restrict_to_network(instance, network)  # an unknown network: InputError, no output
        distances = None
    if distances is None and network is None:
        from optimiser.geography.distances import distance_matrix

        distances = distance_matrix(instance, instance.policy.distance)
    changed_km = None if distances is None else scenario_distances(instance, changed,
                                                                    distances)

    def relay(label: str) -> Callable[[PhaseEvent], None] | None:
        if progress is None:
            return None
        return lambda event: progress(label, event)

    base = run_instance(instance, out / "baseline", method=method, progress=relay("baseline"),
                        distances=distances, network=network)
    scen = run_instance(changed, out / "scenario", method=method, progress=relay("scenario"),
                        distances=changed_km, network=network)
    base_inst, scen_inst = base.instance, scen.instance  # as solved (after --network)
    comparison = compare(side(base_inst, base.result), side(scen_inst, scen.result))
    path = out / COMPARISON
    atomic_write(path, json.dumps(comparison, indent=2, allow_nan=False) + "\n")
    code = max(base.exit_code, scen.exit_code)
    return ScenarioOutcome(base, scen, comparison, code, (*base.paths, *scen.paths, path))


def render_comparison(comparison: dict[str, Any]) -> str:
    """The side-by-side table a planner reads: baseline, scenario and the change."""
    b, s, d = comparison["baseline"], comparison["scenario"], comparison["delta"]
    lines = [f"{'':<20}{'baseline':>14}{'scenario':>14}{'change':>14}",
             f"{'status':<20}{b['status']:>14}{s['status']:>14}{'':>14}",
             f"{'objective':<20}{number(b['objective'], 2):>14}{number(s['objective'], 2):>14}"
             f"{signed(d['objective'], 2):>14}"]
    for key, label, digits in ROWS:
        lines.append(f"{label:<20}{number(b['metrics'][key], digits):>14}"
                     f"{number(s['metrics'][key], digits):>14}"
                     f"{signed(d['metrics'][key], digits):>14}")
    return "\n".join(lines)
