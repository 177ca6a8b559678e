"""Appending benchmark rows to a results CSV as each case finishes (a crash keeps the rows
measured so far), with the header when the file is new."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any


def append_rows(path: Path, columns: Sequence[str],
                rows: Iterable[Callable[[], Mapping[str, Any]]]) -> None:
    """Run each of ``rows`` (a case to measure) and append its row to ``path`` at once,
    echoing it on stderr."""
    new_file = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        if new_file:
            writer.writeheader()
        for measure in rows:
            row = measure()
            writer.writerow(row)
            fh.flush()
            print(", ".join(f"{c}={row[c]}" for c in columns), file=sys.stderr)
