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
from dataclasses import replace

import numpy as np

from models.domain import Instance, Policy
from models.errors import InputError, Problem
from optimiser.core.costs import ADMIT, KIND_NAMES, LATER, UNPLACED, build_cost_table
from optimiser.core.diagnosis import check_beds
from optimiser.core.plandiagnosis import explain_unplaced_plan
from optimiser.core.planresult import PlanResult, PlanRow, plan_objective
from optimiser.core.plantable import PlanTable, build_plan_table, horizon
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
#: Beyond this many nights the plan starts from the rolling baseline (see solve_plan).
ROLLING_START_NIGHTS = 28
#: The rolling start may take at most this share of the time limit (365 nights of England
#: take minutes); past it the plan starts from the greedy one.
ROLLING_SHARE = 0.5
#: Peak bytes per option the budget counts (every one-night option on every night): England
#: with 12 weeks' referrals over 84 nights counts 44.8M (28.8M real) and peaked at 5.4 GiB.
BYTES_PER_OPTION = 130


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
    check_size(day.n_options, nights)
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
    if use_fast and nights > ROLLING_START_NIGHTS and policy.solver.time_limit is not None:
        # A long horizon may not be proven within the time limit: start from re-running
        # tonight's optimum every night (about a second a night on England), so that even a
        # plan stopped early is never worse than that baseline. Without a time limit the
        # plan is proven optimal, hence never worse, and the baseline would only cost time.
        from optimiser.core.rolling import rolling_plan

        t_roll = time.perf_counter()
        rolled = rolling_plan(instance, policy, start=start, nights=nights,
                              distances=distances,
                              deadline=t_roll + ROLLING_SHARE * float(policy.solver.time_limit))
        cheaper = _better_baseline(rolled, table, rows, begin)
        begin = begin if cheaper is None else cheaper
        lap("rolling start", f"objective {rolled.objective}" if rolled.has_plan else
            f"none ({'; '.join(rolled.diagnosis)}): the greedy plan starts")
        policy = _less_time(policy, time.perf_counter() - t_roll)
    background = None
    beside = use_fast and policy.solver.time_limit is not None and \
        1 < nights <= ROLLING_START_NIGHTS  # the baseline computed beside the solve
    if beside:
        # Fewer nights: the baseline on the other core while the plan is solved, so that a
        # plan stopped by the limit is compared with it without costing the proof its time.
        from optimiser.core.background import Baseline

        background = Baseline.start(
            instance, policy, start=start, nights=nights, distances=distances,
            seconds=max(0.0, t0 + float(policy.solver.time_limit or 0.0) - time.perf_counter()))
    try:
        if use_fast:
            from optimiser.core.pricing import solve_fast

            outcome = solve_fast(costs, policy, start=begin, progress=say,
                                 log_solver=solver_log, rows=rows, screen=True)
        else:
            from optimiser.core.formulation import build_plan_model, solve_model

            model = build_plan_model(costs, rows)
            lap("build", f"{costs.n_options:,} binaries")
            outcome = solve_model(model, policy.solver, log_solver=solver_log)
        lap("solve", outcome.raw.solver_status)
        chosen = _per_patient(costs.patient, costs.n_patients, outcome)
        better, compared = None, False
        if background is not None and chosen is not None and not outcome.raw.proven_optimal:
            left = t0 + float(policy.solver.time_limit or 0.0) - time.perf_counter()
            baseline = background.result(left)
            compared = baseline is not None
            better = _better_baseline(baseline, table, rows, chosen)
    finally:
        if background is not None:
            background.stop()
    if better is not None:
        chosen = better
        say("the rolling baseline, computed beside the plan, is better than the plan found "
            "within the time limit: it is returned")
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
    notes = tuple(explain_unplaced_plan(instance, table, rows, chosen, policy))
    if better is not None:
        notes = ("the plan found within the time limit was worse than re-running tonight's "
                 "optimum every night (the rolling baseline): the baseline is returned instead",
                 *notes)
    elif beside and verdict.status != OPTIMAL and not compared:
        notes = ("not compared with re-running tonight's optimum every night (no baseline "
                 "was computed beside the plan, or it was not ready in time)", *notes)
    if verdict.message and verdict.status != OPTIMAL:
        notes = (verdict.message, *notes)
    lap("plan")
    return result(verdict.status, verdict, notes, plan_rows)


def _better_baseline(rolled: PlanResult | None, table: PlanTable, rows: ModelRows,
                     chosen: np.ndarray) -> np.ndarray | None:
    """The rolling baseline's options when they make a plan cheaper than ``chosen`` (by more
    than float noise); None when it has no plan, or none of this table."""
    options = as_options(table, rolled) if rolled is not None else None
    if options is None or rows.violated(options) != []:
        return None
    cost = table.costs.cost
    worse = float(cost[chosen].sum()) - float(cost[options].sum())
    return options if worse > 1e-9 * max(1.0, abs(float(cost[chosen].sum()))) else None


def check_size(day_options: int, nights: int, memory: int | None = None) -> None:
    """InputError (naming --nights) when the plan table could not fit in this machine's
    memory (``memory`` bytes; by default the physical memory): about BYTES_PER_OPTION per
    option at the peak, at most ``day_options`` options a night. A plan of 10^8 nights of a
    three-patient instance would otherwise run until the machine gave out."""
    if memory is None:
        memory = physical_memory()
    need = day_options * nights * BYTES_PER_OPTION
    if memory is not None and need > memory:
        raise InputError(Problem(
            "command line", None, "--nights",
            f"{nights:,} nights of {day_options:,} options a night need about "
            f"{need / 2**30:,.0f} GiB, more than this machine's {memory / 2**30:,.0f} GiB: "
            "plan fewer nights, or one collaborative (--network)"))


def physical_memory() -> int | None:
    """Bytes of physical memory, or None where the platform does not say."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _less_time(policy: Policy, spent: float) -> Policy:
    """``policy`` with ``spent`` seconds taken off its time limit (the rolling start is part
    of the solve the user limited), keeping a tenth of it for the solver."""
    limit = policy.solver.time_limit
    if limit is None:
        return policy
    left = max(float(limit) - spent, 0.1 * float(limit))
    return replace(policy, solver=replace(policy.solver, time_limit=left))


def as_options(table: PlanTable, plan: PlanResult) -> np.ndarray | None:
    """The plan table's option of each patient's row of ``plan`` (None when a row has no
    option, e.g. a plan of another instance)."""
    c = table.costs
    if len(plan.rows) != c.n_patients:
        return None
    unit_index = {uid: j for j, uid in enumerate(c.unit_ids)}
    kinds = {name: k for k, name in enumerate(KIND_NAMES)}
    out = np.empty(c.n_patients, dtype=np.int64)
    for i, row in enumerate(plan.rows):
        lo, hi = int(c.start[i]), int(c.start[i + 1])
        want = (c.kind[lo:hi] == kinds[row.action]) & \
            (table.night[lo:hi] == (row.night or 0))
        if row.unit_id is not None and row.action != "later":
            want &= c.unit[lo:hi] == unit_index.get(row.unit_id, -2)
        hit = np.flatnonzero(want)
        if hit.size != 1:
            return None
        out[i] = lo + int(hit[0])
    return out


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
