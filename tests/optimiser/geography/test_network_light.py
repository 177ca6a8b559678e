"""The road network's light way (a few homes: ``bedplan suggest``): the same km bit for bit
as SciPy's way, built from the shipped tables without pandas, and importing neither pandas,
SciPy nor pyproj."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from models.domain import Instance, Patient, Policy, Unit
from optimiser.geography import network as geo
from optimiser.geography import paths as pt
from optimiser.geography import snapcache

ROOT = Path(__file__).resolve().parents[3]
ENGLAND = ROOT / "instances" / "england"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("BEDPLAN_NO_CACHE", raising=False)
    return tmp_path


def _reference_row(paths: pt.Paths, patient: Patient, units: tuple[Unit, ...]) -> np.ndarray:
    """A home's row the heavy way: KD-tree snapping, SciPy Dijkstra from the home's place."""
    (h,), (hk,) = pt.snap_points(paths, [patient.home_lat], [patient.home_lon], brute=False)
    u, uk = pt.snap_points(paths, [x.lat for x in units], [x.lon for x in units], brute=False)
    row = dijkstra(paths.matrix, directed=False, indices=[h])[0]
    return hk + row[u] + uk  # type: ignore[no-any-return]


@pytest.mark.skipif(not (ENGLAND / "units.csv").is_file(), reason="no England instance")
def test_one_home_on_england_equals_the_scipy_way_bit_for_bit(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.io import read_instance

    inst = read_instance(ENGLAND)
    paths = geo.builtin_paths()
    chosen = inst.patients[::300]
    monkeypatch.setattr(pt, "scipy_dijkstra_loaded", lambda: False)  # Python, as in the CLI
    for p in chosen:
        light = geo.road_matrix(dataclasses.replace(inst, patients=(p,)))[0]
        assert np.array_equal(light, _reference_row(paths, p, inst.units)), p.patient_id
    # the light way remembered every coordinate it snapped
    (file,) = cache_dir.glob("snaps-*.npy")
    homes = {(p.home_lat, p.home_lon) for p in chosen}
    sites = {(u.lat, u.lon) for u in inst.units}
    assert len(np.load(file)) == len(homes | sites)


def _tiny(homes: list[tuple[float, float]]) -> Instance:
    units = (Unit("U1", "N", "adult_secure", "low", 2, 51.5, -0.12),
             Unit("U2", "N", "adult_secure", "low", 2, 53.48, -2.24),
             Unit("U3", "N", "adult_secure", "low", 2, 50.37, -4.14))
    patients = tuple(Patient(f"P{k}", "referral", "adult_secure", "low", "male", 30, a, o, "N")
                     for k, (a, o) in enumerate(homes))
    return Instance(units=units, patients=patients, policy=Policy(distance="road"))


def test_light_and_heavy_ways_agree_for_every_count_of_homes(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    homes = [(float(a), float(o)) for a, o in zip(rng.uniform(50.5, 54.5, 12),
                                                   rng.uniform(-3.5, 0.5, 12), strict=True)]
    monkeypatch.setattr(pt, "scipy_dijkstra_loaded", lambda: False)  # as in a fresh CLI
    for k in (1, 2, geo.LIGHT_HOMES, geo.LIGHT_HOMES + 1, 12):
        inst = _tiny(homes[:k])
        geo._MEMO.clear()
        light = geo.road_matrix(inst)
        geo._MEMO.clear()
        with monkeypatch.context() as m:
            m.setattr(geo, "LIGHT_HOMES", 0)  # always the heavy way
            m.setattr(pt, "PY_SOURCES", 0)
            m.setattr(pt, "_BRUTE_PAIRS", 0)
            heavy = geo.road_matrix(inst)
        assert np.array_equal(light, heavy), k
        assert np.array_equal(geo.road_pairs(inst).km(np.repeat(np.arange(k), 3),
                                                      np.tile(np.arange(3), k)),
                              light.ravel())
    geo._MEMO.clear()


def test_heavy_way_never_touches_the_snap_file(cache_dir: Path) -> None:
    rng = np.random.default_rng(4)
    homes = list(zip(rng.uniform(50.5, 54.5, 20).tolist(), rng.uniform(-3, 0, 20).tolist(),
                     strict=True))
    geo._MEMO.clear()
    geo.road_matrix(_tiny(homes))  # 20 homes: KD-tree and SciPy, nothing remembered
    assert list(cache_dir.glob("snaps-*.npy")) == []
    geo.road_matrix(_tiny(homes[:1]))
    assert len(list(cache_dir.glob("snaps-*.npy"))) == 1
    geo._MEMO.clear()


def test_remember_snaps_snaps_every_home_and_unit_once(cache_dir: Path) -> None:
    inst = _tiny([(51.6, -0.2), (52.4, -1.8), (51.6, -0.2)])
    geo.remember_snaps(inst)
    (file,) = cache_dir.glob("snaps-*.npy")
    rows = np.load(file)
    assert sorted(map(tuple, rows[:, :2].tolist())) == sorted(
        {(51.6, -0.2), (52.4, -1.8), (51.5, -0.12), (53.48, -2.24), (50.37, -4.14)})
    paths = geo.builtin_paths()
    idx, km = pt.snap_points(paths, rows[:, 0], rows[:, 1])
    assert np.array_equal(rows[:, 2], idx) and np.array_equal(rows[:, 3], km)


@pytest.mark.parametrize("change", ["geodesic", "geography", "off"])
def test_remember_snaps_does_nothing_where_nothing_would_read_them(
        cache_dir: Path, change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.domain import Geography, Place

    inst = _tiny([(51.6, -0.2)])
    if change == "geodesic":
        inst = dataclasses.replace(inst, policy=Policy(distance="geodesic"))
    elif change == "geography":
        inst = dataclasses.replace(inst, geography=Geography((Place("A", 51.0, 0.0),), ()))
    else:
        monkeypatch.setenv("BEDPLAN_NO_CACHE", "1")
    geo.remember_snaps(inst)
    assert list(cache_dir.iterdir()) == []


def test_builtin_network_from_the_csv_module_equals_pandas_tables() -> None:
    """The shipped tables read without pandas: the same numbers bit for bit, the same ids,
    the same merged links (shortest of parallel ones) as the pandas recipe."""
    net = geo.builtin_network()
    places, links = geo.builtin_tables()
    assert net.place_ids.tolist() == places["place_id"].tolist()
    assert np.array_equal(net.lat, places["lat"].to_numpy())
    assert np.array_equal(net.lon, places["lon"].to_numpy())
    index = {p: k for k, p in enumerate(places["place_id"])}
    a = np.array([index[x] for x in links["from"]])
    b = np.array([index[x] for x in links["to"]])
    table = links.assign(a=np.minimum(a, b), b=np.maximum(a, b))
    table = table[table["a"] != table["b"]].sort_values(["a", "b", "km"], kind="stable")
    table = table.drop_duplicates(subset=["a", "b"], keep="first")
    assert net.link_a.tolist() == table["a"].tolist()
    assert net.link_b.tolist() == table["b"].tolist()
    assert np.array_equal(net.link_km, table["km"].to_numpy())
    assert net.link_attrs["name"].tolist() == table["name"].tolist()
    assert net.links.columns.tolist() == ["a", "b", "km", "kind", "name"]


def _modules_after(code: str, env_dir: Path) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "HOME": str(env_dir), "BEDPLAN_CACHE_DIR": str(env_dir)})
    return set(out.stdout.split())


HEAVY = {"pandas", "scipy", "pyproj"}


def test_importing_the_network_imports_no_heavy_library(cache_dir: Path) -> None:
    loaded = _modules_after("import optimiser.geography.network", cache_dir)
    assert "optimiser.geography.network" in loaded and not loaded & HEAVY


def test_one_home_twice_needs_no_heavy_library_the_second_time(cache_dir: Path) -> None:
    code = ("from optimiser.geography.network import road_distance\n"
            "print(road_distance(51.5, -0.12, 53.48, -2.24))")
    first = _modules_after(code, cache_dir)
    assert "pyproj" in first and not first & {"pandas", "scipy"}  # snapped: geodesics
    assert snapcache.snaps_file(geo.builtin_digest()).is_file()
    assert not _modules_after(code, cache_dir) & HEAVY  # everything from the cache


def test_road_matrices_on_disk_are_pruned_to_the_newest(cache_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geo, "ROAD_FILES_KEPT", 2)
    for k in range(4):
        geo._MEMO.clear()
        geo.road_matrix(_tiny([(51.0 + k / 10, -1.0)]), disk_cache=True)
    assert len(list(cache_dir.glob("road-*.npy"))) == 2
    geo._MEMO.clear()
    monkeypatch.setattr(geo, "ROAD_FILES_KEPT", 10)
    geo.road_matrix(_tiny([(52.0, -1.0)]), disk_cache=True)  # under the limit: all kept
    assert len(list(cache_dir.glob("road-*.npy"))) == 3
    geo._MEMO.clear()
