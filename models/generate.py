"""Seeded realistic instances: wards placed where England's are, patients where people live.

:func:`generate_instance` builds a synthetic instance of any size whose shape follows the
national figures of :mod:`models.calibration`; :func:`populate_patients` is the patient model
on its own, shared with ``scripts/build_england.py`` (which supplies the real units). Both are
pure: the same arguments and seed give the same :class:`~models.domain.Instance`, so the files
written from it are byte-identical. Only ``numpy.random.default_rng(seed)`` draws numbers, in
a fixed order.

Homes are postcode districts of England (centroid, district code as ``home_postcode``) drawn
with weight proportional to their number of postcodes, a population proxy. Each district
belongs to one collaborative per service (its "home network"): in generated instances the
collaboratives are regions found by weighted k-means over the districts; for the England
instance they are the collaborative of the nearest hospital site of that service.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from types import MappingProxyType

import numpy as np

from models import calibration as cal
from models.compatibility import is_compatible
from models.domain import LEVELS, SERVICES, Instance, Network, Patient, PlanSettings, Policy, Unit
from models.footprints import NATIONAL_NETWORKS, home_network
from models.postcodes import districts

#: Short names used in generated network ids (``R03-secure``).
SERVICE_SHORT: Mapping[str, str] = MappingProxyType(
    {"adult_secure": "secure", "camhs": "camhs", "eating_disorder": "ed"})
SERVICE_WORDS: Mapping[str, str] = MappingProxyType(
    {"adult_secure": "adult secure", "camhs": "CAMHS", "eating_disorder": "adult eating disorder"})
#: Levels commissioned nationally (not by a regional collaborative), with their network id in
#: generated instances: high secure hospitals and CYP medium secure units.
NATIONAL_LEVELS: Mapping[tuple[str, str], str] = MappingProxyType(
    {("adult_secure", "high"): "national-high-secure",
     ("camhs", "medium"): "national-camhs-medium-secure"})
#: The level an inpatient steps down to when ready to leave their current security level.
STEP_DOWN: Mapping[tuple[str, str], str] = MappingProxyType(
    {("adult_secure", "high"): "medium", ("adult_secure", "medium"): "low"})
_EARTH_KM = 6371.0088


# --------------------------------------------------------------------------------------------
# Where people live
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Areas:
    """England's postcode districts as homes: code, centroid and population weight."""

    code: np.ndarray      # str, district code ("SE5")
    lat: np.ndarray       # float
    lon: np.ndarray       # float
    weight: np.ndarray    # float, number of postcodes (population proxy)

    def __len__(self) -> int:
        return len(self.code)


@functools.cache
def england_areas() -> Areas:
    """English districts with at least ``MIN_DISTRICT_POSTCODES`` postcodes, sorted by code."""
    t = districts()
    t = t[(t["country"] == "E") & (t["postcodes"] >= cal.MIN_DISTRICT_POSTCODES)]
    t = t.sort_values("district", kind="stable")
    return Areas(code=t["district"].to_numpy(dtype=str),
                 lat=t["lat"].to_numpy(dtype=float), lon=t["lon"].to_numpy(dtype=float),
                 weight=t["postcodes"].to_numpy(dtype=float))


def haversine_km(lat1: np.ndarray | float, lon1: np.ndarray | float,
                 lat2: np.ndarray | float, lon2: np.ndarray | float) -> np.ndarray:
    """Great-circle km; only used to weight draws, where a spherical Earth is plenty."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


@dataclass(frozen=True)
class HomeModel:
    """Which collaborative is responsible for someone living in each area.

    ``regional[service]`` holds the network id per area; ``national`` maps a nationally
    commissioned (service, level) to its network id, which then covers every area.
    """

    areas: Areas
    regional: Mapping[str, np.ndarray]
    national: Mapping[tuple[str, str], str]

    def networks(self, service: str, level: str) -> np.ndarray:
        """Home network id of every area for a patient needing (service, level)."""
        nat = self.national.get((service, level))
        if nat is not None:
            return np.full(len(self.areas), nat, dtype=object)
        return self.regional[service]


def nearest_site_networks(areas: Areas, units: Sequence[Unit],
                          national: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Per service, the network of the nearest site of that service to each area.

    Used for England, where a collaborative's area is taken to be the districts nearer to one
    of its hospitals than to any other collaborative's (nationally commissioned networks are
    left out). Ties go to the first unit in ``units`` order.
    """
    skip = set(national)
    out: dict[str, np.ndarray] = {}
    for service in SERVICES:
        own = [u for u in units if u.service == service and u.network_id not in skip]
        if not own:
            continue
        lat = np.array([u.lat for u in own])
        lon = np.array([u.lon for u in own])
        km = haversine_km(areas.lat[:, None], areas.lon[:, None], lat[None, :], lon[None, :])
        nets = np.array([u.network_id for u in own], dtype=object)
        out[service] = nets[np.argmin(km, axis=1)]
    return out


