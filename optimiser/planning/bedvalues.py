"""What one more open bed in a unit is worth tonight, and what one fewer would cost.

Write V(b) for the contract's optimum with open beds b, x for tonight's optimal plan and
e_u for one bed at unit u. ``one_more`` is the saving V(b) − V(b + e_u), ``one_fewer`` the
extra cost V(b − e_u) − V(b) (None: u has no open bed to lose, or losing one leaves no
feasible plan — ``note`` says which). Both are exact unless a re-solve stopped at its time
limit; then the value is the best plan found and ``one_more_bound`` / ``one_fewer_bound``
the proven limit on the other side.

**The residual network.** Without ``max_moves`` the model is a min-cost flow (patients →
units, or → "arrivals" nodes of capacity ``max_admissions_per_unit`` → units → sink, and
unplaced referrals straight to the sink). Contract x's residual network to units, arrivals
and the sink: a patient switching from the option x gives them to another is an arc between
the two options' nodes (the cheapest patient per pair is enough: a simple cycle leaves each
node once, so it uses each patient at most once); a spare bed is an arc unit → sink, a used
one sink → unit, and the same for arrival slots. x is optimal iff there is no negative
cycle, and then one bed more at u is worth ``−min(0, dist(sink → u))`` (the cheapest cycle
the new bed closes) and one fewer costs ``dist(u → sink)`` (no path: infeasible) — the
``flow`` method, two Bellman-Ford runs for every unit at once.

**With a move budget M** (``duals``, the default then) the model is a flow plus one row. For
μ ≥ 0 let F_μ(b) be the flow optimum when every move costs μ more. A plan x' fitting b' and
the budget has c(x') = c_μ(x') − μ·moves(x') ≥ F_μ(b') − μM, so

    L_μ(b') = F_μ(b') − μM ≤ V(b')  for every b' (the Lagrangian bound).

It is tight at tonight's plan, L_μ(b) = V(b), when x is an optimal flow for c_μ and
μ·(M − moves(x)) = 0. Each residual cycle C asks c(C) + μ·Δmoves(C) ≥ 0, so these μ form an
interval [μ_lo, μ_hi], found exactly by Dinkelbach's iteration (a negative cycle at μ with
Δmoves > 0 moves μ up to −c(C)/Δmoves(C); from above likewise); it exists exactly when the
LP relaxation is tight at x (England: μ from 614 to 810, the worth of a 41st move). Without it
every unit is re-solved. With it, for μ ∈ {μ_lo, the middle, μ_hi}:

* *Lower bounds.* The shortest-path distances are node potentials, i.e. LP duals
  (y, π, α, −μ) with reduced cost rc_k ≥ 0 on every option, computed and checked option by
  option (a rounding slip below 0 is subtracted: weak duality needs no optimality). For any
  plan x' fitting b': c(x') ≥ D(b') + Σ_k rc_k·x'_k, D(b') the dual objective. Distances
  from the sink give the duals best for b + e_u (D = V − [the flow's +1 saving]), distances
  to the sink those best for b − e_u.
* *Upper bounds.* The shortest path itself, applied to x, is a plan for b ± e_u; where the
  budget needs it, it is combined with the cycle that fixed μ_hi (one move fewer, at cost
  μ_hi) or μ_lo (one more). Every such plan is checked (beds, arrivals, moves) and costed
  from the table: an upper bound.

Where the bounds meet (within 1e-6) the value is exact. In particular **+1 is worth exactly
0** at every unit whose dual bound is V: x still fits b + e_u, so V(b + e_u) ≤ V(b), and
V(b + e_u) ≥ L_μ(b + e_u) = V(b) when no negative cycle runs through the new bed. A ward
with a free bed in x is such a unit *when L_μ is tight at x*: its new bed duplicates the
existing zero-cost arc to the sink, so a negative cycle through it would already be one of
x's. Without tightness a free bed can be worth something (one move allowed; Q1 → W empties
U, Q2 → U needs U's bed: tests/optimiser/planning/test_bedvalues.py).

**The rest is re-solved exactly on a smaller model.** With the duals above, a plan no worse
than a known plan of cost U never uses an option with rc_k > U − D(b'), so the re-solve keeps
only the others (and every stay and unplaced option) and its optimum is the full optimum.
+1: U = V (x fits). −1: when no plan is known, a small threshold T is tried: an optimum
z ≤ D + T is proven; otherwise z, a plan of the full model too, makes one more solve with
T = z − D conclusive (when the reduced model is infeasible, the full model is asked): at
most two solves per value. Re-solves run one after another, or on Dask
(``workers``/``scheduler``) when there are many; ``progress`` reports each with the time
left. ``resolve`` re-solves every unit on the full model (the reference the tests compare
with). The cost table does not depend on the beds: it is built once and shared.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from models.domain import Instance, Unit
from models.errors import InputError, Problem
from optimiser.core.costs import ADMIT, MOVE, STAY, UNPLACED, CostTable, build_cost_table
from optimiser.core.result import INFEASIBLE, OPTIMAL, Result

log = logging.getLogger(__name__)

METHODS = ("auto", "flow", "duals", "resolve")
NO_OPEN_BEDS = "no open bed to lose"
INFEASIBLE_WITHOUT = "one fewer bed leaves no feasible plan"
STOPPED = "a re-solve stopped at its time limit: the value is the best plan found"
#: Absolute tolerance at which bounds "meet" (HiGHS's default absolute MIP gap).
EXACT_TOL = 1e-6
#: Relative tolerance of a Bellman-Ford improvement (against the largest arc weight).
_TOL = 1e-11
#: Re-solves at which the "auto" choice of workers starts a local Dask cluster (start-up
#: ~3 s: only worth it when the re-solves take longer than that on one core).
DASK_MIN_TASKS = 24
#: First reduced-cost threshold for a −1 re-solve with no plan known (objective units). The
#: dual bound is usually within a few units of the optimum (England: all within 10), so a
#: small model answers; a larger one is tried only when it does not prove its optimum.
FIRST_THRESHOLD = 50.0


@dataclass(frozen=True, slots=True)
class BedValue:
    """One unit's capacity values (objective units; positive = matters).

    ``one_more_bound`` / ``one_fewer_bound`` are None when the value is exact; otherwise
    the proven upper limit of the saving / lower limit of the extra cost.
    """

    unit_id: str
    open_beds: int
    used_beds: int
    one_more: float
    one_fewer: float | None
    note: str = ""
    one_more_bound: float | None = None
    one_fewer_bound: float | None = None

    @property
    def exact(self) -> bool:
        return self.one_more_bound is None and self.one_fewer_bound is None


@dataclass(frozen=True)
class BedValues:
    """Bed values of every unit, ranked (most valuable extra bed first)."""

    status: str
    objective: float | None
    method: str
    values: tuple[BedValue, ...]
    result: Result
    notes: tuple[str, ...] = ()
    resolved: int = 0  # values that needed re-solving
    resolves: int = 0  # solves beyond tonight's (a value may need two on a reduced model)

    def to_json_dict(self, instance: Instance, top: int | None = None) -> dict[str, Any]:
        units = {u.unit_id: u for u in instance.units}
        rows = self.values if top is None else self.values[:top]
        return {
            "status": self.status,
            "objective": _round(self.objective),
            "method": self.method,
            "resolved": self.resolved,
            "resolves": self.resolves,
            "units": [{"rank": k, "unit_id": v.unit_id, "name": units[v.unit_id].name,
                       "network_id": units[v.unit_id].network_id,
                       "service": units[v.unit_id].service, "level": units[v.unit_id].level,
                       "open_beds": v.open_beds, "used_beds": v.used_beds,
                       "one_more": _round(v.one_more), "one_fewer": _round(v.one_fewer),
                       "exact": v.exact, "one_more_bound": _round(v.one_more_bound),
                       "one_fewer_bound": _round(v.one_fewer_bound), "note": v.note}
                      for k, v in enumerate(rows, start=1)],
            "notes": list(self.notes),
        }


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 6)


@dataclass
class _Range:
    """What is known of V(b ± e_u): lo ≤ V ≤ hi (inf: infeasible when lo is inf too)."""

    lo: float = -math.inf
    hi: float = math.inf
    side: int = -1  # which dual side gave lo (for a reduced re-solve)

    def exact(self) -> bool:
        return self.hi - self.lo <= EXACT_TOL or (math.isinf(self.lo) and self.lo > 0)


def bed_values(instance: Instance, *, distances: np.ndarray | None = None,
               method: str = "auto", solve_method: str = "auto",
               units: Sequence[str] | None = None,
               progress: Callable[[str], None] | None = None,
               workers: int | None = 0, scheduler: str | None = None) -> BedValues:
    """The value of +1 and the cost of −1 open bed in every unit (see the module docstring).

    ``method``: "flow" (exact shortest paths; only without max_moves), "duals" (bounds from
    LP duals, re-solves where they differ), "resolve" (one full solve per unit and
    direction), "auto" (flow without max_moves, else duals). ``solve_method`` is passed to
    :func:`optimiser.core.solve.solve`. ``units`` restricts the answer (and the re-solves)
    to these unit_ids; an unknown one is an InputError. ``workers``: 0 re-solves in this
    process, N ≥ 1 on a local Dask cluster of N processes, None chooses (a cluster of 2 from
    :data:`DASK_MIN_TASKS` re-solves); ``scheduler`` the address of an existing cluster.
    When the instance itself has no plan, no values are given.
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
    budget = policy.limits.max_moves
    if method == "flow" and budget is not None:
        raise ValueError("the flow method needs a model without limits.max_moves")
    if method == "auto":
        method = "flow" if budget is None else "duals"
    say = progress or (lambda message: None)
    say("solving tonight's plan")
    costs = build_cost_table(instance, distances, policy)  # shared by every solve below
    base = solve(instance, policy, distances=distances, method=solve_method, costs=costs)
    if not base.has_plan or base.objective is None:
        return BedValues(base.status, None, method, (), base,
                         ("no plan for the instance as it is: nothing to compare with",))
    notes: list[str] = []
    if base.status != OPTIMAL:
        notes.append(f"the plan is {base.status}, not proven optimal: values are estimates")
    v0 = base.objective
    m = len(instance.units)
    plus = [_Range(hi=v0) for _ in range(m)]  # x still fits one bed more
    minus = [_Range() for _ in range(m)]
    sides: list[_Side] = []
    if method in ("flow", "duals"):
        say("bounds from tonight's plan (shortest paths, LP duals)")
        sides, why = _bounds(costs, base, policy.limits.max_admissions_per_unit, budget,
                             plus, minus, exact_flow=method == "flow")
        if why:
            notes.append(f"{why}; re-solved per unit instead")
            method = "resolve"
            plus = [_Range(hi=v0) for _ in range(m)]
            minus = [_Range() for _ in range(m)]
            sides = []
    used = _used(costs, base)
    tasks = [_Task(j, +1, plus[j]) for j in wanted if not plus[j].exact()]
    tasks += [_Task(j, -1, minus[j]) for j in wanted
              if instance.units[j].open_beds > 0 and used[j] >= instance.units[j].open_beds
              and not minus[j].exact()]
    for j in wanted:  # a spare bed: the plan still fits with one bed fewer
        if used[j] < instance.units[j].open_beds:
            minus[j] = _Range(v0, v0)
    if method != "resolve" and wanted:
        asked = len(wanted) + sum(instance.units[j].open_beds > 0 for j in wanted)
        say(f"{asked - len(tasks)} of {asked} values exact from the bounds; "
            f"{len(tasks)} to re-solve")
    done = _run_tasks(instance, distances, costs, sides, tasks, solve_method, say,
                      workers, scheduler)
    for task, found in zip(tasks, done, strict=True):
        (plus if task.delta > 0 else minus)[task.j] = found
    values = [_value(instance.units[j], int(used[j]), v0, plus[j], minus[j]) for j in wanted]
    if any(not v.exact for v in values):
        notes.append("some re-solves stopped at their time limit: those values are the best "
                     "plans found, with the proven bound beside them (*)")
    return BedValues(base.status, v0, method, tuple(sorted(values, key=_rank)), base,
                     tuple(notes), resolved=len(tasks), resolves=sum(t.solves for t in done))


