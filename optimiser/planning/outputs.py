"""What a run writes: ``assignments.csv``, ``summary.json`` and ``transfers.csv``.

The first two follow the contract to the letter (column order, ``true``/``false``, empty
fields for unplaced rows, null objective/bound/gap when there is no plan). Everything is
rendered to strings first and then written through :func:`models.atomic.atomic_open`, all
three files staged as temporary siblings before any is renamed: a failure anywhere before
the renames leaves the previous outputs untouched, so the files never disagree.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from models.atomic import atomic_open
from models.domain import Instance
from optimiser.core.planresult import PlanResult
from optimiser.core.result import Assignment, Result
from optimiser.planning.transfers import TRANSFER_COLUMNS, TransferStep

#: Contract columns of assignments.csv, in order.
ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "patient_id", "status", "current_unit_id", "unit_id", "action", "distance_km", "out_of_area",
)
#: Contract keys of summary.json, in order (extra keys follow them).
SUMMARY_KEYS: tuple[str, ...] = (
    "status", "objective", "bound", "gap", "solver", "seconds", "metrics", "diagnosis",
)
ASSIGNMENTS, SUMMARY, TRANSFERS = "assignments.csv", "summary.json", "transfers.csv"
KM_DECIMALS = 3


def format_km(km: float | None) -> str:
    """km with three decimals (metre precision); empty when unknown or unreachable."""
    if km is None or not math.isfinite(km):
        return ""
    return f"{round(km, KM_DECIMALS):.{KM_DECIMALS}f}"


def _bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _ordered(instance: Instance, assignments: Sequence[Assignment]) -> list[Assignment]:
    """Assignments in patients.csv order (the contract's row order)."""
    by_id = {a.patient_id: a for a in assignments}
    missing = [p.patient_id for p in instance.patients if p.patient_id not in by_id]
    if missing:
        raise ValueError(f"result has no outcome for {len(missing)} patient(s), e.g. {missing[0]}")
    return [by_id[p.patient_id] for p in instance.patients]


def render_assignments(instance: Instance, result: Result) -> str:
    """assignments.csv as text: one row per patient, header only when there is no plan."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ASSIGNMENT_COLUMNS)
    if result.has_plan:
        for a in _ordered(instance, result.assignments):
            placed = a.action != "unplaced" and a.unit_id is not None
            writer.writerow((
                a.patient_id,
                a.status,
                a.current_unit_id or "",
                a.unit_id if placed else "",
                a.action,
                format_km(a.distance_km) if placed else "",
                _bool(a.out_of_area) if placed else "",
            ))
    return buf.getvalue()


def finite(value: float | None, digits: int | None = None) -> float | None:
    """JSON has no inf/NaN: those become null."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits) if digits is not None else float(value)


def jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def verdict_fields(result: Result | PlanResult) -> dict[str, Any]:
    """The first keys of every summary.json: status, objective, bound, gap (null without a
    plan, never NaN), solver and seconds."""
    plan = result.has_plan
    return {
        "status": result.status,
        "objective": finite(result.objective, 6) if plan else None,
        "bound": finite(result.bound, 6) if plan else None,
        "gap": finite(result.gap) if plan else None,
        "solver": result.solver,
        "seconds": round(result.seconds, 3),
    }


def summary_dict(instance: Instance, result: Result,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """summary.json as a dict: the contract keys first, then ``method``, ``timings``, extras."""
    plan = result.has_plan
    metrics = asdict(result.metrics)
    if not plan:  # no plan: nothing is placed, the counts describe the empty assignments.csv
        metrics = {k: (0.0 if isinstance(v, float) else 0) for k, v in metrics.items()}
    metrics["patients"] = len(instance.patients)
    metrics["total_km"] = finite(metrics["total_km"], KM_DECIMALS)
    metrics["median_km"] = finite(metrics["median_km"], KM_DECIMALS)
    out: dict[str, Any] = {
        **verdict_fields(result),
        "metrics": metrics,
        "diagnosis": list(result.diagnosis),
        "method": result.method,
        "timings": {name: round(sec, 3) for name, sec in result.timings},
    }
    for key, value in (extra or {}).items():
        if key in SUMMARY_KEYS:
            raise ValueError(f"extra summary key {key!r} would replace a contract key")
        out[key] = jsonable(value)
    return out


def render_summary(instance: Instance, result: Result,
                   extra: Mapping[str, Any] | None = None) -> str:
    """summary.json as text (strict JSON: no NaN or Infinity)."""
    return json.dumps(summary_dict(instance, result, extra), indent=2, allow_nan=False) + "\n"


def render_transfers(steps: Iterable[TransferStep]) -> str:
    """transfers.csv as text: the ordered plan, header only when nothing moves."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TRANSFER_COLUMNS)
    for s in steps:
        writer.writerow((
            s.step, s.patient_id, s.kind, s.from_unit_id or "", s.to_unit_id or "",
            format_km(s.km_before), format_km(s.km_after), format_km(s.km_closer),
            "" if s.cycle is None else s.cycle, s.needs,
        ))
    return buf.getvalue()


def write_files(out_dir: str | Path, files: Mapping[str, str]) -> list[Path]:
    """Write ``name → text`` into ``out_dir``, all or nothing.

    Each file is staged with :func:`atomic_open`; the renames happen only after every file
    has been written and fsynced, so an error while writing any of them leaves every
    previous output in place.
    """
    out = Path(out_dir)
    paths = [out / name for name in files]
    with contextlib.ExitStack() as stack:
        for path, text in zip(paths, files.values(), strict=True):
            fh = stack.enter_context(atomic_open(path, "w", newline=""))
            fh.write(text)
    return paths


def write_outputs(out_dir: str | Path, instance: Instance, result: Result,
                  transfers: Sequence[TransferStep] = (),
                  extra: Mapping[str, Any] | None = None) -> list[Path]:
    """Render and write the three outputs of a run (transfers only when there is a plan)."""
    files = {
        ASSIGNMENTS: render_assignments(instance, result),
        TRANSFERS: render_transfers(transfers if result.has_plan else ()),
        SUMMARY: render_summary(instance, result, extra),
    }
    return write_files(out_dir, files)
