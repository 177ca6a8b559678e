"""solve(): the Result (assignments, metrics, recomputed objective) and honest statuses."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from models.domain import SolverSettings
from models.errors import InputError
from models.generate import generate_instance
from optimiser.core.result import ERROR, FEASIBLE, INFEASIBLE, OPTIMAL
from optimiser.core.solve import solve
from optimiser.core.solvers import read_cbc
from optimiser.core.verdict import RawOutcome, judge

METHODS = ["mip", "fast", "auto"]


def _small(b):
    # P1 in B (80 km) moves to A (5 km, other network: +50); P2 may not move;
    # R1 is admitted to B (freed by P1); R2 (priority 2) has no compatible unit.
    units = [b.unit("A", beds=1, network="N2"), b.unit("B", beds=2)]
    patients = [b.inpatient("P1", "B"), b.inpatient("P2", "B", movable=False),
                b.referral("R1"), b.referral("R2", level="low", priority=2)]
    d = np.array([[5.0, 80.0], [9.0, 3.0], [40.0, 20.0], [1.0, 1.0]])
    return b.make(units, patients), d


@pytest.mark.parametrize("method", METHODS)
def test_known_optimum_and_result_fields(b, method):
    inst, d = _small(b)
    r = solve(inst, distances=d, method=method)
    assert r.status == OPTIMAL
    # P1 move 5+50+25, P2 stay 3, R1 admit 20, R2 unplaced 2000.
    assert r.objective == pytest.approx(80.0 + 3.0 + 20.0 + 2000.0)
    assert r.bound == pytest.approx(r.objective) and r.gap == pytest.approx(0.0)
    rows = [(a.patient_id, a.unit_id, a.action, a.distance_km, a.out_of_area)
            for a in r.assignments]
    assert rows == [("P1", "A", "move", 5.0, True), ("P2", "B", "stay", 3.0, False),
                    ("R1", "B", "admit", 20.0, False), ("R2", None, "unplaced", None, None)]
    m = r.metrics
    assert (m.patients, m.placed, m.unplaced, m.moves, m.out_of_area, m.delayed) == \
        (4, 3, 1, 1, 1, 0)
    assert m.total_km == pytest.approx(28.0) and m.median_km == pytest.approx(5.0)
    assert r.diagnosis == ("referral R2 left unplaced: no compatible unit at all",)
    assert r.method == {"mip": "mip", "fast": "fast", "auto": "flow"}[method]


def test_policy_argument_overrides_instance_policy(b):
    inst, d = _small(b)
    pol = dataclasses.replace(inst.policy, limits=dataclasses.replace(inst.policy.limits,
                                                                      max_moves=0))
    r = solve(inst, pol, distances=d)
    # Nobody moves: P1 stays (80), R1 cannot fit in B (full) nor A? A is free: 40 + 50.
    assert r.objective == pytest.approx(80 + 3 + 90 + 2000)
    assert r.metrics.moves == 0


def test_progress_receives_phases(b):
    inst, d = _small(b)
    seen: list[str] = []
    solve(inst, distances=d, method="mip", progress=seen.append)
    text = "\n".join(seen)
    for phase in ("cost table", "bed check", "build", "solve"):
        assert phase in text


def test_default_distances_are_the_policy_mode(b):
    inst = b.make([b.unit("A", lat=51.5, lon=-0.1)],
                  [b.referral("R1", lat=51.5, lon=-0.1)])
    r = solve(inst)  # geodesic (the builder's policy): 0 km
    assert r.assignments[0].distance_km == pytest.approx(0.0)


def test_empty_instance_is_optimal_zero(b):
    r = solve(b.make([b.unit("A")], []), distances=np.zeros((0, 1)))
    assert (r.status, r.objective, r.assignments) == (OPTIMAL, 0.0, ())


def test_infeasible_has_no_plan_and_names_the_unit(b):
    inst = b.make([b.unit("W12", beds=2, name="Ash", sex="male")],
                  [b.inpatient(f"P{i}", "W12", movable=False) for i in range(3)])
    for method in METHODS:
        r = solve(inst, distances=np.full((3, 1), 4.0), method=method)
        assert r.status == INFEASIBLE
        assert r.objective is None and r.bound is None and r.gap is None
        assert r.assignments == ()
        assert r.diagnosis == ("unit W12 (Ash: medium secure, male) has 2 open beds but "
                               "3 inpatients who may not move (3 not movable)",)


def test_unknown_solver_is_input_error(b):
    inst, d = _small(b)
    pol = dataclasses.replace(inst.policy, solver=SolverSettings(name="gurobi"))
    with pytest.raises(InputError, match="unknown solver"):
        solve(inst, pol, distances=d)


def test_deterministic(b):
    inst, d = b.random_instance(11, 40, 8, max_moves=3)
    for method in ("mip", "fast"):
        first = solve(inst, distances=d, method=method).assignments
        assert solve(inst, distances=d, method=method).assignments == first


# --- honest statuses -------------------------------------------------------------------

def test_judge_time_limit_with_incumbent_is_feasible_never_optimal():
    raw = RawOutcome("highs", "Time limit reached", False, False, True, 110.0, 100.0)
    v = judge(raw)
    assert (v.status, v.objective, v.bound) == (FEASIBLE, 110.0, 100.0)
    assert v.gap == pytest.approx(10 / 110)


def test_judge_optimal_gap_of_float_noise_is_zero_and_a_real_one_stays():
    # Binds: a proven optimum whose recomputed objective differs from the solver's bound by
    # rounding only (an audit saw "gap": 9.7e-16) reports bound = objective and gap 0.
    v = judge(RawOutcome("highs", "Optimal", True, False, True, 350.7499, 350.7499 - 3e-13))
    assert (v.status, v.bound, v.gap) == (OPTIMAL, 350.7499, 0.0)
    # Does not bind: optimal within a requested mip_gap keeps its true bound and gap.
    v = judge(RawOutcome("highs", "Optimal", True, False, True, 100.0, 99.5))
    assert (v.status, v.bound) == (OPTIMAL, 99.5) and v.gap == pytest.approx(0.005)


def test_judge_no_solution_is_error_with_message():
    raw = RawOutcome("highs", "Time limit reached", False, False, False, None, None,
                     "highs: no solution found within the time limit")
    v = judge(raw)
    assert v.status == ERROR and "time limit" in v.message and v.objective is None


def test_judge_recomputed_objective_wins():
    raw = RawOutcome("cbc", "Optimal solution found", True, False, True, 99.9999999, 99.9999)
    v = judge(raw, 100.0)
    assert v.status == OPTIMAL and v.objective == 100.0 and v.bound == pytest.approx(99.9999)


CBC_STOPPED = """Cbc0010I After 1200 nodes, 40 on tree, 1234 best solution, best possible 1200
Result - Stopped on time limit

