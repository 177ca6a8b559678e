"""This version of ``bedplan reallocate`` against an earlier commit's, on the earlier commit's
own England instance, in one run: the same plan, and no slower (issue 11's "no change of
behaviour").

The earlier commit is checked out with ``git worktree`` into a temporary folder and run with
this environment's Python (its code, not this one's, on ``PYTHONPATH``); both run as fresh
processes, alternately, ``--repeat`` times. Geodesic distances by default: the road network's
data have changed since (new roads), and the question is the code. The row records the
median seconds of each, ``ratio`` = this / earlier, and whether assignments.csv and
transfers.csv are byte-identical.

    .venv/bin/python benchmarks/bench_against_commit.py --commit 78842c3 --repeat 5
    .venv/bin/python benchmarks/bench_against_commit.py --commit 78842c3 -- --max-moves 50

Appends to ``benchmarks/results/against_commit.csv``.
"""

from __future__ import annotations

import argparse
import filecmp
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

COLUMNS = ("commit", "instance", "distance", "flags", "earlier_s", "this_s", "ratio",
           "same_assignments", "same_transfers", "repeats", "cpu_count", "loadavg_1m")
RUNNER = "import sys; from bedplan.cli import main; sys.argv[0] = 'bedplan'; main()"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--commit", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--distance", default="geodesic")
    ap.add_argument("flags", nargs="*", help="more reallocate flags, after --")
    ap.add_argument("--out", type=Path,
                    default=ROOT / "benchmarks" / "results" / "against_commit.csv")
    args = ap.parse_args()

    def measure() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as tmp:
            old = Path(tmp) / "earlier"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach",
                            str(old), args.commit], check=True)
            try:
                instance = old / "instances" / "england"
                common = [str(instance), "--distance", args.distance, *args.flags]
                runs = {
                    "earlier": ([sys.executable, "-c", RUNNER, "reallocate", *common, "--out",
                                 str(Path(tmp) / "a")], {"PYTHONPATH": str(old)}, old),
                    "this": ([str(Path(sys.executable).with_name("bedplan")), "reallocate",
                              *common, "--out", str(Path(tmp) / "b")], {}, ROOT),
                }
                seconds: dict[str, list[float]] = {k: [] for k in runs}
                for k in range(args.repeat):
                    for who in (["earlier", "this"] if k % 2 == 0 else ["this", "earlier"]):
                        cmd, env, cwd = runs[who]
                        start = time.perf_counter()
                        subprocess.run(cmd, cwd=cwd, env={**os.environ, **env},
                                       capture_output=True, check=True)
                        seconds[who].append(time.perf_counter() - start)
                a = Path(tmp) / "a"
                b = Path(tmp) / "b"
                same = {name: filecmp.cmp(a / name, b / name, shallow=False)
                        for name in ("assignments.csv", "transfers.csv")}
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(old)], check=False)
        e, t = statistics.median(seconds["earlier"]), statistics.median(seconds["this"])
        return {"commit": args.commit, "instance": "england (of that commit)",
                "distance": args.distance, "flags": " ".join(args.flags),
                "earlier_s": round(e, 3), "this_s": round(t, 3), "ratio": round(t / e, 3),
                "same_assignments": same["assignments.csv"],
                "same_transfers": same["transfers.csv"], "repeats": args.repeat,
                "cpu_count": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2)}

    append_rows(args.out, COLUMNS, [measure])


if __name__ == "__main__":
    main()
