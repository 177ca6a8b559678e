"""Background jobs: a reallocation, a scenario or a plan over several nights, run off the
request thread.

A job is a row of ``jobs`` (queued → running → done | failed) with a progress line updated
from the engine's own progress callback and the result as JSON. Jobs run one at a time in a
worker thread (the solver is the heavy part and the machine is small); the census is
snapshotted when the job starts, so accepts go on while it runs. Outputs are written under
``DATA_DIR/jobs/<id>/`` exactly as the command line writes them. A job left running by a
stopped server is marked failed at the next start.

Who may start and see a job (:func:`check_scope`, :func:`may_see`): planners and admins; a
planner whose account names collaboratives only for those collaboratives (and sees only
their jobs); a plan for all of England needs an admin.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models.errors import InputError

from . import audit
from .auth import User
from .census import CensusCache
from .db import writing
from .distances import DistanceCache
from .errors import ServiceError
from .planjob import PlanChildDied
from .tables import JobRow

log = logging.getLogger(__name__)

KINDS = ("reallocate", "scenario", "plan")
#: The files of a finished job that ``GET /api/jobs/{id}/files/{name}`` serves, by kind.
JOB_FILES: dict[str, tuple[str, ...]] = {
    "reallocate": ("assignments.csv", "transfers.csv", "summary.json"),
    "scenario": ("comparison.json",),
    "plan": ("plan.csv", "nights.csv", "schedule.csv", "summary.json"),
}
#: Policy keys a job may override (the command line's flags).
OVERRIDE_KEYS = ("max_moves", "max_admissions_per_unit", "time_limit", "gap", "distance")
_PROGRESS_EVERY = 0.5  # seconds between progress writes
STOPPED = "the server stopped before it finished"


def job_dict(row: JobRow, *, result: bool = True) -> dict[str, Any]:
    """A job as the API shows it; without ``result`` when ``result`` is False."""

    def iso(t: dt.datetime | None) -> str | None:
        if t is None:
            return None
        return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).isoformat()

    out = {"id": row.id, "kind": row.kind, "status": row.status, "progress": row.progress,
           "params": json.loads(row.params or "{}"), "error": row.error,
           "created_by": row.created_by, "created_at": iso(row.created_at),
           "finished_at": iso(row.finished_at)}
    if result:
        out["result"] = json.loads(row.result) if row.result else None
    return out


def check_scope(user: User, kind: str, network: str | None) -> None:
    """403 unless ``user`` may run a job of ``kind`` on ``network`` (None: all of England).

    A planner whose account names collaboratives works on those only; a plan for all of
    England (the heaviest job: every patient, every night) needs an admin.
    """
    user.require("planner", "admin")
    if user.role == "admin":
        return
    if user.networks and network not in user.networks:
        mine = ", ".join(sorted(user.networks))
        raise ServiceError(403, f"your account works on {mine}: choose one of them as the "
                                "collaborative")
    if network is None and kind == "plan":
        raise ServiceError(403, "a plan for all of England needs the admin role: choose a "
                                "collaborative")


def may_see(user: User, job: dict[str, Any]) -> bool:
    """Whether ``user`` may see ``job``: anyone who could have started it."""
    if user.role == "admin":
        return True
    if user.role != "planner":
        return False
    return not user.networks or job["params"].get("network") in user.networks


def job_file(data_dir: Path, job: dict[str, Any], name: str) -> Path | None:
    """The path of a finished job's output file ``name`` (one of :data:`JOB_FILES`)."""
    if job["status"] != "done" or name not in JOB_FILES.get(job["kind"], ()):
        return None
    path = data_dir / "jobs" / job["id"] / name
    return path if path.is_file() else None


