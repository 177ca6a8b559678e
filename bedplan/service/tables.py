"""The database schema (SQLAlchemy 2 declarative models).

The census mirrors units.csv / patients.csv / networks.csv column for column (lists as the
contract's ``;``-separated text, unknown extra columns as JSON), so an instance imported and
exported again round-trips through :mod:`models.io`. Patients carry pseudonymous ids only.
The migration in ``migrations/versions`` creates exactly these tables (a test checks it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Meta(Base):
    """Key/value facts about the census: policy.toml, geography, census version, source."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class NetworkRow(Base):
    """A provider collaborative (networks.csv)."""

    __tablename__ = "networks"
    network_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="")
    lead_provider: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[str] = mapped_column(Text, default="[]")
    position: Mapped[int] = mapped_column(Integer, default=0)


class UnitRow(Base):
    """A ward (units.csv); the row locked when a bed in it is taken."""

    __tablename__ = "units"
    unit_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(Text, default="")
    provider_type: Mapped[str] = mapped_column(String(32), default="")
    network_id: Mapped[str] = mapped_column(String(128), index=True)
    service: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(32))
    sex: Mapped[str] = mapped_column(String(16), default="mixed")
    age_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    age_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    specialisms: Mapped[str] = mapped_column(Text, default="")
    beds: Mapped[int] = mapped_column(Integer)
    beds_closed: Mapped[int] = mapped_column(Integer, default=0)
    cost_per_day: Mapped[float] = mapped_column(Float, default=0.0)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    postcode: Mapped[str] = mapped_column(String(16), default="")
    specialist_only: Mapped[bool] = mapped_column(Boolean, default=False)
    accepts_referrals: Mapped[bool] = mapped_column(Boolean, default=True)
    function: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[str] = mapped_column(Text, default="[]")
    position: Mapped[int] = mapped_column(Integer, default=0)


class PatientRow(Base):
    """An inpatient or referral (patients.csv), by pseudonymous id."""

    __tablename__ = "patients"
    patient_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(32))
    sex: Mapped[str] = mapped_column(String(16))
    age: Mapped[int] = mapped_column(Integer)
    needs: Mapped[str] = mapped_column(Text, default="")
    home_lat: Mapped[float] = mapped_column(Float)
    home_lon: Mapped[float] = mapped_column(Float)
    home_network_id: Mapped[str] = mapped_column(String(128), index=True)
    current_unit_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    movable: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    excluded_units: Mapped[str] = mapped_column(Text, default="")
    admitted_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    home_postcode: Mapped[str] = mapped_column(String(16), default="")
    legal_status: Mapped[str] = mapped_column(String(32), default="")
    expected_discharge: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    arrives_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    extra: Mapped[str] = mapped_column(Text, default="[]")
    position: Mapped[int] = mapped_column(Integer, default=0)


class UserRow(Base):
    """An account: argon2 hash, one role, the collaboratives a bed manager is scoped to."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    networks: Mapped[str] = mapped_column(Text, default="")  # ';'-separated network ids
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """One appended event. Never updated or deleted (database triggers refuse both, and an
    insert with an id that exists); ``hash`` chains it to the row before
    (:mod:`bedplan.service.chain`); ``suggestion_id`` is set on the decision that accepted
    that suggestion (unique: a suggestion is accepted at most once)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    patient_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    unit_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    suggestion_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_patient_id", "patient_id"),
                      Index("ux_audit_log_suggestion_id", "suggestion_id", unique=True))


class JobRow(Base):
    """A background reallocation or scenario: status, progress and result (JSON)."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[str] = mapped_column(Text, default="{}")
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
