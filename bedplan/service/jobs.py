"""Background jobs: a reallocation or a scenario, run off the request thread.

A job is a row of ``jobs`` (queued → running → done | failed) with a progress line updated
from the engine's own progress callback and the result as JSON. Jobs run one at a time in a
worker thread (the solver is the heavy part and the machine is small); the census is
snapshotted when the job starts, so accepts go on while it runs. Outputs are written under
``DATA_DIR/jobs/<id>/`` exactly as the command line writes them. A job left running by a
stopped server is marked failed at the next start.
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
from .tables import JobRow

log = logging.getLogger(__name__)

KINDS = ("reallocate", "scenario")
#: Policy keys a job may override (the command line's flags).
OVERRIDE_KEYS = ("max_moves", "max_admissions_per_unit", "time_limit", "gap", "distance")
_PROGRESS_EVERY = 0.5  # seconds between progress writes


def job_dict(row: JobRow) -> dict[str, Any]:
    def iso(t: dt.datetime | None) -> str | None:
        if t is None:
            return None
        return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).isoformat()

    return {"id": row.id, "kind": row.kind, "status": row.status, "progress": row.progress,
            "params": json.loads(row.params or "{}"),
            "result": json.loads(row.result) if row.result else None, "error": row.error,
            "created_by": row.created_by, "created_at": iso(row.created_at),
            "finished_at": iso(row.finished_at)}


class JobRunner:
    """Queues jobs and runs them in one worker thread."""

    def __init__(self, factory: sessionmaker[Session], cache: CensusCache,
                 data_dir: Path) -> None:
        self._factory = factory
        self._cache = cache
        self._dir = data_dir / "jobs"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bedplan-job")
        self._lock = threading.Lock()

    def recover(self) -> None:
        """Jobs a previous server left queued or running cannot finish: say so."""
        with writing(self._factory) as s:
            s.execute(update(JobRow).where(JobRow.status.in_(("queued", "running")))
                      .values(status="failed", error="the server stopped before it finished",
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

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._factory() as s:
            rows = s.scalars(select(JobRow).order_by(JobRow.created_at.desc()).limit(limit))
            return [job_dict(r) for r in rows]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

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

        _version, instance = self._cache.get()
        overrides = {k: params[k] for k in OVERRIDE_KEYS if params.get(k) is not None}
        if overrides:
            instance = replace(instance, policy=apply_overrides(instance.policy, **overrides))
        network = params.get("network") or None
        out = self._dir / job_id
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
