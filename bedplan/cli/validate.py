"""``bedplan validate INSTANCE``: check an instance against the contract; print a summary."""

from __future__ import annotations

import click

from bedplan.cli._common import EXIT_INPUT, emit, report_problems
from models.errors import InputError
from models.io import validate as validate_instance
from models.summary import summary


@click.command(context_settings={"help_option_names": ["-h", "--help"]},
               short_help="Check an instance: list every problem, or summarise it.")
@click.argument("instance", metavar="INSTANCE")
def validate(instance: str) -> None:
    """Check INSTANCE (a directory with units.csv and patients.csv, or an .xlsx
    workbook) and list every problem found, not only the first.

    \b
    Each problem names the file, the spreadsheet row (the header is row 1)
    and the column, for example:
      error: patients.csv:14: current_unit_id: unknown unit 'W99'

    When nothing is wrong, prints a short summary: units and patients by
    service, level and network, open beds against patients, and the wards
    that hold more inpatients than they have open beds.

    \b
    Exit codes: 0 the instance is valid, 2 problems were found.

    \b
    Example:
      bedplan validate instances/england
    """
    found, problems = validate_instance(instance)
    if found is not None:
        from optimiser.geography.network import unreachable_stays

        problems = unreachable_stays(found)
    if problems or found is None:
        report_problems(InputError(problems))
        emit(EXIT_INPUT)
    click.echo(summary(found))
