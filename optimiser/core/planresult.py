"""A plan over several nights as plain data, and its objective from the contract's words.

Shared by the exact plan (:mod:`optimiser.core.plansolve`) and the rolling baseline
(:mod:`optimiser.core.rolling`), which both write their plans as :class:`PlanResult`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from models.compatibility import is_compatible
from models.domain import Instance, Policy
from optimiser.core.plantable import Horizon
from optimiser.core.result import FEASIBLE, OPTIMAL


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One patient's part of the plan: a row of plan.csv.

    ``night``: the night of the move or admission (None otherwise); ``unit_id``: where the
    patient sleeps after the change (a stay: the current unit; None when unplaced or later).
    """

    patient_id: str
    status: str
    current_unit_id: str | None
    action: str  # stay | move | admit | unplaced | later
    night: int | None
    unit_id: str | None
    distance_km: float | None
    out_of_area: bool | None


@dataclass(frozen=True)
class PlanResult:
    """The outcome of a plan: honest status, objective, bound, gap and one row per patient
    (empty when there is no plan)."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    solver: str
    seconds: float
    start: dt.date
    nights: int
    rows: tuple[PlanRow, ...] = ()
    diagnosis: tuple[str, ...] = ()
    method: str = "fast"
    timings: tuple[tuple[str, float], ...] = field(default=(), compare=False)
    horizon: Horizon | None = field(default=None, compare=False, repr=False)

    @property
    def has_plan(self) -> bool:
        return self.status in (OPTIMAL, FEASIBLE)


def stays_of(row: PlanRow, hz: Horizon, i: int) -> list[tuple[str, int]]:
    """(unit_id, nights) the patient sleeps in each unit over the plan (present nights only)."""
    n, last = hz.nights, int(hz.last[i])
    if row.action == "stay" and row.unit_id is not None:
        return [(row.unit_id, last)]
    if row.action == "move" and row.unit_id and row.current_unit_id and row.night:
        return [(row.current_unit_id, row.night - 1), (row.unit_id, last - row.night + 1)]
    if row.action == "admit" and row.unit_id and row.night:
        return [(row.unit_id, n - row.night + 1)]
    return []


def waiting_nights(row: PlanRow, hz: Horizon, i: int) -> int:
    """Nights on or after arrival that a referral is still waiting for a bed."""
    if row.status != "referral" or row.action == "later":
        return 0
    arrival = int(hz.arrival[i])
    if row.action == "admit" and row.night:
        return row.night - arrival
    return hz.nights - arrival + 1


def plan_objective(instance: Instance, rows: tuple[PlanRow, ...], hz: Horizon,
                   distances: np.ndarray, policy: Policy) -> float:
    """The contract's objective of a written plan, from scratch (not from the solver):
    per present night the placement term (and ``w.delayed`` in a ward that is not compatible),
    ``w.move`` per move, ``w.unplaced·priority`` per night waiting."""
    w = policy.weights
    units = {u.unit_id: (j, u) for j, u in enumerate(instance.units)}
    total = 0.0
    for i, (p, row) in enumerate(zip(instance.patients, rows, strict=True)):
        for uid, n in stays_of(row, hz, i):
            if n <= 0:
                continue
            j, u = units[uid]
            per_night = (w.km * float(distances[i, j])
                         + w.out_of_area * (u.network_id != p.home_network_id)
                         + w.cost * u.cost_per_day
                         + w.delayed * (not is_compatible(p, u)))
            total += n * per_night
        total += w.move * (row.action == "move")
        total += w.unplaced * p.priority * waiting_nights(row, hz, i)
    return total
