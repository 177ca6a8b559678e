"""The cost table: every allowed outcome of every patient, with its cost, as flat arrays.

This is the one input every solving method shares (the PuLP model of record, the fast
pricing path, the feasibility check and the diagnosis), so the contract's placement rules
live here and nowhere else:

- an inpatient may always *stay* in current_unit_id; the stay is *delayed* (costs
  ``w.delayed`` more) when that unit is no longer compatible with them;
- a movable inpatient may *move* to every compatible, reachable unit other than the current
  one (placement cost + ``w.move``);
- a referral may be *admitted* to every compatible, reachable unit (placement cost) or left
  *unplaced* (``w.unplaced * priority``).

Options are listed patient by patient in the order of patients.csv; within a patient the
stay comes first, then moves/admissions in unit_id order, then unplaced. That fixed order is
what makes every solver see the same model and break ties the same way (by id).
Nothing here loops over patient-unit pairs in Python; patients are processed in chunks so
that a 100,000 × 5,000 instance never needs a second dense float matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.compatibility import compatibility_matrix
from models.domain import Instance, Policy, Weights
from models.errors import InputError
from models.io import record_problems
from optimiser.geography.distances import KmTable, pair_distances

#: Option kinds (``CostTable.kind``). ``LATER`` only in a plan over nights: a referral that
#: arrives after the last night (no placement, no cost).
STAY, MOVE, ADMIT, UNPLACED, LATER = 0, 1, 2, 3, 4
KIND_NAMES: tuple[str, ...] = ("stay", "move", "admit", "unplaced", "later")
#: Kinds that keep every patient's plan feasible on their own (no move, no admission).
STILL = (STAY, UNPLACED, LATER)

#: Patients per chunk when building the table (bounds the dense temporaries).
_CHUNK = 2048


@dataclass(frozen=True, eq=False)
class CostTable:
    """The allowed options of an instance as parallel arrays (one entry per option).

    Options of patient ``i`` are ``start[i]:start[i + 1]``. ``unit`` is -1 for unplaced;
    ``km`` is NaN for unplaced; ``out_of_area`` and ``delayed`` are False for unplaced.
    """

    patient_ids: tuple[str, ...]
    unit_ids: tuple[str, ...]
    open_beds: np.ndarray  # int64, per unit
    patient: np.ndarray  # int32, per option: index into patient_ids
    unit: np.ndarray  # int32, per option: index into unit_ids, -1 when unplaced
    kind: np.ndarray  # int8, per option: STAY / MOVE / ADMIT / UNPLACED
    cost: np.ndarray  # float64, per option: its term of the objective
    km: np.ndarray  # float64, per option: d(p, u)
    out_of_area: np.ndarray  # bool, per option
    delayed: np.ndarray  # bool, per option (stays in a unit no longer compatible)
    start: np.ndarray  # int64, len(patients) + 1

    @property
    def n_patients(self) -> int:
        return len(self.patient_ids)

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_options(self) -> int:
        return int(self.cost.size)

    def subset(self, keep: np.ndarray) -> CostTable:
        """The same table restricted to the options where ``keep`` is True (order kept)."""
        keep = np.asarray(keep, dtype=bool)
        patient = self.patient[keep]
        counts = np.bincount(patient, minlength=self.n_patients)
        start = np.zeros(self.n_patients + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        return CostTable(
            self.patient_ids, self.unit_ids, self.open_beds, patient, self.unit[keep],
            self.kind[keep], self.cost[keep], self.km[keep], self.out_of_area[keep],
            self.delayed[keep], start,
        )


def _unit_terms(instance: Instance, weights: Weights) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit fixed cost (w.cost * cost_per_day) and network codes."""
    codes: dict[str, int] = {}
    unit_net = np.array([codes.setdefault(u.network_id, len(codes)) for u in instance.units],
                        dtype=np.int64)
    fixed = weights.cost * np.array([u.cost_per_day for u in instance.units], dtype=float)
    return fixed, unit_net


def _home_codes(instance: Instance, unit_net_codes: dict[str, int]) -> np.ndarray:
    return np.array([unit_net_codes.get(p.home_network_id, -1) for p in instance.patients],
                    dtype=np.int64)


