"""Build ``instances/england/`` and ``instances/england-12-weeks/`` from the England data.

    python scripts/build_england.py [--data DIR] [--out DIR] [--seed N]

One run writes both: ``england/`` is tonight's census (inpatients and the referrals waiting
tonight), what ``reallocate``, ``suggest`` and the service read; ``england-12-weeks/`` holds
the same units.csv, networks.csv and policy.toml, byte for byte, and the same patients plus
the referrals expected over the next 12 weeks (``arrives_on``), for ``bedplan plan`` and
simulations. Contract 1.2 reads ``arrives_on`` in ``plan`` only: every other command would
take those referrals as tonight's, so they must not be in tonight's census.

Inputs (all in ``scripts/data/england/``, so a clone of the repository rebuilds it):
``shared/`` (a copy of the shared England data set), the research files
``units-found.csv``, ``bed-counts-found.csv``, ``ward-splits.csv`` and ``ward-functions.csv``
(each read when present), and this build's own ``networks.csv`` (collaboratives, leads,
footprints, sources) and ``prices.csv`` (cost per bed-day by service, level and provider
type). Units: every row of the shared list, site rows split into their wards, the real units
found since, missing counts imputed by documented rules, and, to bring each service's beds to
the national figure, clearly marked imputed wards at real sites; every row records its source
and what was imputed in extra columns. Each unit belongs to the collaborative whose footprint
holds its site (:mod:`models.footprints`). Patients: synthetic and pseudonymous, from
:func:`models.generate.populate_patients` with a fixed seed (homes by population, home
collaborative by footprint, dates around ``[plan] start``), so rerunning the script gives
byte-identical files. The READMEs of both instances are written from the same run.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import calibration as cal  # noqa: E402
from models.atomic import atomic_write  # noqa: E402
from models.compatibility import is_compatible  # noqa: E402
from models.domain import Instance, Network, Patient, Policy, Unit  # noqa: E402
from models.footprints import NATIONAL_NETWORKS, home_network  # noqa: E402
from models.generate import (  # noqa: E402
    england_areas,
    footprint_home_model,
    haversine_km,
    populate_patients,
)
from models.io import validate, write_instance  # noqa: E402

SEED = 20260115
DATA = ROOT / "scripts" / "data" / "england"
NATIONAL = dict(NATIONAL_NETWORKS)
#: National bed totals by service (calibration; 5% is the tolerance of the tests).
SERVICE_BEDS = {"adult_secure": cal.ADULT_SECURE_BEDS, "camhs": cal.CAMHS_BEDS,
                "eating_disorder": cal.EATING_DISORDER_BEDS}
SERVICE_WORDS = {"adult_secure": "adult secure", "camhs": "CAMHS",
                 "eating_disorder": "adult eating disorder"}
_TRUE = {"true", "yes", "1"}

#: Site totals stated in england-facts.md rather than in the unit names.
FACT_TOTALS: dict[str, tuple[tuple[str, ...], int, str]] = {
    "Ashworth": (
        tuple(f"hs-ashworth-{w}" for w in (
            "arnold", "blake", "carlyle", "dickens", "johnson", "keats", "lawrence",
            "macaulay", "newman", "owen", "ruskin", "shelley", "turner")),
        210, "Ashworth has 13 wards and beds for 210 patients (Mersey Care)"),
    "NSFT secure": (
        ("nsft-northside-catton", "nsft-northside-drayton", "nsft-northside-blakeney",
         "nsft-hellesdon-whitlingham", "nsft-foxhall"),
        82, "NSFT's secure services were reconfigured from 80 to 82 beds (NSFT)"),
}
#: Site rows listing their wards by name without a count.
SITE_WARDS = {"humber-hcfp": 5}
#: Age ranges the regexes below cannot read safely (a site row naming one lodge's ages).
AGES = {"sch-becton": (5, 17)}
#: Wards whose name says they take no admissions.
CLOSED = {"ely-sabp-emeraldplace": "admissions paused Aug 2024"}

_SITE_ROW = re.compile(r"\(site\b|\bsite[;:)]|; site\)|\bservice line\b", re.I)
_TOTAL = re.compile(r"(\d+) beds over (\d+)")
_MED_LOW = re.compile(r"(\d+) medium \+ (\d+) low secure beds")
_WARD_COUNT = re.compile(r"\b(\d+) (?:wards|lodges)\b")
_FEMALE = re.compile(r"\b(women|women's|female|girls)\b", re.I)
_MALE = re.compile(r"\b(men|men's|male|boys)\b", re.I)
_AGES = re.compile(r"(?:ages?|aged|boys|girls)\s+(\d{1,2})\s*[-–]\s*(\d{1,2})", re.I)
_AGE_SPAN = re.compile(r"\b(\d{2})-(\d{2}) eating disorder ward")
_OLDER = re.compile(r"\bover (\d{2})\b|\bolder (?:men|women)\b", re.I)
SPECIALISM_PATTERNS = {
    "ld": re.compile(r"(?i:learning disabilit)|\bLD\b"),
    "asd": re.compile(r"autis", re.I),
    "pd": re.compile(r"personality disorder", re.I),
    "deaf": re.compile(r"\bdeaf\b", re.I),
    "abi": re.compile(r"brain injury", re.I),
    "wemss": re.compile(r"\bWEMSS\b"),
}
_CAMHS_ED = re.compile(r"eating disorder|disordered-eating", re.I)


@dataclass
class Row:
    """One unit row while imputing: the list's columns, then what the research files and
    the rules below say about it."""

    data: dict[str, str]
    beds: int | None
    beds_rule: str = ""
    sex: str = ""
    sex_rule: str = ""
    origin: str = "shared list"
    ward: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.data["service"], self.data["level"])


def _split(total: int, n: int) -> list[int]:
    """``total`` split over ``n`` wards as evenly as integers allow (larger first)."""
    base, rest = divmod(total, n)
    return [base + (1 if i < rest else 0) for i in range(n)]


def impute_beds(rows: list[Row]) -> None:
    """Fill ``beds`` where unknown, in order: stated site totals, fact totals, ward counts."""
    by_id = {r.data["unit_id"]: r for r in rows}
    # 1. "N beds over W wards" in the name: N minus the known wards of the same site and
    #    level, split over the unknown ones.
    groups: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in rows:
        m = _TOTAL.search(r.data["name"])
        if m:
            groups[(r.data["site"], r.data["level"], m.group(0))].append(r)
    for (site, level, text), members in groups.items():
        total = int(_TOTAL.search(text).group(1))  # type: ignore[union-attr]
        known = sum(r.beds or 0 for r in rows if r.data["site"] == site
                    and r.data["level"] == level and r.beds is not None)
        unknown = [r for r in members if r.beds is None]
        for r, b in zip(unknown, _split(total - known, len(unknown)), strict=True):
            r.beds, r.beds_rule = b, f"site total in name: {text} (minus {known} known)"
    # 2. "60 medium + 15 low secure beds" (Wellesley).
    for r in rows:
        m = _MED_LOW.search(r.data["name"])
        if m and r.beds is None:
            level_total = int(m.group(1)) if r.data["level"] == "medium" else int(m.group(2))
            peers = [p for p in rows if p.data["site"] == r.data["site"]
                     and p.data["level"] == r.data["level"] and _MED_LOW.search(p.data["name"])]
            for p, b in zip(peers, _split(level_total, len(peers)), strict=True):
                if p.beds is None:
                    p.beds = b
                    p.beds_rule = f"site total in name: {m.group(0)}"
    # 3. Totals from england-facts.md.
    for ids, total, fact in FACT_TOTALS.values():
        members = [by_id[i] for i in ids if i in by_id]
        known = sum(r.beds for r in members if r.beds is not None)
        unknown = [r for r in members if r.beds is None]
        for r, b in zip(unknown, _split(total - known, len(unknown)), strict=True):
            r.beds, r.beds_rule = b, f"site total from facts: {fact}"
    # 4. Site rows: wards x typical ward size; 5. other wards: the typical ward size.
    for r in rows:
        if r.beds is not None:
            continue
        typical = cal.TYPICAL_WARD_BEDS[r.key]
        name = r.data["name"]
        if _SITE_ROW.search(name):
            m = _WARD_COUNT.search(name)
            wards = (int(m.group(1)) if m else SITE_WARDS.get(r.data["unit_id"],
                                                              cal.SITE_WARDS_DEFAULT))
            how = "wards named" if m or r.data["unit_id"] in SITE_WARDS else "assumed"
            r.beds = wards * typical
            r.beds_rule = f"site row: {wards} wards ({how}) x typical {typical}"
        else:
            r.beds, r.beds_rule = typical, f"typical ward size {typical}"


def impute_sex(r: Row) -> None:
    """Blank sex: from the name's words, else by service (see the module docstring)."""
    if r.data["sex"]:
        r.sex = r.data["sex"]
        return
    name = _TOTAL.split(r.data["name"])[0]  # "7 male and 1 female" describes the site
    female, male = bool(_FEMALE.search(name)), bool(_MALE.search(name))
    service, level = r.key
    if female and male:
        r.sex, r.sex_rule = "mixed", "name mentions men and women"
    elif female or male:
        r.sex, r.sex_rule = ("female" if female else "male"), "from the name"
    elif service == "adult_secure" and level == "high":
        r.sex, r.sex_rule = "male", "high secure is male apart from Rampton women's service"
    elif service == "adult_secure" and _SITE_ROW.search(r.data["name"]):
        r.sex, r.sex_rule = "mixed", "site row: wards of either sex"
    elif service == "adult_secure":
        r.sex, r.sex_rule = "male", "secure wards are single-sex and mostly male"
    else:
        r.sex, r.sex_rule = "mixed", f"{service} wards are mostly mixed"


