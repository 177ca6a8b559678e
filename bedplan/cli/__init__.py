"""The ``bedplan`` command line: parse, call, print. No business logic lives here.

Each subcommand is its own module in this package, imported when it runs or when ``--help``
lists it; the heavy libraries (solvers, Dask, matplotlib, FastAPI) are imported inside the
commands that need them, so ``bedplan --help`` stays fast and a missing optional dependency
cannot stop ``validate``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from bedplan import __version__
from bedplan.cli._common import guarded_invoke

#: name → "module:attribute" of each subcommand, in the order ``--help`` lists them.
COMMANDS: dict[str, str] = {
    "validate": "bedplan.cli.validate:validate",
    "reallocate": "bedplan.cli.reallocate:reallocate",
    "suggest": "bedplan.cli.suggest:suggest",
    "scenario": "bedplan.cli.scenario:scenario",
    "bed-values": "bedplan.cli.bed_values:bed_values",
    "sweep": "bedplan.cli.sweep:sweep",
    "plan": "bedplan.cli.plan:plan",
    "simulate": "bedplan.cli.simulate:simulate",
    "report": "bedplan.cli.report:report",
    "distance": "bedplan.cli.distance:distance",
    "geography": "bedplan.cli.geography:geography",
    "generate": "bedplan.cli.generate:generate",
    "serve": "bedplan.cli.serve:serve",
    "user": "bedplan.cli.user:user",
    "audit": "bedplan.cli.audit:audit",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click's lazy-loading recipe)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._load(name) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # the command is not part of this version yet
                return None
            raise
        command: click.Command = getattr(module, attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        return guarded_invoke(super().invoke, ctx)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="bedplan")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """Place people in specialised mental-health beds in England, close to home.

    \b
    An INSTANCE is a directory holding units.csv (the wards) and patients.csv
    (inpatients and tonight's referrals), optionally networks.csv, policy.toml and
    geography/; an .xlsx workbook with sheets units, patients, networks works too.

    \b
    Exit codes: 0 done, 2 invalid input (nothing written), 3 infeasible
    (summary.json explains which wards conflict), 4 no solution in the time limit or
    the solver failed (summary.json says which).

    Run `bedplan COMMAND --help` for each command.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr, force=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="bedplan")
