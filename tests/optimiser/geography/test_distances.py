"""Geodesic distances agree with geopy; distance_matrix picks the mode."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import geodesic

from models.domain import Instance, Patient, Policy, Unit
from optimiser.geography.distances import distance_matrix
from optimiser.geography.geodesic import geodesic_km, geodesic_matrix


def test_geodesic_agrees_with_geopy_to_a_metre_on_random_pairs():
    rng = np.random.default_rng(11)
    lat1, lat2 = rng.uniform(-80, 80, 200), rng.uniform(-80, 80, 200)
    lon1, lon2 = rng.uniform(-180, 180, 200), rng.uniform(-180, 180, 200)
    ours = geodesic_km(lat1, lon1, lat2, lon2)
    theirs = np.array([geodesic((a, b), (c, d)).km for a, b, c, d in
                       zip(lat1, lon1, lat2, lon2, strict=True)])
    assert np.max(np.abs(ours - theirs)) < 0.001


def test_geodesic_of_a_point_to_itself_is_zero():
    assert float(geodesic_km(52.0, -1.0, 52.0, -1.0)) == 0.0


def _inst(distance: str) -> Instance:
    units = (Unit("U1", "N", "camhs", "general", 3, 51.5, -0.1),
             Unit("U2", "N", "camhs", "general", 3, 53.48, -2.24))
    patients = tuple(Patient(f"P{i}", "referral", "camhs", "general", "female", 15, lat, lon,
                             "N") for i, (lat, lon) in enumerate([(51.5, -0.1), (52.0, -1.0),
                                                                   (51.5, -0.1)]))
    return Instance(units=units, patients=patients, policy=Policy(distance=distance))


def test_geodesic_matrix_rows_are_patients_columns_units():
    d = geodesic_matrix(_inst("geodesic"))
    assert d.shape == (3, 2)
    assert d[0, 0] == 0.0 and d[0, 1] == pytest.approx(geodesic((51.5, -0.1), (53.48, -2.24)).km)
    assert np.array_equal(d[0], d[2])


def test_mode_comes_from_policy_unless_given():
    geo_d = distance_matrix(_inst("geodesic"))
    road_d = distance_matrix(_inst("road"))
    assert np.all(road_d >= geo_d - 1e-9)  # a road is never shorter than the straight line
    assert road_d[1, 1] > geo_d[1, 1]
    assert np.array_equal(distance_matrix(_inst("road"), mode="geodesic"), geo_d)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown distance mode"):
        distance_matrix(_inst("road"), mode="crow")


def test_very_large_matrices_are_float32_small_ones_float64(monkeypatch):
    import optimiser.geography.geodesic as dist

    assert dist.matrix_dtype(10, 10) is np.float64
    assert dist.matrix_dtype(100_000, 5_000) is np.float32
    inst = Instance(
        units=(Unit("U1", "N", "camhs", "general", 2, 51.5, -0.1),
               Unit("U2", "N", "camhs", "general", 2, 53.5, -2.2)),
        patients=(Patient("R1", "referral", "camhs", "general", "female", 15, 52.0, -1.0,
                          "N"),))
    assert distance_matrix(inst, "geodesic").dtype == np.float64
    monkeypatch.setattr(dist, "LARGE_PAIRS", 1)
    for mode in ("geodesic", "road"):
        km = distance_matrix(inst, mode)
        assert km.dtype == np.float32 and km.shape == (1, 2)
