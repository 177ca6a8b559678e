"""Benchmark ``bedplan suggest``: end to end against ``python -c "import numpy"``, where the
time goes, and inside one process.

Issue 17's target: ``bedplan suggest`` on England end to end within 2x ``python -c "import
numpy"`` on the same machine (and under 0.4 s). Both are fresh processes, run alternately
in the same run so that they share the machine's load; the ratio of their medians is what
compares (wall and CPU = user + system of the child: on a shared machine wall time includes
waiting for a core).

Every child runs with ``HOME`` set to a folder of this run, so the caches ``suggest`` keeps
by default (``~/.cache/bedplan``: parsed instances, the road network's arrays, snapped
coordinates) start empty and nothing of the user's is read; ``$BEDPLAN_CACHE_DIR`` and
``$BEDPLAN_NO_CACHE`` are removed (the default behaviour is what is measured). Two settings:

* ``as is``: the environment of the run as it is. Where ``PYTHONDONTWRITEBYTECODE`` is set
  (as in this project's shared workspace) Python compiles every module of the project from
  source in every process (numpy, installed, has its bytecode);
* ``pyc``: bytecode cached as Python does by default (``PYTHONDONTWRITEBYTECODE`` removed,
  ``PYTHONPYCACHEPREFIX`` a folder of this run, so the source tree stays clean): what an
  installed bedplan does. Both sides get it.

Instances: the England instance (``instances/england``, skipped when absent) and, unless
``--no-generated``, a generated one of about 9,400 patients x 300 units. For each, several
referrals are asked about:

* ``numpy``: ``python -c "import numpy"``, the reference;
* ``cli``: ``bedplan suggest INSTANCE --patient ID --json`` as a fresh process, the census
  asked about before (one question first, not timed): its parsed instance and snaps cached;
* ``cli-cold``: the same with empty caches each time (the first question about a new
  census: reading and validating it, snapping all its homes, writing the caches);
* ``phase:*``: one fresh process timing each phase of the warm command with
  ``time.process_time`` (imports, reading the instance through the cache, the patient's road
  distances, the suggestion, the JSON); the medians over the referrals;
* ``row``, ``matrix``, ``moves2``: :func:`optimiser.planning.suggest.suggest` in a process
  that has already read the instance — ``row`` computes the patient's own row of road
  distances each call (network loaded, the in-process memo of rows emptied before each
  call, snaps from the disk cache), ``matrix`` is given the full distance matrix
  (what a long-lived service holds), ``moves2`` adds ``allow_moves=2``.

The JSON of every ``cli`` and ``cli-cold`` run is checked equal to the in-process answer.
Writes ``benchmarks/results/suggest.csv`` (one row per instance x setting x mode, with the
load average) and ``benchmarks/results/suggest_imports.csv`` (``python -X importtime`` of
one warm ``cli`` run: the cumulative import time of every top-level package the command
loads, largest first).

    .venv/bin/python benchmarks/bench_suggest.py              # England + generated
    .venv/bin/python benchmarks/bench_suggest.py --runs 5 --no-generated
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
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

COLUMNS = ("instance", "patients", "units", "setting", "mode", "runs", "median_s", "p95_s",
           "max_s", "cpu_median_s", "ratio_wall", "ratio_cpu", "load", "note")
IMPORT_COLUMNS = ("instance", "package", "cumulative_s", "self_s")
BEDPLAN = Path(sys.executable).with_name("bedplan")

#: One fresh process per referral: the CLI's own steps, each timed (CPU seconds).
PHASES = r"""
import json, sys, time
t = time.process_time
c0 = t()
from bedplan.cli import cli  # the command line, then the command's module, as it runs
from bedplan.cli import suggest as _cli
from models.io import read_instance_cached
from optimiser.planning.suggest import suggest
c1 = t()
inst, cached = read_instance_cached(sys.argv[1])
assert cached, "the cache was not warm"
c2 = t()
from optimiser.planning.suggest import patient_distances
p = inst.patients[inst.patient_index()[sys.argv[2]]]
km = patient_distances(inst, [p])
c3 = t()
s = suggest(inst, sys.argv[2])  # its own row again (in-process memo), then the answer
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


