"""From raw tables to dataclasses, reporting every problem against the contract.

Each table is converted column by column over plain lists (fast enough for 100,000
patients); a problem names the file, the spreadsheet row and the column. Dataclasses are
built only when nothing is wrong, so a caller gets either a whole instance or every reason
why not.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from models import postcodes
from models.domain import (
    DEFAULT_AGES,
    EMPTY,
    LEVELS,
    Geography,
    Link,
    Network,
    Patient,
    Place,
    Unit,
)
from models.errors import Problem
from models.readers import Table

UNIT_COLUMNS = ("unit_id", "name", "provider", "provider_type", "network_id", "service",
                "level", "sex", "age_min", "age_max", "specialisms", "beds", "beds_closed",
                "cost_per_day", "lat", "lon", "postcode", "specialist_only",
                "accepts_referrals", "function")
PATIENT_COLUMNS = ("patient_id", "status", "service", "level", "sex", "age", "needs",
                   "home_lat", "home_lon", "home_network_id", "current_unit_id", "movable",
                   "priority", "excluded_units", "admitted_on", "home_postcode", "legal_status",
                   "expected_discharge", "arrives_on")
NETWORK_COLUMNS = ("network_id", "name", "lead_provider")
PLACE_COLUMNS = ("place_id", "lat", "lon")
LINK_COLUMNS = ("from", "to", "km")

#: Plausible coordinates: the British Isles — the UK (Scilly to Shetland), the Channel
#: Islands and the Isle of Man (Crown dependencies whose patients are placed in English wards)
#: and Ireland. The contract only says "WGS-84 degrees"; the box catches swapped or zero
#: coordinates and typos without refusing a real home in Jersey or Douglas.
UK_LAT = (49.0, 61.0)
UK_LON = (-11.0, 2.0)
#: With a custom geography/ the places may be anywhere: only WGS-84's own ranges apply.
WORLD_LAT = (-90.0, 90.0)
WORLD_LON = (-180.0, 180.0)
AGE_RANGE = (0, 120)
#: Sanity ceilings far beyond any real ward, so that a typo (or a fuzzer) cannot push a
#: number past what the solvers' 64-bit arithmetic holds.
MAX_BEDS = 1_000_000
MAX_PRIORITY = 1_000_000
MAX_COST_PER_DAY = 1e9

SERVICES = tuple(LEVELS)
UNIT_SEXES = ("male", "female", "mixed")
PATIENT_SEXES = ("male", "female")
STATUSES = ("inpatient", "referral")
PROVIDER_TYPES = ("nhs", "independent")
TRUE = frozenset({"true", "yes", "1"})
FALSE = frozenset({"false", "no", "0"})

T = TypeVar("T")
N = TypeVar("N", int, float)


def _choices(values: Sequence[str]) -> str:
    return ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else values[0]


def parse_int(text: str) -> int | None:
    """``12`` or ``12.0`` → 12; anything else (``12.5``, ``abc``, Python's ``4_1``) → None."""
    if "_" in text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    if math.isfinite(number) and number.is_integer():
        return int(number)
    return None


def parse_float(text: str) -> float | None:
    """A finite number, or None (Python's ``1_000`` is not a number in a CSV)."""
    if "_" in text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_date(text: str) -> dt.date | None:
    """An ISO date (a datetime's date part is accepted, as Excel exports them)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None


class Checker:
    """Column-wise conversion of one :class:`Table`, appending to a shared problem list."""

    def __init__(self, table: Table, problems: list[Problem]) -> None:
        self.table = table
        self.file = table.file
        self.rows = table.rows
        self.problems = problems

    def report(self, k: int | None, column: str | None, message: str) -> None:
        """A problem in data row ``k`` (index into the table), or in the header when None."""
        row = self.table.header_row if k is None else self.rows[k]
        self.problems.append(Problem(self.file, row, column, message))

    def require_columns(self, *names: str, hint: str = "") -> None:
        for name in names:
            if not self.table.has(name):
                self.report(None, name, "missing required column" + hint)

    def _convert(self, name: str, parse: Callable[[str], T | None], expect: str, *,
                 required: bool, check: Callable[[T], bool] | None = None,
                 rule: str = "") -> list[T | None]:
        """Parse every value of ``name``; blank → None (reported when required)."""
        values = self.table.column(name)
        out: list[T | None] = [None] * len(values)
        report_blank = required and self.table.has(name)
        for k, text in enumerate(values):
            if not text:
                if report_blank:
                    self.report(k, name, "required, but blank")
                continue
            value = parse(text)
            if value is None:
                self.report(k, name, f"{text!r} is not {expect}")
            elif check is not None and not check(value):
                self.report(k, name, f"must be {rule}, got {text}")
            else:
                out[k] = value
        return out

    def text(self, name: str, *, required: bool = False) -> list[str]:
        values = self.table.column(name)
        if required and self.table.has(name):
            for k, text in enumerate(values):
                if not text:
                    self.report(k, name, "required, but blank")
        return values

    def enum(self, name: str, choices: Sequence[str], *, required: bool = False,
             what: str = "") -> list[str | None]:
        allowed = frozenset(choices)
        label = what or name

        def parse(text: str) -> str | None:
            low = text.lower()
            return low if low in allowed else None

        return self._convert(name, parse, f"a {label}: use {_choices(choices)}",
                             required=required)

    def integer(self, name: str, *, required: bool = False, low: int | None = None,
                high: int | None = None) -> list[int | None]:
        check, rule = _bounds(low, high)
        return self._convert(name, parse_int, "a whole number", required=required,
                             check=check, rule=rule)

    def cap(self, name: str, values: list[N | None], ceiling: float) -> list[N | None]:
        """Refuse values above a sanity ceiling (reported, then treated as missing)."""
        for k, value in enumerate(values):
            if value is not None and value > ceiling:
                self.report(k, name, f"{value:g} is implausibly large (at most {ceiling:g})")
                values[k] = None
        return values

    def number(self, name: str, *, required: bool = False, low: float | None = None,
               high: float | None = None, above: float | None = None) -> list[float | None]:
        if above is not None:
            def check(v: float) -> bool:
                return v > above
            return self._convert(name, parse_float, "a number", required=required,
                                 check=check, rule=f"> {above:g}")
        check_b, rule = _bounds(low, high)
        return self._convert(name, parse_float, "a number", required=required,
                             check=check_b, rule=rule)

    def boolean(self, name: str) -> list[bool | None]:
        def parse(text: str) -> bool | None:
            low = text.lower()
            return True if low in TRUE else False if low in FALSE else None

        return self._convert(name, parse, "true or false (true, false, yes, no, 1 or 0)",
                             required=False)

    def date(self, name: str) -> list[dt.date | None]:
        return self._convert(name, parse_date, "a date (YYYY-MM-DD)", required=False)

    def tags(self, name: str, *, lower: bool) -> list[frozenset[str]]:
        """``;``-separated tags (lower-cased) or ids (kept as written); empties dropped."""
        cache: dict[str, frozenset[str]] = {"": EMPTY}
        out: list[frozenset[str]] = []
        for text in self.table.column(name):
            value = cache.get(text)
            if value is None:
                parts = (t.strip() for t in text.split(";"))
                value = frozenset(t.lower() if lower else t for t in parts if t)
                cache[text] = value
            out.append(value)
        return out

    def unique(self, name: str, values: Sequence[str]) -> None:
        first: dict[str, int] = {}
        for k, value in enumerate(values):
            if not value:
                continue
            seen = first.setdefault(value, k)
            if seen != k:
                self.report(k, name, f"duplicate {name} {value!r} (first on row "
                            f"{self.rows[seen]})")

    def known(self, name: str, values: Sequence[str], ids: Collection[str], what: str,
              note: str = "") -> None:
        for k, value in enumerate(values):
            if value and value not in ids:
                self.report(k, name, f"unknown {what} {value!r}{note}")

    def coordinates(self, lat: str, lon: str, postcode: str | None, *, world: bool = False
                    ) -> tuple[list[float | None], list[float | None]]:
        """lat/lon, or the postcode's centroid when both are blank (coordinates win).

        ``world``: a custom geography/ is in use, so any WGS-84 coordinate is valid.
        """
        has_pc = postcode is not None and self.table.has(postcode)
        hint = f" (or give {postcode})" if postcode else ""
        both = self.table.has(lat) and self.table.has(lon)
        if not has_pc or self.table.has(lat) or self.table.has(lon):
            self.require_columns(lat, lon, hint=hint)
        n = len(self.rows)
        lats: list[float | None] = self.number(lat) if both else [None] * n
        lons: list[float | None] = self.number(lon) if both else [None] * n
        lat_text = self.table.column(lat) if both else [""] * n
        lon_text = self.table.column(lon) if both else [""] * n
        codes = self.table.column(postcode) if has_pc and postcode else None
        cache: dict[str, tuple[float, float] | None] = {}
        lat_lo, lat_hi = WORLD_LAT if world else UK_LAT
        lon_lo, lon_hi = WORLD_LON if world else UK_LON
        region = "WGS-84 range" if world else "British Isles"
        for k in range(len(self.rows)):
            a_text, o_text = lat_text[k], lon_text[k]
            if a_text or o_text:
                if not a_text:
                    self.report(k, lat, f"blank while {lon} is given")
                if not o_text:
                    self.report(k, lon, f"blank while {lat} is given")
                a, o = lats[k], lons[k]
                if a is None or o is None:
                    lats[k] = lons[k] = None
                    continue
                swapped = lat_lo <= o <= lat_hi and lon_lo <= a <= lon_hi
                hint_swap = f"; are {lat} and {lon} swapped?" if swapped else ""
                if not lat_lo <= a <= lat_hi:
                    self.report(k, lat, f"{a:g} is outside the {region} "
                                f"(latitude {lat_lo} to {lat_hi}){hint_swap}")
                    lats[k] = None
                if not lon_lo <= o <= lon_hi:
                    self.report(k, lon, f"{o:g} is outside the {region} "
                                f"(longitude {lon_lo} to {lon_hi}){hint_swap}")
                    lons[k] = None
                continue
            code = codes[k] if codes is not None else ""
            if not code:
                if both or has_pc:
                    self.report(k, lat, f"required, but blank: give {lat} and {lon}{hint}")
                continue
            if code not in cache:
                cache[code] = postcodes.resolve(code) if postcodes.is_postcode_like(code) \
                    else None
            found = cache[code]
            if found is None:
                self.report(k, postcode, f"unknown postcode {code!r}")
                continue
            a, o = found
            if not (lat_lo <= a <= lat_hi and lon_lo <= o <= lon_hi):
                self.report(k, postcode, f"postcode {code!r} is outside the UK")
                continue
            lats[k], lons[k] = a, o
        return lats, lons

    def extras(self, contract: Collection[str]) -> list[tuple[tuple[str, str], ...]]:
        """Each row's unknown columns as (name, value) pairs, in header order."""
        names = [n for n in self.table.names if n not in contract]
        if not names:
            return [()] * len(self.rows)
        cols = [self.table.columns[n] for n in names]
        return [tuple(zip(names, values, strict=True)) for values in zip(*cols, strict=True)]


def _bounds(low: float | None, high: float | None
            ) -> tuple[Callable[[Any], bool] | None, str]:
    if low is not None and high is not None:
        return (lambda v: low <= v <= high), f"between {low:g} and {high:g}"
    if low is not None:
        return (lambda v: v >= low), f">= {low:g}"
    if high is not None:
        return (lambda v: v <= high), f"<= {high:g}"
    return None, ""


def _levels(ck: Checker, services: Sequence[str | None]) -> list[str | None]:
    """The level column, checked against the levels that exist for each row's service."""
    all_levels = sorted({lv for levels in LEVELS.values() for lv in levels})
    levels = ck.enum("level", all_levels, required=True)
    for k, (service, level) in enumerate(zip(services, levels, strict=True)):
        if service is not None and level is not None and level not in LEVELS[service]:
            ck.report(k, "level", f"{level!r} is not a level of {service}: use "
                      f"{_choices(LEVELS[service])}")
            levels[k] = None
    return levels


def check_networks(table: Table, problems: list[Problem]) -> list[Network]:
    """networks.csv → Network rows (built only when the table has no problem)."""
    before = len(problems)
    ck = Checker(table, problems)
    ck.require_columns("network_id")
    ids = ck.text("network_id", required=True)
    ck.unique("network_id", ids)
    if len(problems) > before:
        return []
    names, leads = ck.text("name"), ck.text("lead_provider")
    extras = ck.extras(NETWORK_COLUMNS)
    return [Network(network_id=i, name=n, lead_provider=ld, extra=e)
            for i, n, ld, e in zip(ids, names, leads, extras, strict=True)]


def check_units(table: Table, problems: list[Problem],
                network_ids: Collection[str] | None, *, world: bool = False) -> list[Unit]:
    """units.csv → Unit rows; ``network_ids`` is None when there is no networks.csv.

    ``world``: the instance has its own geography/, so coordinates are not boxed.
    """
    before = len(problems)
    ck = Checker(table, problems)
    ck.require_columns("unit_id", "network_id", "service", "level", "beds")
    ids = ck.text("unit_id", required=True)
    ck.unique("unit_id", ids)
    networks = ck.text("network_id", required=True)
    if network_ids is not None:
        ck.known("network_id", networks, network_ids, "network", " (not in networks.csv)")
    services = ck.enum("service", SERVICES, required=True, what="service")
    levels = _levels(ck, services)
    sexes = ck.enum("sex", UNIT_SEXES, what="ward sex")
    kinds = ck.enum("provider_type", PROVIDER_TYPES, what="provider type")
    age_min = ck.integer("age_min", low=AGE_RANGE[0], high=AGE_RANGE[1])
    age_max = ck.integer("age_max", low=AGE_RANGE[0], high=AGE_RANGE[1])
    for k, (service, lo, hi) in enumerate(zip(services, age_min, age_max, strict=True)):
        if service is None or (lo is None and hi is None):
            continue
        d_lo, d_hi = DEFAULT_AGES[service]
        lo_e, hi_e = (lo if lo is not None else d_lo), (hi if hi is not None else d_hi)
        if lo_e > hi_e:
            told = "" if lo is not None and hi is not None else f" ({service} default)"
            ck.report(k, "age_min", f"age_min {lo_e} is above age_max {hi_e}{told}")
    beds = ck.cap("beds", ck.integer("beds", required=True, low=0), MAX_BEDS)
    closed = ck.cap("beds_closed", ck.integer("beds_closed", low=0), MAX_BEDS)
    for k, (b, c) in enumerate(zip(beds, closed, strict=True)):
        if b is not None and c is not None and c > b:
            ck.report(k, "beds_closed", f"{c} closed beds but only {b} beds")
    costs = ck.cap("cost_per_day", ck.number("cost_per_day", low=0), MAX_COST_PER_DAY)
    specialist = ck.boolean("specialist_only")
    referrals = ck.boolean("accepts_referrals")
    lats, lons = ck.coordinates("lat", "lon", "postcode", world=world)
    if len(problems) > before:
        return []
    names, providers = ck.text("name"), ck.text("provider")
    specialisms = ck.tags("specialisms", lower=True)
    codes = ck.text("postcode")
    functions = ck.text("function")
    extras = ck.extras(UNIT_COLUMNS)
    units: list[Unit] = []
    for k in range(len(table)):
        units.append(Unit(
            unit_id=ids[k], network_id=networks[k], service=_v(services[k]),
            level=_v(levels[k]), beds=_v(beds[k]), lat=_v(lats[k]), lon=_v(lons[k]),
            name=names[k], provider=providers[k], provider_type=kinds[k] or "",
            sex=sexes[k] or "mixed", age_min=age_min[k], age_max=age_max[k],
            specialisms=specialisms[k], beds_closed=closed[k] or 0,
            cost_per_day=costs[k] or 0.0, postcode=codes[k],
            specialist_only=bool(specialist[k]),
            accepts_referrals=True if referrals[k] is None else bool(referrals[k]),
            function=functions[k], extra=extras[k]))
    return units


def check_patients(table: Table, problems: list[Problem], unit_ids: Collection[str] | None,
                   network_ids: Collection[str] | None, *, world: bool = False
                   ) -> list[Patient]:
    """patients.csv → Patient rows; unknown ids are checked only when the list is known.

    ``world``: the instance has its own geography/, so coordinates are not boxed.
    """
    before = len(problems)
    ck = Checker(table, problems)
    ck.require_columns("patient_id", "status", "service", "level", "sex", "age",
                       "home_network_id")
    ids = ck.text("patient_id", required=True)
    ck.unique("patient_id", ids)
    statuses = ck.enum("status", STATUSES, required=True, what="status")
    services = ck.enum("service", SERVICES, required=True, what="service")
    levels = _levels(ck, services)
    sexes = ck.enum("sex", PATIENT_SEXES, required=True, what="patient sex")
    ages = ck.integer("age", required=True, low=AGE_RANGE[0], high=AGE_RANGE[1])
    homes = ck.text("home_network_id", required=True)
    if network_ids is not None:
        ck.known("home_network_id", homes, network_ids, "network",
                 " (not in networks.csv)")
    current = ck.text("current_unit_id")
    has_current = table.has("current_unit_id")
    if not has_current and any(s == "inpatient" for s in statuses):
        ck.report(None, "current_unit_id", "missing column, required for inpatients")
    for k, (status, unit) in enumerate(zip(statuses, current, strict=True)):
        if status == "referral" and unit:
            ck.report(k, "current_unit_id", f"a referral has a current unit {unit!r}: leave it "
                      "empty, or set status to inpatient")
        elif status == "inpatient" and not unit and has_current:
            ck.report(k, "current_unit_id", "an inpatient needs the unit they are in now")
        elif unit and unit_ids is not None and unit not in unit_ids:
            ck.report(k, "current_unit_id", f"unknown unit {unit!r}")
    movable = ck.boolean("movable")
    priority = ck.cap("priority", ck.integer("priority", low=1), MAX_PRIORITY)
    excluded = ck.tags("excluded_units", lower=False)
    if unit_ids is not None:
        for k, ex in enumerate(excluded):
            for uid in sorted(u for u in ex if u not in unit_ids):
                ck.report(k, "excluded_units", f"unknown unit {uid!r}")
    admitted = ck.date("admitted_on")
    leaving = ck.date("expected_discharge")
    arriving = ck.date("arrives_on")
    for k, (status, out, due) in enumerate(zip(statuses, leaving, arriving, strict=True)):
        if status == "referral" and out is not None:
            ck.report(k, "expected_discharge", "a referral has an expected_discharge: it is for "
                      "inpatients only (a referral's first possible night is arrives_on)")
        elif status == "inpatient" and due is not None:
            ck.report(k, "arrives_on", "an inpatient has an arrives_on date: it is for referrals "
                      "only (an inpatient's leaving date is expected_discharge)")
    lats, lons = ck.coordinates("home_lat", "home_lon", "home_postcode", world=world)
    if len(problems) > before:
        return []
    needs = ck.tags("needs", lower=True)
    codes = ck.text("home_postcode")
    legal = ck.text("legal_status")
    extras = ck.extras(PATIENT_COLUMNS)
    return [
        Patient(patient_id=ids[k], status=_v(statuses[k]), service=_v(services[k]),
                level=_v(levels[k]), sex=_v(sexes[k]), age=_v(ages[k]), home_lat=_v(lats[k]),
                home_lon=_v(lons[k]), home_network_id=homes[k], needs=needs[k],
                current_unit_id=current[k] or None,
                movable=True if movable[k] is None else bool(movable[k]),
                priority=priority[k] or 1, excluded_units=excluded[k],
                admitted_on=admitted[k], home_postcode=codes[k], legal_status=legal[k],
                expected_discharge=leaving[k], arrives_on=arriving[k], extra=extras[k])
        for k in range(len(table))
    ]


def check_geography(places: Table, links: Table, problems: list[Problem]) -> Geography | None:
    """geography/places.csv + links.csv → Geography (None when anything is wrong)."""
    before = len(problems)
    pc = Checker(places, problems)
    pc.require_columns(*PLACE_COLUMNS)
    ids = pc.text("place_id", required=True)
    pc.unique("place_id", ids)
    lats = pc.number("lat", required=True, low=-90, high=90)
    lons = pc.number("lon", required=True, low=-180, high=180)
    if len(places) == 0 and places.has("place_id"):
        problems.append(Problem(places.file, None, None, "no places: a custom travel network "
                                "needs at least one place"))
    lc = Checker(links, problems)
    lc.require_columns(*LINK_COLUMNS)
    known = frozenset(ids)
    ends_a = lc.text("from", required=True)
    ends_b = lc.text("to", required=True)
    if places.has("place_id"):
        lc.known("from", ends_a, known, "place")
        lc.known("to", ends_b, known, "place")
    kms = lc.number("km", required=True, above=0)
    if len(problems) > before:
        return None
    return Geography(
        places=tuple(Place(i, _v(a), _v(o)) for i, a, o in zip(ids, lats, lons, strict=True)),
        links=tuple(Link(a, b, _v(km)) for a, b, km in zip(ends_a, ends_b, kms, strict=True)))


def _v(value: T | None) -> T:
    """A value already checked to be present (only called when there is no problem)."""
    assert value is not None
    return value


def sort_problems(problems: list[Problem], order: Mapping[str, int] | None = None
                  ) -> list[Problem]:
    """File by file (in the order files were read), then by row; stable otherwise."""
    rank: dict[str, int] = dict(order or {})
    for p in problems:
        rank.setdefault(p.file, len(rank))
    return sorted(problems, key=lambda p: (rank[p.file], p.row or 0))
