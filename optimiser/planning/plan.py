"""A plan over the coming nights, as planners read it: the plan itself (from the core,
:func:`optimiser.core.plansolve.solve_plan`), the figures of every night, the metrics, and
the schedule of each night's moves and admissions (the command: :mod:`planrun`).

A night's schedule orders that night's moves and admissions as ``transfers.csv`` orders one
night (:func:`optimiser.planning.transfers.transfer_plan`), starting from where everyone sleeps
before that night's changes: so every step of every night goes into a bed that is free then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from models.domain import Instance, Patient, Policy
from optimiser.core.planresult import PlanResult, PlanRow, stays_of
from optimiser.core.plansolve import solve_plan
from optimiser.core.result import Assignment, Result
from optimiser.planning.outputs import KM_DECIMALS
from optimiser.planning.transfers import transfer_plan

__all__ = ["PlanNight", "PlanResult", "PlanRow", "ScheduleStep", "brought_home", "plan",
           "plan_metrics", "plan_nights", "schedule"]


def plan(instance: Instance, policy: Policy | None = None, *, start: dt.date, nights: int,
         progress: Callable[[str], None] | None = None, method: str = "auto",
         distances: np.ndarray | None = None) -> PlanResult:
    """The exact plan of ``instance`` over ``nights`` nights from ``start`` (in memory)."""
    return solve_plan(instance, policy, start=start, nights=nights, distances=distances,
                      method=method, progress=progress)


@dataclass(frozen=True, slots=True)
class PlanNight:
    """One row of nights.csv (contract 1.2)."""

    night: int
    date: dt.date
    present: int
    moves: int
    admissions: int
    discharges: int
    waiting: int
    out_of_area: int
    total_km: float
    cost_per_day: float


@dataclass(frozen=True, slots=True)
class ScheduleStep:
    """One row of schedule.csv: a step of one night's transfer order."""

    night: int
    date: dt.date
    step: int
    patient_id: str
    kind: str  # move | admit | temporary
    from_unit_id: str | None
    to_unit_id: str | None
    km_before: float | None
    km_after: float | None
    cycle: int | None


def plan_nights(instance: Instance, result: PlanResult,
                distances: np.ndarray) -> tuple[PlanNight, ...]:
    """The figures of every night (empty without a plan), from the plan's rows."""
    if not result.has_plan or result.horizon is None:
        return ()
    hz, n = result.horizon, result.nights
    units = {u.unit_id: (j, u) for j, u in enumerate(instance.units)}
    present = np.zeros(n + 2)
    ooa, km, cost = np.zeros(n + 2), np.zeros(n + 2), np.zeros(n + 2)
    moves, admissions = np.zeros(n + 2, np.int64), np.zeros(n + 2, np.int64)
    discharges = np.zeros(n + 2, np.int64)
    waiting = np.zeros(n + 2, np.int64)
    for i, (p, row) in enumerate(zip(instance.patients, result.rows, strict=True)):
        first = 1
        for uid, count in stays_of(row, hz, i):
            if count > 0:
                j, u = units[uid]
                a = first if row.action != "admit" else (row.night or 1)
                b = a + count  # exclusive
                present[a] += 1
                present[b] -= 1
                out = u.network_id != p.home_network_id
                ooa[a] += out
                ooa[b] -= out
                d = float(distances[i, j])
                km[a] += d
                km[b] -= d
                cost[a] += u.cost_per_day
                cost[b] -= u.cost_per_day
                first = b
        if row.action == "move" and row.night:
            moves[row.night] += 1
        elif row.action == "admit" and row.night:
            admissions[row.night] += 1
        if not p.is_referral and p.expected_discharge is not None:
            gone = (p.expected_discharge - hz.start).days + 1
            if 1 <= gone <= n:
                discharges[gone] += 1
        if p.is_referral and row.action != "later":
            arrival = int(hz.arrival[i])
            until = (row.night if row.action == "admit" and row.night else n + 1)
            if until > arrival:
                waiting[arrival] += 1
                waiting[until] -= 1
    run = [np.cumsum(x)[1:n + 1] for x in (present, ooa, km, cost, waiting)]
    return tuple(
        PlanNight(t, hz.date_of(t), round(run[0][t - 1]), int(moves[t]), int(admissions[t]),
                  int(discharges[t]), round(run[4][t - 1]), round(run[1][t - 1]),
                  float(run[2][t - 1]), float(run[3][t - 1]))
        for t in range(1, n + 1))


