"""The shared words and numbers."""

from __future__ import annotations

import math

from models.text import count, km, number, pounds, signed


def test_count():
    assert count(1, "bed") == "1 bed" and count(0, "bed") == "0 beds"
    assert count(1234, "bed") == "1,234 beds"


def test_number_never_prints_nan_inf_or_minus_zero():
    assert number(1234.56) == "1,234.6" and number(1234.56, 0) == "1,235"
    assert number(None) == number(math.nan) == number(math.inf) == "-"
    assert number(-0.04) == "0.0" and number(-0.4, 0) == "0"
    assert number(None, missing="–") == "–"


def test_signed():
    assert signed(1.5) == "+1.5" and signed(-2) == "-2.0" and signed(0.01) == "0"
    assert signed(None) == "-"


def test_km_and_pounds():
    assert km(12.34) == "12.3 km" and km(math.inf) == "unreachable" and km(None) == \
        "unreachable"
    assert pounds(1234567.8) == "£1,234,568" and pounds(None) == "not given"
