"""Sweeps: scenario application, demand draws, evaluation, orchestration and outputs."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from models.domain import Instance, Patient, Policy, Unit
from models.generate import generate_instance
from models.sweepgrid import Demand, Scenario, parse_grid
from optimiser.geography.geodesic import geodesic_km
from optimiser.planning.sweep import (
    RESULT_COLUMNS,
    Task,
    apply_scenario,
    best_scenarios,
    demand_instance,
    describe_demand,
    evaluate,
    run_sweep,
    sample_referrals,
    summarise,
    sweep_base,
    tasks_of,
)
from optimiser.report.sweep import write_sweep


def _unit(uid: str, network: str, lat: float, beds: int = 1) -> Unit:
    return Unit(unit_id=uid, network_id=network, service="adult_secure", level="medium",
                beds=beds, lat=lat, lon=-1.0)


def _patient(pid: str, status: str, current: str | None = None, movable: bool = True
             ) -> Patient:
    return Patient(patient_id=pid, status=status, service="adult_secure", level="medium",
                   sex="male", age=30, home_lat=52.0, home_lon=-1.0, home_network_id="N1",
                   current_unit_id=current, movable=movable)


#: Unit A is at everyone's home (N1), unit B 0.5 degrees north (N2, about 55.6 km).
#: P1 stays in A (not movable); R1 needs a bed: B when A is full, A when it has 2 beds,
#: unplaced when A is full and B closed.
SMALL = Instance(
    units=(_unit("A", "N1", 52.0), _unit("B", "N2", 52.5)),
    patients=(_patient("P1", "inpatient", "A", movable=False), _patient("R1", "referral")),
    policy=Policy(distance="geodesic"),
)
D_AB = float(geodesic_km(52.0, -1.0, 52.5, -1.0))

GRID = """
[demand]
mode = "instance"
[[vary]]
unit_id = "A"
beds = [1, 2]
[[close_options]]
unit_ids = ["B"]
"""


def test_distance_of_the_hand_checked_case():
    assert 55.0 < D_AB < 56.0


def test_apply_scenario_sets_numbers_then_closes_and_frees_inpatients():
    s = Scenario(0, (("A", "beds", 3), ("B", "cost_per_day", 450.0)), ("A",), "close A")
    out = apply_scenario(SMALL, s)
    a, b = out.units
    assert (a.beds, a.beds_closed, a.open_beds) == (3, 3, 0)
    assert (b.beds, b.beds_closed, b.cost_per_day) == (1, 0, 450.0)
    assert out.patients[0].movable is True  # P1's unit closes: P1 must be able to move
    unchanged = apply_scenario(SMALL, Scenario(1, (("B", "beds", 2),), (), ""))
    assert unchanged.patients[0].movable is False
    assert unchanged.units[0] == SMALL.units[0]


def test_sweep_results_match_the_hand_checked_answers():
    grid = parse_grid(GRID)
    df = run_sweep(SMALL, grid, workers=0)
    assert list(df["label"]) == ["A.beds=1", "A.beds=1, close B", "A.beds=2",
                                 "A.beds=2, close B"]
    assert list(df["status"]) == ["optimal"] * 4
    assert list(df["placed"]) == [2, 1, 2, 2]
    assert list(df["unplaced"]) == [0, 1, 0, 0]
    assert list(df["out_of_area"]) == [1, 0, 0, 0]
    assert list(df["moves"]) == [0, 0, 0, 0]
    assert df["objective"].tolist() == pytest.approx([D_AB + 50.0, 1000.0, 0.0, 0.0],
                                                     abs=1e-3)
    assert df["total_km"].tolist() == pytest.approx([D_AB, 0.0, 0.0, 0.0], abs=1e-3)
    assert list(df["A.beds"]) == [1, 1, 2, 2]
    assert list(df["closed"]) == ["", "close B", "", "close B"]
    assert df["seed"].isna().all()  # the instance's own referrals: no draw
    assert list(df.columns) == ["scenario_id", "label", "A.beds", "closed", "seed",
                                *RESULT_COLUMNS]


def test_closing_the_only_unit_of_unmovable_inpatients_is_infeasible_not_an_error():
    grid = parse_grid('include_no_closure = false\n[demand]\nmode = "instance"\n'
                      '[[close_options]]\nunit_ids = ["A", "B"]\n')
    df = run_sweep(SMALL, grid, workers=0)
    assert list(df["status"]) == ["infeasible"]
    assert math.isnan(df["objective"].iloc[0])


def test_a_failing_solve_becomes_an_error_row():
    def broken(instance, distances):
        raise RuntimeError("solver exploded")

    grid = parse_grid(GRID)
    row = evaluate(sweep_base(SMALL, grid), tasks_of(grid)[0], grid.demand, solve_fn=broken)
    assert row["status"] == "error"
    assert row["error"] == "RuntimeError: solver exploded"
    assert math.isnan(row["objective"])


def test_sweep_base_applies_the_grid_policy():
    grid = parse_grid("[policy]\nlimits.max_moves = 4\nweights.km = 2.0")
    base = sweep_base(SMALL, grid)
    assert base.policy.limits.max_moves == 4
    assert base.policy.weights.km == 2.0
    assert base.policy.distance == "geodesic"  # the instance's, untouched
    assert sweep_base(SMALL, parse_grid("")).policy == SMALL.policy


# --------------------------------------------------------------------------- demand draws

GEN = generate_instance(7, 40, 6, distance="geodesic", services=["adult_secure"])


def test_draws_replace_referrals_deterministically_per_seed():
    demand = Demand(seeds=2, referrals=5, mode="replace", source="population")
    one = demand_instance(GEN, demand, 11)
    again = demand_instance(GEN, demand, 11)
    other = demand_instance(GEN, demand, 12)
    inpatients = [p for p in GEN.patients if not p.is_referral]
    assert one.patients[:len(inpatients)] == tuple(inpatients)
    drawn = one.patients[len(inpatients):]
    assert [p.patient_id for p in drawn] == [f"S11-{k}" for k in range(1, 6)]
    assert all(p.is_referral and p.current_unit_id is None for p in drawn)
    assert one == again
    assert one.patients != other.patients
    unit_networks = {u.network_id for u in GEN.units}
    assert {p.home_network_id for p in drawn} <= unit_networks


def test_draws_add_to_or_keep_the_instance_referrals():
    own = [p for p in GEN.patients if p.is_referral]
    added = demand_instance(GEN, Demand(referrals=3, mode="add"), 1)
    assert len(added.patients) == len(GEN.patients) + 3
    assert demand_instance(GEN, Demand(mode="instance"), None) is GEN
    default_n = demand_instance(GEN, Demand(mode="replace"), 1)
    assert sum(p.is_referral for p in default_n.patients) == len(own)


def test_instance_resampling_draws_from_the_instance_patients():
    drawn = sample_referrals(GEN, 8, 3, "instance")
    homes = {(p.home_lat, p.home_lon, p.level, p.sex) for p in GEN.patients}
    assert len(drawn) == 8
    assert all((p.home_lat, p.home_lon, p.level, p.sex) in homes for p in drawn)
    assert drawn == sample_referrals(GEN, 8, 3, "instance")
    assert sample_referrals(GEN, 0, 3) == ()


def test_tasks_cross_scenarios_with_draws_in_result_order():
    grid = parse_grid("[demand]\nseeds = 3\nbase_seed = 10\nreferrals = 2\n[[vary]]\n"
                      "unit_id='U001'\nbeds=[5, 6]")
    tasks = tasks_of(grid)
    assert [(t.scenario.scenario_id, t.seed) for t in tasks] == [
        (0, 10), (0, 11), (0, 12), (1, 10), (1, 11), (1, 12)]
    assert isinstance(tasks[0], Task)


def _gen_grid() -> str:
    u = GEN.units
    return (f"[demand]\nseeds = 2\nreferrals = 6\nmode = 'replace'\n[[vary]]\n"
            f"unit_id = '{u[0].unit_id}'\n"
            f"beds = [{u[0].beds}, {u[0].beds + 3}]\n[[close_options]]\n"
            f"unit_ids = ['{u[1].unit_id}']\n")


def test_same_seed_same_demand_in_every_scenario():
    df = run_sweep(GEN, parse_grid(_gen_grid()), workers=0)
    assert len(df) == 4 * 2
    assert list(df["scenario_id"]) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert list(df["seed"]) == [0, 1] * 4
    assert set(df["referrals"]) == {6}
    assert set(df["status"]) <= {"optimal", "infeasible"}
    solved = df[df["status"] == "optimal"]
    assert len(solved) >= 4
    # more beds in the first unit can only lower the objective on the same demand draw
    first = df[(df["closed"] == "")].set_index(["scenario_id", "seed"])["objective"]
    assert first.loc[2, 0] <= first.loc[0, 0] + 1e-6
    assert first.loc[2, 1] <= first.loc[0, 1] + 1e-6


@pytest.mark.slow  # two worker processes take ~5-12 s to start on a busy 2-core machine
def test_results_identical_in_process_and_on_a_two_worker_cluster():
    grid = parse_grid(_gen_grid())
    local = run_sweep(GEN, grid, workers=0)
    cluster = run_sweep(GEN, grid, workers=2)
    pd.testing.assert_frame_equal(local.drop(columns="seconds"),
                                  cluster.drop(columns="seconds"))


def test_write_sweep_writes_parquet_csv_and_png(tmp_path):
    df = run_sweep(SMALL, parse_grid(GRID), workers=0)
    paths = write_sweep(tmp_path / "out", df, title="test")
    assert [p.name for p in paths] == ["sweep.parquet", "sweep.csv", "sweep.png"]
    back = pd.read_parquet(paths[0])
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    csv = pd.read_csv(paths[1])
    assert list(csv.columns) == list(df.columns)
    assert csv["placed"].tolist() == [2, 1, 2, 2]
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_csv_keeps_large_objectives_to_the_decimal(tmp_path):
    """England's objectives are in the millions: 6 significant digits (as written before)
    turned 4,915,707.52 into 4.91571e+06; the CSV must say what the Parquet file says."""
    df = run_sweep(SMALL, parse_grid(GRID), workers=0)
    df["objective"] = [4_915_707.52, 698_416.73, 1.25, 0.0]
    df["total_km"] = [1_234_567.891, 0.5, 2.0, 3.0]
    paths = write_sweep(tmp_path / "out", df)
    csv = pd.read_csv(paths[1])
    assert csv["objective"].tolist() == [4_915_707.52, 698_416.73, 1.25, 0.0]
    assert csv["total_km"].tolist() == [1_234_567.891, 0.5, 2.0, 3.0]


@pytest.mark.slow
def test_an_existing_cluster_given_by_address_gives_the_same_results():
    import logging

    from dask.distributed import LocalCluster

    grid = parse_grid(_gen_grid())
    local = run_sweep(GEN, grid, workers=0)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        remote = run_sweep(GEN, grid, scheduler=cluster.scheduler_address)
        assert len(cluster.workers) == 2  # run_sweep closed its client, not the cluster
    pd.testing.assert_frame_equal(local.drop(columns="seconds"),
                                  remote.drop(columns="seconds"))


def test_distance_cache_tells_demands_apart():
    # Two demands with the same seed draw different patients: the cached distances of the
    # first must not be reused for the second (found by review: shape mismatch / wrong km).
    import numpy as np

    from models.domain import Instance, Patient, Policy, Unit
    from models.sweepgrid import Demand
    from optimiser.planning import sweep

    inst = Instance(
        units=(Unit("A", "N", "camhs", "general", 5, 51.5, -0.1),
               Unit("B", "N", "camhs", "general", 5, 53.5, -2.2)),
        patients=tuple(Patient(f"R{i}", "referral", "camhs", "general", "female", 15,
                               52.0 + 0.1 * i, -1.0, "N") for i in range(4)),
        policy=Policy(distance="geodesic"))
    token = sweep.instance_token(inst)
    three = Demand(referrals=3, mode="replace", source="instance")
    five = Demand(referrals=5, mode="replace", source="instance")
    small = sweep.demand_instance(inst, three, 7)
    large = sweep.demand_instance(inst, five, 7)
    d_small = sweep._distances(small, token, 7, three)
    d_large = sweep._distances(large, token, 7, five)
    assert d_small.shape == (len(small.patients), 2)
    assert d_large.shape == (len(large.patients), 2)
    assert np.isfinite(d_large).all()


# --------------------------------------------------------------------------- ties and demand

def _rows(objectives: dict[str, list[float | None]]) -> pd.DataFrame:
    """A results table: one scenario per key, one draw per value (None: infeasible)."""
    rows = []
    for k, (label, values) in enumerate(objectives.items()):
        for seed, value in enumerate(values):
            rows.append({"scenario_id": k, "label": label, "seed": seed,
                         "status": "infeasible" if value is None else "optimal",
                         "objective": math.nan if value is None else value, "unplaced": 0,
                         "out_of_area": 1, "moves": 0, "median_km": 1.0, "total_km": 1.0})
    df = pd.DataFrame(rows)
    df["seed"] = df["seed"].astype("Int64")
    return df


def test_identical_results_in_every_draw_are_a_tie():
    best = best_scenarios(_rows({"beds=14": [10.0, 20.0], "beds=16": [10.0, 20.0],
                                 "beds=18": [10.0, 20.0 + 1e-9], "close": [12.0, 21.0]}))
    assert best is not None
    assert best.labels == ("beds=14", "beds=16", "beds=18") and best.mean == 15.0
    assert (best.runner_up, best.behind, best.scenarios) == ("close", 1.5, 4)


def test_a_better_scenario_is_best_alone_and_an_equal_mean_is_not_a_tie():
    best = best_scenarios(_rows({"a": [10.0, 20.0], "b": [9.0, 20.0], "c": [10.0, 19.0]}))
    assert best is not None and best.labels == ("b",) and best.behind == 0.0
    assert best.runner_up == "c"  # same mean, other draws: a different result, not a tie


def test_a_scenario_infeasible_in_a_draw_is_not_best():
    best = best_scenarios(_rows({"a": [10.0, 20.0], "b": [1.0, None]}))
    assert best is not None and best.labels == ("a",) and best.runner_up is None
    assert best_scenarios(_rows({"a": [None], "b": [None]})) is None


def test_summary_gives_the_objective_above_the_best_in_the_same_draw():
    s = summarise(_rows({"a": [10.0, 20.0], "b": [13.0, 21.0], "c": [5.0, None]}))
    got = s.set_index("label")[["above_best", "above_best_min", "above_best_max"]]
    assert got.loc["a"].tolist() == [0.0, 0.0, 0.0]
    assert got.loc["b"].tolist() == [2.0, 1.0, 3.0]
    assert got.loc["c"].isna().all()  # not solved in every draw: no paired difference


def test_the_demand_is_described_in_words():
    own = sum(p.is_referral for p in GEN.patients)
    referrals = f"{own} referral" + ("" if own == 1 else "s")
    assert describe_demand(GEN, Demand()) == f"the instance's {referrals} as given (no draws)"
    assert describe_demand(GEN, Demand(seeds=3, referrals=40, mode="add")) == (
        f"the instance's {referrals} plus 40 drawn from the population model, "
        "3 draws (seeds 0-2)")
    assert describe_demand(GEN, Demand(base_seed=4, mode="replace", source="instance")) == (
        f"{own} referrals drawn resampled from the instance's patients instead of the "
        f"instance's {own}, 1 draw (seeds 4)")
