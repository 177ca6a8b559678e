"""Scenarios: the scenario run equals solving the changed instance directly."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from models.changes import apply_changes, parse_changes
from models.domain import Instance, Patient, Policy, Unit
from models.errors import InputError
from optimiser.core.solve import solve
from optimiser.geography.distances import distance_matrix
from optimiser.planning.scenario import render_comparison, run_scenario, scenario_distances


def unit(uid: str, lat: float, beds: int, *, net: str = "N1", cost: float = 0.0) -> Unit:
    return Unit(uid, net, "adult_secure", "medium", beds=beds, lat=lat, lon=-1.5,
                cost_per_day=cost)


def person(pid: str, lat: float, cur: str | None = None, movable: bool = True,
           net: str = "N1") -> Patient:
    return Patient(pid, "inpatient" if cur else "referral", "adult_secure", "medium", "male",
                   40, lat, -1.5, net, current_unit_id=cur, movable=movable)


def night() -> Instance:
    """Three wards along a meridian (0.1° ≈ 11.1 km apart); A is full, C is far."""
    units = (unit("A", 53.0, 2, cost=400.0), unit("B", 53.5, 1, cost=500.0),
             unit("C", 54.0, 3, net="N2", cost=300.0))
    patients = (person("P1", 53.0, "A", movable=False), person("P2", 53.4, "A"),
                person("R1", 53.05), person("R2", 53.9, net="N2"))
    return Instance(units, patients, policy=Policy(distance="geodesic"))


CHANGES = """
[[set]]
unit_id = "A"
beds = 3
[[close]]
unit_id = "B"
[[add_unit]]
unit_id = "D"
network_id = "N1"
service = "adult_secure"
level = "medium"
beds = 1
lat = 53.4
lon = -1.5
"""


def rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_scenario_equals_solving_the_changed_instance(tmp_path):
    inst = night()
    changes = parse_changes(CHANGES)
    outcome = run_scenario(inst, changes, tmp_path / "out")
    assert outcome.exit_code == 0
    direct_base = solve(inst)
    direct = solve(apply_changes(inst, changes))
    assert outcome.baseline.result.assignments == direct_base.assignments
    assert outcome.scenario.result.assignments == direct.assignments
    assert outcome.scenario.result.objective == pytest.approx(direct.objective)
    # files: both runs and the comparison
    base = json.loads((tmp_path / "out/baseline/summary.json").read_text())
    scen = json.loads((tmp_path / "out/scenario/summary.json").read_text())
    comp = json.loads((tmp_path / "out/comparison.json").read_text())
    assert scen["objective"] == pytest.approx(direct.objective)
    assert comp["baseline"]["objective"] == base["objective"]
    # the run's metrics, and the money beside them (cost per day and per year, out of area,
    # independent: tests/optimiser/planning/test_money.py)
    assert {k: comp["scenario"]["metrics"][k] for k in scen["metrics"]} == scen["metrics"]
    assert scen["money"]["after"]["per_day"] == comp["scenario"]["metrics"]["cost_per_day"]
    assert comp["delta"]["objective"] == pytest.approx(scen["objective"] - base["objective"])
    assert comp["delta"]["placed"] == scen["metrics"]["placed"] - base["metrics"]["placed"]
    assert comp["scenario"]["placed"] == comp["scenario"]["metrics"]["placed"]
    units = {r["patient_id"]: r["unit_id"] for r in rows(tmp_path / "out/scenario/assignments.csv")}
    assert {a.patient_id: a.unit_id for a in direct.assignments} == units


def test_hand_checked_scenario(tmp_path):
    """Baseline: A full (P1, P2), B 1 bed, C 3 beds. P2 (home 53.4) is 44.5 km from A and
    11.1 km from B: moving costs 11.1 + 25 < 44.5, so P2 → B and R1 (53.05) takes A
    (5.6 km) rather than B (49.9 km); R2 → C. Scenario: B is closed, D opens at 53.4:
    P2 → D (0 km + 25), R1 → A."""
    inst = night()
    outcome = run_scenario(inst, parse_changes(CHANGES), tmp_path)
    where = {a.patient_id: (a.action, a.unit_id) for a in outcome.baseline.result.assignments}
    assert where == {"P1": ("stay", "A"), "P2": ("move", "B"), "R1": ("admit", "A"),
                     "R2": ("admit", "C")}
    where = {a.patient_id: (a.action, a.unit_id) for a in outcome.scenario.result.assignments}
    assert where == {"P1": ("stay", "A"), "P2": ("move", "D"), "R1": ("admit", "A"),
                     "R2": ("admit", "C")}
    comp = outcome.comparison
    assert comp["baseline"]["cost_per_day"] == 400 + 500 + 400 + 300
    assert comp["scenario"]["cost_per_day"] == 400 + 0 + 400 + 300
    assert comp["delta"]["cost_per_day"] == -500
    assert comp["delta"]["unplaced"] == 0 and comp["delta"]["moves"] == 0
    assert comp["delta"]["total_km"] == pytest.approx(-11.1, abs=0.1)
    table = render_comparison(comp)
    assert "cost per day (GBP)" in table and "-500.00" in table
    assert table.splitlines()[1].split() == ["status", "optimal", "optimal"]


def test_closing_a_unit_moves_its_unmovable_patients(tmp_path):
    inst = night()
    outcome = run_scenario(inst, parse_changes('[[close]]\nunit_id = "A"\n'), tmp_path)
    where = {a.patient_id: a.action for a in outcome.scenario.result.assignments}
    assert where["P1"] == "move" and where["P2"] == "move"
    assert outcome.comparison["scenario"]["moves"] == 2
    assert outcome.comparison["delta"]["moves"] == 1  # P2 moved in the baseline already


def test_infeasible_scenario_exit_3_and_still_written(tmp_path):
    inst = night()
    text = '[[close]]\nunit_id = "A"\n[[close]]\nunit_id = "C"\n'  # 2 inpatients, 1 bed (B)
    outcome = run_scenario(inst, parse_changes(text), tmp_path)
    assert outcome.exit_code == 3
    scen = json.loads((tmp_path / "scenario/summary.json").read_text())
    assert scen["status"] == "infeasible" and scen["diagnosis"]
    assert rows(tmp_path / "scenario/assignments.csv") == []
    comp = json.loads((tmp_path / "comparison.json").read_text())
    assert comp["scenario"]["objective"] is None
    assert comp["delta"]["objective"] is None and comp["delta"]["placed"] is None
    assert comp["baseline"]["status"] == "optimal"
    assert "infeasible" in render_comparison(comp)


def test_policy_override_in_scenario(tmp_path):
    inst = night()
    outcome = run_scenario(inst, parse_changes("[policy]\nweights.out_of_area = 1000\n"),
                           tmp_path)
    assert outcome.scenario.instance.policy.weights.out_of_area == 1000.0
    assert outcome.baseline.instance.policy.weights.out_of_area == 50.0
    direct = solve(apply_changes(inst, parse_changes("[policy]\nweights.out_of_area = 1000\n")))
    assert outcome.scenario.result.objective == pytest.approx(direct.objective)


def test_bad_changes_write_nothing(tmp_path):
    with pytest.raises(InputError, match="unknown unit 'Z'"):
        run_scenario(night(), parse_changes('[[set]]\nunit_id = "Z"\nbeds = 1\n'),
                     tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_scenario_distances_reuse_and_extend():
    inst = night()
    changed = apply_changes(inst, parse_changes(CHANGES))
    km = distance_matrix(inst, "geodesic")
    got = scenario_distances(inst, changed, km)
    assert got.shape == (4, 4)
    np.testing.assert_allclose(got, distance_matrix(changed, "geodesic"))
    assert scenario_distances(inst, apply_changes(inst, parse_changes(
        '[[close]]\nunit_id = "A"\n')), km) is km
