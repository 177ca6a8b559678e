"""What the beds cost: £ per day and per year, all placements, out-of-area placements and the
independent sector, before (tonight's inpatients where they are) and after (the plan).

Commissioners count repatriation in money released; with prices that differ by provider type
and level (``cost_per_day`` of units.csv), moving someone home from an independent
out-of-area bed shows here. Per year is per day × 365 (the beds as they are that night, all
year: a run rate, not a forecast).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from models.domain import Instance, Patient, Unit
from optimiser.core.result import Result

DAYS_PER_YEAR = 365


@dataclass(frozen=True, slots=True)
class Spend:
    """£ per day of a set of occupied beds, and the parts of it."""

    per_day: float = 0.0
    out_of_area_per_day: float = 0.0  # beds outside the patient's home collaborative
    independent_per_day: float = 0.0  # beds of independent providers

    @property
    def per_year(self) -> float:
        return self.per_day * DAYS_PER_YEAR

    @property
    def out_of_area_per_year(self) -> float:
        return self.out_of_area_per_day * DAYS_PER_YEAR

    @property
    def independent_per_year(self) -> float:
        return self.independent_per_day * DAYS_PER_YEAR

    def as_dict(self) -> dict[str, float]:
        """Both rates of every part, rounded to pence."""
        out = {k: round(v, 2) for k, v in asdict(self).items()}
        out.update({k.replace("per_day", "per_year"): round(v * DAYS_PER_YEAR, 2)
                    for k, v in asdict(self).items()})
        return out


def spend(beds: Iterable[tuple[Patient, Unit]]) -> Spend:
    """The cost of the given (patient, unit) placements."""
    total = away = independent = 0.0
    for p, u in beds:
        total += u.cost_per_day
        away += u.cost_per_day * (u.network_id != p.home_network_id)
        independent += u.cost_per_day * (u.provider_type == "independent")
    return Spend(total, away, independent)


def spend_tonight(instance: Instance) -> Spend:
    """Tonight's inpatients in their current units."""
    units = {u.unit_id: u for u in instance.units}
    return spend((p, units[p.current_unit_id]) for p in instance.patients
                 if not p.is_referral and p.current_unit_id in units)


def spend_after(instance: Instance, result: Result) -> Spend | None:
    """Every placed patient of the plan (stays, moves, admissions); None without a plan."""
    if not result.has_plan:
        return None
    units = {u.unit_id: u for u in instance.units}
    outcome = {a.patient_id: a for a in result.assignments}
    return spend((p, units[a.unit_id]) for p in instance.patients
                 if (a := outcome.get(p.patient_id)) is not None and a.unit_id in units
                 and a.action != "unplaced")


def money(instance: Instance, result: Result) -> dict[str, object]:
    """summary.json's ``money``: before, after and after − before (£, per day and per year).

    "after" counts tonight's admissions too (more beds filled); ``inpatients_after`` counts
    only tonight's inpatients, to compare like with like."""
    before = spend_tonight(instance)
    after = spend_after(instance, result)
    out: dict[str, object] = {"before": before.as_dict(),
                              "after": None if after is None else after.as_dict()}
    if after is not None:
        units = {u.unit_id: u for u in instance.units}
        outcome = {a.patient_id: a for a in result.assignments}
        stayers = spend((p, units[a.unit_id]) for p in instance.patients
                        if not p.is_referral and (a := outcome.get(p.patient_id)) is not None
                        and a.unit_id in units)
        out["inpatients_after"] = stayers.as_dict()
        out["change_inpatients"] = {k: round(v - before.as_dict()[k], 2)
                                    for k, v in stayers.as_dict().items()}
    return out
