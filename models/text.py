"""Plain words and numbers, written once for every layer: the counts, numbers, km and money
that diagnoses, one-screen results, suggestions and reports print.

Thousands are separated; an unknown or non-finite number reads as a dash, never "nan" or
"inf"; a rounded negative zero is printed as zero.
"""

from __future__ import annotations

import math

DASH = "-"


def count(n: int, word: str) -> str:
    """``1 bed``, ``2 beds``, ``1,234 beds`` (the plural adds an s)."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def number(x: float | None, digits: int = 1, *, missing: str = DASH) -> str:
    """``1,234.5``; ``missing`` when unknown or not finite; never ``-0``."""
    if x is None or not math.isfinite(x):
        return missing
    text = f"{x:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def signed(x: float | None, digits: int = 1) -> str:
    """``+1.5`` / ``-2.0`` / ``0`` for a change; the dash when unknown."""
    if x is None or not math.isfinite(x):
        return DASH
    text = number(x, digits)
    if float(text.replace(",", "")) == 0:
        return "0"
    return text if text.startswith("-") else "+" + text


def km(x: float | None) -> str:
    """``12.3 km``; ``unreachable`` when there is no road."""
    return "unreachable" if x is None or not math.isfinite(x) else f"{x:,.1f} km"


def pounds(x: float | None, *, missing: str = "not given") -> str:
    """``£1,234`` (whole pounds)."""
    return missing if x is None or not math.isfinite(x) else f"£{number(x, 0)}"
