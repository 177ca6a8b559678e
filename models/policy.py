"""policy.toml: read it (every key optional, every mistake reported), override it, write it.

The schema is flat and small, so it is written out here as data (:data:`SCHEMA`) and the
same checks serve the file, command-line overrides and scenario ``[policy]`` tables.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from models.domain import Policy, Weights
from models.errors import InputError, Problem, toml_problem
from models.tomlvalues import shown

DISTANCES = ("road", "geodesic")
SOLVERS = ("highs", "cbc")

#: (section, key) → kind of value; section "" is the top level.
SCHEMA: dict[tuple[str, str], str] = {
    ("", "distance"): "distance",
    **{("weights", f.name): "weight" for f in fields(Weights)},
    ("limits", "max_moves"): "count",
    ("limits", "max_admissions_per_unit"): "count",
    ("solver", "name"): "solver",
    ("solver", "time_limit"): "seconds",
    ("solver", "mip_gap"): "gap",
    ("solver", "threads"): "threads",
    ("plan", "start"): "date",
    ("plan", "nights"): "nights",
}
SECTIONS = ("weights", "limits", "solver", "plan")
#: A weight beyond this makes costs that the solvers treat as infinite (HiGHS: 1e20, once
#: multiplied by km, nights and priorities up to their own ceiling of 1e6); 1e308 made NaN.
MAX_WEIGHT = 1e9

#: override name (command-line flag without dashes) → (section, key)
OVERRIDES: dict[str, tuple[str, str]] = {
    "distance": ("", "distance"),
    "max_moves": ("limits", "max_moves"),
    "max_admissions_per_unit": ("limits", "max_admissions_per_unit"),
    "solver": ("solver", "name"),
    "time_limit": ("solver", "time_limit"),
    "gap": ("solver", "mip_gap"),
    "mip_gap": ("solver", "mip_gap"),
    "threads": ("solver", "threads"),
    "start": ("plan", "start"),
    "nights": ("plan", "nights"),
}

_EXPECT = {
    "distance": "\"road\" or \"geodesic\"",
    "weight": f"a number from 0 to {MAX_WEIGHT:,.0f}",
    "count": "a whole number >= 0 (leave it out for no limit)",
    "solver": "\"highs\" or \"cbc\"",
    "seconds": "a number of seconds > 0",
    "gap": "a number >= 0 (0.01 = 1%)",
    "threads": "a whole number >= 1",
    "date": "a date, 2026-12-07 (a TOML date or the text \"2026-12-07\")",
    "nights": "a whole number of nights >= 1",
}


def check_value(kind: str, value: object) -> tuple[Any, str | None]:
    """(converted value, None) or (None, what is wrong) for one policy value."""
    try:
        ok = _converted(kind, value)
    except OverflowError:  # an integer too large for a float: not a usable number
        ok = None
    if ok is None:
        return None, f"must be {_EXPECT[kind]}, got {shown(value)}"
    return ok, None


def _converted(kind: str, value: object) -> Any:
    ok: Any = None
    if kind in ("distance", "solver"):
        if isinstance(value, str) and value.strip().lower() in (
                DISTANCES if kind == "distance" else SOLVERS):
            ok = value.strip().lower()
    elif kind in ("weight", "seconds", "gap"):
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and math.isfinite(value):
            number = float(value)
            if (number > 0 or (number == 0 and kind != "seconds")) and \
                    (kind != "weight" or number <= MAX_WEIGHT):
                ok = number
    elif kind == "date":
        ok = _date(value)
    elif kind in ("count", "threads", "nights") and isinstance(value, int | float) \
            and not isinstance(value, bool) and math.isfinite(value) \
            and float(value).is_integer():
        whole = int(value)
        if whole >= (0 if kind == "count" else 1):
            ok = whole
    return ok


def _date(value: object) -> dt.date | None:
    """A TOML date, or ISO text; not a date-time (a plan counts nights, not hours)."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _set(policy: Policy, section: str, key: str, value: Any) -> Policy:
    if not section:
        return replace(policy, **{key: value})
    if section == "weights":
        return replace(policy, weights=replace(policy.weights, **{key: value}))
    if section == "limits":
        return replace(policy, limits=replace(policy.limits, **{key: value}))
    if section == "plan":
        return replace(policy, plan=replace(policy.plan, **{key: value}))
    return replace(policy, solver=replace(policy.solver, **{key: value}))


