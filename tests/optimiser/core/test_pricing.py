"""The fast path proves the full model's optimum: pricing, integral LP, reduced-cost fixing."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

import optimiser.core.pricing as fast
from models.domain import Limits
from optimiser.core.costs import CostTable, build_cost_table
from optimiser.core.diagnosis import check_beds
from optimiser.core.result import OPTIMAL
from optimiser.core.rows import ModelRows, build_rows
from optimiser.core.solve import solve


@pytest.fixture
def lean(monkeypatch):
    """Start from one candidate per patient and add one per round: pricing must work."""
    monkeypatch.setattr(fast, "INITIAL_PER_PATIENT", 1)
    monkeypatch.setattr(fast, "ADD_PER_PATIENT", 1)
    monkeypatch.setattr(fast, "ADD_BUDGET", 0)


def _run(inst, d):
    seen: list[str] = []
    r = solve(inst, distances=d, method="fast", progress=seen.append)
    return r, "\n".join(seen)


def test_a_round_adds_every_option_priced_in_within_its_budget():
    opts = np.arange(10)
    patient = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 2])
    score = -np.arange(10, 0, -1.0)
    assert fast._to_add(opts, score, patient, 1, 10).tolist() == list(range(10))


def test_over_budget_a_round_adds_each_patients_best_as_many_as_fit():
    opts = np.arange(10)
    patient = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 2])
    score = np.array([-1.0, -6, -5, -4, -3, -2, -9, -8, -7, -1])
    # within 6: the two best of each patient (5); three each would be 7
    assert sorted(fast._to_add(opts, score, patient, 1, 6).tolist()) == [1, 2, 6, 7, 9]
    assert sorted(fast._to_add(opts, score, patient, 1, 7).tolist()) == [1, 2, 3, 6, 7, 8, 9]
    # never fewer than k of each patient, even past the budget
    assert sorted(fast._to_add(opts, score, patient, 3, 2).tolist()) == [1, 2, 3, 6, 7, 8, 9]
    assert sorted(fast._to_add(opts, score, patient, 1, 0).tolist()) == [1, 6, 9]


def test_pricing_adds_columns_until_none_and_matches_mip(b, lean):
    inst, d = b.random_instance(8, 30, 8, unreachable=0.15, tight=True)
    r, log = _run(inst, d)
    assert "pricing round 2" in log and "integral" in log
    mip = solve(inst, distances=d, method="mip")
    assert r.status == mip.status == OPTIMAL
    assert r.objective == pytest.approx(mip.objective, rel=1e-9)


def test_without_max_moves_lp_is_integral_even_with_admission_limit(b, lean):
    for seed in range(6):
        inst, d = b.random_instance(seed, 30, 8, max_adm=1, tight=True)
        r, log = _run(inst, d)
        if r.status == OPTIMAL:
            assert "fractional" not in log


@pytest.mark.parametrize("seed,max_moves", [(3, 6), (25, 1)])
def test_fractional_lp_reduced_cost_fixing_reaches_the_mip_optimum(b, lean, seed, max_moves):
    # These seeds give a fractional LP whose restricted MIP is above the LP bound, and the
    # reduced-cost argument must add columns (found by search; see the module docstring).
    inst, d = b.random_instance(seed, 30, 8, max_moves=max_moves, unreachable=0.15,
                                tight=seed % 2 == 0)
    r, log = _run(inst, d)
    assert "fractional" in log and "reduced cost within the gap" in log
    mip = solve(inst, distances=d, method="mip")
    assert r.status == mip.status == OPTIMAL
    assert r.objective == pytest.approx(mip.objective, rel=1e-9)
    assert r.bound == pytest.approx(r.objective, rel=1e-9)


def _tight(b):
    """The instance of the screening and time-limit tests: a fractional LP (moves limited,
    admissions limited, beds tight)."""
    return b.random_instance(6, 30, 8, max_moves=3, max_adm=2, tight=True)


def _rows(costs: CostTable) -> ModelRows:
    return build_rows(costs, Limits(max_moves=3, max_admissions_per_unit=2))


def _is_plan(costs: CostTable, chosen: np.ndarray) -> bool:
    """One option per patient and no row of :func:`_rows` broken."""
    return sorted(costs.patient[chosen]) == list(range(costs.n_patients)) and \
        _rows(costs).violated(chosen) == []


def _cheapest(costs: CostTable) -> float:
    """Each patient's cheapest option summed, patient by patient (the zero-dual bound)."""
    return float(sum(costs.cost[costs.start[p]:costs.start[p + 1]].min()
                     for p in range(costs.n_patients)))


