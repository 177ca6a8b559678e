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
    asked = []
    monkeypatch.setattr(background.Baseline, "result",
                        lambda self, wait: asked.append(wait))
    best = solve_plan(inst, start=START, nights=7)
    assert asked == []  # a proven plan never waits for the baseline
    assert best.status == "optimal" and best.objective == pytest.approx(679.8345274561278)
    assert not any("re-running" in d for d in best.diagnosis)
    monkeypatch.setattr(background, "MIN_PATIENTS", 2_000)
    assert background.Baseline.start(inst, inst.policy, start=START, nights=7,
                                     distances=None, seconds=10.0) is None  # type: ignore[arg-type]


def _small_mip() -> float:
    import highspy
    import numpy as np

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    n = 30
    rng = np.random.default_rng(0)
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                            np.full(n, highspy.HighsVarType.kInteger, dtype=np.uint8))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), -rng.uniform(1, 10, n))
    h.addRow(-highspy.kHighsInf, 7.5, n, np.arange(n, dtype=np.int32), rng.uniform(1, 3, n))
    h.run()
    return float(h.getInfo().objective_function_value)


def test_the_child_can_solve_a_mip_after_the_parent_did(monkeypatch):
    """A fork inherits HiGHS's task scheduler without its threads: a MIP in the child waited
    for ever once the parent had solved one (the child now starts a fresh scheduler)."""
    import optimiser.core.rolling as rolling

    inst = read_instance(EXAMPLE)
    rolled = rolling_plan(inst, start=START, nights=3)
    _small_mip()  # the parent's MIP: its scheduler now has worker threads

    def mip_then_plan(*_a, **_k):
        _small_mip()
        return rolled

    monkeypatch.setattr(rolling, "rolling_plan", mip_then_plan)
    monkeypatch.setattr(background, "MIN_PATIENTS", 0)
    monkeypatch.setattr(background, "_cores", lambda: 2)
    from optimiser.geography.distances import distance_matrix

    child = background.Baseline.start(inst, inst.policy, start=START, nights=3,
                                      distances=distance_matrix(inst), seconds=60.0)
    assert child is not None
    try:
        got = child.result(60.0)
    finally:
        child.stop()
    assert got is not None and got.objective == pytest.approx(rolled.objective)


def test_no_child_where_a_process_may_not_have_one(monkeypatch):
    # Binds: inside a daemonic process (a Dask worker, the service's plan job) or on one
    # core nothing is forked; does not bind: otherwise a child starts.
    from types import SimpleNamespace

    inst = read_instance(EXAMPLE)
    monkeypatch.setattr(background, "MIN_PATIENTS", 0)
    monkeypatch.setattr(background, "_cores", lambda: 2)
    args = {"start": START, "nights": 3, "distances": None, "seconds": 0.0}
    monkeypatch.setattr(background.mp, "current_process",
                        lambda: SimpleNamespace(daemon=True))
    assert background.Baseline.start(inst, inst.policy, **args) is None
    monkeypatch.undo()
    monkeypatch.setattr(background, "MIN_PATIENTS", 0)
    monkeypatch.setattr(background, "_cores", lambda: 1)
    assert background.Baseline.start(inst, inst.policy, **args) is None
    monkeypatch.setattr(background, "_cores", lambda: 2)
    child = background.Baseline.start(inst, inst.policy, **args)
    assert child is not None
    child.stop()
