"""Benchmark ``bedplan bed-values --how resolve``: one shared cost table against one per solve.

``--how resolve`` re-solves the instance once per unit with one more bed (and once with one
fewer where the unit is full). The cost table (compatibility, km, costs of every allowed
option) does not depend on the beds, so :func:`optimiser.planning.bedvalues.bed_values` builds it
once and changes only the capacities. The reference, measured in the same run on the same
distance matrix, is what it did before: one :func:`optimiser.core.solve.solve` of the changed
instance per re-solve (cost table rebuilt each time). Both give the same values (checked
exactly, column ``identical``).

Cases: generated instances (``models.generate``, seed 1, one ward per 20 patients, geodesic
km) and ``instances/england`` (road km), each with ``max_moves = 50`` /
``max_admissions_per_unit = 2`` (the pricing path: why ``--how resolve`` exists) and
without limits (the min-cost-flow path, where the table is a larger share of a solve).
``--units K`` values K units spread over the instance (all when K ≥ the number of units;
England with limits: K / 2, its solves take ~2 s). Timings are medians of ``--repeat``
runs, old and new alternating.

    /tmp/venv/bin/python benchmarks/bench_bedvalues.py
    /tmp/venv/bin/python benchmarks/bench_bedvalues.py --no-england --units 10

Appends to ``benchmarks/results/bedvalues.csv``.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _results import append_rows  # noqa: E402

from models.domain import Instance, Limits  # noqa: E402

COLUMNS = ("instance", "patients", "units", "units_valued", "limits", "path", "resolves",
           "table_s", "one_solve_s", "old_s", "new_s", "speedup", "old_per_resolve_s",
           "new_per_resolve_s", "identical", "repeats", "cpu_count", "loadavg_1m")


def _with_limits(instance: Instance, limited: bool) -> Instance:
    limits = Limits(max_moves=50, max_admissions_per_unit=2) if limited else Limits()
    return replace(instance, policy=replace(instance.policy, limits=limits))


def _spread(instance: Instance, k: int) -> list[str]:
    ids = [u.unit_id for u in instance.units]
    if k >= len(ids):
        return ids
    return [ids[int(i)] for i in np.linspace(0, len(ids) - 1, k).round()]


def old_values(instance: Instance, km: np.ndarray, wanted: list[str]
               ) -> dict[str, tuple[float, float | None]]:
    """The previous implementation: one full ``solve`` per re-solve (table rebuilt)."""
    from optimiser.core.result import INFEASIBLE
    from optimiser.core.solve import solve
    from optimiser.planning.bedvalues import with_open_beds

    base = solve(instance, distances=km)
    assert base.objective is not None
    used: dict[str | None, int] = {}
    for a in base.assignments:
        if a.action != "unplaced":
            used[a.unit_id] = used.get(a.unit_id, 0) + 1
    index = instance.unit_index()

    def objective(j: int, delta: int) -> float:
        units = list(instance.units)
        units[j] = with_open_beds(units[j], delta)
        r = solve(replace(instance, units=tuple(units)), distances=km)
        if r.status == INFEASIBLE:
            return math.inf
        assert r.objective is not None
        return r.objective

    out: dict[str, tuple[float, float | None]] = {}
    for uid in wanted:
        j = index[uid]
        u = instance.units[j]
        more = max(0.0, base.objective - objective(j, +1))
        fewer: float | None = 0.0
        if u.open_beds <= 0:
            fewer = None
        elif used.get(uid, 0) >= u.open_beds:
            after = objective(j, -1)
            fewer = None if math.isinf(after) else max(0.0, after - base.objective)
        out[uid] = (more, fewer)
    return out


def bench_case(name: str, instance: Instance, km: np.ndarray, k: int, repeats: int
               ) -> dict[str, Any]:
    from optimiser.core.costs import build_cost_table
    from optimiser.core.solve import solve
    from optimiser.planning.bedvalues import bed_values

    wanted = _spread(instance, k)
    one = solve(instance, distances=km)  # also warms the solver libraries
    t = time.perf_counter()
    solve(instance, distances=km)
    one_s = time.perf_counter() - t
    t = time.perf_counter()
    build_cost_table(instance, km)
    table_s = time.perf_counter() - t
    olds, news = [], []
    old: dict[str, tuple[float, float | None]] = {}
    new: dict[str, tuple[float, float | None]] = {}
    for r in range(repeats):  # alternate the order: neither side always runs first
        for side in (("old", "new") if r % 2 == 0 else ("new", "old")):
            t = time.perf_counter()
            if side == "old":
                old = old_values(instance, km, wanted)
                olds.append(time.perf_counter() - t)
            else:
                bv = bed_values(instance, distances=km, method="resolve", units=wanted)
                news.append(time.perf_counter() - t)
                new = {v.unit_id: (v.one_more, v.one_fewer) for v in bv.values}
    used = Counter(a.unit_id for a in one.assignments if a.action != "unplaced")
    index = instance.unit_index()  # +1 for every unit, −1 for the full ones
    resolves = len(wanted) + sum(0 < instance.units[index[uid]].open_beds <= used[uid]
                                 for uid in wanted)
    old_s, new_s = statistics.median(olds), statistics.median(news)
    limits = instance.policy.limits
    return {
        "instance": name, "patients": len(instance.patients), "units": len(instance.units),
        "units_valued": len(wanted),
        "limits": "none" if limits.max_moves is None else
        f"{limits.max_moves}/{limits.max_admissions_per_unit}",
        "path": one.method, "resolves": resolves, "table_s": round(table_s, 4),
        "one_solve_s": round(one_s, 4), "old_s": round(old_s, 3), "new_s": round(new_s, 3),
        "speedup": round(old_s / new_s, 2),
        "old_per_resolve_s": round(old_s / (resolves + 1), 4),
        "new_per_resolve_s": round(new_s / (resolves + 1), 4),
        "identical": str(old == new).lower(), "repeats": repeats,
        "cpu_count": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000", help="generated instance sizes")
    parser.add_argument("--units", type=int, default=20, help="units valued per case")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-england", action="store_true")
    parser.add_argument("--no-generated", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/bedvalues.csv")
    args = parser.parse_args(argv)

    from models.generate import generate_instance
    from optimiser.geography.distances import distance_matrix

    cases: list[tuple[str, Instance, np.ndarray, int, int]] = []
    sizes = [] if args.no_generated else [int(s) for s in args.sizes.split(",") if s]
    for n in sizes:
        inst = generate_instance(1, n, max(1, n // 20), distance="geodesic")
        km = distance_matrix(inst, "geodesic")
        for limited in (False, True):
            cases.append((f"generated-{n}", _with_limits(inst, limited), km, args.units,
                          args.repeat))
    england = ROOT / "instances" / "england"
    if not args.no_england and (england / "units.csv").is_file():
        from models.io import read_instance

        inst = read_instance(england)
        km = distance_matrix(inst, inst.policy.distance)
        for limited in (False, True):
            cases.append(("england", _with_limits(inst, limited), km,
                          args.units if not limited else max(1, args.units // 2),
                          args.repeat))
    append_rows(args.out, COLUMNS, [functools.partial(bench_case, *case) for case in cases])
    return 0


if __name__ == "__main__":
    sys.exit(main())
