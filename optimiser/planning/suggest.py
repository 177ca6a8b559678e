"""Suggesting a bed for one patient: ranked options and why each nearer unit is not one.

This is the bed manager's question ("where can R17 go tonight, and why not the ward down the
road?") answered for one patient at a time, fast enough for a long-lived service: only the
patient's own row of distances is computed unless moves are allowed.

Definitions (contract, "Suggesting a bed"):

* a **free bed tonight** in unit u: open beds minus the inpatients whose current_unit_id is u
  (for an inpatient considered for a move, their own bed frees up when they leave, which only
  matters as the end of a chain of moves);
* an **option** (``allow_moves=0``): a unit compatible with the patient
  (:func:`models.compatibility.is_compatible`), reachable from home, with a free bed, and not
  the inpatient's own current unit; ``cost`` is the patient's own placement term of the
  objective, ``w.km*d + w.out_of_area*[network differs] + w.cost*cost_per_day``; options are
  ranked by cost, ties by unit_id;
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
* **rejected**: every unit strictly nearer (by d(p,u)) than the first option that is not an
  option, nearest first, with every reason in plain words; when there is no option at all,
  every unit of the patient's service, nearest first (unreachable ones last);
* **notes** (not in the contract's JSON; the CLI prints them, on stderr with ``--json``):
  plain words for what the lists cannot say, e.g. that no unit of the instance offers the
  patient's service and level at all (then ``rejected`` may well be empty), or that an
  inline referral's home network is unknown.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from models.compatibility import compatibility_matrix, incompatibility_reasons
from models.domain import Instance, Patient, Unit
from models.errors import InputError, Problem
from optimiser.core.costs import placement_costs

log = logging.getLogger(__name__)

#: Digits kept in JSON for km and cost (1 m; well below anything a bed manager reads).
_DIGITS = 3

#: home_network_id of an inline referral whose collaborative is not given and cannot be
#: inferred (no unit of its service): every unit counts as out of area for it.
UNKNOWN_NETWORK = ""


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
    """A unit the patient can go to tonight (after ``moves``, if any)."""

    rank: int
    unit_id: str
    distance_km: float
    out_of_area: bool
    cost: float
    moves: tuple[Move, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
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
        """Exactly the contract's shape."""
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


def _reasons(patient: Patient, unit: Unit, km: float, occupied: int, *, is_current: bool,
             mode: str) -> tuple[str, ...]:
    reasons = list(incompatibility_reasons(patient, unit))
    if is_current:
        reasons.insert(0, "already in this unit")
    elif occupied >= unit.open_beds:
        reasons.append(capacity_reason(unit, occupied))
    if not math.isfinite(km):
        reasons.append("unreachable by road" if mode == "road" else "unreachable")
    return tuple(reasons)


# --------------------------------------------------------------------------- main


def find_patient(instance: Instance, patient: str | Patient) -> tuple[Patient, int | None]:
    """The patient and their row in ``instance.patients`` (None for a patient not in it)."""
    index = instance.patient_index()
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
    """Inpatients per unit tonight (by current_unit_id)."""
    counts = instance.occupancy()
    return np.array([counts[u.unit_id] for u in instance.units], dtype=np.int64)


def suggest(instance: Instance, patient: str | Patient, *, top: int = 5, allow_moves: int = 0,
            distances: np.ndarray | None = None) -> Suggestion:
    """Rank the units ``patient`` can go to tonight and explain the nearer ones that are not.

    ``patient`` is a patient_id of the instance or a :class:`Patient` (e.g. an inline
    referral not in patients.csv). ``distances`` is the instance's full km matrix (patients ×
    units) when the caller has it (a long-lived service); otherwise only the rows needed are
    computed. Unknown patient_id → :class:`InputError`.
    """
    if top < 0 or allow_moves < 0:
        raise InputError("--top and --allow-moves must be >= 0")
    p, row = find_patient(instance, patient)
    units = instance.units
    m = len(units)
    mode = instance.policy.distance
    if distances is not None and row is not None:
        km = np.asarray(distances, dtype=float)[row]
    else:
        km = patient_distances(instance, [p])[0] if m else np.zeros(0)
    own = placement_rows(instance, [p], km)[0]
    compat = compatibility_matrix([p], units)[0] if m else np.zeros(0, bool)
    occ = occupancy(instance)
    open_beds = np.array([u.open_beds for u in units], dtype=np.int64)
    free = open_beds - occ
    current = np.array([u.unit_id == p.current_unit_id for u in units], dtype=bool)
    if p.status != "inpatient":
        current[:] = False
    reachable = np.isfinite(km)
    base = compat & reachable & ~current
    options: list[tuple[float, str, int, tuple[Move, ...]]] = [
        (float(own[j]), units[j].unit_id, int(j), ()) for j in np.flatnonzero(base & (free > 0))]
    better = np.zeros(m, dtype=bool)  # full units worth freeing by a chain of moves
    if allow_moves > 0:
        best_free = min((o[0] for o in options), default=math.inf)
        better = base & (free == 0) & (own < best_free)
        chains = _best_chains(instance, p, better, free, allow_moves, distances)
        options += [(float(own[j]) + extra, units[j].unit_id, j, moves)
                    for j, (extra, moves) in chains.items()]
    options.sort(key=lambda o: (o[0], o[1]))
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
                           mode=mode)
                  + ((f"no chain of up to {allow_moves} moves frees a bed",)
                     if j in no_chain else ()))
        for j in listed)
    chosen = tuple(
        Option(rank=r, unit_id=uid, distance_km=float(km[j]),
               out_of_area=units[j].network_id != p.home_network_id, cost=cost, moves=moves)
        for r, (cost, uid, j, moves) in enumerate(options[:top], start=1))
    notes = list(offer_notes(p, units))
    if p.status == "inpatient" and not p.movable:
        notes.append(f"{p.patient_id} is marked not movable tonight")
    return Suggestion(p.patient_id, chosen, rejected, allow_moves, tuple(notes))


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