def ages(r: Row) -> tuple[int | None, int | None]:
    """age_min, age_max from the name (None: the service default)."""
    uid, name, service = r.data["unit_id"], r.data["name"], r.data["service"]
    if uid in AGES:
        return AGES[uid]
    m = _AGES.search(name) or _AGE_SPAN.search(name)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if service == "camhs" and hi == 18:  # "12-18" means up to the 18th birthday
            hi = 17
        return lo, hi
    m = _OLDER.search(name)
    if m:
        return (int(m.group(1)) if m.group(1) else 50), None
    return None, None


def specialisms(r: Row) -> frozenset[str]:
    """Pathway tags the name states."""
    name = r.data["name"]
    tags = {t for t, pat in SPECIALISM_PATTERNS.items() if pat.search(name)}
    if r.data["service"] == "camhs" and _CAMHS_ED.search(name):
        tags.add("ed")
    return frozenset(tags)


# ----------------------------------------------------------------------------- reading


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file as text (an absent research file is no rows)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [{k: (v or "").strip() for k, v in r.items() if k} for r in csv.DictReader(fh)]


def _int(text: str) -> int | None:
    return int(float(text)) if text.strip() else None


def load_rows(data: Path) -> list[Row]:
    """The shared list with the research applied: bed counts found, site rows split into their
    wards (a split row inherits its site's columns; split rows without a count share what is
    left of the site's stated total, evenly), then the real units found."""
    rows = [Row(data=d, beds=_int(d["beds"])) for d in read_csv(data / "shared" /
                                                                "england-units.csv")]
    found_beds = {r["unit_id"]: r for r in read_csv(data / "bed-counts-found.csv")}
    for r in rows:
        f = found_beds.get(r.data["unit_id"])
        if f and _int(f["beds"]) is not None:
            r.beds = _int(f["beds"])
            r.origin = "shared list; beds found"
            r.data["source"] = f"{r.data['source']} ; beds: {f['source']}"
    splits: dict[str, list[dict[str, str]]] = defaultdict(list)
    for s in read_csv(data / "ward-splits.csv"):
        splits[s["replaces_unit_id"]].append(s)
    out: list[Row] = []
    for r in rows:
        parts = splits.get(r.data["unit_id"])
        out.extend(_split_rows(r, parts) if parts else [r])
    known = {r.data["unit_id"] for r in out}
    for f in read_csv(data / "units-found.csv"):
        if f["unit_id"] in known:
            continue
        d = {k: f.get(k, "") for k in ("unit_id", "name", "site", "provider", "provider_type",
                                       "network_id", "service", "level", "sex", "beds",
                                       "postcode", "lat", "lon", "source")}
        out.append(Row(data=d, beds=_int(f["beds"]), origin="found", ward=_ward(f),
                       notes=[f["note"]] if f.get("note") else []))
    return out


