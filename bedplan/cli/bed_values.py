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
              help="Only this unit (repeat for several): fewer re-solves with --how resolve.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--how", type=click.Choice(["auto", "flow", "resolve"]), default="auto",
              show_default=True,
              help="flow: exact shortest paths (needs no max-moves limit); resolve: one "
                   "solve per unit; auto: flow when possible.")
@policy_options
def bed_values(instance: Path, top: int | None, unit_ids: tuple[str, ...], as_json: bool,
               how: str, overrides: dict[str, object], method: str) -> None:
    """The value of one more open bed, and the cost of one fewer, in every unit.

    \b
    Values are changes in the objective (km-equivalents with the weights of policy.toml):
    "one more" is what the optimum saves with one more open bed in the unit, "one fewer"
    what it loses with one less. Ranked: where an extra bed is worth most first. Without a
    max-moves limit the values come exactly from shortest paths in the optimal flow (about
    one solve in all); with one, each unit is re-solved (about one solve per unit and
    direction: use --unit to ask about a few).
    Exit codes: 0 done, 2 invalid input, 3 infeasible as it is, 4 no solution in time.
    """
    from models.io import read_instance
    from optimiser.core.result import INFEASIBLE
    from optimiser.planning.bedvalues import ResolveError, render_bed_values
    from optimiser.planning.bedvalues import bed_values as compute

    inst = read_instance(instance, policy_overrides=overrides)
    if how == "flow" and inst.policy.limits.max_moves is not None:
        raise click.UsageError("--how flow needs no max-moves limit (policy.toml or "
                               "--max-moves); use --how resolve")

    def progress(message: str) -> None:
        click.echo(f"bed values: {message}", err=True)

    try:
        values = compute(inst, method=how, solve_method=method, units=unit_ids or None,
                         progress=progress)
    except ResolveError as exc:
        click.echo(f"error: {exc} (try a longer --time-limit)", err=True)
        emit(EXIT_NO_SOLUTION)
    if as_json:
        click.echo(json.dumps(values.to_json_dict(inst, top), indent=2, allow_nan=False))
    else:
        click.echo(render_bed_values(values, inst, top))
    if not values.result.has_plan:
        emit(EXIT_INFEASIBLE if values.status == INFEASIBLE else EXIT_NO_SOLUTION)
