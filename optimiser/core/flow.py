"""The exact min-cost-flow path: the model without ``max_moves`` solved by OR-Tools.

Without ``max_moves`` the contract's model is a min-cost flow (one unit of flow per patient)::

    patient p (supply 1) ──stay k, cap 1, c_k───────────────────────────▶ unit u
                         ──move/admit k, cap 1, c_k─▶ arrivals(u) ─cap A─▶ unit u ─b_u─▶ sink
                         ──unplaced k, cap 1, c_k──────────────────────────────────────▶ sink

(no arrivals node when ``max_admissions_per_unit`` A is None: moves and admissions go
straight to u). Every option of the cost table is exactly one arc, in table order (by
patient, then unit_id), so a flow is a plan of the full model and vice versa, with the same
cost: the PuLP model of record (:mod:`optimiser.core.formulation`) and this flow have the same
optimum. It is solved with ``SimpleMinCostFlow``, the arcs added from numpy arrays.

**Integer costs and the proof.** Every option of patient p is first shifted by the same
``s_p`` (the midpoint of p's option costs): each plan's cost moves by the constant
``Σ_p s_p``, so the optimal plans are the same and the magnitudes to scale about halve.
Below, c stands for these shifted costs. OR-Tools needs int64 costs:
``c'_k = round(S·c_k) / S``.
It multiplies costs by ``N + 1`` (N nodes) internally and refuses (``BAD_COST_RANGE``)
a cost above ``2^63 / (2(N + 1))`` (and stops with the same status if its node potentials
would overflow); S is the largest power of two keeping ``S·max|c|`` :data:`HEADROOM` times
below that (S is divided by 2^4 and the flow solved again on ``BAD_COST_RANGE``).
With rounding error ``|c_k − c'_k| ≤ δ = 0.5 / S`` on every option arc
(the other arcs cost 0) and one option per patient in any plan, ``|f(x) − f'(x)| ≤ nδ`` for
every plan x. The flow's plan x' is optimal for f', so for the true optimum x*::

    f(x') ≤ f'(x') + nδ ≤ f'(x*) + nδ ≤ f(x*) + 2nδ.

The bound reported is the sharper one the same argument gives with the errors actually
made: ``f(x*) ≥ f'(x*) − E ≥ f'(x') − E``, ``E = Σ_p max_{k ∈ K_p} (c'_k − c_k)⁺ ≤ nδ``, so
``bound = max(f(x') − 2nδ, f'(x') − E)``, less a floating-point slack for the shift
(``2·n·ε·max|c|``, 4·10^-8 at 30,000 patients; the sums are exact, ``math.fsum``). Its gap
``f(x') − bound`` is at most ``2nδ`` (plus the slack) and in practice about ``nδ`` (E is
about nδ; the plan's own rounding errors mostly cancel).

**Same standard as the MIP path.** HiGHS calls a MIP solution optimal when its absolute
gap is at most ``mip_abs_gap`` (HiGHS's default 1e-6; :mod:`optimiser.core.solvers` leaves it
unchanged) or its relative gap at most ``mip_rel_gap`` (the policy's ``mip_gap``, passed
explicitly). This path reports a proven optimum only when ``f(x') − bound ≤ max(1e-6,
mip_gap·|f(x')|)`` — always the case when ``2nδ`` + slack is within it; otherwise (and when the
flow is infeasible: the inpatients cannot fit)
:func:`solve_flow` returns None and the caller falls back to the pricing path
(:mod:`optimiser.core.pricing`), which gives the clinical diagnosis and the proof. δ is known
before solving (it grows with the graph, as S shrinks), and so is E: when ``nδ`` or E
exceeds the tolerance the flow is not run at all and the pricing path answers (with
mip_gap 0 and option costs spanning up to 3,000, from about 35,000 patients).

**Time limit.** ``SimpleMinCostFlow.solve`` cannot be interrupted; it is the fastest exact
method (England: ~0.06 s), so the limit is checked only before it starts: a run whose time
is already up falls back (the pricing path then reports honestly what it has). The flow is
single-threaded (``solver.threads`` does not apply).

**Determinism.** The arcs are added in the cost table's id order and OR-Tools is
deterministic for identical input, so the same instance gives the same plan (tested).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from models.domain import Policy
from optimiser.core.costs import CostTable
from optimiser.core.flownet import NotANetwork, flow_network
from optimiser.core.rows import ModelRows, build_rows
from optimiser.core.verdict import RawOutcome, SolveOutcome

#: HiGHS's default absolute MIP gap, the tolerance of the MIP path (see the docstring).
MIP_ABS_GAP = 1e-6
#: Safety factor below OR-Tools' cost limit: its node potentials grow past the largest cost
#: (England is refused at 1, solved at 2; a refusal retries at a smaller scale).
HEADROOM = 4.0
#: Retries with S / 2^4 after BAD_COST_RANGE.
RETRIES = 3
_INT64_MAX = 2 ** 63 - 1


def flow_tolerance(policy: Policy, objective: float) -> float:
    """The absolute gap within which the MIP path calls a plan optimal."""
    return max(MIP_ABS_GAP, float(policy.solver.mip_gap) * abs(objective))


def cost_scale(values: np.ndarray, n_nodes: int) -> float:
    """The largest power of two S with ``S·max|values|`` HEADROOM times below OR-Tools'
    limit (``2^63 / (2(N + 1))`` for N nodes)."""
    top = float(np.max(np.abs(values), initial=0.0)) or 1.0  # all zero: any scale is exact
    limit = _INT64_MAX / (2.0 * (n_nodes + 1)) / HEADROOM
    return float(2.0 ** math.floor(math.log2(limit / top)))


def patient_shift(costs: CostTable) -> tuple[np.ndarray, np.ndarray]:
    """``s_p`` (the midpoint of patient p's option costs) and the shifted costs
    ``c_k − s_p``: every plan's cost moves by the same ``Σ_p s_p``, so the optimal plans do
    not change, and the largest magnitude to scale is about halved."""
    starts = costs.start[:-1]
    if costs.n_options == 0:
        return np.zeros(costs.n_patients), costs.cost
    lo = np.minimum.reduceat(costs.cost, starts)
    hi = np.maximum.reduceat(costs.cost, starts)
    shift = 0.5 * (lo + hi)
    return shift, costs.cost - shift[costs.patient]


def rounding_errors(values: np.ndarray, start: np.ndarray, scale: float
                    ) -> tuple[np.ndarray, float, float]:
    """Integer costs ``round(S·v)``, and the per-patient worst errors ``E`` (v' above v) and
    ``E⁻`` (v' below v) summed over patients (options of p: ``start[p]:start[p + 1]``)."""
    scaled = np.rint(values * scale)
    err = scaled / scale - values
    if err.size == 0:
        return scaled.astype(np.int64), 0.0, 0.0
    up = float(np.maximum.reduceat(np.maximum(err, 0.0), start[:-1]).sum())
    down = float(np.maximum.reduceat(np.maximum(-err, 0.0), start[:-1]).sum())
    return scaled.astype(np.int64), up, down


def solve_flow(costs: CostTable, policy: Policy, *,
               progress: Callable[[str], None] | None = None,
               deadline: float | None = None,
               rows: ModelRows | None = None) -> SolveOutcome | None:
    """The exact optimum of the model without ``max_moves`` as a min-cost flow.

    Returns None when this path cannot prove the optimum (the caller falls back to the
    pricing path): ``max_moves`` set, the inpatients cannot fit (infeasible flow), the
    rounding to integer costs is too coarse for the MIP path's tolerance, OR-Tools refuses
    the cost range, or ``deadline`` (a ``time.perf_counter()`` value) has passed.
    """
    say = progress or (lambda _m: None)
    if costs.n_patients == 0:
        return None
    try:
        net = flow_network(rows or build_rows(costs, policy.limits))
    except NotANetwork as exc:
        say(f"min-cost flow: {exc}")
        return None
    from ortools.graph.python import min_cost_flow

    n = costs.n_patients
    n_nodes = net.n_nodes
    shift, shifted = patient_shift(costs)
    scale = cost_scale(shifted, n_nodes)
    # A lower bound on |objective| for the relative tolerance (costs are nonnegative), and
    # the floating-point error of the shifted costs (half an ulp per chosen option).
    lower = max(0.0, float(np.minimum.reduceat(costs.cost, costs.start[:-1]).sum()))
    slack = 2.0 * n * float(np.finfo(float).eps) * float(np.max(np.abs(costs.cost)))

    def too_coarse(scale: float, error: float) -> bool:
        if error + slack <= flow_tolerance(policy, lower):
            return False
        say(f"min-cost flow: integer costs at scale {scale:.3g} too coarse for a proof "
            f"(error about {error:.3g}); using the pricing path")
        return True

    # nδ is about the gap the proof will leave (E is close to it): decided before any work.
    if too_coarse(scale, 0.5 * n / scale):
        return None
    supplies = np.zeros(n_nodes, np.int64)
    supplies[:n] = 1
    supplies[net.sink] = -n
    zeros = np.zeros(net.tails.size - costs.n_options, np.int64)
    for attempt in range(RETRIES + 1):
        unit_cost, err_up, _ = rounding_errors(shifted, costs.start, scale)
        if too_coarse(scale, err_up):
            return None
        if deadline is not None and time.perf_counter() >= deadline:
            say("min-cost flow: time limit reached before it could start")
            return None
        flow = min_cost_flow.SimpleMinCostFlow()
        arcs = flow.add_arcs_with_capacity_and_unit_cost(
            net.tails, net.heads, net.caps, np.concatenate([unit_cost, zeros]))
        flow.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supplies)
        t0 = time.perf_counter()
        status = flow.solve()
        seconds = time.perf_counter() - t0
        if status == flow.BAD_COST_RANGE and attempt < RETRIES:
            scale /= 2.0 ** 4
            say(f"min-cost flow: cost range refused, retrying at scale {scale:.3g}")
            continue
        break
    if status != flow.OPTIMAL:
        why = "infeasible: the inpatients do not fit" if status == flow.INFEASIBLE else \
            f"status {status}"
        say(f"min-cost flow: {why} ({seconds:.2f} s); using the pricing path")
        return None
    used = flow.flows(arcs[:costs.n_options]) > 0
    chosen = np.flatnonzero(used)
    objective = math.fsum(costs.cost[chosen].tolist())
    rounded = flow.optimal_cost() / scale + math.fsum(shift.tolist())  # f'(x')
    bound = min(objective, max(objective - n / scale, rounded - err_up) - slack)
    tol = flow_tolerance(policy, objective)
    if objective - bound > tol:
        say(f"min-cost flow: gap {objective - bound:.3g} above {tol:.3g}; "
            "using the pricing path")
        return None
    say(f"min-cost flow: optimal {objective:.10g} (bound {bound:.10g}, integer costs at "
        f"scale {scale:.3g}, {seconds:.2f} s)")
    return SolveOutcome(RawOutcome("ortools", "Optimal (min-cost flow)", True, False, True,
                                   objective, bound), chosen)
