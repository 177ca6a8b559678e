"""Re-running tonight's optimum every night: a plan of the multi-night model, never better
than ``bedplan plan``'s optimum, and worse where a bed frees later."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models.io import read_instance
from optimiser.core.plansolve import solve_plan
from optimiser.core.rolling import rolling_plan

HERE = Path(__file__).resolve()
EXAMPLE = HERE.parents[3] / "instances" / "examples" / "plan-home-ward"
START = dt.date(2026, 12, 7)


def test_the_worked_example_shows_the_mistake_of_moving_tonight():
    inst = read_instance(EXAMPLE)
    rolling = rolling_plan(inst, start=START, nights=7)
    best = solve_plan(inst, start=START, nights=7)
    assert rolling.status == "feasible" and rolling.bound is None
    moves = {r.patient_id: (r.action, r.night, r.unit_id) for r in rolling.rows}
    assert moves["P"] == ("move", 1, "S")  # tonight's optimum takes the second-best ward
    assert moves["R"] == ("admit", 5, "S")
    assert rolling.objective == pytest.approx(943.88, abs=0.01)
    assert best.objective == pytest.approx(679.83, abs=0.01)


@pytest.mark.parametrize("seed", range(12))
def test_the_plan_is_never_worse_than_re_running_tonight(plan_cases, seed):
    inst, nights = plan_cases.tiny(seed)
    rolling = rolling_plan(inst, start=START, nights=nights)
    best = solve_plan(inst, start=START, nights=nights)
    assert best.status == "optimal"
    assert rolling.status == "feasible"
    # the rolling schedule is a plan of the model: the exhaustive optimum is no worse
    assert best.objective <= rolling.objective + 1e-6
    assert plan_cases.brute_force(inst, nights) == pytest.approx(best.objective, rel=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_a_rolling_plan_is_a_plan_of_the_table_and_can_start_the_plan(plan_cases, seed,
                                                                    monkeypatch):
    import optimiser.core.plansolve as ps
    from optimiser.core.costs import build_cost_table
    from optimiser.core.plantable import build_plan_table, horizon
    from optimiser.core.rows import build_plan_rows

    inst, nights = plan_cases.tiny(seed)
    rolling = rolling_plan(inst, start=START, nights=nights)
    hz = horizon(inst, START, nights)
    table = build_plan_table(inst, hz, day=build_cost_table(inst))
    rows = build_plan_rows(table.costs, table.night, hz.current, hz.last, nights,
                           inst.policy.limits)
    options = ps.as_options(table, rolling)
    assert options is not None and rows.violated(options) == []
    assert float(table.costs.cost[options].sum()) == pytest.approx(rolling.objective)
    monkeypatch.setattr(ps, "ROLLING_START_NIGHTS", 0)  # start every plan from it
    best = ps.solve_plan(inst, start=START, nights=nights)
    assert best.status == "optimal"
    assert best.objective == pytest.approx(plan_cases.brute_force(inst, nights), rel=1e-9)


@pytest.mark.parametrize("time_limit,used", [(60.0, True), (None, False)])
def test_a_long_plan_starts_from_the_rolling_plan_only_under_a_time_limit(plan_cases,
        time_limit, used, monkeypatch):
    # Binds under a time limit (a plan stopped early is never worse than the baseline);
    # without one the plan is proven optimal, so the baseline would only cost time.
    from dataclasses import replace

    import optimiser.core.plansolve as ps
    from models.domain import SolverSettings

    inst, nights = plan_cases.tiny(3)
    inst = replace(inst, policy=replace(inst.policy, solver=SolverSettings(
        name="highs", time_limit=time_limit, mip_gap=0.0)))
    monkeypatch.setattr(ps, "ROLLING_START_NIGHTS", 0)
    best = ps.solve_plan(inst, start=START, nights=nights)
    assert ("rolling start" in dict(best.timings)) is used
    assert best.status == "optimal"
    assert best.objective == pytest.approx(plan_cases.brute_force(inst, nights), rel=1e-9)


@pytest.mark.parametrize("limit,spent,left", [(300.0, 88.0, 212.0), (300.0, 290.0, 30.0),
                                              (None, 88.0, None)])
def test_the_rolling_start_counts_against_the_time_limit(limit, spent, left):
    # Binds: the baseline's seconds come off the solver's limit (a tenth always kept);
    # without a limit nothing changes.
    from dataclasses import replace

    import optimiser.core.plansolve as ps
    from models.domain import Policy, SolverSettings

    policy = replace(Policy(), solver=SolverSettings(name="highs", time_limit=limit))
    after = ps._less_time(policy, spent)
    assert after.solver.time_limit == (None if left is None else pytest.approx(left))
    assert after.solver.name == "highs" and after.limits == policy.limits


def test_a_deadline_stops_the_baseline_without_a_plan():
    import time

    inst = read_instance(EXAMPLE)
    stopped = rolling_plan(inst, start=START, nights=7, deadline=time.perf_counter() - 1.0)
    assert stopped.status == "error" and not stopped.has_plan and stopped.rows == ()
    assert stopped.diagnosis == ("stopped by its deadline after 0 of 7 nights",)
    kept = rolling_plan(inst, start=START, nights=7, deadline=time.perf_counter() + 600.0)
    assert kept == rolling_plan(inst, start=START, nights=7)


def test_a_long_plan_whose_baseline_is_stopped_starts_greedy_and_is_still_proven(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Over more than 28 nights with a time limit the plan starts from the baseline, which
    may take at most ROLLING_SHARE of the limit (a year of England's nights takes minutes):
    with no share at all it is dropped, and the plan is the same proven optimum."""
    import optimiser.core.plansolve as plansolve

    inst = read_instance(EXAMPLE)
    with_baseline = solve_plan(inst, start=START, nights=30)
    monkeypatch.setattr(plansolve, "ROLLING_SHARE", 0.0)
    without = solve_plan(inst, start=START, nights=30)
    assert "rolling start" in dict(without.timings)
    assert with_baseline.status == without.status == "optimal"
    assert without.objective == pytest.approx(with_baseline.objective, rel=1e-9)
