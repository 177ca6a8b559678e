"""What one more open bed in a unit is worth tonight, and what one fewer would cost.

Both are changes in the contract's objective (the solved optimum with the unit's open beds
+1 or −1, minus the optimum as it is), reported as positive numbers: ``one_more`` is the
saving, ``one_fewer`` the extra cost (None: the unit has no open bed to lose, or losing one
leaves no feasible plan — ``note`` says which).

Two exact methods:

* ``flow`` — without ``limits.max_moves`` the placement model is a min-cost flow (patients →
  units, or → "arrivals" nodes carrying ``max_admissions_per_unit`` → units → sink, plus
  unplaced referrals straight to the sink). At an optimal plan the residual network has no
  negative cycle, and changing one unit's capacity by one changes the optimum by exactly a
  shortest path in it: +1 at u is worth ``-min(0, dist(sink → u))`` (the cheapest cycle the
  new bed closes), −1 at a full u costs ``dist(u → sink)`` (the cheapest way to re-route one
  patient out of u). Two Bellman-Ford runs over the residual network contracted to units (a
  patient's arc becomes a unit-to-unit arc; the cheapest patient per pair is enough because
  each patient carries one unit of flow) give every unit at once. This is what LP duals
  would give, without their ambiguity under degeneracy (a dual is any value between the −1
  and the +1 change; these are both, exactly).
* ``resolve`` — with ``max_moves`` the model is no longer a flow (and its value is not
  convex in the capacities: a bed nobody uses tonight can still be worth something, when it
  lets one move replace two), so each unit is re-solved with beds +1 and, where its beds are
  all used, −1 (with a spare bed, −1 costs exactly 0: the plan still fits). One solve per
  unit: affordable for a few hundred units with the fast method; ``progress`` reports each.
  The cost table does not depend on the beds, so it is built once and every re-solve gets
  it with one capacity changed (against a full ``solve`` per unit: 1.4-1.9× faster on the
  min-cost-flow path, within noise with ``max_moves``; see benchmarks/README.md).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from models.domain import Instance, Unit
from models.errors import InputError, Problem
from optimiser.core.costs import ADMIT, MOVE, STAY, UNPLACED, CostTable, build_cost_table
from optimiser.core.result import INFEASIBLE, OPTIMAL, Result

log = logging.getLogger(__name__)

METHODS = ("auto", "flow", "resolve")
NO_OPEN_BEDS = "no open bed to lose"
INFEASIBLE_WITHOUT = "one fewer bed leaves no feasible plan"
_TOL = 1e-7


@dataclass(frozen=True, slots=True)
class BedValue:
    """One unit's capacity values (objective units; positive = matters)."""

    unit_id: str
    open_beds: int
    used_beds: int
    one_more: float
    one_fewer: float | None
    note: str = ""


@dataclass(frozen=True)
class BedValues:
    """Bed values of every unit, ranked (most valuable extra bed first)."""

    status: str
    objective: float | None
    method: str
    values: tuple[BedValue, ...]
    result: Result
    notes: tuple[str, ...] = ()

    def to_json_dict(self, instance: Instance, top: int | None = None) -> dict[str, Any]:
        units = {u.unit_id: u for u in instance.units}
        rows = self.values if top is None else self.values[:top]
        return {
            "status": self.status,
            "objective": _round(self.objective),
            "method": self.method,
            "units": [{"rank": k, "unit_id": v.unit_id, "name": units[v.unit_id].name,
                       "network_id": units[v.unit_id].network_id,
                       "service": units[v.unit_id].service, "level": units[v.unit_id].level,
                       "open_beds": v.open_beds, "used_beds": v.used_beds,
                       "one_more": _round(v.one_more), "one_fewer": _round(v.one_fewer),
                       "note": v.note}
                      for k, v in enumerate(rows, start=1)],
            "notes": list(self.notes),
        }


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 6)


