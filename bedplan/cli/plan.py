"""``bedplan plan``: the best schedule of moves and admissions over the coming nights
(parse flags, call :mod:`optimiser.planning.plan`, print)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from bedplan.cli._common import EXIT_INPUT, OutDir, emit, policy_options
from bedplan.cli._progress import ProgressPrinter


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=OutDir(),
              help="Directory for plan.csv, nights.csv, schedule.csv and summary.json.")
@click.option("--start", default=None, metavar="DATE",
              help="Date of night 1, YYYY-MM-DD (default: [plan] start of policy.toml, "
                   "else today).")
@click.option("--nights", type=int, default=None, metavar="N",
              help="Nights to plan, >= 1 (default: [plan] nights, else 28).")
@click.option("--network", default=None, metavar="ID",
              help="Plan one collaborative only: its units and its home patients.")
@click.option("--report", "with_report", is_flag=True,
              help="Also write OUT/report.html (out of area per night, brought home per "
                   "week, referrals waiting per night, the schedule week by week) and "
                   "OUT/charts/plan.png.")
@policy_options
def plan(instance: Path, out_dir: Path, start: str | None, nights: int | None,
         network: str | None, with_report: bool, overrides: dict[str, object],
         method: str) -> None:
    """Plan moves and admissions over the coming nights (contract 1.2).

    \b
    Inpatients are present until their expected_discharge; referrals may be admitted
    from their arrives_on; each patient changes ward at most once; capacity,
    max_moves and max_admissions_per_unit hold on every night. Writes, together:
      plan.csv      what each patient does, and on which night
      nights.csv    present, moves, admissions, discharges, waiting, out of area per night
      schedule.csv  each night's moves and admissions in an order a ward can follow
      summary.json  status, objective, bound, gap, the start, nights and metrics
    --method: fast (the exact pricing path, the default) or mip (the PuLP model of
    record); flow cannot plan over nights.

    
    Exit codes: 0 a plan (optimal or feasible), 2 invalid input (nothing written),
    3 infeasible (tonight's inpatients do not fit), 4 no plan within the time limit.
    """
    from optimiser.planning.planrun import run_plan

    if method == "flow":
        raise click.UsageError("--method flow cannot plan over nights: use auto, fast or mip")
    day = None
    if start is not None:
        try:
            day = dt.date.fromisoformat(start.strip())
        except ValueError:
            click.echo(f"error: command line: --start: {start!r} is not a date (YYYY-MM-DD)",
                       err=True)
            emit(EXIT_INPUT)
    outcome = run_plan(instance, out_dir, overrides=overrides, start=day, nights=nights,
                       network=network, method=method, progress=ProgressPrinter())
    r = outcome.result
    metrics = {}
    if outcome.nights:
        from optimiser.planning.plan import plan_metrics

        metrics = plan_metrics(outcome.instance, r, outcome.nights)
    click.echo(f"{r.status}: {r.nights} nights from {r.start.isoformat()}, objective "
               f"{'-' if r.objective is None else f'{r.objective:,.2f}'}"
               + (f", gap {r.gap:.4%}" if r.gap else ""))
    if metrics:
        click.echo(f"  moves {metrics['moves']}, admissions {metrics['admissions']}, "
                   f"brought home {metrics['brought_home']}, unplaced {metrics['unplaced']}, "
                   f"later {metrics['later']}")
        click.echo(f"  out of area: {metrics['out_of_area_first_night']} on the first night, "
                   f"{metrics['out_of_area_last_night']} on the last")
    for line in r.diagnosis[:8]:
        click.echo(f"  - {line}")
    click.echo(f"written to {out_dir}")
    if with_report and r.has_plan:
        from optimiser.report.plan import write_plan_report

        path = write_plan_report(out_dir, outcome.instance, r, outcome.nights, outcome.steps)
        click.echo(f"report: {path}")
    if outcome.exit_code:
        emit(outcome.exit_code)
