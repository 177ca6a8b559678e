"""The FastAPI application factory: storage, auth, error handling, routers.

``create_app(Settings(...))`` upgrades the database schema, imports an instance into an empty
census when one is given, and mounts the API (``/api``), the page and the OpenAPI docs
(``/docs``). Every failure becomes a JSON answer without internals: 4xx with a clear message
for bad requests, a generic 500 (the traceback goes to the server log only) otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.errors import InputError

from .auth import AuthError, Signer, load_secret
from .census import CensusCache, census_version, store_instance, unknown_networks
from .db import make_engine, private_dir, reading, session_factory, upgrade, writing
from .distances import DistanceCache
from .errors import ServiceError
from .guard import TOO_LARGE, Guard, content_security_policy
from .jobs import JobRunner
from .state import Settings, State
from .throttle import LoginThrottle

__all__ = ["Settings", "create_app"]
log = logging.getLogger(__name__)
HERE = Path(__file__).parent


def _json(status: int, detail: str, headers: dict[str, str] | None = None,
          **more: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **more}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, str]]]:
    errors = []
    for e in exc.errors():
        loc = tuple(e.get("loc", ()))
        if e.get("type") == "json_invalid":  # loc is ("body", character offset)
            where = "body"
            message = f"not valid JSON (at character {loc[-1]})" if len(loc) > 1 \
                else "not valid JSON"
        else:
            where = ".".join(str(x) for x in loc if x != "body") or "body"
            message = str(e.get("msg", "invalid"))
        errors.append({"where": where, "message": message})
    text = "; ".join(f"{e['where']}: {e['message']}" for e in errors[:10])
    return f"invalid request: {text}", errors


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_r: Request, exc: ServiceError) -> Response:
        return _json(exc.status, exc.message, headers=exc.headers)

    @app.exception_handler(AuthError)
    async def _auth(_r: Request, exc: AuthError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)

    @app.exception_handler(InputError)
    async def _input(_r: Request, exc: InputError) -> Response:
        return _json(422, str(exc).replace("\n", "; "),
                     problems=[str(p) for p in exc.problems])

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, exc: RequestValidationError) -> Response:
        message, errors = _validation_message(exc)
        return _json(422, message, errors=errors)

    @app.exception_handler(IntegrityError)
    async def _integrity(_r: Request, _exc: IntegrityError) -> Response:
        return _json(409, "conflicting change (someone else changed the same record); "
                          "reload and try again")

    @app.exception_handler(OperationalError)
    async def _busy(_r: Request, exc: OperationalError) -> Response:
        log.warning("database error: %s", type(exc.orig).__name__)
        return _json(503, "the database is busy; try again")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_r: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 413:  # the routers' max_body_size, counting a body as it comes
            return _json(413, TOO_LARGE, headers={"Connection": "close"})
        return _json(exc.status_code, str(exc.detail))


def _warm_up(cache: CensusCache, distances: DistanceCache) -> None:
    """Load the census, the travel network and the km matrix once, so the first suggestion
    is fast."""
    try:
        _version, instance = cache.get()
        if instance.patients and instance.units:
            from optimiser.planning.suggest import patient_distances

            patient_distances(instance, instance.patients[:1])
            distances.matrix_for(instance, wait=True)
    except Exception:
        log.warning("warm-up failed", exc_info=True)


def create_app(settings: Settings) -> FastAPI:
    """Build the app: schema at head, census imported if empty, routes mounted."""
    from models.io import read_instance

    private_dir(settings.data_dir)
    engine = make_engine(settings.url)
    upgrade(engine)
    factory = session_factory(engine)
    if settings.instance is not None:
        with reading(factory) as s:
            empty = census_version(s) == 0
        if not empty:
            log.warning("the census already holds data: %s was not imported (replace it "
                        "with POST /api/import)", settings.instance)
        else:
            instance = read_instance(settings.instance)
            from optimiser.geography.network import check_reachable_stays

            check_reachable_stays(instance)
            from . import audit

            with writing(factory) as s:
                store_instance(s, instance)
                audit.append(s, None, "import", details={
                    "source": "start-up", "units": len(instance.units),
                    "patients": len(instance.patients)})
            log.info("imported %d units and %d patients", len(instance.units),
                     len(instance.patients))
            with reading(factory) as s:
                for line in unknown_networks(s):
                    log.warning("%s (create it again with a known --network)", line)
    _log_audit_head(factory)
    cache = CensusCache(factory)
    distances = DistanceCache()
    jobs = JobRunner(factory, cache, settings.data_dir, distances,
                     isolate_plans=settings.isolate_plans)
    jobs.recover()
    secret = settings.secret or load_secret(settings.data_dir)
    signer = Signer(secret)
    throttle = LoginThrottle(settings.login_failures_per_account,
                             settings.login_failures_per_address, settings.login_window,
                             key=secret)
    state = State(settings, engine, factory, cache, signer, jobs, throttle, distances)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_up:
            threading.Thread(target=_warm_up, args=(cache, state.distances),
                             daemon=True).start()
        yield
        jobs.shutdown()
        engine.dispose()

    app = FastAPI(title="bedplan", version=_version(),
                  description="Place people in specialised mental-health beds close to home: "
                              "census, suggestions, accepts (audited), reallocation, "
                              "scenario and multi-night plan jobs.", lifespan=lifespan,
                  docs_url=None)
    app.state.bedplan = state
    _install_errors(app)
    _install_docs(app, settings)
    from .api import router as api_router
    from .pages import router as page_router

    app.include_router(api_router)
    app.include_router(page_router)
    # Leaflet is vendored once, with the report's map (optimiser/report/data/leaflet)
    leaflet = resources.files("optimiser.report") / "data" / "leaflet"
    app.mount("/static/leaflet", StaticFiles(directory=str(leaflet)), name="leaflet")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(Guard, csp=content_security_policy(settings.map_tiles))
    return app


def _log_audit_head(factory: Any) -> None:
    """Write the audit chain's head to the server log: a record outside the database that
    ``bedplan audit verify --head ID:HASH`` can later check the chain against."""
    from .chain import head

    with reading(factory) as s:
        last_id, last_hash = head(s)
    log.info("audit chain head: event %s, sha256 %s", last_id, last_hash)


def _install_docs(app: FastAPI, settings: Settings) -> None:
    """``/docs``: Swagger UI served from the files of the swagger-ui-py package (a dependency
    of the service), never from a CDN. Its one inline script is allowed by its hash."""
    import importlib.util

    from fastapi.openapi.docs import get_swagger_ui_html

    spec = importlib.util.find_spec("swagger_ui")
    static = None
    if spec is not None and spec.submodule_search_locations:
        static = Path(next(iter(spec.submodule_search_locations))) / "static"
    if static is None or not (static / "swagger-ui-bundle.js").exists():
        log.warning("swagger-ui-py is not installed: /docs is off (/openapi.json works)")
        return
    app.mount("/docs-static", StaticFiles(directory=static), name="docs-static")
    page = get_swagger_ui_html(openapi_url="/openapi.json", title="bedplan API",
                               swagger_js_url="/docs-static/swagger-ui-bundle.js",
                               swagger_css_url="/docs-static/swagger-ui.css",
                               swagger_favicon_url="/docs-static/favicon-32x32.png")
    html = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in re.findall(r"<script>(.*?)</script>", html, flags=re.S))
    csp = content_security_policy(settings.map_tiles, script=f"'self' {hashes}")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return Response(html, media_type="text/html",
                        headers={"Content-Security-Policy": csp})


def _version() -> str:
    from bedplan import __version__

    return str(__version__)
