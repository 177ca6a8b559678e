"""Runs as Dask tasks: byte-identical runs.csv on two local workers and in-process."""

from __future__ import annotations

import pytest

from optimiser.planning.simulate import runs_csv, simulate

from .test_simulate_cases import small_world


@pytest.mark.slow  # two worker processes take ~5-12 s to start on a busy 2-core machine
def test_runs_csv_is_byte_identical_in_process_and_on_two_workers():
    world = small_world(days=30, max_admissions=2)
    in_process = runs_csv(simulate(world, ["nearest", "reallocate"], 3, 21))
    on_dask = runs_csv(simulate(world, ["nearest", "reallocate"], 3, 21, workers=2))
    assert on_dask == in_process
    assert in_process.count("\n") == 1 + 2 * 3


@pytest.mark.slow
def test_an_existing_scheduler_gives_the_same_runs():
    from dask.distributed import LocalCluster

    world = small_world(days=15)
    in_process = runs_csv(simulate(world, ["nearest"], 2, 4))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        remote = runs_csv(simulate(world, ["nearest"], 2, 4,
                                   scheduler=cluster.scheduler_address))
    assert remote == in_process
