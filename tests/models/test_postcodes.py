"""Offline postcode resolution: districts, full postcodes, unknown codes."""

from __future__ import annotations

import pytest

from models import postcodes


def found(code: str) -> tuple[float, float]:
    where = postcodes.resolve(code)
    assert where is not None, code
    return where


def test_district_resolves_to_its_centroid():
    lat, lon = found("SE5")
    assert abs(lat - 51.474) < 0.01 and abs(lon + 0.096) < 0.01  # Camberwell
    assert postcodes.resolve(" se5 ") == (lat, lon)


def test_full_postcode_resolves_near_its_district():
    lat, lon = found("se5 8az")  # the Maudsley
    assert abs(lat - 51.469) < 0.005 and abs(lon + 0.091) < 0.005
    assert postcodes.resolve("SE58AZ") == (lat, lon)


@pytest.mark.parametrize("code", ["ZZ99", "ZZ9 9ZZ", "hello", "", "12345", "SE5 8"])
def test_unknown_or_malformed_postcodes(code):
    assert postcodes.resolve(code) is None


def test_shapes_and_districts():
    assert postcodes.is_postcode_like("SW1A 1AA") and postcodes.is_postcode_like("B15")
    assert not postcodes.is_postcode_like("51.5,-0.1")
    assert postcodes.district_of("sw1a 1aa") == "SW1A"
    assert postcodes.district_of("M1") == "M1"
    assert postcodes.district_of("nowhere") is None


def test_shetland_is_in_the_table():
    lat, _ = found("ZE2")
    assert lat > 60


@pytest.mark.parametrize("code", ["BT1", "BT1 5GS"])
def test_belfast_is_in_belfast(code):
    lat, lon = found(code)
    assert abs(lat - 54.6) < 0.1 and abs(lon + 5.93) < 0.1
