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
from dataclasses import dataclass

import numpy as np
import pulp

from models.domain import Policy, SolverSettings
from optimiser.core.costs import CostTable
from optimiser.core.rows import (
    ADMISSIONS,
    ASSIGN,
    CAPACITY,
    MOVES,
    NIGHTLY_ADMISSIONS,
    NIGHTLY_CAPACITY,
    NIGHTLY_MOVES,
    ModelRows,
    RowFamily,
    build_rows,
)
from optimiser.core.solvers import RunRecord, solver_spec
from optimiser.core.verdict import SolveOutcome

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Model:
    """An opaque built model: hand it back to :func:`solve_model`."""

    problem: pulp.LpProblem
    x: np.ndarray


def build_model(costs: CostTable, policy: Policy, rows: ModelRows | None = None) -> Model:
    """The contract's MIP over the allowed options of ``costs``.

    ``rows``: the model's families when the caller built them already (the same definition
    every method reads); by default built here from ``policy.limits``.
    """
    rows = rows or build_rows(costs, policy.limits)
    problem = pulp.LpProblem("bedplan", pulp.LpMinimize)
    x = add_variables(problem, costs)
    add_assignment(problem, x, rows[ASSIGN])
    add_capacity(problem, x, rows[CAPACITY])
    add_move_budget(problem, x, rows.get(MOVES))
    add_admission_limit(problem, x, rows.get(ADMISSIONS))
    set_objective(problem, x, costs)
    return Model(problem, x)


def build_plan_model(costs: CostTable, rows: ModelRows) -> Model:
    """The plan over several nights (contract 1.2), over the options of a plan table
    (:mod:`optimiser.core.plantable`: one option per patient per change, its cost its whole
    part of the objective) and the plan's families (:func:`optimiser.core.rows.build_plan_rows`).
    """
    problem = pulp.LpProblem("bedplan_plan", pulp.LpMinimize)
    x = add_variables(problem, costs)
    add_assignment(problem, x, rows[ASSIGN])
    add_nightly_capacity(problem, x, rows[NIGHTLY_CAPACITY])
    add_nightly_move_budget(problem, x, rows.get(NIGHTLY_MOVES))
    add_nightly_admission_limit(problem, x, rows.get(NIGHTLY_ADMISSIONS))
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


def _sum(x: np.ndarray, idx: np.ndarray | slice) -> pulp.LpAffineExpression:
    """``Σ_{k ∈ idx} x_k`` built in one dict operation."""
    expr = pulp.LpAffineExpression()
    dict.update(expr, dict.fromkeys(x[idx].tolist(), 1))
    return expr


_SENSES = {"==": pulp.LpConstraintEQ, "<=": pulp.LpConstraintLE}


def _add_family(problem: pulp.LpProblem, x: np.ndarray, family: RowFamily, prefix: str, *,
                skip_slack: bool = False) -> None:
    """One constraint per row of ``family`` that has options, named ``prefix_key``.

    ``skip_slack``: leave out ``≤`` rows with no more options than their right-hand side
    (they cannot bind).
    """
    sense = _SENSES[family.sense]
    for r, idx in family.members():
        rhs = float(family.rhs[r])
        if skip_slack and family.sense == "<=" and idx.size <= rhs:
            continue
        key = int(family.key[r])
        name = f"{prefix}_{key}" if key >= 0 else prefix
        _add(problem, _sum(x, idx), sense, name, int(rhs) if rhs.is_integer() else rhs)


def add_assignment(problem: pulp.LpProblem, x: np.ndarray, family: RowFamily) -> None:
    """Each patient gets exactly one outcome.

    ``Σ_{k ∈ K_p} x_k = 1   ∀ p``
    """
    _add_family(problem, x, family, "assign")


def add_capacity(problem: pulp.LpProblem, x: np.ndarray, family: RowFamily) -> None:
    """Patients staying in, moving into or admitted to u fit its open beds.

    ``Σ_{k ∈ K_u} x_k ≤ b_u   ∀ u``
    """
    _add_family(problem, x, family, "capacity")


def add_move_budget(problem: pulp.LpProblem, x: np.ndarray, family: RowFamily | None) -> None:
    """At most ``max_moves`` inpatients move (no row without a limit).

    ``Σ_{k ∈ M} x_k ≤ max_moves``
    """
    if family is not None:
        _add_family(problem, x, family, "move_budget")


