"""The exact fast path: column generation with LP duals, proven optimal for the full model.

The PuLP model (:mod:`optimiser.core.formulation`) is the model of record; this path solves the
*same* model — the same options, costs and constraints from the same CostTable — with
highspy directly, touching only a small part of its columns, and proves that the rest
cannot improve the answer.

Notation as in the formulation: assignment rows ``Σ_{K_p} x = 1`` (duals ``y_p``, free),
capacity rows ``Σ_{K_u} x ≤ b_u`` (``π_u ≤ 0``), admission rows ``Σ_{N_u} x ≤ A``
(``α_u ≤ 0``), the move row ``Σ_M x ≤ max_moves`` (``μ ≤ 0``). The reduced cost of an
option k of patient p in unit u is::

    rc_k = c_k − y_p − π_u − [k ∈ N_u]·α_u − [k ∈ M]·μ

Algorithm and proof:

1. *Restricted master.* Start from every stay and unplaced option, the feasible plan of
   the bed check (so the restricted LP is always feasible) and the few cheapest options of
   each patient.
2. *Pricing.* Solve the LP over the restricted columns; price *every* omitted option with
   its duals (vectorised over the whole table); add those with negative reduced cost (the
   most negative of each patient when there are many); repeat until none is negative. The
   duals are then feasible for the full LP, so the restricted LP value ``z_LP`` is the
   optimum of the full LP relaxation: a lower bound on the full MIP.
3. *Integral LP.* Without ``max_moves`` the constraint matrix is the incidence matrix of two
   laminar families (patients; and units with their nested "new arrivals" subsets), hence
   totally unimodular: the model is a network flow and the simplex vertex is integral. If
   the LP solution is integral it is optimal for the full MIP (it meets the lower bound).
4. *Otherwise* (``max_moves`` may make the LP fractional; degenerate cases) solve the MIP on
   the restricted columns: incumbent ``z_R``. If ``z_R = z_LP`` it is optimal. Else take
   any full-model integer solution x and write ``D = Σ_r dual_r·rhs_r``. Because the
   inequality duals are ≤ 0 and x satisfies the rows, ``c·x ≥ D + Σ_k rc_k x_k``; the only
   negative reduced costs belong to master columns at their upper bound 1, and LP duality
   gives ``z_LP = D + Σ_{rc_k<0} rc_k``, so with ``x_k ≤ 1``: ``c·x ≥ z_LP + rc_j`` for every
   omitted option j that x uses (omitted options have ``rc_j ≥ 0``). Hence a solution
   cheaper than ``z_R`` only uses omitted options with ``rc_j < z_R − z_LP``
   (reduced-cost fixing). Add every such option and solve the MIP again: it contains every
   solution better than ``z_R`` (and the ``z_R`` plan), so its optimum is the full
   model's optimum and its dual bound is a valid bound.

5. *Time limit.* Pricing stops at 80 % of the limit (``RESERVE_SHARE``); the time left
   rounds the last LP (its columns at 1 kept, the patients it left fractional completed at
   once by :mod:`~optimiser.core.completion`, then a MIP over them started from there)
   and then solves a MIP over the master's columns that LP leaves open by reduced cost
   (:func:`_dive`), from the best plan known. That plan is reported ``feasible`` with the
   best Lagrangian bound of the pricing rounds, of the duals an LP stopped by the limit had
   reached, and of zero duals (each patient's cheapest option): valid for the full model
   with any duals of the right signs (:func:`_sign_feasible`), unlike the restricted MIP's
   own bound.

Ties: options are in the cost table's id order and HiGHS is deterministic, so the same
input gives the same plan.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.domain import Policy
from optimiser.core.completion import complete_lp
from optimiser.core.costs import STILL, CostTable, cheapest_per_patient
from optimiser.core.rows import ModelRows, build_rows
from optimiser.core.solvers import highs_options, prepare_highs, read_highs
from optimiser.core.verdict import RawOutcome, SolveOutcome

log = logging.getLogger(__name__)

#: Initial candidates per patient (cheapest first) and columns added per patient per round.
INITIAL_PER_PATIENT = 4
ADD_PER_PATIENT = 4
#: Columns a pricing round may add: all it priced in when at most this many, else the k best
#: of each patient, k ≥ ADD_PER_PATIENT as large as fits (:func:`_to_add`). A patient's plan
#: options differ only in the night of the change: four a round moved a patient one night a
#: round. England, 84 nights: 57 rounds and 355 s with four per patient; 9 rounds and 114 s
#: within 40,000 (10,000: 15 rounds, 171 s; 100,000: 139 s).
ADD_BUDGET = 40_000
#: Share of a finite time limit kept for a MIP over the master's columns when pricing has
#: not converged by then (:func:`_restricted_plan`): a good plan, not only the first one.
RESERVE_SHARE = 0.2
#: The first screening keeps options within SCREEN_DELTA · |z_LP| (at least 1) of the LP
#: bound: a plan's MIP is usually within a unit or two of its LP; England over 84 nights:
#: 1e-6 · |z_LP| kept 400k options free (a MIP unfinished after 750 s), 1e-7 67k (18 s).
SCREEN_DELTA = 1e-7
#: How much Δ grows from one screened MIP to the next (at most to the best plan known).
SCREEN_GROWTH = 8.0
#: A reduced cost below -RC_TOL prices an option in.
RC_TOL = 1e-7
#: Options priced per numpy block (bounds the temporaries at 100k × 5k).
_BLOCK = 1 << 22


@dataclass
class _Master:
    """The restricted model in highspy, and which table options its columns are."""

    h: Any
    costs: CostTable
    rows: ModelRows
    rhs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cols: list[np.ndarray] = field(default_factory=list)
    in_set: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    #: Slack columns of differenced families, first in the model (before any option).
    aux: int = 0
    #: (global row offset, rows, block) of every differenced family.
    blocks: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def options(self) -> np.ndarray:
        return np.concatenate(self.cols) if self.cols else np.zeros(0, np.int64)


def solve_fast(costs: CostTable, policy: Policy, *, start: np.ndarray | None = None,
               progress: Callable[[str], None] | None = None,
               log_solver: bool = False, rows: ModelRows | None = None,
               screen: bool = False) -> SolveOutcome:
    """Solve the full model exactly by pricing (see the module docstring).

    ``rows``: the model's families when the caller built them already (by default built
    from ``policy.limits``). ``screen``: when the LP optimum is fractional, go straight to the
    reduced-cost screened MIP (:func:`_screened_mip`; a plan's LP is nearly integral)
    instead of the MIP over every master column first."""
    import highspy

    say = progress or (lambda _m: None)
    settings = policy.solver
    deadline = math.inf if settings.time_limit is None else \
        time.perf_counter() + float(settings.time_limit)
    rows = rows or build_rows(costs, policy.limits)
    prepare_highs(settings)
    h = highspy.Highs()
    # Only for a log asked for: a run killed meanwhile (a baseline process) leaves nothing.
    tmp = tempfile.TemporaryDirectory(prefix="bedplan-fast-") if log_solver else None
    log_path = os.path.join(tmp.name, "highs.log") if tmp else None
    for name, value in highs_options(settings, log_path).items():
        h.setOptionValue(name, value)
    try:
        return _run(_new_master(h, costs, rows), costs, start, deadline, say, screen)
    finally:
        if log_path and os.path.exists(log_path):
            with open(log_path, encoding="utf-8", errors="replace") as f:
                log.info("highs log (fast path):\n%s", f.read())
        if tmp:
            tmp.cleanup()


def _new_master(h: Any, costs: CostTable, rows: ModelRows) -> _Master:
    """Every row of every family, no option columns yet (``==`` rows fixed, ``≤`` rows
    capped); differenced families as equalities with their slack columns (module docstring).
    """
    import highspy

    inf = highspy.kHighsInf
    lower, upper, blocks = [], [], []
    for f, at in zip(rows.families, rows.offsets.values(), strict=True):
        if f.block:
            d = _difference(f.rhs, f.block)
            lower.append(d)
            upper.append(d)
            blocks.append((at, f.n_rows, f.block))
        else:
            lower.append(f.rhs if f.sense == "==" else np.full(f.n_rows, -inf))
            upper.append(f.rhs)
    n = rows.n_rows
    lo, up = np.concatenate(lower), np.concatenate(upper)
    h.addRows(n, lo, up, 0, np.zeros(n, np.int32), np.zeros(0, np.int32), np.zeros(0))
    aux = 0
    for at, count, block in blocks:  # slack s_r: +1 at row r, -1 at row r + 1 in its block
        r = np.arange(count, dtype=np.int64)
        nxt = (r % block) != block - 1
        per = 1 + nxt.astype(np.int64)
        starts = np.zeros(count, np.int32)
        np.cumsum(per[:-1], out=starts[1:])
        index = np.empty(int(per.sum()), np.int64)
        value = np.empty(index.size)
        index[starts] = at + r
        value[starts] = 1.0
        index[starts[nxt] + 1] = at + r[nxt] + 1
        value[starts[nxt] + 1] = -1.0
        h.addCols(count, np.zeros(count), np.zeros(count), np.full(count, inf), index.size,
                  starts, index.astype(np.int32), value)
        aux += count
    return _Master(h, costs, rows, rows.rhs(), [], np.zeros(costs.n_options, bool), aux,
                   blocks)


def _difference(values: np.ndarray, block: int) -> np.ndarray:
    """``D·values``: each row minus the row before it inside its block."""
    out = np.asarray(values, dtype=float).copy()
    inner = (np.arange(out.size) % block) != 0
    out[inner] -= np.asarray(values, dtype=float)[np.flatnonzero(inner) - 1]
    return out


def _master_columns(master: _Master, opts: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSC ``starts``, row ``index`` and ``value`` of options ``opts`` (sorted, unique) in the
    master: the families' rows, differenced families' runs as +1 at the first row and -1
    after the last (when that is still in the block)."""
    rows, cols, vals = [], [], []
    for f, at in zip(master.rows.families, master.rows.offsets.values(), strict=True):
        if not f.block or f.opt is None:
            r, o = f.restricted(opts)
            rows.append(r + at)
            cols.append(np.searchsorted(opts, o))
            vals.append(np.ones(r.size))
            continue
        lo, o, hi_or_none = f.entries(opts)
        hi = lo + 1 if hi_or_none is None else hi_or_none
        tail = (hi % f.block) != 0
        rows += [lo + at, hi[tail] + at]
        cols += [np.searchsorted(opts, o), np.searchsorted(opts, o[tail])]
        vals += [np.ones(o.size), -np.ones(int(tail.sum()))]
    row, col, val = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    order = np.lexsort((row, col))
    counts = np.bincount(col, minlength=opts.size)
    starts = np.zeros(opts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts, row[order], val[order]


def _family_duals(master: _Master, z: np.ndarray) -> np.ndarray:
    """The families' own duals ``y`` from the master's row duals (``y = Dᵀz`` in blocks)."""
    y = np.asarray(z, dtype=np.float64).copy()
    for at, count, block in master.blocks:
        part = y[at:at + count]
        inner = (np.arange(count) % block) != block - 1
        shifted = np.zeros(count)
        shifted[inner] = part[np.flatnonzero(inner) + 1]
        y[at:at + count] = part - shifted
    return y


def _sign_feasible(master: _Master, y: np.ndarray) -> np.ndarray:
    """``y`` with every ``≤`` row's dual clipped to ``≤ 0``: duals for which :func:`_price`'s
    Lagrangian bound is valid, whatever produced them. An optimal LP's duals are (to HiGHS's
    tolerance) already so; those of a dual simplex stopped by the time limit need not be."""
    out = np.asarray(y, dtype=np.float64).copy()
    for f, at in zip(master.rows.families, master.rows.offsets.values(), strict=True):
        if f.sense == "<=":
            np.minimum(out[at:at + f.n_rows], 0.0, out=out[at:at + f.n_rows])
    return out


def _duals(master: _Master, row_dual: Any) -> np.ndarray:
    """The families' duals (:func:`_family_duals`) of HiGHS's row duals, sign-feasible."""
    return _sign_feasible(master, _family_duals(master, np.asarray(row_dual, np.float64)))


def _stopped_lp_bound(master: _Master) -> float:
    """The Lagrangian bound of the duals HiGHS holds after an LP stopped by the time limit
    (-inf when it holds none).

    The dual simplex climbs towards the restricted LP's optimum through dual feasible bases,
    so a round stopped midway still has duals far better than the last finished round's:
    England with 12 weeks' referrals over 28 nights under 120 s stops in round 4, and
    these bound the plan within 1.44% where round 3's bounded it within 7.2%. Costs one
    pass over the option table."""
    solution = master.h.getSolution()
    z = np.asarray(solution.row_dual, dtype=np.float64)
    if not solution.dual_valid or z.size != master.rhs.size or not np.all(np.isfinite(z)):
        return -math.inf
    _, _, bound = _price(master, _duals(master, z), -math.inf)
    return bound


def _add_columns(master: _Master, opts: np.ndarray, integer: bool = False) -> int:
    """Add table options ``opts`` as columns, their rows from the families, vectorised.

    Returns how many were new.
    """

    opts = np.unique(opts[~master.in_set[opts]])
    if opts.size == 0:
        return 0
    starts, index, value = _master_columns(master, opts)
    h = master.h
    first = h.getNumCol()
    h.addCols(opts.size, master.costs.cost[opts], np.zeros(opts.size), np.ones(opts.size),
              int(index.size), starts.astype(np.int32), index.astype(np.int32), value)
    if integer:
        _set_integer(h, first, opts.size)
    master.cols.append(opts)
    master.in_set[opts] = True
    return int(opts.size)


def _to_add(opts: np.ndarray, score: np.ndarray, patient: np.ndarray, k: int,
            budget: int) -> np.ndarray:
    """Options priced in that join the master: all of them when at most ``budget``, else
    the k' lowest-score options of each patient (ties by option index), k' ≥ ``k`` the
    largest that keeps the round within ``budget``."""
    if opts.size <= budget:
        return opts
    order = np.lexsort((opts, score, patient))
    p = patient[order]
    first = np.r_[0, np.flatnonzero(np.diff(p)) + 1]
    rank = np.arange(p.size) - np.repeat(first, np.diff(np.r_[first, p.size]))
    if budget > 0:  # rank < the (budget+1)-th smallest rank: at most budget options
        k = max(k, int(np.partition(rank, budget)[budget]))
    return opts[order[rank < k]]


def _reduced_costs(master: _Master, duals: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``rc_k = c_k − (Aᵀy)_k`` for options lo..hi-1, every family's rows priced."""
    return master.costs.cost[lo:hi] - master.rows.price(duals, lo, hi)


def _free_choice_bound(costs: CostTable) -> float:
    """``Σ_p min_{k ∈ K_p} c_k``: every plan takes one option per patient, so none costs
    less. It is :func:`_price`'s bound with every dual 0, and on a long horizon far above
    the first rounds' (England with 12 weeks' referrals over 84 nights: 42.2M against 3.3M
    from the first round's duals, the plan 85.4M), so a plan stopped early starts from it."""
    if costs.n_patients == 0:
        return 0.0
    return float(np.minimum.reduceat(costs.cost, costs.start[:-1]).sum())


def _blocks(costs: CostTable) -> list[tuple[int, int, int, int]]:
    """(lo, hi, p, q): option ranges of about _BLOCK options holding whole patients p..q-1."""
    out, p = [], 0
    while p < costs.n_patients:
        lo = int(costs.start[p])
        q = int(np.searchsorted(costs.start, lo + _BLOCK, side="right")) - 1
        q = min(max(q, p + 1), costs.n_patients)
        out.append((lo, int(costs.start[q]), p, q))
        p = q
    return out


def _price(master: _Master, duals: np.ndarray, threshold: float
           ) -> tuple[np.ndarray, np.ndarray, float]:
    """Omitted options with reduced cost < threshold, their rc, and a Lagrangian bound.

    The bound ``Σ_r dual_r·rhs_r + Σ_p min_{k ∈ K_p} rc_k`` is valid for the full model
    with any duals whose ``≤`` rows' entries are ≤ 0 (:func:`_sign_feasible`): it relaxes
    those rows with nonnegative multipliers and keeps "one option per patient". At the
    pricing optimum it equals the LP value.
    """
    c = master.costs
    hits, scores = [], []
    bound = float(duals @ master.rhs)
    for lo, hi, p, q in _blocks(c):
        rc = _reduced_costs(master, duals, lo, hi)
        bound += float(np.minimum.reduceat(rc, c.start[p:q] - lo).sum())
        idx = np.flatnonzero((rc < threshold) & ~master.in_set[lo:hi])
        hits.append(idx + lo)
        scores.append(rc[idx])
    if not hits:
        return np.zeros(0, np.int64), np.zeros(0), bound
    return np.concatenate(hits), np.concatenate(scores), bound


def _screen(master: _Master, duals: np.ndarray, delta: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Reduced-cost screening at the LP optimum: the options that may be 0 or 1 in a plan
    costing at most ``z_LP + delta`` (``|rc| ≤ delta``, master or omitted), and the master
    options that must be 1 in every such plan (``rc < −delta``). See :func:`_screened_mip`.
    """
    free, one = [], []
    for lo, hi, _, _ in _blocks(master.costs):
        rc = _reduced_costs(master, duals, lo, hi)
        free.append(np.flatnonzero(np.abs(rc) <= delta) + lo)
        one.append(np.flatnonzero((rc < -delta) & master.in_set[lo:hi]) + lo)
    return np.concatenate(free), np.concatenate(one)


def _screened_mip(master: _Master, duals: np.ndarray, lp_value: float, deadline: float,
                  say: Callable[[str], None], x: np.ndarray | None = None,
                  incumbent: np.ndarray | None = None) -> SolveOutcome | None:
    """The exact MIP of a nearly integral LP, on the few options that can still change.

    With the duals y of the full LP (pricing has converged) every plan x satisfies
    ``c·x ≥ z_LP + Σ_{rc_j > 0} rc_j·x_j + Σ_{rc_j < 0} |rc_j|·(1 − x_j)`` (LP duality with the
    bounds 0 ≤ x ≤ 1). So a plan costing at most ``z_LP + Δ`` uses no option with
    ``rc > Δ`` and every option with ``rc < −Δ``: the MIP over the options with ``|rc| ≤ Δ``
    (the rest fixed) holds every such plan. It is solved with the cutoff ``z_LP + Δ``
    (HiGHS's ``objective_bound``): a plan it finds under the cutoff is the full model's
    optimum; "no plan under the cutoff" (or one proven optimal above it: HiGHS may ignore the
    cutoff) proves that none costs less than ``z_LP + Δ`` anywhere, and Δ grows eightfold (to
    the best plan known at most, where the set holds it). A cutoff makes these proofs cheap:
    England with 12 weeks' referrals, 28 nights, Δ = 1.66 (26k options free): 6.5 s, 179 s
    without (finding that set's own optimum, 1,411 above the LP).

    Under a time limit the cutoffs get all but ``RESERVE_SHARE`` of the time left; if they
    have not found a plan by then, the rest looks for a good one without a cutoff
    (:func:`_dive` from the LP values ``x``, started from ``incumbent``). The bound is the
    LP's raised by what the MIPs proved: no plan under ``min(b_Δ, z_LP + Δ)``, ``b_Δ`` a
    MIP's own bound (even a proof's: a requested gap). None: no plan to report.
    """
    left = deadline - time.perf_counter()
    clear_by = deadline - RESERVE_SHARE * left if math.isfinite(left) else deadline
    delta = max(SCREEN_DELTA * abs(lp_value), 1.0)
    best = incumbent
    best_z = math.inf if incumbent is None else float(master.costs.cost[incumbent].sum())
    floor = lp_value
    try:
        while True:
            free, one = _screen(master, duals, delta)
            _add_columns(master, free[~master.in_set[free]])
            n_free, n_one = _fix_outside(master, free, one)
            cutoff = lp_value + delta + 1e-9 * max(1.0, abs(lp_value)) + 1e-7
            say(f"reduced-cost screening: {n_free} options free within {delta:.6g} of the "
                f"LP bound, {n_one} fixed at 1")
            master.h.setOptionValue("objective_bound", cutoff)
            raw, chosen = _solve_mip(master, clear_by, best if best_z <= cutoff else None)
            if chosen is not None and raw.objective is not None and raw.objective < best_z:
                best, best_z = chosen, raw.objective
            # No plan in the set under the MIP's own bound (a requested gap may leave it below
            # the plan's cost), none outside under z_LP + Δ; "infeasible": none under that.
            own = raw.bound if raw.bound is not None and math.isfinite(raw.bound) else lp_value
            floor = max(floor, lp_value + delta if raw.proven_infeasible else
                        min(own, lp_value + delta))
            if raw.proven_optimal and raw.objective is not None and raw.objective <= cutoff:
                say(f"MIP {raw.objective:.10g} within {delta:.6g} of the LP bound: proven optimal")
                # within HiGHS's absolute gap (1e-6) of its bound: the plan's cost, as HiGHS says
                low = raw.objective if raw.objective - floor <= 1e-6 else floor
                return SolveOutcome(RawOutcome("highs", "Optimal (reduced-cost screening)",
                                               True, False, True, raw.objective, low), chosen)
            if raw.proven_infeasible or raw.proven_optimal:  # nothing under the cutoff
                if delta >= best_z - lp_value:  # the best plan was inside: numerical trouble
                    break
                delta = min(SCREEN_GROWTH * delta, best_z - lp_value)
                continue
            break
    finally:
        master.h.setOptionValue("objective_bound", math.inf)
    if best is incumbent and x is not None and time.perf_counter() < deadline:
        found = _dive(master, (duals, x, lp_value), deadline, say, incumbent)
        if found is not None and found[0] < best_z:
            best_z, best = found
    if best is None:
        return None
    floor = min(floor, best_z)
    say(f"screening stopped ({raw.solver_status}): the best plan found, {best_z:.10g}, "
        f"bound {floor:.10g}")
    return SolveOutcome(RawOutcome("highs", f"{raw.solver_status} while screening "
                                   "(best plan found)", False, False, True, best_z, floor),
                        best)


def _fix_outside(master: _Master, free: np.ndarray, one: np.ndarray) -> tuple[int, int]:
    """Master columns of ``one`` fixed at 1, of ``free`` left 0-1, every other at 0, and the
    master made a MIP: how many are free and how many fixed at 1."""
    opts = master.options
    in_one = np.isin(opts, one)
    ub = (np.isin(opts, free) | in_one).astype(float)
    lb = in_one.astype(float)
    cols = np.arange(master.aux, master.aux + opts.size, dtype=np.int32)
    master.h.changeColsBounds(opts.size, cols, lb, ub)
    _as_mip(master)
    return int(ub.sum() - lb.sum()), int(lb.sum())


def _master_reduced_costs(master: _Master, duals: np.ndarray) -> np.ndarray:
    """Reduced costs of the master's columns (in master order) under ``duals``."""
    opts = master.options
    order = np.argsort(opts)
    ordered = opts[order]
    out = np.empty(opts.size)
    for lo, hi, _, _ in _blocks(master.costs):
        a, b = np.searchsorted(ordered, [lo, hi])
        if a < b:
            out[order[a:b]] = _reduced_costs(master, duals, lo, hi)[ordered[a:b] - lo]
    return out


def _dive(master: _Master, last: tuple[np.ndarray, np.ndarray, float], deadline: float,
          say: Callable[[str], None], warm: np.ndarray | None = None
          ) -> tuple[float, np.ndarray] | None:
    """A good plan among the master's columns when pricing stopped before it converged,
    quickly, from the last LP's duals and values ``last = (duals, x, z)``.

    First the LP rounded: every column at 1 kept, every other column of those patients at
    0, a MIP over the columns of the patients it left fractional (England with 12 weeks'
    referrals over 28 nights under a 120 s limit, stopped after three rounds: 346 of 11,424
    patients, 12,975 columns; in the 23 s left a plan 0.41% above that LP, 1.0% above the
    optimum and 0.5% below the rolling baseline, where the screening below found none and
    the greedy plan, 24% above the optimum, was returned). Then the screening of
    :func:`_screened_mip` restricted to the master, from the best plan so far: columns at 1
    in the LP with ``rc < −Δ`` fixed at 1, columns with ``rc > Δ`` at 0, the rest free
    (those added after that LP among them); Δ grows eightfold while the MIP has no plan or
    its plan is more than Δ above z, until every column is free. A heuristic, not a proof:
    the plan's bound is the caller's (the MIP over all 190k master columns of England over
    84 nights found no better plan than its start in 49 s; screened, 51k free, about 20 s).
    Each screening MIP starts from the cheaper of ``warm`` and the best plan found (the
    rounding's may be dearer than ``warm``; HiGHS drops a start outside the screened set).
    Returns (cost, options) of the best plan found, or None."""
    duals, x, z_lp = last
    opts = master.options
    values = np.zeros(opts.size)  # the LP's values; columns priced in after it: 0
    values[:x.size] = x
    at_one = values > 1 - 1e-6
    delta = max(SCREEN_DELTA * abs(z_lp), 1.0)
    best = _round_lp(master, at_one, values, deadline, say)
    if best is not None and best[0] <= z_lp + delta:
        return best
    rc = _master_reduced_costs(master, duals)  # a pass over the whole table: only if needed
    warm_z = math.inf if warm is None else float(master.costs.cost[warm].sum())
    while time.perf_counter() < deadline:
        one = opts[(rc < -delta) & at_one]
        free = opts[(np.abs(rc) <= delta) | ((rc < -delta) & ~at_one)]
        n_free, n_one = _fix_outside(master, free, one)
        say(f"screening the {opts.size:,} columns priced in: {n_free} free within "
            f"{delta:.6g}, {n_one} fixed at 1")
        seed = best[1] if best is not None and best[0] < warm_z else warm
        raw, chosen = _solve_mip(master, deadline, seed)
        if chosen is not None and raw.objective is not None and \
                (best is None or raw.objective < best[0]):
            best = (raw.objective, chosen)
        everything = n_free == opts.size
        if everything or (not raw.proven_optimal and not raw.proven_infeasible):
            break  # the whole master tried, or time ran out
        if best is not None and best[0] <= z_lp + delta:
            break
        delta = SCREEN_GROWTH * delta if best is None else \
            min(SCREEN_GROWTH * delta, best[0] - z_lp)
    return best


def _round_lp(master: _Master, at_one: np.ndarray, x: np.ndarray, deadline: float,
              say: Callable[[str], None]) -> tuple[float, np.ndarray] | None:
    """The LP's rounding: master columns ``at_one`` (1 in the LP, whose value of every master
    column is ``x``) fixed at 1, their patients' other columns at 0, a MIP over the rest
    started from :func:`~optimiser.core.completion.complete_lp`: (cost, options) of the
    better, or None."""
    c, opts = master.costs, master.options
    quick = complete_lp(c, master.rows, opts, at_one, x)
    found = None if quick is None else (float(c.cost[quick].sum()), quick)
    at_one = at_one if quick is None else at_one & np.isin(opts, quick)  # start fits fixings
    settled = np.zeros(c.n_patients, bool)
    settled[c.patient[opts[at_one]]] = True
    n_free, n_one = _fix_outside(master, opts[~settled[c.patient[opts]]], opts[at_one])
    say(f"rounding the last LP: {n_one} columns at 1 kept, {n_free} columns of the "
        f"{c.n_patients - int(settled.sum())} patients it left fractional free"
        + (f"; completed at once: {found[0]:.10g}" if found else ""))
    if time.perf_counter() >= deadline:
        return found
    raw, chosen = _solve_mip(master, deadline, quick)
    if chosen is None or raw.objective is None or (found and raw.objective >= found[0]):
        return found
    return raw.objective, chosen


def _solve(master: _Master, deadline: float, mip: bool = False) -> bool:
    """Run HiGHS with the time left before ``deadline``; False when none was left (not run).

    HiGHS measures an LP's time limit on a clock that runs across runs (``getRunTime``), a
    MIP's on a clock of its own run: measured, England over 28 nights, a MIP given
    ``getRunTime() + left`` ran 18.8 s with 5 s left."""
    left = deadline - time.perf_counter()
    if left <= 0:
        return False
    h = master.h
    limit = left if mip or not math.isfinite(left) else float(h.getRunTime()) + left
    h.setOptionValue("time_limit", limit)
    h.run()
    return True


def _run(master: _Master, costs: CostTable, start: np.ndarray | None, deadline: float,
         say: Callable[[str], None], screen: bool = False) -> SolveOutcome:
    import highspy

    h = master.h
    ms = highspy.HighsModelStatus
    base = np.flatnonzero(np.isin(costs.kind, STILL))
    init = [base]
    if start is not None:
        init.append(start)
    init.append(cheapest_per_patient(costs, INITIAL_PER_PATIENT))
    _add_columns(master, np.concatenate(init))
    # Every LP by dual simplex, each round warm-started from the last basis. Measured
    # (2026-12-07, one night, limits 50/2, in one run): the first LP by interior point with
    # crossover made the whole solve 2–4x slower at every size (England 2.17 → 0.49 s,
    # 30k patients 12.7 → 2.9 s, 100k 44.6 → 18.8 s; the same optima); a warm round by
    # primal simplex, England 12 weeks × 28 nights: 93 s instead of 7–8.5 s. Interior point
    # for the large middle rounds of a plan is faster (benchmarks/README.md) but, tried,
    # moved where a 120 s limit stops pricing and starved the stopped plan's rounding.
    h.setOptionValue("solver", "simplex")

    # Pricing loop on the LP relaxation, until the time kept for the restricted MIP.
    rounds, lp_value, lagrange = 0, -math.inf, _free_choice_bound(costs)
    incumbent = start
    last: tuple[np.ndarray, np.ndarray, float] | None = None  # the last LP's duals, x, z
    price_s = 0.0  # how long the last pass over the option table took
    left = deadline - time.perf_counter()
    pricing_deadline = deadline - RESERVE_SHARE * left if math.isfinite(left) else deadline
    while True:
        rounds += 1
        t_lp = time.perf_counter()
        ran = _solve(master, pricing_deadline)
        t_lp = time.perf_counter() - t_lp
        status = h.getModelStatus() if ran else ms.kTimeLimit
        if status != ms.kOptimal:
            if ran and deadline - time.perf_counter() > 2 * price_s:  # time for a pass
                lagrange = max(lagrange, _stopped_lp_bound(master))
            return _restricted_plan(master, costs, incumbent, lagrange, deadline, say,
                                    h.modelStatusToString(status), last)
        lp_value = float(h.getInfo().objective_function_value)
        solution = h.getSolution()
        duals = _duals(master, solution.row_dual)
        x = np.asarray(solution.col_value, dtype=np.float64)[master.aux:]
        if np.all(np.abs(x - np.round(x)) <= 1e-6):  # an integral LP vertex is a plan
            incumbent = master.options[x > 0.5]
        last = (duals, x, lp_value)
        t_price = time.perf_counter()
        hits, rc, below = _price(master, duals, -RC_TOL)
        lagrange = max(lagrange, below)
        price_s = time.perf_counter() - t_price
        say(f"pricing round {rounds}: LP {lp_value:.10g} over {master.in_set.sum()} columns "
            f"({t_lp:.2f} s), {hits.size} priced in ({price_s:.2f} s), bound {lagrange:.10g}")
        if hits.size == 0:
            break
        _add_columns(master, _to_add(hits, rc, costs.patient[hits], ADD_PER_PATIENT,
                                     ADD_BUDGET))
        if time.perf_counter() >= pricing_deadline:
            return _restricted_plan(master, costs, incumbent, lagrange, deadline, say,
                                    "time limit while pricing", last)

    opts = master.options
    if np.all(np.abs(x - np.round(x)) <= 1e-6):
        say(f"LP optimum is integral: proven optimal ({lp_value:.6g})")
        return SolveOutcome(
            RawOutcome("highs", "Optimal (integral LP, priced out)", True, False, True,
                       lp_value, lp_value), opts[x > 0.5])
    if screen:
        say(f"LP optimum is fractional ({lp_value:.10g}): screening by reduced cost")
        screened = _screened_mip(master, duals, lp_value, deadline, say, x, incumbent)
        if screened is not None:
            return screened
        return _timeout(master, costs, incumbent, lp_value, say, "time limit while screening")

    # Fractional: MIP on the restricted columns, then reduced-cost fixing.
    say(f"LP optimum is fractional ({lp_value:.6g}): solving the MIP on "
        f"{opts.size} columns")
    _as_mip(master)
    raw, chosen = _solve_mip(master, deadline, start)
    if chosen is None or raw.objective is None:
        return _timeout(master, costs, incumbent, lp_value, say, raw.solver_status)
    z_r = raw.objective
    tol = 1e-9 * max(1.0, abs(z_r)) + 1e-7
    if raw.proven_optimal and z_r <= lp_value + tol:
        say(f"MIP {z_r:.6g} meets the LP bound: proven optimal")
        return SolveOutcome(RawOutcome("highs", "Optimal (meets LP bound)", True, False, True,
                                       z_r, lp_value), chosen)
    if not raw.proven_optimal:  # time limit inside the restricted MIP: LP bound is valid
        return SolveOutcome(RawOutcome("highs", raw.solver_status, False, False, True, z_r,
                                       lp_value), chosen)
    delta = z_r - lp_value
    fix, _, _ = _price(master, duals, delta + tol)
    say(f"MIP {z_r:.6g} above LP bound by {delta:.6g}: adding {fix.size} columns with "
        "reduced cost within the gap")
    if fix.size == 0:
        # Every plan better than z_r lies inside the restricted model, so the restricted
        # MIP's own dual bound is valid for the full one (it is z_r only when mip_gap = 0).
        bound = z_r if raw.bound is None else min(z_r, max(lp_value, raw.bound))
        return SolveOutcome(RawOutcome("highs", "Optimal (reduced-cost fixing)", True, False,
                                       True, z_r, bound), chosen)
    _add_columns(master, fix, integer=True)
    raw, found = _solve_mip(master, deadline, chosen)
    if found is None or raw.objective is None:
        return SolveOutcome(RawOutcome("highs", raw.solver_status, False, False, True, z_r,
                                       lp_value), chosen)
    chosen = found
    bound = max(lp_value, raw.bound) if raw.bound is not None else lp_value
    if raw.proven_optimal:
        bound = raw.objective if raw.bound is None else bound
    return SolveOutcome(RawOutcome("highs", raw.solver_status, raw.proven_optimal, False, True,
                                   raw.objective, min(bound, raw.objective)), chosen)


def _set_integer(h: Any, first: int, count: int) -> None:
    """Columns ``first .. first+count-1`` integer (binary with their 0-1 bounds)."""
    import highspy

    h.changeColsIntegrality(count, np.arange(first, first + count, dtype=np.int32),
                            np.full(count, highspy.HighsVarType.kInteger, dtype=np.uint8))


def _as_mip(master: _Master) -> None:
    """Every option column of the master integer, and HiGHS left to choose the MIP solver."""
    master.h.setOptionValue("solver", "choose")
    _set_integer(master.h, master.aux, master.options.size)


def _solve_mip(master: _Master, deadline: float, warm: np.ndarray | None
               ) -> tuple[RawOutcome, np.ndarray | None]:
    """Solve the master as a MIP (integrality set by the caller), started from ``warm`` when
    given: what HiGHS said, and the options of the solution it returned (None: none).

    HiGHS 1.16 can report the optimum of a start it repaired in presolve's reduced space
    while returning the start itself: the solution's cost then differs from the objective
    reported. The plan is what counts, so such a run is repeated without the start."""
    h = master.h
    raw, chosen = _mip_once(master, deadline, warm)
    if warm is not None and chosen is not None and not _costs_agree(master, raw, chosen):
        log.info("HiGHS returned its start (cost %.10g) with another objective (%.10g): "
                    "solving again without the start", master.costs.cost[chosen].sum(),
                    raw.objective)
        h.clearSolver()
        raw, chosen = _mip_once(master, deadline, None)
    if chosen is not None and not _costs_agree(master, raw, chosen):  # never trust it
        z = float(master.costs.cost[chosen].sum())
        raw = RawOutcome(raw.solver, f"{raw.solver_status} (objective recomputed)", False,
                         False, True, z, raw.bound, raw.message)
    return raw, chosen


def _mip_once(master: _Master, deadline: float, warm: np.ndarray | None
              ) -> tuple[RawOutcome, np.ndarray | None]:
    if warm is not None:
        _warm(master, warm)
    if not _solve(master, deadline, mip=True):
        return RawOutcome("highs", "Time limit reached", False, False, False, None, None,
                          "highs: no time left for the MIP"), None
    raw = read_highs(master.h)
    if not raw.has_solution or raw.objective is None:
        return raw, None
    x = np.asarray(master.h.getSolution().col_value, dtype=np.float64)[master.aux:]
    return raw, master.options[x > 0.5]


def _costs_agree(master: _Master, raw: RawOutcome, chosen: np.ndarray) -> bool:
    z = float(master.costs.cost[chosen].sum())
    return raw.objective is not None and \
        abs(z - raw.objective) <= 1e-9 * max(1.0, abs(z)) + 1e-6


def _warm(master: _Master, chosen: np.ndarray) -> None:
    """Give HiGHS a known feasible plan (options of ``chosen`` already in the master)."""
    opts = master.options
    order = np.argsort(opts)
    at = np.searchsorted(opts[order], chosen)
    at = np.minimum(at, opts.size - 1)
    hit = opts[order][at] == chosen
    cols = order[at[hit]]
    values = np.zeros(master.aux + opts.size)
    values[master.aux + cols] = 1.0
    at_slack = 0
    for f in master.rows.families:  # slacks of differenced families: b - Ax, row by row
        if f.block:
            values[at_slack:at_slack + f.n_rows] = f.rhs - f.activity(chosen)
            at_slack += f.n_rows
    master.h.setSolution(values.size, np.arange(values.size, dtype=np.int32), values)


def _restricted_plan(master: _Master, costs: CostTable, incumbent: np.ndarray | None,
                     bound: float, deadline: float, say: Callable[[str], None],
                     words: str, last: tuple[np.ndarray, np.ndarray, float] | None = None
                     ) -> SolveOutcome:
    """Pricing stopped before it converged: a good plan among the master's columns with the
    time left (:func:`_dive` from the last LP; without one, the MIP over every column started
    from the best plan known), and ``bound``: the best Lagrangian bound of the pricing rounds,
    of the LP the limit stopped and of zero duals — valid for the full model, unlike a
    restricted MIP's own bound, which ignores the omitted options."""
    opts = master.options
    say(f"pricing stopped ({words}): the best plan among the {opts.size:,} columns priced in")
    found: tuple[float, np.ndarray] | None = None
    if last is not None:
        found = _dive(master, last, deadline, say, incumbent)
    else:
        _as_mip(master)
        raw, chosen = _solve_mip(master, deadline, incumbent)
        if chosen is not None and raw.objective is not None:
            found = (raw.objective, chosen)
    known = math.inf if incumbent is None else float(costs.cost[incumbent].sum())
    better = known - 1e-9 * max(1.0, abs(known)) if math.isfinite(known) else math.inf
    if found is not None and found[0] < better:
        say(f"best plan among the priced columns: {found[0]:.10g}"
            + (f" (the plan known before: {known:.10g})" if math.isfinite(known) else ""))
        return SolveOutcome(RawOutcome("highs", f"{words} (best plan among the columns "
                                       "priced in)", False, False, True, found[0],
                                       bound if math.isfinite(bound) else None),
                            found[1])
    return _timeout(master, costs, incumbent, bound, say, words)


def _timeout(master: _Master, costs: CostTable, start: np.ndarray | None, bound: float,
             say: Callable[[str], None], words: str) -> SolveOutcome:
    """The time limit hit before a proof: return the best plan known (the last integral LP
    vertex, else the bed check's plan) with the best valid bound (Lagrangian)."""
    say(f"fast path stopped: {words}")
    if start is None:
        return SolveOutcome(RawOutcome("highs", words, False, False, False, None, None,
                                       "highs: no solution found within the time limit"), None)
    z = float(costs.cost[start].sum())
    b = bound if math.isfinite(bound) else None
    del master
    return SolveOutcome(RawOutcome("highs", f"{words} (best plan found so far)", False, False,
                                   True, z, b), start)

