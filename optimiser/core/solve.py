"""Instance in, :class:`~optimiser.core.result.Result` out: the one entry point of the optimiser.

Phases: distances → cost table → row families (every constraint, defined once for every
method) → bed check (exact, decides infeasibility and explains it) → solve (the PuLP model of
record, the exact min-cost flow or the exact fast path, all reading the same rows)
→ assignments, metrics and the objective recomputed from the plan with the contract's
formula → honest status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from models.domain import Instance, Policy
from optimiser.core.costs import KIND_NAMES, UNPLACED, CostTable, build_cost_table
from optimiser.core.diagnosis import check_beds, explain_unplaced
from optimiser.core.metrics import compute_metrics, delayed_stays, objective_value
from optimiser.core.result import ERROR, INFEASIBLE, OPTIMAL, Assignment, Metrics, Result
from optimiser.core.rows import ModelRows, build_rows
from optimiser.core.solvers import solver_spec
from optimiser.core.verdict import SolveOutcome, Verdict, judge
from optimiser.geography.distances import KmTable, pair_distances

log = logging.getLogger(__name__)

METHODS = ("auto", "mip", "fast", "flow")


def solve(instance: Instance, policy: Policy | None = None, *,
          distances: KmTable | None = None, method: str = "auto",
          progress: Callable[[str], None] | None = None,
          solver_log: bool | None = None, costs: CostTable | None = None) -> Result:
    """Solve the contract's placement problem for ``instance``.

    ``policy`` defaults to ``instance.policy``; ``distances`` (patients × units km,
    np.inf = unreachable) default to the policy's distance mode. ``method``: "mip" (the
    full PuLP model), "fast" (the exact pricing path, HiGHS), "flow" (the exact min-cost
    flow, OR-Tools, when ``max_moves`` is None; it falls back to "fast" when it cannot
    prove the optimum), "auto" (flow without ``max_moves``, else fast; mip when the policy
    asks for CBC). ``progress`` receives one message per phase. ``solver_log``
    turns the solver's own log on (default: when this logger is at DEBUG, i.e. ``-v``).
    ``costs``: the instance's cost table when the caller has it already (bed values re-solve
    with one unit's capacity changed: the table does not depend on beds). Its patients and
    units must be the instance's (checked: ValueError) and its open beds are taken from the
    instance; that it was built with the same distances and policy weights is the caller's
    promise (not checked).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    policy = policy or instance.policy
    spec = solver_spec(policy.solver.name)
    if solver_log is None:
        solver_log = log.isEnabledFor(logging.DEBUG)
    clock = SolveClock(progress)
    t0 = time.perf_counter()

    if distances is None:
        distances = pair_distances(instance, policy.distance)  # computed pair by pair
        clock.lap("distances")
    if costs is None:
        costs = build_cost_table(instance, distances, policy)
        clock.lap("cost table", f"{costs.n_options} allowed options")
    else:
        costs = _fitted(costs, instance)
    rows = build_rows(costs, policy.limits)
    check = check_beds(instance, costs, policy.limits, rows)
    clock.lap("bed check", "beds fit" if check.feasible else "beds do not fit")
    use_fast = method in ("fast", "flow") or (method == "auto" and spec.name == "highs")
    use_flow = use_fast and method != "fast" and policy.limits.max_moves is None
    label = "fast" if use_fast else "mip"
    solver_name = "highs" if use_fast else spec.name

    def result(status: str, verdict: Verdict | None = None, diagnosis: tuple[str, ...] = (),
               assignments: tuple[Assignment, ...] = (),
               delayed: list[bool] | None = None) -> Result:
        return Result(
            status=status,
            objective=verdict.objective if verdict else None,
            bound=verdict.bound if verdict else None,
            gap=verdict.gap if verdict else None,
            solver=solver_name, seconds=time.perf_counter() - t0, assignments=assignments,
            metrics=compute_metrics(instance, assignments, delayed) if assignments else
            Metrics(patients=len(instance.patients)),
            diagnosis=diagnosis, method=label, timings=tuple(clock.laps))

    if not check.feasible:
        return result(INFEASIBLE, diagnosis=check.messages)
    if costs.n_patients == 0:
        return result(OPTIMAL, Verdict(OPTIMAL, 0.0, 0.0, 0.0))

    outcome = None
    if use_flow:
        from optimiser.core.flow import solve_flow

        limit = policy.solver.time_limit
        outcome = solve_flow(costs, policy, progress=clock.say,
                             deadline=None if limit is None else t0 + float(limit), rows=rows)
        if outcome is not None:
            # summary.json's "solver" stays the configured one (the contract names highs or
            # cbc); "method": "flow" says that OR-Tools' min-cost flow answered.
            label = "flow"
    if outcome is None and use_fast:
        from optimiser.core.pricing import solve_fast

        outcome = solve_fast(costs, policy, start=check.start, progress=clock.say,
                             log_solver=solver_log, rows=rows)
    elif outcome is None:
        outcome = _solve_mip(costs, rows, policy, clock, solver_log)
    clock.lap("solve", outcome.raw.solver_status)

    chosen = _per_patient(costs, outcome)
    if chosen is None:
        verdict = judge(outcome.raw)
        if verdict.status == INFEASIBLE:  # the bed check said otherwise: report, don't guess
            return result(ERROR, diagnosis=(
                f"{outcome.raw.solver} reported the model infeasible although the beds fit; "
                "please report this instance",))
        return result(ERROR, diagnosis=(verdict.message or "no solution",))
    assignments = _assignments(instance, costs, chosen)
    delayed = delayed_stays(instance, assignments)  # once, for the objective and metrics
    objective = objective_value(instance, assignments, policy, delayed)
    verdict = judge(outcome.raw, objective)
    notes = tuple(explain_unplaced(instance, costs, chosen, distances, policy))
    if verdict.message and verdict.status != OPTIMAL:
        notes = (verdict.message, *notes)
    clock.lap("plan")
    return result(verdict.status, verdict, notes, assignments, delayed)