def test_reduced_costs_of_master_columns_match_highs(b):
    # The vectorised pricing formula must agree with HiGHS's own column duals.
    import highspy

    inst, d = b.random_instance(4, 20, 6, max_moves=3, max_adm=2)
    costs = build_cost_table(inst, d)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    master = fast._new_master(h, costs, _rows(costs))
    fast._add_columns(master, np.arange(costs.n_options))
    h.setOptionValue("solver", "simplex")
    h.run()
    sol = h.getSolution()
    rc = fast._reduced_costs(master, np.asarray(sol.row_dual), 0, costs.n_options)
    assert np.allclose(rc[master.options], np.asarray(sol.col_dual), atol=1e-7)


def test_start_plan_from_bed_check_is_feasible(b):
    inst, d = b.random_instance(7, 30, 8, tight=True)  # needs 6 moves to fit
    costs = build_cost_table(inst, d)
    check = check_beds(inst, costs, inst.policy.limits)
    assert check.feasible and check.start is not None and check.min_moves == 6
    assert np.sum(costs.kind[check.start] == 1) == 6
    units = costs.unit[check.start]
    occ = np.bincount(units[units >= 0], minlength=costs.n_units)
    assert np.all(occ <= costs.open_beds)
    assert sorted(costs.patient[check.start]) == list(range(costs.n_patients))


def test_lagrangian_bound_is_valid_and_tight_at_the_lp_optimum(b):
    inst, d = _tight(b)
    mip = solve(inst, distances=d, method="mip")
    costs, _, master, (duals, _, lp) = _lp_master(b)
    _, _, bound = fast._price(master, duals, -1e-7)
    assert bound == pytest.approx(lp, rel=1e-9)
    assert bound <= mip.objective + 1e-6
    # Any duals of the right signs give a valid bound: e.g. all zero (each patient's
    # cheapest option).
    _, _, weak = fast._price(master, np.zeros_like(duals), -1e-7)
    assert weak <= bound + 1e-9
    assert weak == pytest.approx(_cheapest(costs))


class _Clock:
    """A clock for the pricing module that jumps when told (real time otherwise)."""

    def __init__(self) -> None:
        import time

        self.real = time.perf_counter
        self.offset = 0.0

    def perf_counter(self) -> float:
        return self.real() + self.offset


def _stopped_early(b, monkeypatch, jump: float):
    """Solve with a 100 s limit on a clock that jumps ``jump`` s after the first pricing."""
    from models.domain import SolverSettings

    inst, d = _tight(b)
    costs = build_cost_table(inst, d)
    start = check_beds(inst, costs, inst.policy.limits, _rows(costs)).start
    clock = _Clock()
    monkeypatch.setattr(fast, "time", clock)
    price = fast._price

    def price_then_jump(*args, **kwargs):
        out = price(*args, **kwargs)
        clock.offset += jump
        return out

    monkeypatch.setattr(fast, "_price", price_then_jump)
    policy = replace(inst.policy, limits=Limits(max_moves=3, max_admissions_per_unit=2),
                     solver=SolverSettings(name="highs", time_limit=100.0, mip_gap=0.0))
    seen: list[str] = []
    outcome = fast.solve_fast(costs, policy, start=start, progress=seen.append,
                              rows=_rows(costs))
    mip = solve(inst, distances=d, method="mip")
    return costs, start, outcome, mip, "\n".join(seen)


def test_time_limit_while_pricing_returns_the_best_plan_among_priced_columns(b, lean,
                                                                             monkeypatch):
    # Binds: past 80 % of the limit after the first round, pricing stops and a MIP over the
    # columns priced in so far improves on the starting plan, with the Lagrangian bound.
    costs, start, outcome, mip, log = _stopped_early(b, monkeypatch, jump=85.0)
    assert "pricing stopped (time limit while pricing)" in log
    raw = outcome.raw
    assert not raw.proven_optimal and raw.has_solution and outcome.chosen is not None
    chosen = np.asarray(outcome.chosen)
    assert _is_plan(costs, chosen)
    assert raw.objective == pytest.approx(costs.cost[chosen].sum(), rel=1e-9)
    assert mip.objective - 1e-6 <= raw.objective < costs.cost[start].sum()
    assert raw.bound is not None and raw.bound <= mip.objective + 1e-6


