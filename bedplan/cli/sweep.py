"""``bedplan sweep``: many scenarios at once on Dask (parse flags, call
:mod:`optimiser.planning.sweep`, print)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bedplan.cli._common import EXIT_NO_SOLUTION, OutDir, emit

if TYPE_CHECKING:
    from optimiser.planning.sweep import Best


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--grid", "grid_path", required=True, type=click.Path(path_type=Path),
              help="SWEEP.toml: the bed changes, closures and demand draws to cross.")
@click.option("--out", "out_dir", required=True, type=OutDir(),
              help="Directory for sweep.parquet, sweep.csv and sweep.png.")
@click.option("--workers", type=click.IntRange(min=0), default=2, show_default=True,
              help="Local Dask worker processes; 0 runs in this process, one by one.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Use an existing Dask cluster (e.g. tcp://10.0.0.5:8786) instead of a "
                   "local one; its workers need bedplan installed.")
@click.option("--seeds", type=click.IntRange(min=1), default=None,
              help="Demand draws per scenario (overrides [demand] seeds).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress bar on stderr.")
def sweep(instance: Path, grid_path: Path, out_dir: Path, workers: int,
          scheduler: str | None, seeds: int | None, progress: bool) -> None:
    """Solve every scenario of a grid for INSTANCE and write one row per scenario and draw.

    \b
    SWEEP.toml (every table optional; docs/sweep.md has the details):
      name = "winter"      # top-level keys (name, include_no_closure) before any [table]
      [demand]             # without it: INSTANCE's own referrals as they are
      seeds = 3            # demand draws per scenario; draw k uses seed base_seed + k,
      base_seed = 0        #   the same draws in every scenario
      referrals = 20       # referrals drawn per draw, added to INSTANCE's own
      mode = "add"         # (default with referrals) or "replace" INSTANCE's referrals,
                           #   or "instance": no draws (the default without referrals)
      source = "auto"      # "population" (calibrated model), "instance" (resample
                           #   INSTANCE's patients); auto: population unless geography/
      [[vary]]             # one axis per table: one unit, one number, its values
      unit_id = "U3"
      beds = [10, 12, 14]  # or beds_closed = [...] or cost_per_day = [...]
      [[close_options]]    # one closure option per table (units closed together);
      unit_ids = ["U7"]    #   "nothing closed" is an option too unless
      label = "close U7"   #   include_no_closure = false
      [policy]             # policy.toml overrides for every scenario
      limits.max_moves = 10

    \b
    Scenarios = product of the [[vary]] value lists x closure options; each is solved for
    every demand draw. A closed unit has no open bed and its inpatients must move.
    Writes OUT/sweep.parquet and OUT/sweep.csv (scenario_id, label, one column per
    [[vary]] such as U3.beds, closed, seed, status, objective, placed, unplaced, moves,
    out_of_area, total_km, median_km, delayed, referrals, seconds, error; sorted by
    scenario_id and seed) and OUT/sweep.png (mean per scenario). Results are identical
    whatever the number of workers (seconds aside).

    \b
    Exit codes: 0 results written, 2 invalid input (nothing written), 4 every scenario
    failed (results still written, the error column says why).
    """
    from models.io import read_instance
    from models.sweepgrid import read_grid
    from optimiser.geography.network import check_reachable_stays
    from optimiser.planning.run import check_out_dir
    from optimiser.planning.sweep import best_scenarios, describe_demand, run_sweep
    from optimiser.report.sweep import write_sweep

    check_out_dir(out_dir)
    inst = read_instance(instance, plan=False)
    check_reachable_stays(inst)  # invalid input, not a failed scenario (exit 2, nothing written)
    grid = read_grid(grid_path, inst, seeds=seeds)
    draws = len(grid.demand.draws)
    where = scheduler or ("in this process" if workers == 0 else f"{workers} local workers")
    click.echo(f"{grid.n_scenarios():,} scenarios x {draws:,} demand draws = "
               f"{grid.n_scenarios() * draws:,} solves ({where})", err=True)
    demand = describe_demand(inst, grid.demand)
    click.echo(f"demand: {demand}", err=True)
    df = run_sweep(inst, grid, workers=workers, scheduler=scheduler, progress=progress)
    paths = write_sweep(out_dir, df, title=grid.name)
    counts = df["status"].value_counts().to_dict()
    click.echo(f"demand      {demand}")
    click.echo("status      " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    for line in _best_lines(best_scenarios(df), draws):
        click.echo(line)
    click.echo(f"written to  {', '.join(str(p) for p in paths)}")
    failed = df[df["status"] == "error"]
    if not failed.empty:
        click.echo(f"warning: {len(failed):,} solves failed, e.g. {failed['error'].iloc[0]}",
                   err=True)
    if len(failed) == len(df):
        emit(EXIT_NO_SOLUTION)


def _best_lines(best: Best | None, draws: int) -> list[str]:
    """The best scenario, or the tie, in words: "best X" only when X beats the rest."""
    if best is None:
        return ["best        none: no scenario was solved in every draw"]
    every = " in every draw" if draws > 1 else ""
    if len(best.labels) == best.scenarios > 1:
        return [f"best        no difference: all {best.scenarios} scenarios give the same "
                f"objective{every} (mean {best.mean:,.1f})"]
    if len(best.labels) > 1:
        lines = [f"best        a tie: {len(best.labels)} scenarios give the same objective"
                 f"{every} (mean {best.mean:,.1f}):"]
        lines += [f"              {label}" for label in best.labels]
    else:
        lines = [f"best        {best.labels[0]} (mean objective {best.mean:,.1f})"]
    if best.runner_up is not None and best.behind is not None:
        lines.append(f"next        {best.runner_up} (+{best.behind:,.1f} on average)")
    return lines
