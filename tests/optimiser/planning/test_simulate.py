"""The simulation engine and its policies: hand-checked figures, the books it keeps (every
night within open beds, conservation), common random numbers and determinism."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

import numpy as np
import pytest

from models.calibration import mean_stay_days
from models.demand import DemandRate
from models.domain import Limits, Patient
from models.errors import InputError
from models.io import read_instance
from optimiser.planning.simulate import differences, run_task, runs_csv, simulate, summary
from optimiser.planning.simulate_draws import (
    build_world,
    draw_run,
    estimate_rates,
    interval_95,
)
from optimiser.planning.simulate_policies import make_decider
from optimiser.planning.simulate_run import FIGURES, Night, RunResult, simulate_run

from .test_simulate_cases import EXAMPLE, START, small_instance, small_world


def example_world(days: int = 14, **policy_limits: int | None):
    inst = read_instance(EXAMPLE)
    if policy_limits:
        inst = dataclasses.replace(inst, policy=dataclasses.replace(
            inst.policy, limits=Limits(**policy_limits)))
    zero = (DemandRate("adult_secure", "medium", "north", 0.0),)
    return build_world(inst, days=days, start=START, rates=zero)


# ----------------------------------------------------------------- the worked example
# LEEDS (north, 2 beds, £500) holds P2 (leaves 2 Jan: night 1 only); LONDON (south, 2 beds,
# £400) holds P1 (home York, north; leaves 10 Jan: nights 1-9) and P3 (south, all nights).
# R1 (home London, south) waits on night 1. No other referral arrives.

def test_example_nearest_admits_to_the_only_free_bed_out_of_area():
    res = run_task(example_world(), "nearest", 1, 1)
    f = res.figures
    # R1 -> LEEDS (LONDON is full); out of area: P1 9 nights + R1 14 nights.
    assert (f["moves"], f["brought_home"], f["admissions"]) == (0, 0, 1)
    assert f["out_of_area_bed_days"] == 9 + 14
    assert f["bed_days"] == 9 + 1 + 14 + 14
    assert f["discharges"] == 2 and f["referrals"] == 1 and f["unplaced_nights"] == 0
    assert f["cost"] == 400 * (9 + 14) + 500 * (1 + 14)


def test_example_reallocate_brings_p1_home_and_admits_r1_in_london():
    res = run_task(example_world(), "reallocate", 1, 1)
    f = res.figures
    # Night 1: P1 LONDON -> LEEDS (home collaborative), R1 into the bed P1 freed.
    assert (f["moves"], f["brought_home"], f["admissions"]) == (1, 1, 1)
    assert f["out_of_area_bed_days"] == 0
    assert f["cost"] == 500 * (1 + 9) + 400 * (14 + 14)
    assert res.out_of_area == (0,) * 14


def test_move_budget_binds_reallocate_moves_nobody_with_max_moves_0():
    res = run_task(example_world(max_moves=0), "reallocate", 1, 1)
    assert res.figures["moves"] == 0
    assert res.figures["out_of_area_bed_days"] == 9 + 14  # as nearest: R1 goes to LEEDS


def test_move_budget_does_not_bind_with_max_moves_1():
    res = run_task(example_world(max_moves=1), "reallocate", 1, 1)
    assert res.figures["moves"] == 1 and res.figures["out_of_area_bed_days"] == 0


def test_admission_limit_binds_in_nearest():
    # Two referrals from Leeds; north-cyp has 4 free beds but takes one new patient a night:
    # the second goes to the next nearest ward, mid-cyp (Birmingham).
    world = small_world(days=3, inpatients=0, referrals=0, max_admissions=1)
    res = _two_referrals(world)
    assert [(e.night, e.to_unit) for e in res.events if e.kind == "admit"] == [
        (1, "north-cyp"), (1, "mid-cyp")]


def test_admission_limit_does_not_bind_when_absent():
    world = small_world(days=3, inpatients=0, referrals=0, max_admissions=None)
    res = _two_referrals(world)
    assert [(e.night, e.to_unit) for e in res.events if e.kind == "admit"] == [
        (1, "north-cyp"), (1, "north-cyp")]


def _two_referrals(world):
    inst = world.instance
    refs = tuple(dataclasses.replace(
        inst.patients[0] if inst.patients else _ref(), patient_id=f"X{k}")
        for k in range(2))
    world = build_world(dataclasses.replace(inst, patients=refs), days=3, start=START,
                        rates=())
    draws = draw_run(world, 1, 0)
    return simulate_run(world, draws, "nearest", make_decider("nearest", world, draws),
                        events=True)


def _ref():
    from models.domain import Patient

    return Patient(patient_id="X", status="referral", service="camhs", level="general",
                   sex="female", age=14, home_lat=53.7, home_lon=-1.45,
                   home_network_id="north")


# ----------------------------------------------------------------- the books

def replay(world, res: RunResult) -> list[Counter[str]]:
    """Occupancy per unit after each night, rebuilt from the event log alone."""
    occ: Counter[str] = Counter(p.current_unit_id for p in world.instance.patients
                                if not p.is_referral)
    nights = []
    by_night: dict[int, list] = {}
    for e in res.events:
        by_night.setdefault(e.night, []).append(e)
    for night in range(1, world.days + 1):
        for e in by_night.get(night, []):
            if e.from_unit:
                occ[e.from_unit] -= 1
            if e.to_unit:
                occ[e.to_unit] += 1
        nights.append(occ.copy())
    return nights


@pytest.mark.parametrize("policy", ["nearest", "reallocate"])
@pytest.mark.parametrize("run", [1, 2, 3])
def test_no_ward_is_ever_over_its_open_beds(policy, run):
    world = small_world(days=40, max_admissions=2)
    res = run_task(world, policy, run, 11, events=True)
    beds = {u.unit_id: u.open_beds for u in world.instance.units}
    nights = replay(world, res)
    assert res.figures["admissions"] > 10  # the wards are busy: the check has work to do
    for night, occ in enumerate(nights, start=1):
        for uid, n in occ.items():
            assert 0 <= n <= beds[uid], (night, uid, n)
    assert [sum(o.values()) for o in nights] == list(res.present)


def test_replay_finds_a_ward_over_its_beds():
    # The replay check itself can fail: a log with one admission too many is caught.
    from optimiser.planning.simulate_run import Event

    world = example_world(days=1)
    fake = RunResult("x", 1, 0, {}, (), (), (1,), (0, 0), (0, 0),
                     events=(Event(1, "admit", "R1", None, "LONDON"),))
    occ = replay(world, fake)[0]
    assert occ["LONDON"] == 3 > 2


@pytest.mark.parametrize("policy", ["nearest", "reallocate"])
def test_conservation_patients_in_equal_patients_out_plus_present(policy):
    world = small_world(days=30)
    for run in (1, 2):
        res = run_task(world, policy, run, 3, events=True)
        f = res.figures
        inpatients, referrals_waiting = res.end
        assert res.census[0] + f["referrals"] == f["discharges"] + inpatients + \
            referrals_waiting
        assert res.present[-1] == inpatients and res.waiting[-1] == referrals_waiting
        kinds = Counter(e.kind for e in res.events)
        assert kinds["discharge"] == f["discharges"] and kinds["admit"] == f["admissions"]
        assert kinds["arrive"] == f["referrals"] and kinds["move"] == f["moves"]
        assert f["bed_days"] == sum(res.present)
        assert f["unplaced_nights"] == sum(res.waiting)
        assert f["out_of_area_bed_days"] == sum(res.out_of_area)


def test_nearest_moves_nobody():
    world = small_world(days=40)
    for run in (1, 2, 3):
        res = run_task(world, "nearest", run, 0, events=True)
        assert res.figures["moves"] == 0 and res.figures["brought_home"] == 0
        assert not [e for e in res.events if e.kind == "move"]
        assert res.figures["admissions"] > 0


def test_reallocate_moves_people_on_the_same_draws():
    # The pair of the above: the optimiser does move people, and brings some home.
    res = run_task(small_world(days=40), "reallocate", 1, 0)
    assert res.figures["moves"] > 0 and res.figures["brought_home"] > 0


def test_nearest_admits_in_arrival_order_to_the_nearest_ward_with_a_bed():
    world = build_world(small_instance(inpatients=0, referrals=3), days=1, start=START,
                        rates=())
    draws = draw_run(world, 1, 0)
    res = simulate_run(world, draws, "nearest", make_decider("nearest", world, draws),
                       events=True)
    # R1..R3 live near north, mid, south: each gets its own collaborative's CAMHS ward.
    admits = [(e.patient_id, e.to_unit) for e in res.events if e.kind == "admit"]
    assert admits == [("R1", "north-cyp"), ("R2", "mid-cyp"), ("R3", "south-cyp")]


# ----------------------------------------------------------------- common random numbers

def test_run_k_of_every_policy_sees_the_same_arrivals_and_discharge_draws():
    world = small_world(days=30)
    a = run_task(world, "nearest", 2, 5, events=True)
    b = run_task(world, "reallocate", 2, 5, events=True)
    arrivals = [[(e.night, e.patient_id) for e in r.events if e.kind == "arrive"]
                for r in (a, b)]
    assert arrivals[0] == arrivals[1] and len(arrivals[0]) > 5
    assert a.figures["referrals"] == b.figures["referrals"]
    d1, d2 = draw_run(world, 2, 5), draw_run(world, 2, 5)
    assert np.array_equal(d1.stay, d2.stay) and np.array_equal(d1.template, d2.template)


def test_different_runs_see_different_draws():
    world = small_world(days=30)
    a, b = draw_run(world, 1, 5), draw_run(world, 2, 6)
    assert not np.array_equal(a.arrive, b.arrive) or not np.array_equal(a.stay, b.stay)


def test_the_first_nights_draws_do_not_depend_on_how_many_nights_are_simulated():
    short, long_ = small_world(days=10), small_world(days=30)
    a, b = draw_run(short, 1, 4), draw_run(long_, 1, 4)
    n = len(short.instance.patients)
    early = b.arrive[n:] <= 10
    assert np.array_equal(a.arrive[n:], b.arrive[n:][early])
    assert np.array_equal(a.template[n:], b.template[n:][early])
    assert np.array_equal(a.stay[:n], b.stay[:n])


def test_same_seed_gives_byte_identical_runs_csv_and_another_seed_does_not():
    world = small_world(days=20)
    one = runs_csv(simulate(world, ["nearest", "reallocate"], 2, 9))
    two = runs_csv(simulate(world, ["nearest", "reallocate"], 2, 9))
    other = runs_csv(simulate(world, ["nearest", "reallocate"], 2, 10))
    assert one == two
    assert one != other
    assert one.splitlines()[0] == ("policy,run,seed,brought_home,moves,admissions,discharges,"
                                   "referrals,unplaced_nights,out_of_area_bed_days,bed_days,"
                                   "km_bed_days,cost")
    assert [line.split(",")[:3] for line in one.splitlines()[1:]] == [
        ["nearest", "1", "9"], ["nearest", "2", "10"],
        ["reallocate", "1", "9"], ["reallocate", "2", "10"]]


# ----------------------------------------------------------------- draws and rates

def test_rates_follow_littles_law():
    inst = read_instance(EXAMPLE)
    rates = {(r.service, r.level, r.home_network_id): r.referrals_per_year
             for r in estimate_rates(inst)}
    # 2 medium inpatients from the north, 1 from the south; mean stay 3 years.
    assert rates[("adult_secure", "medium", "north")] == pytest.approx(2 / 3)
    assert rates[("adult_secure", "medium", "south")] == pytest.approx(1 / 3)


def test_camhs_eating_disorder_patients_stay_longer():
    assert mean_stay_days("camhs", "general") == 35.0
    assert mean_stay_days("camhs", "general", frozenset({"ed"})) == 125.0


def test_expected_discharge_is_used_and_stays_are_drawn_otherwise():
    world = example_world()
    draws = draw_run(world, 1, 0)
    # P1 leaves 10 Jan: 9 nights; P2 leaves 2 Jan: 1 night; P3 20 Jan: 19 nights.
    assert draws.stay[:3].tolist() == [9, 1, 19]
    assert draws.stay[3] >= 1  # R1: drawn


def test_arrivals_average_the_rate():
    inst = small_instance()
    rates = (DemandRate("camhs", "general", "north", 365.0, 5.0),)  # one a night
    world = build_world(inst, days=2000, start=START, rates=rates)
    drawn = draw_run(world, 1, 0).arrive[len(inst.patients):]
    assert 1820 < drawn.size < 2180  # Poisson(2000): 4 sd either side (1,986 drawn)


def test_listed_future_referrals_hold_back_drawn_ones():
    inst = small_instance(referrals=1)
    late = dataclasses.replace(inst.patients[-1], arrives_on=START + dt.timedelta(days=9))
    inst = dataclasses.replace(inst, patients=(*inst.patients[:-1], late))
    world = build_world(inst, days=30, start=START, rates=None)
    assert world.drawn_from == 11  # arrives night 10; drawn referrals from night 11
    plain = build_world(small_instance(referrals=1), days=30, start=START)
    assert plain.drawn_from == 1


def test_interval_is_the_student_t_interval():
    mean, sd, low, high = interval_95(np.array([1.0, 2.0, 3.0]))
    assert (mean, sd) == (2.0, 1.0)
    # t(0.975, 2 df) = 4.302653; half-width 4.302653 / sqrt(3) = 2.484138
    assert low == pytest.approx(2 - 2.484138, abs=1e-6)
    assert high == pytest.approx(2 + 2.484138, abs=1e-6)
    assert interval_95(np.array([5.0]))[2:] == (None, None)
    assert interval_95(np.array([4.0, 4.0]))[2:] == (4.0, 4.0)


def test_summary_has_every_figure_of_every_policy():
    world = small_world(days=10)
    results = simulate(world, ["nearest", "reallocate"], 3, 1)
    summ = summary(results, days=10, runs=3, seed=1)
    assert list(summ) == ["days", "runs", "seed", "policies"]
    assert list(summ["policies"]) == ["nearest", "reallocate"]
    for figs in summ["policies"].values():
        assert list(figs) == list(FIGURES)
        for f in figs.values():
            assert set(f) == {"mean", "low", "high"}
            assert f["low"] <= f["mean"] <= f["high"]
    diffs = differences(results, "nearest")
    assert diffs["reallocate"]["referrals"] == (0.0, 0.0, 0.0)  # the same draws


# ----------------------------------------------------------------- refused input

def test_days_below_one_refused():
    with pytest.raises(InputError, match="--days: must be at least 1"):
        build_world(small_instance(), days=0, start=START)


def test_expected_discharge_not_after_start_refused():
    inst = read_instance(EXAMPLE)
    with pytest.raises(InputError, match=r"patients.csv:3: expected_discharge: 2027-01-02 "
                                          r"is not after the first night 2027-01-02"):
        build_world(inst, days=5, start=dt.date(2027, 1, 2))


def test_census_over_its_open_beds_refused():
    inst = read_instance(EXAMPLE)
    full = dataclasses.replace(inst, units=(
        inst.units[0], dataclasses.replace(inst.units[1], beds_closed=1)))
    with pytest.raises(InputError, match=r"units\.csv:3: beds: 2 inpatients tonight but "
                                          r"1 open beds"):
        build_world(full, days=5, start=START)


def test_a_policy_deciding_the_impossible_is_stopped():
    from optimiser.planning.simulate_run import PolicyError

    world = example_world(days=2)
    draws = draw_run(world, 1, 0)

    class Overfill:
        failed_nights = 0

        def __call__(self, night: Night) -> list[tuple[int, int]]:
            return [(3, 1)]  # R1 into LONDON, which is full

    with pytest.raises(PolicyError, match="LONDON holds 3 patients in 2 open beds"):
        simulate_run(world, draws, "overfill", Overfill())


# ----------------------------------------------------------------- the plan policy

def test_plan_policy_carries_out_the_first_night_only(monkeypatch):
    """Against a stand-in for optimiser.planning.plan (issue 13) with its interface: the
    simulation tells it tonight's patients with their true leaving dates, the date and the
    lookahead, and carries out the rows of night 1 only."""
    import sys
    import types
    from typing import NamedTuple

    class Row(NamedTuple):
        patient_id: str
        action: str
        night: int | None
        unit_id: str | None

    class PlanResult(NamedTuple):
        status: str
        rows: list[Row]

    calls = []

    def plan(instance, policy=None, *, start, nights, progress=None):
        calls.append((start, nights, {p.patient_id: p.expected_discharge
                                      for p in instance.patients}))
        rows = []
        for p in instance.patients:
            if p.patient_id == "P1" and p.current_unit_id == "LONDON":
                rows.append(Row("P1", "move", 1, "LEEDS"))
            elif p.patient_id == "R1" and p.is_referral:
                rows.append(Row("R1", "admit", 1, "LONDON"))
            elif p.patient_id == "P3":
                rows.append(Row("P3", "move", 2, "LEEDS"))  # a later night: not carried out
            else:
                rows.append(Row(p.patient_id, "stay", None, p.current_unit_id))
        return PlanResult("optimal", rows)

    fake = types.ModuleType("optimiser.planning.plan")
    fake.plan = plan  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "optimiser.planning.plan", fake)
    world = dataclasses.replace(example_world(days=3), lookahead=5)
    res = run_task(world, "plan", 1, 1, events=True)
    assert [(e.night, e.kind, e.patient_id, e.to_unit) for e in res.events
            if e.kind in ("move", "admit")] == [(1, "move", "P1", "LEEDS"),
                                                (1, "admit", "R1", "LONDON")]
    assert res.figures["moves"] == 1 and res.figures["brought_home"] == 1
    start, nights, leaving = calls[0]
    assert (start, nights) == (START, 5)
    assert leaving == {"P1": dt.date(2027, 1, 10), "P2": dt.date(2027, 1, 2),
                       "P3": dt.date(2027, 1, 20), "R1": None}
    assert calls[1][0] == START + dt.timedelta(days=1) and "P2" not in calls[1][2]


def test_plan_policy_counts_a_night_without_a_plan(monkeypatch):
    import sys
    import types
    from typing import NamedTuple

    class PlanResult(NamedTuple):
        status: str
        rows: list

    fake = types.ModuleType("optimiser.planning.plan")
    fake.plan = lambda instance, policy=None, **kw: PlanResult("infeasible", [])  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "optimiser.planning.plan", fake)
    res = run_task(example_world(days=2), "plan", 1, 1)
    assert res.failed_nights == 2 and res.figures["admissions"] == 0


def _camhs(pid: str, status: str, needs: frozenset[str]) -> Patient:
    return Patient(patient_id=pid, status=status, service="camhs", level="general",
                   sex="female", age=15, home_lat=53.7, home_lon=-1.45,
                   home_network_id="north", needs=needs,
                   current_unit_id="north-cyp" if status == "inpatient" else None)


def test_arrivals_copy_inpatients_by_flow_not_by_stock():
    # One eating-disorder inpatient (125 days) and one other (35 days): in beds they are
    # half and half, but among admissions the ED share is (1/125) / (1/125 + 1/35) = 0.21875.
    base = small_instance(inpatients=0, referrals=0)
    eds = frozenset({"ed"})
    inst = dataclasses.replace(base, patients=(_camhs("E", "inpatient", eds),
                                               _camhs("G", "inpatient", frozenset())))
    rates = (DemandRate("camhs", "general", "north", 365.0 * 10),)  # 10 a night
    world = build_world(inst, days=400, start=START, rates=rates)
    draws = draw_run(world, 1, 3)
    share = float(np.mean(draws.template[2:] == 0))
    assert draws.template.size > 3900
    assert share == pytest.approx(0.21875, abs=0.025)  # 4,000 draws: sd 0.0065


def test_a_stream_without_inpatients_copies_its_referrals_equally():
    base = small_instance(inpatients=0, referrals=0)
    inst = dataclasses.replace(base, patients=(_camhs("R1", "referral", frozenset({"ed"})),
                                               _camhs("R2", "referral", frozenset())))
    rates = (DemandRate("camhs", "general", "north", 365.0 * 10),)
    draws = draw_run(build_world(inst, days=400, start=START, rates=rates), 1, 3)
    assert float(np.mean(draws.template[2:] == 0)) == pytest.approx(0.5, abs=0.03)


def test_plan_waits_for_the_home_bed_where_reallocate_moves_twice():
    """P (home York, north) is in London. Leeds (north) is full until Q leaves on night 3;
    Birmingham (mid) has a bed now. Geodesic km from York: Leeds 35.5083, Birmingham
    172.5908, London 284.9705. Night by night, reallocate moves P to Birmingham at once
    (staying costs 334.97 a night, moving 222.59 + 25) and again to Leeds on night 3. A plan
    over 5 nights sees the Leeds bed coming: wait and move on night 3 = 2 × 334.97 + 3 ×
    35.51 + 25 = 801.47 against Birmingham now = 5 × 222.59 + 25 = 1,137.95; it moves P
    once, on night 3."""
    pytest.importorskip("optimiser.planning.plan")
    from models.domain import Instance, Network, Policy, Unit

    units = (Unit("LEEDS", "north", "adult_secure", "medium", 1, 53.7997, -1.5492),
             Unit("BHAM", "mid", "adult_secure", "medium", 1, 52.4862, -1.8904),
             Unit("LONDON", "south", "adult_secure", "medium", 1, 51.47, -0.09))
    far = dt.date(2029, 1, 1)
    patients = (
        Patient("P", "inpatient", "adult_secure", "medium", "male", 30, 53.9591, -1.0815,
                "north", current_unit_id="LONDON", expected_discharge=far),
        Patient("Q", "inpatient", "adult_secure", "medium", "male", 30, 53.795, -1.7594,
                "north", current_unit_id="LEEDS", movable=False,
                expected_discharge=START + dt.timedelta(days=2)))
    inst = Instance(units=units, patients=patients,
                    networks=tuple(Network(n) for n in ("north", "mid", "south")),
                    policy=Policy(distance="geodesic"))
    world = build_world(inst, days=5, start=START, rates=(), lookahead=5)
    moves = {}
    for name in ("reallocate", "plan"):
        res = run_task(world, name, 1, 0, events=True)
        moves[name] = [(e.night, e.from_unit, e.to_unit) for e in res.events
                       if e.kind == "move"]
        assert res.figures["brought_home"] == 1
    assert moves["reallocate"] == [(1, "LONDON", "BHAM"), (3, "BHAM", "LEEDS")]
    assert moves["plan"] == [(3, "LONDON", "LEEDS")]


def test_the_first_night_is_the_flag_else_plan_start_else_today():
    from models.domain import PlanSettings
    from optimiser.planning.simulate import first_night

    inst = small_instance()
    planned = dataclasses.replace(inst, policy=dataclasses.replace(
        inst.policy, plan=PlanSettings(start=dt.date(2026, 12, 7))))
    assert first_night(planned, None) == dt.date(2026, 12, 7)
    assert first_night(planned, START) == START
    assert first_night(inst, None) == dt.date.today()
