"""Benchmark ``bedplan plan`` (issue 13): time to a proven optimum on England, memory, and
what the plan gains over re-running tonight's optimum every night, measured in one run.

Each case runs in a fresh process (``--case``), so its peak memory (``maxrss_gib``) is its
own: the plan over ``nights`` nights with the instance's own policy and limits
(``plan_s``, status, objective, bound, gap), then, on the same instance and nights, the
rolling baseline (``optimiser.core.rolling``: ``reallocate``'s optimum carried out and
re-run night after night, every patient still changing ward at most once; ``rolling_s``).
``better`` = rolling objective − plan objective (never negative when the plan is optimal),
``better_pct`` against the rolling objective; ``more_home`` = patients brought home by the
plan minus by the rolling plan. Targets (issue 13): England with its limits, 28 nights
proven optimal within 60 s; 84 nights within 5 minutes and under 8 GiB.

    .venv/bin/python benchmarks/bench_plan.py                         # England 28 and 84
    .venv/bin/python benchmarks/bench_plan.py --generated 3 --nights 14
    .venv/bin/python benchmarks/bench_plan.py --no-rolling --nights 84

Appends to ``benchmarks/results/plan.csv``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _results import append_rows  # noqa: E402

COLUMNS = ("instance", "patients", "units", "nights", "max_moves", "max_admissions_per_unit",
           "status", "plan_s", "objective", "bound", "gap", "maxrss_gib",
           "rolling_s", "rolling_objective", "better", "better_pct", "plan_home",
           "rolling_home", "more_home", "cpu_count", "loadavg_1m", "time_limit")
ENGLAND = ROOT / "instances" / "england-12-weeks"


def measure(instance_path: str, nights: int, rolling: bool, time_limit: float) -> dict[str, Any]:
    """One case, in this process (called by ``--case``)."""
    from dataclasses import replace

    from models.domain import SolverSettings
    from models.io import read_instance
    from optimiser.core.plansolve import solve_plan
    from optimiser.core.rolling import rolling_plan
    from optimiser.geography.distances import distance_matrix
    from optimiser.planning.plan import plan_metrics, plan_nights

    inst = read_instance(instance_path)
    inst = replace(inst, policy=replace(inst.policy, solver=SolverSettings(
        name="highs", time_limit=time_limit or None, mip_gap=0.0)))
    start = inst.policy.plan.start or dt.date(2026, 12, 7)
    km = distance_matrix(inst)
    t0 = time.perf_counter()
    result = solve_plan(inst, start=start, nights=nights, distances=km,
                        progress=lambda m: print(f"  {m}", file=sys.stderr, flush=True))
    plan_s = time.perf_counter() - t0
    home = plan_metrics(inst, result, plan_nights(inst, result, km))["brought_home"]
    row: dict[str, Any] = {
        "instance": label(instance_path), "patients": len(inst.patients), "units": len(inst.units),
        "nights": nights, "max_moves": inst.policy.limits.max_moves,
        "max_admissions_per_unit": inst.policy.limits.max_admissions_per_unit,
        "status": result.status, "plan_s": round(plan_s, 2),
        "objective": None if result.objective is None else round(result.objective, 3),
        "bound": None if result.bound is None else round(result.bound, 3),
        "gap": result.gap, "plan_home": home,
    }
    if rolling:
        t1 = time.perf_counter()
        base = rolling_plan(inst, start=start, nights=nights, distances=km)
        row["rolling_s"] = round(time.perf_counter() - t1, 2)
        if base.objective is not None and result.objective is not None:
            row["rolling_objective"] = round(base.objective, 3)
            row["better"] = round(base.objective - result.objective, 3)
            row["better_pct"] = round(100 * (base.objective - result.objective)
                                      / max(abs(base.objective), 1e-9), 4)
            rhome = plan_metrics(inst, base, plan_nights(inst, base, km))["brought_home"]
            row["rolling_home"] = rhome
            row["more_home"] = home - rhome
    row["maxrss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    return row


def run_case(instance_path: str, nights: int, rolling: bool,
             time_limit: float) -> dict[str, Any]:
    """A case in a fresh process (its own memory peak); the row it printed as JSON."""
    done = subprocess.run([sys.executable, __file__, "--case", instance_path, "--nights",
                           str(nights), "--time-limit", str(time_limit)]
                          + ([] if rolling else ["--no-rolling"]),
                          capture_output=True, text=True, check=False)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"case {instance_path} / {nights} failed: {done.stderr[-2000:]}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["time_limit"] = time_limit or "none"
    row["cpu_count"] = os.cpu_count()
    row["loadavg_1m"] = round(os.getloadavg()[0], 2)
    return {c: row.get(c) for c in COLUMNS}


def label(path: str) -> str:
    """How a row names its instance: relative to the project, or ``generated-K`` for a
    generated one (seed K), never a temporary folder."""
    p = Path(path).resolve()
    if p.name.startswith("gen-") and not p.is_relative_to(ROOT):
        return "generated-" + p.name.removeprefix("gen-")
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(path)


def generated(seed: int, folder: Path) -> str:
    """A generated instance with its own limits and 12 weeks of future referrals."""
    from models.generate import generate_instance
    from models.io import write_instance

    inst = generate_instance(seed, 1500, 80, distance="geodesic", future_days=84)
    path = folder / f"gen-{seed}"
    write_instance(inst, path)
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--instance", default=str(ENGLAND))
    ap.add_argument("--nights", type=int, nargs="*", default=[28, 84])
    ap.add_argument("--generated", type=int, default=0, metavar="K",
                    help="also K generated instances (seeds 1..K), 1,500 patients x 80 units")
    ap.add_argument("--no-rolling", action="store_true")
    ap.add_argument("--time-limit", type=float, default=900.0,
                    help="seconds for the plan (0: none, the plan runs to its proof)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "plan.csv")
    args = ap.parse_args()
    if args.case is not None:
        row = measure(args.case, args.nights[0], not args.no_rolling, args.time_limit)
        print(json.dumps(row))
        return
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(args.instance, n) for n in args.nights]
        cases += [(generated(seed, Path(tmp)), n) for seed in range(1, args.generated + 1)
                  for n in args.nights[:1]]
        append_rows(args.out, COLUMNS, [
            (lambda p=p, n=n: run_case(p, n, not args.no_rolling, args.time_limit))
            for p, n in cases])


if __name__ == "__main__":
    main()
