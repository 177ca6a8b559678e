"""What the built-in network keeps on disk: read back equal, never trusted when it does not
check out, named by what it was computed from, and nothing at all with the caches off."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from optimiser.geography import geodesic, snapcache
from optimiser.geography import network as geo
from optimiser.geography import paths as pt


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("BEDPLAN_NO_CACHE", raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def england() -> pt.Paths:
    return geo.builtin_network().paths


LAT = np.array([51.5, 53.48, 52.48, 51.5])
LON = np.array([-0.12, -2.24, -1.9, -0.12])  # the last point repeats the first


def test_remembered_snaps_equal_fresh_ones_and_are_read_back(
        cache_dir: Path, england: pt.Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = pt.snap_points(england, LAT, LON)
    first = snapcache.snap_remembered(england, LAT, LON)
    assert np.array_equal(first[0], fresh[0]) and np.array_equal(first[1], fresh[1])
    (file,) = cache_dir.glob("snaps-*.npy")
    assert np.load(file).shape == (3, 4)  # distinct coordinates only
    assert oct(file.stat().st_mode & 0o777) == "0o600"

    def no_geodesics(*args: object) -> None:
        raise AssertionError("snapped again")

    monkeypatch.setattr(snapcache, "snap_points", no_geodesics)
    again = snapcache.snap_remembered(england, LAT[::-1], LON[::-1])
    assert np.array_equal(again[0], fresh[0][::-1]) and np.array_equal(again[1], fresh[1][::-1])


def test_new_coordinates_are_added_to_the_remembered_ones(cache_dir: Path,
                                                          england: pt.Paths) -> None:
    snapcache.snap_remembered(england, LAT[:2], LON[:2])
    idx, km = snapcache.snap_remembered(england, LAT, LON)
    fresh = pt.snap_points(england, LAT, LON)
    assert np.array_equal(idx, fresh[0]) and np.array_equal(km, fresh[1])
    (file,) = cache_dir.glob("snaps-*.npy")
    assert len(np.load(file)) == 3


def test_caches_off_writes_nothing(cache_dir: Path, england: pt.Paths,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDPLAN_NO_CACHE", "1")
    idx, _ = snapcache.snap_remembered(england, LAT, LON)
    snapcache.store_paths(england)
    assert snapcache.load_paths(england.digest) is None
    assert list(cache_dir.iterdir()) == []
    assert np.array_equal(idx, pt.snap_points(england, LAT, LON)[0])


@pytest.mark.parametrize("content", [
    b"not numpy at all",
    "shape",  # a valid array of the wrong shape
    "place",  # a place index beyond the network
    "fraction",  # a place index that is not whole
])
def test_a_snap_file_that_does_not_check_out_is_ignored_and_replaced(
        cache_dir: Path, england: pt.Paths, content: bytes | str) -> None:
    file = snapcache.snaps_file(england.digest)
    if content == "shape":
        np.save(file, np.zeros((3, 3)))
    elif content in ("place", "fraction"):
        bad = np.array([[LAT[0], LON[0], len(england) if content == "place" else 1.5, 0.0]])
        np.save(file, bad)
    else:
        file.write_bytes(content)  # type: ignore[arg-type]
    idx, km = snapcache.snap_remembered(england, LAT, LON)
    fresh = pt.snap_points(england, LAT, LON)
    assert np.array_equal(idx, fresh[0]) and np.array_equal(km, fresh[1])
    assert len(np.load(file)) == 3  # rewritten with good rows only


def test_the_snap_file_is_named_by_the_geodesic_library_and_the_code(
        cache_dir: Path, england: pt.Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapcache.snaps_file(england.digest)
    monkeypatch.setattr(geodesic, "implementation", lambda: "pyproj:another version")
    other_library = snapcache.snaps_file(england.digest)
    monkeypatch.setattr(snapcache, "_snap_code", lambda: "edited")
    other_code = snapcache.snaps_file(england.digest)
    assert len({before, other_library, other_code}) == 3
    assert snapcache.snaps_file("builtin:other") != before


def test_geodesic_implementation_names_the_installed_files() -> None:
    found = geodesic.implementation()
    assert found.startswith("pyproj:") and "__init__.py:" in found and "_geod." in found


def test_paths_kept_on_disk_read_back_equal(cache_dir: Path, england: pt.Paths) -> None:
    assert snapcache.load_paths(england.digest) is None
    snapcache.store_paths(england)
    back = snapcache.load_paths(england.digest)
    assert back is not None and np.array_equal(back.km, england.km)
    assert np.array_equal(back.nbr, england.nbr) and np.array_equal(back.lat, england.lat)
    snapcache.paths_file(england.digest).write_bytes(b"\x93NUMPY garbage")
    assert snapcache.load_paths(england.digest) is None


def test_builtin_paths_come_from_disk_when_there(cache_dir: Path, england: pt.Paths,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    geo.builtin_paths.cache_clear()
    try:
        first = geo.builtin_paths()  # from the network, then kept
        assert snapcache.paths_file(first.digest).is_file()
        geo.builtin_paths.cache_clear()
        monkeypatch.setattr(geo, "builtin_network", lambda: (_ for _ in ()).throw(
            AssertionError("built again")))
        second = geo.builtin_paths()
        assert second is not first and np.array_equal(second.km, england.km)
    finally:
        geo.builtin_paths.cache_clear()


def test_an_unwritable_cache_is_only_a_warning(tmp_path: Path, england: pt.Paths,
                                               monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("BEDPLAN_NO_CACHE", raising=False)
    idx, _ = snapcache.snap_remembered(england, LAT, LON)
    assert np.array_equal(idx, pt.snap_points(england, LAT, LON)[0])
    assert "could not write the cache file" in caplog.text
    assert os.listdir(tmp_path) == ["file"]


def test_a_long_lived_process_reads_the_snap_file_again_only_when_it_changed(
        cache_dir: Path, england: pt.Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    snapcache.snap_remembered(england, LAT[:2], LON[:2])  # written, and known in memory
    reads: list[Path] = []
    real = snapcache._load
    monkeypatch.setattr(snapcache, "_load", lambda p: reads.append(p) or real(p))
    snapcache.snap_remembered(england, LAT[:2], LON[:2])
    assert reads == []  # unchanged file: not read again
    file = snapcache.snaps_file(england.digest)
    np.save(file, np.load(file)[:1])  # another process rewrote it
    idx, _ = snapcache.snap_remembered(england, LAT[:2], LON[:2])
    assert reads == [file] and np.array_equal(idx, pt.snap_points(england, LAT[:2], LON[:2])[0])
