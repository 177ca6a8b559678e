"""The audit log: every decision and census change, appended, never changed.

An event says who (username and role), when (UTC), what (action), about which patient and
unit, why (the reason the user typed) and the details (what was suggested, what was chosen,
the moves, the census before/after). The application only ever INSERTs; the database's own
triggers (see the migrations) refuse UPDATE, DELETE and an INSERT over an existing id from any
client. Each row carries a hash chained to the row before (:mod:`bedplan.service.chain`), so
a change made behind the database's back shows in ``bedplan audit verify``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from . import chain
from .auth import User
from .tables import AuditRow

COLUMNS = ("id", "at", "actor", "role", "action", "patient_id", "unit_id", "reason", "details",
           "suggestion_id", "hash")
#: PostgreSQL advisory lock serialising appends (the chain needs one row after another);
#: SQLite's write transactions are serial already (BEGIN IMMEDIATE).
_APPEND_LOCK = 0x626564706C616E  # "bedplan"


def append(session: Session, user: User | None, action: str, *, patient_id: str | None = None,
           unit_id: str | None = None, reason: str = "", details: dict[str, Any] | None = None,
           actor: str | None = None, suggestion_id: int | None = None) -> int:
    """Append one event inside the caller's write transaction; returns its id.

    The id is the last one plus one and the hash chains to the last row, both read under a
    lock held until the transaction ends, so concurrent appends form one chain.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    last_id, last_hash = chain.head(session)
    row = AuditRow(id=(last_id or 0) + 1, at=dt.datetime.now(dt.UTC),
                   actor=actor or (user.username if user else "system"),
                   role=user.role if user else "system", action=action, patient_id=patient_id,
                   unit_id=unit_id, reason=reason,
                   details=json.dumps(details or {}, sort_keys=True, allow_nan=False),
                   suggestion_id=suggestion_id)
    row.hash = chain.hash_of(last_hash, row)
    session.add(row)
    session.flush()
    return row.id


def event_dict(row: AuditRow) -> dict[str, Any]:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
    return {"id": row.id, "at": at.isoformat(), "actor": row.actor, "role": row.role,
            "action": row.action, "patient_id": row.patient_id, "unit_id": row.unit_id,
            "reason": row.reason, "details": json.loads(row.details or "{}"),
            "suggestion_id": row.suggestion_id, "hash": row.hash}


def events(session: Session, *, patient_id: str | None = None, action: str | None = None,
           since_id: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """Events in the order they were appended (optionally filtered)."""
    q = select(AuditRow).where(AuditRow.id > since_id).order_by(AuditRow.id)
    if patient_id is not None:
        q = q.where(AuditRow.patient_id == patient_id)
    if action is not None:
        q = q.where(AuditRow.action == action)
    if limit is not None:
        q = q.limit(limit)
    return [event_dict(r) for r in session.scalars(q)]


def find(session: Session, event_id: int) -> dict[str, Any] | None:
    row = session.get(AuditRow, event_id)
    return None if row is None else event_dict(row)


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """One line per event; ``details`` as compact JSON in its own column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([r["id"], r["at"], r["actor"], r["role"], r["action"],
                         r["patient_id"] or "", r["unit_id"] or "", r["reason"],
                         json.dumps(r["details"], sort_keys=True, separators=(",", ":")),
                         "" if r["suggestion_id"] is None else r["suggestion_id"], r["hash"]])
    return out.getvalue()
