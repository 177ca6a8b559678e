"""Sweeps: many scenarios at once (bed changes × closures × demand draws), run on Dask.

The unit of work is one *task*: a grid point (a :class:`~models.sweepgrid.Scenario`) and one
demand draw (a seed). :func:`evaluate` turns a task into one results row and is a pure
function of (base instance, task, demand): the same row whichever process runs it, so a
sweep gives identical results in-process (``workers=0``), on a LocalCluster or on a remote
cluster. Draw k uses seed ``base_seed + k`` in every scenario (common random numbers), so
scenarios are compared on the same demand. Rows are sorted by (scenario_id, seed).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from models.domain import Instance, Patient
from models.errors import InputError, Problem
from models.sweepgrid import Demand, Scenario, SweepGrid
from models.text import count

if TYPE_CHECKING:
    import pandas as pd

    from models.changes import Changes
    from optimiser.core.result import Result

log = logging.getLogger(__name__)

#: Result columns after the parameter columns, in order (one row per scenario × seed).
RESULT_COLUMNS: tuple[str, ...] = (
    "status", "objective", "placed", "unplaced", "moves", "out_of_area", "total_km",
    "median_km", "delayed", "referrals", "seconds", "error",
)
SolveFn = Callable[[Instance, np.ndarray | None], "Result"]


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: a grid point and a demand draw (seed None: the instance's referrals)."""

    scenario: Scenario
    seed: int | None


# --------------------------------------------------------------------------- instance edits

def sweep_base(instance: Instance, grid: SweepGrid) -> Instance:
    """The instance every task starts from: the grid's ``[policy]`` applied.

    The solver's thread count is left as the policy says: HiGHS fixes it once per process
    (its global scheduler), so changing it here would break later solves in the same
    process.
    """
    from models.policy import policy_from_mapping

    policy, problems = policy_from_mapping(grid.policy, base=instance.policy,
                                           file=grid.source or "SWEEP.toml")
    if problems:
        raise InputError(problems)
    return dataclasses.replace(instance, policy=policy)


def scenario_changes(scenario: Scenario, file: str = "SWEEP.toml") -> Changes:
    """The scenario as CHANGES.toml would say it: one [[set]] per unit, one [[close]] each."""
    from models.changes import Changes, CloseUnit, SetUnit

    numbers: dict[str, dict[str, Any]] = {}
    for unit_id, name, value in scenario.settings:
        numbers.setdefault(unit_id, {})[name] = (float(value) if name == "cost_per_day"
                                                 else int(value))
    sets = tuple(SetUnit(i, None, uid, **fields)
                 for i, (uid, fields) in enumerate(numbers.items(), start=1))
    closes = tuple(CloseUnit(i, None, uid) for i, uid in enumerate(scenario.closed, start=1))
    return Changes(file=file, sets=sets, closes=closes)


def apply_scenario(instance: Instance, scenario: Scenario, file: str = "SWEEP.toml"
                   ) -> Instance:
    """The instance with the scenario's numbers set and its units closed.

    Exactly what ``bedplan scenario`` does with the same [[set]]/[[close]] tables
    (``models.changes.apply_changes``): numbers first, then closures; a closed unit has
    all its beds closed and its inpatients are treated as movable.
    """
    from models.changes import apply_changes

    return apply_changes(instance, scenario_changes(scenario, file))


# --------------------------------------------------------------------------- demand draws

def _resample_instance(instance: Instance, n: int, seed: int) -> tuple[Patient, ...]:
    """n referrals whose needs and homes are drawn (with replacement) from the instance's
    own patients: the empirical population of the instance."""
    pool = instance.patients
    if not pool:
        raise InputError(Problem("SWEEP.toml", None, "demand.source",
                                 "the instance has no patients to resample referrals from"))
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(pool), size=n)
    return tuple(
        dataclasses.replace(pool[int(i)], patient_id=f"S{seed}-{k + 1}", status="referral",
                            current_unit_id=None, movable=True, priority=1,
                            excluded_units=frozenset(), admitted_on=None)
        for k, i in enumerate(picks))