def test_time_left_for_pricing_proves_optimality(b, lean, monkeypatch):
    # Does not bind: a clock that stays within 80 % of the limit leaves pricing to converge.
    _, _, outcome, mip, log = _stopped_early(b, monkeypatch, jump=1.0)
    assert "pricing stopped" not in log and outcome.raw.proven_optimal
    assert outcome.raw.objective == pytest.approx(mip.objective, rel=1e-9)


def test_a_plan_stopped_before_any_lp_is_bounded_by_each_patients_cheapest_option(b):
    # Binds: the limit passes before the first LP, so there are no duals; the bound is
    # still Σ_p min c (each plan takes one option per patient), not None.
    from models.domain import SolverSettings

    inst, d = _tight(b)
    costs = build_cost_table(inst, d)
    start = check_beds(inst, costs, inst.policy.limits, _rows(costs)).start
    policy = replace(inst.policy, solver=SolverSettings(name="highs", time_limit=1e-9,
                                                        mip_gap=0.0))
    outcome = fast.solve_fast(costs, policy, start=start, rows=_rows(costs))
    mip = solve(inst, distances=d, method="mip")
    raw = outcome.raw
    assert not raw.proven_optimal and raw.objective == pytest.approx(costs.cost[start].sum())
    assert raw.bound == pytest.approx(_cheapest(costs), rel=1e-12)
    assert raw.bound <= mip.objective + 1e-6


def test_a_later_round_bound_above_the_cheapest_options_is_kept(b, lean, monkeypatch):
    # Does not bind: once a pricing round's duals bound the plan higher, that bound is
    # reported (the best of the rounds and of zero duals).
    costs, _, outcome, mip, log = _stopped_early(b, monkeypatch, jump=85.0)
    rounds = b.round_bounds(log.splitlines())
    bound = outcome.raw.bound
    assert bound is not None and bound <= mip.objective + 1e-6
    assert bound == pytest.approx(max([_cheapest(costs), *rounds]), rel=1e-9)


def test_sign_feasible_duals_bound_every_plan_whatever_made_them(b):
    # Binds: duals with a positive entry on a ≤ row can "bound" above the optimum; clipped
    # to ≤ 0 (equality rows untouched) they never do.
    inst, d = _tight(b)
    mip = solve(inst, distances=d, method="mip").objective
    _, _, master, (duals, _, _) = _lp_master(b)
    le = np.concatenate([np.full(f.n_rows, f.sense == "<=") for f in master.rows.families])
    rng = np.random.default_rng(0)
    above = 0
    for _ in range(50):
        y = duals + rng.normal(0.0, 200.0, duals.size)
        clipped = fast._sign_feasible(master, y)
        assert np.all(clipped[le] <= 0) and np.array_equal(clipped[~le], y[~le])
        assert fast._price(master, clipped, -np.inf)[2] <= mip + 1e-6
        above += fast._price(master, y, -np.inf)[2] > mip + 1e-6
    assert above > 0


def test_sign_feasible_leaves_an_optimal_lps_duals_alone(b):
    # Does not bind: an optimal LP's duals already have the right signs.
    _, _, master, (duals, _, lp) = _lp_master(b)
    clipped = fast._sign_feasible(master, duals)
    assert np.allclose(clipped, duals, atol=1e-7)
    assert fast._price(master, clipped, -1e-7)[2] == pytest.approx(lp, rel=1e-9)


def _stopped_in_round_two(b, monkeypatch, iterations: int):
    """Price :func:`_tight` with round 2's LP stopped after ``iterations`` dual simplex
    iterations (a deterministic stand-in for the time limit): the outcome, the bounds the
    rounds logged, the cheapest-options bound and the MIP optimum."""
    inst, d = _tight(b)
    costs = build_cost_table(inst, d)
    start = check_beds(inst, costs, inst.policy.limits, _rows(costs)).start
    b.stop_lp_run(monkeypatch, 2, iterations)
    seen: list[str] = []
    policy = replace(inst.policy, limits=Limits(max_moves=3, max_admissions_per_unit=2))
    outcome = fast.solve_fast(costs, policy, start=start, progress=seen.append,
                              rows=_rows(costs))
    rounds = b.round_bounds(seen)
    assert len(rounds) == 1 and any("Iteration limit" in line for line in seen)
    return outcome, max(_cheapest(costs), *rounds), solve(inst, distances=d,
                                                          method="mip").objective