def _solve_mip(costs: CostTable, rows: ModelRows, policy: Policy, clock: SolveClock,
               solver_log: bool) -> SolveOutcome:
    from optimiser.core.formulation import build_model, solve_model

    model = build_model(costs, policy, rows)
    clock.lap("build", f"{costs.n_options} binaries")
    clock.say(f"solve: {policy.solver.name}, time limit {policy.solver.time_limit} s")
    return solve_model(model, policy.solver, log_solver=solver_log)


def _per_patient(costs: CostTable, outcome: SolveOutcome) -> np.ndarray | None:
    """The chosen option of each patient, or None when the solution is not one per patient."""
    if outcome.chosen is None:
        return None
    chosen = np.asarray(outcome.chosen, dtype=np.int64)
    counts = np.bincount(costs.patient[chosen], minlength=costs.n_patients)
    if chosen.size != costs.n_patients or np.any(counts != 1):
        log.error("solver returned %d options for %d patients", chosen.size, costs.n_patients)
        return None
    return chosen[np.argsort(costs.patient[chosen], kind="stable")]


def _assignments(instance: Instance, costs: CostTable, chosen: np.ndarray
                 ) -> tuple[Assignment, ...]:
    """One Assignment per patient, in the order of patients.csv."""
    kinds = costs.kind[chosen].tolist()
    units = costs.unit[chosen].tolist()
    km = costs.km[chosen].tolist()
    ooa = costs.out_of_area[chosen].tolist()
    out = []
    for p, k, u, d, o in zip(instance.patients, kinds, units, km, ooa, strict=True):
        placed = k != UNPLACED
        out.append(Assignment(
            patient_id=p.patient_id, status=p.status, current_unit_id=p.current_unit_id,
            unit_id=costs.unit_ids[u] if placed else None, action=KIND_NAMES[k],
            distance_km=float(d) if placed else None, out_of_area=bool(o) if placed else None))
    return tuple(out)


class SolveClock:
    """Phase timings, reported through ``progress`` (and logged): each phase's own time."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.progress = progress
        self.laps: list[tuple[str, float]] = []
        self.t = time.perf_counter()

    def say(self, message: str) -> None:
        log.info("%s", message)
        if self.progress is not None:
            self.progress(message)

    def lap(self, phase: str, detail: str = "") -> None:
        now = time.perf_counter()
        self.laps.append((phase, now - self.t))
        self.say(f"{phase}: {now - self.t:.2f} s" + (f" ({detail})" if detail else ""))
        self.t = now


def _fitted(costs: CostTable, instance: Instance) -> CostTable:
    """``costs`` with the instance's open beds, after checking it is the instance's table."""
    if costs.patient_ids != tuple(p.patient_id for p in instance.patients) or \
            costs.unit_ids != tuple(u.unit_id for u in instance.units):
        raise ValueError("the cost table was built for other patients or units than the "
                         "instance's")
    return replace(costs, open_beds=np.array([u.open_beds for u in instance.units],
                                             dtype=costs.open_beds.dtype))
