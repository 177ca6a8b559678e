"""The overnight reallocation run: read → (subset) → distances → solve → plan → write.

Each phase is timed and reported through a callback (``progress``), so the command line can
print progress on stderr and a service can stream it, without this module printing anything.
Invalid input raises :class:`~models.errors.InputError` before anything is written; every
other outcome writes ``assignments.csv``, ``summary.json`` and ``transfers.csv`` together
(all or nothing) and says which exit code the contract gives it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from models.domain import Instance
from models.errors import InputError, Problem
from models.text import count, number
from optimiser.core.result import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL, Metrics, Result
from optimiser.geography.distances import KmTable
from optimiser.planning import outputs
from optimiser.planning.money import money
from optimiser.planning.runsummary import RunSummary, summarise
from optimiser.planning.subset import restrict_to_network
from optimiser.planning.transfers import TEMPORARY, PlanError, TransferStep, transfer_plan

log = logging.getLogger(__name__)

#: Exit codes of the contract (the same numbers as ``bedplan.cli._common``).
EXIT_OK, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 3, 4
PHASES: tuple[str, ...] = ("read", "subset", "distances", "solve", "transfers", "write")


@dataclass(frozen=True, slots=True)
class PhaseEvent:
    """A progress report: ``seconds`` is set when ``phase`` has finished, None for updates
    within a phase (e.g. the solver's incumbent and bound)."""

    phase: str
    message: str
    seconds: float | None = None


Progress = Callable[[PhaseEvent], None]
SolveFn = Callable[..., Result]


@dataclass(frozen=True)
class RunOutcome:
    """What a run did: the result, the plan, the headline numbers and the exit code."""

    instance: Instance  # as solved (after --network)
    result: Result
    summary: RunSummary
    transfers: tuple[TransferStep, ...]
    exit_code: int
    timings: tuple[tuple[str, float], ...]
    paths: tuple[Path, ...] = field(default=())
    #: km (patients × units of ``instance``) the run solved with: what a report of this run
    #: needs for tonight's distances, so that it does not compute them again.
    distances: KmTable | None = field(default=None, repr=False, compare=False)


def exit_code(status: str) -> int:
    """The contract's exit code for a written run with ``status``."""
    if status in (OPTIMAL, FEASIBLE):
        return EXIT_OK
    return EXIT_INFEASIBLE if status == INFEASIBLE else EXIT_NO_SOLUTION


class PhaseClock:
    """Times phases and reports each one as it ends."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.timings: list[tuple[str, float]] = []

    def say(self, phase: str, message: str, seconds: float | None = None) -> None:
        if self.progress is not None:
            self.progress(PhaseEvent(phase, message, seconds))

    @contextmanager
    def phase(self, name: str) -> Iterator[list[str]]:
        """Time the block; the block may append a one-line description of what it did."""
        note: list[str] = []
        start = time.perf_counter()
        yield note
        seconds = time.perf_counter() - start
        self.timings.append((name, seconds))
        self.say(name, note[0] if note else "done", seconds)


def check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Refuse an --out that cannot be a directory before any work is done (an empty one
    would write into the current directory)."""
    if not str(out_dir).strip():
        raise InputError(Problem("--out", None, None, "is empty: give the directory to write to"))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(Problem("--out", None, None, f"{out} exists and is not a directory"))
    return out


def reallocate(instance_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
               overrides: Mapping[str, object] | None = None, network: str | None = None,
               method: str = "auto", progress: Progress | None = None,
               solve_fn: SolveFn | None = None) -> RunOutcome:
    """``bedplan reallocate``: read the instance (flags override policy.toml), run, write."""
    from models.io import read_instance

    out = check_out_dir(out_dir)
    clock = PhaseClock(progress)
    with clock.phase("read") as note:
        instance = read_instance(instance_path, policy_overrides=dict(overrides or {}),
                                 plan=False)
        note.append(f"{count(len(instance.patients), 'patient')}, "
                    f"{count(len(instance.units), 'unit')}")
    return _run(instance, out, clock, network=network, method=method, solve_fn=solve_fn)


def run_instance(instance: Instance, out_dir: str | os.PathLike[str], *,
                 network: str | None = None, method: str = "auto",
                 progress: Progress | None = None, distances: KmTable | None = None,
                 solve_fn: SolveFn | None = None) -> RunOutcome:
    """Run on an instance already in memory (``distances`` may be given to skip computing)."""
    return _run(instance, check_out_dir(out_dir), PhaseClock(progress), network=network,
                method=method, distances=distances, solve_fn=solve_fn)


def _run(instance: Instance, out: Path, clock: PhaseClock, *, network: str | None, method: str,
         distances: KmTable | None = None, solve_fn: SolveFn | None = None) -> RunOutcome:
    if network is not None:
        with clock.phase("subset") as note:
            instance = restrict_to_network(instance, network)
            distances = None  # rows/columns no longer match
            note.append(f"network {network}: {count(len(instance.patients), 'patient')}, "
                        f"{count(len(instance.units), 'unit')}")

    mode = instance.policy.distance
    if distances is None:
        from optimiser.geography.distances import pair_distances

        with clock.phase("distances") as note:
            distances = pair_distances(instance, mode)
            note.append(f"{mode}, computed for the allowed pairs only "
                        f"({distances.shape[0]:,} patients x {distances.shape[1]:,} units)")

    with clock.phase("solve") as note:
        result = _solve(instance, distances, method, clock, solve_fn)
        inner = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings)
        note.append(f"{result.status}, objective {number(result.objective, 2)}, bound "
                    f"{number(result.bound, 2)}, gap {number(result.gap, 4)} ({result.method}, "
                    f"{result.solver}{'; ' + inner if inner else ''})")

    with clock.phase("transfers") as note:
        try:
            steps = tuple(transfer_plan(instance, result, distances))
        except PlanError as exc:  # a plan over capacity is a solver failure, not a plan
            log.error("transfer plan impossible: %s", exc)
            result = _failed(result, f"internal error: the solution is not a valid plan ({exc})")
            steps = ()
        cycles = sum(s.kind == TEMPORARY for s in steps)
        note.append(f"{len(steps):,} steps, {cycles:,} cycles needing a temporary bed")

    summary = summarise(instance, result, distances, transfers=len(steps), cycles=cycles)
    extra = _extra(instance, result, summary, steps, clock.timings, network, mode)
    with clock.phase("write") as note:
        try:
            paths = outputs.write_outputs(out, instance, result, steps, extra)
        except OSError as exc:  # all or nothing: the previous outputs are still in place
            raise InputError(Problem("--out", None, None, f"cannot write to {out}: "
                                     f"{exc.strerror or exc}")) from exc
        note.append(f"{', '.join(p.name for p in paths)} in {out}")
    return RunOutcome(instance, result, summary, steps, exit_code(result.status),
                      tuple(clock.timings), tuple(paths), distances)


