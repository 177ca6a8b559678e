"""The rolling baseline beside a plan over a few nights: a stopped plan is never worse than
it; a proven one is left as it is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import optimiser.core.background as background
import optimiser.core.pricing as pricing
from models.io import read_instance
from optimiser.core.plansolve import solve_plan
from optimiser.core.rolling import rolling_plan
from optimiser.core.verdict import RawOutcome, SolveOutcome

EXAMPLE = Path(__file__).resolve().parents[3] / "instances" / "examples" / "plan-home-ward"
START = dt.date(2026, 12, 7)


def test_a_stopped_plan_worse_than_the_baseline_returns_the_baseline(monkeypatch):
    # Binds: the solve "stops" with its greedy first plan (P left far from home), which
    # the baseline beats: the baseline computed beside it is returned, with the solve's bound.
    monkeypatch.setattr(background, "MIN_PATIENTS", 0)
    stopped = {}

    def stop_at_start(costs, policy, *, start, **_kw):
        z = float(costs.cost[start].sum())
        stopped["z"] = z
        return SolveOutcome(RawOutcome("highs", "Time limit reached", False, False, True, z,
                                       100.0), start)

    monkeypatch.setattr(pricing, "solve_fast", stop_at_start)
    inst = read_instance(EXAMPLE)
    rolled = rolling_plan(inst, start=START, nights=7)
    result = solve_plan(inst, start=START, nights=7)
    assert stopped["z"] > rolled.objective + 1.0  # the greedy plan is worse
    assert result.status == "feasible" and result.bound == pytest.approx(100.0)
    assert result.objective == pytest.approx(rolled.objective)
    assert [(r.action, r.night, r.unit_id) for r in result.rows] == \
        [(r.action, r.night, r.unit_id) for r in rolled.rows]
    assert any("worse than re-running tonight's optimum" in d for d in result.diagnosis)


def test_a_proven_plan_is_left_as_it_is_and_small_instances_fork_nothing(monkeypatch):
    # Does not bind: proven optimal, the baseline (worse over 7 nights) is not looked at.
    inst = read_instance(EXAMPLE)
    monkeypatch.setattr(background, "MIN_PATIENTS", 0)
    best = solve_plan(inst, start=START, nights=7)
    assert best.status == "optimal" and best.objective == pytest.approx(679.8345274561278)
    assert not any("re-running" in d for d in best.diagnosis)
    monkeypatch.setattr(background, "MIN_PATIENTS", 2_000)
    assert background.Baseline.start(inst, inst.policy, start=START, nights=7,
                                     distances=None, seconds=10.0) is None  # type: ignore[arg-type]
