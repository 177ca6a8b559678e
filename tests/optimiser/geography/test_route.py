"""Routes: the way a road distance goes, its legs, crossings and polyline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.domain import Geography, Instance, Link, Patient, Place, Unit
from models.errors import InputError
from models.postcodes import resolve
from optimiser.geography import network as geo
from optimiser.geography import route as rt


def where(code: str) -> tuple[float, float]:
    found = resolve(code)
    assert found is not None
    return found


def line() -> Geography:
    """A -(M1, 100 km)- B -(ferry Boat, 50 km)- C -(road, 20 km)- D; E alone."""
    places = (Place("A", 0.0, 0.0), Place("B", 0.0, 1.0), Place("C", 0.0, 2.0),
              Place("D", 0.0, 3.0), Place("E", 5.0, 5.0))
    links = (Link("A", "B", 100.0), Link("B", "C", 50.0), Link("C", "D", 20.0))
    return Geography(places, links)


def test_route_km_is_the_road_distance_on_random_england_pairs() -> None:
    rng = np.random.default_rng(4)
    network = geo.builtin_network()
    starts = list(zip(rng.uniform(50.3, 54.8, 40), rng.uniform(-4.5, 1.2, 40), strict=True))
    ends = list(zip(rng.uniform(50.3, 54.8, 40), rng.uniform(-4.5, 1.2, 40), strict=True))
    routes = rt.road_routes(network, list(zip(starts, ends, strict=True)))
    for (a, b), r in zip(zip(starts, ends, strict=True), routes, strict=True):
        assert r.km == pytest.approx(geo.road_distance(*a, *b), rel=1e-12)
        assert sum(g.km for g in r.legs) == pytest.approx(r.km, rel=1e-12)
        assert r.polyline[0] == a and r.polyline[-1] == b


def test_legs_group_links_by_road_and_name_the_crossing() -> None:
    r = rt.route_between(where("HU1"), where("DN31"))
    assert r.legs[0].kind == "access" and r.legs[-1].kind == "access"
    humber = [g for g in r.legs if g.name == "A15"]
    assert humber and humber[0].water == ("Humber, Ouse and Trent",)
    assert r.crossings() == ["A15 across the Humber, Ouse and Trent"]
    assert r.places[0] == "HU1" and r.places[-1] == "DN31"


def test_a_route_on_one_bank_crosses_no_water() -> None:
    r = rt.route_between(where("LS1"), where("S1"))
    assert r.crossings() == [] and all(not g.water for g in r.legs)
    assert any(g.name == "M1" and g.kind == "motorway" for g in r.legs)


def test_ferries_are_named() -> None:
    r = rt.route_between(where("TR21"), where("TR18"))
    assert r.crossings() == ["Isles of Scilly ferry (Scillonian)"]


def test_custom_network_route_and_its_access_legs() -> None:
    net = geo.custom_network(line())
    r = rt.road_route(net, (0.0, 0.1), (0.0, 2.9))
    assert [g.kind for g in r.legs] == ["access", "road", "access"]  # no names in code
    assert r.legs[1].km == 170.0 and r.legs[1].links == 3
    assert r.places == ("A", "B", "C", "D")
    assert r.km == pytest.approx(geo.road_distance(0.0, 0.1, 0.0, 2.9, line()), rel=1e-12)


def test_unreachable_route_has_only_access_legs_and_inf() -> None:
    r = rt.road_route(geo.custom_network(line()), (0.0, 0.0), (5.0, 5.0))
    assert not r.reachable and r.km == np.inf and [g.kind for g in r.legs] == ["access"] * 2
    assert r.to_json()["reachable"] is False


def write_folder(folder: Path, links: str) -> Path:
    folder.mkdir()
    (folder / "places.csv").write_text("place_id,lat,lon\nA,0,0\nB,0,1\nC,0,2\nD,0,3\n")
    (folder / "links.csv").write_text(links)
    return folder


def test_a_folder_with_kind_and_name_gives_named_legs(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "g", "from,to,km,kind,name\nA,B,100,motorway,M1\n"
                          "B,C,50,ferry,Boat\nC,D,20,road,\n")
    r = rt.road_route(rt.geography_network(folder), (0.0, 0.0), (0.0, 3.0))
    assert [(g.kind, g.name, g.km) for g in r.legs[1:-1]] == [
        ("motorway", "M1", 100.0), ("ferry", "Boat", 50.0), ("road", "", 20.0)]
    assert r.crossings() == ["Boat"]


def test_a_folder_without_names_still_routes(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "g", "from,to,km\nA,B,100\nB,C,50\nC,D,20\n")
    assert rt.road_route(rt.geography_network(folder), (0.0, 0.0), (0.0, 3.0)).km == 170.0


def test_a_bad_folder_is_an_input_error_naming_rows(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "g", "from,to,km\nA,B,0\nA,Z,5\n")
    with pytest.raises(InputError) as err:
        rt.read_geography(folder)
    assert [str(p) for p in err.value.problems] == [
        "geography/links.csv:2: km: must be > 0, got 0",
        "geography/links.csv:3: to: unknown place 'Z'"]
    with pytest.raises(InputError, match="missing"):
        rt.read_geography(tmp_path / "nowhere")


def test_move_polylines_follow_the_roads_and_skip_unknown_or_unreachable() -> None:
    units = (Unit(unit_id="U1", network_id="N", service="adult_secure", level="low", beds=1,
                  lat=0.0, lon=0.0),
             Unit(unit_id="U2", network_id="N", service="adult_secure", level="low", beds=1,
                  lat=0.0, lon=3.0),
             Unit(unit_id="U3", network_id="N", service="adult_secure", level="low", beds=1,
                  lat=5.0, lon=5.0))
    patient = Patient(patient_id="P", status="referral", service="adult_secure", level="low",
                      sex="male", age=30, home_lat=0.0, home_lon=0.0, home_network_id="N")
    inst = Instance(units=units, patients=(patient,), geography=line())
    lines = rt.move_polylines(inst, [("U1", "U2"), ("U1", "U3"), ("U1", "nope")])
    assert lines[0] == [(0.0, 0.0), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0)]
    assert lines[1] == [] and lines[2] == []


def test_move_polylines_on_england_bend_with_the_road() -> None:
    inst = Instance(units=(
        Unit(unit_id="H", network_id="N", service="adult_secure", level="low", beds=1,
             lat=where("HU1")[0], lon=where("HU1")[1]),
        Unit(unit_id="G", network_id="N", service="adult_secure", level="low", beds=1,
             lat=where("DN31")[0], lon=where("DN31")[1])), patients=())
    [poly] = rt.move_polylines(inst, [("H", "G")])
    assert len(poly) > 2 and poly[0] == where("HU1") and poly[-1] == where("DN31")