def _ward(d: dict[str, str]) -> dict[str, str]:
    return {k: d[k] for k in ("specialisms", "specialist_only", "accepts_referrals",
                              "function") if d.get(k)}


def _split_rows(site: Row, parts: list[dict[str, str]]) -> list[Row]:
    stated = sum(_int(p["beds"]) or 0 for p in parts)
    blank = [p for p in parts if _int(p["beds"]) is None]
    share = (_split(site.beds - stated, len(blank)) if site.beds is not None and blank
             and site.beds > stated else [])
    out = []
    for p in parts:
        d = dict(site.data)
        d.update(unit_id=p["unit_id"], name=f"{p['name']} ({site.data['site']})",
                 sex=p["sex"], level=p["level"] or site.data["level"],
                 source=p["source"] or site.data["source"])
        beds, rule = _int(p["beds"]), ""
        if beds is not None and p.get("beds_imputed", "").lower() in _TRUE:
            rule = f"ward split: {p.get('note', '') or 'apportioned by the ward research'}"
        elif beds is None and share:
            beds = share.pop(0)
            rule = f"ward split: {site.beds} site beds less {stated} stated, shared evenly"
        out.append(Row(data=d, beds=beds, beds_rule=rule, origin=f"split of {site.data['unit_id']}",
                       ward=_ward(p), notes=[p["note"]] if p.get("note") else []))
    return out


