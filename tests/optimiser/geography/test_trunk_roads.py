"""The trunk-road layer as data: scripts/data/roads/*.csv, read and checked by
scripts/trunk_roads.py, built into the shipped network by scripts/build_network.py."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _script(name: str) -> ModuleType:
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def trunk() -> ModuleType:
    return _script("trunk_roads")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD_POINTS = "point,lat,lon,section\nA,51.5,-0.1,x\nB,52.0,-1.0,x\nC,53.0,-2.0,y\n"
GOOD_ROUTES = "route,seq,point\nM1,1,A\nM1,2,B\nA6,1,B\nA6,2,C\n"


def test_the_shipped_layer_loads(trunk: ModuleType) -> None:
    points, routes = trunk.load()
    assert len(points) == 1158 and len(routes) == 232
    assert routes["M25"][0] == routes["M25"][-1] == "M25 J1a Dartford"  # a ring
    assert points["M25 J1a Dartford"] == (51.452, 0.256)
    assert all(len(r) >= 2 and set(r) <= set(points) for r in routes.values())


def test_a_good_file_reads_in_order(trunk: ModuleType, tmp_path: Path) -> None:
    points = trunk.load_points(write(tmp_path / "p.csv", GOOD_POINTS))
    assert list(points) == ["A", "B", "C"] and points["B"] == (52.0, -1.0)
    routes = trunk.load_routes(points, write(tmp_path / "r.csv", GOOD_ROUTES))
    assert routes == {"M1": ["A", "B"], "A6": ["B", "C"]}


@pytest.mark.parametrize(("text", "message"), [
    (GOOD_POINTS + "A,50.0,0.0,z\n", "p.csv:5: point: duplicate 'A'"),
    (GOOD_POINTS + "D,north,0.0,z\n", "p.csv:5: lat: 'north' is not a number"),
    (GOOD_POINTS + "D,50.0,190,z\n", "p.csv:5: lon: 190.0 out of range"),
    ("name,lat,lon\nA,1,2\n", "p.csv: header must start point,lat,lon"),
])
def test_bad_points_name_file_row_and_column(trunk: ModuleType, tmp_path: Path, text: str,
                                             message: str) -> None:
    with pytest.raises(SystemExit) as err:
        trunk.load_points(write(tmp_path / "p.csv", text))
    assert message in str(err.value)


@pytest.mark.parametrize(("text", "message"), [
    (GOOD_ROUTES + "A6,3,Z\n", "r.csv:6: point: 'Z' is not in trunk_points.csv"),
    (GOOD_ROUTES + "A6,4,A\n", "r.csv: route 'A6': seq must run 1, 2, ... in order"),
    (GOOD_ROUTES + "A7,1,A\n", "r.csv: route 'A7': needs at least 2 points"),
    (GOOD_ROUTES + "A6,x,A\n", "r.csv:6: seq: 'x' is not an integer"),
])
def test_bad_routes_name_file_row_and_column(trunk: ModuleType, tmp_path: Path, text: str,
                                             message: str) -> None:
    points = trunk.load_points(write(tmp_path / "p.csv", GOOD_POINTS))
    with pytest.raises(SystemExit) as err:
        trunk.load_routes(points, write(tmp_path / "r.csv", text))
    assert message in str(err.value)


@pytest.mark.slow
def test_the_build_reproduces_the_shipped_network_byte_for_byte(tmp_path: Path) -> None:
    _script("build_network").main(tmp_path)
    data = ROOT / "optimiser" / "geography" / "data"
    for name in ("places.csv.gz", "links.csv.gz", "barriers.csv", "crossings.csv"):
        assert (tmp_path / name).read_bytes() == (data / name).read_bytes(), name
