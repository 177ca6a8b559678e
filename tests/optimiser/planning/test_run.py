"""The run pipeline: phases, subset, exit codes, written files, headline numbers."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from models.domain import Instance, Patient, Policy, Unit
from models.errors import InputError
from optimiser.core.result import ERROR, INFEASIBLE, OPTIMAL, Assignment, Metrics, Result
from optimiser.planning.run import PhaseEvent, exit_code, run_instance
from optimiser.planning.runsummary import render, summarise


def unit(uid: str, network: str, beds: int = 1) -> Unit:
    return Unit(unit_id=uid, network_id=network, service="adult_secure", level="medium",
                beds=beds, lat=52.0, lon=-1.0)


def inpatient(pid: str, current: str, home: str = "N") -> Patient:
    return Patient(patient_id=pid, status="inpatient", service="adult_secure", level="medium",
                   sex="male", age=30, home_lat=52.0, home_lon=-1.0, home_network_id=home,
                   current_unit_id=current)


def referral(pid: str, home: str = "N") -> Patient:
    return Patient(patient_id=pid, status="referral", service="adult_secure", level="medium",
                   sex="male", age=30, home_lat=52.0, home_lon=-1.0, home_network_id=home)


# Units A, B (network N) and X (network X). a1 (home N) is in X: out of area, 100 km away;
# b1 sits in A, which it should leave for B so a1 can come home to A. r1 is a referral.
INSTANCE = Instance(
    units=(unit("A", "N"), unit("B", "N", beds=2), unit("X", "X")),
    patients=(inpatient("a1", "X"), inpatient("b1", "A"), referral("r1")),
    policy=Policy(distance="geodesic"),
)
D = np.array([[10.0, 30.0, 100.0],
              [20.0, 15.0, 90.0],
              [5.0, 8.0, 70.0]])


def result_for(final: dict[str, str | None], status: str = OPTIMAL) -> Result:
    rows = []
    unit_net = {u.unit_id: u.network_id for u in INSTANCE.units}
    for i, p in enumerate(INSTANCE.patients):
        target = final[p.patient_id]
        j = None if target is None else [u.unit_id for u in INSTANCE.units].index(target)
        action = ("unplaced" if target is None else "admit") if p.is_referral else (
            "stay" if target == p.current_unit_id else "move")
        rows.append(Assignment(p.patient_id, p.status, p.current_unit_id, target, action,
                               None if j is None else float(D[i, j]),
                               None if target is None else unit_net[target] != "N"))
    return Result(status, 123.0, 123.0, 0.0, "highs", 0.25, tuple(rows),
                  Metrics(patients=3, placed=3, moves=2, delayed=0), (), "fast",
                  (("build", 0.01), ("solve", 0.02)))


PLAN = {"a1": "A", "b1": "B", "r1": "B"}


def fake_solve(result: Result, seen: list | None = None):
    def solve(instance, policy, *, distances=None, method="auto", progress=None):
        if seen is not None:
            seen.append((instance, policy, distances, method))
        if progress is not None:
            progress("incumbent 123.0 bound 120.0")
        return result
    return solve


def test_a_plan_is_written_with_phases_reported_and_exit_0(tmp_path):
    events: list[PhaseEvent] = []
    seen: list = []
    outcome = run_instance(INSTANCE, tmp_path / "out", progress=events.append, distances=D,
                           method="mip", solve_fn=fake_solve(result_for(PLAN), seen))
    assert outcome.exit_code == 0
    assert seen[0][3] == "mip" and seen[0][2] is D and seen[0][1] == INSTANCE.policy
    finished = [e.phase for e in events if e.seconds is not None]
    assert finished == ["solve", "transfers", "write"]  # distances were given
    assert PhaseEvent("solve", "incumbent 123.0 bound 120.0") in events
    assert [name for name, _ in outcome.timings] == finished
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["assignments.csv", "summary.json",
                                                    "transfers.csv"]
    with open(out / "transfers.csv", newline="") as fh:
        plan = [(r["patient_id"], r["kind"], r["to_unit_id"], r["km_closer"])
                for r in csv.DictReader(fh)]
    # b1 must leave A before a1 can come home to it; the admission comes last.
    assert plan == [("b1", "move", "B", "5.000"), ("a1", "move", "A", "90.000"),
                    ("r1", "admit", "B", "")]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["objective"] == 123.0
    assert summary["headline"] == {"brought_home": 1, "sent_away": 0, "km_saved": 95.0,
                                   "out_of_area_before": 1, "out_of_area_after": 0}
    assert summary["transfers"]["steps"] == 3 and summary["distance"] == "geodesic"


def test_headline_numbers_and_rendering():
    s = summarise(INSTANCE, result_for(PLAN), D, transfers=3)
    assert (s.placed, s.unplaced, s.moves, s.admitted) == (3, 0, 2, 1)
    assert (s.brought_home, s.sent_away, s.km_saved) == (1, 0, 95.0)
    assert (s.out_of_area_before, s.out_of_area_after) == (1, 0)
    text = render(s, out_dir="OUT")
    assert "brought back into their own collaborative  1" in text
    assert "km saved    95.0 km" in text and "out of area 1 inpatients tonight -> 0" in text
    assert len(text.splitlines()) <= 25


def test_moving_someone_out_of_area_counts_against_the_headline():
    s = summarise(INSTANCE, result_for({"a1": "X", "b1": "X", "r1": None}), D)
    # Not a valid plan (X has one bed) but the counts are what they are: b1 sent away.
    assert (s.brought_home, s.sent_away, s.km_saved, s.unplaced) == (0, 1, -70.0, 1)


def test_network_subset_runs_on_the_collaboratives_part(tmp_path):
    seen: list = []
    sub_result = Result(OPTIMAL, 1.0, 1.0, 0.0, "highs", 0.1, (
        Assignment("a1", "inpatient", "X", "X", "stay", 100.0, True),
        Assignment("b1", "inpatient", "A", "A", "stay", 20.0, False),
        Assignment("r1", "referral", None, "B", "admit", 8.0, False)))
    outcome = run_instance(INSTANCE, tmp_path, network="N", distances=D,
                           solve_fn=fake_solve(sub_result, seen))
    solved = seen[0][0]
    assert [p.patient_id for p in solved.patients] == ["a1", "b1", "r1"]
    assert [(u.unit_id, u.open_beds) for u in solved.units] == [("A", 1), ("B", 2), ("X", 1)]
    assert seen[0][2].shape == (3, 3)  # distances recomputed for the subset
    assert outcome.exit_code == 0
    assert json.loads((tmp_path / "summary.json").read_text())["network"] == "N"


def test_unknown_network_raises_before_anything_is_written(tmp_path):
    with pytest.raises(InputError):
        run_instance(INSTANCE, tmp_path / "out", network="nope", distances=D,
                     solve_fn=fake_solve(result_for(PLAN)))
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_is_invalid_input(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        run_instance(INSTANCE, tmp_path / "f", distances=D, solve_fn=fake_solve(result_for(PLAN)))


def test_infeasible_writes_the_diagnosis_and_exits_3(tmp_path):
    res = Result(INFEASIBLE, None, None, None, "highs", 0.1, (), Metrics(),
                 ("unit A has 1 open beds but 2 patients who may not move",))
    outcome = run_instance(INSTANCE, tmp_path, distances=D, solve_fn=fake_solve(res))
    assert outcome.exit_code == 3
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "infeasible" and summary["objective"] is None
    assert "unit A" in summary["diagnosis"][0]
    assert (tmp_path / "assignments.csv").read_text().count("\n") == 1
    assert "unit A has 1 open beds" in render(outcome.summary)


def test_a_solver_exception_becomes_status_error_and_exit_4(tmp_path):
    def broken(*args, **kwargs):
        raise RuntimeError("HiGHS crashed")

    outcome = run_instance(INSTANCE, tmp_path, distances=D, solve_fn=broken)
    assert outcome.exit_code == 4
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "error" and summary["objective"] is None
    assert summary["diagnosis"] == ["the solver failed: RuntimeError: HiGHS crashed"]


def test_input_errors_inside_the_solver_stay_input_errors(tmp_path):
    def invalid(*args, **kwargs):
        raise InputError("patients.csv:3: current_unit_id: unreachable from home")

    with pytest.raises(InputError):
        run_instance(INSTANCE, tmp_path / "o", distances=D, solve_fn=invalid)
    assert not (tmp_path / "o").exists()


def test_a_plan_over_capacity_is_reported_as_an_error_not_written(tmp_path):
    bad = result_for({"a1": "A", "b1": "A", "r1": None})  # A has one bed
    outcome = run_instance(INSTANCE, tmp_path, distances=D, solve_fn=fake_solve(bad))
    assert outcome.exit_code == 4 and outcome.result.status == ERROR
    assert (tmp_path / "assignments.csv").read_text().count("\n") == 1


@pytest.mark.parametrize(("status", "code"), [("optimal", 0), ("feasible", 0),
                                              ("infeasible", 3), ("error", 4)])
def test_exit_codes(status, code):
    assert exit_code(status) == code


# ----------------------------------------------------------------- with the real solver

def test_with_the_real_solver_the_hand_checked_optimum_is_planned(tmp_path):
    # b1 is 14 km from B: a1 home to A (10 + move 25), b1 to B (14 + 25), r1 to B (8) = 82
    # beats a1 to B (30 + 25), b1 staying in A (20), r1 to B (8) = 83.
    d = D.copy()
    d[1, 1] = 14.0
    outcome = run_instance(INSTANCE, tmp_path, distances=d)
    assert outcome.exit_code == 0 and outcome.result.status == OPTIMAL
    assert outcome.result.objective == pytest.approx(82.0)
    assert [(s.patient_id, s.kind, s.to_unit_id) for s in outcome.transfers] == [
        ("b1", "move", "B"), ("a1", "move", "A"), ("r1", "admit", "B")]
    assert outcome.summary.brought_home == 1 and outcome.summary.km_saved == pytest.approx(96)


@pytest.mark.parametrize("limits", [(None, None), (2, 1)])
def test_property_real_plans_replay_without_overfilling(tmp_path, b, limits):
    from optimiser.planning.transfers import replay

    for seed in range(25):
        inst, d = b.random_instance(seed, n_patients=14, n_units=5, max_moves=limits[0],
                                    max_adm=limits[1])
        outcome = run_instance(inst, tmp_path / str(seed), distances=d)
        if not outcome.result.has_plan:
            assert outcome.exit_code in (3, 4)
            continue
        occupancy = replay(outcome.instance, outcome.transfers)
        final = {u.unit_id: 0 for u in inst.units}
        for a in outcome.result.assignments:
            if a.unit_id is not None:
                final[a.unit_id] += 1
        assert occupancy == final
        with open(tmp_path / str(seed) / "assignments.csv", newline="") as fh:
            assert [r["patient_id"] for r in csv.DictReader(fh)] == [
                p.patient_id for p in inst.patients]


def test_a_write_failure_is_reported_as_input_error_and_keeps_old_outputs(tmp_path, monkeypatch):
    import optimiser.planning.outputs as outputs_module

    run_instance(INSTANCE, tmp_path, distances=D, solve_fn=fake_solve(result_for(PLAN)))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_open = outputs_module.atomic_open
    opened: list[str] = []

    def fail_on_summary(path, *args, **kwargs):
        opened.append(path.name)
        if path.name == "summary.json":
            raise OSError(28, "No space left on device")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(outputs_module, "atomic_open", fail_on_summary)
    res = result_for({"a1": "X", "b1": "A", "r1": None})
    with pytest.raises(InputError, match="No space left on device"):
        run_instance(INSTANCE, tmp_path, distances=D, solve_fn=fake_solve(res))
    assert opened == ["assignments.csv", "transfers.csv", "summary.json"]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_rendering_stays_on_one_screen_with_many_diagnoses():
    res = Result(INFEASIBLE, None, None, None, "highs", 0.1, (), Metrics(),
                 tuple(f"unit U{k} has 0 open beds but 1 inpatient who may not move"
                       for k in range(30)))
    text = render(summarise(INSTANCE, res), out_dir="OUT")
    assert "unit U0 " in text and "unit U7 " in text and "unit U8 " not in text
    assert "... and 22 more in summary.json" in text
    assert "placed" not in text  # no plan: no plan numbers
    assert len(text.splitlines()) <= 25


def test_with_the_real_solver_a_swap_between_full_units_needs_a_temporary_bed(tmp_path):
    # p1 lives by B but is in A, p2 lives by A but is in B; both wards are full.
    inst = Instance(units=(unit("A", "N"), unit("B", "N")),
                    patients=(inpatient("p1", "A"), inpatient("p2", "B")),
                    policy=Policy(distance="geodesic"))
    d = np.array([[200.0, 5.0], [5.0, 200.0]])
    outcome = run_instance(inst, tmp_path, distances=d)
    assert outcome.result.objective == pytest.approx(5 + 25 + 5 + 25)
    assert [(s.patient_id, s.kind, s.from_unit_id, s.to_unit_id, s.cycle)
            for s in outcome.transfers] == [
        ("p1", "temporary", "A", None, 1), ("p2", "move", "B", "A", 1),
        ("p1", "move", "A", "B", 1)]
    assert outcome.summary.cycles == 1 and outcome.summary.km_saved == pytest.approx(390)
    with open(tmp_path / "transfers.csv", newline="") as fh:
        first = next(csv.DictReader(fh))
    assert first["kind"] == "temporary" and "p2" in first["needs"]
    assert "cycles needing a temporary bed 1" in render(outcome.summary)