def test_an_lp_stopped_midway_bounds_the_plan_by_the_duals_it_reached(b, lean, monkeypatch):
    # Binds: a round stopped after one iteration already holds better duals than the last
    # finished round's; their Lagrangian bound is reported, and it is valid.
    outcome, finished, mip = _stopped_in_round_two(b, monkeypatch, iterations=1)
    bound = outcome.raw.bound
    assert bound is not None and finished + 1.0 < bound <= mip + 1e-6
    assert not outcome.raw.proven_optimal and outcome.raw.objective >= mip - 1e-6


def test_an_lp_stopped_before_it_moved_keeps_the_finished_rounds_bound(b, lean, monkeypatch):
    # Does not bind: stopped before its first iteration, the round's duals are the last
    # round's, so the bound is the finished rounds' (and the cheapest options').
    outcome, finished, mip = _stopped_in_round_two(b, monkeypatch, iterations=0)
    assert outcome.raw.bound == pytest.approx(finished, rel=1e-12)
    assert outcome.raw.bound <= mip + 1e-6


class _StubHighs:
    """Records the time limit each run was given; its clock has run 100 s already."""

    def __init__(self) -> None:
        self.limits: list[float] = []
        self.options: dict[str, float] = {}

    def getRunTime(self) -> float:
        return 100.0

    def setOptionValue(self, name: str, value: float) -> None:
        self.options[name] = value

    def run(self) -> None:
        self.limits.append(self.options["time_limit"])


@pytest.mark.parametrize("mip", [False, True])
def test_each_run_gets_the_time_left_on_the_clock_highs_uses(mip):
    # An LP's limit is on HiGHS's clock across runs (100 s + what is left); a MIP's on the
    # clock of its own run (what is left): given 100 s + left, a MIP overran by 100 s.
    import time

    stub = _StubHighs()
    master = fast._Master(stub, None, None)  # type: ignore[arg-type]
    assert fast._solve(master, time.perf_counter() + 30.0, mip=mip)
    (limit,) = stub.limits
    assert (limit - (0.0 if mip else 100.0)) == pytest.approx(30.0, abs=1.0)
    assert not fast._solve(master, time.perf_counter() - 1.0, mip=mip)  # none left: not run
    assert len(stub.limits) == 1


def _stub_mips(monkeypatch, answers, then=None):
    """Replace the master's MIP by ``answers`` in turn (then ``then`` for ever), recording
    each run's cutoff."""
    cutoffs: list[float] = []

    def mip(master, *_a):
        cutoffs.append(master.h.getOptionValue("objective_bound")[1])
        return answers.pop(0) if answers else then

    monkeypatch.setattr(fast, "_solve_mip", mip)
    return cutoffs


def test_screening_clears_each_delta_with_a_cutoff_then_proves(b, monkeypatch):
    # Binds: no plan under z_LP + 1, so Δ grows eightfold; under z_LP + 8 the MIP's plan is
    # the optimum. The cutoff is left unset afterwards.
    from optimiser.core.verdict import RawOutcome

    _costs, start, master, (duals, _x, lp) = _lp_master(b)
    none = (RawOutcome("highs", "Infeasible", False, True, False, None, None), None)
    plan = (RawOutcome("highs", "Optimal", True, False, True, lp + 5.0, lp + 5.0), start)
    cutoffs = _stub_mips(monkeypatch, [none, plan])
    out = fast._screened_mip(master, duals, lp, float("inf"), lambda _m: None)
    assert out is not None and out.raw.proven_optimal and out.raw.objective == lp + 5.0
    assert cutoffs == pytest.approx([lp + 1.0, lp + 8.0], abs=1e-4)
    assert master.h.getOptionValue("objective_bound")[1] == float("inf")