def add_admission_limit(problem: pulp.LpProblem, x: np.ndarray,
                        family: RowFamily | None) -> None:
    """Each unit receives at most ``A = max_admissions_per_unit`` new patients tonight (moves
    in + admissions); a row that cannot bind (``|N_u| ≤ A``) is left out.

    ``Σ_{k ∈ N_u} x_k ≤ A   ∀ u``
    """
    if family is not None:
        _add_family(problem, x, family, "admissions", skip_slack=True)


def add_nightly_capacity(problem: pulp.LpProblem, x: np.ndarray, family: RowFamily) -> None:
    """Patients present in u on night t fit its open beds (``P_{u,t}``: the options that put
    their patient in u on night t — a stay before discharge, a move before or after its
    night, an admission from its night on).

    ``Σ_{k ∈ P_{u,t}} x_k ≤ b_u   ∀ u, t``
    """
    _add_family(problem, x, family, "capacity")


def add_nightly_move_budget(problem: pulp.LpProblem, x: np.ndarray,
                            family: RowFamily | None) -> None:
    """At most ``max_moves`` inpatients move on each night (``M_t``: moves on night t).

    ``Σ_{k ∈ M_t} x_k ≤ max_moves   ∀ t``
    """
    if family is not None:
        _add_family(problem, x, family, "move_budget")


def add_nightly_admission_limit(problem: pulp.LpProblem, x: np.ndarray,
                                family: RowFamily | None) -> None:
    """Each unit receives at most ``A`` new patients on each night (``N_{u,t}``: moves into u
    and admissions to u on night t); rows that cannot bind are left out.

    ``Σ_{k ∈ N_{u,t}} x_k ≤ A   ∀ u, t``
    """
    if family is not None:
        _add_family(problem, x, family, "admissions", skip_slack=True)


def constraint_rows(model: Model) -> list[tuple[str, str, float, tuple[int, ...]]]:
    """The model's constraints as plain data: (name, sense, rhs, option indices with
    coefficient 1), for inspection and tests (PuLP objects stay here)."""
    index = {v.name: k for k, v in enumerate(model.x.tolist())}
    senses = {pulp.LpConstraintEQ: "==", pulp.LpConstraintLE: "<="}
    out = []
    for c in model.problem.constraints():
        name = c.name
        if any(coef != 1 for coef in c.values()):
            raise ValueError(f"constraint {name} has a coefficient other than 1")
        out.append((name, senses[c.sense], float(-c.constant),
                    tuple(sorted(index[v.name] for v in c))))
    return out


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
    """Solve with the registry's entry for ``settings.name`` and read back plain data.

    The entry says which PuLP class runs, with which options, what to prepare first and how
    to read the solver's own account of the run; nothing here depends on which solver it is.
    The solver's log (at ``log_solver``) is relayed through logging, never to stdout.
    """
    spec = solver_spec(settings.name)
    problem = model.problem
    with tempfile.TemporaryDirectory(prefix="bedplan-solver-") as tmp:
        log_path = os.path.join(tmp, "solver.log")
        spec.prepare(settings)
        options = spec.pulp_options(settings, log_path if log_solver or spec.reads_log
                                    else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solver = getattr(pulp, spec.pulp_class)(**options)
            problem.solve(solver)
        text = _read(log_path)
        raw = spec.read(RunRecord(
            solution=_SOLUTION_KINDS.get(problem.sol_status, "none"), log=text,
            native=getattr(problem, "solverModel", None)))
    if log_solver and text:
        log.info("%s log:\n%s", spec.name, text)
    chosen = _chosen(model, len(model.x)) if raw.has_solution else None
    return SolveOutcome(raw, chosen)


#: PuLP's solution status as the registry's readers name it.
_SOLUTION_KINDS = {pulp.LpSolutionOptimal: "optimal",
                   pulp.LpSolutionIntegerFeasible: "integer_feasible",
                   pulp.LpSolutionInfeasible: "infeasible"}


def _read(path: str) -> str:
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def _chosen(model: Model, n: int) -> np.ndarray:
    """Option indices whose binary is (numerically) 1, in option order."""
    values = np.fromiter((v.varValue or 0.0 for v in model.x.tolist()), dtype=float, count=n)
    return np.flatnonzero(values > 0.5)
