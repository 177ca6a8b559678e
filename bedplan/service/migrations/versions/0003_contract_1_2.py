"""Census columns of contract 1.2: units' specialist_only, accepts_referrals and function;
patients' legal_status, expected_discharge and arrives_on (the policy's [plan] lives in the
meta table's policy JSON and needs no column).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("units", sa.Column("specialist_only", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("units", sa.Column("accepts_referrals", sa.Boolean(), nullable=False,
                                     server_default=sa.true()))
    op.add_column("units", sa.Column("function", sa.Text(), nullable=False, server_default=""))
    op.add_column("patients", sa.Column("legal_status", sa.String(32), nullable=False,
                                        server_default=""))
    op.add_column("patients", sa.Column("expected_discharge", sa.Date(), nullable=True))
    op.add_column("patients", sa.Column("arrives_on", sa.Date(), nullable=True))


def downgrade() -> None:
    for column in ("arrives_on", "expected_discharge", "legal_status"):
        op.drop_column("patients", column)
    for column in ("function", "accepts_referrals", "specialist_only"):
        op.drop_column("units", column)