_HOMES_CACHE: dict[int, Any] = {}


def _national_networks(instance: Instance) -> dict[tuple[str, str], str]:
    """(service, level) commissioned by one network that runs nothing else (high secure)."""
    kinds: dict[tuple[str, str], set[str]] = {}
    per_net: dict[str, set[tuple[str, str]]] = {}
    for u in instance.units:
        kinds.setdefault((u.service, u.level), set()).add(u.network_id)
        per_net.setdefault(u.network_id, set()).add((u.service, u.level))
    return {k: next(iter(nets)) for k, nets in kinds.items()
            if len(nets) == 1 and len(per_net[next(iter(nets))]) == 1}


def home_model(instance: Instance) -> Any:
    """The calibrated home model for the instance's units (cached per process).

    Homes are England's postcode districts weighted by population; each district's home
    collaborative is that of the nearest site of the service (as for the England instance),
    except for levels one network commissions alone (national).
    """
    key = hash(tuple((u.unit_id, u.network_id, u.service, u.level, u.lat, u.lon)
                     for u in instance.units))
    cached = _HOMES_CACHE.get(key)
    if cached is None:
        from models.generate import HomeModel, england_areas, nearest_site_networks

        national = _national_networks(instance)
        areas = england_areas()
        regional = nearest_site_networks(areas, instance.units, set(national.values()))
        cached = HomeModel(areas=areas, regional=regional, national=national)
        _HOMES_CACHE.clear()
        _HOMES_CACHE[key] = cached
    return cached


def _sample_population(instance: Instance, n: int, seed: int) -> tuple[Patient, ...]:
    """n referrals from the calibrated population model (``models.generate``): a ward is
    drawn by open beds, the referral made to fit its service and level, the home drawn from
    England's districts by population."""
    from models.generate import populate_patients

    rng = np.random.default_rng(seed)
    drawn = populate_patients(instance.units, home_model(instance), rng, n_referrals=n,
                              n_inpatients=0)
    return tuple(dataclasses.replace(p, patient_id=f"S{seed}-{k + 1}")
                 for k, p in enumerate(drawn))


def sample_referrals(instance: Instance, n: int, seed: int,
                     source: str = "auto") -> tuple[Patient, ...]:
    """n referrals for draw ``seed``, a pure function of (instance, n, seed, source).

    ``source``: "population" (calibrated model, homes in England), "instance" (resample the
    instance's own patients), "auto" (population, or instance for a custom geography/).
    """
    if n == 0:
        return ()
    if source == "instance" or (source == "auto" and instance.geography is not None):
        return _resample_instance(instance, n, seed)
    return _sample_population(instance, n, seed)


def describe_demand(instance: Instance, demand: Demand) -> str:
    """What a sweep's referrals are, in one sentence (the command line says it first)."""
    own = sum(p.is_referral for p in instance.patients)
    if demand.mode == "instance":
        return f"the instance's {count(own, 'referral')} as given (no draws)"
    n = own if demand.referrals is None else demand.referrals
    source = "resampled from the instance's patients" if demand.source == "instance" or (
        demand.source == "auto" and instance.geography is not None) else \
        "from the population model"
    draws = f"{count(demand.seeds, 'draw')} (seeds {demand.draws[0]}" + (
        f"-{demand.draws[-1]})" if demand.seeds > 1 else ")")
    if demand.mode == "add":
        return (f"the instance's {count(own, 'referral')} plus {n:,} drawn {source}, "
                f"{draws}")
    return (f"{n:,} referrals drawn {source} instead of the instance's {own:,}, {draws}")


