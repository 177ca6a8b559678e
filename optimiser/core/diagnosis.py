"""Infeasibility and unplaced referrals, explained in clinical terms.

The only hard conflicts of the model are beds: every patient has an outcome that is always
allowed (a referral can stay unplaced, an inpatient can stay), so an instance is infeasible
exactly when the *inpatients alone* cannot be fitted into open beds — beds closed under
patients who may not move, a unit over capacity whose movable patients have nowhere
compatible to go, or fitting everyone needs more moves than ``max_moves`` allows.

That question is a min-cost flow over the model's own rows (the network of
:mod:`optimiser.core.flownet`, restricted to the inpatients' stays and moves), solved exactly
(integral) with OR-Tools::

    inpatient p (supply 1) ──stay, cost 0───────────────────────▶ unit u ─b_u─▶ sink
                           ──move, cost 1─▶ arrivals of v ─A─▶ unit v ─∞, cost BIG─▶ sink

Overflow arcs (cost BIG > number of inpatients) make the flow always feasible: the minimum
overflow is the number of inpatients that cannot be given a bed, and the units carrying it
are the units in conflict (stays cost 0, so overflow stays where the patients are). With no
overflow, the flow's cost is the fewest moves that fit everyone; more than ``max_moves`` is
infeasible too. The flow's solution doubles as a feasible starting plan for the fast path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.compatibility import compatibility_matrix
from models.domain import Instance, Limits, Patient, Policy, Unit
from models.text import count
from optimiser.core.costs import (
    ADMIT,
    MOVE,
    STAY,
    UNPLACED,
    CostTable,
    cheapest_per_patient,
)
from optimiser.core.flownet import flow_network
from optimiser.core.rows import ADMISSIONS, ASSIGN, CAPACITY, MOVES, ModelRows, build_rows
from optimiser.geography.distances import KmTable


@dataclass(frozen=True, slots=True)
class BedCheck:
    """Whether the inpatients fit; why not; and a feasible start when they do.

    ``start``: one option index per patient (inpatients as the flow placed them, referrals
    unplaced), None when infeasible. ``min_moves``: the moves of that plan (the fewest that
    fit everyone when the exact flow over every move was needed).
    """

    feasible: bool
    messages: tuple[str, ...]
    start: np.ndarray | None
    min_moves: int


def unit_label(unit: Unit) -> str:
    """``unit W12 (Ash ward: medium secure, male)`` — the words a bed manager uses."""
    if unit.service == "adult_secure":
        kind = f"{unit.level} secure"
    elif unit.service == "camhs":
        kind = "CAMHS " + ("PICU" if unit.level == "picu" else unit.level)
    else:
        kind = "eating disorder"
    sex = {"male": "male", "female": "female"}.get(unit.sex, "mixed")
    what = f"{kind}, {sex}"
    return f"unit {unit.unit_id} ({unit.name}: {what})" if unit.name else \
        f"unit {unit.unit_id} ({what})"


#: Moves per inpatient tried first by the bed check (the exact check uses every move).
FEW_MOVES = 8


def check_beds(instance: Instance, costs: CostTable, limits: Limits,
               rows: ModelRows | None = None) -> BedCheck:
    """Decide exactly whether the inpatients fit (see the module docstring).

    ``rows``: the model's families (built from ``limits`` by default): beds, admission limits
    and the move budget are read from them; the move budget is judged by counting the fewest
    moves, the other families are the flow's network."""
    n, m = costs.n_patients, costs.n_units
    rows = rows or build_rows(costs, limits)
    beds = np.zeros(m, dtype=np.int64)
    beds[rows[CAPACITY].key] = rows[CAPACITY].rhs.astype(np.int64)
    budget = rows.get(MOVES)
    max_moves = None if budget is None else int(budget.rhs[0])
    stay_k = np.flatnonzero(costs.kind == STAY)
    unplaced_k = np.flatnonzero(costs.kind == UNPLACED)
    start = np.full(n, -1, dtype=np.int64)
    start[costs.patient[stay_k]] = stay_k
    start[costs.patient[unplaced_k]] = unplaced_k
    occupancy = np.bincount(costs.unit[stay_k], minlength=m) if m else np.zeros(0, np.int64)
    if np.all(occupancy <= beds):
        return BedCheck(True, (), start, 0)

    adm = rows.get(ADMISSIONS)
    limit = None if adm is None else int(adm.rhs.max(initial=0))
    network = ModelRows(tuple(rows[f] for f in (ASSIGN, CAPACITY, ADMISSIONS)
                              if rows.get(f) is not None), rows.n_options)
    all_moves = np.flatnonzero(costs.kind == MOVE)
    # First with each inpatient's few cheapest moves: a fit there is a fit (cheap at scale);
    # only when it does not fit is the exact answer computed on every move.
    few = cheapest_per_patient(costs, FEW_MOVES, (MOVE,))
    for move_k in ((few, all_moves) if few.size < all_moves.size else (all_moves,)):
        stay_flow, move_flow, overflow = _fit(network, costs, stay_k, move_k)
        moves = int(move_flow.sum())
        fits = overflow.sum() == 0 and (max_moves is None or moves <= max_moves)
        if fits:
            break
    if overflow.sum() > 0:
        return BedCheck(False, tuple(_overflow_messages(instance, costs, beds, overflow,
                                                        limit)), None, moves)
    if max_moves is not None and moves > max_moves:
        over = np.flatnonzero(occupancy > beds)
        where = "; ".join(
            f"{unit_label(instance.units[u])} has {count(int(beds[u]), 'open bed')}"
            f" but {count(int(occupancy[u]), 'inpatient')}" for u in over)
        msg = (f"at least {count(moves, 'inpatient')} must move to fit everyone into open "
               f"beds, but max_moves is {max_moves} ({where})")
        return BedCheck(False, (msg,), None, moves)
    inpatients = costs.patient[stay_k]
    start[inpatients[stay_flow > 0]] = stay_k[stay_flow > 0]
    start[costs.patient[move_k[move_flow > 0]]] = move_k[move_flow > 0]
    return BedCheck(True, (), start, moves)


