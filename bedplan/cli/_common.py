"""What every subcommand shares: exit codes and the no-traceback boundary."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from models.errors import InputError

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NO_SOLUTION = 4

log = logging.getLogger("bedplan")
T = TypeVar("T")


#: Commands that only read and print: "nothing was written" would suggest they might have.
READ_ONLY_COMMANDS = frozenset({"validate", "suggest", "distance", "bed-values"})


def _command(name: str | None) -> str | None:
    """``name``, else the running subcommand's name (from click's current context)."""
    if name is not None:
        return name
    ctx = click.get_current_context(silent=True)
    return ctx.info_name if ctx is not None else None


def writes(command: str | None) -> bool:
    """Whether ``command`` would write files (so a failure can say nothing was written)."""
    return command not in READ_ONLY_COMMANDS


def report_problems(error: InputError, command: str | None = None) -> None:
    """Print every input problem on stderr, one per line, and — for a command that would
    have written something (not validate, suggest, distance, bed-values) — that nothing
    was. ``command`` defaults to the subcommand running."""
    n = len(error.problems)
    for problem in error.problems:
        click.echo(f"error: {problem}", err=True)
    nothing = "nothing was written." if writes(_command(command)) else ""
    if n > 1:
        click.echo(f"{n} problems found" + (f"; {nothing}" if nothing else "."), err=True)
    elif nothing:
        click.echo(nothing, err=True)


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
        report_problems(exc, ctx.invoked_subcommand)
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        click.echo("interrupted" + ("; nothing was written." if writes(ctx.invoked_subcommand)
                                    else "."), err=True)
        sys.exit(130)
    except MemoryError:
        click.echo("error: out of memory; try --network to solve one collaborative.", err=True)
        sys.exit(EXIT_NO_SOLUTION)
    except Exception as exc:  # the boundary: nothing may escape as a traceback
        log.debug("unexpected error", exc_info=True)
        click.echo(f"error: {type(exc).__name__}: {exc} (run with -vv for details)", err=True)
        sys.exit(EXIT_INPUT)


class OutDir(click.Path):
    """``--out``: a directory path, never empty (``Path("")`` is the current directory, and
    a run would write its outputs there)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(path_type=Path, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("is empty: give the directory to write to", param, ctx)
        return super().convert(value, param, ctx)


def emit(ctx_exit_code: int) -> NoReturn:
    """Exit with ``ctx_exit_code`` through click, so CliRunner sees it."""
    raise click.exceptions.Exit(ctx_exit_code)


F = TypeVar("F", bound=Callable[..., Any])


def _policy_flag_decorators() -> list[Callable[[F], F]]:
    return [
        click.option("--max-moves", type=click.IntRange(min=0), default=None,
                     help="At most this many inpatients move in a night (overrides "
                          "policy.toml)."),
        click.option("--max-admissions-per-unit", type=click.IntRange(min=0), default=None,
                     help="At most this many moves in plus admissions per unit in a night."),
        click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
                     default=None, help="Seconds each solve may run."),
        click.option("--gap", type=click.FloatRange(min=0), default=None,
                     help="Relative MIP gap at which to stop (0 = prove optimality)."),
        click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None,
                     help="MIP solver (default: policy.toml, else highs)."),
        click.option("--distance", type=click.Choice(["road", "geodesic"]), default=None,
                     help="Distance used for km (default: policy.toml, else road)."),
        click.option("--threads", type=click.IntRange(min=1), default=None,
                     help="Solver threads."),
        click.option("--method", type=click.Choice(SOLVE_METHODS), default="auto",
                     show_default=True,
                     help="auto: the fastest exact method; mip: the PuLP model of record; "
                          "fast: exact LP pricing; flow: min-cost flow (no max-moves)."),
    ]


SOLVE_METHODS = ("auto", "mip", "fast", "flow")
_OVERRIDE_KEYS = ("max_moves", "max_admissions_per_unit", "time_limit", "gap", "solver",
                  "distance", "threads")


def policy_options(func: F) -> F:
    """Add the flags that override policy.toml, and ``--method``, to a command.

    The command receives them as ``overrides`` (only the flags given, ready for
    ``read_instance(..., policy_overrides=overrides)``) and ``method``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {key: kwargs.pop(key) for key in _OVERRIDE_KEYS}
        kwargs["overrides"] = {key: value for key, value in given.items() if value is not None}
        return func(*args, **kwargs)

    decorated: Any = wrapper
    for option in reversed(_policy_flag_decorators()):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
