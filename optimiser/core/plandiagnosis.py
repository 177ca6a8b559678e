"""Why a plan left a referral unplaced: one sentence each (contract 1.2: ``plan``'s
summary.json is as ``reallocate``'s, whose diagnosis gives "plain-language reasons when
infeasible or when referrals are left unplaced").

A referral admitted on night s sleeps in its unit on every night s..N, so a unit could take
it on night s only with a bed free on every one of those nights in the plan as written and,
with ``max_admissions_per_unit``, room for one more new patient on night s. The sentence says
which of the two stopped every compatible unit on every night from the referral's arrival,
or — when some unit could have taken it — that waiting cost no more, or that the plan is not
proven optimal.
"""

from __future__ import annotations

import numpy as np

from models.domain import Instance, Policy
from models.text import count
from optimiser.core.costs import ADMIT, UNPLACED
from optimiser.core.diagnosis import NAMED_UNITS, no_unit_words, unit_label
from optimiser.core.plantable import PlanTable
from optimiser.core.rows import NIGHTLY_ADMISSIONS, NIGHTLY_CAPACITY, ModelRows


def explain_unplaced_plan(instance: Instance, table: PlanTable, rows: ModelRows,
                          chosen: np.ndarray, policy: Policy) -> list[str]:
    """One sentence per referral the plan ``chosen`` (one option per patient) never admits;
    none for a referral arriving after the last night (``later``)."""
    c = table.costs
    unplaced = np.flatnonzero(c.kind[chosen] == UNPLACED)
    if unplaced.size == 0:
        return []
    nights = table.horizon.nights
    cap = rows[NIGHTLY_CAPACITY]
    free = (cap.activity(chosen) < cap.rhs).reshape(-1, nights)
    # room[u, s]: a bed free in u on every night s..N (a suffix "all")
    room = np.flip(np.logical_and.accumulate(np.flip(free, axis=1), axis=1), axis=1)
    limit = policy.limits.max_admissions_per_unit
    family = rows.get(NIGHTLY_ADMISSIONS)
    taken = np.zeros(free.shape, dtype=bool) if family is None or limit is None else \
        (family.activity(chosen) >= family.rhs).reshape(-1, nights)
    profiles: dict = {}
    out: list[str] = []
    for i in unplaced.tolist():
        p = instance.patients[i]
        head = f"referral {p.patient_id} left unplaced"
        opts = np.arange(c.start[i], c.start[i + 1])
        opts = opts[c.kind[opts] == ADMIT]
        if opts.size == 0:
            out.append(f"{head}: {no_unit_words(instance, p, profiles)}")
            continue
        u, s = c.unit[opts], table.night[opts] - 1
        possible = room[u, s] & ~taken[u, s]
        if possible.any():
            best = opts[possible][np.argmin(c.cost[opts[possible]])]
            waiting = float(c.cost[chosen[i]])
            if c.cost[best] >= waiting:
                out.append(f"{head}: waiting every night ({waiting:g}) costs no more than "
                           f"the cheapest admission with a bed to the last night (unit "
                           f"{instance.units[int(c.unit[best])].unit_id} on night "
                           f"{int(table.night[best])}, cost {c.cost[best]:.1f})")
            else:
                out.append(f"{head}: a compatible bed was free to the last night, but this "
                           "plan (not proven optimal, or optimal within the requested gap) "
                           "does not admit them")
            continue
        out.append(f"{head}: " + _blocked(instance, u, room[u, s], c.km[opts], limit))
    return out


def _blocked(instance: Instance, unit: np.ndarray, roomy: np.ndarray, km: np.ndarray,
             limit: int | None) -> str:
    """Why no unit of ``unit`` (one entry per admission option, ``roomy``: with a bed to
    the last night) could admit the referral on any night from its arrival."""
    units = np.unique(unit)
    limited = np.array([roomy[unit == u].any() for u in units])  # the limit bound, not beds
    near = {int(u): float(km[unit == u].min()) for u in units}
    full_words = ("full on some night on or after every night it could admit them (an "
                  "admitted referral stays to the last night)")
    cap_words = ("takes no new patient (max_admissions_per_unit = 0)" if limit == 0 else
                 f"had taken max_admissions_per_unit = {count(limit or 0, 'new patient')} on "
                 "each of those nights")
    if units.size == 1:
        label = unit_label(instance.units[int(units[0])])
        if not limited[0]:
            return f"the only compatible unit, {label}, is {full_words}"
        return (f"the only compatible unit, {label}, has a bed to the last night but "
                f"{cap_words}")
    n, n_lim = int(units.size), int(limited.sum())
    if n_lim == 0:
        return (f"all {n} compatible units are full on some night on or after every night "
                "they could admit them (an admitted referral stays to the last night)")
    named = sorted((int(u) for u in units[limited]), key=lambda u: (near[u], u))
    more = f" and {n_lim - NAMED_UNITS} more" if n_lim > NAMED_UNITS else ""
    names = ", ".join(unit_label(instance.units[u]) for u in named[:NAMED_UNITS]) + more
    return (f"none of the {n} compatible units could admit them on any night: "
            f"{n - n_lim} full to the last night, and {n_lim} with a bed to the last night "
            f"that {cap_words}: {names}")
