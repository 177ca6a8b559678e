"""Benchmark sweeps: speed-up from 1 to 2 local Dask workers, and the cost of one scenario.

Rerunnable; writes ``benchmarks/results/sweep.csv``. For each instance (the England instance
``instances/england`` when present, and a generated one) the same grid — two bed axes on
the largest units crossed with one closure option, several demand draws — runs three ways:
in this process (``workers=0``, the reference), on a LocalCluster of 1 worker and of 2
workers. Each row records the wall time, the start-up time of such a cluster (measured on
its own), the median and total time of one task (draw + distances + solve, measured inside
the worker), the speed-up over 1 worker, and whether the results equal the in-process ones
(every column but ``seconds``). The machine's load average is recorded too: on a shared
2-core machine the speed-up depends on what else runs.

    /tmp/venv/bin/python benchmarks/bench_sweep.py                  # England + generated
    /tmp/venv/bin/python benchmarks/bench_sweep.py --no-england --seeds 2
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.domain import Instance  # noqa: E402
from models.sweepgrid import SweepGrid, parse_grid  # noqa: E402

COLUMNS = (
    "instance", "patients", "units", "scenarios", "draws", "tasks", "workers", "wall_s",
    "startup_s", "task_median_s", "task_total_s", "tasks_per_s", "speedup_vs_1_worker",
    "identical_to_in_process", "statuses", "cpu_count", "loadavg_1m",
)


def grid_for(instance: Instance, seeds: int, referrals: int | None) -> SweepGrid:
    """Two bed axes on the two largest units (their beds -2, as is, +2) x closing the
    smallest occupied-free unit or nothing: 3 x 3 x 2 = 18 scenarios."""
    units = sorted((u for u in instance.units if u.beds > 2), key=lambda u: (-u.beds, u.unit_id))
    occupied = {p.current_unit_id for p in instance.patients}
    empty = [u for u in instance.units if u.unit_id not in occupied and u.beds > 0]
    close = (empty or sorted(instance.units, key=lambda u: (u.beds, u.unit_id)))[0]
    lines = [f"[demand]\nseeds = {seeds}\nmode = \"replace\""]  # draws instead of the own
    if referrals is not None:
        lines.append(f"referrals = {referrals}")
    for u in units[:2]:
        lines.append(f"[[vary]]\nunit_id = '{u.unit_id}'\n"
                     f"beds = [{max(u.beds_closed, u.beds - 2)}, {u.beds}, {u.beds + 2}]")
    lines.append(f"[[close_options]]\nunit_ids = ['{close.unit_id}']")
    return parse_grid("\n".join(lines), "bench")


def startup_seconds(workers: int) -> float:
    """Time to start and stop a LocalCluster like the sweep's, on its own."""
    from dask.distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                           worker_dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    client.wait_for_workers(workers)
    elapsed = time.perf_counter() - t0
    client.close()
    cluster.close()
    return elapsed


def bench(name: str, instance: Instance, grid: SweepGrid) -> list[dict[str, Any]]:
    from optimiser.planning.sweep import run_sweep

    rows: list[dict[str, Any]] = []
    tasks = grid.n_scenarios() * len(grid.demand.draws)
    reference = None
    wall_1 = None
    for workers in (0, 1, 2):
        startup = startup_seconds(workers) if workers else 0.0
        t0 = time.perf_counter()
        df = run_sweep(instance, grid, workers=workers)
        wall = time.perf_counter() - t0
        if workers == 0:
            reference = df
        if workers == 1:
            wall_1 = wall
        assert reference is not None
        same = df.drop(columns="seconds").equals(reference.drop(columns="seconds"))
        counts = df["status"].value_counts().to_dict()
        rows.append({
            "instance": name, "patients": len(instance.patients), "units": len(instance.units),
            "scenarios": grid.n_scenarios(), "draws": len(grid.demand.draws), "tasks": tasks,
            "workers": workers, "wall_s": round(wall, 3), "startup_s": round(startup, 3),
            "task_median_s": round(float(df["seconds"].median()), 4),
            "task_total_s": round(float(df["seconds"].sum()), 3),
            "tasks_per_s": round(tasks / wall, 3),
            "speedup_vs_1_worker": "" if wall_1 is None else round(wall_1 / wall, 3),
            "identical_to_in_process": str(same).lower(),
            "statuses": ";".join(f"{k}={v}" for k, v in sorted(counts.items())),
            "cpu_count": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2),
        })
        print(", ".join(f"{k}={v}" for k, v in rows[-1].items()), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-england", action="store_true", help="skip instances/england")
    parser.add_argument("--seeds", type=int, default=2, help="demand draws per scenario")
    parser.add_argument("--generated", type=int, default=3000,
                        help="patients of the generated instance (0: none)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                        "sweep.csv")
    args = parser.parse_args()

    rows: list[dict[str, Any]] = []
    england = ROOT / "instances" / "england"
    if not args.no_england and (england / "units.csv").is_file():
        from models.io import read_instance

        inst = read_instance(england)
        rows += bench("england", inst, grid_for(inst, args.seeds, referrals=None))
    if args.generated:
        from models.generate import generate_instance

        n = args.generated
        inst = generate_instance(1, n, max(10, n // 20), distance="geodesic")
        rows += bench(f"generated-{n}", inst, grid_for(inst, args.seeds, referrals=None))

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from models.atomic import atomic_write

    atomic_write(args.out, buf.getvalue())
    print(f"written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