def _value(u: Unit, used: int, v0: float, plus: _Range, minus: _Range) -> BedValue:
    """A unit's BedValue from what is known of V(b + e_u) and V(b − e_u)."""
    more = max(0.0, v0 - plus.hi)
    more_bound = None if plus.exact() else max(more, v0 - plus.lo)
    fewer: float | None
    fewer_bound: float | None = None
    note = ""
    if u.open_beds <= 0:
        fewer, note = None, NO_OPEN_BEDS
    elif math.isinf(minus.lo) and minus.lo > 0:
        fewer, note = None, INFEASIBLE_WITHOUT
    elif math.isinf(minus.hi):  # no plan found in time, none proven impossible
        fewer, fewer_bound, note = None, max(0.0, minus.lo - v0), STOPPED
    else:
        fewer = max(0.0, minus.hi - v0)
        if not minus.exact():
            fewer_bound = max(0.0, min(fewer, minus.lo - v0))
    if (more_bound is not None or fewer_bound is not None) and not note:
        note = STOPPED
    return BedValue(u.unit_id, u.open_beds, used, more, fewer, note, more_bound, fewer_bound)


def _rank(v: BedValue) -> tuple[float, float, str]:
    """Most valuable extra bed first; then the dearest bed to lose (infeasible first)."""
    fewer = math.inf if v.note == INFEASIBLE_WITHOUT else (v.one_fewer or 0.0)
    return (-v.one_more, -fewer, v.unit_id)


