"""Benchmark ``bedplan suggest``: end to end against ``python -c "import numpy"``, where the
time goes, and inside one process.

Issue 17's target: ``bedplan suggest`` on England end to end within 2x ``python -c "import
numpy"`` on the same machine (and under 0.4 s). Both are fresh processes, run alternately
in the same run so that they share the machine's load; the ratio of their medians is what
compares (wall and CPU = user + system of the child: on a shared machine wall time includes
waiting for a core).

Instances: the England instance (``instances/england``, skipped when absent) and, unless
``--no-generated``, a generated one of about 9,400 patients x 300 units. For each, several
referrals are asked about:

* ``numpy``: ``python -c "import numpy"``, the reference;
* ``cli``: ``bedplan suggest INSTANCE --patient ID --json`` as a fresh process;
* ``phase:*``: one fresh process timing each phase of the same command with
  ``time.process_time`` (imports of the command, reading the instance, the patient's road
  distances — which import the road network's libraries on first use —, the suggestion,
  the JSON); the medians over the referrals;
* ``row``, ``matrix``, ``moves2``: :func:`optimiser.planning.suggest.suggest` in a process
  that has already read the instance — ``row`` computes the patient's own row of road
  distances each call (network already built), ``matrix`` is given the full distance matrix
  (what a long-lived service holds), ``moves2`` adds ``allow_moves=2``.

Writes ``benchmarks/results/suggest.csv`` (one row per instance x mode) and
``benchmarks/results/suggest_imports.csv`` (``python -X importtime`` of one ``cli`` run: the
cumulative import time of every top-level package the command loads, largest first).

    .venv/bin/python benchmarks/bench_suggest.py              # England + generated
    .venv/bin/python benchmarks/bench_suggest.py --runs 5 --no-generated
"""

from __future__ import annotations

import argparse
import csv
import io
import json
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
           "cpu_median_s", "ratio_wall", "ratio_cpu", "note")
IMPORT_COLUMNS = ("instance", "package", "cumulative_s", "self_s")
BEDPLAN = Path(sys.executable).with_name("bedplan")

#: One fresh process per referral: the CLI's own steps, each timed (CPU seconds).
PHASES = r"""
import json, sys, time
t = time.process_time
c0 = t()
from bedplan.cli import suggest as _cli  # the command's module, as the CLI imports it
from models.io import read_instance
from optimiser.planning.suggest import suggest
c1 = t()
inst = read_instance(sys.argv[1])
c2 = t()
from optimiser.planning.suggest import patient_distances
p = inst.patients[inst.patient_index()[sys.argv[2]]]
km = patient_distances(inst, [p])
c3 = t()
s = suggest(inst, sys.argv[2])  # its own row again: the network is built, the row cached
c4 = t()
text = json.dumps(s.to_json_dict(), indent=2)
c5 = t()
print(json.dumps({"imports": c1 - c0, "read": c2 - c1, "distances": c3 - c2,
                  "suggest": c4 - c3, "json": c5 - c4}))
"""


def _stats(times: list[float]) -> tuple[float, float, float]:
    a = np.array(times)
    return float(np.median(a)), float(np.percentile(a, 95)), float(a.max())


