"""The one-screen result of a run, as plain data and as text.

What a bed manager wants to see in the morning: how many were placed, how many moved, how
many people came back into their own collaborative, how many km closer to home they are, and
how out-of-area placements changed. Computed from the instance, the result and the distance
matrix; nothing here needs the solver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from models.domain import Instance
from models.text import count, number
from optimiser.core.result import Assignment, Result
from optimiser.geography.distances import KmTable, km_of_pairs
from optimiser.planning.money import Spend, spend, spend_tonight


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Headline numbers of a run (inpatients "before" = where they are tonight)."""

    status: str
    patients: int
    inpatients: int
    referrals: int
    placed: int = 0
    unplaced: int = 0
    moves: int = 0
    admitted: int = 0
    brought_home: int = 0  # inpatients out of area tonight, in their own collaborative after
    sent_away: int = 0  # inpatients in area tonight, out of area after
    km_saved: float = 0.0  # sum over inpatients of km before - km after
    out_of_area_before: int = 0  # inpatients placed outside their home network tonight
    out_of_area_after: int = 0  # placed patients (inpatients and admissions) outside it after
    delayed: int = 0
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    method: str = ""
    solver: str = ""
    transfers: int = 0  # steps of the transfer plan
    cycles: int = 0  # cycles needing a temporary bed or a simultaneous transfer
    diagnosis: tuple[str, ...] = ()
    spend_before: Spend = field(default_factory=Spend)  # tonight's inpatients where they are
    spend_after: Spend | None = None  # the same inpatients after the plan


def summarise(instance: Instance, result: Result, distances: KmTable | None = None,
              *, transfers: int = 0, cycles: int = 0) -> RunSummary:
    """Headline numbers for ``result`` (km saved needs ``distances``, else it is 0)."""
    unit_net = {u.unit_id: u.network_id for u in instance.units}
    u_index = instance.unit_index()
    inpatients = [p for p in instance.patients if not p.is_referral]
    base = RunSummary(
        status=result.status, patients=len(instance.patients), inpatients=len(inpatients),
        referrals=len(instance.patients) - len(inpatients), seconds=result.seconds,
        method=result.method, solver=result.solver, diagnosis=result.diagnosis,
        out_of_area_before=sum(unit_net.get(p.current_unit_id or "") != p.home_network_id
                               for p in inpatients),
        spend_before=spend_tonight(instance),
    )
    if not result.has_plan:
        return base
    outcome = {a.patient_id: a for a in result.assignments}
    brought_home = sent_away = 0
    moved: list[tuple[int, int, int]] = []  # (patient, unit before, unit after)
    for i, p in enumerate(instance.patients):
        a = outcome.get(p.patient_id)
        if p.is_referral or a is None or a.unit_id is None or p.current_unit_id is None:
            continue
        was_home = unit_net.get(p.current_unit_id) == p.home_network_id
        is_home = unit_net.get(a.unit_id) == p.home_network_id
        brought_home += (not was_home) and is_home
        sent_away += was_home and not is_home
        if distances is not None and a.unit_id != p.current_unit_id:
            moved.append((i, u_index[p.current_unit_id], u_index[a.unit_id]))
    km_saved = 0.0
    befores = km_of_pairs(distances, [(i, was) for i, was, _ in moved])
    afters = km_of_pairs(distances, [(i, now) for i, _, now in moved])
    for before, after in zip(befores, afters, strict=True):
        if before is not None and after is not None:
            km_saved += before - after
    placed = [a for a in result.assignments if a.unit_id is not None]
    return RunSummary(
        status=base.status, patients=base.patients, inpatients=base.inpatients,
        referrals=base.referrals, placed=len(placed),
        unplaced=len(result.assignments) - len(placed),
        moves=sum(a.action == "move" for a in result.assignments),
        admitted=sum(a.action == "admit" for a in result.assignments),
        brought_home=brought_home, sent_away=sent_away, km_saved=km_saved,
        out_of_area_before=base.out_of_area_before,
        out_of_area_after=sum(bool(a.out_of_area) for a in placed),
        delayed=result.metrics.delayed, objective=result.objective, bound=result.bound,
        gap=result.gap, seconds=result.seconds, method=result.method, solver=result.solver,
        transfers=transfers, cycles=cycles, diagnosis=result.diagnosis,
        spend_before=base.spend_before, spend_after=_inpatients_after(instance, outcome),
    )


def _inpatients_after(instance: Instance, outcome: dict[str, Assignment]) -> Spend:
    """What tonight's inpatients' beds cost after the plan (like with like: no admissions)."""
    units = {u.unit_id: u for u in instance.units}
    return spend((p, units[a.unit_id]) for p in instance.patients
                 if not p.is_referral and (a := outcome.get(p.patient_id)) is not None
                 and a.unit_id in units)


def _money_change(delta: float) -> str:
    return f"£{-delta:,.0f} a year released" if delta < 0 else f"£{delta:,.0f} a year more"


def render(summary: RunSummary, *, out_dir: str | None = None, max_diagnosis: int = 8) -> str:
    """A one-screen text rendering (≤ ~25 lines however large the instance)."""
    s = summary
    lines = [f"status      {s.status}" + (f" ({s.method}, {s.solver}, {s.seconds:.1f} s)"
                                          if s.method else "")]
    if s.objective is not None:
        gap = "" if s.gap is None else f"   gap {s.gap:.2%}"
        lines.append(f"objective   {number(s.objective)}   bound {number(s.bound)}{gap}")
    lines.append(f"patients    {s.patients:,} ({count(s.inpatients, 'inpatient')}, "
                 f"{count(s.referrals, 'referral')})")
    if s.status in ("optimal", "feasible"):
        lines += [
            f"placed      {s.placed:,}   unplaced {s.unplaced:,}   admitted {s.admitted:,}",
            f"moves       {s.moves:,}   transfer steps {s.transfers:,}"
            + (f"   cycles needing a temporary bed {s.cycles:,}" if s.cycles else ""),
            f"brought back into their own collaborative  {s.brought_home:,}"
            + (f"   (moved out of it: {s.sent_away:,})" if s.sent_away else ""),
            f"km saved    {number(s.km_saved)} km closer to home in total",
            f"out of area {s.out_of_area_before:,} inpatients tonight -> "
            f"{s.out_of_area_after:,} placed after",
            f"delayed     {s.delayed:,} (staying in a unit no longer right for them)",
        ]
    if s.spend_before.per_day:
        after = s.spend_after
        lines.append(f"cost        £{s.spend_before.per_year:,.0f} a year for tonight's "
                     f"inpatients (out of area £{s.spend_before.out_of_area_per_year:,.0f}, "
                     f"independent £{s.spend_before.independent_per_year:,.0f})")
        if after is not None and s.status in ("optimal", "feasible"):
            lines.append(f"            -> £{after.per_year:,.0f} after the plan (out of area "
                         f"£{after.out_of_area_per_year:,.0f}, independent "
                         f"£{after.independent_per_year:,.0f}); "
                         f"{_money_change(after.per_year - s.spend_before.per_year)}")
    shown: Sequence[str] = s.diagnosis[:max_diagnosis]
    if shown:
        lines.append("diagnosis:")
        lines += [f"  - {d}" for d in shown]
        if len(s.diagnosis) > max_diagnosis:
            lines.append(f"  ... and {len(s.diagnosis) - max_diagnosis} more in summary.json")
    if out_dir is not None:
        lines.append(f"written to  {out_dir}")
    return "\n".join(lines)