def apply_ward_functions(rows: list[Row], data: Path) -> None:
    """ward-functions.csv: per unit, any of specialisms, specialist_only, accepts_referrals,
    function and sex it states replaces the list's (its rule and source are kept)."""
    by_id = {r["unit_id"]: r for r in read_csv(data / "ward-functions.csv")}
    for r in rows:
        w = by_id.get(r.data["unit_id"])
        if not w:
            continue
        r.ward.update(_ward(w))
        if w.get("sex"):
            r.data["sex"], r.sex_rule = w["sex"], ""
        if w.get("rule"):
            r.ward["rule"] = w["rule"]


# ----------------------------------------------------------------------------- units


def _district_of(d: dict[str, str]) -> str:
    """The postcode district of a site: from its postcode, else the nearest English district."""
    code = re.sub(r"\s+", "", d["postcode"]).upper()
    if code:
        return code[:-3] if len(code) > 4 else code
    areas = england_areas()
    km = haversine_km(areas.lat, areas.lon, float(d["lat"]), float(d["lon"]))
    return str(areas.code[int(np.argmin(km))])


def _network(d: dict[str, str]) -> str:
    """The collaborative responsible for a site's service: national, else by footprint."""
    nat = NATIONAL.get((d["service"], d["level"]))
    return nat or home_network(_district_of(d), d["service"]) or d["network_id"]


def make_unit(r: Row, prices: dict[tuple[str, str, str], float]) -> Unit:
    d = r.data
    lo, hi = ages(r)
    assert r.beds is not None
    closed = r.beds if d["unit_id"] in CLOSED else 0
    tags = (frozenset(t for t in r.ward["specialisms"].split(";") if t)
            if r.ward.get("specialisms") else specialisms(r))
    only = r.ward.get("specialist_only", "").lower() in _TRUE and bool(tags)
    takes = r.ward.get("accepts_referrals", "true").lower() in _TRUE
    network = _network(d)
    moved = (f"network: {d['network_id']} -> {network}, the collaborative whose footprint "
             "holds the site" if d["network_id"] and network != d["network_id"] else "")
    rules = [x for x in (r.beds_rule and f"beds: {r.beds_rule}",
                         r.sex_rule and f"sex: {r.sex_rule}",
                         d["unit_id"] in CLOSED and f"closed: {CLOSED[d['unit_id']]}", moved)
             if x]
    return Unit(
        unit_id=d["unit_id"], name=d["name"], provider=d["provider"],
        provider_type=d["provider_type"], network_id=network, service=d["service"],
        level=d["level"], sex=r.sex, age_min=lo, age_max=hi, specialisms=tags, beds=r.beds,
        beds_closed=closed, cost_per_day=prices[(d["service"], d["level"], d["provider_type"])],
        lat=float(d["lat"]), lon=float(d["lon"]), postcode=d["postcode"],
        specialist_only=only, accepts_referrals=takes, function=r.ward.get("function", ""),
        extra=(("site", d["site"]), ("origin", r.origin),
               ("beds_imputed", "true" if r.beds_rule else "false"),
               ("sex_imputed", "true" if r.sex_rule else "false"),
               ("imputation", "; ".join(rules)), ("ward_rule", r.ward.get("rule", "")),
               ("source", d["source"])))


def read_prices(data: Path) -> dict[tuple[str, str, str], float]:
    return {(p["service"], p["level"], p["provider_type"]): float(p["cost_per_day"])
            for p in read_csv(data / "prices.csv")}


def population_shares() -> dict[str, float]:
    """Each regional collaborative's share of England's population (postcodes), per service."""
    homes = footprint_home_model()
    w = homes.areas.weight / homes.areas.weight.sum()
    out: dict[str, float] = defaultdict(float)
    for nets in homes.regional.values():
        for net, x in zip(nets, w, strict=True):
            out[str(net)] += float(x)
    return dict(out)


def impute_wards(units: list[Unit], prices: dict[tuple[str, str, str], float]) -> list[Unit]:
    """Wards added, at real sites, so that each service and level reaches its national beds.

    For a (service, level) short of ``cal.NATIONAL_BEDS`` by S beds, S / typical ward size
    wards are shared between the collaboratives by their unmet need (population share x
    national beds - beds they have, where positive; largest remainder); each goes to the
    collaborative's site with the most beds of that service and level (else of the service,
    else its largest NHS site of any service). Secure wards are women's in the national share
    of women's wards of that level, the rest men's; CAMHS and eating-disorder wards mixed.
    """
    shares = population_shares()
    added: list[Unit] = []
    for (service, level), target in cal.NATIONAL_BEDS.items():
        have = [u for u in units if u.service == service and u.level == level]
        short = target - sum(u.beds for u in have)
        size = cal.TYPICAL_WARD_BEDS[(service, level)]
        n = round(short / size)
        if n <= 0:
            continue
        nat = NATIONAL.get((service, level))
        nets = ([nat] if nat else sorted({u.network_id for u in units if u.service == service
                                          and u.network_id not in NATIONAL.values()}))
        need = np.array([max(0.0, (1.0 if nat else shares.get(c, 0.0)) * target
                             - sum(u.beds for u in have if u.network_id == c)) for c in nets])
        if need.sum() <= 0:
            need = np.ones(len(nets))
        counts = _apportion(need, n)
        for c, k in zip(nets, counts, strict=True):
            if k == 0:
                continue
            site = _site_for(units, c, service, level)
            women = round(k * cal.FEMALE_WARD_SHARE[(service, level)]) if service == \
                "adult_secure" else 0
            for i in range(int(k)):
                sex = ("female" if i < women else "male") if service == "adult_secure" \
                    else "mixed"
                added.append(_imputed(site, c, service, level, i + 1, sex, size, prices))
    return added


