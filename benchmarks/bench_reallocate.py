"""Benchmark the overnight reallocation: rerunnable, writes benchmarks/results/reallocate.csv.

For generated instances (1k, 3k, 10k, 30k patients by default; 100k with ``--with-100k``)
and the England instance (``instances/england``, skipped when absent), each with and without
``max_moves = 50`` / ``max_admissions_per_unit = 2``, one row records: instance size, time
to read, to compute distances, to build (cost table, bed check, model) and to solve, total,
peak memory, objective, bound, gap and status. Each row also times OR-Tools' min-cost flow
on the same placement costs (the combinatorial reference, no limits) and scores a greedy
"nearest free compatible bed" baseline, to show what optimisation buys.

Both sides of ``ratio_solve_mcf`` start from the same distance matrix: ``solve_total_s`` is
:func:`optimiser.core.solve.solve` end to end (cost table, bed check, build, solve, plan) and
``mcf_s`` is building the same cost table plus OR-Tools' flow (``mcf_table_s`` +
``mcf_flow_s``). ``matches_mcf`` checks the optimum against the flow's (rows without limits).
``path`` is the method that answered (``Result.method``: "flow" for the min-cost-flow path
of :mod:`optimiser.core.flow`, "fast" for the pricing path, "mip").

Solver libraries (highspy, OR-Tools) are imported before anything is timed, on both sides.
Every row runs in its own worker process so that its peak memory (``ru_maxrss``, taken right
after the solve, before the references run) is its own.

    /tmp/venv/bin/python benchmarks/bench_reallocate.py                # 1k..30k + England
    /tmp/venv/bin/python benchmarks/bench_reallocate.py --sizes 1000 --no-england
    /tmp/venv/bin/python benchmarks/bench_reallocate.py --with-100k --time-limit 600
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.domain import Instance, Limits, Patient, Policy, Unit  # noqa: E402

DEFAULT_SIZES = (1000, 3000, 10000, 30000)
LIMITED = (50, 2)  # max_moves, max_admissions_per_unit
COST_SCALE = 1000  # min-cost flow needs integer costs: 1/1000 of a cost unit (metres)
COLUMNS = (
    "instance", "generator", "patients", "units", "options", "max_moves",
    "max_admissions_per_unit", "method", "path", "distance", "read_s", "distances_s", "build_s",
    "solve_s", "solve_total_s", "total_s", "peak_mib", "status", "objective", "bound", "gap",
    "mcf_table_s", "mcf_flow_s", "mcf_s", "mcf_objective", "mcf_status", "ratio_solve_mcf",
    "matches_mcf",
    "greedy_objective", "greedy_unplaced", "saving_vs_greedy", "repeats",
)


# --------------------------------------------------------------------------- instances

def fallback_instance(n_patients: int, seed: int) -> Instance:
    """FALLBACK generator (used only while ``models.generate`` does not exist).

    A seeded, England-shaped random instance: ``units_for(n)`` units (14..26 beds) spread over 40
    collaboratives in England's bounding box; 90 % inpatients, 10 % referrals; about 40 % of
    inpatients placed outside their home collaborative; 10 % not movable.
    """
    rng = np.random.default_rng(seed)
    n_units = units_for(n_patients)
    types = [("adult_secure", "medium"), ("adult_secure", "low"), ("adult_secure", "high"),
             ("camhs", "general"), ("eating_disorder", "general")]
    type_p = np.array([0.35, 0.32, 0.08, 0.15, 0.10])
    centres = np.column_stack([rng.uniform(50.6, 55.4, 40), rng.uniform(-3.4, 1.4, 40)])

    def nearest_network(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        d2 = (lat[:, None] - centres[None, :, 0]) ** 2 + \
             ((lon[:, None] - centres[None, :, 1]) * 0.62) ** 2
        return np.asarray(d2.argmin(axis=1))

    u_lat = rng.uniform(50.6, 55.4, n_units)
    u_lon = rng.uniform(-3.4, 1.4, n_units)
    u_net = nearest_network(u_lat, u_lon)
    u_type = rng.choice(len(types), n_units, p=type_p)
    u_sex = rng.choice(["male", "female", "mixed"], n_units, p=[0.55, 0.3, 0.15])
    u_beds = rng.integers(14, 27, n_units)
    u_closed = np.where(rng.random(n_units) < 0.1, rng.integers(0, 3, n_units), 0)
    units = tuple(
        Unit(unit_id=f"U{j:05d}", network_id=f"NET{u_net[j]:02d}", service=types[u_type[j]][0],
             level=types[u_type[j]][1], beds=int(u_beds[j]), beds_closed=int(u_closed[j]),
             sex=str(u_sex[j]), lat=float(u_lat[j]), lon=float(u_lon[j]),
             cost_per_day=float(rng.integers(400, 900)))
        for j in range(n_units))
    # Bed slots per (type, sex); an inpatient takes one compatible slot (else a delayed one).
    slots: dict[tuple[int, str], list[int]] = {}
    for j, u in enumerate(units):
        slots.setdefault((int(u_type[j]), u.sex), []).extend([j] * u.open_beds)
    for pool in slots.values():
        rng.shuffle(pool)
    p_type = rng.choice(len(types), n_patients, p=type_p)
    p_sex = rng.choice(["male", "female"], n_patients, p=[0.65, 0.35])
    is_ref = rng.random(n_patients) < 0.10
    near = rng.random(n_patients) < 0.6
    jitter = rng.normal(0.0, 0.25, (n_patients, 2))
    rand_home = np.column_stack([rng.uniform(50.6, 55.4, n_patients),
                                 rng.uniform(-3.4, 1.4, n_patients)])
    movable = rng.random(n_patients) >= 0.10
    priority = rng.integers(1, 4, n_patients)
    patients: list[Patient] = []
    for i in range(n_patients):
        t, sex = int(p_type[i]), str(p_sex[i])
        service, level = types[t]
        age = int(rng.integers(12, 18)) if service == "camhs" else int(rng.integers(18, 66))
        current: int | None = None
        if not is_ref[i]:
            for key in ((t, sex), (t, "mixed"), (t, "female" if sex == "male" else "male")):
                if slots.get(key):
                    current = slots[key].pop()
                    break
        if current is not None and near[i]:
            lat, lon = u_lat[current] + jitter[i, 0], u_lon[current] + jitter[i, 1]
        else:
            lat, lon = rand_home[i]
        home = int(nearest_network(np.array([lat]), np.array([lon]))[0])
        patients.append(Patient(
            patient_id=f"{'R' if current is None else 'P'}{i:06d}",
            status="referral" if current is None else "inpatient", service=service,
            level=level, sex=sex, age=age, home_lat=float(lat), home_lon=float(lon),
            home_network_id=f"NET{home:02d}",
            current_unit_id=None if current is None else units[current].unit_id,
            movable=bool(movable[i]) if current is not None else True,
            priority=int(priority[i]) if current is None else 1))
    return Instance(units=units, patients=tuple(patients),
                    policy=Policy(distance="geodesic"), source=f"fallback:{n_patients}:{seed}")


def units_for(n_patients: int) -> int:
    """Wards for a generated instance: one per 20 patients (100k patients → 5k units)."""
    return max(10, n_patients // 20)


def generated_instance(n_patients: int, seed: int, distance: str) -> tuple[Instance, str]:
    """Engineer D's :func:`models.generate.generate_instance` when present, else the fallback."""
    try:
        from models.generate import generate_instance
    except ImportError:
        return fallback_instance(n_patients, seed), "fallback"
    return (generate_instance(seed, n_patients, units_for(n_patients), distance=distance),
            "models.generate")


