"""``bedplan simulate``: a year (or any number of nights) under several policies, many runs
(parse flags, call :mod:`optimiser.planning.simulate`, write, print)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from bedplan.cli._common import OutDir


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--days", type=int, required=True, help="Nights to simulate (1 to 3,660).")
@click.option("--runs", type=int, default=10, show_default=True,
              help="Runs per policy (each a different draw; run k is the same for every "
                   "policy).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Run k uses seed SEED + k - 1.")
@click.option("--out", "out_dir", required=True, type=OutDir(),
              help="Directory for runs.csv, summary.json and report.html.")
@click.option("--policy", "policies", multiple=True, metavar="NAME",
              help="nearest, reallocate or plan; repeat to compare (default: nearest and "
                   "reallocate).")
@click.option("--lookahead", type=int, default=7, show_default=True,
              help="Nights each plan looks ahead (policy plan).")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date of the first night (default: [plan] start of policy.toml, else today).")
@click.option("--demand", "demand_path", type=click.Path(path_type=Path), default=None,
              help="demand.csv with referral rates (default: INSTANCE/demand.csv when there, "
                   "else estimated from the census).")
@click.option("--workers", type=int, default=0, show_default=True,
              help="Local Dask worker processes; 0 runs in this process.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Use an existing Dask cluster (e.g. tcp://10.0.0.5:8786); --workers is "
                   "then ignored.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress bar over runs and nights on stderr.")
def simulate(instance: Path, days: int, runs: int, seed: int, out_dir: Path,
             policies: tuple[str, ...], lookahead: int, start: dt.datetime | None,
             demand_path: Path | None, workers: int, scheduler: str | None,
             progress: bool) -> None:
    """Simulate INSTANCE night by night from its census under each policy.

    \b
    Each night: inpatients leave (expected_discharge, else a drawn length of stay),
    referrals arrive (demand.csv, else rates estimated from the census), then the
    policy admits and moves:
      nearest     nobody moves; referrals in arrival order to the nearest ward with a bed
      reallocate  the nightly optimiser with the instance's policy and limits
      plan        a plan over --lookahead nights, carried out for its first night
    Run k of every policy sees the same draws (seed SEED + k - 1).

    \b
    Writes OUT/runs.csv (policy,run,seed,brought_home,moves,admissions,discharges,
    referrals,unplaced_nights,out_of_area_bed_days,bed_days,km_bed_days,cost),
    OUT/summary.json (mean and 95% interval per policy and figure) and OUT/report.html.
    docs/simulate.md defines every figure. Exit codes: 0 written, 2 invalid input
    (nothing written).
    """
    from models.demand import find_demand, read_demand
    from models.io import read_instance
    from optimiser.planning.run import check_out_dir
    from optimiser.planning.simulate import check_request, first_night, runs_csv, summary
    from optimiser.planning.simulate import simulate as run_all
    from optimiser.planning.simulate_draws import build_world
    from optimiser.report.simulate import write_outputs

    names = policies or ("nearest", "reallocate")
    check_request(names, days=days, runs=runs, lookahead=lookahead, workers=workers, seed=seed)
    check_out_dir(out_dir)
    inst = read_instance(instance)
    demand_file = demand_path or find_demand(instance)
    rates = read_demand(demand_file, inst) if demand_file is not None else None
    first = first_night(inst, start.date() if start is not None else None)
    world = build_world(inst, days=days, start=first, rates=rates, lookahead=lookahead)
    where = scheduler or ("in this process" if workers == 0 else f"{workers} local workers")
    click.echo(f"{len(names)} policies x {runs:,} runs x {days:,} nights from "
               f"{first.isoformat()} ({where}); referrals "
               f"{'from ' + str(demand_file) if demand_file else 'estimated from the census'}",
               err=True)
    results = run_all(world, names, runs, seed, workers=workers, scheduler=scheduler,
                      progress=progress)
    summ = summary(results, days=days, runs=runs, seed=seed)
    paths = write_outputs(out_dir, runs_csv(results), summ, results, world)
    for name, figs in summ["policies"].items():
        line = ", ".join(f"{f} {_show(figs[f])}" for f in
                         ("brought_home", "moves", "out_of_area_bed_days", "unplaced_nights",
                          "cost"))
        click.echo(f"{name:<11} {line}")
    failed = sum(r.failed_nights for r in results)
    if failed:
        click.echo(f"warning: on {failed:,} nights a policy found no plan (nobody was moved "
                   "or admitted those nights)", err=True)
    click.echo(f"written to  {', '.join(str(p) for p in paths)}")


def _show(fig: dict[str, float | None]) -> str:
    mean, low, high = fig["mean"], fig["low"], fig["high"]
    text = "-" if mean is None else f"{mean:,.1f}"
    if low is not None and high is not None:
        text += f" [{low:,.1f}, {high:,.1f}]"
    return text
