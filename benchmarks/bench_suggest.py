"""Benchmark ``bedplan suggest``: end to end from the command line and inside one process.

Instances: the England instance (``instances/england``, skipped when absent) and a generated
one of about 9,400 patients × 300 units (``models.generate``), both with road distances over
the built-in England network. For each, several referrals are asked about:

* ``cli``: ``bedplan suggest INSTANCE --patient ID --json`` as a fresh process, wall time
  (and the child's CPU time, user + system: the machine may be shared, and wall time then
  includes waiting for a core);
* ``process``: :func:`optimiser.planning.suggest.suggest` in a process that has already read the
  instance — ``row`` computes the patient's own row of road distances each call (network
  already built), ``matrix`` is given the full distance matrix (what a long-lived service
  holds), ``moves2`` adds ``allow_moves=2`` (with the matrix).

Writes ``benchmarks/results/suggest.csv`` (one row per instance × mode: runs, median, p95
and max seconds, median CPU seconds for the CLI).

    /tmp/venv/bin/python benchmarks/bench_suggest.py              # England + generated
    /tmp/venv/bin/python benchmarks/bench_suggest.py --runs 3 --no-generated
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COLUMNS = ("instance", "patients", "units", "mode", "runs", "median_s", "p95_s", "max_s",
           "cli_cpu_median_s", "note")
BEDPLAN = Path(sys.executable).with_name("bedplan")


def _stats(times: list[float]) -> tuple[float, float, float]:
    a = np.array(times)
    return float(np.median(a)), float(np.percentile(a, 95)), float(a.max())


def _referrals(instance: Any, k: int) -> list[str]:
    ids = [p.patient_id for p in instance.patients if p.status == "referral"]
    step = max(1, len(ids) // k)
    return ids[::step][:k]


def bench_cli(path: Path, ids: list[str]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of one fresh ``bedplan suggest`` per referral."""
    wall, cpu = [], []
    cmd = [str(BEDPLAN)] if BEDPLAN.exists() else [sys.executable, "-m", "bedplan"]
    for pid in ids:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run([*cmd, "suggest", str(path), "--patient", pid, "--json"],
                              capture_output=True, text=True, check=False)
        wall.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise RuntimeError(f"suggest failed for {pid}: {done.stderr}")
    return wall, cpu


def bench_process(instance: Any, ids: list[str]) -> dict[str, list[float]]:
    from optimiser.geography.distances import distance_matrix
    from optimiser.planning.suggest import suggest

    suggest(instance, ids[0])  # build the road network once, as a service would at start
    out: dict[str, list[float]] = {"row": [], "matrix": [], "moves2": []}
    for pid in ids:
        t = time.perf_counter()
        suggest(instance, pid)
        out["row"].append(time.perf_counter() - t)
    km = distance_matrix(instance)
    for pid in ids:
        t = time.perf_counter()
        suggest(instance, pid, distances=km)
        out["matrix"].append(time.perf_counter() - t)
        t = time.perf_counter()
        suggest(instance, pid, distances=km, allow_moves=2)
        out["moves2"].append(time.perf_counter() - t)
    return out


def run_case(name: str, path: Path, runs: int) -> list[dict[str, Any]]:
    from models.io import read_instance

    instance = read_instance(path)
    ids = _referrals(instance, runs)
    rows = []
    base = {"instance": name, "patients": len(instance.patients), "units": len(instance.units)}
    wall, cpu = bench_cli(path, ids)
    med, p95, mx = _stats(wall)
    rows.append({**base, "mode": "cli", "runs": len(ids), "median_s": med, "p95_s": p95,
                 "max_s": mx, "cli_cpu_median_s": float(np.median(cpu)),
                 "note": "fresh process: imports, read, road network, one row, JSON"})
    notes = {"row": "in process, own row of road km per call",
             "matrix": "in process, full km matrix given",
             "moves2": "in process, matrix given, allow_moves=2"}
    for mode, times in bench_process(instance, ids).items():
        med, p95, mx = _stats(times)
        rows.append({**base, "mode": mode, "runs": len(times), "median_s": med, "p95_s": p95,
                     "max_s": mx, "cli_cpu_median_s": "", "note": notes[mode]})
    return rows


def generated_dir(tmp: Path, n_patients: int, n_units: int, seed: int) -> Path:
    from models.generate import generate_instance
    from models.io import write_instance

    instance = generate_instance(seed, n_patients, n_units, distance="road")
    path = tmp / f"generated-{n_patients}"
    write_instance(instance, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="referrals asked about per case")
    parser.add_argument("--no-england", action="store_true")
    parser.add_argument("--no-generated", action="store_true")
    parser.add_argument("--patients", type=int, default=9400)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/suggest.csv")
    args = parser.parse_args(argv)

    from models.atomic import atomic_write

    rows: list[dict[str, Any]] = []
    england = ROOT / "instances/england"
    if not args.no_england and (england / "units.csv").is_file():
        rows += run_case("england", england, args.runs)
    if not args.no_generated:
        with tempfile.TemporaryDirectory() as tmp:
            path = generated_dir(Path(tmp), args.patients, args.units, args.seed)
            rows += run_case(f"generated-{args.patients}", path, args.runs)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in row.items()})
    atomic_write(args.out, buf.getvalue())
    print(buf.getvalue(), end="")
    print(f"cpus: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
