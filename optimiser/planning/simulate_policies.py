"""The policies a simulation compares, each deciding one night's admissions and moves.

- ``nearest``: what happens without the engine. Nobody is moved; waiting referrals, in
  arrival order, are admitted to the nearest compatible ward with a free bed (distance as
  the optimiser measures it, ties by unit_id), respecting ``max_admissions_per_unit`` (a
  receiving team's intake is a fact of the ward, not of the engine).
- ``reallocate``: the nightly optimiser, ``optimiser.core.solve.solve``, with the
  instance's policy and limits, on tonight's inpatients and waiting referrals.
- ``plan``: ``optimiser.planning.plan.plan`` over the next ``lookahead`` nights, carried out
  for its first night only. The planner is told each inpatient's true leaving date (as
  ``expected_discharge``: perfect foresight of discharges) but not future referrals.

Each policy is built per run (:func:`make_decider`) and keeps what does not change between
nights: distances are rows of the census matrix (a drawn referral copies a census
patient's home), and ``reallocate`` keeps each patient's block of the cost table until the
patient's ward changes.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np

from models.compatibility import compatibility_matrix
from models.domain import Instance, Patient, Policy
from models.errors import Problem
from optimiser.planning.simulate_draws import RunDraws, World
from optimiser.planning.simulate_run import Decider, Night

POLICIES: tuple[str, ...] = ("nearest", "reallocate", "plan")


def plan_available() -> bool:
    """Whether ``optimiser.planning.plan`` (``bedplan plan``, issue 13) is installed."""
    import importlib.util

    return importlib.util.find_spec("optimiser.planning.plan") is not None


def policy_problems(names: Sequence[str]) -> list[Problem]:
    """An unknown policy, a repeated one, none, or ``plan`` before it lands."""
    problems = []
    for name in names:
        if name not in POLICIES:
            problems.append(Problem("--policy", None, None, f"unknown policy {name!r}: use "
                                    f"{', '.join(POLICIES)}"))
    if len(set(names)) != len(names):
        problems.append(Problem("--policy", None, None, "a policy is named twice"))
    if not names:
        problems.append(Problem("--policy", None, None, "name at least one policy"))
    if "plan" in names and not plan_available():
        problems.append(Problem("--policy", None, None, "policy 'plan' is not available yet: "
                                "it needs `bedplan plan` (optimiser/planning/plan.py, "
                                "issue 13); use nearest or reallocate"))
    return problems


class Nearest:
    """Admit waiting referrals in arrival order to the nearest compatible ward with a bed."""

    def __init__(self, world: World, draws: RunDraws, policy: Policy) -> None:
        self.world, self.draws = world, draws
        self.limit = policy.limits.max_admissions_per_unit
        units = world.instance.units
        self.rank = np.argsort(np.argsort([u.unit_id for u in units], kind="stable"))
        self.cands: dict[int, np.ndarray] = {}
        self.profiles: dict[Any, np.ndarray] = {}
        self.failed_nights = 0

    def candidates(self, i: int) -> np.ndarray:
        """Compatible, reachable units of run patient i, nearest first (ties by unit_id)."""
        found = self.cands.get(i)
        if found is None:
            row = self.world.distances[self.draws.template[i]]
            ok = compatibility_matrix([self.draws.patients[i]], self.world.instance.units,
                                      self.profiles)[0] & np.isfinite(row)
            js = np.flatnonzero(ok)
            found = js[np.lexsort((self.rank[js], row[js]))]
            self.cands[i] = found
        return found

    def __call__(self, night: Night) -> list[tuple[int, int]]:
        free = night.free.copy()
        taken = np.zeros(free.size, dtype=np.int64)
        out = []
        for i in night.waiting.tolist():
            for j in self.candidates(i).tolist():
                if free[j] > 0 and (self.limit is None or taken[j] < self.limit):
                    out.append((i, j))
                    free[j] -= 1
                    taken[j] += 1
                    break
        return out


class Reallocate:
    """The nightly optimiser over tonight's inpatients and waiting referrals."""

    def __init__(self, world: World, draws: RunDraws, policy: Policy) -> None:
        self.world, self.draws, self.policy = world, draws, policy
        self.unit_ids = tuple(u.unit_id for u in world.instance.units)
        self.blocks: dict[int, tuple[int, Patient, tuple[np.ndarray, ...]]] = {}
        self.failed_nights = 0
        self.last_status = ""
        self.budget_bound = False

    def patient(self, i: int, unit: int) -> Patient:
        """Run patient i as tonight's instance lists them (in ``unit``, or waiting)."""
        p = self.draws.patients[i]
        if unit < 0:
            return dataclasses.replace(p, arrives_on=None)
        uid = self.unit_ids[unit]
        if not p.is_referral and p.current_unit_id == uid:
            return dataclasses.replace(p, expected_discharge=None)
        return dataclasses.replace(p, status="inpatient", current_unit_id=uid,
                                   movable=p.movable or p.is_referral, arrives_on=None,
                                   expected_discharge=None)

    def tonight(self, night: Night) -> tuple[Instance, np.ndarray, Any, np.ndarray]:
        """Tonight's instance, its distances, its cost table and the run patients in it."""
        from optimiser.core.costs import CostTable, build_cost_table

        idx = np.sort(np.concatenate([night.inside, night.waiting]))
        units = night.unit[idx].tolist()
        stale = [(i, u) for i, u in zip(idx.tolist(), units, strict=True)
                 if (b := self.blocks.get(i)) is None or b[0] != u]
        if stale:
            pats = tuple(self.patient(i, u) for i, u in stale)
            rows = self.draws.template[[i for i, _ in stale]]
            mini = dataclasses.replace(self.world.instance, patients=pats)
            table = build_cost_table(mini, self.world.distances[rows], self.policy)
            cut = table.start[1:-1]
            fields = [np.split(a, cut) for a in (table.unit, table.kind, table.cost,
                                                  table.km, table.out_of_area, table.delayed)]
            for k, (i, u) in enumerate(stale):
                self.blocks[i] = (u, pats[k], tuple(f[k] for f in fields))
        chosen = [self.blocks[i] for i in idx.tolist()]
        here = set(idx.tolist())
        for i in [i for i in self.blocks if i not in here]:  # forget patients who left
            del self.blocks[i]
        lengths = np.array([b[2][0].size for b in chosen], dtype=np.int64)
        start = np.zeros(len(chosen) + 1, dtype=np.int64)
        np.cumsum(lengths, out=start[1:])
        cols = [np.concatenate([b[2][k] for b in chosen]) if chosen else np.zeros(0)
                for k in range(6)]
        patients = tuple(b[1] for b in chosen)
        costs = CostTable(
            patient_ids=tuple(p.patient_id for p in patients), unit_ids=self.unit_ids,
            open_beds=np.array([u.open_beds for u in self.world.instance.units],
                               dtype=np.int64),
            patient=np.repeat(np.arange(len(chosen), dtype=np.int32), lengths),
            unit=cols[0].astype(np.int32), kind=cols[1].astype(np.int8),
            cost=cols[2].astype(float), km=cols[3].astype(float),
            out_of_area=cols[4].astype(bool), delayed=cols[5].astype(bool), start=start)
        inst = dataclasses.replace(self.world.instance, patients=patients)
        return inst, self.world.distances[self.draws.template[idx]], costs, idx

    def solve(self, inst: Instance, distances: np.ndarray, costs: Any) -> Any:
        """solve(); with a move budget, first without it (the exact min-cost flow, fast):
        when that optimum moves no more than the budget it is optimal with the budget too.
        While the budget bound last night it is likely to bind again: the relaxation is
        skipped (either way the answer is an optimum of tonight's model)."""
        from optimiser.core.result import OPTIMAL
        from optimiser.core.solve import solve

        budget = self.policy.limits.max_moves
        if budget is not None and not self.budget_bound:
            relaxed = dataclasses.replace(
                self.policy, limits=dataclasses.replace(self.policy.limits, max_moves=None))
            result = solve(inst, relaxed, distances=distances, costs=costs)
            if result.status == OPTIMAL and result.metrics.moves <= budget:
                return result
        result = solve(inst, self.policy, distances=distances, costs=costs)
        self.budget_bound = budget is not None and result.metrics.moves >= budget
        return result

    def __call__(self, night: Night) -> list[tuple[int, int]]:
        inst, dist, costs, idx = self.tonight(night)
        if not inst.patients:
            return []
        result = self.solve(inst, dist, costs)
        self.last_status = result.status
        if not result.has_plan:
            self.failed_nights += 1
            return []
        index = {uid: j for j, uid in enumerate(self.unit_ids)}
        return [(int(idx[k]), index[a.unit_id]) for k, a in enumerate(result.assignments)
                if a.action in ("move", "admit") and a.unit_id is not None]


