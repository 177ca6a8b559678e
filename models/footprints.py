"""Which provider collaborative is responsible for someone, from where they live.

Collaboratives commission for a population, not for the wards nearest to it, so a patient's
home collaborative follows their home area: postcode district → local authority (the
district's most common one, ``models/data/postcode_districts.csv``) → integrated care board
(``footprints_la.csv``; a few districts of split authorities in ``footprints_districts.csv``)
→ the collaborative of each service for that ICB (``footprints_icb.csv``). Nationally
commissioned care (high secure, CYP medium secure) has one national network. The tables,
their derivation and sources are described in ``models/data/LICENCE-FOOTPRINTS.md``; the
network ids are those of the England instance (``instances/england/networks.csv``).

Everything here is pure and cached: :func:`home_network` is what the England build, the
generator and ``suggest --referral`` call.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

#: Levels commissioned nationally in England, with their network id.
NATIONAL_NETWORKS: Mapping[tuple[str, str], str] = MappingProxyType(
    {("adult_secure", "high"): "high-secure-national",
     ("camhs", "medium"): "nhse-camhs-medium-secure"})

SERVICE_COLUMNS = ("adult_secure", "camhs", "eating_disorder")
_LA_CODE = re.compile(r"^E0[6-9]\d{6}$")
_FULL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def _rows(name: str) -> list[dict[str, str]]:
    path = resources.files("models") / "data" / name
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, dict[str, str]]]:
    """(district → la_code, la_code → icb, district → icb override, icb → row)."""
    district_la = {r["district"]: r["la_code"] for r in _rows("postcode_districts.csv")
                   if r["country"] == "E"}
    la_icb = {r["la_code"]: r["icb"] for r in _rows("footprints_la.csv")}
    override = {r["district"]: r["icb"] for r in _rows("footprints_districts.csv")}
    icbs = {r["icb"]: r for r in _rows("footprints_icb.csv")}
    return district_la, la_icb, override, icbs


def _district(area: str) -> str:
    code = re.sub(r"\s+", "", str(area)).upper()
    m = _FULL.match(code)
    return m.group(1) if m else code


def icb_of(area: str) -> str | None:
    """The ICB of an English local-authority code (``E06000001``), postcode district
    (``CT16``) or full postcode (``CT16 1AA``); None outside England or when unknown."""
    district_la, la_icb, override, _ = _tables()
    code = re.sub(r"\s+", "", str(area)).upper()
    if _LA_CODE.match(code):
        return la_icb.get(code)
    district = _district(code)
    if district in override:
        return override[district]
    la = district_la.get(district)
    return la_icb.get(la) if la else None


def nhs_region(area: str) -> str | None:
    """The NHS England region of an area (as :func:`icb_of` reads it)."""
    icb = icb_of(area)
    return _tables()[3][icb]["nhs_region"] if icb else None


def home_network(area: str, service: str, level: str | None = None) -> str | None:
    """The collaborative responsible for a patient of ``service`` (and ``level``) living in
    ``area`` (an LA code, a postcode district or a full postcode), or None when the area is
    not in England or is unknown. High secure and CYP medium secure are national."""
    if level is not None and (service, level) in NATIONAL_NETWORKS:
        return NATIONAL_NETWORKS[(service, level)]
    if service not in SERVICE_COLUMNS:
        return None
    icb = icb_of(area)
    return _tables()[3][icb][service] if icb else None


def footprint_networks() -> dict[str, frozenset[str]]:
    """Service → every regional network id some English area belongs to."""
    icbs = _tables()[3]
    return {s: frozenset(r[s] for r in icbs.values()) for s in SERVICE_COLUMNS}
