"""CHANGES.toml: a planner's "what if" — change, close or add units, override the policy.

```toml
[[set]]            # change numbers of a unit: any of beds, beds_closed, cost_per_day
unit_id = "U3"
beds = 14
[[close]]          # take a unit out of use: no open beds; its inpatients become movable
unit_id = "U7"
[[add_unit]]       # a new unit, with the columns of units.csv
unit_id = "NEW1"
...
[policy]           # overrides of policy.toml, same keys (dotted or as sub-tables)
limits.max_moves = 10
```

Reading (:func:`read_changes`) checks the shape: TOML syntax, known tables and keys, value
types. Applying (:func:`apply_changes`) checks what needs the instance: unit ids exist,
added units are valid rows of units.csv (the same checks as the reader), closed beds never
exceed beds. Both raise :class:`InputError` with every problem, each naming the file, the
line, the table and its index (``[[set]] #2``) and the key. Changes apply in a fixed order —
add_unit, then set, then close — so a new unit can be set or closed in the same file.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from models.domain import Instance, Unit
from models.errors import InputError, Problem, toml_problem
from models.policy import policy_from_mapping
from models.readers import build_table
from models.tomlvalues import (
    HEADER,
    as_unit_id,
    header_line,
    key_line,
    number,
    number_rule,
    shown,
)
from models.validation import UNIT_COLUMNS, check_units

TABLES = ("set", "close", "add_unit", "policy")
SET_KEYS = ("unit_id", "beds", "beds_closed", "cost_per_day")
CLOSE_KEYS = ("unit_id",)


@dataclass(frozen=True, slots=True)
class SetUnit:
    """``[[set]]``: new numbers for one unit (None = unchanged)."""

    index: int  # 1-based position among the [[set]] tables
    line: int | None
    unit_id: str
    beds: int | None = None
    beds_closed: int | None = None
    cost_per_day: float | None = None


@dataclass(frozen=True, slots=True)
class CloseUnit:
    """``[[close]]``: no open beds; the unit's inpatients are movable for this scenario."""

    index: int
    line: int | None
    unit_id: str


@dataclass(frozen=True, slots=True)
class AddUnit:
    """``[[add_unit]]``: a units.csv row as text cells (checked against the instance)."""

    index: int
    line: int | None
    cells: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Changes:
    """A parsed CHANGES.toml (shape and types already checked)."""

    file: str
    sets: tuple[SetUnit, ...] = ()
    closes: tuple[CloseUnit, ...] = ()
    add_units: tuple[AddUnit, ...] = ()
    policy: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    text: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.sets or self.closes or self.add_units or self.policy)


# --------------------------------------------------------------------------- reading


def read_changes(path: str | Path) -> Changes:
    """Read and check CHANGES.toml; raise InputError with every problem found."""
    path = Path(path)
    file = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(str(path), None, None,
                                 f"cannot be read ({exc.strerror or exc})")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(Problem(file, line, None, "not UTF-8 text: save it as UTF-8")) \
            from None
    return parse_changes(text, file)


