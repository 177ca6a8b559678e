"""What every subcommand shares: exit codes and the no-traceback boundary."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from models.errors import InputError

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NO_SOLUTION = 4

log = logging.getLogger("bedplan")
T = TypeVar("T")


def report_problems(error: InputError) -> None:
    """Print every input problem on stderr, one per line."""
    n = len(error.problems)
    for problem in error.problems:
        click.echo(f"error: {problem}", err=True)
    if n > 1:
        click.echo(f"{n} problems found; nothing was written.", err=True)
    else:
        click.echo("nothing was written.", err=True)


def guarded_invoke(invoke: Callable[[click.Context], T], ctx: click.Context) -> T:
    """Run a command; turn every failure into a message and an exit code, never a traceback.

    Click's own errors (usage, ``ctx.exit``) pass through: click prints them and exits 2 for
    usage errors. Invalid input exits 2 naming file, row and column. Anything unexpected is
    logged in full at debug level (``-vv``) and reported in one line, also exit 2.
    """
    try:
        return invoke(ctx)
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except InputError as exc:
        report_problems(exc)
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        click.echo("interrupted; nothing was written.", err=True)
        sys.exit(130)
    except MemoryError:
        click.echo("error: out of memory; try --network to solve one collaborative.", err=True)
        sys.exit(EXIT_NO_SOLUTION)
    except Exception as exc:  # the boundary: nothing may escape as a traceback
        log.debug("unexpected error", exc_info=True)
        click.echo(f"error: {type(exc).__name__}: {exc} (run with -vv for details)", err=True)
        sys.exit(EXIT_INPUT)


def emit(ctx_exit_code: int) -> Any:
    """Exit with ``ctx_exit_code`` through click, so CliRunner sees it."""
    raise click.exceptions.Exit(ctx_exit_code)
