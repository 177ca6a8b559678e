"""Who is calling: the user behind a bearer token or a session cookie (with CSRF check)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .app import state_of
from .auth import SESSION_COOKIE, AuthError, User, same_token, to_user
from .tables import UserRow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def optional_user(request: Request) -> User | None:
    """The authenticated user, or None. Bearer wins over the cookie."""
    st = state_of(request)
    header = request.headers.get("authorization", "")
    uid: int | None = None
    csrf, via_cookie = "", False
    if header.lower().startswith("bearer "):
        uid = st.signer.read_token(header[7:].strip())
        if uid is None:
            raise AuthError(401, "invalid or expired token")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
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


#: Declares the bearer scheme in OpenAPI (the "Authorize" button of /docs); the token itself
#: is read in :func:`optional_user`.
_bearer = HTTPBearer(auto_error=False, description="a token from POST /api/token")


def current_user(request: Request,
                 _credentials: Annotated[HTTPAuthorizationCredentials | None,
                                         Depends(_bearer)]) -> User:
    """The API's dependency: 401 without credentials; 403 on a cookie request without CSRF."""
    user = optional_user(request)
    if user is None:
        raise AuthError(401, "log in first (session cookie or Authorization: Bearer token)")
    if user.via_cookie and request.method not in SAFE_METHODS and not same_token(
            user.csrf, request.headers.get("x-csrf-token")):
        raise AuthError(403, "missing or wrong CSRF token (send the X-CSRF-Token header)")
    return user
