"""The transfer plan: a solved allocation as steps a ward can follow tonight.

A solution says where everyone ends up, not in which order to get there. Starting from
tonight's occupancy (every inpatient in their current unit), each ``move`` step takes one
patient into a unit that has a free bed *at that step*; moving them frees their old bed,
which may let the next move happen. Admissions of referrals come after all moves: by then
every unit holds at most its final occupancy minus its admissions, so each admission has a
bed.

When no pending move has a free bed, the remaining moves contain a cycle (a swap, or A→B→C→A
with every ward full): a bed can only appear if someone leaves first. The plan breaks each
such cycle with one ``temporary`` step — the patient with the smallest id in the cycle goes
to a temporary bed (or the whole cycle is done as a simultaneous transfer) — and that
patient's ``move`` into their new unit follows once a bed is free. Every step of the cycle
carries its cycle number so the ward can see what belongs together.

Order is deterministic: among the moves that can happen, the smallest patient_id goes
first; admissions are listed by patient_id.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from models.domain import Instance
from optimiser.core.result import Result
from optimiser.geography.distances import KmTable, km_of_pairs

MOVE, ADMIT, TEMPORARY = "move", "admit", "temporary"
TRANSFER_COLUMNS: tuple[str, ...] = (
    "step", "patient_id", "kind", "from_unit_id", "to_unit_id", "km_before", "km_after",
    "km_closer", "cycle", "needs",
)


@dataclass(frozen=True, slots=True)
class TransferStep:
    """One line of transfers.csv.

    ``kind`` is ``move`` (into a free bed), ``admit`` (a referral into a free bed) or
    ``temporary`` (out of ``from_unit_id`` into a temporary bed, to break a cycle; the
    patient's ``move`` follows later). ``km_closer`` is how much nearer home the patient is
    after the move (negative: further away); ``cycle`` numbers the cycle a step belongs to.
    """

    step: int
    patient_id: str
    kind: str
    from_unit_id: str | None
    to_unit_id: str | None
    km_before: float | None = None
    km_after: float | None = None
    km_closer: float | None = None
    cycle: int | None = None
    needs: str = ""


@dataclass(slots=True)
class _Move:
    patient_id: str
    source: str  # the unit the patient leaves (their current unit)
    target: str
    in_temporary: bool = False
    cycle: int | None = None


class PlanError(ValueError):
    """The allocation cannot be reached bed by bed (it exceeds some unit's open beds)."""


def transfer_plan(instance: Instance, result: Result,
                  distances: KmTable | None = None) -> list[TransferStep]:
    """Order the moves and admissions of ``result`` into steps that never overfill a unit.

    ``distances`` (patients × units km, as :func:`optimiser.geography.distances.distance_matrix`
    returns for ``instance``) fills ``km_before``/``km_closer``; without it only ``km_after``
    is known (from the assignments). Raises :class:`PlanError` when the allocation puts more
    patients in a unit than it has open beds. Empty when the result has no plan.
    """
    if not result.has_plan:
        return []
    p_index = instance.patient_index()
    u_index = instance.unit_index()
    occupied = instance.occupancy()
    free: dict[str, int] = {u.unit_id: u.open_beds - occupied[u.unit_id]
                            for u in instance.units}

    moves: dict[str, _Move] = {}
    admissions: list[tuple[str, str]] = []
    km_after: dict[str, float | None] = {}
    for a in result.assignments:
        if a.action == MOVE and a.unit_id and a.current_unit_id:
            moves[a.patient_id] = _Move(a.patient_id, a.current_unit_id, a.unit_id)
        elif a.action == ADMIT and a.unit_id:
            admissions.append((a.patient_id, a.unit_id))
        else:
            continue
        km_after[a.patient_id] = a.distance_km

    asked = [(m.patient_id, uid) for m in moves.values() for uid in (m.source, m.target)]
    asked += admissions
    lookup = dict(zip(asked, km_of_pairs(
        distances, [(p_index.get(pid), u_index.get(uid)) for pid, uid in asked]),
        strict=True))

    def distance_to(pid: str, uid: str) -> float | None:
        return lookup.get((pid, uid))

    def after(pid: str, uid: str) -> float | None:
        known = distance_to(pid, uid)
        return known if known is not None else km_after.get(pid)

    steps: list[TransferStep] = []

    def emit_move(m: _Move) -> None:
        before = distance_to(m.patient_id, m.source)
        new = after(m.patient_id, m.target)
        closer = before - new if before is not None and new is not None else None
        note = f"from temporary bed (cycle {m.cycle})" if m.in_temporary else ""
        steps.append(TransferStep(len(steps) + 1, m.patient_id, MOVE, m.source, m.target,
                                  before, new, closer, m.cycle, note))

    # Moves wait in ``parked[unit]`` until the unit has a free bed; ``ready`` holds moves
    # worth trying now. Each freed bed releases at most one parked move, so the loop is
    # O(moves log moves) even for thousands of moves.
    ready: list[str] = sorted(moves)
    heapq.heapify(ready)
    parked: dict[str, list[str]] = defaultdict(list)
    leaving: dict[str, set[str]] = defaultdict(set)  # unit → pending movers still in it
    for m in moves.values():
        leaving[m.source].add(m.patient_id)
    pending = set(moves)
    cycles = 0

    def bed_freed(unit: str) -> None:
        free[unit] += 1
        if parked[unit]:
            heapq.heappush(ready, heapq.heappop(parked[unit]))

    while pending:
        while ready:
            pid = heapq.heappop(ready)
            m = moves[pid]
            if free[m.target] <= 0:
                heapq.heappush(parked[m.target], pid)
                continue
            free[m.target] -= 1
            pending.discard(pid)
            emit_move(m)
            if not m.in_temporary:
                leaving[m.source].discard(pid)
                bed_freed(m.source)
        stuck = [u for u, waiting in parked.items() if waiting and free[u] > 0]
        if stuck:  # defensive: a free bed with a parked mover is never a cycle
            for unit in stuck:
                heapq.heappush(ready, heapq.heappop(parked[unit]))
            continue
        if pending:
            cycles += 1
            chosen = _break_cycle(moves, pending, leaving, cycles)
            m = moves[chosen]
            cycle_ids = [pid for pid in pending if moves[pid].cycle == cycles]
            others = ", ".join(sorted(set(cycle_ids) - {chosen}))
            steps.append(TransferStep(
                len(steps) + 1, chosen, TEMPORARY, m.source, None, cycle=cycles,
                needs=(f"temporary bed: cycle {cycles} with {others} has no free bed; "
                       "or transfer the cycle simultaneously"),
            ))
            m.in_temporary = True
            leaving[m.source].discard(chosen)
            bed_freed(m.source)

    for pid, uid in sorted(admissions):
        if free[uid] <= 0:
            raise PlanError(f"unit {uid} has no free bed for admission of {pid}")
        free[uid] -= 1
        steps.append(TransferStep(len(steps) + 1, pid, ADMIT, None, uid, None,
                                  after(pid, uid), None, None, ""))
    return steps


def _break_cycle(moves: dict[str, _Move], pending: set[str], leaving: dict[str, set[str]],
                 number: int) -> str:
    """Find a cycle among pending moves, mark it ``number``, return who takes the temp bed.

    Every pending move targets a full unit; as the allocation fits, a full unit that still
    receives someone must also lose someone, so following "a mover out of the target"
    always continues and eventually revisits a unit.
    """
    start = min(pending)
    path: list[str] = []
    seen_units: dict[str, int] = {}
    pid = start
    while True:
        unit = moves[pid].source if not moves[pid].in_temporary else None
        if unit is not None:
            if unit in seen_units:
                cycle = path[seen_units[unit]:]
                break
            seen_units[unit] = len(path)
        path.append(pid)
        target = moves[pid].target
        out = [q for q in leaving[target] if q in pending]
        if not out:
            raise PlanError(f"unit {target} would exceed its open beds")
        pid = min(out)
    for q in cycle:
        moves[q].cycle = number
    return min(cycle)


def replay(instance: Instance, steps: Sequence[TransferStep]) -> dict[str, int]:
    """Apply the steps to tonight's occupancy; the occupancy per unit after the plan.

    Raises :class:`PlanError` at the first step that puts a patient into a unit without a
    free bed (temporary beds are not units). Used by tests and as a self-check.
    """
    open_beds = {u.unit_id: u.open_beds for u in instance.units}
    occupancy = instance.occupancy()
    in_temporary: set[str] = set()
    for s in steps:
        if s.kind == TEMPORARY:
            occupancy[s.from_unit_id or ""] -= 1
            in_temporary.add(s.patient_id)
            continue
        if s.to_unit_id is None:
            raise PlanError(f"step {s.step} has no destination")
        if occupancy[s.to_unit_id] >= open_beds[s.to_unit_id]:
            raise PlanError(f"step {s.step}: unit {s.to_unit_id} has no free bed")
        occupancy[s.to_unit_id] += 1
        if s.kind == MOVE:
            if s.patient_id in in_temporary:
                in_temporary.discard(s.patient_id)
            else:
                occupancy[s.from_unit_id or ""] -= 1
    if in_temporary:
        raise PlanError(f"left in a temporary bed: {', '.join(sorted(in_temporary))}")
    return occupancy
