"""Benchmark ``bedplan simulate``: a year on England per policy, and runs per minute on Dask.

Rerunnable; appends to ``benchmarks/results/simulate.csv``. Two cases:

* ``year``: England with the referrals of its next 12 weeks
  (``instances/england-12-weeks``), 365 nights from 2026-12-07, policies ``nearest`` and
  ``reallocate``, R runs (default 4) as Dask tasks on 2 local workers, the long reallocate
  runs first. One row per (policy, run), appended as the run finishes: the wall time of
  that run measured inside its worker (one process: what one run costs on a 2-core machine
  with the other core busy) and its figures. The comparison's runs.csv, summary.json and
  report.html go to ``benchmarks/results/simulate-england/`` (docs/simulate.md quotes them).
* ``one``: one ``reallocate`` run of the same year in this process; ``wall_s`` its wall
  time, ``run_s`` its CPU time (the process's, solver threads included).
* ``dask``: runs per minute in this process, on 1 and on 2 local Dask workers (the
  cluster's start-up included), for ``nearest`` over 365 nights and ``reallocate`` over
  ``--realloc-days`` nights (``instances/england``, tonight's census);
  ``identical_to_in_process`` says whether runs.csv came out byte-identical.

The machine's load average is recorded: on a shared 2-core machine timings depend on what
else runs.

    .venv/bin/python benchmarks/bench_simulate.py --case year --runs 4
    .venv/bin/python benchmarks/bench_simulate.py --case one
    .venv/bin/python benchmarks/bench_simulate.py --case dask --realloc-days 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._results import append_rows  # noqa: E402
from models.io import read_instance  # noqa: E402
from optimiser.planning.simulate import run_task, runs_csv, simulate, summary  # noqa: E402
from optimiser.planning.simulate_draws import World, build_world  # noqa: E402
from optimiser.planning.simulate_run import FIGURES  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "simulate.csv"
OUTPUTS = ROOT / "benchmarks" / "results" / "simulate-england"
START = dt.date(2026, 12, 7)
COLUMNS = ("case", "instance", "patients", "units", "policy", "days", "runs", "workers",
           "run", "wall_s", "run_s", "runs_per_min", "identical_to_in_process",
           *FIGURES, "failed_nights", "cpu_count", "loadavg_1m", "date")


def _base(world: World, case: str) -> dict[str, Any]:
    return {"case": case, "instance": Path(world.instance.source).name or "england",
            "patients": len(world.instance.patients), "units": len(world.instance.units),
            "cpu_count": os.cpu_count(), "date": dt.date.today().isoformat()}


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def year(world: World, runs: int, seed: int, partial: Path) -> None:
    """The reallocate runs first (the long ones), each row appended as its run finishes and
    every finished run kept in ``partial`` (pickle), so a run cut short still leaves the
    runs it finished; ``--write-partial`` writes the outputs from them."""
    import pickle

    from dask.distributed import Client, LocalCluster, as_completed

    order = ([("reallocate", r) for r in range(1, min(runs, 2) + 1)]
             + [("nearest", r) for r in range(1, runs + 1)]
             + [("reallocate", r) for r in range(3, runs + 1)])
    t0 = time.perf_counter()
    done: list[Any] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        world_f = client.scatter(world, broadcast=True)
        futures = [client.submit(run_task, world_f, p, r, seed, key=f"year-{p}-{r}")
                   for p, r in order]
        for fut in as_completed(futures):
            res = fut.result()
            done.append(res)
            partial.write_bytes(pickle.dumps(done))
            row = {**_base(world, "year"), "policy": res.policy, "days": world.days,
                   "runs": runs, "workers": 2, "run": res.run,
                   "wall_s": round(time.perf_counter() - t0, 1),
                   "run_s": round(res.seconds, 1), "runs_per_min": "",
                   "identical_to_in_process": "", **res.figures,
                   "failed_nights": res.failed_nights, "loadavg_1m": _load()}
            append_rows(RESULTS, COLUMNS, [lambda row=row: row])
    write_year(world, done, seed)


def write_year(world: World, results: list[Any], seed: int) -> None:
    """The comparison's runs.csv, summary.json and report.html from the runs finished under
    every policy (runs 1..k)."""
    from optimiser.report.simulate import write_outputs

    policies = ("nearest", "reallocate")
    runs = {p: {r.run for r in results if r.policy == p} for p in policies}
    common = set.intersection(*runs.values())
    k = max((n for n in range(1, len(common) + 1) if set(range(1, n + 1)) <= common),
            default=0)
    kept = sorted((r for r in results if r.run <= k),
                  key=lambda r: (policies.index(r.policy), r.run))
    write_outputs(OUTPUTS, runs_csv(kept), summary(kept, days=world.days, runs=k, seed=seed),
                  kept, world)


def one(world: World, seed: int) -> None:
    """One run of ``reallocate`` in this process: wall and CPU time (the 10-minute target)."""
    def measure() -> dict[str, Any]:
        t0, c0 = time.perf_counter(), time.process_time()
        res = run_task(world, "reallocate", 1, seed)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {**_base(world, "one"), "policy": "reallocate", "days": world.days, "runs": 1,
                "workers": 0, "run": 1, "wall_s": round(wall, 1), "run_s": round(cpu, 1),
                "runs_per_min": "", "identical_to_in_process": "", **res.figures,
                "failed_nights": res.failed_nights, "loadavg_1m": _load()}

    append_rows(RESULTS, COLUMNS, [measure])


def dask(world: World, policy: str, runs: int, seed: int) -> None:
    reference: list[str] = []

    def measure(workers: int) -> dict[str, Any]:
        t0 = time.perf_counter()
        results = simulate(world, [policy], runs, seed, workers=workers)
        wall = time.perf_counter() - t0
        text = runs_csv(results)
        if workers == 0:
            reference.append(text)
        return {**_base(world, "dask"), "policy": policy, "days": world.days, "runs": runs,
                "workers": workers, "run": "", "wall_s": round(wall, 1),
                "run_s": round(sum(r.seconds for r in results) / len(results), 2),
                "runs_per_min": round(60 * runs / wall, 2),
                "identical_to_in_process": str(text == reference[0]).lower(),
                **dict.fromkeys(FIGURES, ""), "failed_nights": "", "loadavg_1m": _load()}

    append_rows(RESULTS, COLUMNS, [lambda w=w: measure(w) for w in (0, 1, 2)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("year", "one", "dask"), required=True)
    parser.add_argument("--instance", default=None,
                        help="default: instances/england-12-weeks for the year (the census "
                             "and the referrals of the next 12 weeks), instances/england for "
                             "the dask case")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--realloc-days", type=int, default=7,
                        help="nights of the reallocate runs of the dask case")
    parser.add_argument("--partial", type=Path, default=Path("/tmp/bench_simulate_year.pkl"),
                        help="where the year case keeps the runs it finished")
    parser.add_argument("--write-partial", action="store_true",
                        help="write the year's outputs from the runs kept in --partial")
    args = parser.parse_args()
    default = "england-12-weeks" if args.case in ("year", "one") or args.write_partial \
        else "england"
    inst = read_instance(args.instance or ROOT / "instances" / default)
    if args.write_partial:
        import pickle

        write_year(build_world(inst, days=args.days, start=START),
                   pickle.loads(args.partial.read_bytes()), args.seed)
    elif args.case == "one":
        one(build_world(inst, days=args.days, start=START), args.seed)
    elif args.case == "year":
        year(build_world(inst, days=args.days, start=START), args.runs, args.seed,
             args.partial)
    else:
        dask(build_world(inst, days=args.days, start=START), "nearest", args.runs, args.seed)
        dask(build_world(inst, days=args.realloc_days, start=START), "reallocate", 2,
             args.seed)


if __name__ == "__main__":
    main()
