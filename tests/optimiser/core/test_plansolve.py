"""The plan over several nights (contract 1.2): rules, known optima and cross-checks.

The exhaustive search below is written from the contract's words, not from the plan table:
every schedule of every patient (stay / move on a present night / admit on or after arrival
/ unplaced / later), every night's capacity and limits checked directly, the objective summed
night by night. The fast path and the model of record must both reach its optimum.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import numpy as np
import pytest

import optimiser.core.pricing as pricing
from models.compatibility import is_compatible
from models.domain import Instance, Limits, Patient, Policy, SolverSettings, Unit, Weights
from models.errors import InputError
from optimiser.core.plansolve import solve_plan
from optimiser.core.solve import solve
from optimiser.geography.distances import distance_matrix

START = dt.date(2026, 12, 7)


def day(k: int) -> dt.date:
    """The date of night k."""
    return START + dt.timedelta(days=k - 1)


def ward(uid: str, beds: int, lat: float, network: str = "N1", **kw: object) -> Unit:
    return Unit(uid, network, "adult_secure", "medium", beds, lat, -1.0, **kw)  # type: ignore[arg-type]


def person(pid: str, lat: float, *, current: str | None = None, network: str = "N1",
           leaves: int | None = None, arrives: int | None = None, **kw: object) -> Patient:
    status = "inpatient" if current else "referral"
    return Patient(pid, status, "adult_secure", "medium", "male", 30, lat, -1.0, network,
                   current_unit_id=current,
                   expected_discharge=day(leaves) if leaves else None,
                   arrives_on=day(arrives) if arrives else None, **kw)  # type: ignore[arg-type]


def instance(units: list[Unit], patients: list[Patient], *, max_moves: int | None = None,
             max_adm: int | None = None, solver: str = "highs",
             weights: Weights | None = None) -> Instance:
    return Instance(tuple(units), tuple(patients), policy=Policy(
        distance="geodesic", weights=weights or Weights(),
        limits=Limits(max_moves=max_moves, max_admissions_per_unit=max_adm),
        solver=SolverSettings(name=solver, time_limit=60)))


def run(inst: Instance, nights: int, method: str = "fast"):
    return solve_plan(inst, start=START, nights=nights, method=method)


def actions(result) -> dict[str, tuple[str, int | None, str | None]]:
    return {r.patient_id: (r.action, r.night, r.unit_id) for r in result.rows}


# --------------------------------------------------------------------------- brute force


def brute_force(inst: Instance, nights: int) -> float:
    """The contract's optimum by trying every schedule (tiny instances only)."""
    w, lim = inst.policy.weights, inst.policy.limits
    d = distance_matrix(inst)
    units = {u.unit_id: j for j, u in enumerate(inst.units)}
    choices = []
    for i, p in enumerate(inst.patients):
        if not p.is_referral:
            last = nights if p.expected_discharge is None else \
                min((p.expected_discharge - START).days, nights)
            mine = [("stay", None, p.current_unit_id, last)]
            if p.movable:
                mine += [("move", s, u.unit_id, last) for u in inst.units
                         if u.unit_id != p.current_unit_id and is_compatible(p, u)
                         and np.isfinite(d[i, units[u.unit_id]]) for s in range(1, last + 1)]
        else:
            first = 1 if p.arrives_on is None or p.arrives_on <= START else \
                (p.arrives_on - START).days + 1
            if first > nights:
                mine = [("later", None, None, 0)]
            else:
                mine = [("unplaced", None, None, first)]
                mine += [("admit", s, u.unit_id, first) for u in inst.units
                         if is_compatible(p, u) and np.isfinite(d[i, units[u.unit_id]])
                         for s in range(first, nights + 1)]
        choices.append(mine)
    best = np.inf
    for combo in itertools.product(*choices):
        occ = np.zeros((len(inst.units), nights + 1), int)
        moves = np.zeros(nights + 1, int)
        arrivals = np.zeros((len(inst.units), nights + 1), int)
        cost = 0.0
        for (kind, s, uid, n), p, i in zip(combo, inst.patients, range(len(combo)),
                                            strict=True):
            for t in range(1, nights + 1):
                here = None
                if kind == "stay" and t <= n:
                    here = p.current_unit_id
                elif kind == "move" and t <= n:
                    here = p.current_unit_id if t < s else uid
                elif kind == "admit" and t >= s:
                    here = uid
                if here is not None:
                    j = units[here]
                    u = inst.units[j]
                    occ[j, t] += 1
                    cost += (w.km * d[i, j] + w.out_of_area * (u.network_id != p.home_network_id)
                             + w.cost * u.cost_per_day + w.delayed * (not is_compatible(p, u)))
            if kind == "move":
                moves[s] += 1
                arrivals[units[uid], s] += 1
                cost += w.move
            if kind == "admit":
                arrivals[units[uid], s] += 1
                cost += w.unplaced * p.priority * (s - n)
            if kind == "unplaced":
                cost += w.unplaced * p.priority * (nights - n + 1)
        beds = np.array([u.open_beds for u in inst.units])[:, None]
        if np.any(occ[:, 1:] > beds):
            continue
        if lim.max_moves is not None and np.any(moves > lim.max_moves):
            continue
        if lim.max_admissions_per_unit is not None and \
                np.any(arrivals > lim.max_admissions_per_unit):
            continue
        best = min(best, cost)
    return best


