"""One simulated run under one policy, night by night.

Each night, in this order: inpatients whose stay is over leave (discharges); referrals
arriving that night join the waiting list (in arrival order); the policy decides the
night's admissions and moves; then the night is counted (who sleeps where). The engine,
not the policy, keeps the books: it refuses any decision that would admit someone who is
not waiting, move someone who is not in a bed, or fill a ward beyond its open beds, so
the figures hold whatever a policy does. With ``events=True`` every discharge, arrival,
admission and move is logged, so tests can replay a run and check every night.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

import numpy as np

from optimiser.planning.simulate_draws import RunDraws, World

#: The columns of runs.csv after policy, run and seed, in order.
FIGURES: tuple[str, ...] = (
    "brought_home", "moves", "admissions", "discharges", "referrals", "unplaced_nights",
    "out_of_area_bed_days", "bed_days", "km_bed_days", "cost",
)
#: States of a run's patient.
FUTURE, WAITING, INSIDE, GONE = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Event:
    """One change in a run: discharge, arrive, admit or move (units None when not one)."""

    night: int
    kind: str
    patient_id: str
    from_unit: str | None
    to_unit: str | None


@dataclass(frozen=True, eq=False)
class Night:
    """What a policy sees on one night (arrays are the engine's: read, never write)."""

    night: int
    date: date
    unit: np.ndarray  # per run patient: unit index, -1 when not in a bed
    gone: np.ndarray  # per run patient in a bed: the night they are gone from
    waiting: np.ndarray  # run patients waiting, in arrival order
    inside: np.ndarray  # run patients in a bed, ascending
    free: np.ndarray  # per unit: open beds minus patients in it


class Decider(Protocol):
    """A policy for one run: the night's admissions and moves as (patient, unit) pairs."""

    failed_nights: int

    def __call__(self, night: Night) -> Sequence[tuple[int, int]]: ...


@dataclass(frozen=True, eq=False)
class RunResult:
    """The figures of one (policy, run), the out-of-area series and, on request, the log."""

    policy: str
    run: int
    seed: int
    figures: Mapping[str, float]
    out_of_area: tuple[int, ...]  # per night: patients in a bed outside their collaborative
    waiting: tuple[int, ...]  # per night: referrals waiting after the night's admissions
    present: tuple[int, ...]  # per night: patients in a bed
    census: tuple[int, int]  # (inpatients, referrals) of the census taken into the run
    end: tuple[int, int]  # (inpatients, referrals waiting) after the last night
    failed_nights: int = 0  # nights the policy found no plan (nobody moved or admitted)
    seconds: float = 0.0
    events: tuple[Event, ...] = ()


class PolicyError(RuntimeError):
    """A policy decided something impossible (a bug in the policy, never in the input)."""


def simulate_run(world: World, draws: RunDraws, name: str, decider: Decider, *,
                 events: bool = False, tick: Callable[[], None] | None = None) -> RunResult:
    """Run ``decider`` over ``world.days`` nights on ``draws``; see the module docstring.

    ``tick`` is called once per night (the progress bar).
    """
    t0 = time.perf_counter()
    inst = world.instance
    units = inst.units
    m = len(units)
    uidx = inst.unit_index()
    unit_ids = [u.unit_id for u in units]
    net_codes: dict[str, int] = {}
    unit_net = np.array([net_codes.setdefault(u.network_id, len(net_codes)) for u in units],
                        dtype=np.int64)
    open_beds = np.array([u.open_beds for u in units], dtype=np.int64)
    cost_day = np.array([u.cost_per_day for u in units], dtype=float)
    n, days = draws.n, world.days
    home = np.array([net_codes.get(p.home_network_id, -1) for p in draws.patients],
                    dtype=np.int64)
    ids = [p.patient_id for p in draws.patients]

    unit = np.full(n, -1, dtype=np.int64)
    state = np.full(n, FUTURE, dtype=np.int8)
    gone = np.zeros(n, dtype=np.int64)
    leaving: dict[int, list[int]] = {}
    arriving: dict[int, list[int]] = {}
    log: list[Event] = []
    for i, p in enumerate(draws.patients):
        if not p.is_referral:
            unit[i] = uidx[p.current_unit_id or ""]
            state[i] = INSIDE
            gone[i] = 1 + int(draws.stay[i])
            leaving.setdefault(int(gone[i]), []).append(i)
        elif draws.arrive[i] <= days:
            arriving.setdefault(int(draws.arrive[i]), []).append(i)
    n_census = len(inst.patients)
    census = (int(np.sum(state == INSIDE)),
              sum(1 for i in range(n_census)
                  if draws.patients[i].is_referral and draws.arrive[i] <= days))
    occ = np.bincount(unit[unit >= 0], minlength=m).astype(np.int64)
    waiting: list[int] = []
    totals = dict.fromkeys(FIGURES, 0.0)
    totals["referrals"] = float(sum(len(v) for v in arriving.values()))
    series_ooa, series_wait, series_present = [], [], []

    for night in range(1, days + 1):
        for i in leaving.pop(night, []):
            if state[i] == INSIDE and gone[i] == night:
                occ[unit[i]] -= 1
                if events:
                    log.append(Event(night, "discharge", ids[i], unit_ids[unit[i]], None))
                state[i], unit[i] = GONE, -1
                totals["discharges"] += 1
        for i in arriving.pop(night, []):
            state[i] = WAITING
            waiting.append(i)
            if events:
                log.append(Event(night, "arrive", ids[i], None, None))
        inside = np.flatnonzero(state == INSIDE)
        view = Night(night=night, date=world.start + timedelta(days=night - 1), unit=unit,
                     gone=gone, waiting=np.asarray(waiting, dtype=np.int64), inside=inside,
                     free=open_beds - occ)
        decisions = decider(view)
        admitted: set[int] = set()
        for i, j in decisions:
            i, j = int(i), int(j)
            if not 0 <= j < m:
                raise PolicyError(f"night {night}: unit index {j} out of range")
            if state[i] == WAITING and i not in admitted:
                admitted.add(i)
                state[i], unit[i] = INSIDE, j
                gone[i] = night + int(draws.stay[i])
                leaving.setdefault(int(gone[i]), []).append(i)
                occ[j] += 1
                totals["admissions"] += 1
                if events:
                    log.append(Event(night, "admit", ids[i], None, unit_ids[j]))
            elif state[i] == INSIDE and i not in admitted and unit[i] != j:
                before = int(unit[i])
                occ[before] -= 1
                occ[j] += 1
                unit[i] = j
                totals["moves"] += 1
                if unit_net[before] != home[i] and unit_net[j] == home[i]:
                    totals["brought_home"] += 1
                if events:
                    log.append(Event(night, "move", ids[i], unit_ids[before], unit_ids[j]))
            else:
                raise PolicyError(f"night {night}: {ids[i]} cannot be admitted or moved to "
                                  f"{unit_ids[j]} (not waiting, not in a bed, or twice)")
        if np.any(occ > open_beds):
            j = int(np.flatnonzero(occ > open_beds)[0])
            raise PolicyError(f"night {night}: {unit_ids[j]} holds {occ[j]} patients in "
                              f"{open_beds[j]} open beds")
        if admitted:
            waiting = [i for i in waiting if i not in admitted]
        inside = np.flatnonzero(state == INSIDE)
        where = unit[inside]
        ooa = int(np.count_nonzero(unit_net[where] != home[inside]))
        totals["bed_days"] += inside.size
        totals["out_of_area_bed_days"] += ooa
        totals["km_bed_days"] += float(world.distances[draws.template[inside], where].sum())
        totals["cost"] += float(cost_day[where].sum())
        totals["unplaced_nights"] += len(waiting)
        series_ooa.append(ooa)
        series_wait.append(len(waiting))
        series_present.append(int(inside.size))
        if tick is not None:
            tick()
    figures = {k: (round(v, 2) if k in ("km_bed_days", "cost") else int(v))
               for k, v in totals.items()}
    return RunResult(
        policy=name, run=draws.run, seed=draws.seed, figures=figures,
        out_of_area=tuple(series_ooa), waiting=tuple(series_wait),
        present=tuple(series_present), census=census,
        end=(int(np.sum(state == INSIDE)), len(waiting)),
        failed_nights=decider.failed_nights, seconds=time.perf_counter() - t0,
        events=tuple(log))
