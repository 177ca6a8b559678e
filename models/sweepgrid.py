"""SWEEP.toml: the grid of a sweep (bed changes × closures × demand draws), parsed and checked.

A planner writes one small TOML file instead of hundreds of CHANGES.toml files. Reading it
never touches a solver; every mistake (malformed TOML, an unknown key, an unknown unit, a
value of the wrong type) is collected into one :class:`~models.errors.InputError` naming the
file, the line (when the text shows it) and the key, so ``bedplan sweep`` exits 2 before any
work is queued. Unit ids and numbers are read exactly as CHANGES.toml reads them
(:mod:`models.tomlvalues`): ``unit_id = 7`` names unit "7", ``beds = [3.0]`` is 3 beds, 3.5 beds
is refused.

Format (every table optional; see ``docs/sweep.md``)::

    [demand]             # without it: the instance's own referrals, as they are
    seeds = 3            # demand draws per scenario (>= 1); draw k uses seed base_seed + k
    base_seed = 0        # the same draws are used in every scenario (common random numbers)
    referrals = 20       # referrals drawn per draw (with "replace": default as many as the
                         #   instance has)
    mode = "add"         # "add" the drawn referrals to the instance's own (the default when
                         #   referrals is given), "replace" them, or "instance": no draws,
                         #   the instance's own referrals (the default otherwise)
    source = "auto"      # "population": the calibrated model (homes in England's districts);
                         # "instance": resample the instance's own patients' needs and homes;
                         # "auto" (default): population, or instance with a custom geography/

    [[vary]]             # one axis per table: a unit and the values of ONE number
    unit_id = "U3"
    beds = [10, 12, 14]  # or beds_closed = [...], or cost_per_day = [...]

    [[close_options]]    # one closure option per table: these units close together
    unit_ids = ["U7", "U8"]
    label = "close Ashdown site"   # optional

    include_no_closure = true      # "nothing closed" is one of the closure options (default)

    [policy]             # overrides for every scenario (policy.toml keys)
    limits.max_moves = 10
    solver.time_limit = 30
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.domain import Instance
from models.errors import InputError, Problem, toml_problem
from models.tomlvalues import as_unit_id, header_line, key_line, number, number_rule, shown

VARY_FIELDS: tuple[str, ...] = ("beds", "beds_closed", "cost_per_day")
DEMAND_MODES: tuple[str, ...] = ("replace", "add", "instance")
DEMAND_SOURCES: tuple[str, ...] = ("auto", "population", "instance")
#: A grid larger than this is almost certainly a typo (and would take days).
MAX_SCENARIOS = 100_000

_TOP_KEYS = {"demand", "vary", "close_options", "include_no_closure", "policy", "name",
             "description"}
#: Upper ends that keep a sweep finite (England has about 9,000 specialised beds).
MAX_REFERRALS = 1_000_000
MAX_SEEDS = 10_000
_DEMAND_KEYS = {"seeds", "base_seed", "referrals", "mode", "source"}
_CLOSE_KEYS = {"unit_ids", "label"}


@dataclass(frozen=True, slots=True)
class Vary:
    """One axis of the grid: the values one number of one unit takes."""

    unit_id: str
    field: str  # beds | beds_closed | cost_per_day
    values: tuple[float, ...]

    @property
    def column(self) -> str:
        """Results column holding this axis's value, e.g. ``U3.beds``."""
        return f"{self.unit_id}.{self.field}"


@dataclass(frozen=True, slots=True)
class CloseOption:
    """One closure option: units taken out of use together."""

    unit_ids: tuple[str, ...]
    label: str


@dataclass(frozen=True, slots=True)
class Demand:
    """How referrals are drawn for each scenario."""

    seeds: int = 1
    base_seed: int = 0
    referrals: int | None = None  # None: as many as the instance has ("replace" only)
    mode: str = "instance"
    source: str = "auto"

    @property
    def draws(self) -> tuple[int | None, ...]:
        """The seeds of the draws; ``(None,)`` when the instance's own referrals are used."""
        if self.mode == "instance":
            return (None,)
        return tuple(self.base_seed + k for k in range(self.seeds))


