"""Road km for sparse (patient, unit) pairs: equal to the full matrix, without building it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.domain import Geography, Instance, Link, Patient, Place, Policy, Unit
from models.errors import InputError
from models.io import read_instance
from optimiser.geography import geodesic
from optimiser.geography import network as geo

ENGLAND = Path(__file__).resolve().parents[3] / "instances" / "england"


def unit(uid: str, lat: float, lon: float) -> Unit:
    return Unit(unit_id=uid, network_id="N", service="adult_secure", level="low", beds=2,
                lat=lat, lon=lon)


def patient(pid: str, lat: float, lon: float, current: str | None = None) -> Patient:
    return Patient(patient_id=pid, status="inpatient" if current else "referral",
                   service="adult_secure", level="low", sex="male", age=30, home_lat=lat,
                   home_lon=lon, home_network_id="N", current_unit_id=current)


def grid_geography(seed: int) -> Geography:
    """Two separate random components: pairs across them are unreachable (inf)."""
    rng = np.random.default_rng(seed)
    places, links = [], []
    for comp, (lat0, lon0) in enumerate(((51.0, -1.0), (53.0, 1.0))):
        ids = [f"c{comp}p{k}" for k in range(40)]
        places += [Place(p, lat0 + rng.uniform(0, 1), lon0 + rng.uniform(0, 1)) for p in ids]
        links += [Link(ids[k], ids[k + 1], float(rng.uniform(1, 30))) for k in range(39)]
        links += [Link(ids[a], ids[b], float(rng.uniform(1, 30)))
                  for a, b in rng.integers(0, 40, size=(30, 2)) if a != b]
    return Geography(tuple(places), tuple(links))


def random_instance(seed: int, n: int, m: int, geography: Geography | None) -> Instance:
    rng = np.random.default_rng(seed)
    lat0, lon0, span = (51.0, -1.0, 3.0) if geography else (50.2, -5.5, 5.0)
    units = [unit(f"U{k}", lat0 + rng.uniform(0, span), lon0 + rng.uniform(0, span + 1))
             for k in range(m)]
    patients = [patient(f"P{k}", lat0 + rng.uniform(0, span), lon0 + rng.uniform(0, span + 1))
                for k in range(n)]
    return Instance(units=tuple(units), patients=tuple(patients), geography=geography,
                    policy=Policy(distance="road"))


def random_pairs(inst: Instance, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, len(inst.patients), size),
            rng.integers(0, len(inst.units), size))


def assert_same(inst: Instance, size: int = 2_000, seed: int = 0) -> None:
    full = geo.road_matrix(inst)
    rows, cols = random_pairs(inst, size, seed)
    got = geo.road_pairs(inst).km(rows, cols)
    assert got.dtype == full.dtype
    assert np.array_equal(got, full[rows, cols])  # bit for bit, inf included


def test_england_instance_pairs_equal_the_matrix() -> None:
    assert_same(read_instance(ENGLAND), size=20_000)


@pytest.mark.parametrize(("n", "m"), [(300, 20), (20, 300)])
def test_builtin_network_pairs_equal_the_matrix_from_either_side(n: int, m: int) -> None:
    # (300, 20): Dijkstra from the unit places; (20, 300): from the home places.
    assert_same(random_instance(n, n, m, None), seed=n)


@pytest.mark.parametrize(("n", "m"), [(200, 15), (15, 200)])
def test_custom_geography_pairs_equal_the_matrix_inf_included(n: int, m: int) -> None:
    inst = random_instance(7, n, m, grid_geography(3))
    rows, cols = random_pairs(inst, 3_000, 1)
    got = geo.road_pairs(inst)(rows, cols)
    assert np.isinf(got).any() and np.isfinite(got).any()  # both components are exercised
    assert np.array_equal(got, geo.road_matrix(inst)[rows, cols])


def test_the_large_instance_dtype_follows_road_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    inst = random_instance(5, 50, 30, None)
    assert geo.road_pairs(inst).km([0], [0]).dtype == np.float64
    monkeypatch.setattr(geodesic, "LARGE_PAIRS", 0)  # every instance counts as large
    assert_same(inst, seed=5)
    assert geo.road_pairs(inst).km([0], [0]).dtype == np.float32


def test_only_distinct_places_are_tabled_not_patients_by_units() -> None:
    base = random_instance(9, 1, 40, None)
    # 2,000 patients at three homes: the table is places x places, not 2,000 x 40
    homes = [(51.5, -0.1), (53.4, -2.2), (52.5, -1.9)]
    patients = tuple(patient(f"P{k}", *homes[k % 3]) for k in range(2_000))
    inst = Instance(units=base.units, patients=patients, policy=Policy(distance="road"))
    pairs = geo.road_pairs(inst)
    assert pairs.path.shape[0] == 3 and pairs.path.shape[1] <= 40
    assert_same(inst)


def test_pairs_repeat_and_come_in_any_order() -> None:
    inst = random_instance(11, 30, 10, None)
    pairs = geo.road_pairs(inst)
    once = pairs.km([3, 7], [2, 9])
    assert np.array_equal(pairs.km([7, 3, 3], [9, 2, 2]), once[[1, 0, 0]])
    assert pairs.km(np.zeros(0, int), np.zeros(0, int)).shape == (0,)


def test_rows_and_cols_of_different_lengths_are_refused() -> None:
    pairs = geo.road_pairs(random_instance(2, 5, 5, None))
    with pytest.raises(ValueError, match="differ in shape"):
        pairs.km([0, 1], [0])


def test_empty_sides_give_empty_answers() -> None:
    geography = grid_geography(1)
    for inst in (Instance(units=(unit("U", 51.5, -0.5),), patients=(), geography=geography),
                 Instance(units=(), patients=(patient("P", 51.5, -0.5),), geography=geography)):
        assert geo.road_pairs(inst).km([], []).shape == (0,)


def test_bad_coordinates_raise_the_same_input_error_as_the_matrix() -> None:
    inst = Instance(units=(unit("U", 51.5, float("nan")),), patients=(patient("P", 95.0, 0.0),),
                    geography=grid_geography(1))
    messages = []
    for compute in (geo.road_matrix, geo.road_pairs):
        with pytest.raises(InputError) as err:
            compute(inst)
        messages.append([str(p) for p in err.value.problems])
    assert messages[0] == messages[1] and len(messages[0]) == 2


def test_unreachable_stay_raises_the_same_input_error_as_the_matrix() -> None:
    geography = grid_geography(2)
    far = geography.places[-1]  # in the second component
    near = geography.places[0]
    inst = Instance(units=(unit("U", far.lat, far.lon), unit("V", near.lat, near.lon)),
                    patients=(patient("P", near.lat, near.lon, current="V"),
                              patient("Q", near.lat, near.lon, current="U")),
                    geography=geography)
    messages = []
    for compute in (geo.road_matrix, geo.road_pairs):
        with pytest.raises(InputError) as err:
            compute(inst)
        messages.append([str(p) for p in err.value.problems])
    assert messages[0] == messages[1] == [
        "patients (built in code, no file row): current_unit_id: patient 'Q': unit 'U' is "
        "unreachable from home over geography/links.csv"]


def test_reachable_stays_pass() -> None:
    geography = grid_geography(2)
    near = geography.places[0]
    inst = Instance(units=(unit("V", near.lat, near.lon),),
                    patients=(patient("P", near.lat, near.lon, current="V"),),
                    geography=geography)
    assert np.isfinite(geo.road_pairs(inst).km([0], [0])).all()
