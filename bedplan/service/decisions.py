"""Accepting a suggestion: admit a referral or move an inpatient, safely under concurrency.

Every accept states what it expects (:class:`Expectation`): the patient is a referral (an
admit), an inpatient in a given ward (a move, which only a request asking for a move makes),
or a new referral not yet in the census. Everything happens in one write transaction. The rows
involved are locked first — units in unit_id order, then patients in patient_id order
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the transaction began IMMEDIATE, so it is
the only writer) — then the patients' state is compared with what the request expected, the
changes applied, and the occupancy of every receiving unit counted again *inside* the
transaction. When the patient was placed or moved meanwhile, or a bed was taken, nothing is
changed and the caller gets 409. A suggestion is accepted at most once. The decision (what was
suggested, what was chosen, why) is appended to the audit log in the same transaction, so a
decision is recorded if and only if it happened.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.compatibility import incompatibility_reasons
from models.domain import Patient, Unit

from . import audit
from .auth import User
from .census import bump_version, patient_row, to_patient, to_unit
from .errors import ServiceError, conflict, invalid, not_found
from .tables import AuditRow, PatientRow, UnitRow

log = logging.getLogger(__name__)
NEW = "new"  # the status an inline referral has before it is in the census
_ASK_AGAIN = "ask for new suggestions"


@dataclass(frozen=True, slots=True)
class Expectation:
    """The patient as the request saw them: ``referral`` (unit None), ``inpatient`` in
    ``unit_id``, or :data:`NEW` (an inline referral, not in the census yet)."""

    status: str
    unit_id: str | None = None

    @property
    def action(self) -> str:
        return "move" if self.status == "inpatient" else "admit"

    def describe(self) -> str:
        if self.status == "inpatient":
            return f"an inpatient in {self.unit_id}"
        return "a new referral" if self.status == NEW else "a referral"


def state_of_patient(p: Patient) -> Expectation:
    """How a suggestion records the patient it was made for."""
    return Expectation(p.status, p.current_unit_id if p.status == "inpatient" else None)


def _stale(patient_id: str, expected: Expectation, now: Expectation) -> ServiceError:
    """409: the patient is no longer as the request saw them."""
    if expected.status == "referral" and now.status == "inpatient":
        return conflict(f"{patient_id} is an inpatient in {now.unit_id} now, not a referral "
                        f"(admitted meanwhile?): {_ASK_AGAIN}; to move them, send action "
                        f"\"move\" with from \"{now.unit_id}\"")
    if expected.status == "inpatient" and now.status == "inpatient":
        return conflict(f"{patient_id} is in {now.unit_id} now, not in {expected.unit_id} "
                        f"(moved meanwhile): {_ASK_AGAIN}")
    return conflict(f"{patient_id} is {now.describe()} now, not {expected.describe()}: "
                    f"{_ASK_AGAIN}")


@dataclass(frozen=True, slots=True)
class MoveRequest:
    patient_id: str
    from_unit: str
    to_unit: str


@dataclass(frozen=True, slots=True)
class Decision:
    """What an accept did (the audit event id says where it is recorded)."""

    audit_id: int
    action: str  # admit | move
    patient_id: str
    unit_id: str
    moves: tuple[MoveRequest, ...]
    census_version: int
    changed: tuple[Patient, ...] = ()  # their state after the decision
    added: tuple[Patient, ...] = ()  # a new referral, admitted


def visible_patient(session: Session, user: User, patient_id: str, *,
                    lock: bool = False) -> PatientRow:
    """The patient row if the user may see it; 404 otherwise (existence is not revealed)."""
    q = select(PatientRow).where(PatientRow.patient_id == patient_id)
    if lock:  # re-read the row as it is now that we hold the lock
        q = q.with_for_update().execution_options(populate_existing=True)
    row = session.scalar(q)
    if row is None or not user.can_see_network(row.home_network_id):
        raise not_found(f"no patient {patient_id!r} in your census")
    return row


def _unit(session: Session, unit_id: str) -> UnitRow:
    row = session.get(UnitRow, unit_id)
    if row is None:
        raise not_found(f"no unit {unit_id!r}")
    return row


def _check_fits(p: Patient, u: Unit, who: str) -> None:
    reasons = incompatibility_reasons(p, u)
    if reasons:
        raise invalid(f"{u.unit_id} cannot take {who}: {'; '.join(reasons)}")


def occupied(session: Session, unit_id: str) -> int:
    return int(session.scalar(select(func.count()).select_from(PatientRow).where(
        PatientRow.current_unit_id == unit_id, PatientRow.status == "inpatient")) or 0)


def accepted_already(session: Session, suggestion_id: int) -> int | None:
    """The decision that accepted this suggestion, if one did."""
    return session.scalar(select(AuditRow.id).where(AuditRow.suggestion_id == suggestion_id))


def accept(session: Session, user: User, *, patient_id: str | None, unit_id: str,
           expect: Expectation, moves: tuple[MoveRequest, ...] = (), reason: str = "",
           referral: Patient | None = None, suggested: dict[str, Any] | None = None,
           suggestion_id: int | None = None) -> Decision:
    """Admit (referral) or move (inpatient) one patient into ``unit_id``, after ``moves``.

    ``expect`` is the patient as the request saw them; ``referral`` a new patient not yet in
    the census (an inline referral, ``expect`` :data:`NEW`): it is added and admitted at once.
    Raises ServiceError: 403/404 for patients the user may not see, 404 unknown unit, 422 a
    unit that does not fit, 409 when the patient is not as expected any more (placed or moved
    meanwhile), the suggestion was accepted already, or a receiving unit has no free bed.
    """
    user.require("bed_manager", "admin")
    if referral is not None:
        from models.referral import UNKNOWN_NETWORK

        patient_id = referral.patient_id
        # UNKNOWN_NETWORK: no unit offers the referral's service, so no unit can take it
        # either: let the unit check below say so (422) rather than refuse the collaborative.
        if referral.home_network_id != UNKNOWN_NETWORK and \
                not user.can_see_network(referral.home_network_id):
            raise ServiceError(403, f"referral's collaborative {referral.home_network_id!r} "
                                    "is not one of yours")
    if not patient_id:
        raise invalid("give patient_id or referral")
    if (referral is not None) != (expect.status == NEW):
        raise invalid("a new referral is admitted, and only a new referral is new")
    # 1. read and check (no locks yet: locks are taken in a fixed order below)
    if referral is not None:
        # the id is the one its suggestion chose: taken means that suggestion was accepted
        if session.get(PatientRow, referral.patient_id) is not None:
            raise conflict(f"this referral was accepted already (it is {patient_id} now): "
                           f"{_ASK_AGAIN}")
        before = referral
    else:
        before = to_patient(visible_patient(session, user, patient_id))
    if suggestion_id is not None and (done := accepted_already(session, suggestion_id)):
        raise conflict(f"suggestion {suggestion_id} was accepted already (audit event "
                       f"{done}): {_ASK_AGAIN}")
    if referral is None and state_of_patient(before) != expect:
        raise _stale(patient_id, expect, state_of_patient(before))
    target = to_unit(_unit(session, unit_id))
    if before.status == "inpatient":
        if before.current_unit_id == unit_id:
            raise conflict(f"{patient_id} is already in {unit_id}")
        if not before.movable:
            raise conflict(f"{patient_id} is marked not movable")
    _check_fits(before, target, patient_id)
    if len({m.patient_id for m in moves}) != len(moves):
        raise invalid("each patient can be moved once")
    moved: list[tuple[MoveRequest, Patient]] = []
    for m in moves:
        if m.from_unit == m.to_unit:
            raise invalid(f"move of {m.patient_id}: from and to are both {m.to_unit}")
        q = to_patient(visible_patient(session, user, m.patient_id))
        if q.status != "inpatient" or q.current_unit_id != m.from_unit:
            raise conflict(f"{m.patient_id} is not in {m.from_unit} any more")
        if not q.movable:
            raise conflict(f"{m.patient_id} is marked not movable")
        if m.patient_id == patient_id:
            raise invalid("the patient being placed cannot also be one of the moves")
        _check_fits(q, to_unit(_unit(session, m.to_unit)), m.patient_id)
        moved.append((m, q))
    receiving = sorted({unit_id, *(m.to_unit for m in moves)})
    involved = sorted({unit_id, *(m.to_unit for m in moves), *(m.from_unit for m in moves),
                       *([before.current_unit_id] if before.current_unit_id else [])})
    # 2. lock units, then patients, in a fixed order (no deadlock between two accepts)
    for uid in involved:  # populate_existing: beds may have changed before we got the lock
        session.scalar(select(UnitRow).where(UnitRow.unit_id == uid).with_for_update()
                       .execution_options(populate_existing=True))
    people = sorted({*([] if referral is not None else [patient_id]),
                     *(m.patient_id for m in moves)})
    rows = {pid: visible_patient(session, user, pid, lock=True) for pid in people}
    earlier = {q.patient_id: state_of_patient(q) for _, q in moved}
    for pid, row in rows.items():
        now = state_of_patient(to_patient(row))
        expected = expect if pid == patient_id else earlier[pid]
        if now != expected:
            raise _stale(pid, expected, now)
    # 3. apply
    today = dt.date.today()
    for m, _q in moved:
        rows[m.patient_id].current_unit_id = m.to_unit
    added: tuple[Patient, ...] = ()
    if referral is not None:
        new = replace(referral, status="inpatient", current_unit_id=unit_id, admitted_on=today)
        position = int(session.scalar(select(func.max(PatientRow.position))) or 0) + 1
        session.add(PatientRow(**patient_row(new, position)))
        added = (to_patient(PatientRow(**patient_row(new, position))),)
        action = "admit"
    else:
        row = rows[patient_id]
        action = expect.action  # the locked row is as expected: a move only when asked for
        if action == "admit":
            row.status = "inpatient"
            row.admitted_on = today
        row.current_unit_id = unit_id
    session.flush()
    # 4. re-check capacity inside the transaction
    for uid in receiving:
        u = to_unit(session.get(UnitRow, uid))  # type: ignore[arg-type]
        n = occupied(session, uid)
        if n > u.open_beds:
            raise conflict(f"{uid} has no free bed any more (all {u.open_beds} open beds "
                           "taken); ask for new suggestions")
    # 5. record
    version = bump_version(session)
    details: dict[str, Any] = {
        "chosen": {"unit_id": unit_id, "moves": [
            {"patient_id": m.patient_id, "from": m.from_unit, "to": m.to_unit} for m in moves]},
        "before": {"status": before.status, "current_unit_id": before.current_unit_id},
        "suggestion_id": suggestion_id, "suggested": suggested,
        "new_referral": referral is not None, "census_version": version}
    if suggested is not None:
        ranks = [o.get("rank") for o in suggested.get("options", []) if o.get("unit_id") == unit_id]
        details["chosen"]["rank"] = ranks[0] if ranks else None
    event = audit.append(session, user, action, patient_id=patient_id, unit_id=unit_id,
                         reason=reason, details=details, suggestion_id=suggestion_id)
    log.info("%s %s -> %s (%d moves) by user %d", action, patient_id, unit_id, len(moves),
             user.id)
    return Decision(event, action, patient_id, unit_id, tuple(moves), version,
                    tuple(to_patient(r) for r in rows.values()), added)