def _referrals(instance: Any, k: int) -> list[str]:
    ids = [p.patient_id for p in instance.patients if p.status == "referral"]
    step = max(1, len(ids) // k)
    return ids[::step][:k]


def _timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU (user + system of the child) seconds of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, done


def bench_cli(path: Path, ids: list[str]) -> dict[str, tuple[list[float], list[float]]]:
    """``numpy`` and ``cli`` alternately, one pair per referral: (wall, cpu) lists."""
    cli = [str(BEDPLAN)] if BEDPLAN.exists() else [sys.executable, "-m", "bedplan"]
    out: dict[str, tuple[list[float], list[float]]] = {"numpy": ([], []), "cli": ([], [])}
    _timed([sys.executable, "-c", "import numpy"])  # warm the file cache for both
    _timed([*cli, "suggest", str(path), "--patient", ids[0], "--json"])
    for pid in ids:
        for mode, cmd in (("numpy", [sys.executable, "-c", "import numpy"]),
                          ("cli", [*cli, "suggest", str(path), "--patient", pid, "--json"])):
            wall, cpu, done = _timed(cmd)
            if done.returncode != 0:
                raise RuntimeError(f"{mode} failed for {pid}: {done.stderr}")
            out[mode][0].append(wall)
            out[mode][1].append(cpu)
    return out


def bench_phases(path: Path, ids: list[str]) -> dict[str, list[float]]:
    """CPU seconds of each phase of the command, one fresh process per referral."""
    out: dict[str, list[float]] = {}
    for pid in ids:
        done = subprocess.run([sys.executable, "-c", PHASES, str(path), pid],
                              capture_output=True, text=True, check=True, cwd=ROOT)
        for k, v in json.loads(done.stdout.splitlines()[-1]).items():
            out.setdefault(k, []).append(float(v))
    return out


#: Heavy libraries looked for on the suggestion path (issue 17: only what it uses).
WATCHED = ("numpy", "click", "pyproj", "pandas", "scipy", "scipy.sparse", "scipy.spatial",
           "networkx", "ortools", "highspy", "pulp", "matplotlib", "sqlalchemy", "fastapi")


def import_times(path: Path, pid: str) -> list[tuple[str, float, float]]:
    """(module, cumulative s, self s) from ``python -X importtime`` of one ``cli`` run: each
    import made at the top of a statement (not inside another module's import), and each
    :data:`WATCHED` library where it is first imported (0 when it is not imported at all);
    largest first."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bedplan", "suggest",
                           str(path), "--patient", pid, "--json"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    found: dict[str, tuple[float, float]] = dict.fromkeys(WATCHED, (0.0, 0.0))
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(parts) != 3 \
                or not parts[0].strip().isdigit():
            continue
        name = parts[2][1:]  # one space after the bar, then two per level of nesting
        if not name.startswith(" ") or name.strip() in WATCHED:
            found[name.strip()] = (int(parts[1]) / 1e6, int(parts[0]) / 1e6)
    return sorted(((k, c, s) for k, (c, s) in found.items()), key=lambda t: (-t[1], t[0]))


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


def run_case(name: str, path: Path, runs: int) -> tuple[list[dict[str, Any]],
                                                         list[dict[str, Any]]]:
    from models.io import read_instance

    instance = read_instance(path)
    ids = _referrals(instance, runs)
    base = {"instance": name, "patients": len(instance.patients), "units": len(instance.units)}
    rows: list[dict[str, Any]] = []
    timed = bench_cli(path, ids)
    ref_wall, ref_cpu = float(np.median(timed["numpy"][0])), float(np.median(timed["numpy"][1]))
    notes = {"numpy": 'python -c "import numpy" (the reference, alternating with cli)',
             "cli": "bedplan suggest --patient ID --json, fresh process"}
    for mode, (wall, cpu) in timed.items():
        med, p95, mx = _stats(wall)
        rows.append({**base, "mode": mode, "runs": len(wall), "median_s": med, "p95_s": p95,
                     "max_s": mx, "cpu_median_s": float(np.median(cpu)),
                     "ratio_wall": med / ref_wall, "ratio_cpu": float(np.median(cpu)) / ref_cpu,
                     "note": notes[mode]})
    for phase, cpu in bench_phases(path, ids).items():
        med, p95, mx = _stats(cpu)
        rows.append({**base, "mode": f"phase:{phase}", "runs": len(cpu), "median_s": "",
                     "p95_s": "", "max_s": "", "cpu_median_s": med, "ratio_wall": "",
                     "ratio_cpu": med / ref_cpu, "note": "CPU s of this phase of the cli"})
    notes = {"row": "in process, own row of road km per call",
             "matrix": "in process, full km matrix given",
             "moves2": "in process, matrix given, allow_moves=2"}
    for mode, times in bench_process(instance, ids).items():
        med, p95, mx = _stats(times)
        rows.append({**base, "mode": mode, "runs": len(times), "median_s": med, "p95_s": p95,
                     "max_s": mx, "cpu_median_s": "", "ratio_wall": "", "ratio_cpu": "",
                     "note": notes[mode]})
    imports = [{"instance": name, "package": pkg, "cumulative_s": cum, "self_s": own}
               for pkg, cum, own in import_times(path, ids[0])]
    return rows, imports


def generated_dir(tmp: Path, n_patients: int, n_units: int, seed: int) -> Path:
    from models.generate import generate_instance
    from models.io import write_instance

    instance = generate_instance(seed, n_patients, n_units, distance="road")
    path = tmp / f"generated-{n_patients}"
    write_instance(instance, path)
    return path


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


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
    imports: list[dict[str, Any]] = []
    england = ROOT / "instances/england"
    if not args.no_england and (england / "units.csv").is_file():
        r, i = run_case("england", england, args.runs)
        rows, imports = rows + r, imports + i
    if not args.no_generated:
        with tempfile.TemporaryDirectory() as tmp:
            path = generated_dir(Path(tmp), args.patients, args.units, args.seed)
            r, i = run_case(f"generated-{args.patients}", path, args.runs)
            rows, imports = rows + r, imports + i
    atomic_write(args.out, _csv(rows, COLUMNS))
    atomic_write(args.out.with_name(args.out.stem + "_imports.csv"),
                 _csv(imports, IMPORT_COLUMNS))
    print(_csv(rows, COLUMNS), end="")
    print(_csv(imports[:15], IMPORT_COLUMNS), end="")
    print(f"cpus: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
