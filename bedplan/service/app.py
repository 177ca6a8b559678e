"""The FastAPI application factory: storage, auth, error handling, routers.

``create_app(Settings(...))`` upgrades the database schema, imports an instance into an empty
census when one is given, and mounts the API (``/api``), the page and the OpenAPI docs
(``/docs``). Every failure becomes a JSON answer without internals: 4xx with a clear message
for bad requests, a generic 500 (the traceback goes to the server log only) otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.errors import InputError

from .auth import AuthError, Signer, load_secret
from .census import CensusCache, census_version, store_instance
from .db import make_engine, reading, session_factory, upgrade, writing
from .errors import ServiceError
from .jobs import JobRunner

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
#: Sent with every answer: no sniffing, no framing by other sites, no referrer leaks.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "same-origin"}


@dataclass(frozen=True)
class Settings:
    """What ``bedplan serve`` passes in."""

    data_dir: Path
    db_url: str | None = None  # default: sqlite file DATA_DIR/bedplan.db
    instance: Path | None = None  # imported at start when the census is empty
    secret: str | None = None  # default: DATA_DIR/secret_key
    secure_cookies: bool = False  # True behind HTTPS
    warm_up: bool = True  # load the road network at start (first suggestion fast)

    @property
    def url(self) -> str:
        return self.db_url or f"sqlite:///{(self.data_dir / 'bedplan.db').resolve()}"


@dataclass
class State:
    """Everything the routes share (one per app)."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    cache: CensusCache
    signer: Signer
    jobs: JobRunner
    extra: dict[str, Any] = field(default_factory=dict)


def state_of(request: Request) -> State:
    st: State = request.app.state.bedplan
    return st


def _json(status: int, detail: str, **more: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **more}, status_code=status)


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
        return _json(exc.status, exc.message)

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
        return _json(exc.status_code, str(exc.detail))

    @app.middleware("http")
    async def _last_resort(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        try:
            response = await call_next(request)
        except Exception:  # the boundary: logged here, never shown
            log.exception("unexpected error serving %s %s", request.method,
                          request.url.path)
            response = _json(500, "internal error; it has been logged")
        response.headers.update(SECURITY_HEADERS)
        return response


def _warm_up(cache: CensusCache) -> None:
    """Load the census and the travel network once, so the first suggestion is fast."""
    try:
        _version, instance = cache.get()
        if instance.patients and instance.units:
            from optimiser.planning.suggest import patient_distances

            patient_distances(instance, instance.patients[:1])
    except Exception:
        log.warning("warm-up failed", exc_info=True)


def create_app(settings: Settings) -> FastAPI:
    """Build the app: schema at head, census imported if empty, routes mounted."""
    from models.io import read_instance

    settings.data_dir.mkdir(parents=True, exist_ok=True)
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
    cache = CensusCache(factory)
    jobs = JobRunner(factory, cache, settings.data_dir)
    jobs.recover()
    signer = Signer(settings.secret or load_secret(settings.data_dir))
    state = State(settings, engine, factory, cache, signer, jobs)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_up:
            threading.Thread(target=_warm_up, args=(cache,), daemon=True).start()
        yield
        jobs.shutdown()
        engine.dispose()

    app = FastAPI(title="bedplan", version=_version(),
                  description="Place people in specialised mental-health beds close to home: "
                              "census, suggestions, accepts (audited), reallocation and "
                              "scenario jobs.", lifespan=lifespan, docs_url=None)
    app.state.bedplan = state
    _install_errors(app)
    _install_docs(app)
    from .api import router as api_router
    from .pages import router as page_router

    app.include_router(api_router)
    app.include_router(page_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


def _install_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI served from the files of the swagger-ui-py package when it is
    installed (the machine may be offline), else from FastAPI's default CDN."""
    import importlib.util

    from fastapi.openapi.docs import get_swagger_ui_html

    kwargs: dict[str, Any] = {}
    spec = importlib.util.find_spec("swagger_ui")
    static = None
    if spec is not None and spec.submodule_search_locations:
        static = Path(next(iter(spec.submodule_search_locations))) / "static"
    if static is not None and (static / "swagger-ui-bundle.js").exists():
        app.mount("/docs-static", StaticFiles(directory=static), name="docs-static")
        kwargs = {"swagger_js_url": "/docs-static/swagger-ui-bundle.js",
                  "swagger_css_url": "/docs-static/swagger-ui.css",
                  "swagger_favicon_url": "/docs-static/favicon-32x32.png"}

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="bedplan API",
                                   **kwargs)


def _version() -> str:
    from bedplan import __version__

    return str(__version__)