def test_an_optimum_above_the_cutoff_proves_nothing_but_the_cutoff(b, monkeypatch):
    # Binds: HiGHS 1.16 may answer "Optimal" with the screened set's own optimum above the
    # cutoff z_LP + 1 (seen on generated plans; the plan was up to 0.5% above the model's
    # optimum and reported optimal). That shows only that no plan costs less than z_LP + 1:
    # Δ grows, to that plan's cost at most, and the set then holds it.
    from optimiser.core.verdict import RawOutcome

    _costs, start, master, (duals, _x, lp) = _lp_master(b)
    above = (RawOutcome("highs", "Optimal", True, False, True, lp + 5.0, lp + 5.0), start)
    cutoffs = _stub_mips(monkeypatch, [above, above])
    seen: list[str] = []
    out = fast._screened_mip(master, duals, lp, float("inf"), seen.append)
    assert cutoffs == pytest.approx([lp + 1.0, lp + 5.0], abs=1e-4)
    assert out is not None and out.raw.proven_optimal and out.raw.objective == lp + 5.0
    assert [line for line in seen if "proven optimal" in line] == [
        f"MIP {lp + 5.0:.10g} within 5 of the LP bound: proven optimal"]


@pytest.mark.parametrize(("own", "bound"), [(3.0, 3.0), (None, 1.0), (5.0, 5.0)])
def test_a_proof_within_a_requested_gap_reports_the_mips_own_bound(b, monkeypatch, own,
                                                                     bound):
    # Binds (own 3): under a requested gap a screened MIP's "optimal" plan (z_LP + 5) is
    # only within that gap of its own bound (z_LP + 3), which is what is reported; without
    # one, what the cutoffs proved (nothing under z_LP + 1). Does not bind when the MIP's
    # bound is the plan's cost (no gap asked): bound = objective.
    from optimiser.core.verdict import RawOutcome

    _costs, start, master, (duals, _x, lp) = _lp_master(b)
    none = (RawOutcome("highs", "Infeasible", False, True, False, None, None), None)
    plan = (RawOutcome("highs", "Optimal", True, False, True, lp + 5.0,
                       None if own is None else lp + own), start)
    _stub_mips(monkeypatch, [none, plan])
    out = fast._screened_mip(master, duals, lp, float("inf"), lambda _m: None)
    assert out is not None and out.raw.proven_optimal and out.raw.objective == lp + 5.0
    assert out.raw.bound == pytest.approx(lp + bound)


def test_screening_never_looks_beyond_the_best_plan_known(b, monkeypatch):
    # Does not grow past the plan known: its cost caps Δ (the set then holds it), and a
    # solver that still finds nothing ends the screening with that plan, not a loop.
    from optimiser.core.verdict import RawOutcome

    costs, start, master, (duals, _x, lp) = _lp_master(b)
    z = float(costs.cost[start].sum())
    none = (RawOutcome("highs", "Infeasible", False, True, False, None, None), None)
    cutoffs = _stub_mips(monkeypatch, [], then=none)
    out = fast._screened_mip(master, duals, lp, float("inf"), lambda _m: None,
                             incumbent=start)
    assert out is not None and np.array_equal(out.chosen, start) and out.raw.objective == z
    assert not out.raw.proven_optimal and out.raw.bound == pytest.approx(z)
    screening = [c for c in cutoffs if c < float("inf")]  # then the dive's, without
    assert screening[-1] == pytest.approx(z, abs=1e-4) and max(screening) <= z + 1e-4
    assert len(cutoffs) < 40


@pytest.mark.parametrize("mip_bound,floor", [(3.0, 3.0), (20.0, 8.0), (None, 1.0)])
def test_screening_out_of_time_looks_for_a_plan_and_keeps_what_it_proved(b, monkeypatch,
                                                                           mip_bound, floor):
    # No plan under z_LP + 1; under z_LP + 8 time runs out without one: the reserve finds a
    # plan without a cutoff (the dive), returned feasible with the bound the MIPs proved —
    # nothing below z_LP + 1, nor below the stopped MIP's own bound up to z_LP + 8.
    from optimiser.core.verdict import RawOutcome

    costs, start, master, (duals, x, lp) = _lp_master(b)
    z = float(costs.cost[start].sum())
    assert z > lp + 8.0
    none = (RawOutcome("highs", "Infeasible", False, True, False, None, None), None)
    stopped = (RawOutcome("highs", "Time limit reached", False, False, False, None,
                          None if mip_bound is None else lp + mip_bound), None)
    dived = (RawOutcome("highs", "Optimal", True, False, True, z, z), start)
    cutoffs = _stub_mips(monkeypatch, [none, stopped], then=dived)
    monkeypatch.setattr(fast, "complete_lp", lambda *_a: None)  # the MIPs' plans only
    seen: list[str] = []
    out = fast._screened_mip(master, duals, lp, float("inf"), seen.append, x)
    assert out is not None and np.array_equal(out.chosen, start)
    assert not out.raw.proven_optimal and out.raw.objective == z
    assert out.raw.bound == pytest.approx(lp + floor)
    assert cutoffs[2] == float("inf")  # the dive looks without a cutoff
    assert any("screening the" in line for line in seen)