def _apportion(weight: np.ndarray, n: int) -> np.ndarray:
    raw = weight / weight.sum() * n
    out = np.floor(raw).astype(int)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: n - int(out.sum())]] += 1
    return out


def _site_for(units: list[Unit], net: str, service: str, level: str) -> Unit:
    """The unit whose site takes a collaborative's imputed wards (see impute_wards)."""
    def biggest(pool: list[Unit]) -> Unit | None:
        beds: Counter[str] = Counter()
        first: dict[str, Unit] = {}
        for u in pool:
            key = dict(u.extra)["site"] or u.unit_id
            beds[key] += u.beds
            first.setdefault(key, u)
        return first[max(sorted(beds), key=lambda k: beds[k])] if beds else None

    own = [u for u in units if u.network_id == net]
    for pool in ([u for u in own if u.service == service and u.level == level],
                 [u for u in own if u.service == service]):
        found = biggest(pool)
        if found is not None:
            return found
    local = [u for u in units if u.provider_type == "nhs"
             and home_network(_district_of(_row_of(u)), service) == net]
    found = biggest(local) or biggest([u for u in units if u.service == service])
    assert found is not None
    return found


def _row_of(u: Unit) -> dict[str, str]:
    return {"postcode": u.postcode, "lat": str(u.lat), "lon": str(u.lon)}


def _imputed(site: Unit, net: str, service: str, level: str, k: int, sex: str, beds: int,
             prices: dict[tuple[str, str, str], float]) -> Unit:
    words = {"male": "men", "female": "women", "mixed": "mixed"}[sex]
    where = dict(site.extra)["site"] or site.name
    kind = f"{level} secure" if service == "adult_secure" else (
        "adult eating disorder" if service == "eating_disorder" else f"CAMHS {level}")
    rule = (f"ward imputed: {SERVICE_WORDS[service]} {level} beds short of the national "
            f"{cal.NATIONAL_BEDS[(service, level)]:,}; placed at this collaborative's "
            f"site {where}; typical ward size {beds}")
    return Unit(
        unit_id=f"imp-{net}-{level}-{k:02d}", name=f"Imputed {kind} ward {k} ({words}) at {where}",
        provider=site.provider, provider_type=site.provider_type, network_id=net,
        service=service, level=level, sex=sex, beds=beds,
        cost_per_day=prices[(service, level, site.provider_type)], lat=site.lat, lon=site.lon,
        postcode=site.postcode,
        extra=(("site", where), ("origin", "imputed"), ("beds_imputed", "true"),
               ("sex_imputed", "true"), ("imputation", rule), ("ward_rule", ""),
               ("source", "imputed (no real ward): see instances/england/README.md")))


def build_units(data: Path) -> list[Unit]:
    rows = load_rows(data)
    apply_ward_functions(rows, data)
    impute_beds(rows)
    for r in rows:
        impute_sex(r)
    prices = read_prices(data)
    units = [make_unit(r, prices) for r in rows]
    return units + impute_wards(units, prices)


# ----------------------------------------------------------------------------- networks


def build_networks(data: Path, units: Sequence[Unit]) -> list[Network]:
    """networks.csv of this build; a lead named by no page is, as its ``lead_basis`` says,
    the NHS provider with the most beds of the service in the collaborative (real wards),
    else with the most beds of any service on sites in its footprint."""
    real = [u for u in units if dict(u.extra)["origin"] != "imputed"]
    out = []
    for rec in read_csv(data / "networks.csv"):
        lead, basis = rec["lead_provider"], rec["lead_basis"]
        if basis == "largest-nhs-provider":
            lead = _largest_nhs(real, rec["network_id"], rec["service"])
            basis = ("inference: the NHS provider with the most beds of the service in the "
                     "footprint (no page naming the lead was found)")
        out.append(Network(network_id=rec["network_id"], name=rec["name"], lead_provider=lead,
                           extra=(("service", rec["service"]), ("region", rec["region"]),
                                  ("footprint", rec["footprint"]), ("lead_basis", basis),
                                  ("new_care_model", rec["new_care_model"]),
                                  ("source", rec["source"]), ("note", rec["note"]))))
    return out