def tiny(seed: int) -> tuple[Instance, int]:
    """A seeded tiny instance with dates, limits and both ward rules."""
    rng = np.random.default_rng(seed)
    nights = int(rng.integers(2, 4))
    units = [ward(f"U{j}", int(rng.integers(1, 3)), 52.0 + float(rng.uniform(0, 2)),
                  network=f"N{int(rng.integers(1, 3))}",
                  specialisms=frozenset({"ld"}) if rng.random() < 0.3 else frozenset(),
                  specialist_only=bool(rng.random() < 0.2),
                  accepts_referrals=bool(rng.random() < 0.8))
             for j in range(int(rng.integers(2, 4)))]
    beds = {u.unit_id: u.beds for u in units}
    patients = []
    for k in range(int(rng.integers(2, 5))):
        lat = 52.0 + float(rng.uniform(0, 2))
        net = f"N{int(rng.integers(1, 3))}"
        free = [u for u, b in beds.items() if b > 0]
        if free and rng.random() < 0.55:
            cur = free[int(rng.integers(0, len(free)))]
            beds[cur] -= 1
            leaves = int(rng.integers(2, nights + 3)) if rng.random() < 0.5 else None
            patients.append(person(f"P{k}", lat, current=cur, network=net, leaves=leaves,
                                   movable=bool(rng.random() < 0.8)))
        else:
            arrives = int(rng.integers(1, nights + 2)) if rng.random() < 0.6 else None
            patients.append(person(f"R{k}", lat, network=net, arrives=arrives,
                                   priority=int(rng.integers(1, 3))))
    limits = {"max_moves": 1 if rng.random() < 0.4 else None,
              "max_adm": 1 if rng.random() < 0.4 else None}
    return instance(units, patients, **limits), nights


