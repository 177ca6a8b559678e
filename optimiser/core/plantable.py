"""The plan over several nights as a cost table: one option per patient per change.

Contract 1.2, "Planning over several nights": nights ``1..N``, night k is the date
``start + (k - 1)``. Each patient changes ward at most once, so every plan of a patient is one
*option*:

- an inpatient *stays* throughout (present on nights ``1..L_p``: the nights before their
  ``expected_discharge``), or, when movable, *moves* on night ``s ≤ L_p`` to a compatible
  unit u other than the current one and sleeps there from night s on;
- a referral is *admitted* on night ``s ≥ a_p`` (its arrival night; empty or before the
  start: night 1) to a compatible unit u and is present from s to N, or is never admitted
  (*unplaced*); a referral arriving after night N is *later* (outside the plan, no cost).

With ``c(p, u)`` the per-night placement term (``w.km·d + w.out_of_area·[...] +
w.cost·cost_per_day``, plus ``w.delayed`` when u is not compatible with p) — the one-night
cost table's term — and ``U_p = w.unplaced·priority``, an option's cost is its whole part of
the plan's objective::

    stay             L_p · c(p, cur)
    move (u, s)      (s − 1) · c(p, cur) + (L_p − s + 1) · c(p, u) + w.move
    admit (u, s)     (s − a_p) · U_p + (N − s + 1) · c(p, u)
    unplaced         (N − a_p + 1) · U_p
    later            0

The options come from the one-night :class:`~optimiser.core.costs.CostTable` (the same
compatibility, reachability and costs as ``reallocate``), each move or admission repeated
for its possible nights. With N = 1 and no dates the table *is* the one-night table, which
is why one night of ``plan`` equals ``reallocate``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from models.domain import Instance, Policy
from models.errors import InputError, Problem
from models.io import record_problems
from optimiser.core.costs import ADMIT, LATER, MOVE, STAY, UNPLACED, CostTable, build_cost_table


@dataclass(frozen=True, eq=False)
class Horizon:
    """The nights of a plan and when each patient is there.

    ``last[p]``: an inpatient's last present night (1..N); N for referrals. ``arrival[p]``: a
    referral's first admissible night (1..N + 1, N + 1 = later); 0 for inpatients.
    ``current[p]``: an inpatient's unit index, -1 for referrals.
    """

    start: dt.date
    nights: int
    last: np.ndarray
    arrival: np.ndarray
    current: np.ndarray

    def date_of(self, night: int) -> dt.date:
        """The date of night ``night`` (1-based)."""
        return self.start + dt.timedelta(days=night - 1)


def horizon(instance: Instance, start: dt.date, nights: int) -> Horizon:
    """Presence and arrival nights of every patient; InputError (exit 2, naming the row) for
    an ``expected_discharge`` on or before the start, which the contract calls invalid."""
    if nights < 1:
        raise InputError(Problem("policy.toml", None, "plan.nights",
                                 f"must be a whole number of nights >= 1, got {nights}"))
    n = len(instance.patients)
    last = np.full(n, nights, dtype=np.int64)
    arrival = np.zeros(n, dtype=np.int64)
    current = np.full(n, -1, dtype=np.int64)
    index = instance.unit_index()
    bad: list[tuple[str, str, str]] = []
    for i, p in enumerate(instance.patients):
        if p.is_referral:
            if p.arrives_on is not None and p.arrives_on > start:
                arrival[i] = min((p.arrives_on - start).days + 1, nights + 1)
            else:
                arrival[i] = 1
            continue
        current[i] = index.get(p.current_unit_id or "", -1)
        if p.expected_discharge is None:
            continue
        if p.expected_discharge <= start:
            bad.append((p.patient_id, "expected_discharge",
                        f"expected_discharge {p.expected_discharge.isoformat()} is not after "
                        f"the plan's start {start.isoformat()}: the patient would not be there"))
            continue
        # present on nights whose date is before expected_discharge
        last[i] = min((p.expected_discharge - start).days, nights)
    if bad:
        raise InputError(record_problems(instance.source, "patients.csv", bad))
    return Horizon(start, nights, last, arrival, current)


@dataclass(frozen=True, eq=False)
class PlanTable:
    """The plan's options: a :class:`CostTable` (``unit``: where the patient sleeps after
    the change; ``km``/``out_of_area``/``delayed``: of that unit; ``cost``: the option's whole
    term) and the night of each option's change (0 for stay, unplaced, later)."""

    costs: CostTable
    night: np.ndarray
    horizon: Horizon
    day: CostTable  # the one-night table the options come from (night-1 feasibility, costs)
    source: np.ndarray  # the one-night option each plan option repeats (sorted)

    def from_day(self, chosen_day: np.ndarray) -> np.ndarray:
        """The plan options that carry out one-night options on night 1 (a stay throughout,
        a move or admission on night 1, unplaced or later): a one-night plan as a plan."""
        return np.searchsorted(self.source, chosen_day)


def build_plan_table(instance: Instance, hz: Horizon, distances: np.ndarray | None = None,
                     policy: Policy | None = None, day: CostTable | None = None) -> PlanTable:
    """Every option of every patient over the horizon (see the module docstring)."""
    policy = policy or instance.policy
    w = policy.weights
    day = day or build_cost_table(instance, distances, policy)
    n, big_n = day.n_patients, hz.nights
    stay_cost = np.zeros(n)
    stays = np.flatnonzero(day.kind == STAY)
    stay_cost[day.patient[stays]] = day.cost[stays]
    prio = np.array([p.priority for p in instance.patients], dtype=float)
    p = day.patient.astype(np.int64)
    kind = day.kind
    later = hz.arrival[p] > big_n
    last, first = hz.last[p], hz.arrival[p]
    reps = np.ones(day.n_options, dtype=np.int64)
    reps[kind == MOVE] = last[kind == MOVE]
    admit = kind == ADMIT
    reps[admit] = np.where(later[admit], 0, big_n - first[admit] + 1)
    src = np.repeat(np.arange(day.n_options), reps)
    group_first = np.repeat(np.cumsum(reps) - reps, reps)
    offset = np.arange(src.size) - group_first  # 0.. within each repeated option
    k_kind = kind[src].copy()
    k_p = p[src]
    night = np.zeros(src.size, dtype=np.int64)
    is_move, is_admit = k_kind == MOVE, k_kind == ADMIT
    night[is_move] = 1 + offset[is_move]
    night[is_admit] = first[src[is_admit]] + offset[is_admit]

    c = day.cost[src]
    u_prio = w.unplaced * prio[k_p]
    cost = np.empty(src.size)
    cost[k_kind == STAY] = (last[src] * c)[k_kind == STAY]
    s = night.astype(float)
    lp = last[src].astype(float)
    cost[is_move] = ((s - 1) * stay_cost[k_p] + (lp - s + 1) * (c - w.move) + w.move)[is_move]
    a = first[src].astype(float)
    cost[is_admit] = ((s - a) * u_prio + (big_n - s + 1) * c)[is_admit]
    unplaced = k_kind == UNPLACED
    waiting = np.maximum(big_n - a + 1, 0)
    cost[unplaced] = (waiting * u_prio)[unplaced]
    gone = unplaced & later[src]
    k_kind[gone] = LATER
    cost[gone] = 0.0

    counts = np.bincount(k_p, minlength=n)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    table = CostTable(day.patient_ids, day.unit_ids, day.open_beds, k_p.astype(np.int32),
                      day.unit[src], k_kind.astype(np.int8), cost, day.km[src],
                      day.out_of_area[src], day.delayed[src], start)
    return PlanTable(table, night.astype(np.int32), hz, day, src)
