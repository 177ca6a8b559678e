"""Benchmark ``bedplan bed-values`` on an instance with its own limits against one
``bedplan reallocate`` of the same instance, measured in the same run.

Both commands run as a planner runs them: a fresh ``bedplan`` process each, end to end
(imports, reading the instance, road distances, solving, printing / writing), alternating
which goes first, medians of ``--repeat``. ``ratio`` = bed values / reallocate (issue 17's
target: within 15×). Each row also records what the bed values needed: ``resolves`` (solves
beyond tonight's), how many values the dual bounds proved without a solve, and the method.

``--check K`` also computes the values of K units spread over the instance (0: every unit)
by brute force in this process (one full re-solve per unit and direction:
``bed_values(method="resolve")``; every England unit takes hours on a shared machine) and
compares them with the shortcut's, value by value (``identical``: all within 1e-6;
``max_diff``; ``checked``: how many units).

    .venv/bin/python benchmarks/bench_bedvalues.py                       # England, 3 runs
    .venv/bin/python benchmarks/bench_bedvalues.py --check 40 --repeat 1
    .venv/bin/python benchmarks/bench_bedvalues.py --instance out/gen --repeat 5

Appends to ``benchmarks/results/bedvalues_limits.csv`` (``bedvalues.csv`` holds the earlier
benchmark: a shared cost table against one per re-solve).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
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

COLUMNS = ("instance", "patients", "units", "max_moves", "max_admissions_per_unit", "method",
           "units_valued", "exact_from_bounds", "resolves", "reallocate_s", "bed_values_s",
           "ratio", "reallocate_runs", "bed_values_runs", "checked", "check_s", "identical",
           "max_diff",
           "repeats", "cpu_count", "loadavg_1m")


def bedplan() -> list[str]:
    """The installed console script next to this Python, else ``python -m bedplan``."""
    script = Path(sys.executable).with_name("bedplan")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bedplan"]


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run([*bedplan(), *args], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"bedplan {' '.join(args)} exited {done.returncode}: "
                           f"{done.stderr[-2000:]}")
    return seconds, done


def check(instance: Path, shortcut: dict[str, Any], k: int) -> tuple[int, float, bool, float]:
    """Brute force on k units spread over the instance (0: all), in this process: units,
    seconds, identical (1e-6), largest difference."""
    import numpy as np

    from models.io import read_instance
    from optimiser.planning.bedvalues import bed_values

    inst = read_instance(instance)
    ids = [u.unit_id for u in inst.units]
    if 0 < k < len(ids):
        ids = [ids[int(i)] for i in np.linspace(0, len(ids) - 1, k).round()]
    start = time.perf_counter()
    brute = bed_values(inst, method="resolve", units=ids)
    seconds = time.perf_counter() - start
    fast = {u["unit_id"]: u for u in shortcut["units"]}
    worst, same = 0.0, len(brute.values) == len(set(ids))
    for v in brute.values:
        u = fast[v.unit_id]
        worst = max(worst, abs(u["one_more"] - v.one_more))
        if (u["one_fewer"] is None) != (v.one_fewer is None) or u["note"] != v.note:
            same = False
        elif v.one_fewer is not None:
            worst = max(worst, abs(u["one_fewer"] - v.one_fewer))
    return len(brute.values), seconds, same and worst <= 1e-6, worst


def bench(instance: Path, repeats: int, checks: int | None) -> dict[str, Any]:
    from models.io import read_instance

    inst = read_instance(instance)
    limits = inst.policy.limits
    realloc, values = [], []
    last: subprocess.CompletedProcess[str] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-bedvalues-") as tmp:
        for r in range(repeats):
            for side in (("reallocate", "bed-values") if r % 2 == 0 else
                         ("bed-values", "reallocate")):
                if side == "reallocate":
                    s, _ = timed(["reallocate", str(instance), "--out", f"{tmp}/run{r}"])
                    realloc.append(s)
                else:
                    s, last = timed(["bed-values", str(instance), "--json"])
                    values.append(s)
    assert last is not None
    answer = json.loads(last.stdout)
    # "bed values: 622 of 627 values exact from the bounds; 5 to re-solve"
    proved = next(("/".join(line.split("bed values: ")[-1].split(" values")[0].split(" of "))
                   for line in last.stderr.splitlines()
                   if "values exact from the bounds" in line), "")
    checked, check_s, identical, worst = (check(instance, answer, checks)
                                          if checks is not None else (0, None, None, None))
    r_s, v_s = statistics.median(realloc), statistics.median(values)
    return {
        "instance": instance.name, "patients": len(inst.patients), "units": len(inst.units),
        "max_moves": limits.max_moves, "max_admissions_per_unit":
        limits.max_admissions_per_unit, "method": answer["method"],
        "units_valued": len(answer["units"]), "exact_from_bounds": proved,
        "resolves": answer["resolves"], "reallocate_s": round(r_s, 2),
        "bed_values_s": round(v_s, 2), "ratio": round(v_s / r_s, 2),
        "reallocate_runs": " ".join(f"{x:.2f}" for x in realloc),
        "bed_values_runs": " ".join(f"{x:.2f}" for x in values),
        "checked": checked, "check_s": "" if check_s is None else round(check_s, 1),
        "identical": "" if identical is None else str(identical).lower(),
        "max_diff": "" if worst is None else f"{worst:.2e}", "repeats": repeats,
        "cpu_count": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, action="append",
                        help="instance directory (repeatable; default instances/england)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", type=int, default=None, metavar="K",
                        help="also compare K units (0: all) with brute-force re-solves")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks/results/bedvalues_limits.csv")
    args = parser.parse_args(argv)
    instances = args.instance or [ROOT / "instances" / "england"]
    append_rows(args.out, COLUMNS, [functools.partial(bench, inst, args.repeat, args.check)
                                    for inst in instances])
    return 0


if __name__ == "__main__":
    sys.exit(main())
