"""Benchmark: all patient x unit road distances vs a plain NetworkX per-pair baseline.

    python benchmarks/bench_distances.py [--instance instances/england] [--pairs 300]

Without ``instances/england`` (or with ``--synthetic``) it builds a seeded synthetic England
instance: 9,400 patients living in postcode districts drawn in proportion to their number of
postcodes, 700 units at district centroids. The optimiser's path is one multi-source
scipy Dijkstra from the units' places; the baseline snaps the same way and then calls
``networkx.shortest_path_length`` per pair on a random sample, extrapolated to all pairs.
Both are measured in the same run; the result is appended to benchmarks/results/distances.csv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import platform
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.atomic import atomic_write  # noqa: E402
from models.domain import Instance, Patient, Unit  # noqa: E402
from models.postcodes import districts  # noqa: E402
from optimiser.geography import network as geo  # noqa: E402
from optimiser.geography.geodesic import geodesic_matrix  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "distances.csv"


def synthetic(n_patients: int = 9400, n_units: int = 700, seed: int = 1) -> Instance:
    rng = np.random.default_rng(seed)
    t = districts()
    t = t[t["country"] == "E"].reset_index(drop=True)
    weight = t["postcodes"].to_numpy(float) / t["postcodes"].sum()
    homes = rng.choice(len(t), size=n_patients, p=weight)
    sites = rng.choice(len(t), size=n_units, p=weight)
    jitter = rng.normal(0, 0.01, size=(n_units, 2))
    units = tuple(Unit(f"U{i}", "N", "adult_secure", "low", 10,
                       float(t.lat[s] + jitter[i, 0]), float(t.lon[s] + jitter[i, 1]))
                  for i, s in enumerate(sites))
    patients = tuple(Patient(f"P{i}", "referral", "adult_secure", "low", "male", 30,
                             float(t.lat[h]), float(t.lon[h]), "N")
                     for i, h in enumerate(homes))
    return Instance(units=units, patients=patients, source="synthetic")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", default=str(ROOT / "instances" / "england"))
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--pairs", type=int, default=300, help="baseline sample size")
    args = ap.parse_args()

    path = Path(args.instance)
    if not args.synthetic and (path / "units.csv").exists():
        from models.io import read_instance

        inst = read_instance(path)
        label = path.name
    else:
        inst = synthetic()
        label = "synthetic-9400x700"
    n, m = len(inst.patients), len(inst.units)

    t0 = time.perf_counter()
    net = geo.builtin_network()
    load_s = time.perf_counter() - t0

    geo._MEMO.clear()
    t0 = time.perf_counter()
    road = geo.road_matrix(inst, disk_cache=False)
    matrix_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    geo.road_matrix(inst, disk_cache=False)
    cached_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    geodesic_matrix(inst)
    geodesic_s = time.perf_counter() - t0

    rng = np.random.default_rng(2)
    rows, cols = rng.integers(0, n, args.pairs), rng.integers(0, m, args.pairs)
    homes = np.array([(inst.patients[i].home_lat, inst.patients[i].home_lon) for i in rows])
    sites = np.array([(inst.units[j].lat, inst.units[j].lon) for j in cols])
    t0 = time.perf_counter()
    g = net.graph  # the NetworkX graph, built on first use
    graph_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    hi, hk = geo.snap(net, homes[:, 0], homes[:, 1])
    ui, uk = geo.snap(net, sites[:, 0], sites[:, 1])
    baseline = np.array([hk[k] + uk[k] + nx.shortest_path_length(
        g, net.place_ids[hi[k]], net.place_ids[ui[k]], weight="km") for k in range(args.pairs)])
    per_pair_s = (time.perf_counter() - t0) / args.pairs
    agree = float(np.max(np.abs(baseline - road[rows, cols])))
    extrapolated_s = per_pair_s * n * m

    row = {"date": dt.date.today().isoformat(), "instance": label, "patients": n,
           "units": m, "distinct_homes": len({(p.home_lat, p.home_lon) for p in inst.patients}),
           "places": len(net), "links": len(net.links),
           "network_load_s": round(load_s, 3), "road_matrix_s": round(matrix_s, 3),
           "road_matrix_cached_s": round(cached_s, 4), "nx_graph_build_s": round(graph_s, 3),
           "geodesic_matrix_s": round(geodesic_s, 3),
           "nx_pairs_sampled": args.pairs, "nx_per_pair_ms": round(per_pair_s * 1000, 3),
           "nx_all_pairs_extrapolated_s": round(extrapolated_s, 1),
           "speedup": round(extrapolated_s / matrix_s, 1),
           "max_abs_diff_km": round(agree, 9), "python": platform.python_version(),
           "machine": platform.machine()}
    old = pd.read_csv(RESULTS) if RESULTS.exists() else pd.DataFrame()
    table = pd.concat([old, pd.DataFrame([row])], ignore_index=True)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    atomic_write(RESULTS, buffer.getvalue())
    for k, v in row.items():
        print(f"{k:>28}: {v}")


if __name__ == "__main__":
    main()
