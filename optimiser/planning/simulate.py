"""``bedplan simulate``: many nights, many runs, several policies, on Dask or in-process.

The unit of work is one task: (policy, run). A task is a pure function of (world, policy,
run, seed): the same :class:`~optimiser.planning.simulate_run.RunResult` whichever process
runs it, so ``runs.csv`` is byte-identical in-process (``workers=0``), on a LocalCluster or
on an existing cluster. Run k uses seed ``seed + k - 1`` under every policy, and its draws
come from :func:`~optimiser.planning.simulate_draws.draw_run` alone (common random numbers):
policies are compared on the same discharges and the same arrivals.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from models.domain import Instance
from models.errors import InputError, Problem
from optimiser.planning.simulate_draws import World, draw_run, interval_95, run_seed
from optimiser.planning.simulate_policies import make_decider
from optimiser.planning.simulate_run import FIGURES, RunResult, simulate_run

log = logging.getLogger(__name__)

RUNS_COLUMNS: tuple[str, ...] = ("policy", "run", "seed", *FIGURES)
#: Ten years of nights: beyond, a simulation would only run out of memory or time.
MAX_DAYS = 3660
#: Figures written with two decimals (the others are whole numbers).
DECIMAL_FIGURES = frozenset({"km_bed_days", "cost"})


def run_task(world: World, policy: str, run: int, seed: int, *, events: bool = False,
             tick: Callable[[], None] | None = None) -> RunResult:
    """One (policy, run): draw the run (the same draws for every policy) and simulate it."""
    draws = draw_run(world, run, run_seed(seed, run))
    return simulate_run(world, draws, policy, make_decider(policy, world, draws),
                        events=events, tick=tick)


def _task_remote(world: World, policy: str, run: int, seed: int) -> RunResult:
    """What a Dask worker runs (module level, so it pickles by reference)."""
    return run_task(world, policy, run, seed)


def first_night(instance: Instance, start: dt.date | None) -> dt.date:
    """The date of night 1: ``--start``, else policy.toml's ``[plan] start``, else today (as
    ``bedplan plan`` decides it)."""
    return start or instance.policy.plan.start or dt.date.today()


def check_request(policies: Sequence[str], *, days: int, runs: int, lookahead: int,
                  workers: int, seed: int = 0) -> None:
    """Every problem with the command's numbers and policies at once (InputError, exit 2),
    before the instance is read."""
    from optimiser.planning.simulate_policies import policy_problems

    problems = policy_problems(policies)
    for flag, value, low in (("--days", days, 1), ("--runs", runs, 1),
                             ("--lookahead", lookahead, 1), ("--workers", workers, 0),
                             ("--seed", seed, 0)):
        if value < low:
            problems.append(Problem(flag, None, None, f"must be at least {low}, got {value}"))
    for flag, value in (("--days", days), ("--lookahead", lookahead)):
        if value > MAX_DAYS:
            problems.append(Problem(flag, None, None, f"must be at most {MAX_DAYS} (ten "
                                    f"years of nights), got {value}"))
    if problems:
        raise InputError(problems)


def simulate(world: World, policies: Sequence[str], runs: int, seed: int, *,
             workers: int = 0, scheduler: str | None = None, progress: bool = False,
             events: bool = False) -> list[RunResult]:
    """Every (policy, run), sorted by policy (in the order given) then run.

    ``workers=0``: one task after another in this process. ``workers>=1``: a Dask
    LocalCluster of that many single-threaded worker processes; ``scheduler``: an existing
    cluster's address (``workers`` is then ignored). ``progress`` draws a bar over runs and
    nights on stderr. ``events`` keeps each run's event log (in-process only: tests).
    """
    if runs < 1:
        raise InputError(Problem("--runs", None, None, f"must be at least 1, got {runs}"))
    if workers < 0:
        raise InputError(Problem("--workers", None, None, f"must be >= 0, got {workers}"))
    tasks = [(p, r) for p in policies for r in range(1, runs + 1)]
    with _bar(len(tasks) * world.days, progress) as bar:
        if scheduler is None and workers == 0:
            results = [run_task(world, p, r, seed, events=events, tick=lambda: bar.update(1))
                       for p, r in tasks]
        else:
            results = _run_dask(world, tasks, seed, workers, scheduler, bar)
    order = {p: k for k, p in enumerate(policies)}
    return sorted(results, key=lambda res: (order[res.policy], res.run))


def _bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, file=sys.stderr, disable=not enabled, unit="night",
                desc="simulate", dynamic_ncols=True)


def _run_dask(world: World, tasks: Sequence[tuple[str, int]], seed: int, workers: int,
              scheduler: str | None, bar: Any) -> list[RunResult]:
    from dask.distributed import as_completed

    from optimiser.planning.cluster import dask_client

    with dask_client(workers, scheduler) as client:
        world_f = client.scatter(world, broadcast=True)
        tag = uuid.uuid4().hex[:8]
        futures = [client.submit(_task_remote, world_f, p, r, seed,
                                 key=f"bedplan-simulate-{tag}-{k}", retries=1)
                   for k, (p, r) in enumerate(tasks)]
        results = []
        for fut in as_completed(futures):
            results.append(fut.result())
            bar.update(world.days)
            fut.release()
        return results


# --------------------------------------------------------------------------- outputs

def _cell(name: str, value: float) -> str:
    return f"{value:.2f}" if name in DECIMAL_FIGURES else str(int(value))


def runs_csv(results: Sequence[RunResult]) -> str:
    """runs.csv: one row per (policy, run), the columns of :data:`RUNS_COLUMNS`."""
    lines = [",".join(RUNS_COLUMNS)]
    for res in results:
        cells = [res.policy, str(res.run), str(res.seed)]
        cells += [_cell(f, res.figures[f]) for f in FIGURES]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _rounded(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 4)


def summary(results: Sequence[RunResult], *, days: int, runs: int, seed: int
            ) -> dict[str, Any]:
    """summary.json: per policy and figure, the mean over runs and its 95% interval."""
    policies: dict[str, dict[str, dict[str, float | None]]] = {}
    for name in dict.fromkeys(r.policy for r in results):
        rows = [r for r in results if r.policy == name]
        figs: dict[str, dict[str, float | None]] = {}
        for f in FIGURES:
            mean, _, low, high = interval_95(np.array([r.figures[f] for r in rows]))
            figs[f] = {"mean": _rounded(mean), "low": _rounded(low), "high": _rounded(high)}
        policies[name] = figs
    return {"days": days, "runs": runs, "seed": seed, "policies": policies}


def differences(results: Sequence[RunResult], base: str
                ) -> dict[str, dict[str, tuple[float, float | None, float | None]]]:
    """Per policy other than ``base``: the paired difference (policy − base) of each figure,
    run by run (the same draws), its mean and 95% interval."""
    by: dict[str, dict[int, Mapping[str, float]]] = {}
    for r in results:
        by.setdefault(r.policy, {})[r.run] = r.figures
    out: dict[str, dict[str, tuple[float, float | None, float | None]]] = {}
    for name, rows in by.items():
        if name == base or base not in by:
            continue
        runs = sorted(set(rows) & set(by[base]))
        out[name] = {}
        for f in FIGURES:
            diff = np.array([rows[k][f] - by[base][k][f] for k in runs], dtype=float)
            mean, _, low, high = interval_95(diff)
            out[name][f] = (mean, low, high)
    return out
