"""Honest statuses: what a solver said, and the contract's verdict on it.

After a solve, what the solver itself reports — its own status, whether it holds an
incumbent, the dual bound and the gap — is collected in a plain :class:`RawOutcome`, and
:func:`judge` decides the contract's status from it:

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
from dataclasses import dataclass

import numpy as np

from optimiser.core.result import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL


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


#: Relative differences at or below this between a proven optimum's recomputed objective
#: and its bound are floating-point noise (HiGHS's own tolerances are 1e-6 and above).
FLOAT_NOISE = 1e-12


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
        if relative_gap(obj, bound) <= FLOAT_NOISE:  # the recomputed objective's rounding
            bound = obj  # (a gap of 9.7e-16 is not a gap: say 0, as the contract shows)
        return Verdict(OPTIMAL, obj, bound, relative_gap(obj, bound), raw.message)
    gap = relative_gap(obj, bound) if bound is not None else None
    return Verdict(FEASIBLE, obj, bound, gap,
                   raw.message or f"{raw.solver}: stopped before proving optimality "
                                  f"({raw.solver_status})")
