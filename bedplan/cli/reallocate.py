"""``bedplan reallocate``: the overnight run (parse flags, call :mod:`optimiser.run`, print)."""

from __future__ import annotations

from pathlib import Path

import click

from bedplan.cli._common import EXIT_OK, emit
from optimiser.run import PhaseEvent
from optimiser.run import reallocate as run_reallocate
from optimiser.runsummary import render


def _print_progress(event: PhaseEvent) -> None:
    """One stderr line per finished phase (with its time) and per solver update."""
    if event.seconds is None:
        click.echo(f"           {event.phase:<10} {event.message}", err=True)
    else:
        click.echo(f"[{event.seconds:7.2f} s] {event.phase:<10} {event.message}", err=True)


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Directory for assignments.csv, summary.json and transfers.csv.")
@click.option("--max-moves", type=click.IntRange(min=0), default=None,
              help="At most this many inpatients move tonight (overrides policy.toml).")
@click.option("--max-admissions-per-unit", type=click.IntRange(min=0), default=None,
              help="At most this many moves in plus admissions per unit.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds the solver may run.")
@click.option("--gap", type=click.FloatRange(min=0), default=None,
              help="Relative MIP gap at which to stop (0 = prove optimality).")
@click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None,
              help="MIP solver (default: policy.toml, else highs).")
@click.option("--distance", type=click.Choice(["road", "geodesic"]), default=None,
              help="Distance used for km (default: policy.toml, else road).")
@click.option("--network", default=None, metavar="ID",
              help="Only one provider collaborative's units and patients.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Solver threads.")
@click.option("--method", type=click.Choice(["auto", "mip", "fast"]), default="auto",
              show_default=True, help="mip: the PuLP model; fast: the exact fast path.")
@click.option("--report", "with_report", is_flag=True,
              help="Also write OUT/report.html and OUT/charts/*.png for commissioners.")
def reallocate(instance: Path, out_dir: Path, max_moves: int | None,
               max_admissions_per_unit: int | None, time_limit: float | None,
               gap: float | None, solver: str | None, distance: str | None,
               network: str | None, threads: int | None, method: str,
               with_report: bool) -> None:
    """Reallocate tonight's beds for INSTANCE and write the plan to OUT.

    \b
    Writes OUT/assignments.csv (one row per patient), OUT/summary.json (status, objective,
    bound, gap, metrics, diagnosis) and OUT/transfers.csv (the moves in an order a ward can
    follow: each into a bed free at that step; cycles flagged for a temporary bed).
    Flags override policy.toml. Progress goes to stderr, the result to stdout.

    \b
    Exit codes: 0 plan written, 2 invalid input (nothing written), 3 infeasible
    (summary.json names the conflicting units), 4 no solution in time or solver failure.
    """
    overrides = {
        key: value for key, value in (
            ("max_moves", max_moves), ("max_admissions_per_unit", max_admissions_per_unit),
            ("time_limit", time_limit), ("gap", gap), ("solver", solver),
            ("distance", distance), ("threads", threads),
        ) if value is not None
    }
    outcome = run_reallocate(instance, out_dir, overrides=overrides, network=network,
                             method=method, progress=_print_progress)
    click.echo(render(outcome.summary, out_dir=str(out_dir)))
    if with_report and outcome.result.has_plan:
        from optimiser.report import write_report

        path = write_report(out_dir, outcome.instance, outcome.result)
        click.echo(f"report: {path}")
    if outcome.exit_code != EXIT_OK:
        emit(outcome.exit_code)