def demand_instance(instance: Instance, demand: Demand, seed: int | None) -> Instance:
    """The instance with draw ``seed``'s referrals (replacing or added to its own)."""
    if seed is None or demand.mode == "instance":
        return instance
    inpatients = tuple(p for p in instance.patients if not p.is_referral)
    own = tuple(p for p in instance.patients if p.is_referral)
    n = len(own) if demand.referrals is None else demand.referrals
    drawn = sample_referrals(instance, n, seed, demand.source)
    kept = inpatients if demand.mode == "replace" else instance.patients
    return dataclasses.replace(instance, patients=kept + drawn)


# --------------------------------------------------------------------------- evaluation

_DIST_CACHE: dict[tuple[int, int | None, Demand], np.ndarray] = {}
_DIST_CACHE_SIZE = 16


def instance_token(instance: Instance) -> int:
    """A fingerprint of what distances depend on (homes, unit sites, mode, geography)."""
    homes = tuple((p.home_lat, p.home_lon) for p in instance.patients)
    sites = tuple((u.lat, u.lon) for u in instance.units)
    return hash((homes, sites, instance.policy.distance, instance.geography))


def _distances(instance: Instance, token: int, seed: int | None,
               demand: Demand) -> np.ndarray:
    """Distances of a draw, cached per process: every scenario of a draw shares them.

    The draw depends on the demand settings as well as the seed, so they are in the key.
    """
    key = (token, seed, demand)
    cached = _DIST_CACHE.get(key)
    if cached is None:
        from optimiser.geography.distances import distance_matrix

        cached = distance_matrix(instance)
        if len(_DIST_CACHE) >= _DIST_CACHE_SIZE:
            _DIST_CACHE.pop(next(iter(_DIST_CACHE)))
        _DIST_CACHE[key] = cached
    return cached


def _default_solve(instance: Instance, distances: np.ndarray | None) -> Result:
    from optimiser.core.solve import solve

    return solve(instance, distances=distances)


def _num(value: float | None) -> float:
    return float("nan") if value is None or not math.isfinite(value) else float(value)


def evaluate(base: Instance, task: Task, demand: Demand, *, token: int | None = None,
             solve_fn: SolveFn | None = None) -> dict[str, Any]:
    """One results row for ``task`` (never raises: a failure is a row with status "error").

    ``base`` is :func:`sweep_base`'s instance; ``token`` its :func:`instance_token` (computed
    when not given); ``solve_fn(instance, distances)`` defaults to ``optimiser.core.solve.solve``.
    """
    start = time.perf_counter()
    row: dict[str, Any] = {"scenario_id": task.scenario.scenario_id,
                           "label": task.scenario.label}
    for unit_id, name, value in task.scenario.settings:
        row[f"{unit_id}.{name}"] = value
    row["closed"] = task.scenario.closure
    row["seed"] = task.seed
    try:
        drawn = demand_instance(base, demand, task.seed)
        tok = instance_token(base) if token is None else token
        dist = _distances(drawn, tok, task.seed, demand)
        inst = apply_scenario(drawn, task.scenario)
        result = (solve_fn or _default_solve)(inst, dist)
        m = result.metrics
        plan = result.has_plan
        row.update(
            status=result.status, objective=_num(result.objective) if plan else math.nan,
            placed=m.placed if plan else 0, unplaced=m.unplaced if plan else 0,
            moves=m.moves if plan else 0, out_of_area=m.out_of_area if plan else 0,
            total_km=round(m.total_km, 3) if plan else math.nan,
            median_km=round(m.median_km, 3) if plan else math.nan,
            delayed=m.delayed if plan else 0,
            referrals=sum(1 for p in inst.patients if p.is_referral), error="")
    except Exception as exc:  # one failed scenario must not lose the whole sweep
        log.debug("sweep task %s/%s failed", task.scenario.scenario_id, task.seed,
                  exc_info=True)
        row.update(status="error", objective=math.nan, placed=0, unplaced=0, moves=0,
                   out_of_area=0, total_km=math.nan, median_km=math.nan, delayed=0,
                   referrals=0, error=f"{type(exc).__name__}: {exc}")
    row["seconds"] = round(time.perf_counter() - start, 4)
    return row


