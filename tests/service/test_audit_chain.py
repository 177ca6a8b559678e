"""The audit log cannot be rewritten through SQL, and a rewrite behind the database's back
shows (issue 16, finding 4): a trigger refuses an INSERT over an existing id (SQLite's
REPLACE, upserts); every row is hash-chained to the one before; ``bedplan audit verify``
names the first broken row. PostgreSQL: tests/service/test_postgres.py."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from bedplan.service import chain
from bedplan.service.db import reading, writing

REWRITES = [
    "INSERT OR REPLACE INTO audit_log (id, at, actor, role, action, reason, details, hash) "
    "SELECT id, at, actor, role, action, 'rewritten', details, hash FROM audit_log WHERE id = 2",
    "REPLACE INTO audit_log (id, at, actor, role, action, reason, details, hash) "
    "SELECT id, at, actor, role, action, 'rewritten', details, hash FROM audit_log WHERE id = 2",
    "INSERT INTO audit_log (id, at, actor, role, action, reason, details, hash) "
    "SELECT id, at, actor, role, action, 'rewritten', details, hash FROM audit_log WHERE id = 2 "
    "ON CONFLICT(id) DO UPDATE SET reason = 'rewritten'",
    "INSERT INTO audit_log (id, at, actor, role, action, reason, details, hash) "
    "VALUES (2, '2020-01-01', 'x', 'x', 'x', 'rewritten', '{}', '')",
]


def log_rows(app) -> list[tuple]:
    with app.state.bedplan.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM audit_log ORDER BY id"))]


def some_events(client, as_user) -> None:
    h = as_user("north")
    s = client.post("/api/suggestions", json={"patient_id": "R1"}, headers=h).json()
    client.post("/api/accept", headers=h, json={"patient_id": "R1", "unit_id": "YORK",
                                                "suggestion_id": s["suggestion_id"]})
    client.post("/api/units/LEEDS/beds", json={"beds_closed": 1}, headers=h)


@pytest.mark.parametrize("statement", REWRITES)
def test_no_insert_can_rewrite_a_row(app, client, as_user, statement):
    some_events(client, as_user)
    before = log_rows(app)
    with pytest.raises(DatabaseError, match="append-only"), \
            app.state.bedplan.engine.begin() as conn:
        conn.execute(text(statement))
    assert log_rows(app) == before


def verdict(app, heads=()):
    with reading(app.state.bedplan.factory) as s:
        return chain.verify(s, heads)


def tamper(app, *statements: str) -> None:
    """What the owner of the SQLite file can do: drop the triggers and edit."""
    with app.state.bedplan.engine.begin() as conn:
        for name in ("no_update", "no_delete", "no_reinsert"):
            conn.execute(text(f"DROP TRIGGER audit_log_{name}"))
        for statement in statements:
            conn.execute(text(statement))


def test_every_row_is_chained_and_the_chain_is_intact(app, client, as_user):
    some_events(client, as_user)
    v = verdict(app)
    assert v.intact and v.events == 4 and v.head_id == 4
    rows = log_rows(app)
    with reading(app.state.bedplan.factory) as s:
        assert chain.head(s) == (4, v.head_hash)
    assert len({r[-1] for r in rows}) == 4  # every hash differs


@pytest.mark.parametrize(("statement", "broken"), [
    ("UPDATE audit_log SET reason = 'I was never here' WHERE id = 3", 3),
    ("UPDATE audit_log SET at = '2020-01-01 00:00:00.000000' WHERE id = 2", 2),
    ("DELETE FROM audit_log WHERE id = 2", 3),
    ("UPDATE audit_log SET id = 9 WHERE id = 4", 9),
    ("UPDATE audit_log SET details = '{}' WHERE id = 1", 1),
])
def test_a_change_behind_the_databases_back_names_the_first_broken_row(
        app, client, as_user, statement, broken):
    some_events(client, as_user)
    tamper(app, statement)
    v = verdict(app)
    assert not v.intact and v.broken_id == broken
    assert f"event {broken} " in v.problem


def test_a_head_kept_elsewhere_catches_a_recomputed_or_cut_log(app, client, as_user):
    some_events(client, as_user)
    head = (verdict(app).head_id, verdict(app).head_hash)
    # rewrite event 2 and recompute every hash after it: the chain alone looks intact ...
    tamper(app, "UPDATE audit_log SET reason = 'forged' WHERE id = 2")
    from sqlalchemy import select

    from bedplan.service.tables import AuditRow

    with writing(app.state.bedplan.factory) as s:
        previous = chain.GENESIS
        for row in s.execute(select(AuditRow.__table__).order_by(AuditRow.id)).all():
            previous = chain.hash_of(previous, row)
            s.execute(text("UPDATE audit_log SET hash = :h WHERE id = :i"),
                      {"h": previous, "i": row.id})
    assert verdict(app).intact
    # ... but not against the head recorded before
    v = verdict(app, [head])
    assert not v.intact and v.broken_id == 4 and "rewritten" in v.problem
    # cutting the log short is caught by the head too
    tamper_again = "DELETE FROM audit_log WHERE id = 4"
    with app.state.bedplan.engine.begin() as conn:
        conn.execute(text(tamper_again))
    v = verdict(app, [head])
    assert not v.intact and "missing" in v.problem


def test_appends_from_many_threads_form_one_chain(app):
    import threading

    from bedplan.service import audit

    def worker(k: int) -> None:
        for i in range(10):
            with writing(app.state.bedplan.factory) as s:
                audit.append(s, None, "suggest", patient_id=f"T{k}-{i}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    v = verdict(app)
    assert v.intact and v.events == 41


def test_the_upgrade_chains_rows_written_before_the_chain(tmp_path):
    """A database of revision 0001 with events: 0002 adds the hashes, in id order."""
    import datetime as dt

    from alembic import command

    from bedplan.service.db import alembic_config, make_engine, session_factory, upgrade

    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(text("INSERT INTO audit_log (at, actor, role, action, reason, details)"
                              " VALUES (:at, 'a', 'admin', 'import', '', '{}')"),
                         {"at": dt.datetime(2026, 1, 1, 0, 0, i)})
    upgrade(engine)
    with reading(session_factory(engine)) as s:
        v = chain.verify(s)
    assert v.intact and v.events == 3
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = 'x'"))
    engine.dispose()
