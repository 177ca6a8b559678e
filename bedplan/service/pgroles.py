"""PostgreSQL: the schema belongs to one role, the service connects as another.

The owner (who runs the migrations) can alter tables and disable triggers; the application
role must not, or a compromised service could rewrite the audit log. :func:`grant_app_role`
gives the application role exactly what the service needs: read and write the census,
accounts, jobs and meta; only SELECT and INSERT on ``audit_log`` (with the triggers, which
only the owner could disable, refusing UPDATE, DELETE, TRUNCATE and re-inserts).
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

#: Tables the service reads and writes.
READ_WRITE = ("meta", "networks", "units", "patients", "users", "jobs")
_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")


class RoleError(ValueError):
    """The application role cannot be set up as asked (the message says why)."""


def grant_app_role(engine: Engine, role: str) -> None:
    """Grant ``role`` (an existing login role, not the owner) what the service needs."""
    if engine.dialect.name != "postgresql":
        raise RoleError("--app-role is for PostgreSQL (SQLite has no roles: its file is the "
                        "boundary, mode 0600)")
    if not _ROLE.match(role):
        raise RoleError(f"{role!r} is not a role name")
    q = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        me = conn.scalar(text("SELECT current_user"))
        if role == me:
            raise RoleError(f"the application role must not be the schema owner ({me})")
        if not conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"),
                           {"r": role}):
            raise RoleError(f"no role {role!r}: create it first (CREATE ROLE {role} LOGIN "
                            "PASSWORD '...')")
        schema = q(str(conn.scalar(text("SELECT current_schema()"))))
        r = q(role)
        for statement in (
                f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
                f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {r}",
                f"GRANT USAGE ON SCHEMA {schema} TO {r}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(READ_WRITE)} TO {r}",
                f"GRANT SELECT, INSERT ON audit_log TO {r}",
                f"GRANT SELECT ON alembic_version TO {r}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {r}"):
            conn.exec_driver_sql(statement)
    log.info("granted role %s the service's privileges (owner: %s)", role, me)
