"""The service on a real PostgreSQL server: migrations, the API, the append-only audit log
(a trigger function), row locks under concurrent accepts, and the census round trip.

The server is started here on a temporary directory and a free port on 127.0.0.1, as the
``postgres`` user when run as root (``scripts/ci_services.sh`` installs the package in CI);
``BEDPLAN_TEST_POSTGRES_URL`` points the tests at an existing server instead. The tests skip,
saying why, only when no server can be installed or started.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import check_last_bed_race, check_stale_accept_race, make_app

pytest.importorskip("psycopg")


def _bin_dir() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(d, "initdb").exists():
            return Path(d)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    """A base URL (no database name) of a running PostgreSQL server."""
    given = os.environ.get("BEDPLAN_TEST_POSTGRES_URL")
    if given:
        yield given.rstrip("/")
        return
    bindir = _bin_dir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (scripts/ci_services.sh installs it)")
    if os.geteuid() == 0:
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no postgres system user to run the server as")
    from bedplan.service.server import free_port

    root = Path(tempfile.mkdtemp(prefix="bedplan-pg-"))
    data, port = root / "data", free_port()
    if os.geteuid() == 0:
        os.chown(root, pw.pw_uid, pw.pw_gid)
    try:
        subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                                     "-U", "postgres", "--no-sync", "-E", "UTF8"]),
                       check=True, capture_output=True, timeout=120)
        subprocess.run(_as_postgres([
            str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=100", "start"]), check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL: {exc}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m",
                                     "immediate", "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    import psycopg

    name = "bedplan_" + uuid.uuid4().hex[:12]
    admin = pg_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{pg_server}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_app(tmp_path, census_dir, pg_url):
    app = make_app(tmp_path, census_dir, db_url=pg_url)
    yield app
    app.state.bedplan.engine.dispose()


def test_migration_on_postgres(pg_app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bedplan.service.tables import Base

    engine = pg_app.state.bedplan.engine
    assert engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_api_on_postgres(pg_app, census_dir, tmp_path):
    import io
    import zipfile

    from fastapi.testclient import TestClient

    from models.io import read_instance

    from .conftest import bearer

    with TestClient(pg_app, raise_server_exceptions=False) as client:
        north, south = bearer(client, "north"), bearer(client, "south")
        assert client.get("/api/patients/R1", headers=south).status_code == 404
        exported = client.get("/api/export", headers=bearer(client, "plan")).content
        zipfile.ZipFile(io.BytesIO(exported)).extractall(tmp_path / "export")
        assert read_instance(tmp_path / "export") == read_instance(census_dir)
        s = client.post("/api/suggestions", json={"patient_id": "R1"}, headers=north).json()
        assert [o["unit_id"] for o in s["options"]] == ["YORK", "LEEDS", "LONDON"]
        r = client.post("/api/accept", headers=north, json={
            "patient_id": "R1", "unit_id": "YORK", "suggestion_id": s["suggestion_id"]})
        assert r.status_code == 200
        r = client.post("/api/accept", json={"patient_id": "C1", "unit_id": "YORK"},
                        headers=north)
        assert r.status_code == 409
        events = client.get("/api/audit", headers=bearer(client, "admin")).json()["events"]
        assert [e["action"] for e in events] == ["import", "suggest", "admit"]


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET reason = 'x'",
                                       "DELETE FROM audit_log", "TRUNCATE audit_log"])
def test_audit_log_is_append_only_on_postgres(pg_app, statement):
    from sqlalchemy import func, select, text
    from sqlalchemy.exc import DatabaseError

    from bedplan.service.tables import AuditRow

    engine = pg_app.state.bedplan.engine
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditRow)) == 1  # the import


def test_last_bed_race_on_postgres(pg_app):
    check_last_bed_race(pg_app)


def test_england_round_trip_on_postgres(pg_url):
    from bedplan.service.census import load_instance, store_instance
    from bedplan.service.db import make_engine, reading, session_factory, upgrade, writing
    from models.io import read_instance

    england = read_instance(Path(__file__).parents[2] / "instances" / "england")
    engine = make_engine(pg_url)
    upgrade(engine)
    factory = session_factory(engine)
    with writing(factory) as s:
        store_instance(s, england)
    with reading(factory) as s:
        assert load_instance(s) == england
    engine.dispose()


def test_stale_accept_race_on_postgres(pg_app):
    check_stale_accept_race(pg_app)
    from bedplan.service.chain import verify
    from bedplan.service.db import reading

    with reading(pg_app.state.bedplan.factory) as s:  # concurrent appends: one chain
        assert verify(s).intact


@pytest.mark.parametrize("statement", [
    "INSERT INTO audit_log (id, at, actor, role, action, reason, details, hash) "
    "SELECT id, at, actor, role, action, 'rewritten', details, hash FROM audit_log "
    "WHERE id = 1 ON CONFLICT (id) DO UPDATE SET reason = 'rewritten'",
    "INSERT INTO audit_log (id, at, actor, role, action, reason, details, hash) "
    "VALUES (1, now(), 'x', 'x', 'x', 'rewritten', '{}', '')",
])
def test_no_insert_rewrites_the_log_on_postgres(pg_app, statement):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    engine = pg_app.state.bedplan.engine
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT reason FROM audit_log WHERE id = 1")) == ""


def test_the_chain_names_a_row_changed_by_the_owner_on_postgres(pg_app):
    """The owner can lift the trigger; the chain still shows the change."""
    from sqlalchemy import text

    from bedplan.service import audit
    from bedplan.service.chain import verify
    from bedplan.service.db import reading, writing

    factory = pg_app.state.bedplan.factory
    for i in range(3):
        with writing(factory) as s:
            audit.append(s, None, "suggest", patient_id=f"R{i}")
    with pg_app.state.bedplan.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        conn.execute(text("UPDATE audit_log SET patient_id = 'X' WHERE id = 3"))
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"))
    with reading(factory) as s:
        v = verify(s)
    assert (v.intact, v.broken_id, v.events) == (False, 3, 2)


def test_huge_ids_on_postgres(pg_app):
    from fastapi.testclient import TestClient

    from .conftest import bearer

    top = 2**31 - 1  # the audit ids are 32-bit integers on PostgreSQL
    with TestClient(pg_app, raise_server_exceptions=False) as client:
        r = client.post("/api/accept", headers=bearer(client, "north"),
                        json={"patient_id": "R1", "unit_id": "YORK", "suggestion_id": top})
        assert r.status_code == 422, r.text
        r = client.get(f"/api/audit?since_id={top}&limit={top}",
                       headers=bearer(client, "admin"))
        assert r.status_code == 200 and r.json()["events"] == []
        r = client.post("/api/accept", headers=bearer(client, "north"),
                        json={"patient_id": "R1", "unit_id": "YORK", "suggestion_id": 2**63})
        assert r.status_code == 422


# ------------------------------------------------------------------ owner and application role


@pytest.fixture
def roles(pg_server):
    """A database owned by its own (non-superuser) owner, and an application role; yields
    their URLs and drops everything afterwards."""
    import psycopg

    tag = uuid.uuid4().hex[:8]
    owner, app_role, name = f"bedplan_owner_{tag}", f"bedplan_app_{tag}", f"bedplan_{tag}"
    admin = pg_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {owner} LOGIN")
        conn.execute(f"CREATE ROLE {app_role} LOGIN")
        conn.execute(f'CREATE DATABASE "{name}" OWNER {owner}')
    base = pg_server.rsplit("@", 1)[1]
    yield {"owner": f"postgresql+psycopg://{owner}@{base}/{name}",
           "app": f"postgresql+psycopg://{app_role}@{base}/{name}", "app_role": app_role}
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f"DROP ROLE IF EXISTS {app_role}")
        conn.execute(f"DROP ROLE IF EXISTS {owner}")


def test_the_application_role_cannot_touch_the_schema_or_the_log(roles, tmp_path, census_dir):
    """The owner migrates and grants (`bedplan serve --migrate-only --app-role`); the service
    runs as the application role, which can do its work and nothing to the audit log but
    read and append."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DatabaseError

    from bedplan.cli import cli
    from bedplan.service.db import SchemaError, make_engine, upgrade

    with pytest.raises(SchemaError, match="--migrate-only"):  # not the owner: no schema
        upgrade(make_engine(roles["app"]))
    done = CliRunner().invoke(cli, ["serve", "--migrate-only", "--db", roles["owner"],
                                    "--app-role", roles["app_role"]])
    assert done.exit_code == 0, done.output
    app = make_app(tmp_path, census_dir, db_url=roles["app"])  # starts as the app role
    with TestClient(app, raise_server_exceptions=False) as client:
        from .conftest import bearer

        north = bearer(client, "north")
        sid = client.post("/api/suggestions", json={"patient_id": "R1"},
                          headers=north).json()["suggestion_id"]
        assert client.post("/api/accept", headers=north, json={
            "patient_id": "R1", "unit_id": "YORK", "suggestion_id": sid}).status_code == 200
        assert client.post("/api/units/LEEDS/beds", json={"beds_closed": 0},
                           headers=north).status_code == 200
    added = CliRunner().invoke(cli, ["user", "add", "carol", "--role", "planner",
                                     "--password-stdin", "--db", roles["app"]],
                               input="a good password\n")
    assert added.exit_code == 0, added.output
    verified = CliRunner().invoke(cli, ["audit", "verify", "--db", roles["app"]])
    assert verified.exit_code == 0 and "intact: 5 events" in verified.output
    engine = create_engine(roles["app"])
    for statement in ("ALTER TABLE audit_log DISABLE TRIGGER ALL",
                      "DROP TRIGGER audit_log_no_change ON audit_log",
                      "UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log",
                      "TRUNCATE audit_log", "DROP TABLE audit_log",
                      "ALTER TABLE audit_log DROP COLUMN hash",
                      "INSERT INTO audit_log (id, at, actor, role, action, reason, details, "
                      "hash) SELECT id, at, actor, role, action, 'x', details, hash FROM "
                      "audit_log WHERE id = 1 ON CONFLICT (id) DO UPDATE SET reason = 'x'",
                      "CREATE TABLE audit_log_copy (id int)",
                      "DROP FUNCTION audit_log_append_only() CASCADE"):
        with pytest.raises(DatabaseError, match=r"must be owner|permission denied|append-only"), \
                engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
    app.state.bedplan.engine.dispose()
    refused = CliRunner().invoke(cli, ["serve", "--migrate-only", "--db", roles["app"],
                                       "--app-role", roles["app_role"]])
    assert refused.exit_code == 2 and "must not be the schema owner" in refused.output
