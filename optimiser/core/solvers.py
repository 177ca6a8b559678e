"""Solver choice as data.

Each entry of :data:`SOLVERS` carries everything that differs between solvers: the PuLP class
that runs it, its options for given settings, what to prepare in the process first, and how
to read the solver's own account of a run into a plain
:class:`~optimiser.core.verdict.RawOutcome`. The formulation (the only module importing PuLP)
and the pricing path use the entries without asking which solver it is; the HiGHS options
come from one function, :func:`highs_options`, whichever path runs HiGHS.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from models.domain import SolverSettings
from models.errors import InputError, Problem
from optimiser.core.verdict import RawOutcome


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What a finished run left behind, as the readers need it.

    ``solution``: PuLP's solution kind ("optimal", "integer_feasible", "infeasible", "none");
    ``log``: the solver's log text; ``native``: the solver's own object when it runs in
    process (a ``highspy.Highs``), else None.
    """

    solution: str
    log: str
    native: Any = None


def silence_highs_banner() -> None:
    """Construct the process's first ``highspy.Highs`` with stdout closed.

    HiGHS prints its copyright banner on stdout once per process, on the first construction,
    before any option can be set; that would corrupt a command's ``--json`` output.
    """
    global _BANNER_DONE
    if _BANNER_DONE:
        return
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_DONE = True


_BANNER_DONE = False


_HIGHS_THREADS: list[int | None] = [None]


def highs_thread_guard(threads: int | None) -> None:
    """Let HiGHS honour a thread count that differs from the one used earlier in the process.

    HiGHS starts one global task scheduler per process with the first solve's thread count;
    a later solve asking for another count then fails without a solution (a known HiGHS
    limitation; it bit ``--threads`` after a sweep and the long-lived service). Resetting the
    global scheduler when the count changes makes the next solve start a fresh one.
    """
    wanted = None if threads is None else int(threads)
    if _HIGHS_THREADS[0] == wanted:
        return
    try:
        import highspy

        highspy.Highs.resetGlobalScheduler(True)
    except (ImportError, AttributeError):  # pragma: no cover - older highspy
        pass
    _HIGHS_THREADS[0] = wanted


def highs_options(settings: SolverSettings, log_path: str | None = None) -> dict[str, Any]:
    """HiGHS's own options for these settings, for every path that runs HiGHS.

    The relative gap is always set: HiGHS would otherwise stop at 1e-4. The log never goes to
    stdout (it may carry JSON): with ``log_path`` it is written there for the caller to relay
    through logging, without it HiGHS is silent.
    """
    opts: dict[str, Any] = {"mip_rel_gap": float(settings.mip_gap),
                            "output_flag": log_path is not None, "log_to_console": False}
    if log_path is not None:
        opts["log_file"] = log_path
    if settings.time_limit is not None:
        opts["time_limit"] = float(settings.time_limit)
    if settings.threads is not None:
        opts["threads"] = int(settings.threads)
    return opts


def prepare_highs(settings: SolverSettings) -> None:
    """What HiGHS needs from the process before a run: no banner on stdout, and a task
    scheduler with the requested number of threads."""
    silence_highs_banner()
    highs_thread_guard(settings.threads)


def _highs_pulp(settings: SolverSettings, log_path: str | None) -> dict[str, Any]:
    """PuLP's HiGHS class passes unknown keywords to ``setOptionValue``: HiGHS's own options."""
    return {"msg": False, **highs_options(settings, log_path)}


def _cbc_pulp(settings: SolverSettings, log_path: str | None) -> dict[str, Any]:
    """PuLP's CBC command: the gap always explicit; the log to a file, never to stdout."""
    opts: dict[str, Any] = {"gapRel": float(settings.mip_gap), "msg": False}
    if settings.time_limit is not None:
        opts["timeLimit"] = float(settings.time_limit)
    if settings.threads is not None:
        opts["threads"] = int(settings.threads)
    if log_path is not None:
        opts["logPath"] = log_path
    return opts


def _nothing(settings: SolverSettings) -> None:
    """CBC runs as its own process: nothing to prepare in this one."""