# ------------------------------------------------------------------- the references

def min_cost_flow(costs: Any) -> tuple[str, float | None, float]:
    """OR-Tools min-cost flow on the cost table (no limits): status, objective, seconds.

    source → patient (1) → option arc (cost) → unit (open beds) → sink; an unplaced option
    goes straight to the sink. Costs are scaled to integers; the objective is recomputed
    in floats from the chosen arcs.
    """
    from ortools.graph.python import min_cost_flow as mcf

    t0 = time.perf_counter()
    n, m = costs.n_patients, costs.n_units
    sink = n + m
    placed = costs.unit >= 0
    tails = np.concatenate([costs.patient, n + np.arange(m)]).astype(np.int32)
    heads = np.concatenate([np.where(placed, n + costs.unit, sink),
                            np.full(m, sink)]).astype(np.int32)
    caps = np.concatenate([np.ones(costs.n_options, np.int64),
                           costs.open_beds.astype(np.int64)])
    unit_costs = np.concatenate([np.rint(costs.cost * COST_SCALE).astype(np.int64),
                                 np.zeros(m, np.int64)])
    flow = mcf.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, unit_costs)
    del tails, heads, caps, unit_costs  # OR-Tools holds its own copy
    supplies = np.concatenate([np.ones(n, np.int64), np.zeros(m, np.int64), [-n]])
    flow.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies)
    status = flow.solve()
    seconds = time.perf_counter() - t0
    if status != flow.OPTIMAL:
        return f"status {status}", None, seconds
    used = flow.flows(np.arange(costs.n_options, dtype=np.int32)) > 0
    return "optimal", float(costs.cost[used].sum()), seconds


