"""demand.csv: how many referrals a year arrive, per service, level and home collaborative.

``bedplan simulate`` estimates referral rates from the instance (docs/simulate.md); a
planner who knows better gives them in an optional ``demand.csv`` (its own file, or
``INSTANCE/demand.csv``)::

    service,level,home_network_id,referrals_per_year,mean_stay_days
    adult_secure,medium,east-midlands-impact,40,
    eating_disorder,general,se-ed,128,112

One row per stream; a stream not listed gets no referrals (the file replaces the estimate
whole, so what is simulated is what the file says). ``mean_stay_days`` (optional, > 0)
replaces the documented length of stay of that stream's referrals once admitted. Each
drawn referral copies the sex, age, needs and home of a patient of the instance with the
same service, level and home collaborative, so a stream with referrals needs at least one.
Every problem is reported with file, row and column (exit 2), all at once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from models.domain import LEVELS, SERVICES, Instance
from models.errors import InputError, Problem
from models.readers import read_csv
from models.validation import Checker

DEMAND_FILE = "demand.csv"
DEMAND_COLUMNS = ("service", "level", "home_network_id", "referrals_per_year",
                  "mean_stay_days")
#: More referrals a year than England's specialised beds times ten is a typing error.
MAX_REFERRALS_PER_YEAR = 1_000_000.0
#: Longer than a century is a typing error.
MAX_MEAN_STAY_DAYS = 36_500.0


@dataclass(frozen=True, slots=True)
class DemandRate:
    """Referrals a year of one (service, level, home collaborative), and how long they stay."""

    service: str
    level: str
    home_network_id: str
    referrals_per_year: float
    mean_stay_days: float | None = None
    row: int | None = None  # spreadsheet row of demand.csv, None when estimated


def find_demand(instance_path: str | os.PathLike[str]) -> Path | None:
    """``INSTANCE/demand.csv`` when the instance directory has one, else None."""
    path = Path(instance_path)
    candidate = path / DEMAND_FILE
    return candidate if path.is_dir() and candidate.is_file() else None


def read_demand(path: str | os.PathLike[str], instance: Instance) -> tuple[DemandRate, ...]:
    """demand.csv as rates, checked against ``instance``; InputError with every problem."""
    file = Path(path).name or DEMAND_FILE
    problems: list[Problem] = []
    table = read_csv(Path(path), file, DEMAND_COLUMNS, problems)
    if table is None:
        raise InputError(problems)
    ck = Checker(table, problems)
    ck.require_columns("service", "level", "home_network_id", "referrals_per_year")
    if problems:
        raise InputError(problems)
    services = ck.enum("service", SERVICES, required=True, what="service")
    all_levels = sorted({lv for levels in LEVELS.values() for lv in levels})
    levels = ck.enum("level", all_levels, required=True, what="level")
    for k, (service, level) in enumerate(zip(services, levels, strict=True)):
        if service is not None and level is not None and level not in LEVELS[service]:
            ck.report(k, "level", f"{level!r} is not a level of {service}: use "
                      f"{', '.join(LEVELS[service])}")
            levels[k] = None
    homes = ck.text("home_network_id", required=True)
    known = _network_ids(instance)
    ck.known("home_network_id", homes, known, "collaborative",
             " (not a network of the instance's networks.csv, units or patients)")
    rates = ck.cap("referrals_per_year",
                   ck.number("referrals_per_year", required=True, low=0.0),
                   MAX_REFERRALS_PER_YEAR)
    stays = ck.cap("mean_stay_days", ck.number("mean_stay_days", above=0.0),
                   MAX_MEAN_STAY_DAYS)
    seen: dict[tuple[str, str, str], int] = {}
    profiles = {(p.service, p.level, p.home_network_id) for p in instance.patients}
    out: list[DemandRate] = []
    for k in range(len(table)):
        service, level, home, rate = services[k], levels[k], homes[k], rates[k]
        if service is None or level is None or not home or home not in known or rate is None:
            continue
        key = (service, level, home)
        first = seen.setdefault(key, k)
        if first != k:
            ck.report(k, "home_network_id", f"{service} {level} for {home} is given twice "
                      f"(first on row {table.rows[first]})")
            continue
        if rate > 0 and key not in profiles:
            ck.report(k, "referrals_per_year", f"no patient of the instance has service "
                      f"{service}, level {level} and home collaborative {home}: the referrals' "
                      "sex, age, needs and home are drawn from such patients")
            continue
        out.append(DemandRate(service, level, home, float(rate), stays[k], table.rows[k]))
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    return tuple(out)


def _network_ids(instance: Instance) -> frozenset[str]:
    ids = {n.network_id for n in instance.networks}
    ids.update(u.network_id for u in instance.units)
    ids.update(p.home_network_id for p in instance.patients)
    return frozenset(ids)


def demand_csv(rates: Sequence[DemandRate]) -> str:
    """The rates as demand.csv text (what ``simulate`` estimated, for editing)."""
    lines = [",".join(DEMAND_COLUMNS)]
    for r in rates:
        stay = "" if r.mean_stay_days is None else f"{r.mean_stay_days:g}"
        lines.append(f"{r.service},{r.level},{r.home_network_id},"
                     f"{r.referrals_per_year:.6g},{stay}")
    return "\n".join(lines) + "\n"
