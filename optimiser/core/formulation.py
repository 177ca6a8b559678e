"""The model of record: the contract's placement MIP in PuLP (the only module importing PuLP).

Sets and data (all from the :class:`~optimiser.core.costs.CostTable`):

- ``K``: allowed options (stay, move, admit, unplaced); ``K_p`` those of patient p,
  ``K_u`` those placing a patient in unit u, ``N_u ⊆ K_u`` the new arrivals in u (moves
  and admissions), ``M`` all moves;
- ``c_k``: the option's term of the objective; ``b_u``: open beds of u;
- ``x_k ∈ {0, 1}``: option k is chosen (one binary per *allowed* option only).

``build_model`` reads as the table of contents of the model; each ``add_*`` function
carries its algebra. PuLP objects never leave this module: callers hold an opaque
:class:`Model` and get plain data back from :func:`solve_model`.

Building is vectorised where PuLP allows it: variables are created once in option order,
constraints are assembled from prebuilt slices of the variable list (option groups come
from numpy argsorts), never by growing expressions term by term.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pulp

from models.domain import Policy, SolverSettings
from optimiser.core.costs import ADMIT, MOVE, CostTable
from optimiser.core.solvers import (
    SolveOutcome,
    highs_thread_guard,
    read_cbc,
    read_highs,
    silence_highs_banner,
    solver_options,
    solver_spec,
)

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Model:
    """An opaque built model: hand it back to :func:`solve_model`."""

    problem: pulp.LpProblem
    x: np.ndarray


def build_model(costs: CostTable, policy: Policy) -> Model:
    """The contract's MIP over the allowed options of ``costs``."""
    problem = pulp.LpProblem("bedplan", pulp.LpMinimize)
    x = add_variables(problem, costs)
    add_assignment(problem, x, costs)
    add_capacity(problem, x, costs)
    add_move_budget(problem, x, costs, policy.limits.max_moves)
    add_admission_limit(problem, x, costs, policy.limits.max_admissions_per_unit)
    set_objective(problem, x, costs)
    return Model(problem, x)


def add_variables(problem: pulp.LpProblem, costs: CostTable) -> np.ndarray:
    """``x_k ∈ {0, 1}`` for every allowed option k (zero-padded names keep option order).

    Returns an object array so that constraint rows are gathered by numpy indexing.
    """
    n = costs.n_options
    width = max(1, len(str(max(n - 1, 0))))
    names = [f"x{k:0{width}d}" for k in range(n)]
    x = np.empty(n, dtype=object)
    x[:] = _binaries(problem, names)
    _register(problem, x)
    return x


def _binaries(problem: pulp.LpProblem, names: list[str]) -> list[pulp.LpVariable]:
    """Binary variables named ``names``, created without PuLP's per-variable overhead.

    ``LpVariable.__init__`` validates the name with a regex and the bounds one variable at a
    time (~10 µs each: seconds for a million options). The names here are known-valid, so
    each variable is cloned from a template built by PuLP itself, with its own ``hash``
    (PuLP's identity key). If PuLP's internals ever differ, fall back to the public API.
    """
    template = problem.add_variable("x", 0, 1, pulp.LpBinary)
    state = dict(template.__dict__)
    name_key = "_LpElement__name"
    if set(state) != _EXPECTED_STATE or template.name != "x":
        return [problem.add_variable(nm, 0, 1, pulp.LpBinary) for nm in names]
    cls, new = type(template), object.__new__
    out = []
    for nm in names:
        v = new(cls)
        d = v.__dict__
        d.update(state)
        d[name_key] = nm
        d["hash"] = id(v)
        out.append(v)
    return out


_EXPECTED_STATE = {"_LpElement__name", "hash", "modified", "_lowbound_original", "lowBound",
                   "_upbound_original", "upBound", "cat", "varValue", "dj"}


def _register(problem: pulp.LpProblem, x: np.ndarray) -> None:
    """Register all variables with the problem at once (PuLP does it term by term)."""
    if hasattr(problem, "_variables") and hasattr(problem, "_variable_ids"):
        problem._variables.extend(x.tolist())
        problem._variable_ids.update((v.hash, v) for v in x.tolist())


def _add(problem: pulp.LpProblem, expr: pulp.LpAffineExpression, sense: int, name: str,
         rhs: float) -> None:
    """Add a constraint whose variables are all registered already (see _register)."""
    constraint = pulp.LpConstraint(expr, sense, name, rhs)
    store = getattr(problem, "_constraints", None)
    if isinstance(store, dict) and hasattr(problem, "modifiedConstraints") and name not in store:
        store[name] = constraint
        problem.modifiedConstraints.append(constraint)
    else:
        problem.addConstraint(constraint)