def _largest_nhs(units: Sequence[Unit], net: str, service: str) -> str:
    beds: Counter[str] = Counter()
    for u in units:
        if u.provider_type == "nhs" and u.network_id == net and u.service == service:
            beds[u.provider] += u.beds
    if not beds:
        for u in units:
            if u.provider_type == "nhs" and home_network(_district_of(_row_of(u)),
                                                         service) == net:
                beds[u.provider] += u.beds
    return max(sorted(beds), key=lambda k: beds[k]) if beds else ""


def build(data: Path = DATA, seed: int = SEED) -> Instance:
    """The England instance over 12 weeks (pure apart from reading the data files);
    :func:`tonight` cuts tonight's census from it."""
    units = build_units(data)
    networks = build_networks(data, units)
    open_beds = sum(u.open_beds for u in units)
    rng = np.random.default_rng(seed)
    patients = populate_patients(units, footprint_home_model(), rng,
                                 n_referrals=round(cal.REFERRAL_SHARE_OF_BEDS * open_beds),
                                 start=cal.PLAN_START, future_days=cal.REFERRAL_HORIZON_DAYS)
    return Instance(units=tuple(units), patients=patients, networks=tuple(networks),
                    policy=Policy(distance="road"), source="instances/england-12-weeks")


def policy_text(data: Path) -> str:
    """policy.toml: the contract's defaults written out, the instance's limits and ``[plan]``
    (contract 1.2: the census night the dates are drawn around); the same for both."""
    return (data / "policy.template.toml").read_text(encoding="utf-8").format(
        start=cal.PLAN_START.isoformat(), nights=cal.PLAN_NIGHTS)


def tonight(inst: Instance) -> Instance:
    """Tonight's census: ``inst`` without the referrals arriving after ``[plan] start``,
    in the same order (every command but ``plan`` would take them as tonight's)."""
    keep = tuple(p for p in inst.patients if p.arrives_on is None
                 or p.arrives_on <= cal.PLAN_START)
    return replace(inst, patients=keep)


# ----------------------------------------------------------------------------- README


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _table(rows: Sequence[Sequence[object]]) -> str:
    return "\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in rows)


@dataclass(frozen=True)
class Measures:
    """Calibration figures of tonight's census, for the README and the build's own check."""

    units: int
    beds: int
    open_beds: int
    inpatients: int
    referrals: int
    occupancy: float
    secure_women_share: float
    ooa_share: float
    ooa_share_men: float
    ooa_share_women: float
    median_km_in_area: float
    median_km_out_of_area: float
    ooa_over_100km: float
    not_movable: int
    restricted: int
    excluded: int
    with_needs: int
    delayed: tuple[str, ...]
    wrong_ward: tuple[str, ...]


def measure(inst: Instance) -> Measures:
    """What the instance looks like against the calibration targets (straight-line km)."""
    units = {u.unit_id: u for u in inst.units}

    def ward(p: Patient) -> Unit:
        return units[p.current_unit_id or ""]

    inp = [p for p in inst.patients if p.status == "inpatient"]
    national = set(NATIONAL.values())
    regional = [p for p in inp if ward(p).network_id not in national]
    away = {p.patient_id for p in regional if p.home_network_id != ward(p).network_id}
    km = np.array([float(haversine_km(p.home_lat, p.home_lon, ward(p).lat, ward(p).lon))
                   for p in inp])
    is_away = np.array([p.patient_id in away for p in inp])
    secure = [p for p in inp if p.service == "adult_secure"]

    def away_share(sex: str) -> float:
        group = [p for p in regional if p.sex == sex]
        return sum(p.patient_id in away for p in group) / max(1, len(group))

    def noted(prefix: str) -> tuple[str, ...]:
        return tuple(p.patient_id for p in inp if not is_compatible(p, ward(p))
                     and dict(p.extra).get("note", "").startswith(prefix))

    open_beds = sum(u.open_beds for u in inst.units)
    return Measures(
        units=len(inst.units), beds=sum(u.beds for u in inst.units), open_beds=open_beds,
        inpatients=len(inp), referrals=len(inst.patients) - len(inp),
        occupancy=len(inp) / open_beds,
        secure_women_share=sum(p.sex == "female" for p in secure) / len(secure),
        ooa_share=len(away) / len(regional), ooa_share_men=away_share("male"),
        ooa_share_women=away_share("female"),
        median_km_in_area=float(np.median(km[~is_away])),
        median_km_out_of_area=float(np.median(km[is_away])),
        ooa_over_100km=float((km[is_away] > 100).mean()),
        not_movable=sum(not p.movable for p in inp),
        restricted=sum(p.legal_status in cal.RESTRICTED_STATUSES for p in inp),
        excluded=sum(bool(p.excluded_units) for p in inst.patients),
        with_needs=sum(bool(p.needs) for p in inst.patients),
        delayed=noted("awaiting step-down"), wrong_ward=noted("wrong ward"))


