"""``bedplan distance``: km out, JSON shape, exit 2 without traceback on bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bedplan.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, ["distance", *args])


def km_of(output: str) -> float:
    number, unit = output.split()[:2]
    assert unit == "km", output
    return float(number)


def test_prints_road_km_between_districts_with_its_unit():
    result = run("SE5", "M13")
    assert result.exit_code == 0, result.output
    assert result.output.endswith(" km\n") and 290 <= km_of(result.output) <= 360


def test_json_shape_and_modes():
    result = run("51.47,-0.09", "PO30", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"km", "mode", "from", "to"}
    assert data["mode"] == "road" and data["from"] == {"lat": 51.47, "lon": -0.09}
    assert set(data["to"]) == {"lat", "lon"} and 135 <= data["km"] <= 175
    straight = json.loads(run("51.47,-0.09", "PO30", "--json", "--mode", "geodesic").output)
    assert straight["mode"] == "geodesic" and straight["km"] < data["km"]


def test_full_postcode_and_district_agree_roughly():
    full = km_of(run("SE5 8AZ", "M13").output)
    district = km_of(run("SE5", "M13").output)
    assert abs(full - district) < 10


def test_same_point_counts_access_at_both_ends():
    # Contract: both snap to the same place, path 0, access(home) + access(unit).
    from optimiser.geography.network import builtin_network, snap

    _, access = snap(builtin_network(), [52.0], [-1.0])
    assert km_of(run("52.0,-1.0", "52.0,-1.0").output) == round(2 * float(access[0]), 3)
    assert km_of(run("52.0,-1.0", "52.0,-1.0", "--mode", "geodesic").output) == 0.0


@pytest.mark.parametrize("args, fragment", [
    (("ZZ9", "M13"), "FROM: unknown postcode 'ZZ9'"),
    (("SE5", "QQ1 1QQ"), "TO: unknown postcode"),
    (("hello", "M13"), "neither a postcode"),
    (("95,0", "M13"), "latitude must be in -90..90"),
])
def test_bad_input_exits_2_with_a_message_and_no_traceback(args, fragment):
    result = run(*args)
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_bad_mode_is_a_usage_error():
    result = run("SE5", "M13", "--mode", "crow")
    assert result.exit_code == 2 and "Traceback" not in result.output


# ------------------------------------------------------------------ --route


def test_route_names_the_roads_the_crossing_and_the_places():
    result = run("HU1", "DN31", "--route")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert km_of(lines[0]) == pytest.approx(44.68, abs=0.5)
    assert any("A15 (A-road), across the Humber" in line and "HU13 -> DN18" in line
               for line in lines)
    assert "crossings and ferries: A15 across the Humber, Ouse and Trent" in lines
    assert lines[-1].startswith("places (") and "HU1, HU13, DN18" in lines[-1]


def test_route_over_a_ferry_names_it():
    result = run("TR21", "EX2", "--route")
    assert result.exit_code == 0, result.output
    assert "crossings and ferries: Isles of Scilly ferry (Scillonian)" in result.output
    assert "A30 (A-road)" in result.output


def test_without_route_only_the_distance_is_printed():
    assert len(run("HU1", "DN31").output.splitlines()) == 1


def test_json_route_legs_add_up_to_the_km():
    data = json.loads(run("SE5", "M13", "--json", "--route").output)
    assert set(data) == {"km", "mode", "from", "to", "route"}
    legs = data["route"]["legs"]
    assert legs[0]["kind"] == legs[-1]["kind"] == "access"
    assert sum(g["km"] for g in legs) == pytest.approx(data["km"], abs=0.001 * len(legs))
    assert any(g["name"] == "M1" and g["kind"] == "motorway" for g in legs)
    assert data["route"]["places"][0] == "SE5" and data["route"]["places"][-1] == "M13"


def test_json_without_route_keeps_the_contract_shape():
    assert set(json.loads(run("SE5", "M13", "--json").output)) == {"km", "mode", "from", "to"}


def test_route_needs_road_mode():
    result = run("SE5", "M13", "--route", "--mode", "geodesic")
    assert result.exit_code == 2 and "--route and --geography need --mode road" in result.output


def write_geography(folder, places, links):
    folder.mkdir()
    (folder / "places.csv").write_text("place_id,lat,lon\n" + "".join(
        f"{p},{a},{o}\n" for p, a, o in places))
    (folder / "links.csv").write_text("from,to,km,kind,name\n" + "".join(
        f"{a},{b},{k},{kind},{name}\n" for a, b, k, kind, name in links))
    return str(folder)


def test_a_custom_geography_folder_gives_its_distance_and_named_route(tmp_path):
    geo = write_geography(tmp_path / "geo", [("A", 0, 0), ("B", 0, 1), ("C", 0, 2), ("D", 5, 5)],
                          [("A", "B", 120, "motorway", "M1"), ("B", "C", 130, "ferry", "Boat")])
    result = run("0,0", "0,2", "--geography", geo, "--route")
    assert result.exit_code == 0, result.output
    assert km_of(result.output) == 250.0
    assert "M1 (motorway)" in result.output and "crossings and ferries: Boat" in result.output
    unreachable = run("0,0", "5,5", "--geography", geo, "--json")
    assert unreachable.exit_code == 0 and json.loads(unreachable.output)["km"] is None
    assert "unreachable" in run("0,0", "5,5", "--geography", geo).output


def test_a_bad_geography_folder_exits_2_naming_file_row_and_column(tmp_path):
    geo = write_geography(tmp_path / "geo", [("A", 0, 0), ("B", 0, 1)],
                          [("A", "B", -3, "road", ""), ("A", "X", 1, "road", "")])
    result = run("0,0", "0,1", "--geography", geo)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "geography/links.csv:2: km: must be > 0" in result.output
    assert "geography/links.csv:3: to: unknown place 'X'" in result.output
    (tmp_path / "geo" / "places.csv").unlink()
    missing = run("0,0", "0,1", "--geography", geo)
    assert missing.exit_code == 2 and "geography/places.csv: missing" in missing.output
