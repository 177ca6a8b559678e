"""Raw tables from CSV files and Excel sheets: every cell as a stripped string.

Nothing is converted here, so every later problem can still name file, row and column.
Rows are numbered as a spreadsheet shows them (header = row 1, first data row = 2); blank
rows keep their number but are dropped. Reading never raises on bad bytes: it records a
:class:`~models.errors.Problem` and returns None.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from models.errors import Problem

log = logging.getLogger(__name__)

BOM = b"\xef\xbb\xbf"
SAVE_AS = 'save it from Excel as "CSV UTF-8 (comma delimited)"'


@dataclass(frozen=True, slots=True)
class Table:
    """One sheet of cells: ``columns[name][k]`` is the value of data row ``rows[k]``.

    ``names`` keeps the header order (known columns lower-cased, others as written).
    """

    file: str
    names: tuple[str, ...]
    columns: dict[str, list[str]]
    rows: list[int]
    header_row: int = 1

    def __len__(self) -> int:
        return len(self.rows)

    def has(self, name: str) -> bool:
        return name in self.columns

    def column(self, name: str) -> list[str]:
        """Values of ``name`` (all blank when the column is absent)."""
        col = self.columns.get(name)
        return col if col is not None else [""] * len(self.rows)


def build_table(file: str, records: Iterable[Sequence[str]], known: Iterable[str],
                problems: list[Problem], *, first_row: int = 1) -> Table | None:
    """Turn records (header first) into a :class:`Table`, reporting layout problems.

    ``known`` column names are matched case-insensitively; headerless columns are ignored;
    a row with values beyond the header is reported (usually an unquoted comma).
    """
    known_set = set(known)
    it = iter(records)
    header: Sequence[str] | None = None
    row_no = first_row - 1
    for rec in it:
        row_no += 1
        if any(c.strip() for c in rec):
            if rec[0].strip().lower().startswith("sep=") and not "".join(rec[1:]).strip():
                continue  # Excel's "sep=," hint line, not data
            header = rec
            break
    if header is None:
        problems.append(Problem(file, None, None, "no header row: the first row must name the "
                                "columns (e.g. unit_id,network_id,...)"))
        return None
    header_row = row_no
    names: list[str] = []
    positions: list[int] = []
    seen: dict[str, int] = {}
    for pos, raw in enumerate(header):
        name = raw.strip().lstrip("\ufeff").strip()
        if not name:
            continue
        if name.lower() in known_set:
            name = name.lower()
        if name in seen:
            problems.append(Problem(file, header_row, name, "column appears twice in the header"))
            continue
        seen[name] = pos
        names.append(name)
        positions.append(pos)
    for sep, word in ((";", "';'"), ("\t", "tabs")):
        if len(names) == 1 and sep in names[0]:
            problems.append(Problem(file, header_row, None,
                                    f"the header uses {word} between column names: {SAVE_AS}"))
            return None
    width = len(header)
    kept: list[Sequence[str]] = []
    rows: list[int] = []
    padding = [""] * width
    for rec in it:
        row_no += 1
        n = len(rec)
        if n > width and "".join(rec[width:]).strip():
            problems.append(Problem(file, row_no, None, f"{n} values but the header has "
                                    f"{width} columns (a comma inside an unquoted value?)"))
        joined = "".join(rec)
        if not joined.strip():
            continue
        if "\n" in joined or "\r" in joined:  # fine in a free-text column of the user's own
            broken = [name for name, pos in zip(names, positions, strict=True)
                      if name in known_set and pos < n and ("\n" in rec[pos] or "\r" in rec[pos])]
            if broken:
                problems.append(Problem(file, row_no, broken[0], "the value runs over several "
                                        "lines (a quote \" opened and not closed?)"))
        if n != width:
            rec = [*rec, *padding][:width]
        kept.append(rec)
        rows.append(row_no)
    transposed = list(zip(*kept, strict=True)) if kept else [() for _ in range(width)]
    cols = [[v.strip() for v in transposed[pos]] for pos in positions]
    return Table(file, tuple(names), dict(zip(names, cols, strict=True)), rows, header_row)


def read_csv(path: Path, file: str, known: Iterable[str],
             problems: list[Problem]) -> Table | None:
    """Read a CSV file as strings; record a problem and return None when it cannot be."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(file, None, None, f"cannot be read ({exc.strerror or exc})"))
        return None
    if not raw:
        problems.append(Problem(file, None, None,
                                "the file is empty (0 bytes): it needs at least the header row"))
        return None
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(Problem(file, line, None, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}): "
                                f"{SAVE_AS}"))
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        problems.append(Problem(file, line, None, f"contains NUL bytes, not text: {SAVE_AS}"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[list[str]] = []
    try:
        records.extend(reader)
    except csv.Error as exc:
        problems.append(Problem(file, len(records) + 1, None, f"malformed CSV ({exc})"))
        return None
    return build_table(file, records, known, problems)


def _cell_text(value: object) -> str:
    """A cell value as the text a CSV export would show."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_workbook(path: Path, sheets: dict[str, Iterable[str]],
                  problems: list[Problem]) -> dict[str, Table | None] | None:
    """Read the named sheets (case-insensitive) of an .xlsx workbook.

    Returns None when the workbook cannot be opened. An absent sheet is left out of the
    result without a problem (the caller decides which are required); a sheet that cannot
    be read maps to None with its problem recorded.
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # untrusted bytes: zipfile, XML and openpyxl errors alike
        log.debug("cannot open workbook", exc_info=True)
        problems.append(Problem(path.name, None, None, "not a readable .xlsx workbook "
                                f"({type(exc).__name__}); save it from Excel as .xlsx, or give "
                                "a directory of CSV UTF-8 files"))
        return None
    out: dict[str, Table | None] = {}
    try:
        by_name = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        for sheet, known in sheets.items():
            ws = by_name.get(sheet)
            if ws is None:
                continue
            file = f"{path.name}[{sheet}]"
            try:
                records = [[_cell_text(v) for v in row]
                           for row in ws.iter_rows(values_only=True)]
            except Exception as exc:  # corrupt sheet XML
                log.debug("cannot read sheet", exc_info=True)
                problems.append(Problem(file, None, None,
                                        f"the sheet cannot be read ({type(exc).__name__})"))
                out[sheet] = None
                continue
            if not records:
                problems.append(Problem(file, None, None,
                                        "the sheet is empty: it needs at least the header row"))
                out[sheet] = None
                continue
            out[sheet] = build_table(file, records, known, problems)
    finally:
        wb.close()
    return out