def _evaluate_remote(base: Instance, task: Task, demand: Demand, token: int,
                     solve_fn: SolveFn | None) -> dict[str, Any]:
    """What a Dask worker runs (module-level so it pickles by reference)."""
    return evaluate(base, task, demand, token=token, solve_fn=solve_fn)


# --------------------------------------------------------------------------- orchestration

def tasks_of(grid: SweepGrid) -> list[Task]:
    """Every (scenario, draw) of the grid, in result order."""
    return [Task(s, seed) for s in grid.scenarios() for seed in grid.demand.draws]


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, file=sys.stderr, disable=not enabled, unit="scenario",
                desc="sweep", dynamic_ncols=True)


def run_sweep(instance: Instance, grid: SweepGrid, *, workers: int = 2,
              scheduler: str | None = None, progress: bool = False,
              solve_fn: SolveFn | None = None) -> pd.DataFrame:
    """Run every task of ``grid`` and return the results, sorted by (scenario_id, seed).

    ``workers=0``: in this process, one task after another (no Dask). ``workers>=1``: a Dask
    LocalCluster of that many single-threaded worker processes. ``scheduler``: the address of
    an existing Dask cluster (its workers need bedplan installed); ``workers`` is then
    ignored. ``progress`` draws a bar on stderr.
    """
    base = sweep_base(instance, grid)
    token = instance_token(base)
    tasks = tasks_of(grid)
    rows: list[dict[str, Any]] = []
    if workers < 0:
        raise ValueError("workers must be >= 0")
    with _progress_bar(len(tasks), progress) as bar:
        if scheduler is None and workers == 0:
            for task in tasks:
                rows.append(evaluate(base, task, grid.demand, token=token, solve_fn=solve_fn))
                bar.update(1)
        else:
            rows = _run_dask(base, tasks, grid.demand, token, workers, scheduler, solve_fn,
                             bar)
    return results_frame(rows, grid)


def _run_dask(base: Instance, tasks: Sequence[Task], demand: Demand, token: int, workers: int,
              scheduler: str | None, solve_fn: SolveFn | None, bar: Any) -> list[dict[str, Any]]:
    from dask.distributed import as_completed

    from optimiser.planning.cluster import dask_client

    with dask_client(workers, scheduler) as client:
        base_f = client.scatter(base, broadcast=True)
        run = uuid.uuid4().hex[:8]
        futures = [client.submit(_evaluate_remote, base_f, t, demand, token, solve_fn,
                                 key=f"bedplan-sweep-{run}-{i}", retries=1)
                   for i, t in enumerate(tasks)]
        rows = []
        for fut in as_completed(futures):
            rows.append(fut.result())
            bar.update(1)
            fut.release()
        return rows


def results_frame(rows: Sequence[Mapping[str, Any]], grid: SweepGrid) -> pd.DataFrame:
    """Rows as a DataFrame with a fixed column order and dtypes, sorted by scenario and seed."""
    import pandas as pd

    param_cols = list(dict.fromkeys(v.column for v in grid.vary))
    columns = ["scenario_id", "label", *param_cols, "closed", "seed", *RESULT_COLUMNS]
    df = pd.DataFrame(list(rows), columns=columns)
    df["seed"] = df["seed"].astype("Int64")
    for col in ("scenario_id", "placed", "unplaced", "moves", "out_of_area", "delayed",
                "referrals"):
        df[col] = df[col].astype("int64")
    for col in ("objective", "total_km", "median_km", "seconds"):
        df[col] = df[col].astype("float64")
    for v in grid.vary:
        df[v.column] = df[v.column].astype("float64" if v.field == "cost_per_day" else "int64")
    for col in ("label", "closed", "status", "error"):
        df[col] = df[col].astype(str)
    df = df.sort_values(["scenario_id", "seed"], kind="stable", na_position="first")
    return df.reset_index(drop=True)


