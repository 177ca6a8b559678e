"""Who is calling: the user behind a bearer token or a session cookie (with CSRF check).

Only headers and cookies are read here, never the body: the request guard
(:mod:`bedplan.service.guard`) authenticates every API request with :func:`user_from` before
a route parses anything, and :func:`current_user` reuses that answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from .auth import SESSION_COOKIE, AuthError, User, same_token, to_user
from .state import state_of
from .tables import UserRow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Where the guard leaves the user it authenticated (an ASGI scope key).
SCOPE_USER = "bedplan.user"
LOG_IN_FIRST = "log in first (session cookie or Authorization: Bearer token)"


def user_from(conn: HTTPConnection) -> User | None:
    """The authenticated user, or None. Bearer wins over the cookie; a bad bearer is 401."""
    st = state_of(conn)
    header = conn.headers.get("authorization", "")
    uid: int | None = None
    csrf, via_cookie = "", False
    if header.lower().startswith("bearer "):
        uid = st.signer.read_token(header[7:].strip())
        if uid is None:
            raise AuthError(401, "invalid or expired token")
    else:
        cookie = conn.cookies.get(SESSION_COOKIE)
        if cookie:
            found = st.signer.read_session(cookie)
            if found is not None:
                uid, csrf = found
                via_cookie = True
    if uid is None:
        return None
    with st.factory() as s:
        row = s.get(UserRow, uid)
        if row is None or not row.active:
            return None
        return to_user(row, csrf, via_cookie)


def check_csrf(user: User, conn: HTTPConnection, method: str) -> None:
    """403 when a cookie request that changes something lacks the session's CSRF token."""
    if user.via_cookie and method not in SAFE_METHODS and not same_token(
            user.csrf, conn.headers.get("x-csrf-token")):
        raise AuthError(403, "missing or wrong CSRF token (send the X-CSRF-Token header)")


def optional_user(request: Request) -> User | None:
    """The user of a page request, or None (pages redirect to the login form)."""
    found = request.scope.get(SCOPE_USER)
    return found if isinstance(found, User) else user_from(request)


#: Declares the bearer scheme in OpenAPI (the "Authorize" button of /docs); the token itself
#: is read in :func:`user_from`.
_bearer = HTTPBearer(auto_error=False, description="a token from POST /api/token")


async def current_user(request: Request,
                       _credentials: Annotated[HTTPAuthorizationCredentials | None,
                                               Depends(_bearer)]) -> User:
    """The API's dependency: 401 without credentials; 403 on a cookie request without CSRF.

    Async: the guard has already authenticated every API request, so this only reads its
    answer (no thread hop); outside the guard it asks the database in a worker thread.
    """
    found = request.scope.get(SCOPE_USER)
    user = found if isinstance(found, User) else await run_in_threadpool(user_from, request)
    if user is None:
        raise AuthError(401, LOG_IN_FIRST)
    check_csrf(user, request, request.method)
    return user