class PlanAhead:
    """``bedplan plan`` over the next ``lookahead`` nights, its first night carried out."""

    def __init__(self, world: World, draws: RunDraws, policy: Policy) -> None:
        self.realloc = Reallocate(world, draws, policy)
        self.world, self.draws, self.policy = world, draws, policy
        self.failed_nights = 0

    def __call__(self, night: Night) -> list[tuple[int, int]]:
        from optimiser.planning.plan import plan

        idx = np.sort(np.concatenate([night.inside, night.waiting]))
        patients = []
        for i in idx.tolist():
            p = self.realloc.patient(i, int(night.unit[i]))
            if night.unit[i] >= 0:
                leaves = self.world.start + timedelta(days=int(night.gone[i]) - 1)
                p = dataclasses.replace(p, expected_discharge=leaves)
            patients.append(p)
        if not patients:
            return []
        inst = dataclasses.replace(self.world.instance, patients=tuple(patients))
        extra = {}
        if "distances" in inspect.signature(plan).parameters:  # reuse the census rows
            extra["distances"] = self.world.distances[self.draws.template[idx]]
        result = plan(inst, self.policy, start=night.date, nights=self.world.lookahead,
                      **extra)
        if result.status not in ("optimal", "feasible"):
            self.failed_nights += 1
            return []
        index = {uid: j for j, uid in enumerate(self.realloc.unit_ids)}
        return [(int(idx[k]), index[row.unit_id]) for k, row in enumerate(result.rows)
                if row.action in ("move", "admit") and row.night == 1
                and row.unit_id is not None]


_MAKERS: dict[str, type[Nearest] | type[Reallocate] | type[PlanAhead]] = {
    "nearest": Nearest, "reallocate": Reallocate, "plan": PlanAhead}


def make_decider(name: str, world: World, draws: RunDraws,
                 policy: Policy | None = None) -> Decider:
    """A fresh policy for one run (``policy`` defaults to the instance's)."""
    return _MAKERS[name](world, draws, policy or world.instance.policy)