def _fractional(b):
    """An instance like :func:`_tight` whose LP over every option is fractional (10 columns
    strictly between 0 and 1)."""
    return b.random_instance(24, 30, 8, max_moves=3, max_adm=2, tight=True)


def _lp_master(b, instance=None):
    """Every option of a small instance (by default :func:`_tight`'s) in the master, its LP
    solved: (costs, start, master, (duals, x, z_LP))."""
    import highspy

    inst, d = instance or _tight(b)
    costs = build_cost_table(inst, d)
    rows = _rows(costs)
    start = check_beds(inst, costs, inst.policy.limits, rows).start
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    master = fast._new_master(h, costs, rows)
    fast._add_columns(master, np.arange(costs.n_options))
    h.setOptionValue("solver", "simplex")
    h.run()
    solution = h.getSolution()
    duals = fast._family_duals(master, np.asarray(solution.row_dual))
    x = np.asarray(solution.col_value)[master.aux:]
    return costs, start, master, (duals, x, h.getInfo().objective_function_value)


def test_rounding_keeps_the_lps_ones_and_searches_only_its_fractional_patients(b):
    # Binds: a fractional LP; its columns at 1 stay, only the patients it split are searched,
    # and the plan is a plan of the model, between the MIP optimum and the bed check's.
    inst, d = _fractional(b)
    costs, start, master, (_, x, z_lp) = _lp_master(b, (inst, d))
    opts = master.options
    at_one = x > 1 - 1e-6
    split = np.unique(costs.patient[opts[(x > 1e-6) & ~at_one]])
    assert split.size > 0
    seen: list[str] = []
    found = fast._round_lp(master, at_one, x, float("inf"), seen.append)
    assert found is not None
    z, chosen = found
    assert _is_plan(costs, chosen)
    assert set(opts[at_one].tolist()) <= set(chosen.tolist())
    mip = solve(inst, distances=d, method="mip")
    assert z_lp - 1e-6 <= mip.objective <= z + 1e-6 and z <= costs.cost[start].sum() + 1e-9
    free = int(np.isin(costs.patient, split).sum())
    assert f"{free} columns of the {split.size} patients" in seen[0]
    assert free < costs.n_options


def test_dive_of_an_integral_lp_is_its_rounding(b):
    # Does not bind: nothing is fractional, the rounding is the LP's plan and nothing else
    # is solved.
    _, _, master, (duals, x, z_lp) = _lp_master(b)
    assert np.all((x < 1e-6) | (x > 1 - 1e-6))
    seen: list[str] = []
    found = fast._dive(master, (duals, x, z_lp), float("inf"), seen.append)
    assert found is not None and found[0] == pytest.approx(z_lp)
    assert len(seen) == 1 and "0 columns of the 0 patients" in seen[0]


@pytest.mark.parametrize("rounded_dearer", [True, False])
def test_screening_after_the_rounding_starts_from_the_cheaper_plan(b, monkeypatch,
                                                                    rounded_dearer):
    # Binds (rounded_dearer): the rounding's plan costs more than the plan known, so the
    # screening MIP starts from the plan known; does not bind: from the rounding's.
    from optimiser.core.verdict import RawOutcome

    costs, start, master, last = _lp_master(b)
    known = float(costs.cost[start].sum())
    other = start.copy()
    rounded = (known + 1.0 if rounded_dearer else known - 1.0, other)
    monkeypatch.setattr(fast, "_round_lp", lambda *_a: rounded)
    seeds: list[np.ndarray | None] = []

    def record(_master, _deadline, seed):
        seeds.append(seed)
        return RawOutcome("highs", "Time limit reached", False, False, False, None, None), None

    monkeypatch.setattr(fast, "_solve_mip", record)
    found = fast._dive(master, last, float("inf"), lambda _m: None, start)
    assert found == rounded and len(seeds) == 1
    assert seeds[0] is (start if rounded_dearer else other)