def _env(setting: str, home: Path, pyc: Path) -> dict[str, str]:
    """The children's environment: default caches under ``home``, bytecode per setting."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("BEDPLAN_CACHE_DIR", "BEDPLAN_NO_CACHE")}
    env["HOME"] = str(home)
    if setting == "pyc":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pyc)
    return env


def _timed(cmd: list[str], env: dict[str, str]
           ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU (user + system of the child) seconds of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, done


def _cli() -> list[str]:
    return [str(BEDPLAN)] if BEDPLAN.exists() else [sys.executable, "-m", "bedplan"]


def bench_cli(path: Path, ids: list[str], answers: dict[str, str], env: dict[str, str],
              cold_home: Path) -> dict[str, tuple[list[float], list[float]]]:
    """``numpy``, ``cli`` and ``cli-cold`` alternately, one of each per referral."""
    out: dict[str, tuple[list[float], list[float]]] = {
        "numpy": ([], []), "cli": ([], []), "cli-cold": ([], [])}
    numpy_cmd = [sys.executable, "-c", "import numpy"]
    _timed(numpy_cmd, env)  # warm the file cache (and, with pyc, the bytecode) for both
    _timed([*_cli(), "suggest", str(path), "--patient", ids[0], "--json"], env)
    for k, pid in enumerate(ids):
        cold = {**env, "HOME": str(cold_home / f"{pid}-{k}")}
        for mode, cmd, e in (
                ("numpy", numpy_cmd, env),
                ("cli", [*_cli(), "suggest", str(path), "--patient", pid, "--json"], env),
                ("cli-cold", [*_cli(), "suggest", str(path), "--patient", pid, "--json"],
                 cold)):
            wall, cpu, done = _timed(cmd, e)
            if done.returncode != 0:
                raise RuntimeError(f"{mode} failed for {pid}: {done.stderr}")
            if mode != "numpy" and json.loads(done.stdout) != json.loads(answers[pid]):
                raise RuntimeError(f"{mode} answered {pid} differently from the engine")
            out[mode][0].append(wall)
            out[mode][1].append(cpu)
    return out


def bench_phases(path: Path, ids: list[str], env: dict[str, str]) -> dict[str, list[float]]:
    """CPU seconds of each phase of the warm command, one fresh process per referral."""
    out: dict[str, list[float]] = {}
    for pid in ids:
        done = subprocess.run([sys.executable, "-c", PHASES, str(path), pid], env=env,
                              capture_output=True, text=True, check=True, cwd=ROOT)
        for k, v in json.loads(done.stdout.splitlines()[-1]).items():
            out.setdefault(k, []).append(float(v))
    return out


#: Heavy libraries looked for on the suggestion path (issue 17: only what it uses).
WATCHED = ("numpy", "click", "pyproj", "pandas", "scipy", "scipy.sparse", "scipy.spatial",
           "networkx", "ortools", "highspy", "pulp", "matplotlib", "sqlalchemy", "fastapi")


def import_times(path: Path, pid: str, env: dict[str, str]) -> list[tuple[str, float, float]]:
    """(module, cumulative s, self s) from ``python -X importtime`` of one warm ``cli`` run:
    each import made at the top of a statement (not inside another module's import), and
    each :data:`WATCHED` library where it is first imported (0 when it is not imported at
    all); largest first."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bedplan", "suggest",
                           str(path), "--patient", pid, "--json"], env=env,
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
    from optimiser.geography import network
    from optimiser.geography.distances import distance_matrix
    from optimiser.planning.suggest import suggest

    suggest(instance, ids[0])  # load the road network once, as a service would at start
    out: dict[str, list[float]] = {"row": [], "matrix": [], "moves2": []}
    for pid in ids:
        network._MEMO.clear()  # the row computed, not found in the in-process memo
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


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def run_case(name: str, path: Path, runs: int, settings: list[str], scratch: Path
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from models.io import read_instance
    from optimiser.planning.suggest import suggest

    instance = read_instance(path)
    ids = _referrals(instance, runs)
    answers = {pid: json.dumps(suggest(instance, pid).to_json_dict()) for pid in ids}
    base = {"instance": name, "patients": len(instance.patients), "units": len(instance.units)}
    rows: list[dict[str, Any]] = []
    imports: list[dict[str, Any]] = []
    for setting in settings:
        folder = scratch / f"{name}-{setting}"
        env = _env(setting, folder / "home", folder / "pyc")
        load = _load()
        timed = bench_cli(path, ids, answers, env, folder / "cold")
        ref_wall = float(np.median(timed["numpy"][0]))
        ref_cpu = float(np.median(timed["numpy"][1]))
        notes = {"numpy": 'python -c "import numpy" (the reference, alternating with cli)',
                 "cli": "bedplan suggest --patient ID --json, fresh process, census seen "
                        "before (caches warm)",
                 "cli-cold": "the same, caches empty: first question about a new census"}
        for mode, (wall, cpu) in timed.items():
            med, p95, mx = _stats(wall)
            rows.append({**base, "setting": setting, "mode": mode, "runs": len(wall),
                         "median_s": med, "p95_s": p95, "max_s": mx,
                         "cpu_median_s": float(np.median(cpu)), "ratio_wall": med / ref_wall,
                         "ratio_cpu": float(np.median(cpu)) / ref_cpu,
                         "load": f"{load}-{_load()}", "note": notes[mode]})
        load = _load()
        for phase, cpu in bench_phases(path, ids, env).items():
            med, p95, mx = _stats(cpu)
            rows.append({**base, "setting": setting, "mode": f"phase:{phase}",
                         "runs": len(cpu), "median_s": "", "p95_s": "", "max_s": "",
                         "cpu_median_s": med, "ratio_wall": "", "ratio_cpu": med / ref_cpu,
                         "load": f"{load}-{_load()}",
                         "note": "CPU s of this phase of the warm cli"})
        if setting == settings[0]:
            imports = [{"instance": name, "package": pkg, "cumulative_s": cum,
                        "self_s": own} for pkg, cum, own in import_times(path, ids[0], env)]
    notes = {"row": "in process, own row of road km per call",
             "matrix": "in process, full km matrix given",
             "moves2": "in process, matrix given, allow_moves=2"}
    load = _load()
    for mode, times in bench_process(instance, ids).items():
        med, p95, mx = _stats(times)
        rows.append({**base, "setting": "in process", "mode": mode, "runs": len(times),
                     "median_s": med, "p95_s": p95, "max_s": mx, "cpu_median_s": "",
                     "ratio_wall": "", "ratio_cpu": "", "load": f"{load}-{_load()}",
                     "note": notes[mode]})
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
    parser.add_argument("--settings", default="as is,pyc",
                        help="comma-separated: 'as is' and/or 'pyc' (see the docstring)")
    parser.add_argument("--patients", type=int, default=9400)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/suggest.csv")
    args = parser.parse_args(argv)

    from models.atomic import atomic_write

    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    rows: list[dict[str, Any]] = []
    imports: list[dict[str, Any]] = []
    england = ROOT / "instances/england"
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        if not args.no_england and (england / "units.csv").is_file():
            r, i = run_case("england", england, args.runs, settings, scratch)
            rows, imports = rows + r, imports + i
        if not args.no_generated:
            path = generated_dir(scratch, args.patients, args.units, args.seed)
            r, i = run_case(f"generated-{args.patients}", path, args.runs, settings, scratch)
            rows, imports = rows + r, imports + i
    atomic_write(args.out, _csv(rows, COLUMNS))
    atomic_write(args.out.with_name(args.out.stem + "_imports.csv"),
                 _csv(imports, IMPORT_COLUMNS))
    print(_csv(rows, COLUMNS), end="")
    print(_csv(imports[:15], IMPORT_COLUMNS), end="")
    print(f"cpus: {os.cpu_count()}, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, load: {_load()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