Objective value:                1234.00000000
Lower bound:                    1200.000
Gap:                            0.03
Enumerated nodes:               1200
"""


def test_read_cbc_stopped_on_time_is_feasible_with_bound():
    raw = read_cbc(CBC_STOPPED, "integer_feasible")
    v = judge(raw)
    assert (v.status, v.objective, v.bound) == (FEASIBLE, 1234.0, 1200.0)
    assert v.gap == pytest.approx(34 / 1234)


def test_read_cbc_optimal_and_infeasible():
    ok = read_cbc("Result - Optimal solution found\n\nObjective value:   42.0\n", "optimal")
    assert judge(ok).status == OPTIMAL and judge(ok).bound == 42.0
    bad = read_cbc("Result - Problem proven infeasible\n", "infeasible")
    assert judge(bad).status == INFEASIBLE
    none = read_cbc("Result - Stopped on time limit\n\nNo feasible solution found\n", "none")
    assert judge(none).status == ERROR


def _hard(b, solver):
    inst, d = b.random_instance(19, 400, 40, max_moves=15, max_adm=2, slack_beds=1,
                                solver=solver)
    pol = dataclasses.replace(inst.policy, solver=SolverSettings(name=solver,
                                                                 time_limit=0.001))
    return inst, pol, d


@pytest.mark.parametrize("solver,method", [("highs", "mip"), ("cbc", "mip"),
                                           ("highs", "fast")])
def test_tiny_time_limit_never_reports_optimal(b, solver, method):
    inst, pol, d = _hard(b, solver)
    full = solve(inst, dataclasses.replace(pol, solver=SolverSettings(name=solver)),
                 distances=d, method="mip")
    assert full.status == OPTIMAL  # the instance is feasible and solvable given time
    r = solve(inst, pol, distances=d, method=method)
    assert r.status in (FEASIBLE, ERROR)
    if r.status == FEASIBLE:
        assert r.objective is not None and r.objective >= full.objective - 1e-6
        assert len(r.assignments) == len(inst.patients)
        if r.bound is not None:
            assert r.bound <= full.objective + 1e-6
    else:
        assert r.assignments == () and r.diagnosis


@pytest.mark.parametrize("method", METHODS)
def test_no_units_leaves_every_referral_unplaced(b, method):
    inst = b.make([], [b.referral("R1", priority=2), b.referral("R2")])
    r = solve(inst, distances=np.zeros((2, 0)), method=method)
    assert r.status == OPTIMAL and r.objective == pytest.approx(3000.0)
    assert [a.action for a in r.assignments] == ["unplaced", "unplaced"]
    assert all("no compatible unit at all" in line for line in r.diagnosis)


@pytest.mark.parametrize("solver,method", [("highs", "mip"), ("cbc", "mip"),
                                           ("highs", "fast")])
def test_solver_log_goes_to_logging_never_stdout(b, capfd, caplog, solver, method):
    inst, d = _small(b)
    pol = dataclasses.replace(inst.policy, solver=SolverSettings(name=solver))
    with caplog.at_level("INFO", logger="optimiser"):
        r = solve(inst, pol, distances=d, method=method, solver_log=True)
    assert r.status == OPTIMAL
    assert capfd.readouterr().out == ""  # stdout may carry a command's JSON
    assert any(" log" in rec.getMessage() for rec in caplog.records)


@pytest.mark.parametrize("method", ["fast", "mip"])
def test_changing_thread_count_in_one_process_still_solves(b, method):
    # HiGHS keeps one global scheduler per process: without a reset, a solve with another
    # thread count than an earlier one returned no solution (reported feasible/error).
    inst, d = _small(b)
    expected = 80.0 + 3.0 + 20.0 + 2000.0
    for threads in (None, 1, 2, 1):
        policy = dataclasses.replace(
            inst.policy, solver=dataclasses.replace(inst.policy.solver, threads=threads))
        r = solve(inst, policy, distances=d, method=method)
        assert r.status == OPTIMAL, (threads, r.status, r.diagnosis)
        assert r.objective == pytest.approx(expected)


def test_a_given_cost_table_must_be_the_instances():
    from dataclasses import replace

    from optimiser.core.costs import build_cost_table
    from optimiser.geography.distances import distance_matrix

    inst = generate_instance(3, 30, 4)
    d = distance_matrix(inst)
    costs = build_cost_table(inst, d, inst.policy)
    assert solve(inst, distances=d, costs=costs).objective == pytest.approx(
        solve(inst, distances=d).objective)
    fewer = replace(inst, patients=inst.patients[:-1])
    with pytest.raises(ValueError, match="other patients or units"):
        solve(fewer, distances=d[:-1], costs=costs)


def test_a_given_cost_table_takes_its_beds_from_the_instance():
    from dataclasses import replace

    from optimiser.core.costs import build_cost_table
    from optimiser.geography.distances import distance_matrix

    inst = generate_instance(3, 30, 4)
    d = distance_matrix(inst)
    stale = build_cost_table(inst, d, inst.policy)  # built before the beds change
    closed = replace(inst, units=tuple(replace(u, beds_closed=u.beds) for u in inst.units))
    fresh = solve(closed, distances=d)
    given = solve(closed, distances=d, costs=stale)
    assert given.status == fresh.status
    assert given.objective == fresh.objective
