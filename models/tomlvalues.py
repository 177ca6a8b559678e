"""Values and line numbers of planner-written TOML files (CHANGES.toml, SWEEP.toml).

Both files name units and give them numbers; keeping one reading of those values here means
``bedplan scenario`` and ``bedplan sweep`` accept and refuse exactly the same things, and
name the line of a mistake the same way (tomllib keeps no positions, so lines are found in
the text, best effort: None when a table is written inline).
"""

from __future__ import annotations

import math
import re
from typing import Any

from models.validation import MAX_BEDS, MAX_COST_PER_DAY

#: A table header line: ``[name]`` or ``[[name]]`` (group 1 is "[" for an array of tables).
HEADER = re.compile(r"^\s*\[\s*(\[?)\s*([^\]]+?)\s*\]")


def number(value: Any, *, whole: bool) -> float | int | None:
    """``value`` as a count (``whole``: 3 and 3.0 give 3) or an amount; None when it is not
    a finite number >= 0 (booleans, text and 3.5 for a count included) or is beyond the
    ceilings units.csv applies (``MAX_BEDS`` beds, ``MAX_COST_PER_DAY`` per day): a
    400-digit count would overflow the solver."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        ceiling = MAX_BEDS if whole else MAX_COST_PER_DAY
        if not math.isfinite(value) or value < 0 or value > ceiling:
            return None
        if whole:
            return int(value) if float(value).is_integer() else None
        return float(value)
    except OverflowError:  # an integer too large for a float
        return None


def number_rule(whole: bool) -> str:
    """What :func:`number` accepts, for messages."""
    return (f"a whole number from 0 to {MAX_BEDS:,}" if whole
            else f"a number from 0 to {MAX_COST_PER_DAY:,.0f}")


def as_unit_id(value: Any) -> str | None:
    """A unit id as units.csv holds it (text; ``7`` names unit "7"); None when it is not one
    (a boolean, a float, a list, blank text)."""
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        return None
    return str(value).strip()


def shown(value: Any) -> str:
    """A TOML value as a message quotes it (text in quotes, booleans as TOML writes them)."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def header_line(text: str, name: str, index: int) -> int | None:
    """Line of the ``index``-th ``[name]`` (or ``[[x]]`` when name is ``[x]``) header."""
    double = name.startswith("[")
    bare = name.strip("[]")
    seen = 0
    for n, line in enumerate(text.splitlines(), start=1):
        m = HEADER.match(line)
        if m and m.group(2).strip("\"' ") == bare and bool(m.group(1)) == double:
            seen += 1
            if seen == index:
                return n
    return None


def key_line(text: str, name: str, index: int, key: str) -> int | None:
    """Line of ``key = ...`` inside the ``index``-th ``[[name]]`` table, best effort."""
    start = header_line(text, name, index)
    if start is None:
        return None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    lines = text.splitlines()
    for n in range(start, len(lines)):
        if HEADER.match(lines[n]):
            return None
        if pattern.match(lines[n]):
            return n + 1
    return None