def _solve(instance: Instance, distances: KmTable, method: str, clock: PhaseClock,
           solve_fn: SolveFn | None) -> Result:
    """Call the solver; an exception inside it becomes an honest ``error`` result."""
    if solve_fn is None:
        from optimiser.core.solve import solve

        solve_fn = solve
    try:
        return solve_fn(instance, instance.policy, distances=distances, method=method,
                        progress=lambda message: clock.say("solve", str(message)))
    except InputError:
        raise
    except MemoryError:
        return _error(instance, "the solver ran out of memory; try --network or --method fast")
    except Exception as exc:  # the solver failed: exit 4 with summary.json saying why
        log.debug("solver failed", exc_info=True)
        return _error(instance, f"the solver failed: {type(exc).__name__}: {exc}")


def _error(instance: Instance, message: str) -> Result:
    return Result(ERROR, None, None, None, instance.policy.solver.name, 0.0, (),
                  Metrics(patients=len(instance.patients)), (message,))


def _failed(result: Result, message: str) -> Result:
    return replace(result, status=ERROR, objective=None, bound=None, gap=None, assignments=(),
                   metrics=Metrics(), diagnosis=(*result.diagnosis, message))


def _extra(instance: Instance, result: Result, s: RunSummary,
           steps: tuple[TransferStep, ...],
           timings: list[tuple[str, float]], network: str | None,
           mode: str) -> dict[str, Any]:
    """Keys summary.json carries beyond the contract (compatible extension)."""
    return {
        "distance": mode,
        "network": network,
        "phases": {name: round(sec, 3) for name, sec in timings},
        "transfers": {
            "steps": len(steps),
            "moves": sum(x.kind == "move" for x in steps),
            "admissions": sum(x.kind == "admit" for x in steps),
            "temporary_beds": sum(x.kind == TEMPORARY for x in steps),
        },
        "money": money(instance, result),
        "headline": {
            "brought_home": s.brought_home, "sent_away": s.sent_away,
            "km_saved": round(s.km_saved, 3), "out_of_area_before": s.out_of_area_before,
            "out_of_area_after": s.out_of_area_after,
        },
    }
