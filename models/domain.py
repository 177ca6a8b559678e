"""The domain of bedplan: wards, patients, collaboratives, policy and the instance.

Everything here is a frozen dataclass so that an :class:`Instance` can be shared between
solves, cached and compared without defensive copies. Defaults are the contract's
(``docs/instance-format.md``, contract version 1.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal

Service = Literal["adult_secure", "camhs", "eating_disorder"]
Sex = Literal["male", "female", "mixed"]
Status = Literal["inpatient", "referral"]
DistanceMode = Literal["road", "geodesic"]

#: Levels (security level or ward type) that exist for each service, in the contract's order.
LEVELS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "adult_secure": ("high", "medium", "low"),
        "camhs": ("general", "picu", "low", "medium"),
        "eating_disorder": ("general",),
    }
)
SERVICES: tuple[str, ...] = tuple(LEVELS)

#: Default age range of a unit by service when age_min/age_max are blank.
DEFAULT_AGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"adult_secure": (18, 120), "camhs": (12, 17), "eating_disorder": (18, 120)}
)

EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Unit:
    """A ward: where patients can be placed."""

    unit_id: str
    network_id: str
    service: str
    level: str
    beds: int
    lat: float
    lon: float
    name: str = ""
    provider: str = ""
    provider_type: str = ""
    sex: str = "mixed"
    age_min: int | None = None
    age_max: int | None = None
    specialisms: frozenset[str] = EMPTY
    beds_closed: int = 0
    cost_per_day: float = 0.0
    postcode: str = ""
    specialist_only: bool = False
    accepts_referrals: bool = True
    function: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    @property
    def open_beds(self) -> int:
        """Beds usable tonight (commissioned minus closed)."""
        return self.beds - self.beds_closed

    @property
    def min_age(self) -> int:
        """age_min, or the service default."""
        return self.age_min if self.age_min is not None else DEFAULT_AGES[self.service][0]

    @property
    def max_age(self) -> int:
        """age_max, or the service default."""
        return self.age_max if self.age_max is not None else DEFAULT_AGES[self.service][1]


@dataclass(frozen=True, slots=True)
class Patient:
    """An inpatient (has a current unit) or a referral (needs a bed)."""

    patient_id: str
    status: str
    service: str
    level: str
    sex: str
    age: int
    home_lat: float
    home_lon: float
    home_network_id: str
    needs: frozenset[str] = EMPTY
    current_unit_id: str | None = None
    movable: bool = True
    priority: int = 1
    excluded_units: frozenset[str] = EMPTY
    admitted_on: date | None = None
    home_postcode: str = ""
    legal_status: str = ""
    expected_discharge: date | None = None
    arrives_on: date | None = None
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    @property
    def is_referral(self) -> bool:
        return self.status == "referral"


@dataclass(frozen=True, slots=True)
class Network:
    """A provider collaborative (the 'network' of networks.csv), not a road network."""

    network_id: str
    name: str = ""
    lead_provider: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Place:
    """A node of a custom travel network (geography/places.csv)."""

    place_id: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Link:
    """An undirected road link of a custom travel network (geography/links.csv)."""

    a: str
    b: str
    km: float


@dataclass(frozen=True, slots=True)
class Geography:
    """A custom travel network replacing the built-in England one for road distances."""

    places: tuple[Place, ...]
    links: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class Weights:
    """Objective weights (contract defaults)."""

    km: float = 1.0
    out_of_area: float = 50.0
    cost: float = 0.0
    move: float = 25.0
    delayed: float = 200.0
    unplaced: float = 1000.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Operational limits; None means no limit."""

    max_moves: int | None = None
    max_admissions_per_unit: int | None = None


@dataclass(frozen=True, slots=True)
class SolverSettings:
    """Which MIP solver and how long it may run."""

    name: str = "highs"
    time_limit: float | None = 60.0
    mip_gap: float = 0.0
    threads: int | None = None


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """``[plan]`` (contract 1.2): the nights ``bedplan plan`` looks at. ``start`` None means
    today, decided when the plan runs (never when the file is read)."""

    start: date | None = None
    nights: int = 28


@dataclass(frozen=True, slots=True)
class Policy:
    """policy.toml: distance mode, weights, limits, solver settings, plan horizon."""

    distance: str = "road"
    weights: Weights = Weights()
    limits: Limits = Limits()
    solver: SolverSettings = SolverSettings()
    plan: PlanSettings = PlanSettings()


@dataclass(frozen=True, slots=True)
class Instance:
    """Everything a run needs, read from one instance directory or workbook."""

    units: tuple[Unit, ...]
    patients: tuple[Patient, ...]
    networks: tuple[Network, ...] = ()
    policy: Policy = Policy()
    geography: Geography | None = None
    source: str = field(default="", compare=False)

    def unit_index(self) -> dict[str, int]:
        """unit_id → position in ``units``."""
        return {u.unit_id: i for i, u in enumerate(self.units)}

    def patient_index(self) -> dict[str, int]:
        """patient_id → position in ``patients``."""
        return {p.patient_id: i for i, p in enumerate(self.patients)}

    def occupancy(self) -> dict[str, int]:
        """Tonight's inpatients per unit_id (every unit listed, 0 when empty): a fresh dict."""
        counts = dict.fromkeys((u.unit_id for u in self.units), 0)
        for p in self.patients:
            if not p.is_referral and p.current_unit_id in counts:
                counts[p.current_unit_id] += 1
        return counts