@functools.cache
def regions(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Population-weighted k-means of England's districts into ``k`` regions.

    Returns (region index per area, centroid lat/lon per region), regions numbered north to
    south. The initialisation uses a fixed seed, so regions do not change with the instance
    seed: the same region ids mean the same places in every generated instance.
    """
    a = england_areas()
    k = max(1, min(k, len(a)))
    rng = np.random.default_rng(20260115)
    # Project to a local plane (km) so that Euclidean k-means is about right.
    xy = np.column_stack([a.lon * 111.32 * math.cos(math.radians(52.5)), a.lat * 110.57])
    w = a.weight / a.weight.sum()
    centres = xy[[int(rng.choice(len(a), p=w))]]
    while len(centres) < k:  # k-means++ seeding
        d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(-1).min(1)
        p = w * d2
        centres = np.vstack([centres, xy[int(rng.choice(len(a), p=p / p.sum()))]])
    for _ in range(50):
        label = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(1)
        new = np.array([np.average(xy[label == j], axis=0, weights=a.weight[label == j])
                        if np.any(label == j) else centres[j] for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    label = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(1)
    lat_c = centres[:, 1] / 110.57
    order = np.argsort(-lat_c, kind="stable")
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)
    lon_c = centres[:, 0] / (111.32 * math.cos(math.radians(52.5)))
    return rank[label], np.column_stack([lat_c[order], lon_c[order]])


# --------------------------------------------------------------------------------------------
# Patients
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PopulationSettings:
    """Knobs of the patient model; defaults are the national calibration."""

    occupancy: float = cal.OCCUPANCY
    out_of_area_share: Mapping[str, float] = field(
        default_factory=lambda: dict(cal.OUT_OF_AREA_SHARE))
    not_movable_share: float = cal.NOT_MOVABLE_SHARE
    delayed_share: float = cal.DELAYED_SHARE
    excluded_share: float = cal.EXCLUDED_SHARE


def _draw_age(rng: np.random.Generator, unit: Unit) -> int:
    """An age the unit accepts, from the service's age profile."""
    if unit.service == "camhs":
        ages = np.array(list(cal.CAMHS_AGE_PROBABILITIES))
        probs = np.array(list(cal.CAMHS_AGE_PROBABILITIES.values()))
        age = int(rng.choice(ages, p=probs / probs.sum()))
    else:
        shape, scale = cal.ADULT_AGE_GAMMA.get(unit.service, (3.0, 6.0))
        age = min(18 + int(rng.gamma(shape, scale)), 95)
    lo, hi = unit.min_age, unit.max_age
    if not lo <= age <= hi:
        # Outside the usual profile (children's units, 50+ wards): uniform over the range,
        # from age 5 up (a family unit admits children with their parents).
        lo = min(max(lo, 5), hi)
        age = int(rng.integers(lo, min(hi, 95) + 1))
    return age


def _draw_sex(rng: np.random.Generator, unit: Unit) -> str:
    if unit.sex in ("male", "female"):
        return unit.sex
    p_female = cal.FEMALE_SHARE_IN_MIXED.get(unit.service, 0.5)
    return "female" if rng.random() < p_female else "male"


def _draw_needs(rng: np.random.Generator, unit: Unit, *, must: bool = False) -> frozenset[str]:
    """Needs of a patient of ``unit``: one of its pathways with the calibrated share, always
    one (``must``) for a specialist-only ward's referral."""
    if not unit.specialisms:
        return frozenset()
    if unit.specialist_only:
        share = 1.0 if must else 1.0 - cal.WRONG_WARD_SHARE
    else:
        share = cal.SPECIALIST_NEED_SHARE
    if rng.random() >= share:
        return frozenset()
    tags = sorted(unit.specialisms)
    return frozenset({tags[int(rng.integers(len(tags)))]})


def _pick_area(rng: np.random.Generator, weight: np.ndarray) -> int | None:
    total = float(weight.sum())
    if total <= 0.0:
        return None
    return int(rng.choice(len(weight), p=weight / total))


def _stay(rng: np.random.Generator, unit: Unit, needs: frozenset[str]) -> timedelta:
    """Days since admission, or still to stay, of someone in hospital tonight: exponential
    with the mean stay (length-biased census), between 1 day and STAY_CAP_MEANS x the mean."""
    mean = cal.mean_stay_days(unit.service, unit.level, needs)
    return timedelta(days=max(1, int(min(rng.exponential(mean), cal.STAY_CAP_MEANS * mean))))


def _legal_status(rng: np.random.Generator, p: Patient) -> str:
    mix = cal.legal_status_mix(p.service, p.level, p.sex, p.needs)
    if not mix:
        return ""
    names = sorted(mix)
    probs = np.array([mix[k] for k in names])
    return names[int(rng.choice(len(names), p=probs / probs.sum()))]


@dataclass(frozen=True)
class _Wards:
    """The units as the patient model sees them: open beds, wards by level, distances."""

    units: Sequence[Unit]
    areas: Areas
    open_beds: np.ndarray
    by_level: dict[tuple[str, str], list[Unit]]
    site_km: dict[tuple[float, float], np.ndarray]

    def km_from(self, u: Unit) -> np.ndarray:
        key = (u.lat, u.lon)
        if key not in self.site_km:
            self.site_km[key] = haversine_km(self.areas.lat, self.areas.lon, u.lat, u.lon)
        return self.site_km[key]

    def ids(self) -> dict[tuple[str, str], list[str]]:
        return {k: sorted(u.unit_id for u in v) for k, v in self.by_level.items()}


def populate_patients(units: Sequence[Unit], homes: HomeModel, rng: np.random.Generator, *,
                      n_referrals: int, n_inpatients: int | None = None,
                      settings: PopulationSettings = PopulationSettings(),
                      start: date = cal.REFERENCE_DATE,
                      future_days: int = 0) -> tuple[Patient, ...]:
    """Inpatients filling ``units`` to the occupancy, ``n_referrals`` referrals for tonight,
    then (``future_days`` > 0) the referrals expected over the next ``future_days`` days.

    Inpatients: ``n_inpatients`` (default: occupancy x open beds) open beds are chosen
    uniformly at random, so no unit holds more inpatients than its open beds. Each inpatient is
    made compatible with their unit (sex, age, needs; in a specialist-only ward a calibrated
    few lack its specialism: "wrong ward" delayed stays); their home is in the unit's
    collaborative area, or with the calibrated probability in another collaborative's area
    (out of area). ``admitted_on`` and ``expected_discharge`` lie either side of ``start``.
    A few become "delayed" (ready for the next lower security level), restricted patients
    without an agreed transfer and some others are not movable, some have excluded wards.
    Tonight's referrals: a ward that accepts referrals is chosen with weight its open beds and
    the referral made to fit it (so every referral has at least one compatible ward); their
    home is anywhere in England. Future referrals: see :func:`_future_referrals`.
    """
    areas = homes.areas
    open_beds = np.array([max(u.open_beds, 0) for u in units], dtype=int)
    total_open = int(open_beds.sum())
    if n_inpatients is None:
        n_inpatients = round(settings.occupancy * total_open)
    if not 0 <= n_inpatients <= total_open:
        raise ValueError(f"{n_inpatients} inpatients do not fit in {total_open} open beds")
    slot_unit = np.repeat(np.arange(len(units)), open_beds)
    chosen = np.asarray(rng.choice(total_open, size=n_inpatients, replace=False)
                        if n_inpatients else [], dtype=int)
    counts = np.bincount(slot_unit[chosen], minlength=len(units))
    wards = _Wards(units=units, areas=areas, open_beds=open_beds, by_level={}, site_km={})
    for u in units:
        wards.by_level.setdefault((u.service, u.level), []).append(u)

    patients: list[Patient] = []
    width = max(5, len(str(n_inpatients)))
    for j, unit in enumerate(units):
        if counts[j] == 0:
            continue
        nets = homes.networks(unit.service, unit.level)
        km = wards.km_from(unit)
        own = nets == unit.network_id
        w_in = areas.weight * np.exp(-km / cal.IN_AREA_DECAY_KM) * own
        w_out = areas.weight * np.exp(-km / cal.OUT_OF_AREA_DECAY_KM) * ~own
        n = int(counts[j])
        sexes = [_draw_sex(rng, unit) for _ in range(n)]
        ages = [_draw_age(rng, unit) for _ in range(n)]
        wants = [_draw_needs(rng, unit) for _ in range(n)]
        share = np.array([settings.out_of_area_share.get(sex, 0.0) for sex in sexes])
        away = rng.random(n) < share
        home = np.empty(n, dtype=int)
        # One draw per unit and side (in area / away) instead of one per patient.
        for side, first, second in ((~away, w_in, w_out), (away, w_out, w_in)):
            k = int(side.sum())
            if k:
                pool = next(w for w in (first, second, areas.weight) if w.sum() > 0)
                home[side] = rng.choice(len(pool), size=k, p=pool / pool.sum())
        since = [_stay(rng, unit, wants[i]) for i in range(n)]
        until = [_stay(rng, unit, wants[i]) for i in range(n)]
        for i in range(n):
            a = int(home[i])
            patients.append(Patient(
                patient_id=f"P{len(patients) + 1:0{width}d}", status="inpatient",
                service=unit.service, level=unit.level, sex=sexes[i], age=ages[i],
                needs=wants[i], home_lat=float(areas.lat[a]), home_lon=float(areas.lon[a]),
                home_network_id=str(nets[a]), home_postcode=str(areas.code[a]),
                current_unit_id=unit.unit_id, admitted_on=start - since[i],
                expected_discharge=start + until[i]))

    ids = wards.ids()
    patients = [_finish_inpatient(rng, p, wards, ids, homes, settings) for p in patients]

    bookable = np.flatnonzero((open_beds > 0) & np.array([u.accepts_referrals for u in units],
                                                          dtype=bool))
    referrals: list[Patient] = []
    rwidth = max(4, len(str(n_referrals)))
    for r in range(n_referrals):
        if bookable.size == 0:
            raise ValueError("referrals need at least one unit with an open bed that takes "
                             "referrals")
        w = open_beds[bookable] / open_beds[bookable].sum()
        unit = units[int(bookable[int(rng.choice(bookable.size, p=w))])]
        h = _pick_area(rng, areas.weight)
        assert h is not None
        referrals.append(_referral(rng, f"R{r + 1:0{rwidth}d}", unit, h, homes, ids,
                                   settings, None))
    if future_days > 0:
        referrals += _future_referrals(rng, patients, wards, homes, ids, settings, start,
                                       future_days, first=n_referrals + 1)
    return tuple(patients) + tuple(referrals)


def _referral(rng: np.random.Generator, pid: str, unit: Unit, h: int, homes: HomeModel,
              ids: Mapping[tuple[str, str], list[str]], settings: PopulationSettings,
              arrives_on: date | None) -> Patient:
    """A referral made to fit ``unit`` (sex, age, needs), living in area ``h``."""
    areas = homes.areas
    sex = _draw_sex(rng, unit)
    age = _draw_age(rng, unit)
    needs = _draw_needs(rng, unit, must=True)
    nets = homes.networks(unit.service, unit.level)
    priority = 1 + int(rng.choice(len(cal.PRIORITY_PROBABILITIES),
                                  p=np.array(cal.PRIORITY_PROBABILITIES)))
    p = Patient(
        patient_id=pid, status="referral", service=unit.service, level=unit.level, sex=sex,
        age=age, needs=needs, priority=priority,
        home_lat=float(areas.lat[h]), home_lon=float(areas.lon[h]),
        home_network_id=str(nets[h]), home_postcode=str(areas.code[h]),
        arrives_on=arrives_on, extra=(("note", ""),))
    p = replace(p, legal_status=_legal_status(rng, p))
    if rng.random() < settings.excluded_share:
        p = replace(p, excluded_units=_exclusions(rng, ids.get((p.service, p.level), []),
                                                  keep=unit.unit_id))
    return p


def _future_referrals(rng: np.random.Generator, inpatients: Sequence[Patient], wards: _Wards,
                      homes: HomeModel, ids: Mapping[tuple[str, str], list[str]],
                      settings: PopulationSettings, start: date, days: int, first: int
                      ) -> list[Patient]:
    """Referrals arriving over the next ``days`` days, ``arrives_on`` uniform over them.

    For every (service, level, home collaborative), the number is Poisson with mean
    ``days x`` the sum over that group's inpatients of 1 / their mean stay
    (:func:`models.calibration.mean_stay_days`, which knows eating-disorder stays: Little's
    law patient by patient, as many arrive as leave). Each lives in that collaborative's area
    (drawn by population) and is made to fit a ward of its level that takes referrals, drawn
    with weight open beds / the ward's mean stay x exp(-km / IN_AREA_DECAY_KM) from home.
    """
    areas = wards.areas
    # Little's law patient by patient: each inpatient leaves (and is replaced) at the rate
    # 1 / their own mean stay, so a CAMHS eating-disorder bed (125 days) turns over a third
    # as often as a general adolescent one (35 days).
    flow: dict[tuple[str, str, str], float] = defaultdict(float)
    for p in inpatients:
        flow[(p.service, p.level, p.home_network_id)] += \
            1.0 / cal.mean_stay_days(p.service, p.level, p.needs)
    out: list[Patient] = []
    for (service, level, net) in sorted(flow):
        n = int(rng.poisson(days * flow[(service, level, net)]))
        pool = [u for u in wards.by_level.get((service, level), [])
                if u.accepts_referrals and u.open_beds > 0]
        nets = homes.networks(service, level)
        where = areas.weight * (nets == net)
        if n == 0 or not pool or where.sum() <= 0:
            continue
        # wards take new patients as fast as their beds turn over
        beds = np.array([u.open_beds / cal.mean_stay_days(
            u.service, u.level, u.specialisms if u.specialist_only else frozenset())
            for u in pool], dtype=float)
        for _ in range(n):
            h = _pick_area(rng, where)
            assert h is not None
            km = np.array([float(wards.km_from(u)[h]) for u in pool])
            w = beds * np.exp(-km / cal.IN_AREA_DECAY_KM)
            unit = pool[int(rng.choice(len(pool), p=w / w.sum()))]
            day = int(rng.integers(1, days + 1))
            out.append(_referral(rng, "", unit, h, homes, ids, settings,
                                 start + timedelta(days=day)))
    out.sort(key=lambda p: (p.arrives_on or start, p.service, p.level, p.home_network_id))
    width = max(4, len(str(first + len(out))))
    return [replace(p, patient_id=f"R{first + k:0{width}d}") for k, p in enumerate(out)]


def _exclusions(rng: np.random.Generator, ids: Sequence[str], keep: str | None
                ) -> frozenset[str]:
    """One or two of ``ids`` (the wards of the patient's service and level), never ``keep``."""
    pool = [x for x in ids if x != keep]
    if not pool:
        return frozenset()
    k = min(len(pool), 1 + int(rng.random() < 0.3))
    return frozenset(str(x) for x in rng.choice(pool, size=k, replace=False))


def _finish_inpatient(rng: np.random.Generator, p: Patient, wards: _Wards,
                      ids: Mapping[tuple[str, str], list[str]], homes: HomeModel,
                      settings: PopulationSettings) -> Patient:
    """Delayed step-down, legal status, movability and exclusions for one inpatient (fixed
    draw order). A "wrong ward" inpatient (in a specialist-only ward without its need) says
    so in ``note``."""
    changes: dict[str, object] = {}
    note = ""
    unit = next(u for u in wards.by_level[(p.service, p.level)] if u.unit_id == p.current_unit_id)
    if unit.specialist_only and not p.needs & unit.specialisms:
        note = "wrong ward: in a specialist-only ward without its specialism"
    lower = STEP_DOWN.get((p.service, p.level))
    if not note and lower is not None and rng.random() < settings.delayed_share:
        stepped = replace(p, level=lower)
        if any(is_compatible(stepped, u) for u in wards.by_level.get((p.service, lower), [])):
            a = int(np.searchsorted(homes.areas.code, p.home_postcode))
            nets = homes.networks(p.service, lower)
            changes.update(level=lower, home_network_id=str(nets[a]))
            note = f"awaiting step-down to {lower} secure"
    legal = _legal_status(rng, replace(p, level=str(changes.get("level", p.level))))
    changes["legal_status"] = legal
    restricted = legal in cal.RESTRICTED_STATUSES
    agreed = rng.random() < cal.RESTRICTED_TRANSFER_AGREED_SHARE
    if not note and ((restricted and not agreed) or rng.random() < settings.not_movable_share):
        changes["movable"] = False
    if rng.random() < settings.excluded_share:
        level = str(changes.get("level", p.level))
        changes["excluded_units"] = _exclusions(rng, ids.get((p.service, level), []),
                                                keep=p.current_unit_id)
    return replace(p, extra=(("note", note),), **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Units and the whole instance
# --------------------------------------------------------------------------------------------

def _largest_remainder(raw: np.ndarray, total: int, minimum: int = 1) -> np.ndarray:
    """Integers >= minimum, proportional to ``raw``, summing to ``total`` (when possible)."""
    n = len(raw)
    if n == 0:
        return np.zeros(0, dtype=int)
    total = max(total, minimum * n)
    share = raw / raw.sum() * (total - minimum * n)
    out = np.floor(share).astype(int)
    rest = total - minimum * n - int(out.sum())
    order = np.argsort(-(share - out), kind="stable")
    out[order[:rest]] += 1
    return out + minimum


def _level_words(service: str, level: str) -> str:
    if service == "adult_secure":
        return f"{level} secure"
    if service == "camhs":
        return {"general": "CAMHS general adolescent", "picu": "CAMHS PICU"}.get(
            level, f"CAMHS {level} secure")
    return "adult eating disorder"


_SEX_WORDS = {"male": "men", "female": "women", "mixed": "mixed"}


def generate_units(rng: np.random.Generator, n_units: int, n_open_beds: int | None,
                   services: Sequence[str], n_regions: int) -> tuple[Unit, ...]:
    """``n_units`` wards on hospital sites drawn where people live, sized like England's.

    The (service, level) of each ward is drawn with weight national beds / typical ward
    size; sex, pathways, size and cost follow :mod:`models.calibration`. When
    ``n_open_beds`` is given the sampled sizes are scaled so open beds add up to it.
    """
    areas = england_areas()
    region_of, _ = regions(n_regions)
    kinds = [(s, lvl) for s in services for lvl in LEVELS[s]]
    kw = np.array([cal.NATIONAL_BEDS[k] / cal.TYPICAL_WARD_BEDS[k] for k in kinds])
    n_sites = max(1, min(len(areas), round(n_units / cal.WARDS_PER_SITE)))
    site_area = rng.choice(len(areas), size=n_sites, replace=False,
                           p=areas.weight / areas.weight.sum())
    site_independent = rng.random(n_sites) < cal.INDEPENDENT_SHARE
    kind_idx = rng.choice(len(kinds), size=n_units, p=kw / kw.sum())
    site_idx = rng.integers(0, n_sites, size=n_units)
    raw_beds = np.array([float(rng.choice(cal.WARD_BEDS[kinds[k]])) for k in kind_idx])
    if n_open_beds is not None and n_units:
        beds = _largest_remainder(raw_beds, n_open_beds, minimum=1)
    else:
        beds = raw_beds.astype(int)
    width = max(3, len(str(n_units)))
    units: list[Unit] = []
    for i in range(n_units):
        service, level = kinds[int(kind_idx[i])]
        u = rng.random()
        f_share = cal.FEMALE_WARD_SHARE[(service, level)]
        m_share = cal.MALE_WARD_SHARE[(service, level)]
        sex = "female" if u < f_share else "male" if u < f_share + m_share else "mixed"
        tags = sorted(t for t, share in cal.SPECIALISM_SHARE[(service, level)].items()
                      if rng.random() < share)
        only = bool(tags) and rng.random() < cal.SPECIALIST_ONLY_SHARE
        transfers = (not only and level not in ("high",)
                     and rng.random() < cal.TRANSFERS_ONLY_SHARE.get(service, 0.0))
        closed = int(rng.integers(1, 3)) if rng.random() < cal.CLOSED_WARD_SHARE else 0
        s = int(site_idx[i])
        a = int(site_area[s])
        region = f"R{int(region_of[a]) + 1:02d}"
        network = NATIONAL_LEVELS.get((service, level), f"{region}-{SERVICE_SHORT[service]}")
        independent = bool(site_independent[s])
        uid = f"U{i + 1:0{width}d}"
        words = _level_words(service, level)
        if tags:
            words += "; " + ", ".join(tags) + (" only" if only else "")
        if transfers:
            words += "; rehabilitation, transfers only"
        units.append(Unit(
            unit_id=uid, name=f"Ward {uid} ({words}; {_SEX_WORDS[sex]})",
            provider=(f"Independent provider {region}-{s + 1}" if independent
                      else f"NHS trust {region}-{s + 1}"),
            provider_type="independent" if independent else "nhs",
            network_id=network, service=service, level=level, sex=sex,
            specialisms=frozenset(tags), beds=int(beds[i]) + closed, beds_closed=closed,
            cost_per_day=cal.cost_per_day(service, level,
                                          "independent" if independent else "nhs"),
            specialist_only=only, accepts_referrals=not transfers,
            function=("specialist" if only else "rehabilitation" if transfers else ""),
            lat=float(areas.lat[a]), lon=float(areas.lon[a]), postcode=str(areas.code[a]),
            extra=(("site", f"S{s + 1:0{width}d}"),)))
    return tuple(units)


def footprint_home_model(fallback: Mapping[str, np.ndarray] | None = None) -> HomeModel:
    """Home networks of England's real collaborative footprints (:mod:`models.footprints`):
    each district's collaborative per service; ``fallback[service]`` fills any district the
    footprint tables do not place (None: left unplaced, weight of no network)."""
    areas = england_areas()
    regional: dict[str, np.ndarray] = {}
    for service in SERVICES:
        nets = np.array([home_network(str(code), service) or "" for code in areas.code],
                        dtype=object)
        if fallback is not None and service in fallback:
            missing = nets == ""
            nets[missing] = fallback[service][missing]
        regional[service] = nets
    return HomeModel(areas=areas, regional=regional, national=NATIONAL_NETWORKS)


def regional_home_model(services: Sequence[str], n_regions: int) -> HomeModel:
    """Home networks of generated instances: ``R03-secure`` for region 3, adult secure."""
    areas = england_areas()
    region_of, _ = regions(n_regions)
    label = np.array([f"R{r + 1:02d}" for r in region_of], dtype=object)
    regional = {s: label + f"-{SERVICE_SHORT[s]}" for s in services}
    national = {k: v for k, v in NATIONAL_LEVELS.items() if k[0] in services}
    return HomeModel(areas=areas, regional=regional, national=national)


def default_regions(n_units: int) -> int:
    """England has 15 adult secure collaboratives for about 300 wards: one per 20 wards.

    At least two regions from 4 wards up, so that small instances have out-of-area
    placements to repatriate too.
    """
    if n_units < 4:
        return 1
    return max(2, min(15, round(n_units / 20)))


def generate_instance(seed: int, n_patients: int, n_units: int, *,
                      services: Sequence[str] = SERVICES,
                      occupancy: float = cal.OCCUPANCY,
                      referral_share: float = cal.REFERRAL_SHARE_OF_BEDS,
                      n_referrals: int | None = None,
                      n_regions: int | None = None,
                      distance: str = "road",
                      settings: PopulationSettings | None = None,
                      future_days: int = 0) -> Instance:
    """A realistic, valid, feasible instance with ``n_patients`` patients and ``n_units`` wards.

    ``n_referrals`` of the patients (default: ``referral_share`` of the beds) are tonight's
    referrals, the rest inpatients filling the open beds to ``occupancy``; with
    ``future_days`` > 0 the referrals expected over those days (``arrives_on``) come on top.
    The policy's ``[plan] start`` is the census night the dates are drawn around, so that
    ``bedplan plan`` and ``simulate`` read them as meant whatever today's date. Same
    arguments → the same Instance.
    """
    _check(seed, n_patients, n_units, services, occupancy, referral_share, n_referrals)
    services = [s for s in SERVICES if s in set(services)]
    if n_referrals is None:
        ratio = referral_share / occupancy
        n_referrals = round(n_patients * ratio / (1 + ratio))
    n_referrals = min(n_referrals, n_patients)
    n_inpatients = n_patients - n_referrals
    k = n_regions if n_regions is not None else default_regions(n_units)
    if k < 1:
        raise ValueError("n_regions must be at least 1")
    rng = np.random.default_rng(seed)
    open_target = math.ceil(n_inpatients / occupancy) if n_inpatients else None
    units = generate_units(rng, n_units, open_target, services, k)
    homes = regional_home_model(services, k)
    pop = settings or PopulationSettings(occupancy=occupancy)
    patients = populate_patients(units, homes, rng, n_referrals=n_referrals,
                                 n_inpatients=n_inpatients, settings=pop,
                                 future_days=future_days)
    return Instance(units=units, patients=patients,
                    networks=generated_networks(units, patients, k),
                    policy=Policy(distance=distance,
                                  plan=PlanSettings(start=cal.REFERENCE_DATE)),
                    source=f"generated seed={seed}")


def generated_networks(units: Iterable[Unit], patients: Iterable[Patient],
                       n_regions: int) -> tuple[Network, ...]:
    """Every network id used by a unit or a patient, named after its region's main district."""
    areas = england_areas()
    region_of, _ = regions(n_regions)
    used = sorted({u.network_id for u in units} | {p.home_network_id for p in patients})
    biggest: dict[str, str] = {}
    for r in range(n_regions):
        idx = np.flatnonzero(region_of == r)
        if idx.size:
            biggest[f"R{r + 1:02d}"] = str(areas.code[idx[np.argmax(areas.weight[idx])]])
    out = []
    for nid in used:
        national = {v: k for k, v in NATIONAL_LEVELS.items()}.get(nid)
        if national is not None:
            name = f"Synthetic national {_level_words(*national)} service"
            region = "England"
        else:
            region, short = nid.split("-", 1)
            service = {v: k for k, v in SERVICE_SHORT.items()}[short]
            name = (f"Synthetic {SERVICE_WORDS[service]} collaborative, region {region} "
                    f"(around {biggest.get(region, '?')})")
        out.append(Network(network_id=nid, name=name, lead_provider="",
                           extra=(("region", region),)))
    return tuple(out)


def _check(seed: int, n_patients: int, n_units: int, services: Sequence[str],
           occupancy: float, referral_share: float, n_referrals: int | None) -> None:
    """Refuse arguments that cannot make a valid instance (ValueError, plain words)."""
    problems: list[str] = []
    if seed < 0:
        problems.append("seed must be >= 0")
    if n_patients < 0:
        problems.append("the number of patients must be >= 0")
    if n_units < 1:
        problems.append("the number of units must be >= 1")
    unknown = sorted(set(services) - set(SERVICES))
    if unknown:
        problems.append(f"unknown service(s) {', '.join(unknown)}: use {', '.join(SERVICES)}")
    if not services:
        problems.append("at least one service is needed")
    if not 0.0 < occupancy <= 1.0:
        problems.append("occupancy must be in (0, 1]")
    if referral_share < 0.0:
        problems.append("referral share must be >= 0")
    if n_referrals is not None and not 0 <= n_referrals <= max(n_patients, 0):
        problems.append("referrals must be between 0 and the number of patients")
    if problems:
        raise ValueError("; ".join(problems))

