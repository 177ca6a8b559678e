"""``bedplan scenario``: tonight as it is and as CHANGES.toml would make it, side by side."""

from __future__ import annotations

from pathlib import Path

import click

from bedplan.cli._common import EXIT_OK, emit


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--changes", "changes_path", required=True, type=click.Path(path_type=Path),
              help="CHANGES.toml: [[set]], [[close]], [[add_unit]] tables and [policy].")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Directory for baseline/, scenario/ and comparison.json.")
@click.option("--max-moves", type=click.IntRange(min=0), default=None,
              help="At most this many inpatients move tonight (overrides policy.toml).")
@click.option("--max-admissions-per-unit", type=click.IntRange(min=0), default=None,
              help="At most this many moves in plus admissions per unit.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds the solver may run (each of the two solves).")
@click.option("--gap", type=click.FloatRange(min=0), default=None,
              help="Relative MIP gap at which to stop (0 = prove optimality).")
@click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None,
              help="MIP solver (default: policy.toml, else highs).")
@click.option("--distance", type=click.Choice(["road", "geodesic"]), default=None,
              help="Distance used for km (default: policy.toml, else road).")
@click.option("--network", default=None, metavar="ID",
              help="Only one provider collaborative's units and patients.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Solver threads.")
@click.option("--method", type=click.Choice(["auto", "mip", "fast"]), default="auto",
              show_default=True, help="mip: the PuLP model; fast: the exact fast path.")
@click.option("--report", "with_report", is_flag=True,
              help="Also write OUT/report.html comparing the scenario with the baseline.")
def scenario(instance: Path, changes_path: Path, out_dir: Path, max_moves: int | None,
             max_admissions_per_unit: int | None, time_limit: float | None,
             gap: float | None, solver: str | None, distance: str | None,
             network: str | None, threads: int | None, method: str,
             with_report: bool) -> None:
    """Solve INSTANCE as it is and as CHANGES.toml changes it; compare the two.

    \b
    Writes OUT/baseline/ and OUT/scenario/ (assignments.csv, summary.json, transfers.csv
    as for reallocate) and OUT/comparison.json (baseline, scenario and delta). Flags
    override policy.toml for both runs; the changes' [policy] applies to the scenario.
    Exit codes: 0 both planned, 2 invalid input (nothing written), 3 a run is infeasible
    (its summary.json says why), 4 no solution in time or solver failure.
    """
    from models.changes import read_changes
    from models.io import read_instance
    from optimiser.run import PhaseEvent
    from optimiser.scenario import render_comparison, run_scenario

    overrides = {
        key: value for key, value in (
            ("max_moves", max_moves), ("max_admissions_per_unit", max_admissions_per_unit),
            ("time_limit", time_limit), ("gap", gap), ("solver", solver),
            ("distance", distance), ("threads", threads),
        ) if value is not None
    }
    inst = read_instance(instance, policy_overrides=overrides)
    changes = read_changes(changes_path)

    def progress(label: str, event: PhaseEvent) -> None:
        if event.seconds is not None:
            click.echo(f"[{event.seconds:7.2f} s] {label:<8} {event.phase:<10} "
                       f"{event.message}", err=True)

    outcome = run_scenario(inst, changes, out_dir, method=method, progress=progress,
                           network=network)
    click.echo(render_comparison(outcome.comparison))
    for label, run in (("baseline", outcome.baseline), ("scenario", outcome.scenario)):
        for line in run.result.diagnosis[:5]:
            click.echo(f"{label}: {line}")
    click.echo(f"written: {out_dir}/baseline, {out_dir}/scenario, {out_dir}/comparison.json")
    if with_report and outcome.scenario.result.has_plan and outcome.baseline.result.has_plan:
        from optimiser.report import write_report

        path = write_report(out_dir, outcome.scenario.instance, outcome.scenario.result,
                            baseline=outcome.baseline.result, title="Scenario")
        click.echo(f"report: {path}")
    if outcome.exit_code != EXIT_OK:
        emit(outcome.exit_code)