def _key_line(text: str, section: str, key: str) -> int | None:
    """Line of ``key`` in ``[section]`` (or of ``section.key`` at the top), best effort."""
    current = ""
    dotted = re.compile(rf"^\s*{re.escape(section)}\s*\.\s*{re.escape(key)}\s*=") if section \
        else None
    plain = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    for n, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            current = m.group(1).strip("\"' ")
            if not key and current == section:
                return n
            continue
        if key and ((current == section and plain.match(line))
                    or (current == "" and dotted is not None and dotted.match(line))):
            return n
    return None


def policy_from_mapping(data: Mapping[str, Any], *, base: Policy | None = None,
                        file: str = "policy.toml", text: str = "",
                        ) -> tuple[Policy, list[Problem]]:
    """Apply a parsed policy table on top of ``base``; report unknown or mistyped keys.

    ``text`` (the TOML source) only serves to name the line of each problem.
    """
    policy = base if base is not None else Policy()
    problems: list[Problem] = []
    for top, value in data.items():
        if top in SECTIONS:
            if not isinstance(value, Mapping):
                problems.append(Problem(file, _key_line(text, "", top), top,
                                        f"must be a table [{top}], got {shown(value)}"))
                continue
            for key, item in value.items():
                kind = SCHEMA.get((top, key))
                if kind is None:
                    known = ", ".join(k for s, k in SCHEMA if s == top)
                    problems.append(Problem(file, _key_line(text, top, key), f"{top}.{key}",
                                            f"unknown key in [{top}] (known: {known})"))
                    continue
                converted, error = check_value(kind, item)
                if error:
                    problems.append(Problem(file, _key_line(text, top, key), f"{top}.{key}",
                                            error))
                else:
                    policy = _set(policy, top, key, converted)
        elif ("", top) in SCHEMA:
            converted, error = check_value(SCHEMA[("", top)], value)
            if error:
                problems.append(Problem(file, _key_line(text, "", top), top, error))
            else:
                policy = _set(policy, "", top, converted)
        else:
            where = _key_line(text, top, "") or _key_line(text, "", top)
            problems.append(Problem(file, where, top, "unknown key (known: distance, [weights], "
                                    "[limits], [solver], [plan])"))
    return policy, problems


def read_policy(path: Path, file: str, problems: list[Problem]) -> Policy:
    """Read policy.toml (defaults for absent keys); record every problem in ``problems``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(file, None, None, f"cannot be read ({exc.strerror or exc})"))
        return Policy()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(file, raw.count(b"\n", 0, exc.start) + 1, None,
                                "not UTF-8 text: save it as UTF-8"))
        return Policy()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(toml_problem(exc, file))
        return Policy()
    policy, found = policy_from_mapping(data, file=file, text=text)
    problems.extend(found)
    return policy


def apply_overrides(policy: Policy, **overrides: object) -> Policy:
    """``policy`` with command-line overrides applied (None values are ignored).

    Keys: distance, max_moves, max_admissions_per_unit, solver, time_limit, gap, threads,
    start, nights. Raises InputError naming the flag when a value is invalid.
    """
    problems: list[Problem] = []
    for name, value in overrides.items():
        if name not in OVERRIDES:
            raise TypeError(f"apply_overrides() got an unexpected override {name!r}")
        if value is None:
            continue
        section, key = OVERRIDES[name]
        converted, error = check_value(SCHEMA[(section, key)], value)
        if error:
            flag = "--" + ("gap" if name == "mip_gap" else name).replace("_", "-")
            problems.append(Problem("command line", None, flag, error))
        else:
            policy = _set(policy, section, key, converted)
    if problems:
        raise InputError(problems)
    return policy


def _toml_value(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()  # a bare TOML date
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def policy_to_toml(policy: Policy) -> str:
    """policy.toml text holding only the keys that differ from the defaults.

    A time limit of None (no limit) cannot be said in TOML and is noted as a comment.
    """
    default = Policy()
    lines = ["# bedplan policy: every key left out takes the contract's default"]
    if policy.distance != default.distance:
        lines.append(f"distance = {_toml_value(policy.distance)}")
    for section in SECTIONS:
        now, was = getattr(policy, section), getattr(default, section)
        body: list[str] = []
        for f in fields(now):
            value = getattr(now, f.name)
            if value == getattr(was, f.name):
                continue
            if value is None:
                body.append(f"# {f.name}: none (no limit)")
            else:
                body.append(f"{f.name} = {_toml_value(value)}")
        if body:
            lines += ["", f"[{section}]", *body]
    return "\n".join(lines) + "\n"

