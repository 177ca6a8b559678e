"""``bedplan distance``: km out, JSON shape, exit 2 without traceback on bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bedplan.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, ["distance", *args])


def test_prints_road_km_between_districts():
    result = run("SE5", "M13")
    assert result.exit_code == 0, result.output
    assert 290 <= float(result.output) <= 360


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
    full = float(run("SE5 8AZ", "M13").output)
    district = float(run("SE5", "M13").output)
    assert abs(full - district) < 10


def test_same_point_counts_access_at_both_ends():
    # Contract: both snap to the same place, path 0, access(home) + access(unit).
    from optimiser.geography.network import builtin_network, snap

    _, access = snap(builtin_network(), [52.0], [-1.0])
    assert float(run("52.0,-1.0", "52.0,-1.0").output) == round(2 * float(access[0]), 3)
    assert float(run("52.0,-1.0", "52.0,-1.0", "--mode", "geodesic").output) == 0.0


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
