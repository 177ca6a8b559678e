"""Progress lines on stderr, shared by the commands that run in phases."""

from __future__ import annotations

import time

import click

from optimiser.planning.run import PhaseEvent


class ProgressPrinter:
    """One stderr line per finished phase — its own time and the time since the command
    started, so the clock never seems to restart — and one per update within a phase."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __call__(self, event: PhaseEvent) -> None:
        total = time.perf_counter() - self.t0
        if event.seconds is None:
            click.echo(f"[{total:8.2f} s]            {event.phase:<10} {event.message}",
                       err=True)
        else:
            click.echo(f"[{total:8.2f} s] {event.seconds:7.2f} s  {event.phase:<10} "
                       f"{event.message}", err=True)