def _used(costs: CostTable, result: Result) -> np.ndarray:
    chosen = _chosen_options(costs, result)
    placed = chosen[costs.kind[chosen] != UNPLACED]
    return np.bincount(costs.unit[placed], minlength=costs.n_units)


def with_open_beds(unit: Unit, delta: int) -> Unit:
    """``unit`` with ``delta`` more open beds (reopening closed beds first when adding)."""
    if delta > 0:
        reopen = min(delta, unit.beds_closed)
        return replace(unit, beds=unit.beds + delta - reopen,
                       beds_closed=unit.beds_closed - reopen)
    return replace(unit, beds_closed=unit.beds_closed - delta)


class ResolveError(RuntimeError):
    """A re-solve found no plan within its limits (not infeasibility): no value to give."""


class _NotOptimal(Exception):
    """The residual network has a negative cycle: the plan is not an optimal flow."""

    def __init__(self, cycle: list[int]) -> None:
        super().__init__("negative cycle in the residual network")
        self.cycle = cycle


# --------------------------------------------------------------------------- the network


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
        raise ValueError("the plan uses an option the cost table does not allow")
    return chosen


@dataclass(frozen=True, eq=False)
class _Graph:
    """x's residual network contracted to units (0..m-1), arrivals (m..2m-1, with an
    admission limit) and the sink: per Δmoves class (−1, 0, +1) the cheapest switch between
    two nodes and which option it is; the zero-cost slack arcs of beds and arrival slots."""

    costs: CostTable
    chosen: np.ndarray
    limit: int | None
    sink: int
    node: np.ndarray  # per option
    weight: np.ndarray  # (3, size, size), inf: no arc
    option: np.ndarray  # (3, size, size), -1: none
    slack: np.ndarray  # (size, size) bool
    load: np.ndarray  # per unit, in x
    arrivals: np.ndarray  # per unit: moves in and admissions, in x
    moves: int
    value: float  # c(x) as the solve reported it: plans are costed as changes to it

    @property
    def size(self) -> int:
        return self.sink + 1

    def at(self, mu: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arc weights with every move costing ``mu`` more, their Δmoves and options."""
        w = self.weight[1].copy()
        dm = np.zeros(w.shape, dtype=np.int64)
        opt = self.option[1].copy()
        for cls, shift in ((0, -mu), (2, mu)):
            other = self.weight[cls] + shift
            better = other < w
            w[better], dm[better], opt[better] = other[better], cls - 1, self.option[cls][better]
        free = self.slack & (w >= 0.0)
        w[free], dm[free], opt[free] = 0.0, 0, -1
        return w, dm, opt


def _graph(costs: CostTable, chosen: np.ndarray, limit: int | None, value: float) -> _Graph:
    m = costs.n_units
    arrive = np.arange(m) + (m if limit is not None else 0)
    sink = 2 * m if limit is not None else m
    size = sink + 1
    kind, unit = costs.kind, costs.unit
    node = np.where(kind == UNPLACED, sink, np.where(kind == STAY, unit, arrive[unit]))
    other = np.ones(costs.n_options, dtype=bool)
    other[chosen] = False
    opts = np.flatnonzero(other)
    now = chosen[costs.patient[opts]]
    tail, head = node[now], node[opts]
    moving = (kind == MOVE).astype(np.int64)
    cls = moving[opts] - moving[now] + 1
    weight = costs.cost[opts] - costs.cost[now]
    keep = tail != head
    flat = (cls * size + tail) * size + head
    order = np.lexsort((opts[keep], weight[keep], flat[keep]))
    f = flat[keep][order]
    first = np.ones(f.size, dtype=bool)  # the cheapest of each (class, tail, head)
    first[1:] = f[1:] != f[:-1]
    w = np.full(3 * size * size, np.inf)
    o = np.full(3 * size * size, -1, dtype=np.int64)
    w[f[first]] = weight[keep][order][first]
    o[f[first]] = opts[keep][order][first]
    ck = chosen[kind[chosen] != UNPLACED]
    load = np.bincount(unit[ck], minlength=m)
    arrivals = np.bincount(unit[ck[kind[ck] != STAY]], minlength=m)
    slack = np.zeros((size, size), dtype=bool)
    units = np.arange(m)
    slack[units[load < costs.open_beds], sink] = True
    slack[sink, units[load > 0]] = True
    if limit is not None:
        slack[arrive[arrivals < limit], units[arrivals < limit]] = True
        slack[units[arrivals > 0], arrive[arrivals > 0]] = True
    return _Graph(costs, chosen, limit, sink, node, w.reshape(3, size, size),
                  o.reshape(3, size, size), slack, load, arrivals,
                  int(np.sum(kind[chosen] == MOVE)), value)


def _scale(w: np.ndarray) -> float:
    return max(1.0, float(np.max(np.abs(w[np.isfinite(w)]), initial=0.0)))


def _shortest(w: np.ndarray, source: int | None, scale: float | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Bellman-Ford over a dense weight matrix (inf = no arc): distances and predecessors.

    ``source`` None starts every node at 0 (a virtual root): a negative cycle check.
    Improvements below ``_TOL·scale`` (default: the largest arc) are rounding, not paths.
    Raises :class:`_NotOptimal` with the cycle when there is a negative one.
    """
    n = w.shape[0]
    dist = np.zeros(n) if source is None else np.full(n, np.inf)
    if source is not None:
        dist[source] = 0.0
    pred = np.full(n, -1, dtype=np.int64)
    scale = scale or _scale(w)
    cols = np.arange(n)
    active = np.flatnonzero(np.isfinite(dist))  # only a node whose distance fell can help
    for rounds in range(n + 1):
        if active.size == 0:
            return dist, pred
        cand = dist[active][:, None] + w[active]
        arg = np.argmin(cand, axis=0)
        best = cand[arg, cols]
        better = best < dist - _TOL * scale
        if not better.any():
            return dist, pred
        dist = np.where(better, best, dist)
        pred = np.where(better, active[arg], pred)
        active = np.flatnonzero(better)
        cycle = _pred_cycle(pred) if rounds % 4 == 3 else None
        if cycle is not None:
            raise _NotOptimal(cycle)
    raise _NotOptimal(_pred_cycle(pred) or [])


def _pred_cycle(pred: np.ndarray) -> list[int] | None:
    """A cycle of the predecessor graph (in path order), if any."""
    state = np.zeros(pred.size, dtype=np.int8)  # 0 new, 1 on the current walk, 2 done
    for s in range(pred.size):
        walk = []
        v = s
        while v >= 0 and state[v] == 0:
            state[v] = 1
            walk.append(v)
            v = int(pred[v])
        if v >= 0 and state[v] == 1:
            return walk[walk.index(v):][::-1]
        for u in walk:
            state[u] = 2
    return None


def _arcs_options(nodes: Sequence[int], opt: np.ndarray) -> np.ndarray:
    """The patient options along consecutive ``nodes`` (slack arcs have none)."""
    found = [int(opt[a, b]) for a, b in itertools.pairwise(nodes)]
    return np.array([k for k in found if k >= 0], dtype=np.int64)


# --------------------------------------------------------------------------- bounds


@dataclass(frozen=True, eq=False)
class _Side:
    """LP duals from one shortest-path run: reduced costs, and per unit the dual objective
    of b ± e_u (a lower bound on V(b ± e_u)) and the path that gives a plan for it."""

    mu: float
    delta: int  # +1: distances from the sink; −1: to the sink
    rc: np.ndarray
    bound: np.ndarray  # per unit; +inf: no plan even without the budget (−1 only)
    paths: tuple[np.ndarray | None, ...]  # per unit: options to apply, None: no gain


def _side(g: _Graph, mu: float, budget: int | None, delta: int) -> _Side:
    costs, m, sink = g.costs, g.costs.n_units, g.sink
    w, _, opt = g.at(mu)
    scale = _scale(w)
    big = 2.0 * (1.0 + g.size * scale)  # above any real path: marks "unreachable"
    aug = (w if delta > 0 else w.T).copy()
    aug[sink] = np.minimum(aug[sink], big)  # every node reachable: finite potentials
    aug[sink, sink] = np.inf
    dist, pred = _shortest(aug, sink, scale)
    real = dist < big / 2
    pot = dist if delta > 0 else -dist
    c_mu = costs.cost + mu * (costs.kind == MOVE)
    at = g.node[g.chosen]
    arrive = np.arange(m) + (m if g.limit is not None else 0)
    pi = np.minimum(0.0, pot[:m] - pot[sink])
    alpha = np.minimum(0.0, pot[arrive] - pot[:m]) if g.limit is not None else np.zeros(m)
    y = pot[sink] - pot[at] + c_mu[g.chosen]
    placed = costs.kind != UNPLACED
    new = (costs.kind == MOVE) | (costs.kind == ADMIT)
    u = costs.unit
    rc = c_mu - y[costs.patient] - np.where(placed, pi[u], 0.0) - np.where(new, alpha[u], 0.0)
    slip = float(np.minimum.reduceat(np.minimum(rc, 0.0), costs.start[:-1]).sum()) \
        if costs.n_options else 0.0
    beds = costs.open_beds.astype(float)
    dual = math.fsum([*y.tolist(), *(pi * beds).tolist(),
                      *(alpha * float(g.limit or 0)).tolist(), -mu * float(budget or 0)])
    bound = dual + delta * pi + slip
    if delta < 0:
        bound = np.where(real[:m], bound, np.inf)
    paths: list[np.ndarray | None] = []
    for j in range(m):
        if not real[j] or (delta > 0 and dist[j] >= 0.0):
            paths.append(None)
            continue
        chain = [j]
        while chain[-1] != sink and len(chain) <= g.size:
            chain.append(int(pred[chain[-1]]))
        if chain[-1] != sink:
            paths.append(None)
            continue
        nodes = chain[::-1] if delta > 0 else chain  # sink → … → j, or j → … → sink
        paths.append(_arcs_options(nodes, opt))
    return _Side(mu, delta, rc, bound, tuple(paths))


def _cost_if_fits(g: _Graph, options: Sequence[np.ndarray], j: int, delta: int,
                  budget: int | None) -> float | None:
    """The cost of x with these switches applied, if it is a plan fitting b + delta·e_j
    (checked on the units the switches touch, and j)."""
    costs = g.costs
    switch = np.concatenate(options) if options else np.zeros(0, np.int64)
    who = costs.patient[switch]
    if np.unique(who).size != who.size:
        return None
    old = g.chosen[who]
    kind_new, kind_old = costs.kind[switch], costs.kind[old]
    unit_new, unit_old = costs.unit[switch], costs.unit[old]
    touched = np.unique(np.concatenate([unit_new, unit_old, [j]]))
    touched = touched[touched >= 0]
    load = g.load[touched].copy()
    beds = costs.open_beds[touched] + np.where(touched == j, delta, 0)
    np.add.at(load, np.searchsorted(touched, unit_new[kind_new != UNPLACED]), 1)
    np.subtract.at(load, np.searchsorted(touched, unit_old[kind_old != UNPLACED]), 1)
    if np.any(load > beds):
        return None
    if g.limit is not None:
        came = g.arrivals[touched].copy()
        np.add.at(came, np.searchsorted(touched, unit_new[(kind_new == MOVE) |
                                                          (kind_new == ADMIT)]), 1)
        np.subtract.at(came, np.searchsorted(touched, unit_old[(kind_old == MOVE) |
                                                               (kind_old == ADMIT)]), 1)
        if np.any(came > g.limit):
            return None
    moves = g.moves + int(np.sum(kind_new == MOVE)) - int(np.sum(kind_old == MOVE))
    if budget is not None and moves > budget:
        return None
    return g.value + math.fsum([*costs.cost[switch].tolist(), *(-costs.cost[old]).tolist()])


def _dinkelbach(g: _Graph, start: float, sign: int) -> tuple[float, np.ndarray] | None:
    """The end of the interval of μ at which x is an optimal flow, from ``start`` (below:
    sign +1, cycles with Δmoves > 0; above: −1), and the last cycle's options (empty when
    none was met); None when a cycle of the other sign shows the interval is empty."""
    mu, last = start, np.zeros(0, np.int64)
    for _ in range(200):  # converges superlinearly; a few rounds in practice
        w, dm, opt = g.at(mu)
        try:
            _shortest(w, None)
            return mu, last
        except _NotOptimal as exc:
            if not exc.cycle:
                return None
            nodes = [*exc.cycle, exc.cycle[0]]
        arcs = list(itertools.pairwise(nodes))
        moves = sum(int(dm[a, b]) for a, b in arcs)
        base = math.fsum(float(w[a, b]) - mu * int(dm[a, b]) for a, b in arcs)
        if moves * sign <= 0:
            return None
        mu = -base / moves
        last = _arcs_options(nodes, opt)
    return None


def _bounds(costs: CostTable, base: Result, limit: int | None, budget: int | None,
            plus: list[_Range], minus: list[_Range], *, exact_flow: bool
            ) -> tuple[list[_Side], str]:
    """Fill ``plus``/``minus`` from the dual sides; returns them, or why they cannot be had."""
    assert base.objective is not None
    v0 = base.objective
    g = _graph(costs, _chosen_options(costs, base), limit, v0)
    moves = int(np.sum(costs.kind[g.chosen] == MOVE))
    cycles: list[np.ndarray] = []
    if budget is None or moves < budget:
        mus = [0.0]
    else:
        big = 1.0 + 2.0 * g.size * float(np.max(np.abs(costs.cost), initial=1.0))
        low, high = _dinkelbach(g, 0.0, +1), _dinkelbach(g, big, -1)
        if low is None or high is None or low[0] > high[0] + 1e-9 * big:
            return [], "the LP relaxation is not tight at tonight's plan"
        mus = sorted({low[0], 0.5 * (low[0] + high[0]), high[0]})
        cycles = [c for c in (low[1], high[1]) if c.size]
    try:
        sides = [_side(g, mu, budget, d) for mu in mus for d in (+1, -1)]
    except _NotOptimal:
        return [], "the plan is not optimal as a flow"
    for s_i, s in enumerate(sides):
        ranges = plus if s.delta > 0 else minus
        for j, r in enumerate(ranges):
            lo = float(s.bound[j])
            if s.delta > 0:
                lo = min(lo, v0)
            if lo > r.lo:
                r.lo, r.side = lo, s_i
            if exact_flow:
                continue
            path = s.paths[j]
            for extra in ([], *([c] for c in cycles)):
                if path is None or r.exact():
                    break
                cost = _cost_if_fits(g, [path, *extra], j, s.delta, budget)
                if cost is not None:
                    r.hi = min(r.hi, cost)
    if exact_flow:  # the flow's own theory: the bounds are the values
        for r in plus:
            r.hi = r.lo
        for r in minus:
            r.hi = r.lo
    return sides, ""


# --------------------------------------------------------------------------- re-solving


@dataclass(frozen=True, slots=True)
class _Task:
    """One value to re-solve: unit ``j``'s beds + ``delta``, what is known of it so far."""

    j: int
    delta: int
    known: _Range


@dataclass
class _Found(_Range):
    solves: int = 0


def _resolve(instance: Instance, distances: np.ndarray, costs: CostTable,
             sides: Sequence[_Side], task: _Task, solve_method: str) -> _Found:
    """V(b + delta·e_j) exactly: on the options the duals cannot rule out, else in full."""
    from optimiser.core.solve import solve

    units = list(instance.units)
    units[task.j] = with_open_beds(units[task.j], task.delta)
    changed = replace(instance, units=tuple(units))
    known = task.known
    side = sides[known.side] if 0 <= known.side < len(sides) else None
    floor = known.lo  # = the side's dual bound D(b') (less any rounding slip)
    if side is None or not math.isfinite(floor):
        rc, threshold, top = None, math.inf, math.inf
    else:
        rc, top = side.rc, float(np.max(side.rc, initial=0.0))
        threshold = known.hi - floor if math.isfinite(known.hi) else FIRST_THRESHOLD
    always = (costs.kind == STAY) | (costs.kind == UNPLACED)
    found = _Found(lo=known.lo, hi=known.hi)
    while True:
        full = rc is None or threshold >= top
        table = costs if rc is None or full else \
            costs.subset(always | (rc <= threshold + EXACT_TOL))
        res = solve(changed, distances=distances, method=solve_method, costs=table)
        found.solves += 1
        if res.status == INFEASIBLE:  # on the full model: proven; else ask the full model
            if full:
                return _Found(math.inf, math.inf, solves=found.solves)
            threshold = math.inf
            continue
        if not res.has_plan or res.objective is None:
            if not full:
                threshold = math.inf
                continue
            if math.isfinite(found.lo):  # keep the bounds known: the value is labelled
                return found
            raise ResolveError(f"re-solving with unit {units[task.j].unit_id} changed "
                               f"gave {res.status}: {'; '.join(res.diagnosis) or 'no plan'}")
        z = res.objective
        proven = z if res.status == OPTIMAL else (res.bound if res.bound is not None
                                                  else -math.inf)
        if full or z <= floor + threshold:
            reach = proven if full else min(proven, floor + threshold)
            found.lo, found.hi = max(found.lo, min(reach, z)), min(found.hi, z)
            if res.status == OPTIMAL:
                found.lo = found.hi
            return found
        found.hi = min(found.hi, z)
        threshold = z - floor


def _run_tasks(instance: Instance, distances: np.ndarray, costs: CostTable,
               sides: Sequence[_Side], tasks: Sequence[_Task], solve_method: str,
               say: Callable[[str], None], workers: int | None, scheduler: str | None
               ) -> list[_Found]:
    """Every re-solve, in this process or on Dask, reporting each with the time left."""
    if not tasks:
        return []
    if workers is None:
        workers = 2 if len(tasks) >= DASK_MIN_TASKS else 0
    started, finished = time.perf_counter(), [0]

    def tick(task: _Task) -> None:  # progress, with the time left at the mean pace so far
        finished[0] += 1
        elapsed = time.perf_counter() - started
        left = elapsed / finished[0] * (len(tasks) - finished[0])
        say(f"re-solved {finished[0]}/{len(tasks)} ({instance.units[task.j].unit_id} "
            f"{'+1' if task.delta > 0 else '−1'} bed); " + (
                f"about {_duration(left)} left" if finished[0] < len(tasks)
                else f"done in {_duration(elapsed)}"))

    if scheduler is None and workers == 0:
        out = []
        for task in tasks:
            out.append(_resolve(instance, distances, costs, sides, task, solve_method))
            tick(task)
        return out
    from dask.distributed import as_completed

    from optimiser.planning.cluster import dask_client

    with dask_client(workers, scheduler) as client:  # _resolve pickles by reference
        say(f"re-solving on Dask ({scheduler or f'{workers} local workers'})")
        shared = client.scatter([instance, distances, costs, list(sides)], broadcast=True)
        futures = [client.submit(_resolve, *shared, task, solve_method, pure=False)
                   for task in tasks]
        position = {f.key: k for k, f in enumerate(futures)}
        results: dict[int, _Found] = {}
        for fut in as_completed(futures):
            k = position[fut.key]
            results[k] = fut.result()
            tick(tasks[k])
        return [results[k] for k in range(len(tasks))]


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


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
    asked = len(values.values) + sum(v.open_beds > 0 for v in values.values)
    lines = [f"Objective tonight {values.objective:,.2f} ({values.status}; {values.method}; "
             f"{values.resolved:,} of {asked:,} values re-solved). Values in objective units "
             "(1 = 1 km with the default weights).",
             *(f"note: {n}" for n in values.notes), "",
             f"{'rank':>4}  {'unit':<{w}} {'name':<30} {'network':<14} {'open':>5} {'used':>5}"
             f" {'one more':>10} {'one fewer':>11}"]
    for k, v in enumerate(rows, start=1):
        u = units[v.unit_id]
        fewer = "-" if v.note == NO_OPEN_BEDS else "infeasible" if v.note == \
            INFEASIBLE_WITHOUT else "?" if v.one_fewer is None else f"{v.one_fewer:,.1f}"
        more = f"{v.one_more:,.1f}" + ("*" if v.one_more_bound is not None else "")
        fewer += "*" if v.one_fewer_bound is not None else ""
        lines.append(f"{k:>4}  {v.unit_id:<{w}} {u.name[:30]:<30} {u.network_id[:14]:<14} "
                     f"{v.open_beds:>5} {v.used_beds:>5} {more:>10} {fewer:>11}")
    if top is not None and len(values.values) > top:
        lines.append(f"  ({len(values.values) - top} more units; --top to see more)")
    if any(not v.exact for v in rows):
        lines.append("  * not proven: a re-solve stopped at its time limit (--json gives "
                     "the bounds)")
    return "\n".join(lines)
