"""Checks of a finished ``bedplan plan`` run's four files against contract 1.2 and the
brute-force optimum of :mod:`plan_oracle` (which reads the contract; this module reads the
files): plan.csv, nights.csv and schedule.csv column by column, summary.json's keys, types and
metrics recomputed from the written rows. Imports nothing from the project.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import contract_util as cu
from plan_oracle import (
    ACTIONS,
    KM_TOL,
    NIGHTS_COLUMNS,
    PLAN_COLUMNS,
    PLAN_METRIC_KEYS,
    PLAN_SUMMARY_KEYS,
    SCHEDULE_COLUMNS,
    Option,
    PlanInstance,
    PlanOptimum,
    nights_table,
    objective,
    plan_metrics,
    solve,
    violations,
)


# --------------------------------------------------------------------------- a run's files
def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a written CSV (strict UTF-8)."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"))))
    return (rows[0] if rows else []), rows[1:]


def read_plan(out: Path) -> dict[str, dict[str, str]]:
    """plan.csv by patient_id (for the hand-checked cases)."""
    header, rows = read_csv(out / "plan.csv")
    return {r[0]: dict(zip(header, r, strict=False)) for r in rows}


def read_nights(out: Path) -> list[dict[str, str]]:
    header, rows = read_csv(out / "nights.csv")
    return [dict(zip(header, r, strict=False)) for r in rows]


def read_summary(out: Path) -> dict[str, Any]:
    summary = cu.strict_json((out / "summary.json").read_text(encoding="utf-8"))
    assert isinstance(summary, dict)
    return summary


def _number(value: object) -> float | None:
    """A JSON number (not a boolean) as a float, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _num(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _km_ok(text: str, want: float, tol: float = KM_TOL) -> bool:
    got = _num(text)
    return got is not None and math.isclose(got, want, rel_tol=1e-6, abs_tol=tol)


def _check_plan_csv(pi: PlanInstance, out: Path, problems: list[str]) -> list[Option] | None:
    """plan.csv row by row; the written plan as outcomes (None when unreadable)."""
    inst = pi.inst
    header, rows = read_csv(out / "plan.csv")
    if header != PLAN_COLUMNS:
        problems.append(f"plan.csv header {header}, expected {PLAN_COLUMNS}")
        return None
    if [r[0] if r else "" for r in rows] != [p.pid for p in inst.patients]:
        problems.append(f"plan.csv rows {[r[:1] for r in rows]} are not one per patient in "
                        f"the order of patients.csv {[p.pid for p in inst.patients]}")
        return None
    plan: list[Option] = []
    units = {u.uid for u in inst.units}
    for p, raw in zip(inst.patients, rows, strict=True):
        row = dict(zip(PLAN_COLUMNS, raw, strict=False))
        where = f"plan.csv row for {p.pid}"
        if len(raw) != len(PLAN_COLUMNS):
            problems.append(f"{where}: {len(raw)} fields")
        if row["status"] != p.status:
            problems.append(f"{where}: status {row['status']!r}, expected {p.status!r}")
        if row["current_unit_id"] != p.current:
            problems.append(f"{where}: current_unit_id {row['current_unit_id']!r}, "
                            f"expected {p.current!r}")
        action, uid = row["action"], row["unit_id"]
        if action not in ACTIONS:
            problems.append(f"{where}: action {action!r}")
            return None
        if action in ("unplaced", "later"):
            if any(row[k] for k in ("night", "date", "unit_id", "distance_km", "out_of_area")):
                problems.append(f"{where}: {action} row has non-empty last five fields: {raw}")
            plan.append((action, None, None))
            continue
        night: int | None = None
        if action == "stay":
            if row["night"] or row["date"]:
                problems.append(f"{where}: a stay with night/date {row['night']!r}/"
                                f"{row['date']!r} (empty expected)")
            if uid != p.current:
                problems.append(f"{where}: a stay in {uid!r}, not the current unit {p.current!r}")
        else:
            try:
                night = int(row["night"])
            except ValueError:
                problems.append(f"{where}: night {row['night']!r} not an integer")
                return None
            if not 1 <= night <= pi.nights:
                problems.append(f"{where}: night {night} outside 1..{pi.nights}")
            elif row["date"] != pi.date_of(night).isoformat():
                problems.append(f"{where}: date {row['date']!r} is not night {night}'s "
                                f"{pi.date_of(night).isoformat()}")
        if uid not in units:
            problems.append(f"{where}: unknown unit_id {uid!r}")
            return None
        if not _km_ok(row["distance_km"], inst.km[p.pid, uid]):
            problems.append(f"{where}: distance_km {row['distance_km']!r}, contract d(p,u) = "
                            f"{inst.km[p.pid, uid]:.6f}")
        ooa = "true" if inst.unit(uid).network != p.home_network else "false"
        if row["out_of_area"] != ooa:
            problems.append(f"{where}: out_of_area {row['out_of_area']!r}, expected {ooa!r}")
        plan.append((action, night, uid))
    return plan


def _check_nights_csv(pi: PlanInstance, out: Path, plan: Sequence[Option],
                      problems: list[str]) -> list[dict[str, str]]:
    header, raw = read_csv(out / "nights.csv")
    if header != NIGHTS_COLUMNS:
        problems.append(f"nights.csv header {header}, expected {NIGHTS_COLUMNS}")
        return []
    if len(raw) != pi.nights:
        problems.append(f"nights.csv has {len(raw)} rows for {pi.nights} nights")
        return []
    rows = [dict(zip(NIGHTS_COLUMNS, r, strict=False)) for r in raw]
    for got, want in zip(rows, nights_table(pi, plan), strict=True):
        for key in NIGHTS_COLUMNS:
            if key in ("total_km", "cost_per_day"):
                ok = _km_ok(got[key], want[key])
            else:
                ok = got[key] == str(want[key])
            if not ok:
                problems.append(f"nights.csv night {want['night']}: {key} {got[key]!r}, "
                                f"expected {want[key]!r}")
    return rows


def _check_schedule_csv(pi: PlanInstance, out: Path, plan: Sequence[Option],
                        problems: list[str]) -> None:
    """schedule.csv: every move and admission of plan.csv once, on its night, each night in
    an order a ward can follow: replayed step by step, each move or admission goes into a bed
    free at that step (a move frees its old bed). Rows of kind ``temporary`` (a patient of a
    cycle of full wards leaves into a temporary bed, their move follows later that night;
    as transfers.csv orders a night) are allowed and must carry a cycle."""
    inst = pi.inst
    header, raw = read_csv(out / "schedule.csv")
    if header != SCHEDULE_COLUMNS:
        problems.append(f"schedule.csv header {header}, expected {SCHEDULE_COLUMNS}")
        return
    rows = [dict(zip(SCHEDULE_COLUMNS, r, strict=False)) for r in raw]
    index = {p.pid: i for i, p in enumerate(inst.patients)}
    want = sorted((o[1] or 0, inst.patients[i].pid, o[0],
                   inst.patients[i].current if o[0] == "move" else "", o[2] or "")
                  for i, o in enumerate(plan) if o[0] in ("move", "admit"))
    got = []
    for r in rows:
        if r["kind"] in ("move", "admit"):
            try:
                got.append((int(r["night"]), r["patient_id"], r["kind"], r["from_unit_id"],
                            r["to_unit_id"]))
            except ValueError:
                problems.append(f"schedule.csv night {r['night']!r} not an integer")
                return
        elif r["kind"] != "temporary":
            problems.append(f"schedule.csv kind {r['kind']!r} (move, admit or temporary)")
            return
    if sorted(got) != want:
        problems.append(f"schedule.csv moves/admissions {sorted(got)} != plan.csv's {want}")
        return
    nights = [int(r["night"]) for r in rows]
    if nights != sorted(nights):
        problems.append(f"schedule.csv not night by night: nights {nights}")
        return
    for r in rows:
        t = int(r["night"])
        if r["date"] != pi.date_of(t).isoformat():
            problems.append(f"schedule.csv: night {t} dated {r['date']!r}")
    for t in sorted(set(nights)):
        night_rows = [r for r in rows if int(r["night"]) == t]
        steps = [r["step"] for r in night_rows]
        if steps != [str(k) for k in range(1, len(night_rows) + 1)]:
            problems.append(f"schedule.csv night {t}: steps {steps}, expected 1..{len(steps)}")
        # Where everybody sleeps before night t's changes: present on night t, placed earlier.
        where: dict[str, str | None] = {}
        for i, (p, o) in enumerate(zip(inst.patients, plan, strict=True)):
            if p.status == "inpatient" and pi.present_nights(i) >= t:
                moved = o[0] == "move" and (o[1] or 0) < t
                where[p.pid] = o[2] if moved else p.current
            elif o[0] == "admit" and (o[1] or 0) < t:
                where[p.pid] = o[2]
        occ: dict[str, int] = {}
        for uid in where.values():
            if uid is not None:
                occ[uid] = occ.get(uid, 0) + 1
        temporary: set[str] = set()
        for r in night_rows:
            pid, kind, src, dst = r["patient_id"], r["kind"], r["from_unit_id"], r["to_unit_id"]
            step = f"schedule.csv night {t} step {r['step']} ({pid} {kind} {src}->{dst})"
            if pid not in index:
                problems.append(f"{step}: unknown patient")
                continue
            if kind == "temporary":
                if where.get(pid) != src or src != inst.patients[index[pid]].current:
                    problems.append(f"{step}: not in {src!r} at that step")
                if not r["cycle"]:
                    problems.append(f"{step}: a temporary bed without a cycle number")
                occ[src] = occ.get(src, 0) - 1
                where[pid] = None
                temporary.add(pid)
                continue
            if kind == "move":
                if pid in temporary:
                    temporary.discard(pid)
                elif where.get(pid) == src:
                    occ[src] = occ.get(src, 0) - 1
                else:
                    problems.append(f"{step}: the patient is not in {src!r} at that step")
                if not _km_ok(r["km_before"], inst.km[pid, src]):
                    problems.append(f"{step}: km_before {r['km_before']!r}, expected "
                                    f"{inst.km[pid, src]:.6f}")
            elif r["km_before"] or src:
                problems.append(f"{step}: an admission with from_unit_id/km_before")
            if occ.get(dst, 0) + 1 > inst.unit(dst).open_beds:
                problems.append(f"{step}: into {dst}, which has no free bed at that step "
                                f"({occ.get(dst, 0)} of {inst.unit(dst).open_beds})")
            occ[dst] = occ.get(dst, 0) + 1
            where[pid] = dst
            if not _km_ok(r["km_after"], inst.km[pid, dst]):
                problems.append(f"{step}: km_after {r['km_after']!r}, expected "
                                f"{inst.km[pid, dst]:.6f}")
        if temporary:
            problems.append(f"schedule.csv night {t}: {sorted(temporary)} left in a temporary "
                            "bed")


def check_plan(pi: PlanInstance, out: Path, run: cu.Run, *,
               best: PlanOptimum | None = None) -> list[str]:
    """Every deviation of a finished ``bedplan plan`` run from the contract and the optimum.

    Exit code 0 (optimal) or 3 (infeasible) as the oracle expects; summary.json's keys and
    types, ``start`` and ``nights``; plan.csv (header, one row per patient in order, each
    column's meaning, the plan feasible), its objective = summary's = the optimum (1e-6
    relative); nights.csv recomputed from plan.csv; every metric recomputed from the written
    files; schedule.csv replayed; a non-empty diagnosis when a referral is unplaced (as for
    reallocate). Infeasible: null objective/bound/gap, header-only CSVs, a diagnosis.
    """
    if best is None:
        best = solve(pi)
    problems = cu.check_exit(run, best.status, f"objective {best.objective}, plan {best.plan}")
    if best.status == "invalid":
        return problems
    names = ("plan.csv", "nights.csv", "schedule.csv", "summary.json")
    missing_files = [n for n in names if not (out / n).is_file()]
    if missing_files:
        return [*problems, f"missing {missing_files}"]
    try:
        summary = read_summary(out)
    except (ValueError, AssertionError) as exc:
        return [*problems, f"summary.json is not a strict JSON object: {exc}"]
    if PLAN_SUMMARY_KEYS - set(summary):
        problems.append(f"summary.json lacks {sorted(PLAN_SUMMARY_KEYS - set(summary))}")
    metrics = summary.get("metrics")
    if not isinstance(metrics, dict):
        problems.append(f"metrics is not an object: {metrics!r}")
        metrics = {}
    if set(PLAN_METRIC_KEYS) - set(metrics):
        problems.append(f"metrics lacks {sorted(set(PLAN_METRIC_KEYS) - set(metrics))}")
    if summary.get("start") != pi.start.isoformat():
        problems.append(f"start {summary.get('start')!r}, expected {pi.start.isoformat()!r}")
    if summary.get("nights") != pi.nights or isinstance(summary.get("nights"), bool):
        problems.append(f"nights {summary.get('nights')!r}, expected {pi.nights}")
    diagnosis = summary.get("diagnosis")
    if not isinstance(diagnosis, list) or not all(isinstance(d, str) for d in diagnosis):
        problems.append(f"diagnosis is not a list of strings: {diagnosis!r}")
    if not isinstance(summary.get("solver"), str):
        problems.append(f"solver not a string: {summary.get('solver')!r}")
    seconds = _number(summary.get("seconds"))
    if seconds is None or seconds < 0:
        problems.append(f"seconds not a number >= 0: {seconds!r}")
    if best.status == "infeasible":
        if summary.get("status") != "infeasible":
            problems.append(f"status {summary.get('status')!r}, expected 'infeasible'")
        problems += [f"{k} is {summary.get(k)!r}, expected null when infeasible"
                     for k in ("objective", "bound", "gap") if summary.get(k) is not None]
        for name, header in (("plan.csv", PLAN_COLUMNS), ("nights.csv", NIGHTS_COLUMNS),
                             ("schedule.csv", SCHEDULE_COLUMNS)):
            written, rows = read_csv(out / name)
            if written != header or rows:
                problems.append(f"{name} is not header-only when infeasible: {written} + "
                                f"{len(rows)} rows")
        if not diagnosis:
            problems.append("infeasible without a diagnosis")
        return problems
    if summary.get("status") != "optimal":
        problems.append(f"status {summary.get('status')!r}, expected 'optimal'")
    problems += [f"{k} is {summary.get(k)!r}, expected a number"
                 for k in ("objective", "bound", "gap") if _number(summary.get(k)) is None]
    obj, bound, gap = (_number(summary.get(k)) for k in ("objective", "bound", "gap"))
    if obj is not None and bound is not None and bound > obj + 1e-6 * max(1.0, abs(obj)):
        problems.append(f"bound {bound} above the objective {obj} of a minimisation")
    if gap is not None and gap < 0:
        problems.append(f"negative gap {gap}")
    plan = _check_plan_csv(pi, out, problems)
    if plan is None:
        return problems
    bad = violations(pi, plan)
    if bad:
        return [*problems, f"plan.csv breaks the contract: {bad}"]
    mine = objective(pi, plan)
    if obj is not None and not cu.close(obj, mine):
        problems.append(f"summary objective {obj} != objective of plan.csv {mine:.6f}")
    if best.objective is not None and not cu.close(mine, best.objective):
        problems.append(f"plan.csv objective {mine:.6f} != oracle optimum "
                        f"{best.objective:.6f} (oracle plan {best.plan}, written {plan})")
    written_nights = _check_nights_csv(pi, out, plan, problems)
    if written_nights:
        want = plan_metrics(pi, plan, written_nights)
        for key in PLAN_METRIC_KEYS:
            got = metrics.get(key)
            if key not in metrics:
                continue
            if key == "km_nights":
                km = _number(got)
                if km is None or not math.isclose(km, want[key], rel_tol=1e-6,
                                                  abs_tol=KM_TOL * pi.nights):
                    problems.append(f"metrics.km_nights {got!r}, expected {want[key]:.6f}")
            elif got != want[key] or not isinstance(got, int) or isinstance(got, bool):
                problems.append(f"metrics.{key} {got!r}, expected {want[key]}")
    _check_schedule_csv(pi, out, plan, problems)
    if any(o[0] == "unplaced" for o in plan) and not diagnosis:
        problems.append("referrals left unplaced but the diagnosis is empty")
    return problems


