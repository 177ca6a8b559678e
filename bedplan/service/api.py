"""The JSON API under ``/api`` (OpenAPI at ``/docs``).

Routes parse, check access, call the engine or the repository, and answer; the engine
functions are the command line's own (:func:`optimiser.planning.suggest.suggest`, the
reallocate and scenario runs), so the service and ``bedplan suggest`` always agree. Every
request here was authenticated by :mod:`bedplan.service.guard` before its body was read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import secrets
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response

from models.domain import Instance, Patient
from models.referral import InlineReferral

from . import audit
from .auth import User, authenticate
from .census import bump_version, store_instance, unknown_networks
from .db import reading, writing
from .decisions import (
    NEW,
    Expectation,
    MoveRequest,
    accept,
    state_of_patient,
    visible_patient,
)
from .deps import current_user
from .errors import ServiceError, conflict, invalid, not_found, too_many
from .guard import API_LIMIT, FORM_LIMIT, IMPORT_LIMIT
from .jobs import JOB_FILES, check_scope, job_file, may_see
from .schemas import (
    MAX_ID,
    MAX_NIGHTS,
    AcceptRequest,
    JobRequest,
    Referral,
    SuggestRequest,
    TokenRequest,
    UnitBedsRequest,
)
from .state import state_of
from .tables import UnitRow
from .views import network_names, patient_dict, unit_dict, visible

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", max_body_size=API_LIMIT)
CurrentUser = Annotated[User, Depends(current_user)]
IMPORT_NAMES = ("units.csv", "patients.csv", "networks.csv", "policy.toml")


# ---------------------------------------------------------------- helpers


def new_referral_id(instance: Instance) -> str:
    """A fresh pseudonymous id for an inline referral. The service chooses it, never the
    client, so no answer can reveal whether some id exists in another collaborative."""
    taken = instance.patient_index()
    while True:
        pid = "NEW-" + secrets.token_hex(5).upper()
        if pid not in taken:
            return pid


def referral_digest(referral: Referral) -> str:
    """What identifies an inline referral between its suggestion and its accept."""
    text = json.dumps(referral.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def inline_referral(instance: Instance, user: User, body: Referral) -> InlineReferral:
    """The referral checked as a row of patients.csv, under a fresh id, with its home
    collaborative found as ``bedplan suggest --referral`` finds it (and the notes saying
    how); 403 when that collaborative is not the user's."""
    from models.referral import UNKNOWN_NETWORK, read_referral

    found = read_referral(body.spec(new_referral_id(instance)), instance)
    p = found.patient
    # No unit offers the referral's service, so its collaborative could not be inferred: the
    # answer is an empty suggestion with its reason, which shows nobody's patients.
    if p.home_network_id != UNKNOWN_NETWORK and not user.can_see_network(p.home_network_id):
        raise ServiceError(403, f"the referral's collaborative {p.home_network_id!r} is not "
                                "one of yours (give home_network_id)")
    return found


def _one_of(patient_id: str | None, referral: Any) -> None:
    if (patient_id is None) == (referral is None):
        raise invalid("give exactly one of patient_id or referral")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# ---------------------------------------------------------------- session


@router.get("/health", tags=["service"])
def health(request: Request) -> dict[str, Any]:
    """Liveness: no authentication, no data."""
    return {"status": "ok"}


@router.post("/token", tags=["auth"], max_body_size=FORM_LIMIT)
def token(body: TokenRequest, request: Request) -> dict[str, Any]:
    """Exchange username and password for a bearer token (12 h).

    Failed logins are throttled per account and per client address: 429 with Retry-After.
    """
    st = state_of(request)
    address = client_address(request)
    wait = st.throttle.wait_seconds(body.username, address)
    if wait is not None:
        raise too_many(f"too many failed logins: try again in {wait} s", wait)
    with st.factory() as s:
        row = authenticate(s, body.username, body.password)
        if row is None:
            st.throttle.failed(body.username, address, "api token")
            raise ServiceError(401, "wrong username or password")
        uid, role = row.id, row.role
    st.throttle.succeeded(body.username)
    log.info("token issued to user %d", uid)
    return {"access_token": st.signer.api_token(uid), "token_type": "bearer", "role": role}


@router.get("/me", tags=["auth"])
def me(user: CurrentUser) -> dict[str, Any]:
    return {"username": user.username, "role": user.role, "networks": sorted(user.networks)}


# ---------------------------------------------------------------- census


