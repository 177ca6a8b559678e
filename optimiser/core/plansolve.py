"""Instance in, plan over several nights out: the core of ``bedplan plan`` (contract 1.2).

Phases: distances → the one-night cost table → the night-1 bed check (a plan exists exactly
when tonight's inpatients fit: inpatients only leave, and the moves that fit them tonight
keep fitting on every later night, so the bed check's plan carried out on night 1 is a plan;
when they do not fit, the diagnosis is tonight's) → the plan table (one option per patient
per change) → the plan's row families → solve: the exact pricing path (the default: the
families price a move on night s with cumulative sums of the per-night capacity duals) or
the PuLP model of record (``method="mip"``, or CBC) → the objective recomputed from the
written plan with the contract's formula → honest status.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from models.compatibility import is_compatible
from models.domain import Instance, Policy
from optimiser.core.costs import ADMIT, KIND_NAMES, LATER, UNPLACED, build_cost_table
from optimiser.core.diagnosis import check_beds
from optimiser.core.plantable import Horizon, PlanTable, build_plan_table, horizon
from optimiser.core.result import ERROR, INFEASIBLE, OPTIMAL
from optimiser.core.rows import (
    NIGHTLY_ADMISSIONS,
    NIGHTLY_CAPACITY,
    ModelRows,
    build_plan_rows,
    build_rows,
)
from optimiser.core.solve import SolveClock
from optimiser.core.solvers import solver_spec
from optimiser.core.verdict import SolveOutcome, Verdict, judge

log = logging.getLogger(__name__)

METHODS = ("auto", "mip", "fast")


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
        return self.status in (OPTIMAL, "feasible")


def solve_plan(instance: Instance, policy: Policy | None = None, *, start: dt.date,
               nights: int, distances: np.ndarray | None = None, method: str = "auto",
               progress: Callable[[str], None] | None = None,
               solver_log: bool | None = None) -> PlanResult:
    """The best schedule of moves and admissions over ``nights`` nights from ``start``.

    ``method``: "fast" (the exact pricing path, HiGHS), "mip" (the PuLP model of record with
    the policy's solver), "auto" (fast, or mip when the policy asks for CBC). Raises
    InputError for an ``expected_discharge`` on or before ``start``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    policy = policy or instance.policy
    spec = solver_spec(policy.solver.name)
    if solver_log is None:
        solver_log = log.isEnabledFor(logging.DEBUG)
    t0 = time.perf_counter()
    clock = SolveClock(progress)
    say, lap = clock.say, clock.lap

    hz = horizon(instance, start, nights)
    if distances is None:
        from optimiser.geography.distances import distance_matrix

        distances = distance_matrix(instance, policy.distance)
        lap("distances")
    day = build_cost_table(instance, distances, policy)
    check = check_beds(instance, day, policy.limits, build_rows(day, policy.limits))
    lap("bed check", "tonight's inpatients fit" if check.feasible else "they do not fit")
    use_fast = method == "fast" or (method == "auto" and spec.name == "highs")
    label, solver_name = ("fast", "highs") if use_fast else ("mip", spec.name)

    def result(status: str, verdict: Verdict | None = None, diagnosis: tuple[str, ...] = (),
               rows: tuple[PlanRow, ...] = ()) -> PlanResult:
        return PlanResult(status, verdict.objective if verdict else None,
                          verdict.bound if verdict else None, verdict.gap if verdict else None,
                          solver_name, time.perf_counter() - t0, start, nights, rows,
                          diagnosis, label, tuple(clock.laps), hz)

    if not check.feasible or check.start is None:
        return result(INFEASIBLE, diagnosis=check.messages)
    table = build_plan_table(instance, hz, policy=policy, day=day)
    costs = table.costs
    rows = build_plan_rows(costs, table.night, hz.current, hz.last, nights, policy.limits)
    lap("plan table", f"{costs.n_options:,} options over {nights} nights, "
                      f"{rows.n_rows:,} rows")
    if costs.n_patients == 0:
        return result(OPTIMAL, Verdict(OPTIMAL, 0.0, 0.0, 0.0))
    begin = greedy_start(table, rows, table.from_day(check.start))
    if use_fast:
        from optimiser.core.pricing import solve_fast

        outcome = solve_fast(costs, policy, start=begin, progress=say, log_solver=solver_log,
                             rows=rows, ipm_first=False, screen=True)
    else:
        from optimiser.core.formulation import build_plan_model, solve_model

        model = build_plan_model(costs, rows)
        lap("build", f"{costs.n_options:,} binaries")
        outcome = solve_model(model, policy.solver, log_solver=solver_log)
    lap("solve", outcome.raw.solver_status)
    chosen = _per_patient(costs.patient, costs.n_patients, outcome)
    if chosen is None:
        verdict = judge(outcome.raw)
        why = verdict.message or "no solution"
        if verdict.status == INFEASIBLE:
            why = (f"{outcome.raw.solver} reported the plan infeasible although tonight's "
                   "inpatients fit; please report this instance")
        return result(ERROR, diagnosis=(why,))
    plan_rows = _rows(instance, table, chosen)
    objective = plan_objective(instance, plan_rows, hz, distances, policy)
    verdict = judge(outcome.raw, objective)
    notes = (verdict.message,) if verdict.message and verdict.status != OPTIMAL else ()
    lap("plan")
    return result(verdict.status, verdict, notes, plan_rows)


def greedy_start(table: PlanTable, rows: ModelRows, begin: np.ndarray) -> np.ndarray:
    """A good first plan, cheaply: tonight's bed check carried out on night 1, then every
    referral (by arrival night, higher priority first) admitted by its cheapest option that
    still fits — beds free on every night from the admission on, and the night's admission
    limit — when that beats leaving it unplaced. It starts the pricing path and is the plan
    returned if the time limit comes first."""
    c = table.costs
    cap = rows[NIGHTLY_CAPACITY]
    n_nights = table.horizon.nights
    occ = cap.activity(begin).reshape(-1, n_nights)
    beds = cap.rhs.reshape(-1, n_nights)
    adm_family = rows.get(NIGHTLY_ADMISSIONS)
    adm = np.zeros_like(occ) if adm_family is None else \
        adm_family.activity(begin).reshape(-1, n_nights)
    limit = np.inf if adm_family is None else float(adm_family.rhs.max(initial=0.0))
    chosen = begin.copy()
    referrals = [i for i in range(c.n_patients) if c.kind[begin[i]] == UNPLACED]
    order = sorted(referrals, key=lambda i: (int(table.horizon.arrival[i]),
                                             -float(c.cost[begin[i]]), i))
    for i in order:
        opts = np.arange(c.start[i], c.start[i + 1])
        opts = opts[(c.kind[opts] == ADMIT) & (c.cost[opts] < c.cost[begin[i]])]
        for k in opts[np.argsort(c.cost[opts], kind="stable")]:
            u, s = int(c.unit[k]), int(table.night[k]) - 1
            if np.all(occ[u, s:] < beds[u, s:]) and adm[u, s] < limit:
                occ[u, s:] += 1
                adm[u, s] += 1
                chosen[i] = k
                break
    return chosen


def _per_patient(patient: np.ndarray, n: int, outcome: SolveOutcome) -> np.ndarray | None:
    """The chosen option of each patient, or None when it is not exactly one per patient."""
    if outcome.chosen is None:
        return None
    chosen = np.asarray(outcome.chosen, dtype=np.int64)
    counts = np.bincount(patient[chosen], minlength=n)
    if chosen.size != n or np.any(counts != 1):
        log.error("solver returned %d options for %d patients", chosen.size, n)
        return None
    return chosen[np.argsort(patient[chosen], kind="stable")]


def _rows(instance: Instance, table: PlanTable, chosen: np.ndarray) -> tuple[PlanRow, ...]:
    c = table.costs
    out = []
    for p, k in zip(instance.patients, chosen.tolist(), strict=True):
        kind = int(c.kind[k])
        placed = kind not in (UNPLACED, LATER)
        night = int(table.night[k])
        out.append(PlanRow(
            p.patient_id, p.status, p.current_unit_id, KIND_NAMES[kind],
            night if night > 0 else None, c.unit_ids[int(c.unit[k])] if placed else None,
            float(c.km[k]) if placed else None, bool(c.out_of_area[k]) if placed else None))
    return tuple(out)


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