def test_dive_fixes_what_the_lp_settles_and_finds_a_plan(b, monkeypatch):
    # Binds: when the rounding finds no plan, columns far from zero reduced cost are fixed,
    # so the MIP is small, yet its plan is a plan of the model, no dearer than the bed
    # check's.
    monkeypatch.setattr(fast, "_round_lp", lambda *_a: None)
    costs, start, master, last = _lp_master(b)
    seen: list[str] = []
    found = fast._dive(master, last, float("inf"), seen.append)
    assert found is not None
    z, chosen = found
    assert _is_plan(costs, chosen)
    assert z == pytest.approx(costs.cost[chosen].sum()) and z <= costs.cost[start].sum()
    assert last[2] - 1e-6 <= z
    free = int(seen[0].split(": ")[1].split(" free")[0])
    assert free < costs.n_options  # the first screen left most columns fixed


def test_dive_grows_delta_while_the_screened_master_has_no_plan(b, monkeypatch):
    # No plan within Δ = 1: Δ grows eightfold; then a plan far above the LP: Δ grows towards
    # its distance from the LP, and the dive ends there. When nothing is ever found it ends
    # once every column is free.
    from optimiser.core.verdict import RawOutcome

    monkeypatch.setattr(fast, "_round_lp", lambda *_a: None)
    costs, start, master, last = _lp_master(b)
    z, lp = float(costs.cost[start].sum()), last[2]
    none = (RawOutcome("highs", "Infeasible", False, True, False, None, None), None)
    plan = (RawOutcome("highs", "Optimal", True, False, True, z, z), start)
    answers = iter([none])
    monkeypatch.setattr(fast, "_solve_mip", lambda *_a: next(answers, plan))
    seen: list[str] = []
    found = fast._dive(master, last, float("inf"), seen.append)
    assert found is not None and found[0] == z and np.array_equal(found[1], start)
    deltas = [float(line.split("within ")[1].split(",")[0]) for line in seen]
    assert deltas[:2] == [1.0, 8.0] and z - lp > 8.0
    for before, after in itertools.pairwise(deltas[1:]):
        assert after == pytest.approx(min(8.0 * before, z - lp), rel=1e-5)
    assert deltas[-1] == pytest.approx(z - lp, rel=1e-5)

    monkeypatch.setattr(fast, "_solve_mip", lambda *_a: none)
    seen.clear()
    assert fast._dive(master, last, float("inf"), seen.append) is None
    assert f"{costs.n_options} free" in seen[-1] and len(seen) < 40


def test_without_a_solved_lp_the_stopped_plan_comes_from_every_column_priced_in(b):
    # The first LP itself ran out of time: no duals to screen by, so the MIP is over every
    # master column, started from the plan known; it finds the optimum here.
    costs, start, master, _ = _lp_master(b)
    seen: list[str] = []
    out = fast._restricted_plan(master, costs, start, -1.0, float("inf"), seen.append,
                                "time limit")
    mip = float(costs.cost[np.asarray(out.chosen)].sum())
    assert not out.raw.proven_optimal and out.raw.bound == -1.0
    assert out.raw.objective == pytest.approx(mip) and mip < costs.cost[start].sum()
    assert not any("screening the" in line for line in seen)
    assert _is_plan(costs, np.asarray(out.chosen))


@pytest.mark.parametrize("log_solver", [False, True])
def test_a_temporary_folder_only_for_a_solver_log(b, monkeypatch, caplog, log_solver):
    """A folder made per solve outlives a process killed meanwhile (the baseline beside a
    plan): none unless the solver's log is asked for, and that one is removed."""
    import logging
    import os
    import tempfile

    made: list[tempfile.TemporaryDirectory[str]] = []
    real = tempfile.TemporaryDirectory

    def counting(*args: object, **kwargs: object) -> tempfile.TemporaryDirectory[str]:
        made.append(real(*args, **kwargs))  # type: ignore[call-overload]
        return made[-1]

    monkeypatch.setattr(fast.tempfile, "TemporaryDirectory", counting)
    inst, d = b.random_instance(4, 12, 4)
    costs = build_cost_table(inst, d)
    with caplog.at_level(logging.INFO, logger=fast.__name__):
        outcome = fast.solve_fast(costs, inst.policy, log_solver=log_solver)
    assert outcome.chosen is not None
    assert len(made) == int(log_solver)
    assert not any(os.path.exists(t.name) for t in made)
    assert ("highs log (fast path)" in caplog.text) == log_solver
