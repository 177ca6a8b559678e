"""A Dask client for the planning layer's parallel work (sweeps, bed values, simulations):
a LocalCluster of single-threaded worker processes, or an existing cluster by address."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from models.errors import InputError, Problem

log = logging.getLogger(__name__)


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: on ``scheduler`` (an existing cluster's address) or on a LocalCluster
    of ``workers`` single-threaded processes, closed (with its cluster) afterwards.

    An unreachable scheduler is an InputError; Dask's per-worker start/stop logging is
    silenced unless this logger is at DEBUG (``-vv``).
    """
    from dask.distributed import Client, LocalCluster

    cluster = None
    quiet = not log.isEnabledFor(logging.DEBUG)
    # Dask logs every worker start and stop at INFO, and a heartbeat that races the
    # shutdown of a busy cluster as an ERROR with a traceback: noise on a CLI's stderr (a
    # task's own failure comes back through its future). -vv shows everything.
    level = logging.CRITICAL if quiet else logging.INFO
    for name in ("distributed", "distributed.scheduler", "distributed.nanny",
                 "distributed.core", "distributed.http.proxy", "distributed.worker"):
        logging.getLogger(name).setLevel(level)
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                               worker_dashboard_address=None, silence_logs=level)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: not an address
            raise InputError(Problem("--scheduler", None, None,
                                     f"cannot reach a Dask scheduler at {scheduler}: {exc}")
                             ) from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