def parse_changes(text: str, file: str = "CHANGES.toml") -> Changes:
    """Parse the text of a changes file (see :func:`read_changes`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(toml_problem(exc, file)) from None
    problems: list[Problem] = []
    sets: list[SetUnit] = []
    closes: list[CloseUnit] = []
    adds: list[AddUnit] = []
    policy: Mapping[str, Any] = {}
    for name, value in data.items():
        if name not in TABLES:
            problems.append(Problem(file, header_line(text, name, 1), name,
                                    "unknown table (known: [[set]], [[close]], [[add_unit]], "
                                    "[policy])"))
            continue
        if name == "policy":
            if not isinstance(value, Mapping):
                problems.append(Problem(file, None, "policy", "must be a table [policy]"))
                continue
            _, found = policy_from_mapping(value, file=file)
            problems += [_policy_problem(p, file, text) for p in found]
            policy = value
            continue
        if not (isinstance(value, list) and all(isinstance(v, Mapping) for v in value)):
            problems.append(Problem(file, None, name, f"must be written [[{name}]] (an array "
                                    "of tables), one per unit"))
            continue
        for i, entry in enumerate(value, start=1):
            line = header_line(text, f"[{name}]", i)
            if name == "set":
                s = _read_set(entry, i, line, file, text, problems)
                if s is not None:
                    sets.append(s)
            elif name == "close":
                c = _read_close(entry, i, line, file, text, problems)
                if c is not None:
                    closes.append(c)
            else:
                adds.append(_read_add(entry, i, line, file, text, problems))
    if problems:
        raise InputError(problems)
    return Changes(file, tuple(sets), tuple(closes), tuple(adds),
                   MappingProxyType(dict(policy)), text)


def _where(table: str, index: int, key: str | None = None) -> str:
    return f"[[{table}]] #{index}" + (f" {key}" if key else "")


def _unknown_keys(entry: Mapping[str, Any], known: tuple[str, ...], table: str, index: int,
                  file: str, text: str, problems: list[Problem]) -> None:
    for key in entry:
        if key not in known:
            problems.append(Problem(file, key_line(text, f"[{table}]", index, key),
                                    _where(table, index, key),
                                    f"unknown key (known: {', '.join(known)})"))


def _unit_id(entry: Mapping[str, Any], table: str, index: int, line: int | None, file: str,
             text: str, problems: list[Problem]) -> str | None:
    uid = entry.get("unit_id")
    if uid is None:
        problems.append(Problem(file, line, _where(table, index, "unit_id"),
                                "required: which unit to change"))
        return None
    found = as_unit_id(uid)
    if found is None:
        problems.append(Problem(file, key_line(text, f"[{table}]", index, "unit_id"),
                                _where(table, index, "unit_id"),
                                f"must be a unit id (text), got {shown(uid)}"))
    return found


def _read_set(entry: Mapping[str, Any], i: int, line: int | None, file: str, text: str,
              problems: list[Problem]) -> SetUnit | None:
    before = len(problems)
    _unknown_keys(entry, SET_KEYS, "set", i, file, text, problems)
    uid = _unit_id(entry, "set", i, line, file, text, problems)
    values: dict[str, Any] = {}
    for key in SET_KEYS[1:]:
        if key not in entry:
            continue
        got = number(entry[key], whole=key != "cost_per_day")
        if got is None:
            what = number_rule(key != "cost_per_day")
            problems.append(Problem(file, key_line(text, "[set]", i, key),
                                    _where("set", i, key),
                                    f"must be {what}, got {shown(entry[key])}"))
        else:
            values[key] = got
    if uid is not None and set(entry) == {"unit_id"}:
        problems.append(Problem(file, line, _where("set", i),
                                "nothing to change: give beds, beds_closed or cost_per_day"))
    if len(problems) > before or uid is None:
        return None
    return SetUnit(i, line, uid, **values)


def _read_close(entry: Mapping[str, Any], i: int, line: int | None, file: str, text: str,
                problems: list[Problem]) -> CloseUnit | None:
    before = len(problems)
    _unknown_keys(entry, CLOSE_KEYS, "close", i, file, text, problems)
    uid = _unit_id(entry, "close", i, line, file, text, problems)
    if len(problems) > before or uid is None:
        return None
    return CloseUnit(i, line, uid)


def _read_add(entry: Mapping[str, Any], i: int, line: int | None, file: str, text: str,
              problems: list[Problem]) -> AddUnit:
    _unknown_keys(entry, UNIT_COLUMNS, "add_unit", i, file, text, problems)
    cells: list[tuple[str, str]] = []
    for key, value in entry.items():
        if key not in UNIT_COLUMNS:
            continue
        cell = _cell(value)
        if cell is None:
            problems.append(Problem(file, key_line(text, "[add_unit]", i, key),
                                    _where("add_unit", i, key),
                                    f"must be a single value, got {shown(value)}"))
        else:
            cells.append((key, cell))
    return AddUnit(i, line, tuple(cells))


def _cell(value: Any) -> str | None:
    """A TOML value as the text a units.csv cell would hold (lists become ``a;b``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(v.strip() for v in value)
    return None


def _policy_problem(p: Problem, file: str, text: str) -> Problem:
    """A policy problem re-labelled as a key of [policy] in the changes file."""
    column = f"[policy] {p.column}" if p.column else "[policy]"
    key = (p.column or "").split(".")[-1]
    return Problem(file, _policy_line(text, p.column or "") or header_line(text, "policy", 1)
                   if key else None, column, p.message)


# --------------------------------------------------------------------------- lines


def _policy_line(text: str, dotted: str) -> int | None:
    """Line of a [policy] key written ``a.b = ...`` under [policy] or ``b =`` under
    [policy.a]."""
    parts = dotted.split(".")
    section = "policy." + ".".join(parts[:-1]) if len(parts) > 1 else "policy"
    current = ""
    full = re.compile(r"^\s*" + r"\s*\.\s*".join(map(re.escape, parts)) + r"\s*=")
    last = re.compile(rf"^\s*{re.escape(parts[-1])}\s*=")
    for n, line in enumerate(text.splitlines(), start=1):
        m = HEADER.match(line)
        if m:
            current = m.group(2).replace(" ", "")
            continue
        if (current == "policy" and full.match(line)) or (current == section
                                                         and last.match(line)):
            return n
    return None


# --------------------------------------------------------------------------- applying


def apply_changes(instance: Instance, changes: Changes) -> Instance:
    """The instance as the changes describe it (add_unit, then set, then close).

    Raises InputError for an unknown unit id, an added unit that is not a valid units.csv
    row or repeats an id, closed beds above beds, or a bad [policy] value.
    """
    file = changes.file
    problems: list[Problem] = []
    units = list(instance.units)
    known = {u.unit_id for u in units}
    network_ids = frozenset(n.network_id for n in instance.networks) or None
    added = _added_units(changes.add_units, file, network_ids, problems,
                         world=instance.geography is not None)
    for a, u in added:
        if u.unit_id in known:
            problems.append(Problem(file, a.line, _where("add_unit", a.index, "unit_id"),
                                    f"unit {u.unit_id!r} already exists"))
        else:
            known.add(u.unit_id)
            units.append(u)
    index = {u.unit_id: j for j, u in enumerate(units)}
    for s in changes.sets:
        j = index.get(s.unit_id)
        if j is None:
            problems.append(_unknown_unit(file, "set", s.index, s.line, s.unit_id))
            continue
        u = units[j]
        beds = u.beds if s.beds is None else s.beds
        closed = u.beds_closed if s.beds_closed is None else s.beds_closed
        if closed > beds:
            problems.append(Problem(file, s.line, _where("set", s.index),
                                    f"unit {u.unit_id} would have {closed} closed beds but "
                                    f"only {beds} beds"))
            continue
        cost = u.cost_per_day if s.cost_per_day is None else s.cost_per_day
        units[j] = replace(u, beds=beds, beds_closed=closed, cost_per_day=cost)
    closed_ids: set[str] = set()
    for c in changes.closes:
        j = index.get(c.unit_id)
        if j is None:
            problems.append(_unknown_unit(file, "close", c.index, c.line, c.unit_id))
            continue
        units[j] = replace(units[j], beds_closed=units[j].beds)
        closed_ids.add(c.unit_id)
    policy = instance.policy
    if changes.policy:
        policy, found = policy_from_mapping(changes.policy, base=instance.policy, file=file)
        problems += [_policy_problem(p, file, changes.text) for p in found]
    if problems:
        raise InputError(problems)
    patients = tuple(
        replace(p, movable=True) if p.current_unit_id in closed_ids and not p.movable else p
        for p in instance.patients)
    return replace(instance, units=tuple(units), patients=patients, policy=policy)


def _unknown_unit(file: str, table: str, index: int, line: int | None, uid: str) -> Problem:
    return Problem(file, line, _where(table, index, "unit_id"),
                   f"unknown unit {uid!r} (not in units.csv nor added by [[add_unit]])")


def _added_units(adds: tuple[AddUnit, ...], file: str, network_ids: frozenset[str] | None,
                 problems: list[Problem], *, world: bool = False) -> list[tuple[AddUnit, Unit]]:
    """Check the [[add_unit]] tables exactly as units.csv rows are checked (``world``: the
    instance has its own geography/, so coordinates are not boxed, as in units.csv)."""
    if not adds:
        return []
    header = list(UNIT_COLUMNS)
    records = [header] + [[dict(a.cells).get(c, "") for c in header] for a in adds]
    found: list[Problem] = []
    table = build_table("add_unit", records, UNIT_COLUMNS, found)
    units = check_units(table, found, network_ids, world=world) if table is not None else []
    by_row = {k + 2: a for k, a in enumerate(adds)}  # build_table: header row 1
    for p in found:
        a = by_row.get(p.row or 0)
        if a is None:
            problems.append(Problem(file, None, "[[add_unit]]", p.message))
            continue
        given = dict(a.cells)
        col = p.column
        if col in ("unit_id", "network_id", "service", "level", "beds") and col not in given:
            message = "required: every [[add_unit]] needs unit_id, network_id, service, " \
                      "level, beds and lat/lon or postcode"
        else:
            message = p.message
        problems.append(Problem(file, a.line, _where("add_unit", a.index, col), message))
    if found:
        return []
    return list(zip(adds, units, strict=True))
