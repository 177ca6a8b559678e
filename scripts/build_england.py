"""Build ``instances/england/`` from the shared unit list and the calibrated patient model.

    python scripts/build_england.py [--data DIR] [--out DIR] [--seed N]

Units: every row of ``england-units.csv`` (real names, providers, collaboratives, places),
with missing bed counts and sexes imputed by the rules below and flagged in extra columns
(``beds_imputed``, ``sex_imputed``, ``imputation``; ``site`` and ``source`` are kept too).
Patients: synthetic and pseudonymous, from :func:`models.generate.populate_patients` with a
fixed seed, so rerunning the script gives byte-identical files. The README of the instance is
written from the same run, with the figures measured on what was written.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import calibration as cal  # noqa: E402
from models.atomic import atomic_write  # noqa: E402
from models.compatibility import is_compatible  # noqa: E402
from models.domain import Instance, Network, Patient, Policy, Unit  # noqa: E402
from models.generate import (  # noqa: E402
    HomeModel,
    england_areas,
    haversine_km,
    nearest_site_networks,
    populate_patients,
)
from models.io import validate, write_instance  # noqa: E402

SEED = 20260115
DATA = Path("/work/shared/data")

#: Networks commissioned nationally, and the (service, level) they cover.
NATIONAL = {("adult_secure", "high"): "high-secure-national",
            ("camhs", "medium"): "nhse-camhs-medium-secure"}

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
    """One unit row while imputing."""

    data: dict[str, str]
    beds: int | None
    beds_rule: str = ""
    sex: str = ""
    sex_rule: str = ""

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
        members = [by_id[i] for i in ids]
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


def build_units(table: pd.DataFrame) -> tuple[list[Unit], list[Row]]:
    rows = [Row(data={str(k): str(v) for k, v in rec.items()},
                beds=int(rec["beds"]) if str(rec["beds"]).strip() else None)
            for rec in table.to_dict("records")]
    impute_beds(rows)
    units = []
    for r in rows:
        impute_sex(r)
        d = r.data
        lo, hi = ages(r)
        assert r.beds is not None
        closed = r.beds if d["unit_id"] in CLOSED else 0
        rules = [x for x in (r.beds_rule and f"beds: {r.beds_rule}",
                             r.sex_rule and f"sex: {r.sex_rule}",
                             d["unit_id"] in CLOSED and f"closed: {CLOSED[d['unit_id']]}")
                 if x]
        units.append(Unit(
            unit_id=d["unit_id"], name=d["name"], provider=d["provider"],
            provider_type=d["provider_type"], network_id=d["network_id"],
            service=d["service"], level=d["level"], sex=r.sex, age_min=lo, age_max=hi,
            specialisms=specialisms(r), beds=r.beds, beds_closed=closed,
            cost_per_day=cal.COST_PER_DAY[r.key], lat=float(d["lat"]), lon=float(d["lon"]),
            postcode=d["postcode"],
            extra=(("site", d["site"]), ("beds_imputed", "true" if r.beds_rule else "false"),
                   ("sex_imputed", "true" if r.sex_rule else "false"),
                   ("imputation", "; ".join(rules)), ("source", d["source"]))))
    return units, rows


def build_networks(table: pd.DataFrame) -> list[Network]:
    return [Network(network_id=str(rec["network_id"]), name=str(rec["name"]),
                    lead_provider=str(rec["lead_provider"]),
                    extra=(("service", str(rec["service"])), ("region", str(rec["region"])),
                           ("source", str(rec["source"]))))
            for rec in table.to_dict("records")]


def build(data: Path, seed: int = SEED) -> Instance:
    """The England instance (pure apart from reading the two CSVs)."""
    units, _ = build_units(pd.read_csv(data / "england-units.csv", dtype=str,
                                       keep_default_na=False))
    networks = build_networks(pd.read_csv(data / "england-networks.csv", dtype=str,
                                          keep_default_na=False))
    for u in units:
        nat = NATIONAL.get((u.service, u.level))
        assert nat is None or u.network_id == nat, u.unit_id
    areas = england_areas()
    homes = HomeModel(areas=areas,
                      regional=nearest_site_networks(areas, units, NATIONAL.values()),
                      national=NATIONAL)
    open_beds = sum(u.open_beds for u in units)
    rng = np.random.default_rng(seed)
    patients = populate_patients(units, homes, rng,
                                 n_referrals=round(cal.REFERRAL_SHARE_OF_BEDS * open_beds))
    return Instance(units=tuple(units), patients=patients, networks=tuple(networks),
                    policy=Policy(distance="road"), source="instances/england")


POLICY = """\
# England instance: the contract's defaults, written out so that they can be edited.
distance = "road"            # built-in England travel network

