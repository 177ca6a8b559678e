"""``bedplan scenario``: tonight as it is and as CHANGES.toml would make it, side by side."""

from __future__ import annotations

from pathlib import Path

import click

from bedplan.cli._common import EXIT_OK, OutDir, emit, policy_options


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--changes", "changes_path", required=True, type=click.Path(path_type=Path),
              help="CHANGES.toml: [[set]], [[close]], [[add_unit]] tables and [policy].")
@click.option("--out", "out_dir", required=True, type=OutDir(),
              help="Directory for baseline/, scenario/ and comparison.json.")
@click.option("--network", default=None, metavar="ID",
              help="Only one provider collaborative's units and patients.")
@click.option("--report", "with_report", is_flag=True,
              help="Also write OUT/report.html comparing the scenario with the baseline.")
@policy_options
def scenario(instance: Path, changes_path: Path, out_dir: Path, network: str | None,
             with_report: bool, overrides: dict[str, object], method: str) -> None:
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
    from optimiser.planning.run import PhaseEvent
    from optimiser.planning.scenario import render_comparison, run_scenario

    inst = read_instance(instance, policy_overrides=overrides, plan=False)
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
        from optimiser.report.html import write_report

        path = write_report(out_dir, outcome.scenario.instance, outcome.scenario.result,
                            baseline=outcome.baseline.result, title="Scenario")
        click.echo(f"report: {path}")
    if outcome.exit_code != EXIT_OK:
        emit(outcome.exit_code)
