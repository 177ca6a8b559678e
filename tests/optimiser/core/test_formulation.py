"""The PuLP model of record: every constraint family binding and not binding, known optima.

Weights are the contract defaults (km 1, out_of_area 50, move 25, delayed 200, unplaced
1000); distances are given explicitly so each optimum can be checked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from optimiser.core.costs import build_cost_table
from optimiser.core.formulation import build_model, solve_model
from optimiser.core.verdict import judge

SOLVERS = ["highs", "cbc"]


def optimum(inst, d, solver="highs"):
    costs = build_cost_table(inst, np.array(d, dtype=float))
    out = solve_model(build_model(costs, inst.policy),
                      type(inst.policy.solver)(name=solver, time_limit=30))
    verdict = judge(out.raw)
    assert verdict.status == "optimal", verdict
    chosen = out.chosen
    assert chosen is not None and len(chosen) == costs.n_patients
    value = float(costs.cost[chosen].sum())
    assert value == pytest.approx(verdict.objective)
    units = [costs.unit_ids[u] if u >= 0 else None for u in costs.unit[chosen]]
    return value, units


@pytest.mark.parametrize("solver", SOLVERS)
def test_assignment_every_patient_one_outcome_even_unplaced(b, solver):
    # R1 has no compatible unit (needs low secure): it must still get exactly one outcome,
    # unplaced, costing 1000 * priority 2; R2 is admitted to A (10 km).
    inst = b.make([b.unit("A", beds=5)],
                  [b.referral("R1", level="low", priority=2), b.referral("R2")])
    value, units = optimum(inst, [[10.0], [10.0]], solver)
    assert value == pytest.approx(2010.0)
    assert units == [None, "A"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_assignment_unplaced_when_cheaper_than_any_bed(b, solver):
    inst = b.make([b.unit("A", beds=5)], [b.referral("R1")])
    value, units = optimum(inst, [[1500.0]], solver)
    assert value == pytest.approx(1000.0) and units == [None]


@pytest.mark.parametrize("solver", SOLVERS)
def test_capacity_binding(b, solver):
    # Both want A (1 bed): R1→B + R2→A = 30 + 12 = 42 beats R1→A + R2→B = 60.
    inst = b.make([b.unit("A", beds=1), b.unit("B", beds=1)],
                  [b.referral("R1"), b.referral("R2")])
    value, units = optimum(inst, [[10.0, 30.0], [12.0, 50.0]], solver)
    assert value == pytest.approx(42.0)
    assert units == ["B", "A"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_capacity_not_binding(b, solver):
    inst = b.make([b.unit("A", beds=2), b.unit("B", beds=1)],
                  [b.referral("R1"), b.referral("R2")])
    value, units = optimum(inst, [[10.0, 30.0], [12.0, 50.0]], solver)
    assert value == pytest.approx(22.0) and units == ["A", "A"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_capacity_counts_closed_beds_and_stays(b, solver):
    # A has 2 beds, 1 closed, and P1 stays there: R1 must go to B (40 km).
    inst = b.make([b.unit("A", beds=2, closed=1), b.unit("B", beds=1)],
                  [b.inpatient("P1", "A", movable=False), b.referral("R1")])
    value, units = optimum(inst, [[5.0, 9.0], [10.0, 40.0]], solver)
    assert value == pytest.approx(45.0) and units == ["A", "B"]


def _two_movers(b, max_moves):
    # P1, P2 sit in B, 100 km from home; A (5 km, 6 km) has room. Each move saves 70/69.
    return b.make([b.unit("A", beds=5), b.unit("B", beds=5)],
                  [b.inpatient("P1", "B"), b.inpatient("P2", "B")], max_moves=max_moves)


@pytest.mark.parametrize("solver", SOLVERS)
def test_move_budget_binding(b, solver):
    value, units = optimum(_two_movers(b, 1), [[5.0, 100.0], [6.0, 100.0]], solver)
    assert value == pytest.approx(5 + 25 + 100)  # only P1 (the bigger saving) moves
    assert units == ["A", "B"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_move_budget_not_binding(b, solver):
    for limit in (2, None):
        value, units = optimum(_two_movers(b, limit), [[5.0, 100.0], [6.0, 100.0]], solver)
        assert value == pytest.approx(5 + 25 + 6 + 25)
        assert units == ["A", "A"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_move_budget_zero_keeps_everyone(b, solver):
    value, units = optimum(_two_movers(b, 0), [[5.0, 100.0], [6.0, 100.0]], solver)
    assert value == pytest.approx(200.0) and units == ["B", "B"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_admission_limit_binding(b, solver):
    # A takes one new patient only: R1→A (10) + R2→B (200) = 210.
    inst = b.make([b.unit("A", beds=5), b.unit("B", beds=5)],
                  [b.referral("R1"), b.referral("R2")], max_adm=1)
    value, units = optimum(inst, [[10.0, 200.0], [20.0, 200.0]], solver)
    assert value == pytest.approx(210.0) and units == ["A", "B"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_admission_limit_not_binding(b, solver):
    inst = b.make([b.unit("A", beds=5), b.unit("B", beds=5)],
                  [b.referral("R1"), b.referral("R2")], max_adm=2)
    value, units = optimum(inst, [[10.0, 200.0], [20.0, 200.0]], solver)
    assert value == pytest.approx(30.0) and units == ["A", "A"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_admission_limit_counts_moves_in(b, solver):
    # Without the limit P1 would move to A (5+25) and R1 be admitted to A (10): 40.
    # With one arrival allowed: P1 stays (100) and R1 takes A (10) = 110 < 30 + 300.
    inst = b.make([b.unit("A", beds=5), b.unit("B", beds=5)],
                  [b.inpatient("P1", "B"), b.referral("R1")], max_adm=1)
    value, units = optimum(inst, [[5.0, 100.0], [10.0, 300.0]], solver)
    assert value == pytest.approx(110.0) and units == ["B", "A"]
    free = b.make(list(inst.units), list(inst.patients))
    assert optimum(free, [[5.0, 100.0], [10.0, 300.0]], solver)[0] == pytest.approx(40.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_objective_delayed_out_of_area_and_cost_terms(b, solver):
    # P1 may not move and sits in a high secure ward although they need medium: delayed.
    # R1 goes to B (network N2, out of area +50) at cost_per_day 10 (w.cost 1).
    from models.domain import Weights

    inst = b.make([b.unit("A", beds=1, level="high"), b.unit("B", beds=1, network="N2",
                                                             cost=10.0)],
                  [b.inpatient("P1", "A", movable=False), b.referral("R1")],
                  weights=Weights(cost=1.0))
    value, units = optimum(inst, [[7.0, 3.0], [8.0, 4.0]], solver)
    assert value == pytest.approx((7 + 200) + (4 + 50 + 10))
    assert units == ["A", "B"]


def test_one_binary_per_allowed_option_only(b):
    inst = b.make([b.unit("A"), b.unit("B"), b.unit("C", level="low")],
                  [b.inpatient("P1", "A"), b.inpatient("P2", "B", movable=False),
                   b.referral("R1")], max_moves=1, max_adm=1)
    costs = build_cost_table(inst, np.full((3, 3), 10.0))
    model = build_model(costs, inst.policy)
    # P1: stay A, move B; P2: stay B; R1: admit A, admit B, unplaced.
    assert len(model.x) == costs.n_options == 6
    names = {c.name for c in model.problem.constraints()}
    assert {"assign_0", "assign_1", "assign_2", "capacity_0", "capacity_1",
            "move_budget"} <= names
    assert "capacity_2" not in names  # nobody can be placed in C