def _fit(rows: ModelRows, costs: CostTable, stay_k: np.ndarray, move_k: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The min-cost flow of the module docstring over the stays and the moves ``move_k``.

    Returns the flow on each stay, on each move and on each unit's overflow arc.
    """
    from ortools.graph.python import min_cost_flow

    net = flow_network(rows, np.concatenate([stay_k, move_k]))
    inpatients = costs.patient[stay_k]
    n_in = inpatients.size
    big = n_in + 1
    m = net.unit_node.size
    price = np.zeros(net.tails.size, np.int64)
    price[stay_k.size:net.n_option_arcs] = 1  # a move costs 1: the fewest moves that fit
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([net.tails, net.unit_node]),
        np.concatenate([net.heads, np.full(m, net.sink, np.int64)]),
        np.concatenate([net.caps, np.full(m, n_in, np.int64)]),
        np.concatenate([price, np.full(m, big, np.int64)]))
    supplies = np.zeros(net.n_nodes, dtype=np.int64)
    supplies[inpatients] = 1
    supplies[net.sink] = -n_in
    flow.set_nodes_supplies(np.arange(net.n_nodes), supplies)
    if flow.solve() != flow.OPTIMAL:  # pragma: no cover - the overflow arcs make it feasible
        raise RuntimeError("bed check: min-cost flow failed")
    f = flow.flows(arcs)
    return f[:stay_k.size], f[stay_k.size:net.n_option_arcs], f[net.tails.size:]


def _overflow_messages(instance: Instance, costs: CostTable, beds_of: np.ndarray,
                       overflow: np.ndarray, limit: int | None) -> list[str]:
    m = costs.n_units
    stay = costs.kind == STAY
    occupancy = np.bincount(costs.unit[stay], minlength=m)
    has_move = np.bincount(costs.patient[costs.kind == MOVE], minlength=costs.n_patients) > 0
    stay_patients = costs.patient[stay]
    stuck = np.bincount(costs.unit[stay][~has_move[stay_patients]], minlength=m)
    movable = np.array([instance.patients[i].movable for i in range(costs.n_patients)], bool)
    immovable = np.bincount(costs.unit[stay][~movable[stay_patients]], minlength=m)
    out = []
    for u in np.flatnonzero(overflow > 0):
        label, beds = unit_label(instance.units[u]), int(beds_of[u])
        if stuck[u] > beds:
            why = []
            if immovable[u]:
                why.append(f"{immovable[u]} not movable")
            if stuck[u] - immovable[u]:
                why.append(f"{stuck[u] - immovable[u]} with no other compatible unit within "
                           "reach")
            out.append(f"{label} has {count(beds, 'open bed')} but "
                       f"{count(int(stuck[u]), 'inpatient')} who may not move "
                       f"({', '.join(why)})")
        else:
            cap = " or already receiving max_admissions_per_unit = " + str(limit) \
                if limit is not None else ""
            out.append(f"{label} has {count(beds, 'open bed')} but "
                       f"{count(int(occupancy[u]), 'inpatient')}: {overflow[u]} of them "
                       f"cannot move because every compatible unit they could go to is "
                       f"full{cap}")
    return out


@dataclass(frozen=True, slots=True)
class UnitsTonight:
    """Each unit after tonight's plan, as the unplaced referrals' diagnosis reads it.

    ``before``: inpatients in the census (what ``suggest`` counts); ``after``: patients
    placed there by the plan; ``arrivals``: moves in plus admissions. A unit is **full** when
    ``after >= open_beds``; **capped** when it still has a free bed but took
    ``max_admissions_per_unit`` new patients — the two binding causes, told apart because a
    bed manager acts on them differently (a full ward needs a discharge or a move out; a
    capped one takes the referral tomorrow night). A full unit is full whatever the limit,
    so full wins when both hold.
    """

    open_beds: np.ndarray
    before: np.ndarray
    after: np.ndarray
    arrivals: np.ndarray
    limit: int | None

    @property
    def full(self) -> np.ndarray:
        return np.asarray(self.after >= self.open_beds)

    @property
    def capped(self) -> np.ndarray:
        if self.limit is None:
            return np.zeros(self.open_beds.size, dtype=bool)
        return np.asarray(~self.full & (self.arrivals >= self.limit))

    @property
    def filled_tonight(self) -> np.ndarray:
        """Full after the plan although the census left a bed free (so ``suggest``, which
        reads the census, still offers it)."""
        return np.asarray(self.full & (self.before < self.open_beds))


def units_tonight(costs: CostTable, chosen: np.ndarray, limit: int | None) -> UnitsTonight:
    """Occupancy before and after the plan ``chosen`` (one option per patient)."""
    m = costs.n_units
    kinds, units = costs.kind[chosen], costs.unit[chosen]
    placed = (kinds == STAY) | (kinds == MOVE) | (kinds == ADMIT)
    stay_k = np.flatnonzero(costs.kind == STAY)
    return UnitsTonight(
        open_beds=costs.open_beds,
        before=np.bincount(costs.unit[stay_k], minlength=m),
        after=np.bincount(units[placed], minlength=m),
        arrivals=np.bincount(units[(kinds == MOVE) | (kinds == ADMIT)], minlength=m),
        limit=limit)


#: Units named one by one in a diagnosis; beyond this, counts and the nearest ones.
NAMED_UNITS = 3


def explain_unplaced(instance: Instance, costs: CostTable, chosen: np.ndarray,
                     distances: KmTable | None, policy: Policy) -> list[str]:
    """One sentence per unplaced referral saying why it was left unplaced.

    ``chosen``: the chosen option of each patient, in patient order. The units a referral
    could go to are its admit options in ``costs`` (compatible and reachable, by
    construction), so ``distances`` is not read any more; it stays for the callers. When
    every such unit is unavailable, the sentence says per unit which cause binds: full after
    tonight's plan, or a free bed but ``max_admissions_per_unit`` new patients taken
    (:class:`UnitsTonight`) — naming the units when there are few, counting them otherwise.
    """
    kinds = costs.kind[chosen]
    unplaced = np.flatnonzero(kinds == UNPLACED)
    if unplaced.size == 0:
        return []
    state = units_tonight(costs, chosen, policy.limits.max_admissions_per_unit)
    full, capped = state.full, state.capped
    free_u = ~full & ~capped
    profiles: dict = {}
    out: list[str] = []
    for i in unplaced.tolist():
        opts = np.arange(costs.start[i], costs.start[i + 1])
        opts = opts[costs.kind[opts] == ADMIT]
        p = instance.patients[i]
        head = f"referral {p.patient_id} left unplaced"
        if opts.size == 0:
            out.append(f"{head}: {no_unit_words(instance, p, profiles)}")
            continue
        ok = costs.unit[opts]
        if not free_u[ok].any():
            out.append(f"{head}: " + _unavailable(instance, state, ok, costs.km[opts]))
            continue
        out.append(_why_free_unused(instance, costs, i, opts[free_u[ok]], head,
                                    policy.weights.unplaced))
    return out


def no_unit_words(instance: Instance, patient: Patient, profiles: dict) -> str:
    """Why a referral has no unit to be admitted to at all (``profiles``: the compatibility
    cache shared over one diagnosis)."""
    if compatibility_matrix([patient], instance.units, profiles).any():
        return "every compatible unit is unreachable from home"
    return "no compatible unit at all"


def _unavailable(instance: Instance, state: UnitsTonight, ok: np.ndarray,
                 km: np.ndarray) -> str:
    """Why none of the units ``ok`` (km from home ``km``) could take the referral."""
    full, capped, filled = state.full[ok], state.capped[ok], state.filled_tonight[ok]
    n = ok.size
    if n == 1:
        u = int(ok[0])
        return f"the only compatible unit, {unit_label(instance.units[u])}, " + \
            _one_unit(state, u)
    n_full, n_capped, n_filled = int(full.sum()), int(capped.sum()), int(filled.sum())
    tonight = (f" ({n_filled} of them only after tonight's admissions and moves)"
               if n_filled else "")
    if n_capped == 0:
        return f"all {n} compatible units are full{tonight}"
    if n <= NAMED_UNITS:
        order = sorted(range(n), key=lambda k: (km[k], int(ok[k])))
        return f"none of the {n} compatible units can take them tonight: " + "; ".join(
            f"{unit_label(instance.units[int(ok[k])])} {_one_unit(state, int(ok[k]))}"
            for k in order)
    near = sorted(np.flatnonzero(capped).tolist(), key=lambda k: (km[k], int(ok[k])))
    named = ", ".join(f"{unit_label(instance.units[int(ok[k])])} {km[k]:.1f} km with "
                      f"{count(_free(state, int(ok[k])), 'free bed')}"
                      for k in near[:NAMED_UNITS])
    more = f" and {n_capped - NAMED_UNITS} more" if n_capped > NAMED_UNITS else ""
    capped_words = f"have free beds but {_cap_words(state.limit, plural=True)}: {named}{more}"
    if n_full == 0:
        return f"all {n} compatible units {capped_words}"
    return (f"none of the {n} compatible units can take them tonight: {n_full} are "
            f"full{tonight}, and {n_capped} {capped_words}")


def _free(state: UnitsTonight, u: int) -> int:
    return int(state.open_beds[u] - state.after[u])


def _one_unit(state: UnitsTonight, u: int) -> str:
    """``is full: ...`` or ``has 2 free beds but ...`` for one unit."""
    beds = int(state.open_beds[u])
    if state.full[u]:
        if beds <= 0:
            return "is full: it has no open beds"
        tonight = ""
        if state.filled_tonight[u]:
            tonight = f", {int(state.arrivals[u])} of them by tonight's admissions and moves"
        return f"is full: {int(state.after[u])} of {count(beds, 'open bed')} taken{tonight}"
    return (f"has {count(_free(state, u), 'free bed')} but "
            f"{_cap_words(state.limit, plural=False)}")


def _cap_words(limit: int | None, *, plural: bool) -> str:
    """``has already taken max_admissions_per_unit = 2 new patients tonight`` (or, for a
    limit of 0, that the unit takes nobody new tonight)."""
    if not limit:
        return ("take" if plural else "takes") + \
            " no new patient tonight (max_admissions_per_unit = 0)"
    return (("have" if plural else "has") + " already taken max_admissions_per_unit = "
            f"{count(limit, 'new patient')} tonight")


def _why_free_unused(instance: Instance, costs: CostTable, i: int, opts: np.ndarray,
                     head: str, w_unplaced: float) -> str:
    """A free compatible bed existed: either leaving the referral unplaced was cheaper, or
    the solver stopped before placing them."""
    p = instance.patients[i]
    unplaced_cost = w_unplaced * p.priority
    best = opts[np.argmin(costs.cost[opts])]
    if costs.cost[best] >= unplaced_cost:
        u = instance.units[int(costs.unit[best])]
        return (f"{head}: cheaper to leave unplaced ({unplaced_cost:g}) than the "
                f"cheapest free compatible bed (unit {u.unit_id}, "
                f"{costs.km[best]:.1f} km, cost {costs.cost[best]:.1f})")
    return f"{head}: a compatible bed was free but the solver stopped before placing them"
