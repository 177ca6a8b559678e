"""Accounts, passwords, sessions, tokens, CSRF and who may see which patients.

* Passwords are hashed with argon2id (argon2-cffi's defaults); a hash never leaves the db.
* A browser gets a signed session cookie (HttpOnly, SameSite=Lax) holding the user id and a
  CSRF token; every unsafe request that authenticates by cookie must echo that token (header
  ``X-CSRF-Token`` or form field ``csrf_token``). API clients may instead send
  ``Authorization: Bearer <token>`` (from ``POST /api/token``), which a browser never adds
  by itself, so bearer requests need no CSRF token.
* Roles: ``bed_manager`` sees and changes only the patients whose home collaborative is one of
  theirs; ``planner`` reads the whole census and runs scenarios; ``admin`` does everything.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from .tables import UserRow

ROLES = ("bed_manager", "planner", "admin")
SESSION_COOKIE = "bedplan_session"
LOGIN_CSRF_COOKIE = "bedplan_login_csrf"
SESSION_SECONDS = 12 * 3600
_hasher = PasswordHasher()
#: Verified against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not a password")


class AuthError(Exception):
    """Not authenticated (401) or not allowed (403); the message is safe to show."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class User:
    """The authenticated caller, as the routes see it."""

    id: int
    username: str
    role: str
    networks: frozenset[str]
    csrf: str = ""
    via_cookie: bool = False

    def can_see_network(self, network_id: str) -> bool:
        return self.role != "bed_manager" or network_id in self.networks

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise AuthError(403, f"this needs the role {' or '.join(roles)}")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def validate_new_user(username: str, role: str, password: str) -> None:
    """Raise ValueError with a plain message when an account cannot be created."""
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-@"
                                                      for c in username):
        raise ValueError("username: 1-64 letters, digits or . _ - @")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("password: at least 8 characters")


def add_user(session: Session, username: str, password: str, role: str,
             networks: tuple[str, ...] = ()) -> UserRow:
    """Create an account (inside a write transaction); ValueError if invalid or taken."""
    validate_new_user(username, role, password)
    if role == "bed_manager" and not networks:
        raise ValueError("a bed manager needs at least one --network (collaborative)")
    if session.scalar(select(UserRow).where(UserRow.username == username)) is not None:
        raise ValueError(f"user {username!r} exists already")
    row = UserRow(username=username, password_hash=hash_password(password), role=role,
                  networks=";".join(sorted(set(networks))), active=True,
                  created_at=dt.datetime.now(dt.UTC))
    session.add(row)
    session.flush()
    return row


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The active user with these credentials, or None (same work either way)."""
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None or not row.active:
        check_password(_DUMMY_HASH, password)
        return None
    return row if check_password(row.password_hash, password) else None


def to_user(row: UserRow, csrf: str = "", via_cookie: bool = False) -> User:
    return User(row.id, row.username, row.role,
                frozenset(n for n in row.networks.split(";") if n), csrf, via_cookie)


def load_secret(data_dir: Path) -> str:
    """The signing key: ``data_dir/secret_key`` (created once, mode 0600)."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


class Signer:
    """Signs session cookies and API tokens (different salts: one cannot stand for the other)."""

    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="bedplan-session")
        self._token = URLSafeTimedSerializer(secret, salt="bedplan-api-token")
        self._login = URLSafeTimedSerializer(secret, salt="bedplan-login")

    def session_cookie(self, user_id: int) -> tuple[str, str]:
        """(cookie value, csrf token) for a fresh session."""
        csrf = secrets.token_urlsafe(24)
        return self._session.dumps({"uid": user_id, "csrf": csrf}), csrf

    def read_session(self, value: str) -> tuple[int, str] | None:
        try:
            data = self._session.loads(value, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        return int(data["uid"]), str(data["csrf"])

    def api_token(self, user_id: int) -> str:
        return self._token.dumps({"uid": user_id})

    def read_token(self, value: str) -> int | None:
        try:
            return int(self._token.loads(value, max_age=SESSION_SECONDS)["uid"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def login_csrf(self) -> str:
        return self._login.dumps(secrets.token_urlsafe(16))

    def check_login_csrf(self, cookie: str | None, form: str | None) -> bool:
        if not cookie or not form or not hmac.compare_digest(cookie, form):
            return False
        try:
            self._login.loads(cookie, max_age=3600)
        except BadSignature:
            return False
        return True


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")
