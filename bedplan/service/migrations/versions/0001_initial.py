"""Initial schema: census (meta, networks, units, patients), users, audit_log, jobs.

The audit log is append-only in the database itself: triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL), whatever client connects.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("meta",
                    sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text(), nullable=False))
    op.create_table("networks",
                    sa.Column("network_id", sa.String(128), primary_key=True),
                    sa.Column("name", sa.Text(), nullable=False),
                    sa.Column("lead_provider", sa.Text(), nullable=False),
                    sa.Column("extra", sa.Text(), nullable=False),
                    sa.Column("position", sa.Integer(), nullable=False))
    op.create_table("units",
                    sa.Column("unit_id", sa.String(128), primary_key=True),
                    sa.Column("name", sa.Text(), nullable=False),
                    sa.Column("provider", sa.Text(), nullable=False),
                    sa.Column("provider_type", sa.String(32), nullable=False),
                    sa.Column("network_id", sa.String(128), nullable=False),
                    sa.Column("service", sa.String(32), nullable=False),
                    sa.Column("level", sa.String(32), nullable=False),
                    sa.Column("sex", sa.String(16), nullable=False),
                    sa.Column("age_min", sa.Integer(), nullable=True),
                    sa.Column("age_max", sa.Integer(), nullable=True),
                    sa.Column("specialisms", sa.Text(), nullable=False),
                    sa.Column("beds", sa.Integer(), nullable=False),
                    sa.Column("beds_closed", sa.Integer(), nullable=False),
                    sa.Column("cost_per_day", sa.Float(), nullable=False),
                    sa.Column("lat", sa.Float(), nullable=False),
                    sa.Column("lon", sa.Float(), nullable=False),
                    sa.Column("postcode", sa.String(16), nullable=False),
                    sa.Column("extra", sa.Text(), nullable=False),
                    sa.Column("position", sa.Integer(), nullable=False))
    op.create_index("ix_units_network_id", "units", ["network_id"])
    op.create_table("patients",
                    sa.Column("patient_id", sa.String(128), primary_key=True),
                    sa.Column("status", sa.String(16), nullable=False),
                    sa.Column("service", sa.String(32), nullable=False),
                    sa.Column("level", sa.String(32), nullable=False),
                    sa.Column("sex", sa.String(16), nullable=False),
                    sa.Column("age", sa.Integer(), nullable=False),
                    sa.Column("needs", sa.Text(), nullable=False),
                    sa.Column("home_lat", sa.Float(), nullable=False),
                    sa.Column("home_lon", sa.Float(), nullable=False),
                    sa.Column("home_network_id", sa.String(128), nullable=False),
                    sa.Column("current_unit_id", sa.String(128), nullable=True),
                    sa.Column("movable", sa.Boolean(), nullable=False),
                    sa.Column("priority", sa.Integer(), nullable=False),
                    sa.Column("excluded_units", sa.Text(), nullable=False),
                    sa.Column("admitted_on", sa.Date(), nullable=True),
                    sa.Column("home_postcode", sa.String(16), nullable=False),
                    sa.Column("extra", sa.Text(), nullable=False),
                    sa.Column("position", sa.Integer(), nullable=False))
    op.create_index("ix_patients_home_network_id", "patients", ["home_network_id"])
    op.create_index("ix_patients_current_unit_id", "patients", ["current_unit_id"])
    op.create_table("users",
                    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("username", sa.String(64), nullable=False, unique=True),
                    sa.Column("password_hash", sa.Text(), nullable=False),
                    sa.Column("role", sa.String(16), nullable=False),
                    sa.Column("networks", sa.Text(), nullable=False),
                    sa.Column("active", sa.Boolean(), nullable=False),
                    sa.Column("created_at", TZ, nullable=False))
    op.create_table("audit_log",
                    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("at", TZ, nullable=False),
                    sa.Column("actor", sa.String(64), nullable=False),
                    sa.Column("role", sa.String(16), nullable=False),
                    sa.Column("action", sa.String(32), nullable=False),
                    sa.Column("patient_id", sa.String(128), nullable=True),
                    sa.Column("unit_id", sa.String(128), nullable=True),
                    sa.Column("reason", sa.Text(), nullable=False),
                    sa.Column("details", sa.Text(), nullable=False))
    op.create_index("ix_audit_log_patient_id", "audit_log", ["patient_id"])
    op.create_table("jobs",
                    sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("kind", sa.String(16), nullable=False),
                    sa.Column("status", sa.String(16), nullable=False),
                    sa.Column("progress", sa.Text(), nullable=False),
                    sa.Column("params", sa.Text(), nullable=False),
                    sa.Column("result", sa.Text(), nullable=True),
                    sa.Column("error", sa.Text(), nullable=True),
                    sa.Column("created_by", sa.String(64), nullable=False),
                    sa.Column("created_at", TZ, nullable=False),
                    sa.Column("finished_at", TZ, nullable=True))
    _append_only()


def _append_only() -> None:
    """Triggers that make audit_log append-only in the database."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only';
            END;
            $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


def downgrade() -> None:
    for table in ("jobs", "audit_log", "users", "patients", "units", "networks", "meta"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE")
