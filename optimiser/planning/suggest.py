"""Suggesting a bed for one patient: ranked options and why each nearer unit is not one.

This is the bed manager's question ("where can R17 go tonight, and why not the ward down the
road?") answered for one patient at a time, fast enough for a long-lived service: only the
patient's own row of distances is computed unless moves are allowed.

Definitions (contract, "Suggesting a bed"):

* a **free bed tonight** in unit u: open beds minus the inpatients whose current_unit_id is u
  (for an inpatient considered for a move, their own bed frees up when they leave, which only
  matters as the end of a chain of moves);
* an **option** (``allow_moves=0``): a unit compatible with the patient
  (:func:`models.compatibility.is_compatible`: every ward rule, including contract 1.2's
  specialist-only and transfers-only wards), reachable from home, with a free bed, and not
  the inpatient's own current unit; ``cost`` is the patient's own placement term of the
  objective, ``w.km*d + w.out_of_area*[network differs] + w.cost*cost_per_day``; options are
  ranked by cost;
* **ties** (equal cost, to 1e-6; in practice the wards of one site, which share distance,
  collaborative and price) are broken by a rule a clinician can check, never by ward name:
  (1) fewer moves first (less disruption); (2) a specialist-only ward whose specialism the
  patient needs before a general ward: that ward exists for this need, and the general bed
  stays free for patients who can use no specialist ward; (3) more free beds tonight first:
  a ward with room absorbs a new patient more easily, spreads the night's admissions
  (``max_admissions_per_unit``), and keeps the last bed of a nearly full ward for an
  emergency; (4) unit_id, only so the order never changes between runs. The informational
  ward ``function`` never ranks (contract 1.2: it is words, not a rule);
* with ``allow_moves=M > 0`` a full unit u (exactly no free bed) that would suit the patient
  better than every free bed (a lower own placement cost: nearer, or in area) is also an
  option when a **chain** of at most M moves frees a bed in it: q1 leaves u for u1, q2
  leaves u1 for u2, …, and the last moved patient takes a free bed. Every q is a movable
  inpatient, every destination is compatible with, reachable for and not the current unit
  of the patient moving there, and the units of a chain are distinct. The option's
  ``cost`` is then the change in the whole objective: the patient's own placement term at
  u plus, for every moved patient, ``w.move`` + their placement term at the new unit − their
  term at the old one (− ``w.delayed`` when their stay there was delayed, i.e.
  incompatible). Measured this way an option without moves costs exactly its placement
  term, so both kinds rank together; the patient's own "before" (unplaced, or their current
  stay) is the same for every option and is left out. For each such unit the cheapest chain
  is found exactly by a depth-first search over chains of length ≤ M with a
  branch-and-bound on hop-bounded shortest paths (see :func:`_best_chains`). A tiny MIP
  would also be exact but costs a solver start per unit, whereas the search runs in
  milliseconds for the small M a bed manager asks about;
* **tonight's admission limit** (a bedplan extension, only when ``tonight`` is given and the
  policy sets ``max_admissions_per_unit`` = A): the inpatients whose ``admitted_on`` is
  ``tonight`` are the new patients each ward has taken tonight (the service records an
  accepted admission that way); a ward that has taken A of them is not an option, nor the
  destination of a move in a chain, and is listed with the reason "already took 2 new
  patients tonight (max_admissions_per_unit = 2)". Without ``tonight`` options are exactly
  the contract's, whatever the policy says;
* **rejected**: every unit strictly nearer (by d(p,u)) than the first option that is not an
  option, nearest first, with every reason in plain words; when there is no option at all,
  every unit of the patient's service, nearest first (unreachable ones last);
* **notes** (not in the contract's JSON; the CLI prints them, on stderr with ``--json``):
  plain words for what the lists cannot say, e.g. that no unit of the instance offers the
  patient's service and level at all (then ``rejected`` may well be empty), that an
  inline referral's home network is a stand-in, or that an option's chain needs more moves
  than the policy's ``max_moves`` allows in one night.

The JSON (:meth:`Suggestion.to_json_dict`) is exactly the contract's. The text for people
(:func:`render_suggestion`) shows what a bed manager needs at 2 a.m.: every ward name in
full, the provider type, the collaborative's name, free beds, the ward's function and the
patient's legal status.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from models.compatibility import (
    compatibility_matrix,
    incompatibility_reasons,
    ward_function_words,
)
from models.domain import Instance, Patient, Unit
from models.errors import InputError, Problem
from models.referral import UNKNOWN_NETWORK
from models.text import count, km
from optimiser.core.costs import placement_costs

#: Digits kept in JSON for km and cost (1 m; well below anything a bed manager reads).
_DIGITS = 3
#: Costs within this of each other are a tie (far below the 1 m of JSON's km).
_TIE = 1e-6


@dataclass(frozen=True, slots=True)
class Move:
    """One inpatient moved to make room: ``{"patient_id", "from", "to"}`` in JSON."""

    patient_id: str
    from_unit: str
    to_unit: str

    def to_json_dict(self) -> dict[str, str]:
        return {"patient_id": self.patient_id, "from": self.from_unit, "to": self.to_unit}


@dataclass(frozen=True, slots=True)
class Option:
    """A unit the patient can go to tonight (after ``moves``, if any); ``free_beds`` tonight
    (0 for a full unit freed by moves) is for the text and the tie rule, not the JSON."""

    rank: int
    unit_id: str
    distance_km: float
    out_of_area: bool
    cost: float
    moves: tuple[Move, ...] = ()
    free_beds: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        """The contract's keys, exactly."""
        return {"rank": self.rank, "unit_id": self.unit_id,
                "distance_km": round(self.distance_km, _DIGITS),
                "out_of_area": self.out_of_area, "cost": round(self.cost, _DIGITS),
                "moves": [m.to_json_dict() for m in self.moves]}