def greedy(costs: Any, instance: Instance) -> tuple[float, int]:
    """Nearest free compatible bed: inpatients stay; referrals by priority (then id) take
    the nearest compatible unit with a free bed, else stay unplaced. Objective, unplaced."""
    from optimiser.core.costs import ADMIT, STAY, UNPLACED

    free = costs.open_beds.astype(np.int64).copy()
    total, unplaced = 0.0, 0
    stays = costs.kind == STAY
    np.subtract.at(free, costs.unit[stays], 1)
    total += float(costs.cost[stays].sum())
    refs = sorted((i for i, p in enumerate(instance.patients) if p.is_referral),
                  key=lambda i: (-instance.patients[i].priority, instance.patients[i].patient_id))
    for i in refs:
        a, b = int(costs.start[i]), int(costs.start[i + 1])
        kinds, units, km = costs.kind[a:b], costs.unit[a:b], costs.km[a:b]
        admit = np.flatnonzero(kinds == ADMIT)
        choice = None
        for k in admit[np.argsort(km[admit], kind="stable")]:
            if free[units[k]] > 0:
                choice = int(k)
                break
        if choice is None:
            unplaced += 1
            choice = int(np.flatnonzero(kinds == UNPLACED)[0])
        else:
            free[units[choice]] -= 1
        total += float(costs.cost[a + choice])
    return total, unplaced


# --------------------------------------------------------------------------- one row

def run_row(spec: dict[str, Any], partial: Path | None = None) -> dict[str, Any]:
    """Measure one (instance, limits) case; runs inside a worker process.

    After each phase the row so far is appended to ``partial`` (one JSON line), so the
    driver can still record what was measured when the worker is stopped or dies.
    """
    from optimiser.core.costs import build_cost_table
    from optimiser.core.solve import solve
    from optimiser.geography.distances import distance_matrix

    _warm_imports()
    row: dict[str, Any] = {"method": spec["method"]}

    def done(phase: str) -> None:
        row["phase"] = phase
        row["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(f"[worker] {phase} done, peak {row['peak_mib']:.0f} MiB", file=sys.stderr,
              flush=True)
        if partial is not None:
            with open(partial, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")

    if spec["kind"] == "generated":
        instance, row["generator"] = generated_instance(spec["n"], spec["seed"],
                                                        spec["distance"] or "geodesic")
        row["instance"] = f"generated-{spec['n']}"
        instance, row["read_s"] = _timed_read(instance)
    else:
        from models.io import read_instance

        t0 = time.perf_counter()
        instance = read_instance(spec["path"])
        row["read_s"] = time.perf_counter() - t0
        row["instance"], row["generator"] = Path(spec["path"]).name, "file"
    mm, ma = spec["limits"] or (None, None)
    policy = replace(
        instance.policy,
        distance=spec["distance"] or instance.policy.distance,
        limits=Limits(max_moves=mm, max_admissions_per_unit=ma),
        solver=replace(instance.policy.solver, time_limit=spec["time_limit"], mip_gap=0.0),
    )
    instance = replace(instance, policy=policy)
    row.update(patients=len(instance.patients), units=len(instance.units), max_moves=mm,
               max_admissions_per_unit=ma, distance=policy.distance)
    done("read")

    t0 = time.perf_counter()
    d = distance_matrix(instance, policy.distance)
    row["distances_s"] = time.perf_counter() - t0
    done("distances")
    t0 = time.perf_counter()
    result = solve(instance, policy, distances=d, method=spec["method"],
                   progress=lambda msg: print(f"[solve] {msg}", file=sys.stderr, flush=True))
    row["solve_total_s"] = time.perf_counter() - t0
    laps = dict(result.timings)
    row["solve_s"] = laps.get("solve", math.nan)
    row["build_s"] = row["solve_total_s"] - row["solve_s"]
    row["total_s"] = (row["read_s"] or 0.0) + row["distances_s"] + row["solve_total_s"]
    row.update(status=result.status, objective=result.objective, bound=result.bound,
               gap=result.gap, path=result.method)
    done("solve")  # peak_mib is now the pipeline's peak; the references below come after
    peak = row["peak_mib"]

    del result  # the references need the memory more
    t0 = time.perf_counter()
    costs = build_cost_table(instance, d, policy)
    table_s = time.perf_counter() - t0
    del d
    row["options"] = costs.n_options
    mcf_status, mcf_obj, flow_s = min_cost_flow(costs)
    row.update(mcf_table_s=table_s, mcf_flow_s=flow_s, mcf_s=table_s + flow_s,
               mcf_status=mcf_status, mcf_objective=mcf_obj)
    row["ratio_solve_mcf"] = row["solve_total_s"] / row["mcf_s"] if row["mcf_s"] > 0 else None
    done("min-cost flow")
    objective = row["objective"]
    if mm is None and ma is None and mcf_obj is not None and objective is not None:
        row["matches_mcf"] = abs(mcf_obj - objective) <= 1e-6 * max(1.0, abs(mcf_obj))
    g_obj, g_unplaced = greedy(costs, instance)
    row.update(greedy_objective=g_obj, greedy_unplaced=g_unplaced)
    if objective is not None:
        row["saving_vs_greedy"] = g_obj - objective
    row["peak_mib"] = peak
    row.pop("phase")
    return row


def _warm_imports() -> None:
    """Import the solver libraries before anything is timed (~0.1 s cold each): the
    reference's own import is not timed either, so both sides time only their work."""
    import importlib

    for name in ("highspy", "ortools.graph.python.min_cost_flow", "optimiser.core.pricing",
                 "optimiser.core.flow"):
        importlib.import_module(name)


def _timed_read(instance: Instance) -> tuple[Instance, float | None]:
    """Write the instance as CSV and time reading it back (when models.io exists)."""
    try:
        from models.io import read_instance, write_instance
    except ImportError:
        return instance, None
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        write_instance(instance, tmp)
        t0 = time.perf_counter()
        read = read_instance(tmp)
        return read, time.perf_counter() - t0


# ------------------------------------------------------------------------ the driver

def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    from models.atomic import atomic_write

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_fmt(row.get(c)) for c in COLUMNS])
    atomic_write(path, buf.getvalue())