def _beds_table(inst: Instance) -> str:
    rows = []
    for s, total in SERVICE_BEDS.items():
        us = [u for u in inst.units if u.service == s]
        by = Counter(dict(u.extra)["origin"].split(" of ")[0].split(";")[0] for u in us)
        real = sum(u.beds for u in us if dict(u.extra)["origin"] != "imputed")
        beds = sum(u.beds for u in us)
        rows.append((SERVICE_WORDS[s], len(us), ", ".join(f"{k} {v}" for k, v in sorted(
            by.items())), f"{real:,}", f"{beds:,}", f"{total:,}", _pct(beds / total)))
    return _table(rows)


def _level_table(inst: Instance) -> str:
    rows = []
    for (s, lvl), nat in cal.NATIONAL_BEDS.items():
        us = [u for u in inst.units if u.service == s and u.level == lvl]
        imp = sum(u.beds for u in us if dict(u.extra)["origin"] == "imputed")
        rows.append((s, lvl, len(us), f"{sum(u.beds for u in us) - imp:,}", f"{imp:,}",
                     f"{nat:,}"))
    return _table(rows)


def _networks_table(inst: Instance) -> str:
    beds = Counter[str]()
    for u in inst.units:
        beds[u.network_id] += u.beds
    home = Counter(p.home_network_id for p in inst.patients)
    rows = []
    for n in inst.networks:
        x = dict(n.extra)
        rows.append((f"`{n.network_id}`", n.name, n.lead_provider,
                     "source" if x["lead_basis"] == "source" else "inference",
                     x["footprint"], beds[n.network_id], home[n.network_id]))
    return _table(rows)


def readme(inst: Instance, data: Path, future: int) -> str:
    """README of tonight's census ``inst``; ``future``: the referrals england-12-weeks adds."""
    m = measure(inst)
    prices = read_csv(data / "prices.csv")
    by_id = {p.patient_id: p for p in inst.patients}
    imputed = [u for u in inst.units if dict(u.extra)["imputation"]]
    imputations = _table([(u.unit_id, u.beds, u.sex, dict(u.extra)["imputation"])
                          for u in imputed])
    ncm = _table([(f"`{n.network_id}`", dict(n.extra)["new_care_model"])
                  for n in inst.networks if dict(n.extra)["new_care_model"]])
    price_rows = _table([(p["service"], p["level"], p["provider_type"], f"£{p['cost_per_day']}",
                          p["basis"], p["note"] + (f" ({p['source']})" if p["source"] else ""))
                         for p in prices])
    legal = Counter(p.legal_status for p in inst.patients if p.status == "inpatient")
    legal_line = ", ".join(f"{k} {v:,}" for k, v in sorted(legal.items()))
    stays = _table([(s, lvl, f"{cal.MEAN_STAY_DAYS[(s, lvl)]:.0f}",
                     f"{cal.referrals_per_day(1.0, s, lvl) * 7:.4f}")
                    for (s, lvl) in cal.MEAN_STAY_DAYS])
    delayed = "\n".join(
        f"  - `{pid}`: {dict(by_id[pid].extra)['note']}, staying in `{by_id[pid].current_unit_id}`"
        for pid in m.delayed + m.wrong_ward)
    calibration = _table([
        ("occupancy of open beds", _pct(m.occupancy), 'about 90% ("Occupancy was above 90%")'),
        ("women among adult secure inpatients", _pct(m.secure_women_share),
         "20–23% of secure beds (inference from PMC3516819)"),
        ("out of area, inpatients of regional collaboratives", _pct(m.ooa_share),
         "6–21% for men (IMPACT), a third for women"),
        ("out of area, men / women", f"{_pct(m.ooa_share_men)} / {_pct(m.ooa_share_women)}",
         "14% (IMPACT at go-live) / a third (Bartlett et al. 2014)"),
        ("out-of-area placements over 100 km (straight line)", _pct(m.ooa_over_100km),
         "46% of acute adult OAPs, December 2016 (a check)"),
        ("median km home to ward, in area / out of area",
         f"{m.median_km_in_area:.0f} / {m.median_km_out_of_area:.0f}", ""),
        ("inpatients not safe to move tonight", f"{m.not_movable:,}",
         "restricted without agreed transfer, plus 10% (assumption)"),
        ("restricted inpatients (s37/41, s47/49, s48/49)", f"{m.restricted:,}",
         "legal-status mix (models/calibration.py)"),
        ("patients with excluded wards", m.excluded, "3% (assumption)"),
        ("patients needing a pathway", m.with_needs, "most of a specialist ward's patients"),
        ("referrals tonight / over the next 12 weeks", f"{m.referrals} / {future:,}",
         "3% of open beds (assumption) / Little's law"),
    ])
    fields = dict(
        seed=SEED, adult_secure_beds=f"{cal.ADULT_SECURE_BEDS:,}",
        camhs_beds=f"{cal.CAMHS_BEDS:,}", ed_beds=cal.EATING_DISORDER_BEDS,
        beds_table=_beds_table(inst), level_table=_level_table(inst),
        networks_table=_networks_table(inst), wrong_ward_share=_pct(cal.WRONG_WARD_SHARE),
        restricted_stuck=_pct(1 - cal.RESTRICTED_TRANSFER_AGREED_SHARE), start=cal.PLAN_START,
        cap=f"{cal.STAY_CAP_MEANS:.0f}", camhs_ed_stay=f"{cal.CAMHS_ED_MEAN_STAY_DAYS:.0f}",
        horizon=cal.REFERRAL_HORIZON_DAYS, n_delayed=len(m.delayed), n_wrong=len(m.wrong_ward),
        site_wards=cal.SITE_WARDS_DEFAULT, ncm=ncm, price_rows=price_rows,
        legal_line=legal_line, stays=stays, delayed=delayed, calibration=calibration,
        imputations=imputations, future=f"{future:,}", census=f"{len(inst.patients):,}",
        n_units=m.units, inpatients=f"{m.inpatients:,}", referrals=m.referrals,
        n_networks=len(inst.networks), nights=cal.PLAN_NIGHTS)
    return (data / "README.template.md").read_text(encoding="utf-8").format(**fields)


