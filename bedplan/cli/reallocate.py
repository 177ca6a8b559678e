"""``bedplan reallocate``: the overnight run (parse flags, call
:mod:`optimiser.planning.run`, print)."""

from __future__ import annotations

from pathlib import Path

import click

from bedplan.cli._common import EXIT_OK, OutDir, emit, policy_options
from bedplan.cli._progress import ProgressPrinter
from optimiser.planning.run import reallocate as run_reallocate
from optimiser.planning.runsummary import render


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=OutDir(),
              help="Directory for assignments.csv, summary.json and transfers.csv.")
@click.option("--network", default=None, metavar="ID",
              help="Only one provider collaborative's units and patients.")
@policy_options
@click.option("--report", "with_report", is_flag=True,
              help="Also write OUT/report.html and OUT/charts/*.png for commissioners.")
def reallocate(instance: Path, out_dir: Path, network: str | None, with_report: bool,
               overrides: dict[str, object], method: str) -> None:
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
    outcome = run_reallocate(instance, out_dir, overrides=overrides, network=network,
                             method=method, progress=ProgressPrinter())
    click.echo(render(outcome.summary, out_dir=str(out_dir)))
    if with_report and outcome.result.has_plan:
        from optimiser.report.html import write_report

        path = write_report(out_dir, outcome.instance, outcome.result,
                            distances=outcome.distances)
        click.echo(f"report: {path}")
    if outcome.exit_code != EXIT_OK:
        emit(outcome.exit_code)
