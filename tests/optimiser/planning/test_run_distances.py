"""``RunOutcome.distances``: the km matrix the run solved with, for the report to reuse."""

from __future__ import annotations

import numpy as np

from models.domain import Instance, Patient, Policy, Unit
from optimiser.geography.distances import distance_matrix
from optimiser.planning.run import run_instance


def unit(uid: str, network: str, lat: float) -> Unit:
    return Unit(unit_id=uid, network_id=network, service="adult_secure", level="medium",
                beds=2, lat=lat, lon=-1.0)


def patient(pid: str, home: str, lat: float, current: str | None = None) -> Patient:
    return Patient(patient_id=pid, status="inpatient" if current else "referral",
                   service="adult_secure", level="medium", sex="male", age=30, home_lat=lat,
                   home_lon=-1.0, home_network_id=home, current_unit_id=current)


# A, B in N (52.0, 52.5), X, Y in X (54.0, 54.2); p1 (home N) is in X, p2 (home X) in A,
# r1 refers. Collaborative N's part: its units, the patients in them or from N, and X (p1).
INSTANCE = Instance(
    units=(unit("A", "N", 52.0), unit("B", "N", 52.5), unit("X", "X", 54.0),
           unit("Y", "X", 54.2)),
    patients=(patient("p1", "N", 52.1, "X"), patient("p2", "X", 54.1, "A"),
              patient("r1", "N", 52.4)),
    policy=Policy(distance="geodesic"),
)


def test_given_distances_are_passed_on_as_they_are(tmp_path):
    km = np.array([[10.0, 30.0, 100.0, 120.0], [90.0, 80.0, 5.0, 7.0],
                   [40.0, 8.0, 150.0, 160.0]])
    outcome = run_instance(INSTANCE, tmp_path, distances=km)
    assert outcome.distances is km
    # the plan used them: p1 home to A (10), p2 home to X (5), r1 to B (8)
    assert {a.patient_id: a.distance_km for a in outcome.result.assignments} == {
        "p1": 10.0, "p2": 5.0, "r1": 8.0}


def test_computed_distances_are_the_instances(tmp_path):
    outcome = run_instance(INSTANCE, tmp_path)
    assert outcome.distances is not None and outcome.distances.shape == (3, 4)
    np.testing.assert_array_equal(outcome.distances[:, :], distance_matrix(INSTANCE))


def test_with_a_network_they_are_the_subsets(tmp_path):
    km = np.full((3, 4), 50.0)
    outcome = run_instance(INSTANCE, tmp_path, network="N", distances=km)
    assert [u.unit_id for u in outcome.instance.units] == ["A", "B", "X"]
    assert outcome.distances is not None and outcome.distances is not km
    np.testing.assert_array_equal(outcome.distances[:, :], distance_matrix(outcome.instance))
