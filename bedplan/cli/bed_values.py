"""``bedplan bed-values``: where one more open bed would matter most tonight."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bedplan.cli._common import EXIT_INFEASIBLE, EXIT_NO_SOLUTION, emit, policy_options


@click.command("bed-values")
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--top", type=click.IntRange(min=0), default=None,
              help="Only the N units where an extra bed is worth most (default: all).")
@click.option("--unit", "unit_ids", multiple=True, metavar="ID",
              help="Only this unit (repeat for several): fewer re-solves.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--how", type=click.Choice(["auto", "flow", "duals", "resolve"]), default="auto",
              show_default=True,
              help="flow: exact shortest paths (needs no max-moves limit); duals: bounds from "
                   "tonight's LP duals, re-solving only where they differ; resolve: one "
                   "solve per unit; auto: flow without a move limit, else duals.")
@click.option("--no-limits", is_flag=True,
              help="Value beds as if tonight had no move or admission limit (ignores "
                   "limits in policy.toml and --max-moves/--max-admissions-per-unit).")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Re-solves on a local Dask cluster of N processes; 0: in this process "
                   "(default: 2 workers when there are many re-solves).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Re-solve on an existing Dask cluster (e.g. tcp://10.0.0.5:8786).")
@policy_options
def bed_values(instance: Path, top: int | None, unit_ids: tuple[str, ...], as_json: bool,
               how: str, no_limits: bool, workers: int | None, scheduler: str | None,
               overrides: dict[str, object], method: str) -> None:
    """The value of one more open bed, and the cost of one fewer, in every unit.

    \b
    Values are changes in the objective (km-equivalents with the weights of policy.toml):
    "one more" is what the optimum saves with one more open bed in the unit, "one fewer"
    what it loses with one less. Ranked: where an extra bed is worth most first.
    Every value is exact: without a max-moves limit from shortest paths in the optimal
    flow; with one, from bounds given by tonight's LP duals, re-solving (on a smaller,
    equivalent model) only the units where the bounds differ (England: a handful). A value
    marked * is not proven: a re-solve stopped at --time-limit (--json gives its bounds).
    --no-limits asks the question without the night's move and admission limits.
    Progress and the time left go to stderr.
    Exit codes: 0 done, 2 invalid input, 3 infeasible as it is, 4 no solution in time.
    """
    from models.io import read_instance
    from optimiser.core.result import INFEASIBLE
    from optimiser.planning.bedvalues import ResolveError, render_bed_values
    from optimiser.planning.bedvalues import bed_values as compute

    if no_limits:
        given = [f"--{k.replace('_', '-')}" for k in ("max_moves", "max_admissions_per_unit")
                 if k in overrides]
        if given:
            raise click.UsageError(f"--no-limits and {' / '.join(given)} contradict each other")
    inst = read_instance(instance, policy_overrides=overrides, plan=False)
    if no_limits:
        from dataclasses import replace

        from models.domain import Limits

        inst = replace(inst, policy=replace(inst.policy, limits=Limits()))
    if how == "flow" and inst.policy.limits.max_moves is not None:
        raise click.UsageError("--how flow needs no max-moves limit (policy.toml or "
                               "--max-moves); use --no-limits, or --how duals")

    def progress(message: str) -> None:
        click.echo(f"bed values: {message}", err=True)

    try:
        values = compute(inst, method=how, solve_method=method, units=unit_ids or None,
                         progress=progress, workers=workers, scheduler=scheduler)
    except ResolveError as exc:
        click.echo(f"error: {exc} (try a longer --time-limit)", err=True)
        emit(EXIT_NO_SOLUTION)
    if as_json:
        click.echo(json.dumps(values.to_json_dict(inst, top), indent=2, allow_nan=False))
    else:
        click.echo(render_bed_values(values, inst, top))
    if not values.result.has_plan:
        emit(EXIT_INFEASIBLE if values.status == INFEASIBLE else EXIT_NO_SOLUTION)