#: Timing columns that are medians over repeated runs (the rest come from the first run).
TIMINGS = ("read_s", "distances_s", "build_s", "solve_s", "solve_total_s", "total_s",
           "mcf_table_s", "mcf_flow_s", "mcf_s", "peak_mib")
REPEAT_UP_TO = 10000  # instances up to this many patients (and files) are run --repeat times


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from repeated runs of a case: median timings (the machine is shared and
    noisy), the ratio of the medians, results of the first run (they are deterministic)."""
    row = dict(runs[0])
    ok = [r for r in runs if not r.get("failed")]
    if len(ok) == len(runs) and len(runs) > 1:
        for col in TIMINGS:
            values = [r[col] for r in runs if isinstance(r.get(col), (int, float))]
            if values:
                row[col] = float(np.median(values))
        if row.get("mcf_s"):
            row["ratio_solve_mcf"] = row["solve_total_s"] / row["mcf_s"]
    row["repeats"] = len(runs)
    return row


def _rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (Linux /proc; 0 where unavailable)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_worker(spec: dict[str, Any], max_rss_gib: float) -> dict[str, Any]:
    """Run one row in a worker process, watching its memory; the row, or what was measured
    before it failed or was stopped (``failed`` set, ``status`` saying where)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        partial, out, err = (Path(tmp) / n for n in ("partial.jsonl", "out", "err"))
        with open(out, "w") as fo, open(err, "w") as fe:
            proc = subprocess.Popen(
                [sys.executable, __file__, "--worker", json.dumps(spec), "--partial",
                 str(partial)], stdout=fo, stderr=fe, env=env)
            peak_kib, stopped = 0, False
            while proc.poll() is None:
                peak_kib = max(peak_kib, _rss_kib(proc.pid))
                if peak_kib > max_rss_gib * 1024 * 1024:
                    proc.kill()
                    stopped = True
                    proc.wait()
                    break
                time.sleep(0.2)
        lines = [ln for ln in out.read_text().splitlines() if ln.startswith("{")]
        if proc.returncode == 0 and lines:
            return dict(json.loads(lines[-1]))
        done = [json.loads(ln) for ln in partial.read_text().splitlines()] \
            if partial.exists() else []
        row: dict[str, Any] = dict(done[-1]) if done else {
            "instance": f"generated-{spec['n']}" if spec["kind"] == "generated"
            else Path(spec["path"]).name,
            "max_moves": (spec["limits"] or (None, None))[0],
            "max_admissions_per_unit": (spec["limits"] or (None, None))[1]}
        after = row.pop("phase", "start")
        why = (f"stopped over {max_rss_gib:g} GiB" if stopped
               else f"failed (exit {proc.returncode})")
        if not stopped:
            tail = err.read_text().strip().splitlines()[-3:]
            print("  " + "\n  ".join(tail), file=sys.stderr)
        if after in ("solve", "min-cost flow"):
            # The run itself was measured (peak_mib is its peak); only a reference died.
            row["mcf_status" if after == "solve" else "greedy_objective"] = why
            print(f"  {row['status']} objective {row['objective']} in "
                  f"{row['solve_total_s']:.2f} s, peak {row['peak_mib']:.0f} MiB; "
                  f"reference {why}", file=sys.stderr, flush=True)
            return row
        row["peak_mib"] = max(row.get("peak_mib") or 0.0, peak_kib / 1024.0)
        row["status"] = f"{why} after phase {after}"
        row["failed"] = True
        return row


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (str(row.get("instance")), _fmt(row.get("max_moves")),
            _fmt(row.get("max_admissions_per_unit")))


