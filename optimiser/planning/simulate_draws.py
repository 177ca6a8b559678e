"""What a simulated year is made of: lengths of stay, referral rates, and one run's draws.

Lengths of stay are the England calibration's (``models.calibration.mean_stay_days``:
means by service and level, with their sources). A :class:`World` is everything every run
shares (the census, its distances, the referral streams, the dates); :func:`draw_run` is a
pure function of (world, run seed) giving the run's discharges and arrivals, so run k of
every policy sees the same draws (common random numbers) and a run is the same on any
process. Each kind of draw has its own random stream
(``numpy.random.SeedSequence(seed).spawn``), so the draws of the first d nights do not
depend on how many nights are simulated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from models.calibration import mean_stay_days
from models.demand import DemandRate
from models.domain import Instance, Patient
from models.errors import InputError, Problem
from models.io import record_problems

#: Nights in a year, turning referrals a year into a rate a night.
DAYS_PER_YEAR = 365.0


def estimate_rates(instance: Instance) -> tuple[DemandRate, ...]:
    """Referrals a year per (service, level, home collaborative), from the census.

    Little's law in a steady state: admissions a day = patients in beds / mean stay. Each
    inpatient contributes 1 / (their mean stay) a day, so a stream's rate is the sum over
    its inpatients (CAMHS eating-disorder patients count with their own, longer stay).
    """
    per_day: dict[tuple[str, str, str], float] = {}
    for p in instance.patients:
        if p.is_referral:
            continue
        key = (p.service, p.level, p.home_network_id)
        per_day[key] = per_day.get(key, 0.0) + 1.0 / mean_stay_days(p.service, p.level,
                                                                     p.needs)
    return tuple(DemandRate(s, lv, h, rate * DAYS_PER_YEAR)
                 for (s, lv, h), rate in sorted(per_day.items()))


@dataclass(frozen=True, eq=False)
class World:
    """What every run and policy shares (read-only; shipped once to every Dask worker).

    Nights are numbered 1..days; night k is the date ``start + (k - 1)``. A patient *gone*
    from night g sleeps in hospital on nights before g only.
    """

    instance: Instance
    start: dt.date
    days: int
    distances: np.ndarray  # census patients × units, km (np.inf: unreachable)
    rates: tuple[DemandRate, ...]
    templates: tuple[np.ndarray, ...]  # per rate: census patients its referrals copy
    template_cdf: tuple[np.ndarray, ...]  # per rate: cumulative probabilities of templates
    census_arrive: np.ndarray  # per census patient: first night (inpatients 1); > days: later
    census_gone: np.ndarray  # per census inpatient: night gone from its expected_discharge, 0
    drawn_from: int  # the first night drawn referrals may arrive
    lookahead: int = 7

    @property
    def n_census(self) -> int:
        return len(self.instance.patients)


def night_of(start: dt.date, day: dt.date) -> int:
    """The night number of a date (night 1 is ``start``)."""
    return (day - start).days + 1


def build_world(instance: Instance, *, days: int, start: dt.date,
                rates: tuple[DemandRate, ...] | None = None,
                distances: np.ndarray | None = None, lookahead: int = 7) -> World:
    """Check the census and set up what every run shares.

    Refused (InputError, exit 2): ``days < 1``; a ward whose inpatients exceed its open beds
    tonight (a simulation checks every night against open beds, so it must start within
    them); an ``expected_discharge`` on or before ``start`` (as ``bedplan plan`` refuses it).
    Referrals listed with an ``arrives_on`` after ``start`` are the known pipeline: drawn
    referrals then start the night after the last of them, so demand is not counted twice.
    """
    if days < 1:
        raise InputError(Problem("--days", None, None, f"must be at least 1, got {days}"))
    if lookahead < 1:
        raise InputError(Problem("--lookahead", None, None,
                                 f"must be at least 1, got {lookahead}"))
    found: list[tuple[str, str, str]] = []
    occupancy = instance.occupancy()
    over = [(u.unit_id, "beds", f"{occupancy[u.unit_id]} inpatients tonight but "
             f"{u.open_beds} open beds: a simulation starts from a census that fits")
            for u in instance.units if occupancy[u.unit_id] > u.open_beds]
    n = len(instance.patients)
    arrive = np.ones(n, dtype=np.int64)
    gone = np.zeros(n, dtype=np.int64)
    for i, p in enumerate(instance.patients):
        if p.is_referral and p.arrives_on is not None:
            arrive[i] = max(1, night_of(start, p.arrives_on))
        if not p.is_referral and p.expected_discharge is not None:
            if p.expected_discharge <= start:
                found.append((p.patient_id, "expected_discharge",
                              f"{p.expected_discharge.isoformat()} is not after the first "
                              f"night {start.isoformat()}"))
            gone[i] = night_of(start, p.expected_discharge)
    if distances is None:
        from optimiser.geography.distances import distance_matrix

        distances = distance_matrix(instance, instance.policy.distance)
    index = instance.unit_index()
    for i, p in enumerate(instance.patients):
        j = index.get(p.current_unit_id or "")
        if not p.is_referral and j is not None and not math.isfinite(distances[i, j]):
            found.append((p.patient_id, "current_unit_id", f"current unit {p.current_unit_id} "
                          "is unreachable from home"))
    problems = record_problems(instance.source, "units.csv", over) + \
        record_problems(instance.source, "patients.csv", found)
    if problems:
        raise InputError(problems)
    rates = estimate_rates(instance) if rates is None else rates
    templates, cdfs = _templates(instance, rates)
    pipeline = [int(a) for a, p in zip(arrive, instance.patients, strict=True)
                if p.is_referral and p.arrives_on is not None and p.arrives_on > start]
    return World(instance=instance, start=start, days=days,
                 distances=np.asarray(distances, dtype=float), rates=rates,
                 templates=templates, template_cdf=cdfs, census_arrive=arrive,
                 census_gone=gone,
                 drawn_from=max(pipeline, default=0) + 1, lookahead=lookahead)


def _templates(instance: Instance, rates: tuple[DemandRate, ...]
               ) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Per stream, the census patients its referrals copy and their cumulative probabilities.

    Arrivals are a flow, the census a stock: a kind of patient who stays long is common in
    beds but rare among arrivals. So an inpatient is drawn with weight 1 / (their mean stay),
    their share of the stream's admissions by Little's law (a CAMHS eating-disorder patient,
    125 days, weighs 35/125 of another CAMHS general patient). A stream with no inpatient
    copies its census referrals, equally likely.
    """
    inpatients: dict[tuple[str, str, str], list[int]] = {}
    referrals: dict[tuple[str, str, str], list[int]] = {}
    for i, p in enumerate(instance.patients):
        key = (p.service, p.level, p.home_network_id)
        (referrals if p.is_referral else inpatients).setdefault(key, []).append(i)
    templates, cdfs = [], []
    for r in rates:
        key = (r.service, r.level, r.home_network_id)
        rows = inpatients.get(key) or referrals.get(key) or []
        if key in inpatients:
            weights = np.array([1.0 / mean_stay_days(instance.patients[i].service,
                                                     instance.patients[i].level,
                                                     instance.patients[i].needs)
                                for i in rows])
        else:
            weights = np.ones(len(rows))
        cdf = np.cumsum(weights)
        templates.append(np.asarray(rows, dtype=np.int64))
        cdfs.append(cdf / cdf[-1] if cdf.size else cdf)
    return tuple(templates), tuple(cdfs)