def bed_values(instance: Instance, *, distances: np.ndarray | None = None,
               method: str = "auto", solve_method: str = "auto",
               units: Sequence[str] | None = None,
               progress: Callable[[str], None] | None = None) -> BedValues:
    """The value of +1 and the cost of −1 open bed in every unit (see the module docstring).

    ``method``: "flow" (exact shortest paths; only without max_moves), "resolve" (one
    solve per unit and direction), "auto" (flow when possible). ``solve_method`` is passed to
    :func:`optimiser.core.solve.solve`. ``units`` restricts the answer (and the re-solves) to
    these unit_ids; an unknown one is an InputError. When the instance itself has no plan,
    no values are given.
    """
    from optimiser.core.solve import solve

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    index = instance.unit_index()
    unknown = [uid for uid in (units or ()) if uid not in index]
    if unknown:
        raise InputError([Problem("--unit", None, None, f"unknown unit {uid!r} (not in "
                                  "units.csv)") for uid in unknown])
    wanted = sorted({index[uid] for uid in units}) if units else list(range(len(index)))
    policy = instance.policy
    if distances is None:
        from optimiser.geography.distances import distance_matrix

        distances = distance_matrix(instance, policy.distance)
    flow_ok = policy.limits.max_moves is None
    if method == "flow" and not flow_ok:
        raise ValueError("the flow method needs a model without limits.max_moves")
    if method == "auto":
        method = "flow" if flow_ok else "resolve"
    say = progress or (lambda message: None)
    base = solve(instance, policy, distances=distances, method=solve_method)
    if not base.has_plan or base.objective is None:
        return BedValues(base.status, None, method, (), base,
                         ("no plan for the instance as it is: nothing to compare with",))
    notes: list[str] = []
    if base.status != OPTIMAL:
        notes.append(f"the plan is {base.status}, not proven optimal: values are estimates")
    used = _used(instance, base)
    costs = build_cost_table(instance, distances, policy)  # shared by every method below
    if method == "flow":
        try:
            plus, minus = _flow_values(costs, base, policy.limits.max_admissions_per_unit)
        except _NotOptimal:
            notes.append("the plan is not optimal as a flow; re-solved per unit instead")
            method = "resolve"
    if method == "resolve":
        plus, minus = _resolve_values(instance, distances, costs, base, used, solve_method,
                                      say, wanted)
    values = []
    for j in wanted:
        u = instance.units[j]
        fewer: float | None
        if u.open_beds <= 0:
            fewer, note = None, NO_OPEN_BEDS
        elif not math.isfinite(minus[j]):
            fewer, note = None, INFEASIBLE_WITHOUT
        else:
            fewer, note = max(0.0, float(minus[j])), ""
        values.append(BedValue(u.unit_id, u.open_beds, int(used[j]),
                               max(0.0, float(plus[j])), fewer, note))
    return BedValues(base.status, base.objective, method, tuple(sorted(values, key=_rank)),
                     base, tuple(notes))


def _rank(v: BedValue) -> tuple[float, float, str]:
    """Most valuable extra bed first; then the dearest bed to lose (infeasible first)."""
    fewer = math.inf if v.note == INFEASIBLE_WITHOUT else (v.one_fewer or 0.0)
    return (-v.one_more, -fewer, v.unit_id)


def _used(instance: Instance, result: Result) -> np.ndarray:
    index = instance.unit_index()
    used = np.zeros(len(instance.units), dtype=np.int64)
    for a in result.assignments:
        if a.action != "unplaced" and a.unit_id is not None:
            used[index[a.unit_id]] += 1
    return used


# --------------------------------------------------------------------------- re-solving


def with_open_beds(unit: Unit, delta: int) -> Unit:
    """``unit`` with ``delta`` more open beds (reopening closed beds first when adding)."""
    if delta > 0:
        reopen = min(delta, unit.beds_closed)
        return replace(unit, beds=unit.beds + delta - reopen,
                       beds_closed=unit.beds_closed - reopen)
    return replace(unit, beds_closed=unit.beds_closed - delta)


