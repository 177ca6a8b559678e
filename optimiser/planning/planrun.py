"""``bedplan plan``: read → (subset) → horizon → distances → plan → schedule → write.

The horizon follows the contract's order: start from ``--start``, else ``[plan] start`` of
policy.toml, else today; nights from ``--nights``, else ``[plan] nights``, else 28.
plan.csv, nights.csv, schedule.csv and summary.json are written together (all or nothing),
and the outcome says which exit code the contract gives it. Each phase is timed and reported
through ``progress``; nothing here prints.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from models.domain import Instance, Policy
from models.errors import InputError, Problem
from optimiser.core.planresult import PlanResult
from optimiser.core.plansolve import solve_plan
from optimiser.core.result import ERROR
from optimiser.planning.plan import PlanNight, ScheduleStep, plan_nights, schedule
from optimiser.planning.planfiles import write_plan
from optimiser.planning.run import PhaseClock, Progress, check_out_dir, exit_code
from optimiser.planning.subset import restrict_to_network
from optimiser.planning.transfers import PlanError


@dataclass(frozen=True)
class PlanOutcome:
    """What ``bedplan plan`` did: the plan, its nights and schedule, the exit code."""

    instance: Instance
    result: PlanResult
    nights: tuple[PlanNight, ...]
    steps: tuple[ScheduleStep, ...]
    exit_code: int
    timings: tuple[tuple[str, float], ...]
    paths: tuple[Path, ...] = field(default=())


def resolve_horizon(policy: Policy, start: dt.date | None, nights: int | None,
                    today: dt.date | None = None) -> tuple[dt.date, int]:
    """The contract's order: the flag, else ``[plan]`` of policy.toml, else today / 28."""
    begin = start or policy.plan.start or today or dt.date.today()
    count = nights if nights is not None else policy.plan.nights
    if count < 1:
        raise InputError(Problem("command line", None, "--nights",
                                 f"must be a whole number of nights >= 1, got {count}"))
    if count - 1 > (dt.date.max - begin).days:
        raise InputError(Problem("command line", None, "--nights",
                                 f"{count:,} nights from {begin.isoformat()} end after "
                                 f"{dt.date.max.isoformat()}, the last date that can be "
                                 "written"))
    return begin, count


def run_plan(instance_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
             overrides: Mapping[str, object] | None = None, start: dt.date | None = None,
             nights: int | None = None, network: str | None = None, method: str = "auto",
             progress: Progress | None = None) -> PlanOutcome:
    """``bedplan plan``: read (flags override policy.toml), plan, write the four files."""
    from models.io import read_instance
    from optimiser.geography.distances import distance_matrix

    out = check_out_dir(out_dir)
    clock = PhaseClock(progress)
    with clock.phase("read") as note:
        instance = read_instance(instance_path, policy_overrides=dict(overrides or {}))
        note.append(f"{len(instance.patients):,} patients, {len(instance.units):,} units")
    if network is not None:
        with clock.phase("subset") as note:
            instance = restrict_to_network(instance, network)
            note.append(f"network {network}")
    begin, count = resolve_horizon(instance.policy, start, nights)
    with clock.phase("distances") as note:
        km = distance_matrix(instance)
        note.append(f"{instance.policy.distance}, {km.shape[0]:,} x {km.shape[1]:,}")
    return plan_instance(instance, out, start=begin, nights=count, distances=km,
                         method=method, clock=clock)


def plan_instance(instance: Instance, out_dir: str | os.PathLike[str], *, start: dt.date,
                  nights: int, distances: np.ndarray, method: str = "auto",
                  clock: PhaseClock | None = None, progress: Progress | None = None
                  ) -> PlanOutcome:
    """Plan an instance already in memory with its distances, schedule every night, write
    the four files (all or nothing): what ``bedplan plan`` and the service's plan jobs share.
    A failure inside the solver, or a plan that is not a valid schedule, is an honest
    ``error`` (exit 4), never a traceback."""
    out = check_out_dir(out_dir)
    clock = clock or PhaseClock(progress)
    km = distances
    with clock.phase("solve") as note:
        result = _solve(instance, start, nights, km, method, clock)
        note.append(f"{result.status}, objective {result.objective}, {nights} nights from "
                    f"{start.isoformat()} ({result.method})")
    with clock.phase("schedule") as note:
        try:
            steps = schedule(instance, result, km)
        except PlanError as exc:  # a plan over capacity is a solver failure, not a plan
            result = replace(result, status=ERROR, objective=None, bound=None, gap=None,
                             rows=(), diagnosis=(*result.diagnosis, "internal error: the "
                                                 f"plan is not a valid schedule ({exc})"))
            steps = ()
        per_night = plan_nights(instance, result, km)
        note.append(f"{len(steps):,} steps over {nights} nights")
    with clock.phase("write") as note:
        try:
            paths = write_plan(out, instance, result, per_night, steps, clock.timings)
        except OSError as exc:
            raise InputError(Problem("--out", None, None, f"cannot write to {out}: "
                                     f"{exc.strerror or exc}")) from exc
        note.append(f"{', '.join(p.name for p in paths)} in {out}")
    return PlanOutcome(instance, result, per_night, steps, exit_code(result.status),
                       tuple(clock.timings), tuple(paths))


def _solve(instance: Instance, start: dt.date, nights: int, km: np.ndarray, method: str,
           clock: PhaseClock) -> PlanResult:
    """Solve; a failure inside the solver becomes an honest ``error`` (exit 4)."""
    try:
        return solve_plan(instance, start=start, nights=nights, distances=km, method=method,
                          progress=lambda m: clock.say("solve", m))
    except InputError:
        raise
    except MemoryError:
        message = "the solver ran out of memory: plan fewer nights, or one collaborative"
    except Exception as exc:  # the solver failed: exit 4 with summary.json saying why
        message = f"the solver failed: {type(exc).__name__}: {exc}"
    return PlanResult(ERROR, None, None, None, instance.policy.solver.name, 0.0, start,
                      nights, (), (message,))