@router.get("/census", tags=["census"])
def census(request: Request, user: CurrentUser,
           network: str | None = None, service: str | None = None,
           status: str | None = Query(default=None, pattern="^(inpatient|referral)$"),
           patients: bool = True) -> dict[str, Any]:
    """Units with open, occupied and free beds; the patients you may see."""
    version, inst = state_of(request).cache.get()
    occ = inst.occupancy()
    names = network_names(inst)
    units = [unit_dict(u, occ.get(u.unit_id, 0), names.get(u.network_id, "")) for u in inst.units
             if (network is None or u.network_id == network)
             and (service is None or u.service == service)]
    out: dict[str, Any] = {"census_version": version, "units": units,
                           "networks": [{"network_id": n.network_id, "name": n.name}
                                        for n in inst.networks]}
    if patients:
        out["patients"] = [patient_dict(p) for p in inst.patients
                           if user.can_see_network(p.home_network_id)
                           and (network is None or p.home_network_id == network)
                           and (service is None or p.service == service)
                           and (status is None or p.status == status)]
    return out


@router.get("/census/units/{unit_id}", tags=["census"])
def census_unit(unit_id: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    """One unit and the patients in it that you may see."""
    version, inst = state_of(request).cache.get()
    j = inst.unit_index().get(unit_id)
    if j is None:
        raise not_found(f"no unit {unit_id!r}")
    u = inst.units[j]
    inside = [p for p in inst.patients if p.status == "inpatient" and p.current_unit_id == unit_id]
    shown = [patient_dict(p) for p in inside if user.can_see_network(p.home_network_id)]
    unit = unit_dict(u, len(inside), network_names(inst).get(u.network_id, ""))
    return {"census_version": version, "unit": unit, "patients": shown,
            "hidden_patients": len(inside) - len(shown)}


@router.get("/patients/{patient_id}", tags=["census"])
def patient(patient_id: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    _version, inst = state_of(request).cache.get()
    return patient_dict(visible(inst, user, patient_id))


@router.post("/units/{unit_id}/beds", tags=["census"])
def unit_beds(unit_id: str, body: UnitBedsRequest, request: Request,
              user: CurrentUser) -> dict[str, Any]:
    """Open or close beds of a unit (bed managers of its collaborative, admins)."""
    user.require("bed_manager", "admin")
    st = state_of(request)
    from .decisions import occupied

    with writing(st.factory) as s:
        row = s.get(UnitRow, unit_id, with_for_update=True)
        if row is None:
            raise not_found(f"no unit {unit_id!r}")
        if not user.can_see_network(row.network_id):
            raise ServiceError(403, f"{unit_id} belongs to another collaborative")
        if body.beds_closed > row.beds:
            raise invalid(f"beds_closed {body.beds_closed} > beds {row.beds}")
        n = occupied(s, unit_id)
        if row.beds - body.beds_closed < n:
            raise conflict(f"{unit_id} has {n} patients: at most {row.beds - n} beds can be "
                           "closed")
        before = row.beds_closed
        row.beds_closed = body.beds_closed
        version = bump_version(s)
        event = audit.append(s, user, "unit_beds", unit_id=unit_id, reason=body.reason,
                             details={"beds_closed": {"before": before,
                                                      "after": body.beds_closed},
                                      "census_version": version})
    return {"unit_id": unit_id, "beds_closed": body.beds_closed, "audit_id": event,
            "census_version": version}


# ---------------------------------------------------------------- suggestions


def _enrich(inst: Instance, p: Patient, data: dict[str, Any]) -> dict[str, Any]:
    occ = inst.occupancy()
    index = inst.unit_index()
    names = network_names(inst)
    ids = [o["unit_id"] for o in data["options"]] + [r["unit_id"] for r in data["rejected"]]
    for m in (m for o in data["options"] for m in o["moves"]):
        ids += [m["from"], m["to"]]
    units = {uid: unit_dict(u, occ.get(uid, 0), names.get(u.network_id, ""))
             for uid in dict.fromkeys(ids) if uid in index
             for u in (inst.units[index[uid]],)}
    return {"patient": patient_dict(p, home=True), "units": units}


@router.post("/suggestions", tags=["decisions"])
def suggestions(body: SuggestRequest, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Ranked units for a referral (or an inpatient), with why each nearer unit is not one.

    The same function as ``bedplan suggest``, every ward rule and reason included; tonight
    is today, so a ward that has admitted ``max_admissions_per_unit`` patients today (the
    service records an accepted admission as ``admitted_on`` today) is listed with that
    reason. The answer is recorded in the audit log and its ``suggestion_id`` can be quoted
    when accepting.
    """
    from optimiser.planning.suggest import suggest

    _one_of(body.patient_id, body.referral)
    st = state_of(request)
    version, inst = st.cache.get()
    notes: tuple[str, ...] = ()
    if body.referral is not None:
        found = inline_referral(inst, user, body.referral)
        who, notes = found.patient, found.notes
    else:
        who = visible(inst, user, str(body.patient_id))
    result = suggest(inst, who, top=body.top, allow_moves=body.allow_moves,
                     distances=st.distances.matrix_for(inst), tonight=dt.date.today(),
                     notes=notes)
    data = result.to_json_dict()
    seen = state_of_patient(who)
    details: dict[str, Any] = {
        "suggestion": data, "census_version": version, "allow_moves": body.allow_moves,
        "inline_referral": body.referral is not None,
        "patient_state": {"status": seen.status, "current_unit_id": seen.unit_id}}
    if body.referral is not None:
        details["patient_state"] = {"status": NEW, "current_unit_id": None}
        details["referral_digest"] = referral_digest(body.referral)
    with writing(st.factory) as s:
        sid = audit.append(s, user, "suggest", patient_id=who.patient_id, details=details)
    return {**data, "suggestion_id": sid, "census_version": version,
            "notes": list(result.notes), **_enrich(inst, who, data)}


@router.post("/accept", tags=["decisions"])
def accept_route(body: AcceptRequest, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Admit the referral (or, with ``action: move``, move the inpatient) to ``unit_id``,
    after ``moves``.

    The request states what it expects (``action``, ``from``, or the quoted suggestion's
    view of the patient); a new referral needs its ``suggestion_id`` and is admitted under
    the id that suggestion gave it. Transactional: 409 when the patient was placed or moved
    meanwhile, the suggestion was accepted already, or the bed was taken (nothing changes).
    """
    user.require("bed_manager", "admin")
    _one_of(body.patient_id, body.referral)
    st = state_of(request)
    referral = None
    if body.referral is not None:
        if body.suggestion_id is None:
            raise invalid("accepting a new referral needs the suggestion_id of its suggestion")
        if body.action != "admit" or body.from_ is not None:
            raise invalid("a new referral is admitted (action \"admit\", no from)")
        _v, inst = st.cache.get()
        referral = inline_referral(inst, user, body.referral).patient
    moves = tuple(MoveRequest(m.patient_id, m.from_, m.to) for m in body.moves)
    with writing(st.factory) as s:
        suggested, expect = None, _stated(body)
        if body.patient_id is not None:  # 404 before anything else says a word about them
            visible_patient(s, user, body.patient_id)
        if body.suggestion_id is not None:
            suggested, seen, suggested_for = _quoted(s, body)
            if referral is not None:  # admitted under the id its suggestion gave it
                referral = replace(referral, patient_id=suggested_for)
            else:
                expect = _agree(body, expect, seen)
        if expect.status == "inpatient" and expect.unit_id is None:
            raise invalid("a move needs from (the ward the patient is in as you saw it) or "
                          "the suggestion_id of its suggestion")
        decision = accept(s, user, patient_id=body.patient_id, unit_id=body.unit_id,
                          expect=expect, moves=moves, reason=body.reason, referral=referral,
                          suggested=suggested, suggestion_id=body.suggestion_id)
    # committed: bring this process's census up to date without reloading it all
    st.cache.advance(decision.census_version - 1, decision.census_version, decision.changed,
                     decision.added)
    return {"action": decision.action, "patient_id": decision.patient_id,
            "unit_id": decision.unit_id,
            "moves": [{"patient_id": m.patient_id, "from": m.from_unit, "to": m.to_unit}
                      for m in decision.moves],
            "audit_id": decision.audit_id, "census_version": decision.census_version}


def _stated(body: AcceptRequest) -> Expectation:
    """What the request itself says it expects."""
    if body.referral is not None:
        return Expectation(NEW)
    if body.action == "move":
        return Expectation("inpatient", body.from_)
    if body.from_ is not None:
        raise invalid("from is for action \"move\"")
    return Expectation("referral")


def _quoted(s: Any, body: AcceptRequest) -> tuple[dict[str, Any] | None, Expectation | None,
                                                  str]:
    """The quoted suggestion, its view of the patient (None when it was recorded before
    views were kept) and the patient id it was made for (for an inline referral: the id it
    gave the referral). 422, the same whether or not the event exists, when it is not a
    suggestion for this patient or referral."""
    sid = body.suggestion_id
    assert sid is not None
    ev = audit.find(s, sid)
    who = body.patient_id or "this referral"
    wrong = invalid(f"suggestion {sid} is not a suggestion for {who}")
    if ev is None or ev["action"] != "suggest":
        raise wrong
    d = ev["details"]
    if body.referral is not None:
        if not d.get("inline_referral") or d.get("referral_digest") != referral_digest(
                body.referral):
            raise wrong
        return d.get("suggestion"), Expectation(NEW), str(ev["patient_id"])
    if d.get("inline_referral") or ev["patient_id"] != body.patient_id:
        raise wrong
    state = d.get("patient_state")
    seen = None if state is None else Expectation(state["status"], state["current_unit_id"])
    return d.get("suggestion"), seen, str(ev["patient_id"])


def _agree(body: AcceptRequest, stated: Expectation, seen: Expectation | None) -> Expectation:
    """The request's expectation, completed and checked by its suggestion's view."""
    if seen is None:  # an old suggestion without the patient's state: the request alone
        return stated
    if stated.status == "inpatient" and stated.unit_id is None:
        stated = Expectation("inpatient", seen.unit_id if seen.status == "inpatient" else None)
    if stated != seen:
        raise conflict(f"suggestion {body.suggestion_id} was made for {body.patient_id} as "
                       f"{seen.describe()}, but this request expects {stated.describe()}: "
                       "ask for new suggestions")
    return stated


# ---------------------------------------------------------------- jobs


@router.post("/jobs", status_code=202, tags=["jobs"])
def submit_job(body: JobRequest, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Run a reallocation, a scenario or a plan over several nights in the background; poll
    ``GET /api/jobs/{id}``.

    A planner whose account names collaboratives runs jobs on those only; a plan for all of
    England needs an admin. A plan's ``start`` and ``nights`` default to the census policy's
    ``[plan]`` (else today and 28); bad values, and dates the plan cannot start from (an
    ``expected_discharge`` on or before ``start``), are 422 at once.
    """
    check_scope(user, body.kind, body.network)
    st = state_of(request)
    _v, inst = st.cache.get()
    if not inst.units:
        raise conflict("the census is empty: import an instance first")
    if body.kind == "scenario":
        from models.changes import apply_changes, parse_changes

        if not body.changes or not body.changes.strip():
            raise invalid("a scenario needs changes (CHANGES.toml text)")
        apply_changes(inst, parse_changes(body.changes, "changes"))  # InputError → 422 now
    elif body.changes:
        raise invalid("changes are for kind=scenario only")
    if body.kind != "plan" and (body.start is not None or body.nights is not None):
        raise invalid("start and nights are for kind=plan only")
    if body.network is not None and body.network not in {u.network_id for u in inst.units}:
        raise invalid(f"no unit belongs to network {body.network!r}")
    if any(getattr(body, k) is not None for k in ("max_moves", "time_limit", "gap")):
        from models.io import apply_overrides

        apply_overrides(inst.policy, max_moves=body.max_moves, time_limit=body.time_limit,
                        gap=body.gap)
    params = body.model_dump(mode="json", exclude_none=True)
    if body.kind == "plan":
        params.update(_plan_horizon(inst, body))
    return st.jobs.submit(user, body.kind, params)


def _plan_horizon(inst: Instance, body: JobRequest) -> dict[str, Any]:
    """The plan's start and nights (``bedplan plan``'s order: given, else the policy's
    ``[plan]``, else today and 28), checked against the census now."""
    from .planjob import check_plan

    start = body.start or inst.policy.plan.start or dt.date.today()
    nights = body.nights if body.nights is not None else inst.policy.plan.nights
    if not 1 <= nights <= MAX_NIGHTS:
        raise invalid(f"the census policy's [plan] nights = {nights} is outside 1-"
                      f"{MAX_NIGHTS}: give nights")
    check_plan(inst, body.network, start, nights)  # InputError → 422 naming the patients
    return {"start": start.isoformat(), "nights": nights}


def _job_for(request: Request, user: User, job_id: str) -> dict[str, Any]:
    """The job if ``user`` may see it; 404 otherwise, as for an id nobody has."""
    user.require("planner", "admin")
    job = state_of(request).jobs.get(job_id)
    if job is None or not may_see(user, job):
        raise not_found(f"no job {job_id!r}")
    return job


@router.get("/jobs", tags=["jobs"])
def list_jobs(request: Request, user: CurrentUser) -> dict[str, Any]:
    """The latest jobs you may see, newest first."""
    user.require("planner", "admin")
    return {"jobs": state_of(request).jobs.recent(user)}


@router.get("/jobs/{job_id}", tags=["jobs"])
def get_job(job_id: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    """Status (queued, running, done, failed), progress and, when done, the result."""
    return _job_for(request, user, job_id)


@router.get("/jobs/{job_id}/files/{name}", tags=["jobs"])
def job_file_route(job_id: str, name: str, request: Request, user: CurrentUser) -> Response:
    """One output file of a finished job, as the command line writes it (a plan:
    plan.csv, nights.csv, schedule.csv, summary.json)."""
    job = _job_for(request, user, job_id)
    path = job_file(state_of(request).settings.data_dir, job, name)
    if path is None:
        kinds = ", ".join(JOB_FILES.get(job["kind"], ()))
        raise not_found(f"no file {name!r} of this job (when done: {kinds})")
    media = "text/csv" if name.endswith(".csv") else "application/json"
    return FileResponse(path, media_type=media, filename=f"{job['kind']}-{name}")


# ---------------------------------------------------------------- import / export / audit


def _save_uploads(files: Sequence[UploadFile], directory: Path) -> Path:
    """Write the uploaded files into ``directory``; return what read_instance should read."""
    names = []
    for f in files:
        name = Path(f.filename or "").name.lower()
        if name.endswith((".xlsx", ".xlsm")):
            name = "instance" + name[-5:]
        elif name not in IMPORT_NAMES:
            raise invalid(f"unexpected file {f.filename!r}: send units.csv, patients.csv "
                          "and optionally networks.csv and policy.toml, or one .xlsx")
        with (directory / name).open("wb") as out:  # the guard capped the request's size
            while chunk := f.file.read(2**20):
                out.write(chunk)
        names.append(name)
    books = [n for n in names if n.startswith("instance.")]
    if books:
        return directory / books[0]
    if "units.csv" not in names or "patients.csv" not in names:
        raise invalid("an instance needs units.csv and patients.csv")
    return directory


@router.post("/import", tags=["census"], max_body_size=IMPORT_LIMIT)
def import_instance(request: Request, user: CurrentUser,
                    files: Annotated[list[UploadFile], File()]) -> dict[str, Any]:
    """Replace the census with an uploaded instance (admins; the whole import is audited)."""
    from models.io import read_instance
    from optimiser.geography.network import check_reachable_stays

    user.require("admin")
    st = state_of(request)
    with tempfile.TemporaryDirectory(prefix="bedplan-import-") as tmp:
        path = _save_uploads(files, Path(tmp))
        instance = read_instance(path)  # InputError → 422 listing every problem
        check_reachable_stays(instance)  # the rule that needs the travel network
    with writing(st.factory) as s:
        version = store_instance(s, instance)
        event = audit.append(s, user, "import", details={
            "units": len(instance.units), "patients": len(instance.patients),
            "networks": len(instance.networks), "census_version": version})
        warnings = unknown_networks(s)
    for line in warnings:
        log.warning("%s", line)
    return {"units": len(instance.units), "patients": len(instance.patients),
            "census_version": version, "audit_id": event, "warnings": warnings}


@router.get("/export", tags=["census"])
def export_instance(request: Request, user: CurrentUser) -> Response:
    """The census as an instance directory (zip of units.csv, patients.csv, ...)."""
    from models.io import write_instance

    user.require("planner", "admin")
    st = state_of(request)
    with reading(st.factory) as s:
        from .census import load_instance

        instance = load_instance(s)
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="bedplan-export-") as tmp:
        write_instance(instance, tmp)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(Path(tmp).rglob("*")):
                if f.is_file():
                    z.write(f, f.relative_to(tmp).as_posix())
    return Response(buf.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="census.zip"'})


@router.get("/audit", tags=["audit"])
def audit_log(request: Request, user: CurrentUser,
              format: str = Query(default="json", pattern="^(json|csv)$"),
              patient_id: str | None = None, action: str | None = None,
              since_id: int = Query(default=0, ge=0, le=MAX_ID),
              limit: int | None = Query(default=None, ge=1, le=MAX_ID)) -> Response:
    """Every event in order (admins). ``format=csv`` for a spreadsheet."""
    user.require("admin")
    with reading(state_of(request).factory) as s:
        rows = audit.events(s, patient_id=patient_id, action=action, since_id=since_id,
                            limit=limit)
    if format == "csv":
        return Response(audit.to_csv(rows), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
    return JSONResponse({"events": rows})
