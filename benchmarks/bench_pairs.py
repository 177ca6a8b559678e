"""Issue 17's England-scale case: ``bedplan reallocate`` end to end against a lean reference
pipeline, both as fresh processes in the same run.

The instance: 9,400 patients with distinct home coordinates × 700 units (generated, homes
jittered so that no two coincide), geodesic distances, no limits. The reference
(``--reference DIR``, this file in another process) does only what the answer needs: read the
two CSVs, decide compatibility (``models.compatibility``, the contract's rule), compute
geodesics for the allowed pairs only (pyproj, vectorised), build the costs and solve the
min-cost flow (OR-Tools) — no validation messages, no diagnosis, no outputs. ``ratio`` =
bedplan / reference (issue 17: within 2×, target 1.5×); the two objectives must agree.

    .venv/bin/python benchmarks/bench_pairs.py [--repeat 3] [--patients 9400 --units 700]

Appends to ``benchmarks/results/pairs.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
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

from _results import append_rows  # noqa: E402

COLUMNS = ("patients", "units", "allowed_pairs", "all_pairs", "bedplan_s", "reference_s",
           "ratio", "objective", "reference_objective", "repeats", "cpu_count", "loadavg_1m")


def make_instance(folder: Path, patients: int, units: int, seed: int = 17) -> Path:
    """A generated instance with distinct homes, geodesic, no limits."""
    from dataclasses import replace

    from models.domain import Policy
    from models.generate import generate_instance
    from models.io import write_instance

    inst = generate_instance(seed, patients, units, distance="geodesic")
    rng = np.random.default_rng(seed)
    jitter = rng.uniform(-0.02, 0.02, size=(len(inst.patients), 2))
    people = tuple(replace(p, home_lat=p.home_lat + float(dy), home_lon=p.home_lon + float(dx))
                   for p, (dy, dx) in zip(inst.patients, jitter, strict=True))
    inst = replace(inst, patients=people, policy=Policy(distance="geodesic"))
    path = folder / "instance"
    write_instance(inst, path)
    return path


def reference(path: Path) -> dict[str, Any]:
    """The lean pipeline (run in its own process by ``--reference``)."""
    from ortools.graph.python import min_cost_flow
    from pyproj import Geod

    from models.compatibility import compatibility_matrix
    from models.domain import Patient, Unit

    def rows(name: str) -> list[dict[str, str]]:
        with open(path / name, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def tags(text: str) -> frozenset[str]:
        return frozenset(t for t in text.split(";") if t)

    def flag(text: str, default: bool) -> bool:
        return default if not text else text.lower() in ("true", "yes", "1")

    units = [Unit(r["unit_id"], r["network_id"], r["service"], r["level"], int(r["beds"]),
                  float(r["lat"]), float(r["lon"]), sex=r.get("sex") or "mixed",
                  age_min=int(r["age_min"]) if r.get("age_min") else None,
                  age_max=int(r["age_max"]) if r.get("age_max") else None,
                  specialisms=tags(r.get("specialisms", "")),
                  beds_closed=int(r.get("beds_closed") or 0),
                  cost_per_day=float(r.get("cost_per_day") or 0),
                  specialist_only=flag(r.get("specialist_only", ""), False),
                  accepts_referrals=flag(r.get("accepts_referrals", ""), True))
             for r in rows("units.csv")]
    people = [Patient(r["patient_id"], r["status"], r["service"], r["level"], r["sex"],
                      int(r["age"]), float(r["home_lat"]), float(r["home_lon"]),
                      r["home_network_id"], needs=tags(r.get("needs", "")),
                      current_unit_id=r.get("current_unit_id") or None,
                      movable=flag(r.get("movable", ""), True),
                      priority=int(r.get("priority") or 1),
                      excluded_units=tags(r.get("excluded_units", "")))
              for r in rows("patients.csv")]
    n, m = len(people), len(units)
    index = {u.unit_id: j for j, u in enumerate(units)}
    compat = compatibility_matrix(people, units)
    cur = np.array([index.get(p.current_unit_id or "", -1) for p in people])
    ref = np.array([p.is_referral for p in people])
    movable = np.array([p.movable for p in people])
    allowed = compat.copy()
    allowed[~(ref | movable)] = False
    inp = np.flatnonzero(cur >= 0)
    allowed[inp, cur[inp]] = False
    r, c = np.nonzero(allowed)
    pr = np.concatenate([r, inp])
    pc = np.concatenate([c, cur[inp]])
    home = np.array([(p.home_lat, p.home_lon) for p in people])
    site = np.array([(u.lat, u.lon) for u in units])
    _, _, metres = Geod(ellps="WGS84").inv(home[pr, 1], home[pr, 0], site[pc, 1], site[pc, 0])
    km = np.asarray(metres) / 1000.0
    unit_net = np.array([u.network_id for u in units])
    home_net = np.array([p.home_network_id for p in people])
    cost = km + 50.0 * (unit_net[pc] != home_net[pr])
    cost[: r.size] += 25.0 * ~ref[r]  # moves
    late = ~compat[inp, cur[inp]]
    cost[r.size:] += 200.0 * late  # delayed stays
    scale = 1000.0
    sink = n + m
    tails = np.concatenate([pr, np.flatnonzero(ref), n + np.arange(m)])
    heads = np.concatenate([n + pc, np.full(int(ref.sum()), sink), np.full(m, sink)])
    caps = np.concatenate([np.ones(pr.size, np.int64), np.ones(int(ref.sum()), np.int64),
                           np.array([u.open_beds for u in units], np.int64)])
    prio = np.array([p.priority for p in people], float)
    price = np.concatenate([np.rint(cost * scale), np.rint(1000.0 * prio[ref] * scale),
                            np.zeros(m)]).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, price)
    supplies = np.zeros(n + m + 1, np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    flow.set_nodes_supplies(np.arange(n + m + 1), supplies)
    status = flow.solve()
    return {"objective": flow.optimal_cost() / scale if status == flow.OPTIMAL else None,
            "allowed_pairs": int(r.size), "all_pairs": n * m}


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--patients", type=int, default=9400)
    ap.add_argument("--units", type=int, default=700)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pairs.csv")
    args = ap.parse_args()
    if args.reference is not None:
        print(json.dumps(reference(args.reference)))
        return
    bedplan = str(Path(sys.executable).with_name("bedplan"))

    def measure() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as tmp:
            path = make_instance(Path(tmp), args.patients, args.units)
            ours, theirs, ref = [], [], {}
            for k in range(args.repeat):  # alternate which goes first
                runs = [("ours", [bedplan, "reallocate", str(path), "--out",
                                  str(Path(tmp) / "out")]),
                        ("ref", [sys.executable, __file__, "--reference", str(path)])]
                for who, cmd in (runs if k % 2 == 0 else runs[::-1]):
                    seconds, out = timed(cmd)
                    (ours if who == "ours" else theirs).append(seconds)
                    if who == "ref":
                        ref = json.loads(out.strip().splitlines()[-1])
            summary = json.loads((Path(tmp) / "out" / "summary.json").read_text())
        a, b = statistics.median(ours), statistics.median(theirs)
        return {"patients": args.patients, "units": args.units,
                "allowed_pairs": ref.get("allowed_pairs"), "all_pairs": ref.get("all_pairs"),
                "bedplan_s": round(a, 3), "reference_s": round(b, 3), "ratio": round(a / b, 3),
                "objective": summary["objective"],
                "reference_objective": ref.get("objective"), "repeats": args.repeat,
                "cpu_count": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2)}

    append_rows(args.out, COLUMNS, [measure])


if __name__ == "__main__":
    main()
