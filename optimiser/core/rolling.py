"""Tonight's optimum, night after night: the plan a bed manager gets by re-running
``reallocate`` every night — what ``bedplan plan`` is measured against.

Night t is a one-night instance: the inpatients present that night where they sleep now
(those who already changed ward, or may not move, are not movable), and the referrals that
have arrived and are not yet admitted; ``reallocate``'s optimum is carried out for that night
(its moves and admissions happen on night t) and the next night starts from there. Every
patient still changes ward at most once, so the result is a plan of the contract's
multi-night model, and its objective — from the same formula — can be compared with the
plan's: the plan's optimum is never worse (it chooses among every such schedule).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from models.domain import Instance, Patient, Policy
from optimiser.core.planresult import PlanResult, PlanRow, plan_objective
from optimiser.core.plantable import horizon
from optimiser.core.result import ERROR, FEASIBLE, INFEASIBLE
from optimiser.core.solve import solve


def _within(policy: Policy, deadline: float | None) -> Policy:
    """``policy`` whose time limit ends by ``deadline`` at the latest (one night's solve may
    not overrun the baseline's share of the time)."""
    if deadline is None:
        return policy
    left = max(deadline - time.perf_counter(), 0.1)
    limit = policy.solver.time_limit
    if limit is not None and float(limit) <= left:
        return policy
    return replace(policy, solver=replace(policy.solver, time_limit=left))


def rolling_plan(instance: Instance, policy: Policy | None = None, *, start: dt.date,
                 nights: int, distances: np.ndarray | None = None,
                 progress: Callable[[str], None] | None = None,
                 deadline: float | None = None) -> PlanResult:
    """Re-run the one-night optimum on every night (see the module docstring).

    ``deadline`` (a ``time.perf_counter()`` time): stop there with no plan (status error,
    the night reached in the diagnosis), so that a start for a long plan keeps to the time
    the user allowed."""
    from optimiser.geography.distances import distance_matrix

    policy = policy or instance.policy
    say = progress or (lambda _m: None)
    hz = horizon(instance, start, nights)
    km = distance_matrix(instance, policy.distance) if distances is None else distances
    units = {u.unit_id: j for j, u in enumerate(instance.units)}
    changed: dict[int, tuple[str, int, str]] = {}  # patient → (action, night, unit)
    now: dict[int, Patient] = {}  # who changed: an inpatient where they went, not movable
    for t in range(1, nights + 1):
        if deadline is not None and time.perf_counter() > deadline:
            return PlanResult(ERROR, None, None, None, policy.solver.name, 0.0, start, nights,
                              (), (f"stopped by its deadline after {t - 1} of {nights} "
                                   "nights",), "rolling", horizon=hz)
        keep = [i for i, p in enumerate(instance.patients)
                if (not p.is_referral and t <= hz.last[i])
                or (p.is_referral and i in changed)
                or (p.is_referral and i not in changed and hz.arrival[i] <= t)]
        patients = tuple(now.get(i, instance.patients[i]) for i in keep)
        night = replace(instance, patients=patients)
        rows = np.asarray(keep, dtype=np.int64)
        result = solve(night, _within(policy, deadline), distances=np.asarray(km)[rows]
                       if rows.size else np.zeros((0, len(instance.units))))
        if not result.has_plan:
            status = INFEASIBLE if result.status == INFEASIBLE else result.status
            return PlanResult(status, None, None, None, result.solver, 0.0, start, nights, (),
                              result.diagnosis, "rolling", horizon=hz)
        for i, a in zip(keep, result.assignments, strict=True):
            if a.action in ("move", "admit") and a.unit_id is not None:
                changed[i] = (a.action, t, a.unit_id)
                now[i] = replace(instance.patients[i], status="inpatient",
                                 current_unit_id=a.unit_id, movable=False)
        say(f"night {t}: {result.metrics.moves} moves, "
            f"{sum(a.action == 'admit' for a in result.assignments)} admissions")
    out: list[PlanRow] = []
    for i, p in enumerate(instance.patients):
        if i in changed:
            action, night_no, uid = changed[i]
            j = units[uid]
            out.append(PlanRow(p.patient_id, p.status, p.current_unit_id, action, night_no,
                               uid, float(km[i, j]),
                               instance.units[j].network_id != p.home_network_id))
        elif p.is_referral:
            action = "later" if hz.arrival[i] > nights else "unplaced"
            out.append(PlanRow(p.patient_id, p.status, None, action, None, None, None, None))
        else:
            j = units[p.current_unit_id or ""]
            out.append(PlanRow(p.patient_id, p.status, p.current_unit_id, "stay", None,
                               p.current_unit_id, float(km[i, j]),
                               instance.units[j].network_id != p.home_network_id))
    rows_out = tuple(out)
    objective = plan_objective(instance, rows_out, hz, km, policy)
    # feasible, not optimal: each night's optimum, not the plan's (no bound is claimed)
    return PlanResult(FEASIBLE, objective, None, None, policy.solver.name, 0.0, start, nights,
                      rows_out, (), "rolling", horizon=hz)
