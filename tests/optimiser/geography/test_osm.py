"""From an OpenStreetMap extract to the contract's geography/: tiny extracts written here
with pyosmium itself (the library that reads them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

osmium = pytest.importorskip("osmium")
from osmium.osm.mutable import Node, Way  # noqa: E402

from models.errors import InputError  # noqa: E402
from optimiser.geography import network as geo  # noqa: E402
from optimiser.geography import osm  # noqa: E402
from optimiser.geography.geodesic import geodesic_km  # noqa: E402
from optimiser.geography.route import geography_network, read_geography  # noqa: E402

Coords = dict[int, tuple[float, float]]
Ways = list[tuple[int, list[int], dict[str, str]]]

#: A bent A-road 1-2-3, a street 3-4-5, a footpath 3-6, an island street 7-8, a ferry 5-9.
COORDS: Coords = {1: (51.0, 0.0), 2: (51.01, 0.01), 3: (51.0, 0.02), 4: (51.01, 0.02),
                  5: (51.02, 0.02), 6: (51.0, 0.03), 7: (51.05, 0.05), 8: (51.06, 0.05),
                  9: (51.0, 0.04)}
WAYS: Ways = [(100, [1, 2, 3], {"highway": "primary", "ref": "A1", "name": "Great Road"}),
              (101, [3, 4, 5], {"highway": "residential", "name": "High St"}),
              (102, [3, 6], {"highway": "footway"}),
              (103, [7, 8], {"highway": "residential"}),
              (104, [5, 9], {"route": "ferry", "name": "Boat"})]


def extract(path: Path, coords: Coords = COORDS, ways: Ways = WAYS) -> Path:
    """Write an extract (.osm.pbf or .osm by the suffix) with pyosmium."""
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    for i, (lat, lon) in sorted(coords.items()):
        writer.add_node(Node(id=i, location=(lon, lat), tags={}))
    for wid, nodes, tags in ways:
        writer.add_way(Way(id=wid, nodes=nodes, tags=tags))
    writer.close()
    return path


def links_of(net: osm.OsmNetwork) -> dict[tuple[str, str], tuple[float, str, str]]:
    return {(a, b): (k, t, n) for a, b, k, t, n in zip(
        net.link_from, net.link_to, net.km, net.kind, net.name, strict=True)}


def along(*nodes: int) -> float:
    lat = np.array([COORDS[n][0] for n in nodes])
    lon = np.array([COORDS[n][1] for n in nodes])
    return float(geodesic_km(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())


def test_junctions_become_places_and_links_follow_the_way(tmp_path: Path) -> None:
    net = osm.read_osm(extract(tmp_path / "a.osm.pbf"))
    assert list(net.place_id) == ["n1", "n3", "n5", "n9"]  # n2, n4 only shape the road
    links = links_of(net)
    km, kind, name = links[("n1", "n3")]
    assert km == pytest.approx(along(1, 2, 3), abs=1e-4) and km > along(1, 3) * 1.2
    assert (kind, name) == ("trunk", "A1")  # primary -> trunk; the ref names it
    assert links[("n3", "n5")][1:] == ("road", "High St")
    assert links[("n5", "n9")][1:] == ("ferry", "Boat")
    assert net.components == 2 and net.ways == 4


def test_xml_extracts_read_the_same(tmp_path: Path) -> None:
    pbf = osm.read_osm(extract(tmp_path / "a.osm.pbf"))
    xml = osm.read_osm(extract(tmp_path / "a.osm"))
    assert links_of(pbf) == links_of(xml)


def test_all_components_keeps_the_island(tmp_path: Path) -> None:
    net = osm.read_osm(extract(tmp_path / "a.osm.pbf"), components="all")
    assert ("n7", "n8") in links_of(net) and "n7" in set(net.place_id)
    largest = osm.read_osm(extract(tmp_path / "b.osm.pbf"))
    assert "n7" not in set(largest.place_id)


def test_without_ferries_the_ferry_is_gone(tmp_path: Path) -> None:
    net = osm.read_osm(extract(tmp_path / "a.osm.pbf"), include_ferries=False)
    assert "ferry" not in set(net.kind) and "n9" not in set(net.place_id)


@pytest.mark.parametrize(("tags", "kept"), [
    ({"highway": "residential"}, True),
    ({"highway": "motorway_link"}, True),
    ({"highway": "footway"}, False),
    ({"highway": "service"}, False),
    ({"highway": "track"}, False),
    ({"highway": "residential", "access": "private"}, False),
    ({"highway": "residential", "access": "no", "motorcar": "yes"}, True),
    ({"highway": "residential", "motor_vehicle": "no"}, False),
    ({"highway": "pedestrian", "area": "yes"}, False),
    ({"highway": "residential", "area": "yes"}, False),
    ({"route": "ferry"}, True),
    ({"route": "ferry", "motor_vehicle": "no", "foot": "yes"}, False),
])
def test_which_ways_are_roads_for_cars(tags: dict[str, str], kept: bool) -> None:
    assert (osm.way_kind(tags) is not None) is kept


def test_parallel_links_keep_the_shortest_and_loops_go(tmp_path: Path) -> None:
    coords = {1: (51.0, 0.0), 2: (51.05, 0.05), 3: (51.0, 0.1), 4: (51.001, 0.05),
              5: (51.01, 0.1), 6: (51.02, 0.11)}
    ways: Ways = [(1, [1, 2, 3], {"highway": "tertiary", "name": "Long"}),
                  (2, [1, 4, 3], {"highway": "tertiary", "name": "Short"}),
                  (3, [3, 5, 6, 3], {"highway": "residential", "name": "Loop"})]
    net = osm.read_osm(extract(tmp_path / "p.osm.pbf", coords, ways))
    lat = np.array([coords[n][0] for n in (1, 4, 3)])
    lon = np.array([coords[n][1] for n in (1, 4, 3)])
    short = float(geodesic_km(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())
    assert links_of(net) == {("n1", "n3"): (pytest.approx(short, abs=1e-4), "road", "Short")}
    assert list(net.place_id) == ["n1", "n3"]  # the loop from n3 back to n3 is gone


def test_a_way_off_the_extract_is_cut_where_its_nodes_are_missing(tmp_path: Path) -> None:
    ways: Ways = [(1, [1, 2, 3, 77, 4, 5], {"highway": "residential"})]
    net = osm.read_osm(extract(tmp_path / "m.osm.pbf", ways=ways), components="all")
    assert set(links_of(net)) == {("n1", "n3"), ("n4", "n5")}


def test_two_nodes_at_one_point_are_a_one_metre_link(tmp_path: Path) -> None:
    coords = {1: (51.0, 0.0), 2: (51.0, 0.0), 3: (51.0, 0.01)}
    ways: Ways = [(1, [1, 2], {"highway": "residential"}), (2, [2, 3], {"highway": "residential"})]
    net = osm.read_osm(extract(tmp_path / "z.osm.pbf", coords, ways))
    assert links_of(net)[("n1", "n2")][0] == osm.MIN_KM


def test_the_output_is_a_contract_geography_with_the_same_distances(tmp_path: Path) -> None:
    net = osm.read_osm(extract(tmp_path / "a.osm.pbf"))
    osm.write_geography(net, tmp_path / "geo")
    geography, extra = read_geography(tmp_path / "geo")  # the reader's own checks pass
    assert extra["kind"] == ["trunk", "road", "ferry"]
    km = geo.road_distance(51.0, 0.0, 51.0, 0.04, geography)
    assert km == pytest.approx(along(1, 2, 3) + along(3, 4, 5) + along(5, 9), abs=1e-3)
    assert geography_network(tmp_path / "geo").graph.edges["n5", "n9"]["kind"] == "ferry"


def test_a_file_that_is_not_osm_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a pbf file at all")
    with pytest.raises(InputError) as err:
        osm.read_osm(bad)
    assert str(err.value.problems[0]).startswith(f"{bad}: not a readable OpenStreetMap")


def test_an_extract_without_roads_is_an_input_error(tmp_path: Path) -> None:
    path = extract(tmp_path / "paths.osm.pbf", ways=[(1, [1, 2], {"highway": "footway"})])
    with pytest.raises(InputError, match="no drivable road or ferry"):
        osm.read_osm(path)


def test_unknown_components_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="largest"):
        osm.read_osm(extract(tmp_path / "a.osm.pbf"), components="some")
