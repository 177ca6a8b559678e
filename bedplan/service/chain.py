"""The audit log's hash chain: tamper evidence for every row.

Each row of ``audit_log`` stores ``hash = sha256(previous row's hash, this row's content)``
(the first row chains to :data:`GENESIS`). Changing, inserting, deleting or reordering any
row breaks the chain from that row on, and :func:`verify` names the first such row. Someone
able to rewrite the whole table can recompute every hash, so a head recorded elsewhere (the
server logs it at every start; ``bedplan audit verify`` prints it) is an anchor:
``verify(..., heads=[(id, hash)])`` also checks that the chain still passes through it.

The content hashed is each column as stored: the timestamp in UTC to the microsecond, the
details as their stored JSON text. The function is part of the record's format: never change
it without a migration that says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .tables import AuditRow

GENESIS = "0" * 64
_BATCH = 5000


def utc_text(at: dt.datetime) -> str:
    """A timestamp as hashed: UTC, ISO 8601, microseconds (naive values are UTC)."""
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    return at.isoformat(timespec="microseconds")


def row_hash(previous: str, *, id: int, at: dt.datetime, actor: str, role: str, action: str,
             patient_id: str | None, unit_id: str | None, reason: str, details: str,
             suggestion_id: int | None) -> str:
    """The hash of one row given the previous row's hash."""
    content = json.dumps([id, utc_text(at), actor, role, action, patient_id, unit_id, reason,
                          details, suggestion_id], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{content}".encode()).hexdigest()


def hash_of(previous: str, row: Any) -> str:
    """:func:`row_hash` of a row object (an :class:`AuditRow` or a result row)."""
    return row_hash(previous, id=row.id, at=row.at, actor=row.actor, role=row.role,
                    action=row.action, patient_id=row.patient_id, unit_id=row.unit_id,
                    reason=row.reason, details=row.details, suggestion_id=row.suggestion_id)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What :func:`verify` found. ``broken_id`` is the first row that does not fit."""

    events: int
    head_id: int | None
    head_hash: str
    broken_id: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None and not self.problem


def _rows(session: Session) -> Iterable[Any]:
    last = None
    columns = [AuditRow.__table__.c[name] for name in (
        "id", "at", "actor", "role", "action", "patient_id", "unit_id", "reason", "details",
        "suggestion_id", "hash")]
    while True:
        q = select(*columns).order_by(AuditRow.id).limit(_BATCH)
        if last is not None:
            q = q.where(AuditRow.id > last)
        batch = session.execute(q).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def verify(session: Session, heads: Sequence[tuple[int, str]] = ()) -> Verdict:
    """Walk the chain in id order; stop at the first row whose hash does not fit."""
    wanted = dict(heads)
    previous, count, last_id = GENESIS, 0, None
    for row in _rows(session):
        expected = hash_of(previous, row)
        if row.hash != expected:
            what = "" if last_id is None else f" (the {count} events before it are intact)"
            return Verdict(count, last_id, previous, row.id,
                           f"event {row.id} ({row.action}, {utc_text(row.at)}) does not fit "
                           f"the chain: it was changed, or an event before it was changed, "
                           f"inserted or deleted{what}")
        if row.id in wanted and wanted.pop(row.id) != row.hash:
            return Verdict(count, last_id, previous, row.id,
                           f"event {row.id} is not the one recorded earlier as head "
                           f"(its hash differs): the log was rewritten up to there")
        previous, count, last_id = row.hash, count + 1, row.id
    if wanted:
        first = min(wanted)
        return Verdict(count, last_id, previous, None,
                       f"event {first}, recorded earlier as head, is missing: the log was "
                       f"cut short (last event now: {last_id})")
    return Verdict(count, last_id, previous)


def head(session: Session) -> tuple[int | None, str]:
    """The last row's id and hash (``(None, GENESIS)`` for an empty log)."""
    row = session.execute(select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc())
                          .limit(1)).first()
    return (None, GENESIS) if row is None else (int(row.id), str(row.hash))