@pytest.mark.parametrize("lean", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_fast_and_model_of_record_reach_the_exhaustive_optimum(seed, lean, monkeypatch):
    if lean:  # one candidate per patient and one more a round: pricing over many rounds
        monkeypatch.setattr(pricing, "INITIAL_PER_PATIENT", 1)
        monkeypatch.setattr(pricing, "ADD_PER_PATIENT", 1)
        monkeypatch.setattr(pricing, "ADD_BUDGET", 0)
    inst, nights = tiny(seed)
    best = brute_force(inst, nights)
    fast, mip = run(inst, nights, "fast"), run(inst, nights, "mip")
    assert fast.status == mip.status == "optimal"
    assert fast.objective == pytest.approx(best, rel=1e-9)
    assert mip.objective == pytest.approx(best, rel=1e-9)
    assert fast.bound == pytest.approx(best, rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(12, 112))
def test_exhaustive_optimum_many_seeds(seed):
    inst, nights = tiny(seed)
    assert run(inst, nights).objective == pytest.approx(brute_force(inst, nights), rel=1e-9)


@pytest.mark.parametrize(("seed", "patients", "units", "nights", "moves"), [
    (100, 200, 24, 14, 2),  # the screened set's own optimum came back above the cutoff
    (124, 300, 21, 7, 3),
])
def test_fast_and_model_of_record_agree_on_a_generated_plan(seed, patients, units, nights,
                                                             moves):
    # Mid-size plans whose LP is fractional, where the screening proof does real work. Both
    # were reported optimal by the fast path above the optimum the model of record (and
    # CBC) proves, before an optimum above a screened MIP's cutoff stopped counting as a
    # proof.
    from models.generate import generate_instance

    inst = generate_instance(seed, patients, units, future_days=21)
    inst = dataclasses.replace(inst, policy=dataclasses.replace(
        inst.policy, limits=Limits(max_moves=moves, max_admissions_per_unit=1),
        solver=SolverSettings(name="highs", mip_gap=0.0)))
    start = inst.policy.plan.start
    fast = solve_plan(inst, start=start, nights=nights, method="fast")
    mip = solve_plan(inst, start=start, nights=nights, method="mip")
    assert fast.status == mip.status == "optimal"
    assert fast.objective == pytest.approx(mip.objective, rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(200, 216))
def test_fast_and_model_of_record_agree_on_generated_plans(seed):
    # The cross-check that found the false proofs, as a sweep: generated plans of 150-450
    # patients over 7-14 nights under tight limits (the LP often fractional); both exact.
    from models.generate import generate_instance

    rng = np.random.default_rng(seed)
    inst = generate_instance(seed, int(rng.integers(150, 450)), int(rng.integers(10, 25)),
                             future_days=14)
    policy = dataclasses.replace(inst.policy, limits=Limits(
        max_moves=int(rng.integers(1, 6)), max_admissions_per_unit=int(rng.integers(1, 3))),
        solver=SolverSettings(name="highs", mip_gap=0.0))
    start, nights = inst.policy.plan.start, int(rng.choice([7, 14]))
    fast = solve_plan(inst, policy, start=start, nights=nights, method="fast")
    mip = solve_plan(inst, policy, start=start, nights=nights, method="mip")
    assert fast.status == mip.status
    assert fast.objective == pytest.approx(mip.objective, rel=1e-9)
    assert fast.bound is not None and fast.bound <= mip.objective * (1 + 1e-9)


def test_a_plan_within_a_requested_gap_keeps_an_honest_bound():
    # Binds: with --gap 0.001 a screened MIP is "optimal" within that gap; its plan (here
    # 1.2e-4 above the optimum) was reported with bound = objective, a bound above the
    # optimum. The bound is now the MIP's own, at or below the optimum.
    from models.generate import generate_instance

    inst = generate_instance(101, 400, 22, future_days=21)
    policy = dataclasses.replace(
        inst.policy, weights=Weights(cost=1.0), limits=Limits(max_moves=3,
                                                              max_admissions_per_unit=2),
        solver=SolverSettings(name="highs", mip_gap=0.0))
    start = inst.policy.plan.start
    exact = solve_plan(inst, policy, start=start, nights=7, method="mip")
    gapped = solve_plan(inst, dataclasses.replace(
        policy, solver=SolverSettings(name="highs", mip_gap=1e-3)), start=start, nights=7)
    assert exact.status == gapped.status == "optimal"
    assert exact.objective is not None and gapped.bound is not None
    assert gapped.bound <= exact.objective * (1 + 1e-9) <= gapped.objective * (1 + 2e-9)
    assert gapped.objective <= exact.objective * (1 + 1e-3)


@pytest.mark.parametrize("seed", range(4))
def test_highs_and_cbc_agree(seed):
    inst, nights = tiny(100 + seed)
    cbc = dataclasses.replace(inst, policy=dataclasses.replace(
        inst.policy, solver=SolverSettings(name="cbc", time_limit=60)))
    a, b = run(inst, nights, "mip"), run(cbc, nights, "mip")
    assert a.status == b.status == "optimal" and b.solver == "cbc"
    assert a.objective == pytest.approx(b.objective, rel=1e-9)


def test_one_night_without_dates_is_reallocate(b):
    for seed in range(6):
        inst, d = b.random_instance(seed, 14, 5, max_moves=2 if seed % 2 else None,
                                    max_adm=1 if seed % 3 == 0 else None)
        night = solve_plan(inst, start=START, nights=1, distances=d)
        tonight = solve(inst, distances=d)
        assert night.status == tonight.status
        if tonight.objective is not None:
            assert night.objective == pytest.approx(tonight.objective, rel=1e-9)
            assert [r.action for r in night.rows] == [a.action for a in tonight.assignments]


# --------------------------------------------------------------------------- the rules


#: Home ward H (N1, next to home) is full until X leaves on night 3; S is in area but far;
#: F is out of area, where P is tonight.
HOME = [ward("H", 1, 52.0), ward("S", 1, 53.0), ward("F", 2, 54.0, network="N2")]


def test_waiting_for_the_home_ward_beats_moving_tonight():
    inst = instance(HOME, [person("X", 52.0, current="H", leaves=3, movable=False),
                           person("P", 52.0, current="F")])
    r = run(inst, 5)
    assert r.status == "optimal"
    assert actions(r)["P"] == ("move", 3, "H")


def test_without_the_discharge_the_second_best_ward_is_taken_tonight():
    inst = instance(HOME, [person("X", 52.0, current="H", movable=False),
                           person("P", 52.0, current="F")])
    assert actions(run(inst, 5))["P"] == ("move", 1, "S")


def test_a_referral_is_admitted_on_arrival_not_before():
    inst = instance([ward("A", 1, 52.0)], [person("R", 52.0, arrives=3)])
    r = run(inst, 4)
    assert actions(r)["R"] == ("admit", 3, "A")
    # waits no night: two nights of A (nights 3 and 4), 0 km apart
    assert r.objective == pytest.approx(0.0, abs=1e-9)


def test_a_referral_arriving_after_the_last_night_is_later_and_costs_nothing():
    inst = instance([ward("A", 1, 52.0)], [person("R", 52.0, arrives=6)])
    r = run(inst, 4)
    assert actions(r)["R"] == ("later", None, None) and r.objective == 0.0


def test_an_unplaced_referral_pays_every_night_it_waits():
    inst = instance([ward("A", 0, 52.0)], [person("R", 52.0, arrives=2, priority=3)])
    r = run(inst, 4)
    assert actions(r)["R"] == ("unplaced", None, None)
    assert r.objective == pytest.approx(1000.0 * 3 * 3)


def test_the_move_budget_binds_per_night():
    far = [ward("F", 3, 54.0, network="N2"), ward("H", 3, 52.0)]
    ps = [person(f"P{k}", 52.0, current="F") for k in range(3)]
    r = run(instance(far, ps, max_moves=1), 3)
    assert sorted(n for a, n, _ in actions(r).values()) == [1, 2, 3]
    free = run(instance(far, ps, max_moves=3), 3)
    assert sorted(n for a, n, _ in actions(free).values()) == [1, 1, 1]


def test_the_admission_limit_binds_per_night_and_unit():
    wards = [ward("A", 3, 52.0)]
    refs = [person(f"R{k}", 52.0) for k in range(3)]
    r = run(instance(wards, refs, max_adm=2), 2)
    assert sorted((a, n) for a, n, _ in actions(r).values()) == \
        [("admit", 1), ("admit", 1), ("admit", 2)]
    r = run(instance(wards, refs, max_adm=3), 2)
    assert sorted((a, n) for a, n, _ in actions(r).values()) == [("admit", 1)] * 3


def test_capacity_binds_on_every_night_a_discharge_frees_a_bed():
    wards = [ward("A", 1, 52.0)]
    r = run(instance(wards, [person("X", 52.0, current="A", leaves=3), person("R", 52.0)]), 4)
    assert actions(r)["R"] == ("admit", 3, "A")
    r = run(instance(wards, [person("X", 52.0, current="A", leaves=2), person("R", 52.0)]), 4)
    assert actions(r)["R"] == ("admit", 2, "A")


def test_each_patient_changes_ward_at_most_once():
    # P could go F → S tonight and S → H on night 3; one change only: straight to H then
    inst = instance(HOME, [person("X", 52.0, current="H", leaves=3, movable=False),
                           person("P", 52.0, current="F")])
    r = run(inst, 5)
    assert sum(1 for a, _, _ in actions(r).values() if a == "move") == 1


def test_an_expected_discharge_on_or_before_the_start_is_invalid_input():
    inst = instance(HOME, [person("X", 52.0, current="H", leaves=1)])
    with pytest.raises(InputError, match="expected_discharge 2026-12-07 is not after"):
        run(inst, 3)
    fine = instance(HOME, [person("X", 52.0, current="H", leaves=2)])
    assert run(fine, 3).status == "optimal"


def test_tonight_not_fitting_is_infeasible_with_tonight_s_diagnosis():
    inst = instance([ward("A", 1, 52.0)], [person("X", 52.0, current="A", movable=False),
                                           person("Y", 52.0, current="A", movable=False)])
    r = run(inst, 3)
    assert r.status == "infeasible" and r.rows == ()
    assert any("not movable" in m for m in r.diagnosis)


@pytest.mark.parametrize("seed", range(8))
def test_the_greedy_start_is_a_plan(seed):
    from optimiser.core.costs import build_cost_table
    from optimiser.core.diagnosis import check_beds
    from optimiser.core.plansolve import greedy_start
    from optimiser.core.plantable import build_plan_table, horizon
    from optimiser.core.rows import build_plan_rows, build_rows

    inst, nights = tiny(seed)
    hz = horizon(inst, START, nights)
    day = build_cost_table(inst)
    check = check_beds(inst, day, inst.policy.limits, build_rows(day, inst.policy.limits))
    table = build_plan_table(inst, hz, day=day)
    rows = build_plan_rows(table.costs, table.night, hz.current, hz.last, nights,
                           inst.policy.limits)
    begin = table.from_day(check.start)
    start = greedy_start(table, rows, begin)
    assert rows.violated(start) == []
    assert float(table.costs.cost[start].sum()) <= float(table.costs.cost[begin].sum())
    assert float(table.costs.cost[start].sum()) >= brute_force(inst, nights) - 1e-6


@pytest.mark.parametrize("iterations,rises", [(2, True), (0, False)])
def test_a_plan_whose_lp_stopped_midway_is_bounded_by_the_duals_it_reached(
        b, iterations, rises, monkeypatch):
    # Binds: round 2's LP stopped after 2 dual simplex iterations (a deterministic stand-in
    # for the time limit) already holds duals that bound this plan at its exhaustive optimum,
    # above round 1's bound, through the plan's differenced per-night families. Does not
    # bind: stopped before its first iteration, its duals are round 1's and so is the bound.
    monkeypatch.setattr(pricing, "INITIAL_PER_PATIENT", 1)
    monkeypatch.setattr(pricing, "ADD_PER_PATIENT", 1)
    monkeypatch.setattr(pricing, "ADD_BUDGET", 0)
    b.stop_lp_run(monkeypatch, 2, iterations)
    inst, nights = tiny(4)
    seen: list[str] = []
    result = solve_plan(inst, start=START, nights=nights, progress=seen.append)
    first = b.round_bounds(seen)
    assert len(first) == 1 and any("Iteration limit" in line for line in seen)
    best = brute_force(inst, nights)
    assert result.status == "feasible" and result.objective >= best - 1e-6
    if rises:
        assert first[0] + 50.0 < result.bound <= best + 1e-6
    else:
        assert result.bound == pytest.approx(first[0], rel=1e-9) and first[0] < best - 50.0


def plan_master(inst: Instance, nights: int):
    """``inst``'s plan over ``nights`` nights as the fast path's master (rows only, no
    column yet): (rows, master)."""
    import highspy

    from optimiser.core.costs import build_cost_table
    from optimiser.core.plantable import build_plan_table, horizon
    from optimiser.core.rows import build_plan_rows

    hz = horizon(inst, START, nights)
    table = build_plan_table(inst, hz, day=build_cost_table(inst))
    rows = build_plan_rows(table.costs, table.night, hz.current, hz.last, nights,
                           inst.policy.limits)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return rows, pricing._new_master(h, table.costs, rows)


def _plan_master(seed: int):
    """:func:`tiny`'s plan as the fast path's master: (instance, nights, rows, master)."""
    inst, nights = tiny(seed)
    return (inst, nights, *plan_master(inst, nights))


@pytest.mark.parametrize("seed", range(8))
def test_any_duals_clipped_to_their_signs_bound_the_exhaustive_optimum(seed):
    # Binds: a plan stopped by the time limit is bounded by whatever duals its stopped LP
    # held, clipped (pricing._sign_feasible); over the plan's differenced per-night families
    # too, every such bound is at most the optimum (random duals of both signs, 20 draws),
    # where unclipped they "bound" above it on 7 of these 8 instances.
    inst, nights, rows, master = _plan_master(seed)
    best = brute_force(inst, nights)
    rng = np.random.default_rng(seed)
    above = 0
    for _ in range(20):
        y = rng.normal(0.0, 500.0, rows.n_rows)
        assert pricing._price(master, pricing._sign_feasible(master, y), -np.inf)[2] \
            <= best + 1e-6
        above += pricing._price(master, y, -np.inf)[2] > best + 1e-6
    assert above > 0 or seed == 1  # seed 1: every draw happens to stay below


def test_sign_feasible_duals_are_unchanged_when_already_right():
    # Does not bind: duals already ≤ 0 on every ≤ row come back as they were.
    _, _, rows, master = _plan_master(3)
    y = -np.abs(np.random.default_rng(3).normal(0.0, 500.0, rows.n_rows))
    assert np.array_equal(pricing._sign_feasible(master, y), y)


# ------------------------------------------------------------------ what a machine can hold

def test_a_plan_table_beyond_memory_is_refused_naming_nights():
    from optimiser.core.plansolve import BYTES_PER_OPTION, check_size

    check_size(10, 100, memory=10 * 100 * BYTES_PER_OPTION)  # exactly fits: no error
    with pytest.raises(InputError, match=r"--nights: 101 nights of 10 options a night need "
                                         r"about 0 GiB, more than this machine's 0 GiB"):
        check_size(10, 101, memory=10 * 100 * BYTES_PER_OPTION)
