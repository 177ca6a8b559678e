"""What a solve returns: plain data, no solver objects (the seam of the architecture)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Honest statuses of a run (contract: summary.json ``status``).
OPTIMAL, FEASIBLE, INFEASIBLE, ERROR = "optimal", "feasible", "infeasible", "error"


@dataclass(frozen=True, slots=True)
class Assignment:
    """One patient's outcome: a row of assignments.csv."""

    patient_id: str
    status: str  # inpatient | referral
    current_unit_id: str | None
    unit_id: str | None  # None when unplaced
    action: str  # stay | move | admit | unplaced
    distance_km: float | None
    out_of_area: bool | None


@dataclass(frozen=True, slots=True)
class Metrics:
    """The contract's summary metrics (counting placed patients)."""

    patients: int = 0
    placed: int = 0
    unplaced: int = 0
    moves: int = 0
    out_of_area: int = 0
    total_km: float = 0.0
    median_km: float = 0.0
    delayed: int = 0


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of a solve: status, objective, bound, gap and the plan.

    ``assignments`` is empty when no plan exists (infeasible / error), so outputs written
    from it never disagree with ``status``.
    """

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    solver: str
    seconds: float
    assignments: tuple[Assignment, ...] = ()
    metrics: Metrics = Metrics()
    diagnosis: tuple[str, ...] = ()
    method: str = "mip"
    timings: tuple[tuple[str, float], ...] = field(default=(), compare=False)

    @property
    def has_plan(self) -> bool:
        return self.status in (OPTIMAL, FEASIBLE)
