"""Engines, sessions, schema migrations and the write transaction.

SQLite (the embedded default) runs every write in ``BEGIN IMMEDIATE``: one writer at a time,
so two accepts cannot both read "one bed free" and both take it; readers are not blocked
(WAL journal). PostgreSQL writes lock the rows they check (``SELECT ... FOR UPDATE``, see
:mod:`bedplan.service.census`). The schema is created and upgraded by Alembic at start.
"""

from __future__ import annotations

import contextvars
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
_IMMEDIATE: contextvars.ContextVar[bool] = contextvars.ContextVar("immediate", default=False)


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean the psycopg 3 driver we ship with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) or take group and other access away from it: it holds the
    database (password hashes, patients), the signing key and job outputs."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _owner_only(path, 0o700)
    return path


def _owner_only(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & 0o077:
        os.chmod(path, mode)
        log.warning("%s was readable by others (mode %o): now %o", path, current, mode)


def private_sqlite_file(path: Path) -> None:
    """The SQLite file (and its -wal/-shm files) readable and writable by the owner only.

    Created empty with mode 0600 before SQLite opens it (SQLite gives the -wal and -shm
    files the database file's mode); an existing file with a wider mode is narrowed.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if f.exists():
            _owner_only(f, 0o600)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout, explicit BEGINs and a file only
    its owner can read."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and \
                not parsed.database.startswith("file:"):
            private_sqlite_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _IMMEDIATE.get() else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def writing(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A write transaction: committed on success, rolled back on any exception.

    On SQLite it begins IMMEDIATE (takes the single write lock before the first read), so
    the capacity checked inside is still true at commit.
    """
    token = _IMMEDIATE.set(True)
    try:
        with factory() as session, session.begin():
            yield session
    finally:
        _IMMEDIATE.reset(token)


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only transaction (rolled back at the end)."""
    with factory() as session, session.begin():
        yield session
        session.rollback()


def alembic_config(engine: Engine) -> Any:
    """An Alembic config pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


class SchemaError(RuntimeError):
    """The schema needs an upgrade that this database role may not make."""


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration.

    At the newest migration already, nothing is executed, so an application role that does
    not own the schema (PostgreSQL, see :mod:`bedplan.service.pgroles`) starts fine; when an
    upgrade is due it must be run by the owner (``bedplan serve --migrate-only``).
    """
    from alembic import command
    from sqlalchemy.exc import ProgrammingError

    try:
        command.upgrade(alembic_config(engine), "head")
    except ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) != "42501":  # insufficient privilege
            raise
        raise SchemaError(
            "the database schema must be created or upgraded by its owner first: "
            "bedplan serve --migrate-only --db OWNER_URL --app-role THIS_ROLE") from exc
    log.info("database schema at head")