def readme_12_weeks(full: Instance, data: Path) -> str:
    """README of england-12-weeks: what it adds to tonight's census, counted on its patients."""
    start, weeks = cal.PLAN_START, cal.REFERRAL_HORIZON_DAYS // 7
    later = [p for p in full.patients if p.arrives_on is not None and p.arrives_on > start]
    dates = sorted(p.arrives_on for p in later if p.arrives_on is not None)
    by_week = Counter(((d - start).days - 1) // 7 + 1 for d in dates)
    by_level = Counter((p.service, p.level) for p in later)
    levels = _table([(s, lvl, f"{n:,}", f"{n / weeks:.1f}", f"{cal.MEAN_STAY_DAYS[(s, lvl)]:.0f}")
                     for (s, lvl), n in sorted(by_level.items())])
    week_table = _table([["week", *range(1, weeks + 1)], ["---"] * (weeks + 1),
                         ["referrals", *(by_week[k] for k in range(1, weeks + 1))]])
    inpatients = sum(p.status == "inpatient" for p in full.patients)
    return (data / "README-12-weeks.template.md").read_text(encoding="utf-8").format(
        seed=SEED, start=start, nights=cal.PLAN_NIGHTS, horizon=cal.REFERRAL_HORIZON_DAYS,
        weeks=weeks, inpatients=f"{inpatients:,}", future=f"{len(later):,}",
        tonight=f"{len(full.patients) - inpatients - len(later):,}",
        census=f"{len(full.patients) - len(later):,}", patients=f"{len(full.patients):,}",
        first=dates[0], last=dates[-1], levels=levels, week_table=week_table)


def write(inst: Instance, out: Path, policy: str, text: str) -> Instance | None:
    """Write one instance and read it back through the contract's validation (None and
    every problem printed when it fails)."""
    write_instance(inst, out)
    atomic_write(out / "policy.toml", policy)
    atomic_write(out / "README.md", text)
    back, problems = validate(out)
    for p in problems:
        print(f"problem: {out.name}: {p}", file=sys.stderr)
    return None if problems else back


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "instances",
                        help="folder that receives england/ and england-12-weeks/")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    full = build(args.data, args.seed)
    census, policy = tonight(full), policy_text(args.data)
    future = len(full.patients) - len(census.patients)
    back = write(census, args.out / "england", policy, readme(census, args.data, future))
    if back is None or write(full, args.out / "england-12-weeks", policy,
                             readme_12_weeks(full, args.data)) is None:
        return 1
    load = Counter(p.current_unit_id for p in back.patients if p.status == "inpatient")
    over = [u.unit_id for u in back.units if load[u.unit_id] > u.open_beds]
    if over:  # both instances hold the same inpatients
        print(f"over capacity: {over}", file=sys.stderr)
        return 1
    m = measure(back)
    print(", ".join(f"{k}={round(v, 3) if isinstance(v, float) else v}"
                    for k, v in vars(m).items() if k not in ("delayed", "wrong_ward")),
          f"delayed={len(m.delayed)} wrong_ward={len(m.wrong_ward)} future_12_weeks={future}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
