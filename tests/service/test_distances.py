"""The service holds the census's km matrix so a suggestion reads one row; the answer is the
engine's own, and the matrix follows the census (new homes, new rows, other units)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from bedplan.service import distances as dist
from models.io import read_instance
from optimiser.geography.distances import distance_matrix
from optimiser.planning.suggest import suggest


def test_the_matrix_is_the_engines_and_is_kept_per_census(census_dir):
    inst = read_instance(census_dir)
    cache = dist.DistanceCache()
    km = cache.matrix_for(inst)
    assert km is not None and np.array_equal(km, distance_matrix(inst))
    assert cache.matrix_for(inst) is km
    same = dataclasses.replace(inst, patients=tuple(inst.patients))  # a reload: equal census
    assert cache.matrix_for(same) is km
    moved = dataclasses.replace(inst, patients=(dataclasses.replace(
        inst.patients[0], home_lat=51.5, home_lon=-0.1), *inst.patients[1:]))
    other = cache.matrix_for(moved)
    assert other is not km and np.array_equal(other, distance_matrix(moved))


def test_large_censuses_are_not_held(census_dir, monkeypatch):
    monkeypatch.setattr(dist, "MAX_CELLS", 10)
    assert dist.DistanceCache().matrix_for(read_instance(census_dir)) is None


def test_a_big_matrix_is_made_in_the_background(census_dir, monkeypatch):
    monkeypatch.setattr(dist, "INLINE_CELLS", 0)
    inst = read_instance(census_dir)
    cache = dist.DistanceCache()
    assert cache.matrix_for(inst) is None  # meanwhile: the suggestion computes its row
    deadline = time.monotonic() + 30
    while (km := cache.matrix_for(dataclasses.replace(inst))) is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert np.array_equal(km, distance_matrix(inst))


def test_suggestions_after_a_new_row_are_still_the_engines(app, client, as_user):
    """An admitted inline referral adds a row: the held matrix no longer fits, and answers
    (moves included) stay exactly the engine's on the census as it is now."""
    from bedplan.service.census import load_instance
    from bedplan.service.db import reading

    h = as_user("north")
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "home_lat": 53.96, "home_lon": -1.08, "home_network_id": "north"}
    s = client.post("/api/suggestions", json={"referral": referral}, headers=h).json()
    assert client.post("/api/accept", headers=h, json={
        "referral": referral, "unit_id": "YORK",
        "suggestion_id": s["suggestion_id"]}).status_code == 200
    with reading(app.state.bedplan.factory) as session:
        now = load_instance(session)
    for pid in ("C1", "R3"):
        body = client.post("/api/suggestions", json={"patient_id": pid, "allow_moves": 2},
                           headers=h).json()
        expected = suggest(now, pid, allow_moves=2).to_json_dict()
        assert {k: body[k] for k in expected} == expected