def _network_codes(instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    codes: dict[str, int] = {}
    unit_net = np.array([codes.setdefault(u.network_id, len(codes)) for u in instance.units],
                        dtype=np.int64)
    return unit_net, _home_codes(instance, codes)


def placement_costs(instance: Instance, distances: np.ndarray,
                    weights: Weights | None = None) -> np.ndarray:
    """Per-placement term of the objective, shape (patients, units); np.inf if unreachable.

    ``w.km * d + w.out_of_area * [u.network_id != p.home_network_id] + w.cost * cost_per_day``
    (weights default to the instance's policy).
    """
    weights = weights or instance.policy.weights
    d = np.asarray(distances, dtype=float)
    fixed, _ = _unit_terms(instance, weights)
    unit_net, home = _network_codes(instance)
    ooa = unit_net[None, :] != home[:, None]
    with np.errstate(invalid="ignore"):
        out = weights.km * d + weights.out_of_area * ooa + fixed[None, :]
    out[~np.isfinite(d)] = np.inf
    return out


def build_cost_table(instance: Instance, distances: KmTable | None = None,
                     policy: Policy | None = None) -> CostTable:
    """Every allowed option of every patient with its cost (see the module docstring).

    ``distances`` (patients × units km, np.inf = unreachable: a dense matrix, or pairs
    computed when asked) defaults to ``pair_distances(instance, policy.distance)``. Raises
    InputError when an inpatient's current unit is unknown or unreachable from home (the
    contract calls that invalid input).
    """
    policy = policy or instance.policy
    w = policy.weights
    n, m = len(instance.patients), len(instance.units)
    if distances is None:
        distances = pair_distances(instance, policy.distance)
    elif not hasattr(distances, "km"):
        distances = np.asarray(distances)  # float32 is fine: converted pair by pair
    if tuple(distances.shape) != (n, m):
        raise ValueError(f"distances has shape {distances.shape}, expected {(n, m)}")

    unit_index = instance.unit_index()
    unit_ids = tuple(u.unit_id for u in instance.units)
    open_beds = np.array([u.open_beds for u in instance.units], dtype=np.int64)
    fixed, _ = _unit_terms(instance, w)
    unit_net, home_net = _network_codes(instance)
    # Column order by unit_id (ties by id); rank[j] = position of unit j in that order.
    order = np.array(sorted(range(m), key=lambda j: unit_ids[j]), dtype=np.int64)

    patients = instance.patients
    is_ref = np.array([p.is_referral for p in patients], dtype=bool)
    movable = np.array([p.movable for p in patients], dtype=bool)
    prio = np.array([p.priority for p in patients], dtype=float)
    current = np.full(n, -1, dtype=np.int64)
    found: list[tuple[str, str, str]] = []
    for i, p in enumerate(patients):
        if not p.is_referral:
            j = unit_index.get(p.current_unit_id or "")
            if j is None:
                found.append((p.patient_id, "current_unit_id",
                              f"inpatient {p.patient_id} has no known current unit"))
            else:
                current[i] = j
    stay_rows = np.flatnonzero(current >= 0)
    stay_d = np.asarray(distances[stay_rows, current[stay_rows]], dtype=float)
    if stay_rows.size and not np.all(np.isfinite(stay_d)):
        for i in stay_rows[~np.isfinite(stay_d)]:
            found.append((
                patients[i].patient_id, "current_unit_id",
                f"current unit {unit_ids[current[i]]} of inpatient {patients[i].patient_id} "
                "is unreachable from home"))
    if found:
        raise InputError(record_problems(instance.source, "patients.csv", found))
    stay_km = np.zeros(n)
    stay_km[stay_rows] = stay_d

    parts: list[list[Any]] = []
    profiles: dict[Any, np.ndarray] = {}  # compatibility rows shared by every chunk
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        parts.append(list(_chunk(instance, a, b, distances, stay_km, order, current[a:b],
                                 is_ref[a:b], movable[a:b], prio[a:b], fixed, unit_net,
                                 home_net[a:b], w, profiles)))
    if parts:
        cols = []
        for k in range(7):  # field by field, freeing the parts: peak = table + one field
            cols.append(np.concatenate([part[k] for part in parts]))
            for part in parts:
                part[k] = None
    else:
        cols = [np.zeros(0, dtype=t) for t in
                (np.int32, np.int32, np.int8, float, float, bool, bool)]
    patient, unit, kind, cost, km, ooa, delayed = cols
    counts = np.bincount(patient, minlength=n)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    return CostTable(tuple(p.patient_id for p in patients), unit_ids, open_beds, patient, unit,
                     kind.astype(np.int8), cost, km, ooa, delayed, start)


def _chunk(instance: Instance, a: int, b: int, distances: KmTable, stay_km: np.ndarray,
           order: np.ndarray, current: np.ndarray, is_ref: np.ndarray, movable: np.ndarray,
           prio: np.ndarray, fixed: np.ndarray, unit_net: np.ndarray, home_net: np.ndarray,
           w: Weights, profiles: dict[Any, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Options of patients a..b-1 (see build_cost_table), already in their final order.

    ``stay_km``: km of every patient's stay (by patient index; 0 for referrals), known already.
    """
    rows = b - a
    compat = compatibility_matrix(instance.patients[a:b], instance.units, profiles)
    ooa = unit_net[None, :] != home_net[:, None]
    has_cur = current >= 0
    r_cur = np.flatnonzero(has_cur)
    # Placement options: compatible, not the current unit, movable or referral — and then
    # reachable, which only the distance of each such pair can tell.
    mask = compat.copy()
    mask[r_cur, current[r_cur]] = False
    mask[~(is_ref | movable)] = False
    mask = mask[:, order]
    r, c_sorted = np.nonzero(mask)  # row-major: by patient, then unit_id order
    c = order[c_sorted]
    dk = np.asarray(distances[a + r, c], dtype=float)
    reach = np.isfinite(dk)
    if not reach.all():
        r, c, dk = r[reach], c[reach], dk[reach]
    counts = np.bincount(r, minlength=rows) + 1  # + the stay or the unplaced option
    offs = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(counts, out=offs[1:])
    total = int(offs[-1])
    row_first = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=rows), out=row_first[1:])
    rank = np.arange(r.size, dtype=np.int64) - row_first[r]
    shift = (~is_ref).astype(np.int64)  # the stay goes first for inpatients
    pos = offs[r] + rank + shift[r]

    patient = np.empty(total, dtype=np.int32)
    unit = np.empty(total, dtype=np.int32)
    kind = np.empty(total, dtype=np.int8)
    cost = np.empty(total, dtype=float)
    km = np.empty(total, dtype=float)
    out_ooa = np.zeros(total, dtype=bool)
    delayed = np.zeros(total, dtype=bool)

    patient[pos] = a + r
    unit[pos] = c
    is_move = ~is_ref[r]
    kind[pos] = np.where(is_move, MOVE, ADMIT)
    cost[pos] = w.km * dk + w.out_of_area * ooa[r, c] + fixed[c] + w.move * is_move
    km[pos] = dk
    out_ooa[pos] = ooa[r, c]

    # The extra option: stay (first) for inpatients, unplaced (last) for referrals.
    ex_rows = np.arange(rows)
    ex_pos = np.where(is_ref, offs[1:] - 1, offs[:-1])
    patient[ex_pos] = a + ex_rows
    dstay = np.zeros(rows)
    late = np.zeros(rows, dtype=bool)
    stay_ooa = np.zeros(rows, dtype=bool)
    stay_fixed = np.zeros(rows)
    if r_cur.size:
        cj = current[r_cur]
        dstay[r_cur] = stay_km[a + r_cur]
        late[r_cur] = ~compat[r_cur, cj]
        stay_ooa[r_cur] = ooa[r_cur, cj]
        stay_fixed[r_cur] = fixed[cj]
    unit[ex_pos] = np.where(is_ref, -1, current)
    kind[ex_pos] = np.where(is_ref, UNPLACED, STAY)
    stay_cost = w.km * dstay + w.out_of_area * stay_ooa + stay_fixed + w.delayed * late
    cost[ex_pos] = np.where(is_ref, w.unplaced * prio, stay_cost)
    km[ex_pos] = np.where(is_ref, np.nan, dstay)
    out_ooa[ex_pos] = stay_ooa & ~is_ref
    delayed[ex_pos] = late & ~is_ref
    return patient, unit, kind, cost, km, out_ooa, delayed


def cheapest_per_patient(costs: CostTable, k: int, kinds: tuple[int, ...] = (MOVE, ADMIT),
                         block: int = 1 << 22) -> np.ndarray:
    """Indices of the ``k`` cheapest options of the given kinds of every patient.

    Ties go to the lower option index (unit_id order). Works on blocks of whole patients so
    that a 100-million-option table is never sorted at once.
    """
    out = [np.zeros(0, dtype=np.int64)]
    p = 0
    while p < costs.n_patients:
        lo = int(costs.start[p])
        q = int(np.searchsorted(costs.start, lo + block, side="right")) - 1
        q = min(max(q, p + 1), costs.n_patients)
        hi = int(costs.start[q])
        # k passes of "each patient's cheapest left" (a segment minimum, its first
        # occurrence): linear in the options, where sorting them all is not.
        c = np.where(np.isin(costs.kind[lo:hi], kinds), costs.cost[lo:hi], np.inf)
        seg = (costs.start[p:q] - lo).astype(np.intp)
        owner = np.repeat(np.arange(q - p), np.diff(np.r_[seg, hi - lo]))
        picks, ranks = [], []
        for r in range(k):
            low = np.minimum.reduceat(c, seg)
            at = np.flatnonzero((c == low[owner]) & np.isfinite(c))
            if at.size == 0:
                break
            who = owner[at]
            at = at[np.r_[True, who[1:] != who[:-1]]]
            c[at] = np.inf
            picks.append(at + lo)
            ranks.append(np.full(at.size, r))
        if picks:
            idx, rank = np.concatenate(picks), np.concatenate(ranks)
            out.append(idx[np.lexsort((rank, costs.patient[idx]))])
        p = q
    return np.concatenate(out)
