"""The outer boundary of every request, before any route reads a byte of the body.

In this order:

1. **Authentication first.** Every ``/api/...`` route except ``/api/health`` and
   ``/api/token`` needs a user: the bearer token or session cookie (and, for a cookie request
   that changes something, its CSRF token) is checked from the headers alone, and a request
   without them is answered 401 (403) with its body unread.
2. **A size limit, enforced before the body is read.** ``POST /api/import`` is for admins
   only (403 here, body unread); a declared ``Content-Length`` over the limit is answered 413
   at once. A body without one (chunked) is counted as it arrives by FastAPI's own
   ``max_body_size`` (set to the same limits on the routers and routes, inside this guard)
   and refused at the limit. Limits: :data:`IMPORT_LIMIT` for imports, :data:`API_LIMIT`
   for every other API request (JSON), :data:`FORM_LIMIT` for everything else (the login
   form, the token request).
3. **Headers on every answer**: a strict Content-Security-Policy (scripts, styles and fonts
   from the service itself only, images also from the map tile server, no framing) and the
   other security headers; a route may set its own policy (``/docs``).
4. **The last resort**: anything unexpected is logged with its traceback and answered with a
   generic JSON 500.

A pure ASGI middleware (not ``BaseHTTPMiddleware``) so that it sees the raw ``receive``.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import AuthError
from .deps import LOG_IN_FIRST, SCOPE_USER, check_csrf, user_from

log = logging.getLogger(__name__)

MIB = 2**20
API_LIMIT = 1 * MIB
IMPORT_LIMIT = 64 * MIB
FORM_LIMIT = 16 * 1024
PUBLIC_API = frozenset({"/api/health", "/api/token"})
IMPORT_PATH = "/api/import"
#: Sent with every answer (unless the route set its own): no sniffing, no framing, no
#: referrer leaks.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "same-origin"}


def tile_origin(template: str | None) -> str | None:
    """The origin of a tile URL template (``{s}`` subdomains become a ``*`` wildcard)."""
    if not template:
        return None
    parts = urlsplit(template.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(map_tiles: str | None, *, script: str = "'self'",
                            style: str = "'self'") -> str:
    """The page's policy: everything from the service itself, map tiles from their server."""
    origin = tile_origin(map_tiles)
    images = "'self' data:" + (f" {origin}" if origin else "")
    return (f"default-src 'none'; script-src {script}; style-src {style}; img-src {images}; "
            "connect-src 'self'; font-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


def limit_for(path: str) -> int:
    """How many body bytes a request to ``path`` may send."""
    if path == IMPORT_PATH:
        return IMPORT_LIMIT
    if path.startswith("/api/") and path not in PUBLIC_API:
        return API_LIMIT
    return FORM_LIMIT


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB else f"{limit // 1024} KiB"


TOO_LARGE = (f"request body too large: API requests take at most {_size(API_LIMIT)}, "
             f"imports by admins {_size(IMPORT_LIMIT)}, the login form {_size(FORM_LIMIT)}")


async def _answer(send: Send, status: int, body: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class Guard:
    """See the module docstring. ``csp`` is the default Content-Security-Policy."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = {**SECURITY_HEADERS, "Content-Security-Policy": csp}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for key, value in self.headers.items():
                    headers.setdefault(key, value)
            await send(message)

        try:
            await self._guarded(scope, receive, send_with_headers)
        except Exception:  # the boundary: logged here, never shown
            log.exception("unexpected error serving %s %s", scope.get("method"),
                          scope.get("path"))
            if started:
                raise
            await _answer(send_with_headers, 500, {"detail": "internal error; it has been "
                                                             "logged"})

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        conn = HTTPConnection(scope)
        path: str = scope["path"]
        has_body = conn.headers.get("content-length", "0") != "0" or \
            "transfer-encoding" in conn.headers
        close = {"Connection": "close"} if has_body else {}
        user = None
        if path.startswith("/api/") and path not in PUBLIC_API:
            try:
                user = await run_in_threadpool(user_from, conn)
                if user is None:
                    raise AuthError(401, LOG_IN_FIRST)
                check_csrf(user, conn, scope["method"])
            except AuthError as exc:
                extra = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
                await _answer(send, exc.status, {"detail": exc.message}, {**extra, **close})
                return
            if path == IMPORT_PATH and user.role != "admin":
                await _answer(send, 403, {"detail": "imports need the role admin"}, close)
                return
            scope[SCOPE_USER] = user
        limit = limit_for(path)
        declared = conn.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await _answer(send, 400, {"detail": "invalid Content-Length"}, close)
                return
            if int(declared) > limit:
                await _answer(send, 413, {"detail": TOO_LARGE}, close)
                return
        await self.app(scope, receive, send)