def brought_home(instance: Instance, result: PlanResult) -> dict[str, tuple[int, str]]:
    """patient_id → (night, unit_id) of every move from a unit outside the patient's home
    collaborative into one inside it (summary.json's ``brought_home``)."""
    units = {u.unit_id: u.network_id for u in instance.units}
    homes = {p.patient_id: p.home_network_id for p in instance.patients}
    rows = result.rows if result.has_plan else ()
    return {r.patient_id: (r.night, r.unit_id) for r in rows
            if r.action == "move" and r.night and r.unit_id and r.current_unit_id
            and units[r.current_unit_id] != homes[r.patient_id]
            and units[r.unit_id] == homes[r.patient_id]}


def plan_metrics(instance: Instance, result: PlanResult,
                 nights: tuple[PlanNight, ...]) -> dict[str, float | int]:
    """summary.json's ``metrics`` of a plan (contract 1.2); zeros without a plan."""
    rows = result.rows if result.has_plan else ()
    count = {a: sum(r.action == a for r in rows) for a in ("move", "admit", "unplaced", "later")}
    return {
        "patients": len(instance.patients),
        "moves": count["move"],
        "admissions": count["admit"],
        "unplaced": count["unplaced"],
        "later": count["later"],
        "waiting_nights": sum(x.waiting for x in nights),
        "brought_home": len(brought_home(instance, result)),
        "out_of_area_first_night": nights[0].out_of_area if nights else 0,
        "out_of_area_last_night": nights[-1].out_of_area if nights else 0,
        "out_of_area_nights": sum(x.out_of_area for x in nights),
        # the sum of nights.csv's total_km as written (each rounded to the metre)
        "km_nights": round(sum(round(x.total_km, KM_DECIMALS) for x in nights), KM_DECIMALS),
    }


def schedule(instance: Instance, result: PlanResult,
             distances: np.ndarray | None = None) -> tuple[ScheduleStep, ...]:
    """Every night's moves and admissions in an order a ward can follow (see the module
    docstring). Raises :class:`PlanError` when a night cannot be reached bed by bed."""
    if not result.has_plan or result.horizon is None:
        return ()
    hz = result.horizon
    rows = result.rows
    where: dict[str, str | None] = {r.patient_id: (r.current_unit_id if r.status ==
                                                    "inpatient" else None) for r in rows}
    index = instance.patient_index()
    steps: list[ScheduleStep] = []
    for t in range(1, result.nights + 1):
        changes = [r for r in rows if r.night == t and r.action in ("move", "admit")]
        if changes:
            steps += _night_steps(instance, hz.last, t, hz.date_of(t), rows, changes, where,
                                  index, distances)
        for r in changes:
            where[r.patient_id] = r.unit_id
    return tuple(steps)


def _night_steps(instance: Instance, last: np.ndarray, t: int, date: dt.date,
                 rows: tuple[PlanRow, ...], changes: list[PlanRow],
                 where: dict[str, str | None], index: dict[str, int],
                 distances: np.ndarray | None) -> list[ScheduleStep]:
    """One night as a one-night instance (only the wards its changes touch) and its result."""
    touched = {r.unit_id for r in changes} | {where[r.patient_id] for r in changes}
    movers = {r.patient_id: r for r in changes}
    chosen: list[int] = []
    patients: list[Patient] = []
    assignments: list[Assignment] = []
    for r in rows:
        i = index[r.patient_id]
        here = where[r.patient_id]
        change = movers.get(r.patient_id)
        if change is None and (here not in touched or here is None or
                               (r.status == "inpatient" and t > int(last[i]))):
            continue  # not in a ward this night touches, or already discharged
        p = instance.patients[i]
        status = "referral" if change is not None and change.action == "admit" else "inpatient"
        patients.append(replace(p, status=status, current_unit_id=None if status == "referral"
                                else here, movable=True))
        action = change.action if change is not None else "stay"
        unit = change.unit_id if change is not None else here
        assignments.append(Assignment(r.patient_id, status, None if status == "referral"
                                      else here, unit, action, None, None))
        chosen.append(i)
    night = replace(instance, patients=tuple(patients))
    result = Result("optimal", 0.0, 0.0, 0.0, "", 0.0, tuple(assignments))
    km = None if distances is None else np.asarray(distances)[np.asarray(chosen, np.int64)]
    return [ScheduleStep(t, date, s.step, s.patient_id, s.kind, s.from_unit_id, s.to_unit_id,
                         s.km_before, s.km_after, s.cycle)
            for s in transfer_plan(night, result, km)]