[weights]
km = 1.0                     # per km from home
out_of_area = 50.0           # placed outside the home collaborative
cost = 0.0                   # per GBP of cost_per_day (0: cost does not steer placements)
move = 25.0                  # per inpatient moved tonight
delayed = 200.0              # per inpatient staying in a ward that no longer fits
unplaced = 1000.0            # per unit of priority of an unplaced referral

[limits]
max_moves = 40               # a night's transfers across England (assumption)
max_admissions_per_unit = 2  # a receiving ward takes at most two new patients a night

[solver]
name = "highs"
time_limit = 120
mip_gap = 0.0
"""


# ------------------------------------------------------------------------------ README

def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


@dataclass(frozen=True)
class Measures:
    """Calibration figures of a built instance, for the README and the build's own check."""

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
    excluded: int
    with_needs: int
    delayed: tuple[str, ...]


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
        excluded=sum(bool(p.excluded_units) for p in inst.patients),
        with_needs=sum(bool(p.needs) for p in inst.patients),
        delayed=tuple(p.patient_id for p in inp
                      if not is_compatible(p, ward(p)) and dict(p.extra).get("note")))


def _table(rows: Sequence[Sequence[object]]) -> str:
    return "\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in rows)


def readme(inst: Instance, rows: list[Row]) -> str:
    m = measure(inst)
    units = {u.unit_id: u for u in inst.units}
    by_kind: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    for u in inst.units:
        by_kind[(u.service, u.level)].append(u)
    kinds = []
    for (s, lvl), us in sorted(by_kind.items()):
        known = sum(1 for u in us if dict(u.extra)["beds_imputed"] == "false")
        beds = sum(u.beds for u in us)
        nat = cal.NATIONAL_BEDS[(s, lvl)]
        kinds.append((s, lvl, len(us), known, f"{beds:,}", f"{nat:,}", _pct(beds / nat)))
    imputed = [units[r.data["unit_id"]] for r in rows
               if r.beds_rule or r.sex_rule or r.data["unit_id"] in CLOSED]
    imputations = [(u.unit_id, u.beds, u.sex, dict(u.extra)["imputation"]) for u in imputed]
    sizes = [u.beds for u in inst.units if dict(u.extra)["beds_imputed"] == "false"]
    by_id = {p.patient_id: p for p in inst.patients}
    delayed_lines = "\n".join(
        f"  - `{pid}`: {dict(by_id[pid].extra)['note']}, staying in "
        f"`{by_id[pid].current_unit_id}` ({units[by_id[pid].current_unit_id or ''].level} "
        "secure)" for pid in m.delayed)
    files = _table([
        ("units.csv", m.units, "every row of england-units.csv: real ward names, providers, "
         "collaboratives, places; extra columns `site`, `beds_imputed`, `sex_imputed`, "
         "`imputation` (the rule used), `source`"),
        ("patients.csv", m.inpatients + m.referrals,
         f"{m.inpatients:,} inpatients and {m.referrals} referrals for tonight; extra column "
         "`note` (why a stay is delayed)"),
        ("networks.csv", len(inst.networks), "every collaborative of england-networks.csv; "
         "extra columns `service`, `region`, `source`"),
        ("policy.toml", "", "contract defaults written out, road distances, "
         "`max_moves = 40`, `max_admissions_per_unit = 2`"),
    ])
    calibration = _table([
        ("occupancy of open beds", _pct(m.occupancy),
         'about 90% ("Occupancy was above 90%", HSJ 2000 survey)'),
        ("women among adult secure inpatients", _pct(m.secure_women_share),
         "20–23% of secure beds (inference from PMC3516819 and the 7,000–8,000 total); "
         "lower here because the sampled wards are mostly men's"),
        ("out of area, inpatients of regional collaboratives", _pct(m.ooa_share),
         "6–21% for men (IMPACT), a third for women"),
        ("out of area, men", _pct(m.ooa_share_men), "14% (IMPACT at go-live)"),
        ("out of area, women", _pct(m.ooa_share_women), "a third (Bartlett et al. 2014)"),
        ("out-of-area placements over 100 km (straight line)", _pct(m.ooa_over_100km),
         "46% of acute adult OAPs in December 2016 were over 100 km"),
        ("median km home to ward, in area / out of area (straight line)",
         f"{m.median_km_in_area:.0f} / {m.median_km_out_of_area:.0f}", ""),
        ("inpatients not safe to move tonight", m.not_movable, "10% (assumption)"),
        ("patients with excluded wards", m.excluded, "3% (assumption)"),
        ("patients needing a pathway (ld, asd, pd, deaf, abi, wemss, ed)", m.with_needs,
         "85% of a specialist ward's patients (assumption)"),
        ("referrals tonight", m.referrals, "3% of open beds (assumption)"),
    ])
    typical = ", ".join(f"{s}/{lvl} {n}" for (s, lvl), n in cal.TYPICAL_WARD_BEDS.items())
    costs = ", ".join(f"{s}/{lvl} £{c:.0f}" for (s, lvl), c in cal.COST_PER_DAY.items())
    total = cal.ADULT_SECURE_BEDS + cal.CAMHS_BEDS + cal.EATING_DISORDER_BEDS
    return f"""# England: every unit in the shared list, with a synthetic patient population

Built by `python scripts/build_england.py` (seed {SEED}) from
`shared/data/england-units.csv`, `england-networks.csv` and the calibration figures of
`england-facts.md` (see `models/calibration.py` and `docs/instances.md`). Rerunning the
script gives byte-identical files. **The patients are synthetic and pseudonymous**: no row is
a real person; their homes are postcode-district centroids drawn by population.

## What is here

| file | rows | content |
|---|---|---|
{files}

## Coverage: a sample of England, not all of it

The shared list is a sample assembled from public pages. It holds {m.units} units with
{m.beds:,} beds after imputation (3,392 beds were stated in the sources), against about
{cal.ADULT_SECURE_BEDS:,} adult secure beds, {cal.CAMHS_BEDS:,} CAMHS Tier 4 beds and an
estimated {cal.EATING_DISORDER_BEDS} adult eating-disorder beds nationally (about {total:,}
in all). Bed totals by service and level against the national figures:

| service | level | units | with stated beds | beds here | national | covered |
|---|---|---|---|---|---|---|
{_table(kinds)}

Because the units are a sample while the patients fill them to about 90%, the instance
models the sampled wards, not England's whole demand: a collaborative whose units are
missing from the list simply has fewer beds and patients here, and two collaboratives
(`nwl-camhs`, `kss-ed`) have no units at all. The national medium/low split is not in the
sources, so the "national" column splits the non-high secure beds evenly (assumption);
imputing site rows (below) adds about 2,100 beds to the 3,392 stated.

## Calibration, measured on these files

| figure | here | target and source |
|---|---|---|
{calibration}

Home collaborative: a patient's `home_network_id` is the collaborative of the hospital site
of their service nearest to their home district (high secure and CYP medium secure are
commissioned nationally: `high-secure-national`, `nhse-camhs-medium-secure`). Out-of-area
shares count inpatients of regional collaboratives only.

## Feasible by construction

- No unit holds more inpatients than its open beds (inpatients fill randomly chosen open
  beds), so "everyone stays" is always a feasible plan.
- Every inpatient's current ward is compatible with them, except these {len(m.delayed)}
  deliberately **delayed** patients, ready for the next lower security level and waiting for
  a bed there (the objective charges `delayed` for each one who stays):
{delayed_lines}
- Emerald Place (`ely-sabp-emeraldplace`) has all its beds closed (its name says admissions
  were paused in August 2024), so it holds no inpatients.

## Imputed units

Ward sizes stated in the sources have median {statistics.median(sizes):.0f} beds. Where a
count is missing, in this order: a site total stated in the ward names ("89 beds over 7
wards") is split over the wards without a count after subtracting the stated ones; the
totals for Ashworth (210 over 13 wards) and NSFT's secure service (82 beds) come from
england-facts.md; a site-level row counts its wards when the name gives them, else 2 wards
(assumption), times the typical ward size; any other ward gets the typical (median) ward
size of its service and level: {typical}.
A blank sex is read from the name's words; otherwise high secure is male, an adult secure
site row is mixed, any other adult secure ward male (secure wards are single-sex and about
four in five secure beds are men's), CAMHS and eating-disorder wards mixed. Ages come from
the name where it states them ("ages 13-18" is 13–17 for CAMHS; "men over 50" and "older
men" are 50+); pathways (`specialisms`) where the name names them. `cost_per_day` is by
service and level: {costs}.

| unit_id | beds | sex | imputation |
|---|---|---|---|
{_table(imputations)}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "instances" / "england")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    units_table = pd.read_csv(args.data / "england-units.csv", dtype=str, keep_default_na=False)
    _, rows = build_units(units_table)
    inst = build(args.data, args.seed)
    write_instance(inst, args.out)
    atomic_write(args.out / "policy.toml", POLICY)
    atomic_write(args.out / "README.md", readme(inst, rows))
    back, problems = validate(args.out)
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    if problems or back is None:
        return 1
    load = Counter(p.current_unit_id for p in back.patients if p.status == "inpatient")
    over = [u.unit_id for u in back.units if load[u.unit_id] > u.open_beds]
    if over:
        print(f"over capacity: {over}", file=sys.stderr)
        return 1
    m = measure(back)
    print(", ".join(f"{k}={round(v, 3) if isinstance(v, float) else v}"
                    for k, v in vars(m).items() if k != "delayed"),
          f"delayed={len(m.delayed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
