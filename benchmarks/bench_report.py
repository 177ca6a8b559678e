"""Benchmark the report of ``bedplan reallocate --report``: the run's distances against new ones.

After a run, the report needs tonight's km of every inpatient (before the plan). Without
``distances`` :func:`optimiser.report.html.write_report` computes the whole patients × units
matrix again (the ``old`` path: what ``bedplan reallocate --report`` did); with the run's
own matrix (``RunOutcome.distances``) it computes nothing (the ``new`` path). Both run in
the same process right after the same run, as in the command line (for road km the old
path then finds the matrix in :mod:`optimiser.geography.network`'s in-process cache). The two
reports are compared (page with folium's random element ids masked, charts byte for byte):
column ``identical``. ``distances_s`` is one distance matrix alone, ``run_s`` the run
(distances, solve, transfers, outputs) for scale.

    /tmp/venv/bin/python benchmarks/bench_report.py
    /tmp/venv/bin/python benchmarks/bench_report.py --sizes 3000 --no-england

Appends to ``benchmarks/results/report.csv``.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _results import append_rows  # noqa: E402

from models.domain import Instance  # noqa: E402

COLUMNS = ("instance", "patients", "units", "distance", "run_s", "distances_s", "old_s",
           "new_s", "saved_s", "speedup", "identical", "repeats", "cpu_count", "loadavg_1m")
FOLIUM_ID = re.compile(r"_[0-9a-f]{32}")


def _same(a: Path, b: Path) -> bool:
    """The two report directories hold the same report (folium ids aside)."""
    page = [FOLIUM_ID.sub("_", (d / "report.html").read_text()) for d in (a, b)]
    charts = sorted(p.name for p in (a / "charts").iterdir())
    return page[0] == page[1] and all(
        (a / "charts" / n).read_bytes() == (b / "charts" / n).read_bytes() for n in charts)


def bench_case(name: str, instance: Instance, repeats: int, work: Path) -> dict[str, Any]:
    from optimiser.geography.distances import distance_matrix
    from optimiser.planning.run import run_instance
    from optimiser.report.html import write_report

    t = time.perf_counter()
    outcome = run_instance(instance, work / "run")
    run_s = time.perf_counter() - t
    t = time.perf_counter()
    distance_matrix(instance)
    distances_s = time.perf_counter() - t
    write_report(work / "warm", outcome.instance, outcome.result)  # imports, fonts
    olds, news = [], []
    for r in range(repeats):  # alternate the order: neither side always runs first
        for side in (("old", "new") if r % 2 == 0 else ("new", "old")):
            t = time.perf_counter()
            if side == "old":
                write_report(work / "old", outcome.instance, outcome.result)
                olds.append(time.perf_counter() - t)
            else:
                write_report(work / "new", outcome.instance, outcome.result,
                             distances=outcome.distances)
                news.append(time.perf_counter() - t)
    old_s, new_s = statistics.median(olds), statistics.median(news)
    return {
        "instance": name, "patients": len(instance.patients), "units": len(instance.units),
        "distance": instance.policy.distance, "run_s": round(run_s, 3),
        "distances_s": round(distances_s, 3), "old_s": round(old_s, 3),
        "new_s": round(new_s, 3), "saved_s": round(old_s - new_s, 3),
        "speedup": round(old_s / new_s, 2),
        "identical": str(_same(work / "old", work / "new")).lower(), "repeats": repeats,
        "cpu_count": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3000,10000", help="generated instance sizes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-england", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/report.csv")
    args = parser.parse_args(argv)

    from models.generate import generate_instance

    cases: list[tuple[str, Instance]] = [
        (f"generated-{n}", generate_instance(1, n, max(1, n // 20), distance="geodesic"))
        for n in (int(s) for s in args.sizes.split(",") if s)]
    england = ROOT / "instances" / "england"
    if not args.no_england and (england / "units.csv").is_file():
        from dataclasses import replace

        from models.io import read_instance

        road = read_instance(england)
        cases.append(("england", road))
        cases.append(("england", replace(road, policy=replace(road.policy,
                                                              distance="geodesic"))))
    with tempfile.TemporaryDirectory() as tmp:
        append_rows(args.out, COLUMNS, [
            functools.partial(bench_case, name, inst, args.repeat, Path(tmp) / str(k))
            for k, (name, inst) in enumerate(cases)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