def _merge(kept: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Old rows (minus those measured again) and the new ones; generated by size, then files,
    each without limits first."""
    fresh = {_key(r) for r in new}
    merged = [r for r in kept if _key(r) not in fresh] + new

    def order(row: dict[str, Any]) -> tuple[bool, int, str]:
        size = str(row.get("patients") or "0")
        return (row.get("generator") == "file", int(size) if size.isdigit() else 0,
                _fmt(row.get("max_moves")))

    return sorted(merged, key=order)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                    help="comma-separated patient counts of generated instances ('' for none)")
    ap.add_argument("--with-100k", action="store_true", help="also 100,000 patients")
    ap.add_argument("--england", default=str(ROOT / "instances" / "england"),
                    help="England instance directory (skipped when absent)")
    ap.add_argument("--no-england", action="store_true")
    ap.add_argument("--limits", choices=["both", "none", "only"], default="both",
                    help="rows without limits, with max_moves=50/max_admissions=2, or both")
    ap.add_argument("--method", default="auto", choices=["auto", "mip", "fast", "flow"])
    ap.add_argument("--distance", default=None, choices=["road", "geodesic"],
                    help="override the instance's distance mode")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3,
                    help=f"runs per row (median timings) for instances up to "
                         f"{REPEAT_UP_TO:,} patients and the England instance")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "reallocate.csv"))
    ap.add_argument("--append", action="store_true",
                    help="keep the rows already in --out (a row measured again replaces its "
                         "old one)")
    ap.add_argument("--max-rss-gib", type=float, default=12.0,
                    help="stop a row whose worker grows beyond this resident memory (the "
                         "row then records the phase it was in)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--partial", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        partial = Path(args.partial) if args.partial else None
        print(json.dumps(run_row(json.loads(args.worker), partial)), flush=True)
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.with_100k and 100000 not in sizes:
        sizes.append(100000)
    cases: list[dict[str, Any]] = [{"kind": "generated", "n": n, "seed": args.seed}
                                   for n in sizes]
    if not args.no_england:
        if Path(args.england).is_dir():
            cases.append({"kind": "file", "path": args.england})
        else:
            print(f"skip: no England instance at {args.england}", file=sys.stderr)
    unlimited: list[tuple[int, int] | None] = [None]
    limited: list[tuple[int, int] | None] = [LIMITED]
    variants = {"both": unlimited + limited, "none": unlimited, "only": limited}[args.limits]
    kept: list[dict[str, Any]] = []
    if args.append and Path(args.out).is_file():
        with open(args.out, newline="", encoding="utf-8") as fh:
            kept = list(csv.DictReader(fh))
    rows: list[dict[str, Any]] = []
    for case in cases:
        for limits in variants:
            spec = {**case, "limits": limits, "method": args.method,
                    "distance": args.distance, "time_limit": args.time_limit}
            label = f"{case.get('n', case.get('path'))} limits={limits}"
            print(f"running {label} ...", file=sys.stderr, flush=True)
            small = case["kind"] == "file" or case["n"] <= REPEAT_UP_TO
            runs = [run_worker(spec, args.max_rss_gib)
                    for _ in range(args.repeat if small else 1)]
            row = combine(runs)
            if row.get("failed"):
                print(f"  {row['status']}", file=sys.stderr, flush=True)
            elif row.get("mcf_s") is not None:
                print(f"  {row['status']} objective {row['objective']} in "
                      f"{row['solve_total_s']:.2f} s (mcf {row['mcf_s']:.2f} s), "
                      f"peak {row['peak_mib']:.0f} MiB", file=sys.stderr, flush=True)
            rows.append(row)
            # Written after every row: what is measured survives if a later row dies.
            write_csv(Path(args.out), _merge(kept, rows))
    print(f"wrote {args.out} ({len(rows)} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
