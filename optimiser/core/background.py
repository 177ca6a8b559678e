"""The rolling baseline computed on the other core while a plan is solved.

A plan over a few weeks under a time limit may be stopped before its proof; the issue's
promise is that it is then still never worse than re-running tonight's optimum every night
(:mod:`optimiser.core.rolling`). Over more than 28 nights the plan starts from that baseline
(:func:`optimiser.core.plansolve.solve_plan`); over fewer, computing it first would cost
the proof its time (England tonight over 28 nights is proven in about 40 s of a 60 s
limit), so it runs in a forked process beside the solve: pricing's LPs use one core, the
baseline the other. A stopped plan is then compared with it; a proven one never waits.

Only where ``fork`` exists (Linux, macOS), outside daemonic processes (Dask workers and the
service's plan jobs may not have children), with at least two cores, and for instances big
enough to be stopped at all (:data:`MIN_PATIENTS`); a baseline not finished when the solve
is (it gets the time the limit has left) is not waited for. Where it is missing, a stopped
plan is not compared with it, and its diagnosis says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing as mp
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from models.domain import Instance, Policy
from optimiser.core.planresult import PlanResult

log = logging.getLogger(__name__)

#: Smaller instances are proven within any sensible limit: no process for them.
MIN_PATIENTS = 2_000


class Baseline:
    """A rolling baseline being computed in a child process (:meth:`start`)."""

    def __init__(self, process: Any, conn: Connection) -> None:
        self._process = process
        self._conn = conn

    @classmethod
    def start(cls, instance: Instance, policy: Policy, *, start: dt.date, nights: int,
              distances: np.ndarray, seconds: float) -> Baseline | None:
        """Fork a process computing the baseline within ``seconds``; None where that is not
        possible or not worth it (see the module docstring)."""
        if len(instance.patients) < MIN_PATIENTS or mp.current_process().daemon or \
                "fork" not in mp.get_all_start_methods() or _cores() < 2:
            return None
        ctx = mp.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_child, daemon=True,
                              args=(send, instance, policy, start, nights, distances, seconds))
        try:
            process.start()
        except OSError as exc:  # no process to be had: the plan goes on without
            log.info("rolling baseline not started beside the plan: %s", exc)
            return None
        send.close()
        return cls(process, receive)

    def result(self, wait: float) -> PlanResult | None:
        """The baseline when it is ready within ``wait`` seconds, else None."""
        try:
            if self._conn.poll(max(wait, 0.0)):
                got = self._conn.recv()
                return got if isinstance(got, PlanResult) and got.has_plan else None
        except (EOFError, OSError):  # the child died (e.g. out of memory)
            return None
        return None

    def stop(self) -> None:
        """End the child, finished or not."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5.0)
        if self._process.is_alive():  # SIGTERM caught or ignored: no choice left
            self._process.kill()
            self._process.join(timeout=5.0)
        self._conn.close()


def _cores() -> int:
    """Cores this process may use (its affinity where the platform tells)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _child(send: Connection, instance: Instance, policy: Policy, start: dt.date,
           nights: int, distances: np.ndarray, seconds: float) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends this child
    deadline = time.perf_counter() + seconds
    from optimiser.core import solvers

    # A fork inherits HiGHS's global task scheduler without its worker threads: a MIP would
    # wait for them for ever (seen once the parent had solved a MIP). Start a fresh one.
    solvers._HIGHS_THREADS[0] = -1
    solvers.highs_thread_guard(None)
    from optimiser.core.rolling import rolling_plan

    try:
        got: object = rolling_plan(instance, policy, start=start, nights=nights,
                                   distances=distances, deadline=deadline)
    except Exception as exc:  # the plan does without it; never a traceback from here
        got = repr(exc)
    try:
        send.send(got)
    except OSError:  # the parent has gone (or stopped listening): nothing to tell
        pass
    finally:
        send.close()