#: Objectives closer than this (absolute, plus 1e-9 relative) are the same result.
TIE_TOL = 1e-6


@dataclass(frozen=True, slots=True)
class Best:
    """The best scenarios of a sweep: those tied with the lowest mean objective in every
    draw (``labels``, in scenario order), their mean, and the next best behind them."""

    labels: tuple[str, ...]
    mean: float
    scenarios: int  # scenarios compared (solved in every draw)
    runner_up: str | None = None
    behind: float | None = None  # runner-up's mean minus ``mean``


def best_scenarios(df: pd.DataFrame) -> Best | None:
    """The lowest mean objective over draws, and every scenario with the same objective in
    every draw: a tie is told as a tie, not settled by scenario order. Only scenarios solved
    in every draw compete (one with an infeasible draw is not "best"); None when none is.
    """
    solved = df[df["status"].isin(["optimal", "feasible"])]
    draws = df.groupby("scenario_id")["seed"].size()
    counts = solved.groupby("scenario_id")["objective"].count()
    complete = counts[counts == draws.reindex(counts.index)].index
    if complete.empty:
        return None
    sub = solved[solved["scenario_id"].isin(complete)]
    table = sub.assign(draw=sub["seed"].fillna(-1)).pivot_table(
        index="scenario_id", columns="draw", values="objective", aggfunc="first")
    means = table.mean(axis=1).sort_index()
    ids = [int(i) for i in means.index]
    first = ids[int(np.argmin(means.to_numpy(float)))]
    row = table.loc[first].to_numpy(float)
    tol = TIE_TOL + 1e-9 * np.abs(row)
    tied = [i for i in ids if np.all(np.abs(table.loc[i].to_numpy(float) - row) <= tol)]
    labels = df.drop_duplicates("scenario_id").set_index("scenario_id")["label"]
    rest = means.drop(tied)
    runner = [i for i in ids if i not in tied][int(np.argmin(rest.to_numpy(float)))] \
        if not rest.empty else None
    return Best(tuple(str(labels[i]) for i in tied), float(means[first]), len(means),
                None if runner is None else str(labels[runner]),
                None if runner is None else float(rest[runner] - means[first]))


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: mean (and min/max over draws) of the headline results, and the
    objective above the best scenario *in the same draw* (``above_best``, mean/min/max;
    NaN unless solved in every draw): with common random numbers the paired difference
    shows a scenario's effect without the spread between draws, and a tie as exactly 0."""
    import pandas as pd

    grouped = df.groupby(["scenario_id", "label"], sort=True)
    out = grouped.agg(
        draws=("seed", "size"),
        solved=("status", lambda s: int(s.isin(["optimal", "feasible"]).sum())),
        **{f"{col}{suffix}": (col, how) for col in ("objective", "unplaced", "out_of_area")
           for suffix, how in (("", "mean"), ("_min", "min"), ("_max", "max"))},
        moves=("moves", "mean"), median_km=("median_km", "mean"),
        total_km=("total_km", "mean")).reset_index()
    out["above_best"] = out["above_best_min"] = out["above_best_max"] = math.nan
    best = best_scenarios(df)
    if best is None:
        return out
    solved = df[df["status"].isin(["optimal", "feasible"])]
    draw = solved.assign(draw=solved["seed"].fillna(-1))
    table = draw.pivot_table(index="scenario_id", columns="draw", values="objective",
                             aggfunc="first")
    first = out.loc[out["label"] == best.labels[0], "scenario_id"].iloc[0]
    above = table.sub(table.loc[first], axis=1)
    above = above[above.notna().all(axis=1)]
    stats = pd.DataFrame({"above_best": above.mean(axis=1), "above_best_min": above.min(axis=1),
                          "above_best_max": above.max(axis=1)})
    out = out.drop(columns=list(stats.columns)).merge(stats, how="left",
                                                       left_on="scenario_id", right_index=True)
    return out