@dataclass(frozen=True, slots=True)
class Scenario:
    """One point of the grid: numbers set on units, and units closed."""

    scenario_id: int
    settings: tuple[tuple[str, str, float], ...]  # (unit_id, field, value)
    closed: tuple[str, ...]
    closure: str  # label of the closure option, "" when nothing is closed

    @property
    def label(self) -> str:
        """Short human description, e.g. ``U3.beds=12, close U7``."""
        parts = [f"{u}.{f}={_fmt(v)}" for u, f, v in self.settings]
        if self.closure:
            parts.append(self.closure)
        return ", ".join(parts) or "as is"


@dataclass(frozen=True, slots=True)
class SweepGrid:
    """A parsed SWEEP.toml."""

    vary: tuple[Vary, ...] = ()
    close_options: tuple[CloseOption, ...] = ()
    include_no_closure: bool = True
    demand: Demand = Demand()
    policy: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    source: str = ""

    def closures(self) -> tuple[CloseOption, ...]:
        """The closure axis, "nothing closed" first when included."""
        none = (CloseOption((), ""),) if self.include_no_closure else ()
        return none + self.close_options

    def n_scenarios(self) -> int:
        """Number of grid points (without demand draws)."""
        return math.prod(len(v.values) for v in self.vary) * len(self.closures())

    def scenarios(self) -> tuple[Scenario, ...]:
        """Every grid point, in a fixed order: the axes in file order, closures last."""
        axes = [[(v.unit_id, v.field, x) for x in v.values] for v in self.vary]
        out = []
        for i, (settings, closure) in enumerate(
                itertools.product(itertools.product(*axes), self.closures())):
            out.append(Scenario(i, tuple(settings), closure.unit_ids, closure.label))
        return tuple(out)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def read_grid(path: str | Path, instance: Instance | None = None, *,
              seeds: int | None = None) -> SweepGrid:
    """Read and check SWEEP.toml; with ``instance``, also check unit ids and bed numbers.

    ``seeds`` (the ``--seeds`` flag) overrides ``[demand] seeds``.
    """
    path = Path(path)
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(Problem(name, None, None, "file not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(name, None, None, f"cannot read as UTF-8 text: {exc}")) from None
    grid = parse_grid(text, name, seeds=seeds)
    if instance is not None:
        validate_grid(grid, instance)
    return grid


def parse_grid(text: str, file: str = "SWEEP.toml", *, seeds: int | None = None) -> SweepGrid:
    """Parse SWEEP.toml text; every problem is reported, not only the first."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(toml_problem(exc, file)) from None
    problems: list[Problem] = []

    def bad(key: str, message: str, line: int | None = None) -> None:
        problems.append(Problem(file, line, key, message))

    for key in data:
        if key not in _TOP_KEYS:
            bad(key, f"unknown key (expected one of {', '.join(sorted(_TOP_KEYS))})")

    if seeds is not None and seeds < 1:
        bad("--seeds", "must be at least 1")
        seeds = None
    demand = _parse_demand(data.get("demand", {}), bad, seeds)
    vary = _parse_vary(data.get("vary", []), text, bad)
    closes = _parse_closes(data.get("close_options", []), text, bad)
    include_none = data.get("include_no_closure", True)
    if not isinstance(include_none, bool):
        bad("include_no_closure", "must be true or false")
        include_none = True
    policy = _parse_policy(data.get("policy", {}), bad)
    name_value = data.get("name", "")
    if not isinstance(name_value, str):
        bad("name", "must be a string")
        name_value = ""
    if not isinstance(data.get("description", ""), str):
        bad("description", "must be a string")

    grid = SweepGrid(tuple(vary), tuple(closes), include_none, demand, policy, name_value, file)
    if not problems:
        if not grid.closures():
            bad("include_no_closure", "false with no [[close_options]]: the grid is empty")
        elif grid.n_scenarios() > MAX_SCENARIOS:
            bad("vary", f"{grid.n_scenarios()} scenarios: more than {MAX_SCENARIOS}")
    if problems:
        raise InputError(problems)
    return grid


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_demand(raw: object, bad: Any, seeds_flag: int | None = None) -> Demand:
    """``[demand]``; the instance's own referrals are kept unless the file says otherwise:
    without ``mode``, drawn ``referrals`` are added to them, and with no ``referrals`` there
    are no draws. Asking for several draws of nothing is refused, not ignored."""
    if not isinstance(raw, dict):
        bad("demand", "must be a table ([demand])")
        return Demand()
    for key in raw:
        if key not in _DEMAND_KEYS:
            bad(f"demand.{key}", f"unknown key (expected one of {', '.join(sorted(_DEMAND_KEYS))})")
    d = Demand()
    seeds, base_seed = raw.get("seeds", d.seeds), raw.get("base_seed", d.base_seed)
    referrals = raw.get("referrals", d.referrals)
    mode = raw.get("mode", "add" if "referrals" in raw else "instance")
    source = raw.get("source", d.source)
    if not _is_int(seeds) or not 1 <= seeds <= MAX_SEEDS:
        bad("demand.seeds", f"must be an integer from 1 to {MAX_SEEDS:,}")
        seeds = d.seeds
    if not _is_int(base_seed) or base_seed < 0:
        bad("demand.base_seed", "must be an integer >= 0")
        base_seed = d.base_seed
    if referrals is not None and (not _is_int(referrals) or not 0 <= referrals <= MAX_REFERRALS):
        bad("demand.referrals", f"must be an integer from 0 to {MAX_REFERRALS:,}")
        referrals = None
    if mode not in DEMAND_MODES:
        bad("demand.mode", f"must be one of {', '.join(DEMAND_MODES)}")
        mode = d.mode
    if source not in DEMAND_SOURCES:
        bad("demand.source", f"must be one of {', '.join(DEMAND_SOURCES)}")
        source = d.source
    if mode == "instance" and referrals is not None:
        bad("demand.referrals", 'mode = "instance" draws no referrals: remove referrals, or '
            'use mode = "add" (drawn referrals on top of the instance\'s) or "replace"')
    elif mode == "add" and referrals is None:
        bad("demand.referrals", 'mode = "add" needs the number of referrals to draw')
    if seeds_flag is not None:
        seeds = seeds_flag
        if seeds > MAX_SEEDS:
            bad("--seeds", f"must be at most {MAX_SEEDS:,}")
    if mode == "instance" and _is_int(seeds) and seeds > 1:
        bad("--seeds" if seeds_flag is not None else "demand.seeds",
            f"{seeds} demand draws, but no referrals are drawn (the instance's own referrals "
            "are used as they are): give [demand] referrals = N to add N drawn referrals "
            'to them, or mode = "replace" to draw a new set')
    return Demand(seeds, base_seed, referrals, mode, source)


def _parse_vary(raw: object, text: str, bad: Any) -> list[Vary]:
    """``[[vary]]`` tables; unit ids and numbers read as CHANGES.toml's ``[[set]]`` reads them
    (models.tomlvalues), so ``unit_id = 7`` and ``beds = [3.0]`` mean what they mean there."""
    if not isinstance(raw, list):
        bad("vary", "must be an array of tables ([[vary]])")
        return []
    out: list[Vary] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(raw, start=1):
        where = f"vary[{i}]"
        header = header_line(text, "[vary]", i)
        if not isinstance(item, dict):
            bad(where, "must be a table ([[vary]])")
            continue
        for key in item:
            if key != "unit_id" and key not in VARY_FIELDS:
                bad(f"{where}.{key}",
                    f"unknown key (expected unit_id and one of {', '.join(VARY_FIELDS)})",
                    key_line(text, "[vary]", i, key))
        if "unit_id" not in item:
            bad(f"{where}.unit_id", "required: the unit_id of a unit of the instance", header)
            continue
        unit_id = as_unit_id(item["unit_id"])
        if unit_id is None:
            bad(f"{where}.unit_id", f"must be a unit id (text), got {shown(item['unit_id'])}",
                key_line(text, "[vary]", i, "unit_id"))
            continue
        fields = [f for f in VARY_FIELDS if f in item]
        if len(fields) != 1:
            bad(where, f"give exactly one of {', '.join(VARY_FIELDS)} (found {len(fields)})",
                header)
            continue
        name = fields[0]
        line = key_line(text, "[vary]", i, name)
        values = item[name]
        if not isinstance(values, list) or not values:
            bad(f"{where}.{name}", "must be a non-empty list of values, e.g. [10, 12, 14]", line)
            continue
        whole = name != "cost_per_day"
        read = [number(v, whole=whole) for v in values]
        wrong = [v for v, got in zip(values, read, strict=True) if got is None]
        if wrong:
            bad(f"{where}.{name}", f"each value must be {number_rule(whole)}, got "
                f"{shown(wrong[0])}", line)
            continue
        # counts as read (3.0 is 3); amounts as written, so results show what the file says
        kept = tuple(x for x in read if x is not None) if whole else tuple(values)
        if len(set(kept)) != len(kept):
            bad(f"{where}.{name}", "values are repeated", line)
            continue
        if (unit_id, name) in seen:
            bad(where, f"{unit_id}.{name} is varied twice", header)
            continue
        seen.add((unit_id, name))
        out.append(Vary(unit_id, name, kept))
    return out


def _parse_closes(raw: object, text: str, bad: Any) -> list[CloseOption]:
    if not isinstance(raw, list):
        bad("close_options", "must be an array of tables ([[close_options]])")
        return []
    out: list[CloseOption] = []
    labels: set[str] = set()
    for i, item in enumerate(raw, start=1):
        where = f"close_options[{i}]"
        header = header_line(text, "[close_options]", i)
        if not isinstance(item, dict):
            bad(where, "must be a table ([[close_options]])")
            continue
        for key in item:
            if key not in _CLOSE_KEYS:
                bad(f"{where}.{key}", "unknown key (expected unit_ids and optional label)",
                    key_line(text, "[close_options]", i, key))
        ids = item.get("unit_ids")
        line = key_line(text, "[close_options]", i, "unit_ids") or header
        if not isinstance(ids, list) or not ids:
            bad(f"{where}.unit_ids", "required: a non-empty list of unit ids, e.g. [\"U7\"]",
                line)
            continue
        read = [as_unit_id(x) for x in ids]
        wrong = [x for x, got in zip(ids, read, strict=True) if got is None]
        if wrong:
            bad(f"{where}.unit_ids", f"must be unit ids (text), got {shown(wrong[0])}", line)
            continue
        unit_ids = tuple(dict.fromkeys(x for x in read if x is not None))
        label = item.get("label", "close " + "+".join(unit_ids))
        if not isinstance(label, str) or not label.strip():
            bad(f"{where}.label", "must be a non-empty string",
                key_line(text, "[close_options]", i, "label"))
            continue
        if label in labels:
            bad(f"{where}.label", f"label {label!r} is used twice",
                key_line(text, "[close_options]", i, "label"))
            continue
        labels.add(label)
        out.append(CloseOption(unit_ids, label.strip()))
    return out


def _parse_policy(raw: object, bad: Any) -> dict[str, Any]:
    """``[policy]`` as parsed, checked with policy.toml's own rules (models.policy)."""
    from models.domain import Policy
    from models.policy import policy_from_mapping

    if not isinstance(raw, dict):
        bad("policy", "must be a table ([policy])")
        return {}
    _, problems = policy_from_mapping(raw, base=Policy())
    for p in problems:
        bad(f"policy.{p.column}" if p.column else "policy", p.message)
    return raw


def validate_grid(grid: SweepGrid, instance: Instance) -> None:
    """Check the grid against the instance: unit ids exist, numbers stay within the contract.

    Raises InputError naming the SWEEP.toml key; checking every scenario is cheap (no solve).
    """
    file = grid.source or "SWEEP.toml"
    units = {u.unit_id: u for u in instance.units}
    problems: list[Problem] = []
    for i, v in enumerate(grid.vary, start=1):
        if v.unit_id not in units:
            problems.append(Problem(file, None, f"vary[{i}].unit_id",
                                    f"unknown unit {v.unit_id!r} (not in units.csv)"))
    for i, c in enumerate(grid.close_options, start=1):
        for uid in c.unit_ids:
            if uid not in units:
                problems.append(Problem(file, None, f"close_options[{i}].unit_ids",
                                        f"unknown unit {uid!r} (not in units.csv)"))
    if problems:
        raise InputError(problems)
    # beds_closed <= beds must hold in every combination of the axes of one unit.
    by_unit: dict[str, dict[str, tuple[float, ...]]] = {}
    for v in grid.vary:
        by_unit.setdefault(v.unit_id, {})[v.field] = v.values
    for uid, axes in by_unit.items():
        u = units[uid]
        beds = axes.get("beds", (u.beds,))
        closed = axes.get("beds_closed", (u.beds_closed,))
        worst = (min(beds), max(closed))
        if worst[1] > worst[0]:
            key = "beds" if "beds" in axes else "beds_closed"
            idx = next(i for i, v in enumerate(grid.vary, start=1)
                       if v.unit_id == uid and v.field == key)
            problems.append(Problem(
                file, None, f"vary[{idx}].{key}",
                f"unit {uid}: beds_closed {int(worst[1])} would exceed beds {int(worst[0])}"))
    if problems:
        raise InputError(problems)
