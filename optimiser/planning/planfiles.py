"""The four files of ``bedplan plan`` (contract 1.2), rendered and written all or nothing.

``plan.csv`` (one row per patient, in the order of patients.csv), ``nights.csv`` (one row per
night), ``schedule.csv`` (every night's steps in order) and ``summary.json``. Without a plan
(exit 3 or 4) the CSVs hold only their headers and objective, bound and gap are null, so the
files never disagree with the status.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.domain import Instance
from optimiser.core.planresult import PlanResult
from optimiser.planning.outputs import format_km, jsonable, verdict_fields, write_files
from optimiser.planning.plan import PlanNight, ScheduleStep, plan_metrics

PLAN, NIGHTS, SCHEDULE, SUMMARY = "plan.csv", "nights.csv", "schedule.csv", "summary.json"
PLAN_COLUMNS: tuple[str, ...] = ("patient_id", "status", "current_unit_id", "action", "night",
                                 "date", "unit_id", "distance_km", "out_of_area")
NIGHT_COLUMNS: tuple[str, ...] = ("night", "date", "present", "moves", "admissions",
                                  "discharges", "waiting", "out_of_area", "total_km",
                                  "cost_per_day")
SCHEDULE_COLUMNS: tuple[str, ...] = ("night", "date", "step", "patient_id", "kind",
                                     "from_unit_id", "to_unit_id", "km_before", "km_after",
                                     "cycle")
#: Contract keys of a plan's summary.json, in order (extra keys follow them).
SUMMARY_KEYS: tuple[str, ...] = ("status", "objective", "bound", "gap", "solver", "seconds",
                                 "start", "nights", "metrics", "diagnosis")


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _money(x: float) -> str:
    """£ with pence, no float noise."""
    return f"{round(x, 2):.2f}"


def render_plan(instance: Instance, result: PlanResult) -> str:
    """plan.csv: stay rows name the current unit; unplaced and later rows leave the last
    five fields empty."""
    if not result.has_plan or result.horizon is None:
        return _csv(PLAN_COLUMNS, [])
    hz = result.horizon
    out = []
    for r in result.rows:
        placed = r.unit_id is not None and r.action not in ("unplaced", "later")
        out.append((
            r.patient_id, r.status, r.current_unit_id or "", r.action,
            "" if r.night is None else r.night,
            "" if r.night is None else hz.date_of(r.night).isoformat(),
            r.unit_id if placed else "", format_km(r.distance_km) if placed else "",
            ("true" if r.out_of_area else "false") if placed else ""))
    return _csv(PLAN_COLUMNS, out)


def render_nights(nights: Sequence[PlanNight]) -> str:
    return _csv(NIGHT_COLUMNS, [
        (x.night, x.date.isoformat(), x.present, x.moves, x.admissions, x.discharges,
         x.waiting, x.out_of_area, format_km(x.total_km), _money(x.cost_per_day))
        for x in nights])


def render_schedule(steps: Sequence[ScheduleStep]) -> str:
    return _csv(SCHEDULE_COLUMNS, [
        (s.night, s.date.isoformat(), s.step, s.patient_id, s.kind, s.from_unit_id or "",
         s.to_unit_id or "", format_km(s.km_before), format_km(s.km_after),
         "" if s.cycle is None else s.cycle)
        for s in steps])


def summary_dict(instance: Instance, result: PlanResult, nights: Sequence[PlanNight],
                 timings: Sequence[tuple[str, float]] = ()) -> dict[str, Any]:
    """summary.json of a plan: the contract's keys, then ``method`` and phase timings."""
    return {
        **verdict_fields(result),
        "start": result.start.isoformat(),
        "nights": result.nights,
        "metrics": plan_metrics(instance, result, tuple(nights)),
        "diagnosis": list(result.diagnosis),
        "method": result.method,
        "timings": jsonable({name: round(sec, 3) for name, sec in result.timings}),
        "phases": jsonable({name: round(sec, 3) for name, sec in timings}),
    }


def write_plan(out_dir: str | Path, instance: Instance, result: PlanResult,
               nights: Sequence[PlanNight], steps: Sequence[ScheduleStep],
               timings: Sequence[tuple[str, float]] = ()) -> list[Path]:
    """Write the four files together (atomic, all or nothing)."""
    plan = result.has_plan
    files = {
        PLAN: render_plan(instance, result),
        NIGHTS: render_nights(nights if plan else ()),
        SCHEDULE: render_schedule(steps if plan else ()),
        SUMMARY: json.dumps(summary_dict(instance, result, nights if plan else (), timings),
                            indent=2, allow_nan=False) + "\n",
    }
    return write_files(out_dir, files)
