"""Request bodies of the API (pydantic); responses are plain JSON documented in docs/service.md.

Every number has a range, so an out-of-range value (2^31, 2^63 and beyond included) is a 422
naming the field, never a database overflow.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.validation import MAX_BEDS, MAX_PRIORITY

_ID = r"^[A-Za-z0-9_.:@/-]{1,128}$"
#: The largest id the audit table holds (a 32-bit integer on PostgreSQL): the ceiling of
#: ``suggestion_id``, ``since_id`` and ``limit``; anything larger is a 422.
MAX_ID = 2**31 - 1
#: Ceiling of a job's count limits (moves, admissions per unit).
MAX_COUNT = 1_000_000
#: Longest plan a job may ask for: 13 weeks. England's 12 weeks (84 nights) is the longest
#: horizon measured (benchmarks: within 5 minutes, under 8 GiB); longer plans of all of
#: England would hold the one job worker, and the machine's memory, for much longer.
MAX_NIGHTS = 91
#: A plan's start must lie in these years (a typo such as 0226 is refused, and no date
#: arithmetic over the horizon can leave the calendar).
FIRST_START, LAST_START = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NEW_ID = ("leave it out: the service gives a new referral its pseudonymous id (the "
           "suggestion's patient_id), so no id can collide with another collaborative's")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Referral(_Strict):
    """A new referral given inline: the columns of patients.csv (status is referral)."""

    patient_id: str | None = Field(default=None, description=_NEW_ID)
    service: str
    level: str
    sex: str
    age: int = Field(ge=0, le=120)
    needs: list[str] = Field(default_factory=list)
    home_postcode: str | None = None
    home_lat: float | None = Field(default=None, ge=-90, le=90)
    home_lon: float | None = Field(default=None, ge=-180, le=180)
    home_network_id: str | None = None
    priority: int | None = Field(default=None, ge=1, le=MAX_PRIORITY)
    excluded_units: list[str] = Field(default_factory=list)
    legal_status: str | None = Field(default=None, max_length=64,
                                     description="informational (contract 1.2), e.g. "
                                                 "'section 3', 'informal'")

    @field_validator("patient_id")
    @classmethod
    def _no_id(cls, v: str | None) -> None:
        if v is not None:
            raise ValueError(_NEW_ID)

    @field_validator("service", "level", "sex", "home_postcode", "home_network_id",
                     "legal_status")
    @classmethod
    def _plain(cls, v: str | None) -> str | None:
        if v is not None and any(c in v for c in ",=;\n"):
            raise ValueError("must not contain , = ; or a line break")
        return v

    @field_validator("needs", "excluded_units")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        for t in v:
            if not t or any(c in t for c in ",=;\n"):
                raise ValueError("each entry: non-empty, without , = ; or a line break")
        return v

    def spec(self, patient_id: str) -> str:
        """The ``key=value,...`` form :func:`models.referral.read_referral` checks, under the
        id the service chose."""
        parts = [f"patient_id={patient_id}"]
        for key, value in self.model_dump(exclude_none=True).items():
            if isinstance(value, list):
                if not value:
                    continue
                value = ";".join(value)
            parts.append(f"{key}={value}")
        return ",".join(parts)


class SuggestRequest(_Strict):
    """Exactly one of ``patient_id`` (in the census) or ``referral`` (inline)."""

    patient_id: str | None = Field(default=None, max_length=128)
    referral: Referral | None = None
    top: int = Field(default=5, ge=0, le=50)
    allow_moves: int = Field(default=0, ge=0, le=3)


class MoveIn(_Strict):
    patient_id: str = Field(max_length=128)
    from_: str = Field(alias="from", max_length=128)
    to: str = Field(max_length=128)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AcceptRequest(_Strict):
    """Place one patient: an id in the census, or an inline referral to add and admit.

    The request states what it expects: ``action`` ``admit`` (the patient is a referral) or
    ``move`` (an inpatient in ``from``; taken from the quoted suggestion when left out). If
    the census differs now, the answer is 409 and nothing changes.
    """

    patient_id: str | None = Field(default=None, max_length=128)
    referral: Referral | None = None
    unit_id: str = Field(max_length=128)
    action: Literal["admit", "move"] = "admit"
    from_: str | None = Field(default=None, alias="from", max_length=128)
    moves: list[MoveIn] = Field(default_factory=list, max_length=10)
    reason: str = Field(default="", max_length=2000)
    suggestion_id: int | None = Field(default=None, ge=1, le=MAX_ID)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class JobRequest(_Strict):
    """A background job; ``start`` and ``nights`` are for ``kind: plan`` only (defaults: the
    census policy's ``[plan]``, else today and 28 nights)."""

    kind: Literal["reallocate", "scenario", "plan"]
    changes: str | None = Field(default=None, max_length=200_000,
                                description="CHANGES.toml text (scenario only)")
    network: str | None = Field(default=None, max_length=128)
    max_moves: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    max_admissions_per_unit: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    time_limit: float | None = Field(default=None, gt=0, le=3600)
    gap: float | None = Field(default=None, ge=0, le=1)
    distance: Literal["road", "geodesic"] | None = None
    start: dt.date | None = Field(default=None,
                                  description="plan: the first night (YYYY-MM-DD)")
    nights: int | None = Field(default=None, ge=1, le=MAX_NIGHTS, strict=True,
                               description=f"plan: how many nights (1-{MAX_NIGHTS})")

    @field_validator("start", mode="before")
    @classmethod
    def _iso_date(cls, v: object) -> object:
        # a date as the contract writes dates: not seconds since 1970, not a date-time
        if v is not None and not (isinstance(v, str) and _ISO_DATE.fullmatch(v)):
            raise ValueError("must be a date written YYYY-MM-DD")
        return v

    @field_validator("start")
    @classmethod
    def _sane_start(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and not FIRST_START <= v <= LAST_START:
            raise ValueError(f"must lie between {FIRST_START} and {LAST_START}")
        return v


class TokenRequest(_Strict):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class UnitBedsRequest(_Strict):
    """Open or close beds of a unit (a census change; audited)."""

    beds_closed: int = Field(ge=0, le=MAX_BEDS)
    reason: str = Field(default="", max_length=2000)
