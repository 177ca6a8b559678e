"""A stopped LP made a plan at once: what a plan cut short by its time limit falls back on.

The fast path (:mod:`optimiser.core.pricing`) rounds the last LP of a stopped plan by a MIP
over the patients it left fractional; under a tight limit that MIP may find nothing in the
time left (England with 12 weeks' referrals over 28 nights under 120 s: 298 patients split,
13,320 columns, nothing in 24 s, and the greedy plan, 24% above the optimum, was returned).
:func:`complete_lp` completes the same LP in under a second and starts that MIP.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from optimiser.core.costs import ADMIT, STAY, UNPLACED, CostTable
from optimiser.core.rows import ModelRows


def complete_lp(costs: CostTable, rows: ModelRows, opts: np.ndarray, at_one: np.ndarray,
                x: np.ndarray) -> np.ndarray | None:
    """An LP's integral part (the columns ``opts[at_one]``) completed at once, greedily: each
    patient the LP left fractional, the most decided first, takes the first of its columns
    in ``opts`` — by LP value ``x``, then cost — that still fits every ``≤`` row (a referral
    can always wait: its unplaced option has none). An inpatient with none that fits stays
    where they are, and referrals admitted to that ward wait instead, those cheapest to make
    wait first. The plan, one option per patient in patient order, or None when even that
    does not fit.

    Under a second on England (0.06–0.4 s), where the rounding MIP may need more than the
    time a limit leaves; it also starts that MIP."""
    patient = costs.patient[opts]
    chosen = np.full(costs.n_patients, -1, dtype=np.int64)
    chosen[patient[at_one]] = opts[at_one]
    loose = chosen[patient] < 0
    cand, value = opts[loose], x[loose]
    waits = np.flatnonzero(costs.kind == UNPLACED)  # every referral's unplaced option
    wait_of = {int(costs.patient[w]): int(w) for w in waits}
    seen = np.unique(np.concatenate([opts[at_one], cand, waits]))
    parts, room, at = [], [], 0
    for f in rows.families:
        if f.sense != "<=":
            continue
        r, o = f.restricted(seen)
        parts.append((r + at, o))
        room.append(f.rhs)
        at += f.n_rows
    cap = np.concatenate(room) if room else np.zeros(0)
    r_all = np.concatenate([r for r, _ in parts]) if parts else np.zeros(0, np.int64)
    o_all = np.concatenate([o for _, o in parts]) if parts else np.zeros(0, np.int64)
    order = np.argsort(o_all, kind="stable")
    r_all, o_all = r_all[order], o_all[order]

    def rows_of(k: int) -> np.ndarray:
        a, b = np.searchsorted(o_all, (k, k + 1))
        return r_all[a:b]

    act = np.bincount(r_all[np.isin(o_all, opts[at_one])], minlength=cap.size).astype(float)
    best = np.full(costs.n_patients, -np.inf)
    np.maximum.at(best, patient[loose], value)
    who = patient[loose]
    by = np.lexsort((costs.cost[cand], -value, who, -best[who]))  # last key first
    cand, who = cand[by], who[by]
    cuts = np.flatnonzero(np.diff(who)) + 1
    for part in np.split(np.arange(cand.size), cuts) if cand.size else []:
        p = int(who[part[0]])
        for k in cand[part]:
            r = rows_of(int(k))
            if np.all(act[r] + 1 <= cap[r] + 1e-9):
                act[r] += 1
                chosen[p] = k
                break
        else:
            stay = cand[part][costs.kind[cand[part]] == STAY]
            if stay.size == 0 or not _make_room(costs, chosen, act, cap, rows_of, wait_of,
                                                int(stay[0])):
                return None
            act[rows_of(int(stay[0]))] += 1
            chosen[p] = stay[0]
    return chosen if np.all(chosen >= 0) and rows.violated(chosen) == [] else None


def _make_room(costs: CostTable, chosen: np.ndarray, act: np.ndarray, cap: np.ndarray,
               rows_of: Callable[[int], np.ndarray], wait_of: dict[int, int], k: int) -> bool:
    """Referrals admitted where option ``k`` needs a bed wait instead (``chosen`` and the
    rows' activity ``act`` updated; ``wait_of``: each referral's unplaced option), the
    cheapest first, until ``k`` fits; False when no referral's waiting makes it fit."""
    need = rows_of(k)
    admitted = np.flatnonzero((chosen >= 0) & (costs.kind[np.maximum(chosen, 0)] == ADMIT))
    extra = {int(q): float(costs.cost[wait_of[int(q)]] - costs.cost[chosen[q]])
             for q in admitted if int(q) in wait_of}
    for q in sorted(extra, key=lambda q: (extra[q], q)):
        over = need[act[need] + 1 > cap[need] + 1e-9]
        if over.size == 0:
            return True
        mine = rows_of(int(chosen[q]))
        if np.isin(over, mine).any():
            act[mine] -= 1
            chosen[q] = wait_of[q]
    return bool(np.all(act[need] + 1 <= cap[need] + 1e-9))
