"""Summary metrics and the contract's objective, recomputed from a plan's assignments.

Recomputing from the assignments (not trusting the solver's objective) is what keeps
summary.json and assignments.csv in agreement, whichever method produced the plan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from models.compatibility import is_compatible
from models.domain import Instance, Policy
from optimiser.core.result import Assignment, Metrics

PLACED = ("stay", "move", "admit")


def delayed_stays(instance: Instance, assignments: Sequence[Assignment]) -> list[bool]:
    """Per assignment: a stay in a unit that is no longer compatible with the patient."""
    units = instance.unit_index()
    out = []
    for p, a in zip(instance.patients, assignments, strict=True):
        out.append(a.action == "stay" and a.unit_id is not None
                   and not is_compatible(p, instance.units[units[a.unit_id]]))
    return out


def compute_metrics(instance: Instance, assignments: Sequence[Assignment],
                    delayed: Sequence[bool] | None = None) -> Metrics:
    """The contract's metrics: counts over placed patients, km total and median.
    ``delayed``: :func:`delayed_stays` of these assignments when the caller has it."""
    placed = [a for a in assignments if a.action in PLACED]
    km = np.array([a.distance_km for a in placed if a.distance_km is not None], dtype=float)
    return Metrics(
        patients=len(assignments),
        placed=len(placed),
        unplaced=sum(a.action == "unplaced" for a in assignments),
        moves=sum(a.action == "move" for a in assignments),
        out_of_area=sum(bool(a.out_of_area) for a in placed),
        total_km=float(km.sum()) if km.size else 0.0,
        median_km=float(np.median(km)) if km.size else 0.0,
        delayed=sum(delayed_stays(instance, assignments) if delayed is None else delayed),
    )


def objective_value(instance: Instance, assignments: Sequence[Assignment],
                    policy: Policy | None = None, delayed: Sequence[bool] | None = None
                    ) -> float:
    """The contract's objective for these assignments (weights from ``policy``).

    Σ placed (w.km·d + w.out_of_area·[other network] + w.cost·cost_per_day)
    + w.move·moves + w.delayed·delayed stays + w.unplaced·Σ priority of unplaced.
    ``delayed``: as for :func:`compute_metrics`.
    """
    w = (policy or instance.policy).weights
    units = {u.unit_id: u for u in instance.units}
    if delayed is None:
        delayed = delayed_stays(instance, assignments)
    total = math.fsum(
        _term(p.priority, a, units, w.km, w.out_of_area, w.cost, w.move, w.unplaced)
        for p, a in zip(instance.patients, assignments, strict=True))
    return total + w.delayed * sum(delayed)


def _term(priority: int, a: Assignment, units: dict, w_km: float, w_ooa: float, w_cost: float,
          w_move: float, w_unplaced: float) -> float:
    if a.action == "unplaced" or a.unit_id is None:
        return w_unplaced * priority
    u = units[a.unit_id]
    value = w_km * (a.distance_km or 0.0) + w_ooa * bool(a.out_of_area) + w_cost * u.cost_per_day
    return value + (w_move if a.action == "move" else 0.0)