def _resolve_values(instance: Instance, distances: np.ndarray, costs: CostTable,
                    base: Result, used: np.ndarray, solve_method: str,
                    say: Callable[[str], None], wanted: list[int]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """One solve per unit and direction, all on ``costs``: a unit's open beds are the only
    thing that changes, and the cost table (compatibility, km, costs) does not depend on
    them, so only its capacities are replaced."""
    assert base.objective is not None
    m = len(instance.units)
    plus, minus = np.zeros(m), np.zeros(m)

    def objective(j: int, delta: int) -> float:
        units = list(instance.units)
        units[j] = with_open_beds(units[j], delta)
        beds = costs.open_beds.copy()
        beds[j] = units[j].open_beds
        from optimiser.core.solve import solve

        res = solve(replace(instance, units=tuple(units)), distances=distances,
                    method=solve_method, costs=replace(costs, open_beds=beds))
        if res.status == INFEASIBLE:
            return math.inf
        if not res.has_plan or res.objective is None:
            raise ResolveError(f"re-solving with unit {units[j].unit_id} changed gave "
                               f"{res.status}: {'; '.join(res.diagnosis) or 'no plan'}")
        return res.objective

    for k, j in enumerate(wanted, start=1):
        u = instance.units[j]
        say(f"re-solving for unit {k}/{len(wanted)} {u.unit_id}")
        plus[j] = base.objective - objective(j, +1)
        if u.open_beds > 0 and used[j] >= u.open_beds:
            minus[j] = objective(j, -1) - base.objective
    return plus, minus


# --------------------------------------------------------------------------- flow


class ResolveError(RuntimeError):
    """A re-solve found no plan within its limits (not infeasibility): no value to give."""


class _NotOptimal(Exception):
    """The residual network has a negative cycle: the plan is not an optimal flow."""


def _chosen_options(costs: CostTable, result: Result) -> np.ndarray:
    """Index into ``costs`` of each patient's outcome in ``result``."""
    unit_pos = {uid: j for j, uid in enumerate(costs.unit_ids)}
    kind_code = {"stay": STAY, "move": MOVE, "admit": ADMIT, "unplaced": UNPLACED}
    by_id = {a.patient_id: a for a in result.assignments}
    n = costs.n_patients
    unit = np.full(n, -1, dtype=np.int64)
    kind = np.zeros(n, dtype=np.int8)
    for i, pid in enumerate(costs.patient_ids):
        a = by_id[pid]
        kind[i] = kind_code[a.action]
        unit[i] = -1 if a.unit_id is None or a.action == "unplaced" else unit_pos[a.unit_id]
    match = (costs.unit == unit[costs.patient]) & (costs.kind == kind[costs.patient])
    chosen = np.flatnonzero(match)
    if chosen.size != n or np.any(costs.patient[chosen] != np.arange(n)):
        raise _NotOptimal("the plan uses an option the cost table does not allow")
    return chosen


def _flow_values(costs: CostTable, result: Result, limit: int | None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(+1 saving, −1 cost) per unit from two shortest-path runs on the residual network."""
    m = costs.n_units
    chosen = _chosen_options(costs, result)
    arrive = np.arange(m) + (m if limit is not None else 0)
    sink = 2 * m if limit is not None else m
    size = sink + 1
    kind, unit = costs.kind, costs.unit
    node = np.where(kind == UNPLACED, sink, np.where(kind == STAY, unit, arrive[unit]))
    at = node[chosen]  # where each patient's flow runs now
    other = np.ones(costs.n_options, dtype=bool)
    other[chosen] = False
    tail = at[costs.patient[other]]
    head = node[other]
    weight = costs.cost[other] - costs.cost[chosen][costs.patient[other]]
    w = np.full((size, size), np.inf)
    keep = tail != head
    np.minimum.at(w, (tail[keep], head[keep]), weight[keep])

    ck = chosen[kind[chosen] != UNPLACED]
    load = np.bincount(unit[ck], minlength=m)
    arrivals = np.bincount(unit[ck[kind[ck] != STAY]], minlength=m)
    units = np.arange(m)
    slack = load < costs.open_beds
    w[units[slack], sink] = np.minimum(w[units[slack], sink], 0.0)
    used = load > 0
    w[sink, units[used]] = np.minimum(w[sink, units[used]], 0.0)
    if limit is not None:
        room = arrivals < limit
        w[arrive[room], units[room]] = np.minimum(w[arrive[room], units[room]], 0.0)
        came = arrivals > 0
        w[units[came], arrive[came]] = np.minimum(w[units[came], arrive[came]], 0.0)
    from_sink = _bellman_ford(w, sink)
    to_sink = _bellman_ford(w.T, sink)
    return -np.minimum(0.0, from_sink[:m]), to_sink[:m]


def _bellman_ford(w: np.ndarray, source: int) -> np.ndarray:
    """Shortest distances from ``source`` over a dense weight matrix (inf = no arc)."""
    n = w.shape[0]
    dist = np.full(n, np.inf)
    dist[source] = 0.0
    scale = max(1.0, float(np.max(np.abs(w[np.isfinite(w)]), initial=0.0)))
    for _ in range(n):
        reach = np.isfinite(dist)
        cand = np.min(dist[reach][:, None] + w[reach], axis=0)
        better = cand < dist - _TOL * scale
        if not better.any():
            return dist
        dist = np.where(better, cand, dist)
    raise _NotOptimal("negative cycle in the residual network")


# --------------------------------------------------------------------------- text


def render_bed_values(values: BedValues, instance: Instance, top: int | None = None) -> str:
    """A ranked table: the units where one more bed saves most come first."""
    if not values.values:
        lines = [f"No bed values: the instance as it is is {values.status}."]
        lines += [f"  {d}" for d in values.result.diagnosis[:10]]
        return "\n".join(lines)
    units = {u.unit_id: u for u in instance.units}
    rows = values.values if top is None else values.values[:top]
    w = max([4, *(len(v.unit_id) for v in rows)])
    lines = [f"Objective tonight {values.objective:,.2f} ({values.status}; {values.method}). "
             "Values in objective units (1 = 1 km with the default weights).",
             *(f"note: {n}" for n in values.notes), "",
             f"{'rank':>4}  {'unit':<{w}} {'name':<30} {'network':<14} {'open':>5} {'used':>5}"
             f" {'one more':>10} {'one fewer':>11}"]
    for k, v in enumerate(rows, start=1):
        u = units[v.unit_id]
        fewer = "-" if v.note == NO_OPEN_BEDS else "infeasible" if v.one_fewer is None \
            else f"{v.one_fewer:,.1f}"
        lines.append(f"{k:>4}  {v.unit_id:<{w}} {u.name[:30]:<30} {u.network_id[:14]:<14} "
                     f"{v.open_beds:>5} {v.used_beds:>5} {v.one_more:>10,.1f} {fewer:>11}")
    if top is not None and len(values.values) > top:
        lines.append(f"  ({len(values.values) - top} more units; --top to see more)")
    return "\n".join(lines)
