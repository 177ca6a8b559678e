"""Benchmark: all patient x unit road distances vs a plain NetworkX per-pair baseline.

    python benchmarks/bench_distances.py [--instance instances/england] [--pairs 300]
    python benchmarks/bench_distances.py --osm [--grid 700]

Also measures ``road_pairs`` (km for a sparse 10% of the pairs, as an allowed-pairs caller
would ask) against the full matrix in the same run. ``--osm`` instead times ``bedplan
geography from-osm`` on a synthetic extract written with pyosmium (a grid of streets, plus
footpaths and untagged nodes as real extracts have) and records its rate and peak memory
(``benchmarks/results/osm.csv``), from which docs/geography.md estimates England.

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
import itertools
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
OSM_RESULTS = ROOT / "benchmarks" / "results" / "osm.csv"


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
    ap.add_argument("--osm", action="store_true", help="time from-osm on a synthetic extract")
    ap.add_argument("--grid", type=int, default=400, help="--osm: streets per side")
    args = ap.parse_args()
    if args.osm:
        bench_osm(args.grid)
        return

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

    rng = np.random.default_rng(3)
    sparse = max(1, n * m // 10)  # a tenth of the pairs, as allowed pairs would be
    prow, pcol = rng.integers(0, n, sparse), rng.integers(0, m, sparse)
    geo._MEMO.clear()
    t0 = time.perf_counter()
    pair_km = geo.road_pairs(inst).km(prow, pcol)
    pairs_s = time.perf_counter() - t0
    geo._MEMO.clear()
    t0 = time.perf_counter()
    full = geo.road_matrix(inst, disk_cache=False)[prow, pcol]
    full_s = time.perf_counter() - t0
    pairs_equal = bool(np.array_equal(pair_km, full))

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
           "pairs_asked": sparse, "road_pairs_s": round(pairs_s, 4),
           "road_matrix_then_index_s": round(full_s, 4),
           "pairs_over_matrix": round(pairs_s / full_s, 3), "pairs_equal": pairs_equal,
           "nx_pairs_sampled": args.pairs, "nx_per_pair_ms": round(per_pair_s * 1000, 3),
           "nx_all_pairs_extrapolated_s": round(extrapolated_s, 1),
           "speedup": round(extrapolated_s / matrix_s, 1),
           "max_abs_diff_km": round(agree, 9), "python": platform.python_version(),
           "machine": platform.machine()}
    _append(RESULTS, row)


def _append(path: Path, row: dict[str, object]) -> None:
    old = pd.read_csv(path) if path.exists() else pd.DataFrame()
    table = pd.concat([old, pd.DataFrame([row])], ignore_index=True)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    atomic_write(path, buffer.getvalue())
    for k, v in row.items():
        print(f"{k:>28}: {v}")


def synthetic_extract(path: Path, grid: int, seed: int = 1) -> dict[str, int]:
    """A grid of ``grid`` x ``grid`` junctions 200 m apart: each street between two junctions
    bends through 3 shape nodes; every row and column is a way split every 2 junctions (9
    nodes a way; residential, every 10th row or column a primary); as many footpaths; and 6
    untagged nodes per road node (buildings, addresses: an England extract has roughly that
    many per node of a drivable road)."""
    import osmium
    from osmium.osm.mutable import Node, Way

    rng = np.random.default_rng(seed)
    step = 0.0018  # ~200 m in latitude
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    nid = 0
    counts = {"nodes": 0, "ways": 0, "road_nodes": 0}

    def node(lat: float, lon: float) -> int:
        nonlocal nid
        nid += 1
        writer.add_node(Node(id=nid, location=(lon, lat), tags={}))
        counts["nodes"] += 1
        return nid

    junction = np.zeros((grid, grid), dtype=np.int64)
    for i in range(grid):
        for j in range(grid):
            junction[i, j] = node(50.5 + i * step, -1.0 + j * step * 1.6)
    lines = []  # (street nodes in order, primary?)
    for axis in (0, 1):
        for k in range(grid):
            seq = [int(junction[k, t] if axis == 0 else junction[t, k]) for t in range(grid)]
            lines.append((seq, k % 10 == 0))
    shaped = []
    for seq, primary in lines:
        full = [seq[0]]
        for a, b in itertools.pairwise(seq):
            for f in (0.25, 0.5, 0.75):
                la = 50.5 + ((a - 1) // grid * (1 - f) + (b - 1) // grid * f) * step
                lo = -1.0 + ((a - 1) % grid * (1 - f) + (b - 1) % grid * f) * step * 1.6
                full.append(node(la + rng.normal(0, 1e-5), lo + rng.normal(0, 1e-5)))
            full.append(b)
        shaped.append((full, primary))
    counts["road_nodes"] = counts["nodes"]
    for _ in range(6 * counts["road_nodes"]):
        node(50.5 + rng.uniform(0, grid * step), -1.0 + rng.uniform(0, grid * step * 1.6))
    wid = 0
    for full, primary in shaped:
        for start in range(0, len(full) - 1, 8):  # 2 junctions x 4 segments per way
            wid += 1
            tags = {"highway": "primary" if primary else "residential", "name": f"S{wid}"}
            writer.add_way(Way(id=wid, nodes=full[start:start + 9], tags=tags))
            wid += 1
            writer.add_way(Way(id=wid, nodes=full[start:start + 41:4][:2],
                               tags={"highway": "footway"}))
    counts["ways"] = wid
    writer.close()
    return counts


def bench_osm(grid: int) -> None:
    """Time ``bedplan geography from-osm`` on a synthetic extract; record rate and memory."""
    import resource
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pbf = Path(tmp) / "synthetic.osm.pbf"
        t0 = time.perf_counter()
        counts = synthetic_extract(pbf, grid)
        write_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "bedplan", "geography", "from-osm",
                               str(pbf), "--out", str(Path(tmp) / "geo")], check=True,
                              capture_output=True, text=True, cwd=ROOT)
        run_s = time.perf_counter() - t0
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        places = len(pd.read_csv(Path(tmp) / "geo" / "places.csv"))
        links = len(pd.read_csv(Path(tmp) / "geo" / "links.csv"))
        size_mb = pbf.stat().st_size / 1e6
    row = {"date": dt.date.today().isoformat(), "grid": grid, "pbf_mb": round(size_mb, 1),
           "nodes": counts["nodes"], "road_nodes": counts["road_nodes"],
           "ways": counts["ways"], "places": places, "links": links,
           "write_extract_s": round(write_s, 1), "from_osm_s": round(run_s, 1),
           "nodes_per_s": round(counts["nodes"] / run_s), "ways_per_s": round(
               counts["ways"] / run_s), "mb_per_s": round(size_mb / run_s, 2),
           "peak_mib": round(peak_mib), "summary": done.stdout.strip().splitlines()[0],
           "python": platform.python_version(), "machine": platform.machine()}
    _append(OSM_RESULTS, row)


if __name__ == "__main__":
    main()
