"""Audit log: a hash chain over the rows, at most one accept per suggestion, no rewrite by
REPLACE or upsert.

* ``hash``: each row's sha256 chained to the row before (:mod:`bedplan.service.chain`);
  existing rows are chained here, in id order.
* ``suggestion_id`` (unique): set on the decision that accepted that suggestion.
* A trigger refuses an INSERT whose id exists already: SQLite's ``INSERT OR REPLACE`` deletes
  the old row without firing delete triggers, and an upsert would rewrite it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_REFUSE = "audit_log is append-only"


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("suggestion_id", sa.Integer(), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(64), nullable=False,
                                         server_default=""))
    _chain_existing_rows()
    op.create_index("ux_audit_log_suggestion_id", "audit_log", ["suggestion_id"], unique=True)
    if _postgres():
        op.execute(f"""
            CREATE FUNCTION audit_log_no_reinsert() RETURNS trigger AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) THEN
                    RAISE EXCEPTION '{_REFUSE}';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER audit_log_no_reinsert BEFORE INSERT ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_no_reinsert()")
    else:
        op.execute("CREATE TRIGGER audit_log_no_reinsert BEFORE INSERT ON audit_log "
                   "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
                   f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _chain_existing_rows() -> None:
    """Hash the rows written before this revision (the update trigger is lifted meanwhile,
    inside this migration's transaction)."""
    from bedplan.service.chain import GENESIS, hash_of

    bind = op.get_bind()
    table = sa.table("audit_log", sa.column("id", sa.Integer()),
                     sa.column("at", sa.DateTime(timezone=True)),
                     *(sa.column(c, sa.Text()) for c in (
                         "actor", "role", "action", "patient_id", "unit_id", "reason",
                         "details", "hash")),
                     sa.column("suggestion_id", sa.Integer()))
    rows = bind.execute(sa.select(table).order_by(table.c.id)).all()
    if not rows:
        return
    if _postgres():
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
    previous = GENESIS
    for row in rows:
        previous = hash_of(previous, row)
        bind.execute(sa.update(table).where(table.c.id == row.id).values(hash=previous))
    if _postgres():
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    else:
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_reinsert" +
               (" ON audit_log" if _postgres() else ""))
    if _postgres():
        op.execute("DROP FUNCTION IF EXISTS audit_log_no_reinsert()")
    op.drop_index("ux_audit_log_suggestion_id", table_name="audit_log")
    op.drop_column("audit_log", "hash")
    op.drop_column("audit_log", "suggestion_id")