@dataclass(frozen=True, eq=False)
class RunDraws:
    """One run's draws, the same for every policy.

    The run's patients are the census (in patients.csv order) then the drawn referrals
    (by arrival night, then stream, then draw order), ids ``A{run}-{k}``.
    """

    run: int
    seed: int
    stay: np.ndarray  # per patient: nights in hospital once admitted (census: from night 1)
    arrive: np.ndarray  # per patient: arrival night (census inpatients: 1)
    template: np.ndarray  # per patient: census row its distances (and profile) come from
    patients: tuple[Patient, ...]  # census patients then drawn referrals

    @property
    def n(self) -> int:
        return len(self.patients)


def run_seed(seed: int, run: int) -> int:
    """The seed of run ``run`` (numbered from 1): ``seed + run - 1``."""
    return seed + run - 1


def _stays(rng: np.random.Generator, means: np.ndarray) -> np.ndarray:
    """Whole nights ≥ 1: ceil of an exponential with the given means (memoryless, so the
    time still to stay of a census inpatient has the same law as a new stay)."""
    if means.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.maximum(1, np.ceil(rng.standard_exponential(means.size) * means)
                      ).astype(np.int64)


def draw_run(world: World, run: int, seed: int) -> RunDraws:
    """Run ``run``'s discharges and arrivals, a pure function of (world, seed).

    Census inpatients leave at their ``expected_discharge``, else after a drawn stay; a
    referral (listed or drawn) stays a drawn number of nights once admitted. Drawn referrals
    arrive by a Poisson process per stream (rate per year / 365 a night) from
    ``world.drawn_from``; each copies a census patient of its stream (sex, age, needs, home,
    priority; not excluded wards), drawn with the stream's flow weights (:func:`_templates`).
    """
    census_ss, count_ss, pick_ss, stay_ss = np.random.SeedSequence(seed).spawn(4)
    inst = world.instance
    census_means = np.array([mean_stay_days(p.service, p.level, p.needs)
                             for p in inst.patients], dtype=float)
    census_stay = _stays(np.random.default_rng(census_ss), census_means)
    given = world.census_gone > 0
    census_stay = np.where(given, world.census_gone - 1, census_stay)

    lam = np.array([r.referrals_per_year / DAYS_PER_YEAR for r in world.rates], dtype=float)
    lam[[t.size == 0 for t in world.templates]] = 0.0
    counts = np.random.default_rng(count_ss).poisson(lam, size=(world.days, lam.size))
    counts[: max(0, world.drawn_from - 1)] = 0
    nights, streams = np.nonzero(counts)
    reps = counts[nights, streams]
    a_night = np.repeat(nights + 1, reps).astype(np.int64)
    a_stream = np.repeat(streams, reps)
    u = np.random.default_rng(pick_ss).random(a_night.size)
    template = np.zeros(a_night.size, dtype=np.int64)
    for s in np.unique(a_stream).tolist():
        at = np.flatnonzero(a_stream == s)
        cdf = world.template_cdf[s]
        pick = np.minimum(np.searchsorted(cdf, u[at], side="right"), cdf.size - 1)
        template[at] = world.templates[s][pick]
    means = np.array([_stream_stay(world, s, int(t)) for s, t in
                      zip(a_stream.tolist(), template.tolist(), strict=True)], dtype=float)
    a_stay = _stays(np.random.default_rng(stay_ss), means)
    drawn = tuple(_referral(inst.patients[t], f"A{run}-{k + 1}", world.start, night)
                  for k, (t, night) in enumerate(zip(template.tolist(), a_night.tolist(),
                                                     strict=True)))
    n = len(inst.patients)
    return RunDraws(
        run=run, seed=seed, stay=np.concatenate([census_stay, a_stay]),
        arrive=np.concatenate([world.census_arrive, a_night]),
        template=np.concatenate([np.arange(n, dtype=np.int64), template]),
        patients=inst.patients + drawn)


def _stream_stay(world: World, stream: int, template: int) -> float:
    given = world.rates[stream].mean_stay_days
    if given is not None:
        return given
    p = world.instance.patients[template]
    return mean_stay_days(p.service, p.level, p.needs)


def _referral(template: Patient, patient_id: str, start: dt.date, night: int) -> Patient:
    return dataclasses.replace(
        template, patient_id=patient_id, status="referral", current_unit_id=None,
        movable=True, excluded_units=frozenset(), admitted_on=None, legal_status="",
        expected_discharge=None, arrives_on=start + dt.timedelta(days=night - 1), extra=())


def interval_95(values: np.ndarray) -> tuple[float, float, float | None, float | None]:
    """(mean, sd, low, high): the mean over runs and its 95% t-interval (Student, n - 1
    degrees of freedom); low and high are None with fewer than two runs."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    mean = float(values.mean()) if values.size else math.nan
    if values.size < 2:
        return mean, math.nan, None, None
    sd = float(values.std(ddof=1))
    if sd == 0.0:
        return mean, 0.0, mean, mean
    low, high = stats.t.interval(0.95, values.size - 1, loc=mean,
                                 scale=sd / math.sqrt(values.size))
    return mean, sd, float(low), float(high)
