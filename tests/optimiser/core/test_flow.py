"""The min-cost-flow path: the full model's optimum without max_moves, or a clean fallback."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

import optimiser.core.flow as flow
from models.domain import Limits, SolverSettings
from optimiser.core.costs import build_cost_table
from optimiser.core.flow import solve_flow
from optimiser.core.result import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL
from optimiser.core.solve import solve


def _run(inst, d, method="flow"):
    seen: list[str] = []
    r = solve(inst, distances=d, method=method, progress=seen.append)
    return r, "\n".join(seen)


def _hand(b, max_adm=None):
    # A (1 bed, 10 km; 12 km for R2) and B (3 beds, 60 km). P1 sits in B (stay 60) and may
    # move to A (10 + 25 = 35, cheaper for P1 alone); R1, R2 want a bed (unplaced 1000).
    # P1 → A, R1, R2 → B: 35 + 60 + 60 = 155; P1 stays, R1 → A, R2 → B: 60 + 10 + 60 = 130.
    units = [b.unit("A", beds=1), b.unit("B", beds=3)]
    patients = [b.inpatient("P1", "B"), b.referral("R1"), b.referral("R2")]
    d = np.array([[10.0, 60.0], [10.0, 60.0], [12.0, 60.0]])
    return b.make(units, patients, max_adm=max_adm), d


def test_known_optimum_without_limits(b):
    inst, d = _hand(b)
    r, log = _run(inst, d)
    assert r.status == OPTIMAL and r.method == "flow" and r.solver == "highs"
    assert "min-cost flow: optimal" in log
    # The global optimum: the near bed goes to a referral, not to P1 (see _hand).
    assert r.objective == pytest.approx(130.0)
    assert [(a.patient_id, a.unit_id, a.action) for a in r.assignments] == [
        ("P1", "B", "stay"), ("R1", "A", "admit"), ("R2", "B", "admit")]
    assert r.bound <= r.objective and r.objective - r.bound <= 1e-6


def test_admission_limit_binds_and_does_not_bind(b):
    # Three referrals, A (2 beds, 5 km) and B (2 beds, 50 km): without a limit two go to A.
    units = [b.unit("A", beds=2), b.unit("B", beds=2)]
    patients = [b.referral("R1"), b.referral("R2"), b.referral("R3")]
    d = np.array([[5.0, 50.0]] * 3)
    free = b.make(units, patients)
    r, _ = _run(free, d)
    assert r.method == "flow" and r.objective == pytest.approx(5 + 5 + 50)
    capped = b.make(units, patients, max_adm=1)  # binds: one per unit, the third unplaced
    r, _ = _run(capped, d)
    assert r.method == "flow" and r.objective == pytest.approx(5 + 50 + 1000)
    assert [a.action for a in r.assignments].count("unplaced") == 1
    loose = b.make(units, patients, max_adm=2)  # does not bind: same as no limit
    r, _ = _run(loose, d)
    assert r.objective == pytest.approx(60.0)


def _case(b, seed):
    return b.random_instance(seed, 30, 8, max_adm=(None, 1, 2)[seed % 3],
                             tight=seed % 2 == 0, unreachable=0.15)


@pytest.mark.parametrize("seed", range(24))
def test_flow_equals_full_model_and_pricing_path(b, seed):
    inst, d = _case(b, seed)
    r, _ = _run(inst, d)
    mip = solve(inst, distances=d, method="mip")
    fast = solve(inst, distances=d, method="fast")
    assert r.status == mip.status == fast.status
    if r.status == INFEASIBLE:
        return
    assert r.status == OPTIMAL and r.method == "flow"
    for other in (mip, fast):
        assert r.objective == pytest.approx(other.objective, rel=1e-6)
    assert r.bound <= mip.objective + 1e-9


def test_random_cases_cover_delayed_stays_and_unreachable_units(b):
    delayed = 0
    for seed in range(24):
        inst, d = _case(b, seed)
        assert np.isinf(d).any()
        r = solve(inst, distances=d, method="flow")
        if r.status == OPTIMAL:
            delayed += r.metrics.delayed
    assert delayed > 0


def test_infeasible_falls_back_and_names_the_unit(b):
    inst = b.make([b.unit("W12", beds=2, name="Ash", sex="male")],
                  [b.inpatient(f"P{i}", "W12", movable=False) for i in range(3)])
    d = np.full((3, 1), 4.0)
    costs = build_cost_table(inst, d)
    seen: list[str] = []
    assert solve_flow(costs, inst.policy, progress=seen.append) is None
    assert "infeasible" in seen[0]
    r = solve(inst, distances=d, method="flow")
    assert r.status == INFEASIBLE and r.diagnosis == (
        "unit W12 (Ash: medium secure, male) has 2 open beds but 3 inpatients who may not "
        "move (3 not movable)",)


def test_max_moves_uses_the_pricing_path(b):
    inst, d = b.random_instance(3, 30, 8, max_moves=2)
    assert solve_flow(build_cost_table(inst, d), inst.policy) is None
    r, log = _run(inst, d)
    assert r.method == "fast" and "pricing round" in log
    assert solve(inst, distances=d).method == "fast"  # auto


def test_auto_uses_the_flow_without_max_moves_and_fast_keeps_pricing(b):
    inst, d = _hand(b)
    assert solve(inst, distances=d).method == "flow"
    assert solve(inst, distances=d, method="fast").method == "fast"


def test_deterministic_with_ties(b):
    # Two identical units and identical referrals: many optimal plans, always the same one.
    units = [b.unit(f"U{j}", beds=2) for j in range(3)]
    patients = [b.referral(f"R{i}") for i in range(5)] + [b.inpatient("P1", "U0")]
    d = np.full((6, 3), 20.0)
    inst = b.make(units, patients)
    first = solve(inst, distances=d, method="flow").assignments
    for _ in range(3):
        assert solve(inst, distances=d, method="flow").assignments == first
    inst, d = b.random_instance(11, 40, 8, max_adm=2)
    first = solve(inst, distances=d, method="flow").assignments
    assert solve(inst, distances=d, method="flow").assignments == first


def test_coarse_integer_costs_fall_back_to_pricing(b, monkeypatch):
    # A scale too small for a 1e-6 proof: the flow is not trusted, the pricing path answers.
    inst, d = b.random_instance(5, 30, 8, max_adm=2)
    exact = solve(inst, distances=d, method="fast")
    monkeypatch.setattr(flow, "HEADROOM", 2.0 ** 50)
    r, log = _run(inst, d)
    assert "too coarse" in log and r.method == "fast"
    assert r.status == OPTIMAL and r.objective == pytest.approx(exact.objective, rel=1e-9)


def test_refused_cost_range_retries_at_a_smaller_scale(b, monkeypatch):
    inst, d = b.random_instance(5, 30, 8, max_adm=2)
    exact = solve(inst, distances=d, method="fast")
    monkeypatch.setattr(flow, "HEADROOM", 1.0 / 8)  # 8× above OR-Tools' limit
    r, log = _run(inst, d)
    assert "retrying" in log and r.method == "flow"
    assert r.objective == pytest.approx(exact.objective, rel=1e-9)


def test_rounding_error_bound_holds(b):
    # f(x*) ≥ f'(x') − E: the reported bound never exceeds the true optimum, even at a
    # coarse scale, and E ≤ nδ.
    inst, d = b.random_instance(8, 30, 8)
    costs = build_cost_table(inst, d)
    scale = 4.0
    _, up, down = flow.rounding_errors(costs.cost, costs.start, scale)
    assert 0 < up <= costs.n_patients * 0.5 / scale
    assert 0 < down <= costs.n_patients * 0.5 / scale
    top = flow.cost_scale(costs.cost, 100) * np.abs(costs.cost).max()
    limit = (2 ** 63 - 1) / (2 * 101) / flow.HEADROOM
    assert limit / 2 < top <= limit


def test_patient_shift_keeps_every_plans_order(b):
    # Shifting all options of a patient by one constant moves every plan's cost equally.
    inst, d = b.random_instance(8, 30, 8)
    costs = build_cost_table(inst, d)
    shift, shifted = flow.patient_shift(costs)
    first = costs.start[:-1]
    assert np.allclose(shifted + shift[costs.patient], costs.cost)
    lo = np.minimum.reduceat(shifted, first)
    hi = np.maximum.reduceat(shifted, first)
    assert np.allclose(lo, -hi)  # centred: the magnitude to scale is halved
    assert np.abs(shifted).max() < np.abs(costs.cost).max()


def test_tolerance_is_the_mip_paths(b):
    inst, _ = _hand(b)
    pol = inst.policy
    assert flow.flow_tolerance(pol, 1e9) == pytest.approx(1e-6)  # mip_gap 0: HiGHS abs gap
    gap = dataclasses.replace(pol, solver=dataclasses.replace(pol.solver, mip_gap=1e-4))
    assert flow.flow_tolerance(gap, 1e6) == pytest.approx(100.0)


def test_deadline_passed_falls_back(b):
    inst, d = _hand(b)
    costs = build_cost_table(inst, d)
    seen: list[str] = []
    assert solve_flow(costs, inst.policy, progress=seen.append,
                      deadline=time.perf_counter() - 1) is None
    assert "time limit" in seen[-1]
    pol = dataclasses.replace(inst.policy, limits=Limits(max_admissions_per_unit=1))
    assert solve_flow(costs, pol, deadline=time.perf_counter() + 60) is not None


def test_tiny_time_limit_skips_the_flow_and_never_reports_optimal(b):
    inst, d = b.random_instance(19, 400, 40, max_adm=2, slack_beds=1)
    full = solve(inst, distances=d, method="flow")
    assert full.status == OPTIMAL and full.method == "flow"
    pol = dataclasses.replace(inst.policy, solver=SolverSettings(time_limit=0.001))
    r = solve(inst, pol, distances=d, method="flow")
    assert r.method == "fast" and r.status in (FEASIBLE, ERROR)