@dataclass(frozen=True, slots=True)
class Rejection:
    """A unit that is not an option, with every reason; distance None when unreachable."""

    unit_id: str
    distance_km: float | None
    reasons: tuple[str, ...]

    def to_json_dict(self) -> dict[str, Any]:
        km = None if self.distance_km is None else round(self.distance_km, _DIGITS)
        return {"unit_id": self.unit_id, "distance_km": km, "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The answer for one patient: top options (best first) and the nearer rejected units."""

    patient_id: str
    options: tuple[Option, ...]
    rejected: tuple[Rejection, ...]
    allow_moves: int = 0
    notes: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """Exactly the contract's shape (what a reader written against it expects)."""
        return {"patient_id": self.patient_id,
                "options": [o.to_json_dict() for o in self.options],
                "rejected": [r.to_json_dict() for r in self.rejected]}


# --------------------------------------------------------------------------- costs


def patient_distances(instance: Instance, patients: Sequence[Patient],
                      mode: str | None = None) -> np.ndarray:
    """km from these patients' homes to every unit (rows in the given order).

    Computes only these rows: the sub-instance holds just these patients, so a road
    distance costs one shortest-path search from each distinct home, not the whole matrix.
    """
    from optimiser.geography.distances import distance_matrix

    if not patients:
        return np.zeros((0, len(instance.units)))
    return distance_matrix(replace(instance, patients=tuple(patients)), mode)


def placement_rows(instance: Instance, patients: Sequence[Patient],
                   km: np.ndarray) -> np.ndarray:
    """The per-placement objective term for each (patient, unit); inf where unreachable."""
    km = np.asarray(km, dtype=float).reshape(len(patients), len(instance.units))
    return placement_costs(replace(instance, patients=tuple(patients)), km)


# --------------------------------------------------------------------------- reasons


def capacity_reason(unit: Unit, occupied: int) -> str:
    """Plain words for a unit with no free bed tonight."""
    open_beds = unit.open_beds
    if open_beds <= 0:
        closed = f" ({unit.beds_closed} of {unit.beds} closed)" if unit.beds else ""
        return f"no free bed: no open beds{closed}"
    closed = f", {unit.beds_closed} closed" if unit.beds_closed else ""
    if occupied > open_beds:
        return f"no free bed: {occupied} patients in {open_beds} open beds{closed}"
    return f"no free bed: {occupied} of {open_beds} open beds taken{closed}"


def limit_reason(arrived: int, limit: int) -> str:
    """Plain words for a ward stopped by tonight's admission limit."""
    if limit == 0:
        return "no new patients tonight: max_admissions_per_unit = 0"
    return (f"already took {count(arrived, 'new patient')} tonight "
            f"(max_admissions_per_unit = {limit})")


def _reasons(patient: Patient, unit: Unit, km: float, occupied: int, *, is_current: bool,
             mode: str, arrived: int | None, limit: int | None) -> tuple[str, ...]:
    reasons = list(incompatibility_reasons(patient, unit))
    if is_current:
        reasons.insert(0, "already in this unit")
    else:
        if occupied >= unit.open_beds:
            reasons.append(capacity_reason(unit, occupied))
        if arrived is not None and limit is not None and arrived >= limit:
            reasons.append(limit_reason(arrived, limit))
    if not math.isfinite(km):
        reasons.append("unreachable by road" if mode == "road" else "unreachable")
    return tuple(reasons)


# --------------------------------------------------------------------------- main


@dataclass(frozen=True, slots=True)
class _Census:
    """What every suggestion on one census reads: where each patient is in
    ``instance.patients`` and the inpatients per unit. Kept for the last few censuses (a
    service asks many questions of one), recognised by the identity of their patients and
    units tuples, which it holds so those identities stay valid."""

    patients: tuple[Patient, ...]
    units: tuple[Unit, ...]
    index: dict[str, int]
    occupancy: np.ndarray


_CENSUSES: list[_Census] = []
_CENSUSES_KEPT = 4


def _census(instance: Instance) -> _Census:
    for c in _CENSUSES:
        if c.patients is instance.patients and c.units is instance.units:
            return c
    unit_pos = instance.unit_index()
    occ = np.zeros(len(instance.units), dtype=np.int64)
    for p in instance.patients:
        j = unit_pos.get(p.current_unit_id or "") if p.status == "inpatient" else None
        if j is not None:
            occ[j] += 1
    occ.flags.writeable = False
    c = _Census(instance.patients, instance.units, instance.patient_index(), occ)
    _CENSUSES.insert(0, c)
    del _CENSUSES[_CENSUSES_KEPT:]
    return c


def find_patient(instance: Instance, patient: str | Patient) -> tuple[Patient, int | None]:
    """The patient and their row in ``instance.patients`` (None for a patient not in it)."""
    index = _census(instance).index
    if isinstance(patient, Patient):
        i = index.get(patient.patient_id)
        return patient, (i if i is not None and instance.patients[i] == patient else None)
    i = index.get(patient)
    if i is None:
        raise InputError(Problem("--patient", None, None,
                                 f"no patient {patient!r} in {instance.source or 'the instance'}"
                                 " (patient_id must name a row of patients.csv)"))
    return instance.patients[i], i


def occupancy(instance: Instance) -> np.ndarray:
    """Inpatients per unit tonight (by current_unit_id); read-only."""
    return _census(instance).occupancy


def arrivals_on(instance: Instance, night: date) -> np.ndarray:
    """Inpatients per unit whose ``admitted_on`` is ``night``: the ward's new patients
    tonight, as the service records an accepted admission."""
    index = instance.unit_index()
    out = np.zeros(len(instance.units), dtype=np.int64)
    for p in instance.patients:
        if not p.is_referral and p.admitted_on == night and p.current_unit_id in index:
            out[index[p.current_unit_id]] += 1
    return out


def specialist_match(patient: Patient, units: Sequence[Unit]) -> np.ndarray:
    """True where a unit is specialist-only and offers one of the patient's needs (the tie
    rule's "ward that exists for this need")."""
    return np.array([u.specialist_only and bool(patient.needs & u.specialisms) for u in units],
                    dtype=bool)


def suggest(instance: Instance, patient: str | Patient, *, top: int = 5, allow_moves: int = 0,
            distances: np.ndarray | None = None, tonight: date | None = None,
            notes: Sequence[str] = ()) -> Suggestion:
    """Rank the units ``patient`` can go to tonight and explain the nearer ones that are not.

    ``patient`` is a patient_id of the instance or a :class:`Patient` (e.g. an inline
    referral not in patients.csv). ``distances`` is the instance's full km matrix (patients ×
    units), or anything indexed like it (``d[i]`` a row, ``d[rows]`` rows), when the caller
    has it (a long-lived service); otherwise only the rows needed are computed.
    ``tonight``: apply ``max_admissions_per_unit`` to the wards' admissions of that date
    (module docstring). ``notes`` are the caller's own (e.g. how an inline referral's
    collaborative was found), listed first. Unknown patient_id → :class:`InputError`.
    """
    if top < 0 or allow_moves < 0:
        raise InputError("--top and --allow-moves must be >= 0")
    p, row = find_patient(instance, patient)
    units = instance.units
    m = len(units)
    mode = instance.policy.distance
    if distances is not None and row is not None:
        km = np.asarray(distances[row], dtype=float)
    else:
        km = patient_distances(instance, [p])[0] if m else np.zeros(0)
    own = placement_rows(instance, [p], km)[0]
    compat = compatibility_matrix([p], units)[0] if m else np.zeros(0, bool)
    occ = occupancy(instance)
    open_beds = np.array([u.open_beds for u in units], dtype=np.int64)
    free = open_beds - occ
    limit = instance.policy.limits.max_admissions_per_unit if tonight is not None else None
    arrived = None if limit is None or tonight is None else arrivals_on(instance, tonight)
    capped = np.zeros(m, dtype=bool) if arrived is None or limit is None else arrived >= limit
    current = np.array([u.unit_id == p.current_unit_id for u in units], dtype=bool)
    if p.status != "inpatient":
        current[:] = False
    reachable = np.isfinite(km)
    base = compat & reachable & ~current & ~capped
    options: list[tuple[float, str, int, tuple[Move, ...]]] = [
        (float(own[j]), units[j].unit_id, int(j), ()) for j in np.flatnonzero(base & (free > 0))]
    better = np.zeros(m, dtype=bool)  # full units worth freeing by a chain of moves
    if allow_moves > 0:
        best_free = min((o[0] for o in options), default=math.inf)
        better = base & (free == 0) & (own < best_free)
        chains = _best_chains(instance, p, better, free, allow_moves, distances, capped)
        options += [(float(own[j]) + extra, units[j].unit_id, j, moves)
                    for j, (extra, moves) in chains.items()]
    fits = specialist_match(p, units)
    options.sort(key=lambda o: (round(o[0] / _TIE), len(o[3]), not fits[o[2]], -free[o[2]],
                                o[1]))
    option_units = {o[2] for o in options}
    no_chain = set(np.flatnonzero(better).tolist()) - option_units

    if options:
        first_km = float(km[options[0][2]])
        listed = [j for j in range(m) if km[j] < first_km and j not in option_units]
    else:
        listed = [j for j in range(m) if units[j].service == p.service]
    listed.sort(key=lambda j: (float(km[j]), units[j].unit_id))
    rejected = tuple(
        Rejection(units[j].unit_id, float(km[j]) if reachable[j] else None,
                  _reasons(p, units[j], float(km[j]), int(occ[j]), is_current=bool(current[j]),
                           mode=mode, arrived=None if arrived is None else int(arrived[j]),
                           limit=limit)
                  + ((f"no chain of up to {allow_moves} moves frees a bed",)
                     if j in no_chain else ()))
        for j in listed)
    chosen = tuple(
        Option(rank=r, unit_id=uid, distance_km=float(km[j]),
               out_of_area=units[j].network_id != p.home_network_id, cost=cost, moves=moves,
               free_beds=max(int(free[j]), 0))
        for r, (cost, uid, j, moves) in enumerate(options[:top], start=1))
    all_notes = [*notes, *offer_notes(p, units)]
    if p.status == "inpatient" and not p.movable:
        all_notes.append(f"{p.patient_id} is marked not movable tonight")
    if tonight is None and instance.policy.limits.max_admissions_per_unit == 0:
        all_notes.append("max_admissions_per_unit = 0: tonight's plan takes no new patient "
                         "into any ward")
    all_notes += budget_notes(p, chosen, instance.policy.limits.max_moves)
    return Suggestion(p.patient_id, chosen, rejected, allow_moves, tuple(all_notes))


def offer_notes(p: Patient, units: Sequence[Unit]) -> tuple[str, ...]:
    """Plain words when the instance has no unit of the patient's service (and level) at
    all, so an empty answer is not mistaken for full wards; and when the home network is
    unknown (an inline referral with nothing to infer it from)."""
    notes: list[str] = []
    if not any(u.service == p.service for u in units):
        notes.append(f"no unit in this instance offers {p.service} at all")
    elif not any(u.service == p.service and u.level == p.level for u in units):
        notes.append(f"no unit in this instance offers {p.service}/{p.level}")
    if p.home_network_id == UNKNOWN_NETWORK:
        notes.append(f"home network unknown: no {p.service} unit to infer it from")
    return tuple(notes)


def budget_notes(p: Patient, options: Sequence[Option], max_moves: int | None
                 ) -> tuple[str, ...]:
    """A note for each option whose moves (and the patient's own, for an inpatient) exceed
    the policy's nightly ``max_moves``: the contract lets ``--allow-moves`` ask for them, but
    a bed manager should know tonight's plan could not carry them out."""
    if max_moves is None:
        return ()
    own = 1 if p.status == "inpatient" else 0
    return tuple(
        f"option {o.rank} ({o.unit_id}) needs {count(len(o.moves) + own, 'move')} tonight, "
        f"more than max_moves = {max_moves}"
        for o in options if o.moves and len(o.moves) + own > max_moves)


# --------------------------------------------------------------------------- chains


@dataclass(frozen=True, slots=True)
class _Hop:
    """Best single move out of one unit into each other unit (for the chain search)."""

    delta: np.ndarray  # (units,) cheapest objective change of moving someone out to each unit
    who: np.ndarray  # (units,) row in instance.patients of that someone (-1: nobody)


def _hops(instance: Instance, units: list[int], p_id: str,
          distances: np.ndarray | None, closed: np.ndarray) -> dict[int, _Hop]:
    """For each unit in ``units``: the cheapest move of one of its movable inpatients to
    every other unit (vectorised over the inpatients of all these units at once); none into
    a ``closed`` unit (tonight's admission limit reached)."""
    uid = {u.unit_id: j for j, u in enumerate(instance.units)}
    wanted = set(units)
    movers = [i for i, q in enumerate(instance.patients)
              if q.status == "inpatient" and q.movable and q.patient_id != p_id
              and uid.get(q.current_unit_id or "") in wanted]
    m = len(instance.units)
    out = {j: _Hop(np.full(m, np.inf), np.full(m, -1, dtype=np.int64)) for j in units}
    if not movers:
        return out
    qs = [instance.patients[i] for i in movers]
    if distances is not None:
        km = np.asarray(distances[movers], dtype=float)
    else:
        km = patient_distances(instance, qs)
    cost = placement_rows(instance, qs, km)
    compat = compatibility_matrix(qs, instance.units)
    w = instance.policy.weights
    home = np.array([uid[q.current_unit_id or ""] for q in qs])
    rows = np.arange(len(qs))
    before = cost[rows, home] + np.where(compat[rows, home], 0.0, w.delayed)
    delta = cost + w.move - before[:, None]
    delta[~compat | ~np.isfinite(cost)] = np.inf
    delta[rows, home] = np.inf
    delta[:, closed] = np.inf
    delta[~np.isfinite(before)] = np.inf  # an inpatient whose own unit is unreachable
    for j in units:
        sel = np.flatnonzero(home == j)
        if sel.size:
            best = np.argmin(delta[sel], axis=0)
            out[j] = _Hop(delta[sel][best, np.arange(m)], np.asarray(movers)[sel][best])
    return out


def _best_chains(instance: Instance, p: Patient, starts: np.ndarray,
                 free: np.ndarray, max_moves: int, distances: np.ndarray | None,
                 closed: np.ndarray) -> dict[int, tuple[float, tuple[Move, ...]]]:
    """Cheapest chain of ≤ ``max_moves`` moves freeing a bed in each start unit (exact).

    Search: for the units reachable in fewer than ``max_moves`` hops, the best single move
    out of each unit into each other unit (:func:`_hops`); then a bound ``f[h][v]`` = the
    cheapest *walk* of ≤ h hops from v to a free bed (a relaxation of a chain: walks may
    revisit units), and a depth-first search over chains with distinct units that drops any
    branch whose cost so far plus this bound cannot beat the best chain found. Each unit is
    left at most once in a chain, so its moved patients are distinct. No move goes into a
    ``closed`` unit (tonight's admission limit reached).
    """
    units = instance.units
    m = len(units)
    free_eff = free.copy()
    if p.status == "inpatient" and p.current_unit_id is not None:
        j = instance.unit_index().get(p.current_unit_id)
        if j is not None:
            free_eff[j] += 1  # their bed is free once they leave: a swap ends there
    full = free_eff == 0
    terminal = free_eff > 0
    start_units = [int(j) for j in np.flatnonzero(starts & full)]
    if not start_units:
        return {}
    hops: dict[int, _Hop] = {}
    frontier = start_units
    for depth in range(max_moves):
        new = [j for j in frontier if j not in hops]
        hops.update(_hops(instance, new, p.patient_id, distances, closed))
        if depth == max_moves - 1:
            break
        nxt: set[int] = set()
        for j in new:
            nxt.update(int(x) for x in np.flatnonzero(np.isfinite(hops[j].delta) & full))
        frontier = sorted(nxt)
    nodes = sorted(hops)
    pos = {j: k for k, j in enumerate(nodes)}
    wmat = np.vstack([hops[j].delta for j in nodes])  # (nodes, units)
    # bound[h][x]: cheapest walk from full unit x to a free bed in ≤ h hops (0 at a free bed).
    bound = [np.where(terminal, 0.0, np.inf)]
    for _ in range(max_moves):
        prev = bound[-1]
        f = np.full(m, np.inf)
        f[nodes] = np.min(wmat + prev[None, :], axis=1) if m else np.inf
        bound.append(np.where(terminal, 0.0, f))

    result: dict[int, tuple[float, tuple[Move, ...]]] = {}
    for s in start_units:
        best_cost = math.inf
        best_path: list[tuple[int, int, int]] = []

        def dfs(v: int, left: int, so_far: float, path: list[tuple[int, int, int]],
                seen: set[int]) -> None:
            nonlocal best_cost, best_path
            delta = wmat[pos[v]]
            est = delta + bound[left - 1]
            for x in np.argsort(est, kind="stable"):
                x = int(x)
                if not so_far + est[x] < best_cost - 1e-9:
                    return
                step = (v, x, int(hops[v].who[x]))
                if terminal[x]:
                    best_cost, best_path = so_far + float(delta[x]), [*path, step]
                elif left > 1 and x in pos and x not in seen:
                    seen.add(x)
                    dfs(x, left - 1, so_far + float(delta[x]), [*path, step], seen)
                    seen.discard(x)

        dfs(s, max_moves, 0.0, [], {s})
        if best_path:
            moves = tuple(Move(instance.patients[q].patient_id, units[a].unit_id,
                               units[b].unit_id) for a, b, q in best_path)
            result[s] = (best_cost, moves)
    return result


# --------------------------------------------------------------------------- text

_PROVIDER_TYPES = {"nhs": "NHS", "independent": "independent sector"}


def _network(network_id: str, names: dict[str, str]) -> str:
    if not network_id:
        return "unknown"
    name = names.get(network_id, "")
    return f"{name} ({network_id})" if name else network_id


def _patient_lines(p: Patient, names: dict[str, str]) -> list[str]:
    needs = f", needs {';'.join(sorted(p.needs))}" if p.needs else ""
    where = f", now in {p.current_unit_id}" if p.current_unit_id else ""
    legal = p.legal_status or "not recorded"
    return [f"{p.patient_id}: {p.status} for {p.service} {p.level}, {p.sex}, {p.age}{needs}"
            f"{where}; legal status {legal}",
            f"home collaborative: {_network(p.home_network_id, names)}"]


def _ward_kind(u: Unit) -> str:
    """``medium secure``, ``CAMHS PICU``, ``CAMHS low secure``, ``eating disorder``."""
    if u.service == "adult_secure":
        return f"{u.level} secure"
    if u.service == "camhs":
        return "CAMHS " + {"picu": "PICU", "general": "general"}.get(u.level,
                                                                    f"{u.level} secure")
    return "eating disorder"


def _option_lines(o: Option, u: Unit, names: dict[str, str]) -> list[str]:
    where = "out of area" if o.out_of_area else "the patient's own"
    free = count(o.free_beds, "free bed") if not o.moves else "full tonight"
    kind = f"{_ward_kind(u)}, {u.sex}"
    function = ward_function_words(u)
    provider = _PROVIDER_TYPES.get(u.provider_type, "provider type not recorded")
    lines = [f"{o.rank:>3}. {o.unit_id}" + (f": {u.name}" if u.name else ""),
             f"     {km(o.distance_km)}, cost {o.cost:,.1f}, {free}; {kind}"
             + (f"; {function}" if function else ""),
             f"     {provider}" + (f": {u.provider}" if u.provider else "")
             + f"; collaborative {_network(u.network_id, names)}, {where}"]
    if o.moves:
        lines.append("     moves first: " + "; ".join(
            f"{m.patient_id} from {m.from_unit} to {m.to_unit}" for m in o.moves))
    return lines


def render_suggestion(s: Suggestion, instance: Instance, patient: Patient | None = None,
                      *, limit: int = 20) -> str:
    """The text a bed manager reads: options best first, each with its full name, provider
    type and collaborative; then why not the nearer units (the first ``limit`` of them of
    the patient's service; the JSON lists every one). Nothing is cut to fit a column."""
    units = {u.unit_id: u for u in instance.units}
    names = {n.network_id: n.name for n in instance.networks}
    lines = _patient_lines(patient, names) if patient is not None else [s.patient_id]
    lines += [f"note: {n}" for n in s.notes]
    if s.options:
        lines += ["", "Options, best first (cost = km + out-of-area penalty + bed cost; "
                  "ties: fewer moves, specialist ward for the need, more free beds):"]
        for o in s.options:
            lines += _option_lines(o, units[o.unit_id], names)
    else:
        lines += ["", "No unit can take this patient tonight"
                  + (f" (even with up to {s.allow_moves} moves)." if s.allow_moves else ".")]
    if s.rejected:
        shown = [r for r in s.rejected if units[r.unit_id].service == (
            patient.service if patient else units[r.unit_id].service)]
        more = max(0, len(shown) - limit)
        hidden = len(s.rejected) - len(shown)
        shown = shown[:limit]
        lines.append("")
        if not shown:
            lines.append(f"No nearer unit of this service; {hidden} nearer unit"
                         f"{'s' if hidden > 1 else ''} of other services (--json lists "
                         f"{'them' if hidden > 1 else 'it'}).")
            return "\n".join(lines)
        lines.append("Nearer units that are not possible, nearest first:" if s.options
                     else "Every unit of this service, nearest first:")
        for r in shown:
            name = units[r.unit_id].name
            lines.append(f"  - {r.unit_id}" + (f": {name}" if name else "")
                         + f", {km(r.distance_km)}")
            lines.append(f"      {'; '.join(r.reasons)}")
        if more:
            lines.append(f"  (and {more} more of this service; --json lists them)")
        if hidden:
            lines.append(f"  (and {hidden} nearer unit{'s' if hidden > 1 else ''} of other "
                         f"services; --json lists {'them' if hidden > 1 else 'it'})")
    return "\n".join(lines)