def read_highs(h: Any) -> RawOutcome:
    """Read a finished ``highspy.Highs`` run: model status, incumbent, dual bound.

    Used by the registry (through :func:`_read_highs_run`) and by the pricing path."""
    import highspy

    status = h.getModelStatus()
    words = h.modelStatusToString(status)
    info = h.getInfo()
    has_solution = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    ms = highspy.HighsModelStatus
    optimal = status == ms.kOptimal
    infeasible = status in (ms.kInfeasible, ms.kUnboundedOrInfeasible)
    objective = float(info.objective_function_value) if has_solution else None
    bound: float | None = None
    if info.mip_node_count >= 0 or optimal:  # a MIP run reports its dual bound
        b = float(info.mip_dual_bound)
        bound = b if math.isfinite(b) else None
    if optimal and objective is not None and bound is None:
        bound = objective
    failed = status not in (ms.kOptimal, ms.kInfeasible, ms.kUnboundedOrInfeasible,
                            ms.kTimeLimit, ms.kInterrupt, ms.kIterationLimit,
                            ms.kSolutionLimit, ms.kObjectiveBound, ms.kObjectiveTarget)
    msg = f"highs: solver failed ({words})" if failed else ""
    if not has_solution and status == ms.kTimeLimit:
        msg = "highs: no solution found within the time limit"
    return RawOutcome("highs", words, optimal and has_solution, infeasible, has_solution,
                      objective, bound, msg)


_CBC_RESULT = re.compile(r"^Result - (.+)$", re.M)
_CBC_NUMBER = r"^{}:\s+(-?[0-9.eE+-]+|-?inf)"


def _read_highs_run(run: RunRecord) -> RawOutcome:
    return read_highs(run.native)


def _read_cbc_run(run: RunRecord) -> RawOutcome:
    return read_cbc(run.log, run.solution)


def read_cbc(log_text: str, solution_kind: str) -> RawOutcome:
    """Read CBC's run from its log and PuLP's solution kind.

    ``solution_kind`` is what the solution file said: "optimal", "integer_feasible",
    "infeasible" or "none". The log's summary ("Result - ...", "Objective value:",
    "Lower bound:") gives the solver's words and the bound.
    """
    found = _CBC_RESULT.findall(log_text)
    words = found[-1].strip() if found else solution_kind

    def number(label: str) -> float | None:
        hits = re.findall(_CBC_NUMBER.format(re.escape(label)), log_text, re.M)
        try:
            return float(hits[-1]) if hits else None
        except ValueError:
            return None

    obj = number("Objective value")
    bound = number("Lower bound")
    has = solution_kind in ("optimal", "integer_feasible")
    stopped = "stopped" in words.lower()
    optimal = solution_kind == "optimal" and not stopped
    infeasible = solution_kind == "infeasible" or "infeasible" in words.lower()
    msg = ""
    if not has and stopped:
        msg = "cbc: no solution found within the time limit"
    elif not has and not infeasible:
        msg = f"cbc: solver failed ({words})"
    return RawOutcome("cbc", words, optimal, infeasible and not has, has, obj, bound, msg)


@dataclass(frozen=True, slots=True)
class SolverSpec:
    """One entry of the registry: everything that differs between solvers, as data.

    ``pulp_options(settings, log_path)``: keyword arguments of the PuLP class;
    ``prepare(settings)``: done in this process before a run; ``read(run)``: the solver's
    account of a run; ``reads_log``: the reader needs the log file even when nobody asked
    for the log (CBC reports its bound only there).
    """

    name: str
    pulp_class: str
    description: str
    pulp_options: Callable[[SolverSettings, str | None], dict[str, Any]]
    prepare: Callable[[SolverSettings], None]
    read: Callable[[RunRecord], RawOutcome]
    reads_log: bool = False


#: Every solver bedplan can use, by the name policy.toml / --solver give.
SOLVERS: Mapping[str, SolverSpec] = MappingProxyType({
    "highs": SolverSpec("highs", "HiGHS", "HiGHS through highspy (in-process)", _highs_pulp,
                        prepare_highs, _read_highs_run),
    "cbc": SolverSpec("cbc", "PULP_CBC_CMD", "COIN-OR CBC (bundled with PuLP)", _cbc_pulp,
                      _nothing, _read_cbc_run, reads_log=True),
})


def solver_spec(name: str) -> SolverSpec:
    """The registry entry for ``name``; InputError (exit 2) when unknown."""
    spec = SOLVERS.get(name.lower())
    if spec is None:
        raise InputError(Problem("policy.toml", None, "solver.name",
                                 f"unknown solver {name!r}: use one of {', '.join(SOLVERS)}"))
    return spec