# --------------------------------------------------------------------------- chains


@dataclass(frozen=True, slots=True)
class _Hop:
    """Best single move out of one unit into each other unit (for the chain search)."""

    delta: np.ndarray  # (units,) cheapest objective change of moving someone out to each unit
    who: np.ndarray  # (units,) row in instance.patients of that someone (-1: nobody)


def _hops(instance: Instance, units: list[int], p_id: str,
          distances: np.ndarray | None) -> dict[int, _Hop]:
    """For each unit in ``units``: the cheapest move of one of its movable inpatients to
    every other unit (vectorised over the inpatients of all these units at once)."""
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
        km = np.asarray(distances, dtype=float)[movers]
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
    delta[~np.isfinite(before)] = np.inf  # an inpatient whose own unit is unreachable
    for j in units:
        sel = np.flatnonzero(home == j)
        if sel.size:
            best = np.argmin(delta[sel], axis=0)
            out[j] = _Hop(delta[sel][best, np.arange(m)], np.asarray(movers)[sel][best])
    return out


def _best_chains(instance: Instance, p: Patient, starts: np.ndarray,
                 free: np.ndarray, max_moves: int, distances: np.ndarray | None,
                 ) -> dict[int, tuple[float, tuple[Move, ...]]]:
    """Cheapest chain of ≤ ``max_moves`` moves freeing a bed in each start unit (exact).

    Search: for the units reachable in fewer than ``max_moves`` hops, the best single move
    out of each unit into each other unit (:func:`_hops`); then a bound ``f[h][v]`` = the
    cheapest *walk* of ≤ h hops from v to a free bed (a relaxation of a chain: walks may
    revisit units), and a depth-first search over chains with distinct units that drops any
    branch whose cost so far plus this bound cannot beat the best chain found. Each unit is
    left at most once in a chain, so its moved patients are distinct.
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
        hops.update(_hops(instance, new, p.patient_id, distances))
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


# --------------------------------------------------------------------------- inline referral

#: Keys an inline referral may give (patients.csv columns that make sense for a referral).
REFERRAL_KEYS: tuple[str, ...] = (
    "patient_id", "service", "level", "sex", "age", "needs", "home_lat", "home_lon",
    "home_postcode", "home_network_id", "priority", "excluded_units")
DEFAULT_REFERRAL_ID = "REFERRAL"


def parse_referral(spec: str, instance: Instance) -> Patient:
    """A referral given inline: ``service=adult_secure,level=medium,sex=male,age=34,
    home_postcode=LS9[,needs=ld;asd][,home_network_id=...][,patient_id=...]``.

    Values are checked exactly as a row of patients.csv would be (status is referral).
    Without ``home_network_id`` the collaborative is inferred as that of the unit of the same
    service and level nearest to home (geodesic; of the same service when no unit has that
    level) — give it explicitly when the patient's responsible collaborative is known. When
    the instance has no unit of the service at all it stays :data:`UNKNOWN_NETWORK`: the
    referral is still valid (the answer is "nothing here offers it", not an input error),
    and the network cannot change that answer since only units of the service are listed.
    Raises InputError naming ``--referral`` and the key, for malformed values only.
    """
    from models.readers import build_table
    from models.validation import PATIENT_COLUMNS, check_patients
    from optimiser.geography.geodesic import geodesic_km

    where = "--referral"
    problems: list[Problem] = []
    cells: dict[str, str] = {}
    for part in (s.strip() for s in spec.split(",")):
        if not part:
            continue
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if not eq:
            problems.append(Problem(where, None, None, f"{part!r} is not key=value"))
        elif key not in REFERRAL_KEYS:
            problems.append(Problem(where, None, key,
                                    f"unknown key (known: {', '.join(REFERRAL_KEYS)})"))
        elif key in cells:
            problems.append(Problem(where, None, key, "given twice"))
        else:
            cells[key] = value.strip()
    if problems:
        raise InputError(problems)
    pid = cells.setdefault("patient_id", DEFAULT_REFERRAL_ID) or DEFAULT_REFERRAL_ID
    if pid in instance.patient_index():
        raise InputError(Problem(where, None, "patient_id", f"{pid!r} is already in "
                                 f"patients.csv: use --patient {pid}, or another id"))
    unit_ids = frozenset(u.unit_id for u in instance.units)
    network_ids = frozenset(n.network_id for n in instance.networks) or None
    infer = not cells.get("home_network_id")
    if infer:  # a placeholder that passes the check; replaced below
        cells["home_network_id"] = min(network_ids) if network_ids else "unknown"
    cells["status"] = "referral"
    header = list(PATIENT_COLUMNS)
    table = build_table(where, [header, [cells.get(c, "") for c in header]], PATIENT_COLUMNS,
                        problems)
    patients = check_patients(table, problems, unit_ids, network_ids) if table else []
    if problems or not patients:
        raise InputError([Problem(where, None, p.column, p.message) for p in problems]
                         or [Problem(where, None, None, "cannot be read")])
    p = patients[0]
    if infer:
        candidates = [u for u in instance.units if u.service == p.service and u.level == p.level]
        candidates = candidates or [u for u in instance.units if u.service == p.service]
        if not candidates:
            log.info("referral %s: no %s unit to infer its home network from",
                     p.patient_id, p.service)
            return replace(p, home_network_id=UNKNOWN_NETWORK)
        km = geodesic_km(np.full(len(candidates), p.home_lat),
                         np.full(len(candidates), p.home_lon),
                         np.array([u.lat for u in candidates]),
                         np.array([u.lon for u in candidates]))
        order = sorted(range(len(candidates)), key=lambda k: (km[k], candidates[k].unit_id))
        p = replace(p, home_network_id=candidates[order[0]].network_id)
    return p


# --------------------------------------------------------------------------- text


def _km(x: float | None) -> str:
    return "unreachable" if x is None or not math.isfinite(x) else f"{x:,.1f} km"


def render_suggestion(s: Suggestion, instance: Instance, patient: Patient | None = None,
                      *, limit: int = 20) -> str:
    """The table a bed manager reads: options best first, then why not the nearer units
    (the first ``limit`` of them of the patient's service; the JSON lists every one)."""
    units = {u.unit_id: u for u in instance.units}
    lines: list[str] = []
    if patient is not None:
        needs = f", needs {';'.join(sorted(patient.needs))}" if patient.needs else ""
        where = f", now in {patient.current_unit_id}" if patient.current_unit_id else ""
        home = patient.home_network_id or "unknown"
        lines.append(f"{patient.patient_id}: {patient.status} for {patient.service} "
                     f"{patient.level}, {patient.sex}, {patient.age}{needs}; home network "
                     f"{home}{where}")
    else:
        lines.append(s.patient_id)
    lines += [f"note: {n}" for n in s.notes]
    w = max([4, *(len(o.unit_id) for o in s.options), *(len(r.unit_id) for r in s.rejected)])
    if s.options:
        lines.append("")
        lines.append(f"{'rank':>4}  {'unit':<{w}} {'name':<32} {'distance':>12}  "
                     f"{'network':<8} {'cost':>10}  moves")
        for o in s.options:
            u = units[o.unit_id]
            moves = "; ".join(f"{m.patient_id} {m.from_unit} -> {m.to_unit}"
                              for m in o.moves) or "-"
            net = "other" if o.out_of_area else "home"
            lines.append(f"{o.rank:>4}  {o.unit_id:<{w}} {u.name[:32]:<32} "
                         f"{_km(o.distance_km):>12}  {net:<8} {o.cost:>10,.1f}  {moves}")
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
        lines.append("Nearer units that are not possible:" if s.options
                     else "Every unit of this service, nearest first:")
        for r in shown:
            lines.append(f"  {r.unit_id:<{w}} {units[r.unit_id].name[:32]:<32} "
                         f"{_km(r.distance_km):>12}  {'; '.join(r.reasons)}")
        if more:
            lines.append(f"  (and {more} more of this service; --json lists them)")
        if hidden:
            lines.append(f"  (and {hidden} nearer unit{'s' if hidden > 1 else ''} of other "
                         "services; --json lists them)")
    return "\n".join(lines)
