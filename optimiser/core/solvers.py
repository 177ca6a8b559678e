"""Solver choice as data, and honest statuses.

The registry says which PuLP solver class a name means and how to configure it; the
formulation (the only module importing PuLP) instantiates it. After a solve, what the
solver itself reports — its own status, whether it holds an incumbent, the dual bound and
the gap — is collected in a plain :class:`RawOutcome`, and :func:`judge` decides the
contract's status from it:

- ``optimal``: the solver proved optimality (within the requested ``mip_gap``, 0 by default);
- ``feasible``: an incumbent exists but the run stopped early (time limit, interrupt, ...):
  never ``optimal``, always with the bound and gap known at that point;
- ``infeasible``: the solver proved there is no solution;
- ``error``: no solution in time, or the solver failed (the message says which).

PuLP's own status cannot be trusted for this: both its HiGHS and CBC wrappers report a run
stopped by the time limit with an incumbent as "Optimal".
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from models.domain import SolverSettings
from models.errors import InputError, Problem
from optimiser.core.result import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL


@dataclass(frozen=True, slots=True)
class SolverSpec:
    """One entry of the registry: a solver name and the PuLP class that runs it."""

    name: str
    pulp_class: str
    description: str


#: Every solver bedplan can use, by the name policy.toml / --solver give.
SOLVERS: Mapping[str, SolverSpec] = MappingProxyType({
    "highs": SolverSpec("highs", "HiGHS", "HiGHS through highspy (in-process)"),
    "cbc": SolverSpec("cbc", "PULP_CBC_CMD", "COIN-OR CBC (bundled with PuLP)"),
})


def solver_spec(name: str) -> SolverSpec:
    """The registry entry for ``name``; InputError (exit 2) when unknown."""
    spec = SOLVERS.get(name.lower())
    if spec is None:
        raise InputError(Problem("policy.toml", None, "solver.name",
                                 f"unknown solver {name!r}: use one of {', '.join(SOLVERS)}"))
    return spec


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


def solver_options(spec: SolverSpec, settings: SolverSettings, *, log: bool,
                   log_path: str | None = None) -> dict[str, Any]:
    """Keyword arguments of the PuLP solver class for these settings.

    The relative gap is always passed explicitly: HiGHS would otherwise stop at 1e-4.
    Solver logs never go to stdout (it may carry JSON): both solvers write to ``log_path``
    and the caller relays the text through logging.
    """
    opts: dict[str, Any] = {"gapRel": float(settings.mip_gap)}
    if settings.time_limit is not None:
        opts["timeLimit"] = float(settings.time_limit)
    if settings.threads is not None:
        opts["threads"] = int(settings.threads)
    if spec.name == "cbc":
        opts["msg"] = False
        if log_path is not None:
            opts["logPath"] = log_path
    else:
        opts["msg"] = bool(log and log_path)
        if log and log_path:
            opts["log_to_console"] = False
            opts["log_file"] = log_path
    return opts


@dataclass(frozen=True, slots=True)
class RawOutcome:
    """What the solver itself said, as plain data."""

    solver: str
    solver_status: str  # the solver's own words, e.g. "Time limit reached"
    proven_optimal: bool
    proven_infeasible: bool
    has_solution: bool
    objective: float | None
    bound: float | None
    message: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The contract's status with objective, bound and gap (None when unknown)."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    message: str = ""


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    """A finished solve as plain data: the solver's account and the chosen options.

    ``chosen``: indices (into the cost table) of the chosen options, None without a plan.
    """

    raw: RawOutcome
    chosen: np.ndarray | None


def relative_gap(objective: float, bound: float) -> float:
    """``(objective - bound) / max(|objective|, 1e-9)``, clipped at 0 (HiGHS's convention)."""
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))


def judge(raw: RawOutcome, objective: float | None = None) -> Verdict:
    """Decide the honest status. ``objective`` (recomputed from the plan) wins when given."""
    obj = objective if objective is not None else raw.objective
    if raw.proven_infeasible and not raw.has_solution:
        return Verdict(INFEASIBLE, None, None, None, f"{raw.solver}: {raw.solver_status}")
    if not raw.has_solution or obj is None:
        why = raw.message or f"{raw.solver}: no solution found ({raw.solver_status})"
        return Verdict(ERROR, None, None, None, why)
    bound = raw.bound if raw.bound is not None and math.isfinite(raw.bound) else None
    if raw.proven_optimal:
        bound = obj if bound is None else min(bound, obj)
        return Verdict(OPTIMAL, obj, bound, relative_gap(obj, bound), raw.message)
    gap = relative_gap(obj, bound) if bound is not None else None
    return Verdict(FEASIBLE, obj, bound, gap,
                   raw.message or f"{raw.solver}: stopped before proving optimality "
                                  f"({raw.solver_status})")


def read_highs(h: Any) -> RawOutcome:
    """Read a finished ``highspy.Highs`` run: model status, incumbent, dual bound."""
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