def _groups(keys: np.ndarray, where: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(key, option indices) for each key among the options where ``where`` holds."""
    idx = np.flatnonzero(where)
    if idx.size == 0:
        return
    k = keys[idx]
    order = np.argsort(k, kind="stable")
    idx, k = idx[order], k[order]
    cuts = np.flatnonzero(np.diff(k)) + 1
    for part in np.split(idx, cuts):
        yield int(keys[part[0]]), part


def _sum(x: np.ndarray, idx: np.ndarray | slice) -> pulp.LpAffineExpression:
    """``Σ_{k ∈ idx} x_k`` built in one dict operation."""
    expr = pulp.LpAffineExpression()
    dict.update(expr, dict.fromkeys(x[idx].tolist(), 1))
    return expr


def add_assignment(problem: pulp.LpProblem, x: np.ndarray, costs: CostTable) -> None:
    """Each patient gets exactly one outcome.

    ``Σ_{k ∈ K_p} x_k = 1   ∀ p``
    """
    start = costs.start.tolist()
    for p in range(costs.n_patients):
        _add(problem, _sum(x, slice(start[p], start[p + 1])), pulp.LpConstraintEQ,
             f"assign_{p}", 1)


def add_capacity(problem: pulp.LpProblem, x: np.ndarray, costs: CostTable) -> None:
    """Patients staying in, moving into or admitted to u fit its open beds.

    ``Σ_{k ∈ K_u} x_k ≤ b_u   ∀ u``
    """
    for u, idx in _groups(costs.unit, costs.unit >= 0):
        _add(problem, _sum(x, idx), pulp.LpConstraintLE, f"capacity_{u}",
             int(costs.open_beds[u]))


def add_move_budget(problem: pulp.LpProblem, x: np.ndarray, costs: CostTable,
                    max_moves: int | None) -> None:
    """At most ``max_moves`` inpatients move (no row without a limit).

    ``Σ_{k ∈ M} x_k ≤ max_moves``
    """
    if max_moves is None:
        return
    idx = np.flatnonzero(costs.kind == MOVE)
    _add(problem, _sum(x, idx), pulp.LpConstraintLE, "move_budget", int(max_moves))


def add_admission_limit(problem: pulp.LpProblem, x: np.ndarray, costs: CostTable,
                        limit: int | None) -> None:
    """Each unit receives at most ``limit`` new patients tonight (moves in + admissions).

    ``Σ_{k ∈ N_u} x_k ≤ max_admissions_per_unit   ∀ u``
    """
    if limit is None:
        return
    new = (costs.kind == MOVE) | (costs.kind == ADMIT)
    for u, idx in _groups(costs.unit, new):
        if idx.size > limit:  # a row that cannot bind is left out
            _add(problem, _sum(x, idx), pulp.LpConstraintLE, f"admissions_{u}", int(limit))


def set_objective(problem: pulp.LpProblem, x: np.ndarray, costs: CostTable) -> None:
    """Minimise the contract's objective: every option carries its full cost term.

    ``min Σ_k c_k x_k`` where c_k is the placement cost (km, out of area, cost per day)
    plus w.move for moves, w.delayed for delayed stays, w.unplaced·priority for unplaced.
    """
    objective = pulp.LpAffineExpression()
    dict.update(objective, zip(x.tolist(), costs.cost.tolist(), strict=True))
    problem.setObjective(objective)


def solve_model(model: Model, settings: SolverSettings, *, log_solver: bool = False
                ) -> SolveOutcome:
    """Solve with the registry's solver for ``settings.name`` and read back plain data.

    The solver's log (at ``log_solver``) is relayed through logging, never to stdout.
    """
    spec = solver_spec(settings.name)
    problem = model.problem
    with tempfile.TemporaryDirectory(prefix="bedplan-solver-") as tmp:
        log_path = os.path.join(tmp, "solver.log")
        if spec.name == "cbc":
            solver = _make(spec.pulp_class, solver_options(spec, settings, log=log_solver,
                                                           log_path=log_path))
            _run(problem, solver)
            text = _read(log_path)
            kind = {pulp.LpSolutionOptimal: "optimal",
                    pulp.LpSolutionIntegerFeasible: "integer_feasible",
                    pulp.LpSolutionInfeasible: "infeasible"}.get(problem.sol_status, "none")
            raw = read_cbc(text, kind)
        else:
            silence_highs_banner()
            highs_thread_guard(settings.threads)
            solver = _make(spec.pulp_class, solver_options(
                spec, settings, log=log_solver, log_path=log_path if log_solver else None))
            _run(problem, solver)
            text = _read(log_path)
            raw = read_highs(problem.solverModel)
    if log_solver and text:
        log.info("%s log:\n%s", spec.name, text)
    chosen = _chosen(model, len(model.x)) if raw.has_solution else None
    return SolveOutcome(raw, chosen)


def _read(path: str) -> str:
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def _make(name: str, options: dict[str, object]) -> pulp.LpSolver:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(pulp, name)(**options)


def _run(problem: pulp.LpProblem, solver: pulp.LpSolver) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problem.solve(solver)


def _chosen(model: Model, n: int) -> np.ndarray:
    """Option indices whose binary is (numerically) 1, in option order."""
    values = np.fromiter((v.varValue or 0.0 for v in model.x.tolist()), dtype=float, count=n)
    return np.flatnonzero(values > 0.5)
