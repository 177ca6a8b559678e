"""``bedplan report``: an HTML report from a finished run (parse flags, call, print)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from models.errors import InputError, Problem

RUN_JSON = "run.json"


def instance_path(run_dir: Path, given: Path | None) -> Path:
    """``--instance``, else the ``instance`` key of ``RUN/run.json`` (relative to RUN)."""
    if given is not None:
        return given
    meta = run_dir / RUN_JSON
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        value = data["instance"]
        if not isinstance(value, str) or not value:
            raise ValueError
    except FileNotFoundError:
        raise InputError(Problem("--instance", None, None,
                                 f"required: {run_dir} has no {RUN_JSON} naming the instance "
                                 "of this run")) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(Problem(str(meta), None, "instance",
                                 "must be a JSON object with the instance's path as "
                                 "\"instance\"")) from None
    path = Path(value)
    return path if path.is_absolute() else run_dir / path


@click.command()
@click.argument("run_dir", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--instance", "instance", type=click.Path(path_type=Path), default=None,
              help="The instance the run was made on (default: the \"instance\" of "
                   "OUT/run.json).")
@click.option("--changes", type=click.Path(path_type=Path), default=None,
              help="For a scenario run: its CHANGES.toml (needed when it adds units).")
@click.option("--title", default="", help="Title of the page.")
def report(run_dir: Path, instance: Path | None, changes: Path | None, title: str) -> None:
    """Write OUT/report.html (and OUT/charts/*.png) for a finished run in OUT.

    \b
    OUT is the --out directory of `bedplan reallocate` (assignments.csv, summary.json) or
    of `bedplan scenario` (baseline/ and scenario/: the report compares the two plans).
    The page is one self-contained file (CSS and charts inline) with the key figures in
    commissioners' terms: patients brought back into their own collaborative, out-of-area
    placements before and after, km and hours of travel saved (average road speed
    50 km/h), bed-days out of area per year (tonight x 365) and cost; a map of units by
    occupancy with the moves; distance-from-home and out-of-area charts. The interactive
    map needs an internet connection; a static map is always included.

    \b
    Exit codes: 0 report written, 2 invalid input (nothing written).
    """
    from models.changes import read_changes
    from models.io import read_instance
    from optimiser.report.html import load_run, write_report

    inst, result, baseline = load_run(
        run_dir, read_instance(instance_path(run_dir, instance), plan=False),
        read_changes(changes) if changes is not None else None)
    path = write_report(run_dir, inst, result, baseline=baseline, title=title)
    click.echo(f"written to  {path} (charts in {path.parent / 'charts'})")
