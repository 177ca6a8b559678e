"""The page: server-rendered Jinja2 templates and a little vanilla JavaScript (no build step).

The page calls the same JSON API as any client, with the session cookie and the CSRF token
of the ``<meta name="csrf-token">`` tag. Login and logout are plain form posts (CSRF-checked;
failed logins throttled like ``POST /api/token``). Every script, style sheet and the map
library are files of the service (``/static``): no inline script, no CDN, so the page runs
under the strict Content-Security-Policy of :mod:`bedplan.service.guard`. Jinja2 escapes
every value; the scripts set text with ``textContent`` only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from .auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS, User, authenticate, same_token
from .deps import optional_user
from .guard import FORM_LIMIT
from .state import state_of
from .views import network_names, patient_dict, unit_dict

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, max_body_size=FORM_LIMIT)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

EXAMPLE_CHANGES = """# Two more beds in a full unit (edit, then run)
[[set]]
unit_id = "UNIT_ID"
beds = 20
"""


def _page(request: Request, name: str, user: User | None, status_code: int = 200,
          headers: dict[str, str] | None = None, **context: Any) -> Response:
    tiles = state_of(request).settings.map_tiles or ""
    return templates.TemplateResponse(request, name, {"user": user, "tiles": tiles, **context},
                                      status_code=status_code, headers=headers)


def _login_redirect(request: Request) -> Response:
    target = request.url.path
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/", error: str = "") -> Response:
    st = state_of(request)
    token = st.signer.login_csrf()
    response = _page(request, "login.html", None, csrf=token, next=_safe_next(next),
                     error=error)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True,
                        samesite="lax", secure=st.settings.secure_cookies)
    return response


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=1024)],
          csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    st = state_of(request)
    if not st.signer.check_login_csrf(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return RedirectResponse("/login?error=expired", status_code=303)
    address = request.client.host if request.client else "unknown"
    wait = st.throttle.wait_seconds(username, address)
    if wait is not None:
        token = st.signer.login_csrf()
        response = _page(request, "login.html", None, status_code=429,
                         headers={"Retry-After": str(wait)}, csrf=token,
                         next=_safe_next(next), error="throttled", wait_minutes=-(-wait // 60))
        response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True,
                            samesite="lax", secure=st.settings.secure_cookies)
        return response
    with st.factory() as s:
        row = authenticate(s, username, password)
        uid = row.id if row is not None else None
    if uid is None:
        st.throttle.failed(username, address, "login form")
        return RedirectResponse(f"/login?error=wrong&next={quote(_safe_next(next))}",
                                status_code=303)
    st.throttle.succeeded(username)
    cookie, _csrf = st.signer.session_cookie(uid)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, httponly=True,
                        samesite="lax", secure=st.settings.secure_cookies)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    log.info("user %d logged in", uid)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    user = optional_user(request)
    response = RedirectResponse("/login", status_code=303)
    if user is not None and user.via_cookie and same_token(user.csrf, csrf_token):
        response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    user = optional_user(request)
    if user is None:
        return _login_redirect(request)
    if user.role == "planner":
        return RedirectResponse("/planner", status_code=303)
    _version, inst = state_of(request).cache.get()
    referrals = [p for p in inst.patients
                 if p.status == "referral" and user.can_see_network(p.home_network_id)]
    networks = sorted({n.network_id for n in inst.networks} | {u.network_id for u in inst.units})
    return _page(request, "suggest.html", user, referrals=referrals[:2000],
                 networks=[n for n in networks if user.can_see_network(n)],
                 services=sorted({u.service for u in inst.units}),
                 levels=sorted({u.level for u in inst.units}))


@router.get("/census", response_class=HTMLResponse)
def census_page(request: Request, network: str = "", service: str = "") -> Response:
    user = optional_user(request)
    if user is None:
        return _login_redirect(request)
    version, inst = state_of(request).cache.get()
    occ = inst.occupancy()
    names = network_names(inst)
    units = [unit_dict(u, occ.get(u.unit_id, 0), names.get(u.network_id, "")) for u in inst.units
             if (not network or u.network_id == network) and (not service or u.service == service)]
    totals = {k: sum(u[k] for u in units) for k in ("open_beds", "occupied", "free")}
    return _page(request, "census.html", user, units=units, totals=totals, version=version,
                 networks=sorted({u.network_id for u in inst.units}),
                 services=sorted({u.service for u in inst.units}), network=network,
                 service=service)


@router.get("/census/{unit_id}", response_class=HTMLResponse)
def unit_page(request: Request, unit_id: str) -> Response:
    user = optional_user(request)
    if user is None:
        return _login_redirect(request)
    _version, inst = state_of(request).cache.get()
    j = inst.unit_index().get(unit_id)
    if j is None:
        return _page(request, "message.html", user, title="Unknown unit",
                     message=f"There is no unit {unit_id}.")
    inside = [p for p in inst.patients if p.status == "inpatient" and p.current_unit_id == unit_id]
    shown = [patient_dict(p) for p in inside if user.can_see_network(p.home_network_id)]
    u = inst.units[j]
    unit = unit_dict(u, len(inside), network_names(inst).get(u.network_id, ""))
    return _page(request, "unit.html", user, unit=unit,
                 patients=shown, hidden=len(inside) - len(shown))


@router.get("/planner", response_class=HTMLResponse)
def planner_page(request: Request) -> Response:
    user = optional_user(request)
    if user is None:
        return _login_redirect(request)
    if user.role not in ("planner", "admin"):
        return _page(request, "message.html", user, title="Planners only",
                     message="Plans and scenarios are run by planners and admins.")
    import datetime as dt

    from .schemas import FIRST_START, LAST_START, MAX_NIGHTS

    _version, inst = state_of(request).cache.get()
    # the collaboratives this account may run jobs on (bedplan.service.jobs.check_scope)
    networks = sorted({u.network_id for u in inst.units})
    if user.role != "admin" and user.networks:
        networks = [n for n in networks if n in user.networks]
    occ = inst.occupancy()
    mine = [u for u in inst.units if u.network_id in networks] or list(inst.units)
    full = [u for u in mine if occ.get(u.unit_id, 0) >= u.open_beds] or mine
    example = (EXAMPLE_CHANGES.replace("UNIT_ID", full[0].unit_id)
               .replace("beds = 20", f"beds = {full[0].beds + 2}") if full else "")
    plan = inst.policy.plan
    return _page(request, "planner.html", user, example=example, networks=networks,
                 plan_networks=networks, may_plan_all=user.role == "admin" or not user.networks,
                 plan_start=(plan.start or dt.date.today()).isoformat(),
                 plan_nights=min(max(plan.nights, 1), MAX_NIGHTS), max_nights=MAX_NIGHTS,
                 first_start=FIRST_START.isoformat(), last_start=LAST_START.isoformat())


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    user = optional_user(request)
    if user is None:
        return _login_redirect(request)
    if user.role != "admin":
        return _page(request, "message.html", user, title="Admins only",
                     message="The audit log is for admins.")
    from sqlalchemy import select

    from . import audit
    from .tables import AuditRow

    with state_of(request).factory() as s:
        rows = [audit.event_dict(r) for r in s.scalars(
            select(AuditRow).order_by(AuditRow.id.desc()).limit(100))]
    return _page(request, "audit.html", user, events=rows)