class JobRunner:
    """Queues jobs and runs them in one worker thread."""

    def __init__(self, factory: sessionmaker[Session], cache: CensusCache,
                 data_dir: Path, distances: DistanceCache | None = None, *,
                 isolate_plans: bool = True) -> None:
        self._factory = factory
        self._cache = cache
        self._distances = distances
        self._isolate_plans = isolate_plans
        self._stopping = False
        self._dir = data_dir / "jobs"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bedplan-job")
        self._lock = threading.Lock()

    def recover(self) -> None:
        """Jobs a previous server left queued or running cannot finish: say so."""
        with writing(self._factory) as s:
            s.execute(update(JobRow).where(JobRow.status.in_(("queued", "running")))
                      .values(status="failed", error=STOPPED,
                              finished_at=dt.datetime.now(dt.UTC)))

    def submit(self, user: User, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """Record and queue a job (params already checked by the caller)."""
        job_id = uuid.uuid4().hex
        with writing(self._factory) as s:
            row = JobRow(id=job_id, kind=kind, status="queued", progress="queued",
                         params=json.dumps(params), created_by=user.username,
                         created_at=dt.datetime.now(dt.UTC))
            s.add(row)
            audit.append(s, user, f"job_{kind}", details={"job_id": job_id, "params": params})
            s.flush()
            out = job_dict(row)
        self._pool.submit(self._run, job_id, kind, params)
        return out

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._factory() as s:
            row = s.get(JobRow, job_id)
            return None if row is None else job_dict(row)

    def recent(self, user: User, limit: int = 20) -> list[dict[str, Any]]:
        """The latest ``limit`` jobs ``user`` may see (among the latest 500), without their
        results (an England plan's is ~0.5 MB; ``get`` has it)."""
        with self._factory() as s:
            rows = s.scalars(select(JobRow).order_by(JobRow.created_at.desc()).limit(500))
            jobs = (job_dict(r, result=False) for r in rows)
            return [j for j in jobs if may_see(user, j)][:limit]

    def shutdown(self) -> None:
        """Stop: queued jobs are dropped and a running plan's child is killed (the next
        start marks them failed), so that the server stops at once."""
        from .planjob import stop_plans

        self._stopping = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        if stop_plans():
            log.info("a running plan was stopped with the server")

    # ------------------------------------------------------------------ worker side

    def _set(self, job_id: str, **values: Any) -> None:
        with writing(self._factory) as s:
            s.execute(update(JobRow).where(JobRow.id == job_id).values(**values))

    def _run(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        self._set(job_id, status="running", progress="starting")
        last = [0.0]

        def progress(message: str) -> None:
            now = time.monotonic()
            if now - last[0] >= _PROGRESS_EVERY:
                last[0] = now
                self._set(job_id, progress=message[:500])

        try:
            result = self._work(job_id, kind, params, progress)
        except InputError as exc:
            self._set(job_id, status="failed", error=str(exc), progress="invalid input",
                      finished_at=dt.datetime.now(dt.UTC))
            return
        except PlanChildDied as exc:  # its own words: no internals in them
            why = STOPPED if self._stopping else str(exc)
            log.error("job %s: %s", job_id, why)
            self._set(job_id, status="failed", error=why, progress="failed",
                      finished_at=dt.datetime.now(dt.UTC))
            return
        except Exception:  # logged in full; the user sees no internals
            log.exception("job %s failed", job_id)
            self._set(job_id, status="failed", error="internal error (see the server log)",
                      progress="failed", finished_at=dt.datetime.now(dt.UTC))
            return
        self._set(job_id, status="done", progress="done", finished_at=dt.datetime.now(dt.UTC),
                  result=json.dumps(result, allow_nan=False))

    def _work(self, job_id: str, kind: str, params: dict[str, Any],
              progress: Any) -> dict[str, Any]:
        from models.io import apply_overrides

        _version, census = self._cache.get()
        instance = census
        overrides = {k: params[k] for k in OVERRIDE_KEYS if params.get(k) is not None}
        if overrides:
            instance = replace(instance, policy=apply_overrides(instance.policy, **overrides))
        network = params.get("network") or None
        out = self._dir / job_id
        if kind == "plan":
            from .planjob import run_plan_isolated, run_plan_job

            full = self._distances.matrix_for(census) if self._distances else None
            run = run_plan_isolated if self._isolate_plans else run_plan_job
            return run(census, out, start=dt.date.fromisoformat(params["start"]),
                       nights=int(params["nights"]), network=network, progress=progress,
                       full_distances=full, policy_instance=instance)
        if kind == "reallocate":
            from optimiser.planning.run import run_instance

            outcome = run_instance(instance, out, network=network,
                                   progress=lambda e: progress(f"{e.phase}: {e.message}"))
            summary = json.loads((out / "summary.json").read_text())
            changes = [{"patient_id": a.patient_id, "action": a.action,
                        "from": a.current_unit_id, "to": a.unit_id,
                        "distance_km": a.distance_km}
                       for a in outcome.result.assignments if a.action in ("move", "admit")]
            return {"summary": summary, "changes": changes[:1000],
                    "changes_total": len(changes), "exit_code": outcome.exit_code}
        from models.changes import parse_changes
        from optimiser.planning.scenario import run_scenario

        changes_obj = parse_changes(str(params.get("changes", "")), "changes")
        s = run_scenario(instance, changes_obj, out, network=network,
                         progress=lambda label, e: progress(f"{label} {e.phase}: {e.message}"))
        return {"comparison": s.comparison, "exit_code": s.exit_code}
