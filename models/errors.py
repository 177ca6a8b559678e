"""Problems found in input, reported the way a spreadsheet user can act on them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with the input: ``file:row: column: message``.

    ``row`` is the spreadsheet row (header = 1, first data row = 2), or None when the problem
    concerns the whole file; ``column`` is None when it concerns the whole row or file.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        if self.column:
            return f"{where}: {self.column}: {self.message}"
        return f"{where}: {self.message}"


def toml_problem(exc: Exception, file: str) -> Problem:
    """A TOML syntax error as a Problem naming the file and the line (tomllib says where)."""
    import re

    msg = str(exc)
    m = re.search(r"\(at line (\d+), column \d+\)", msg)
    line = int(m.group(1)) if m else None
    msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
    return Problem(file, line, None, f"not valid TOML: {msg}")


class InputError(Exception):
    """Invalid input: carries every problem found, not only the first (exit code 2)."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("input", None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
