"""Benchmark the service: suggestion latency (p50/p95) and throughput under concurrent load.

Starts ``bedplan serve``'s app on 127.0.0.1 (a free port; loopback only) in this process,
on the England instance (``instances/england``) imported into a fresh SQLite database (and,
with ``--postgres URL``, a PostgreSQL one), logs in a bed manager-like admin with a bearer
token and sends ``POST /api/suggestions`` for referrals of the census:

* ``sequential``: one client, one request at a time (latency without queueing);
* ``concurrent-N``: N client threads sharing a fixed number of requests (throughput, and
  latency with queueing);
* ``accept``: sequential accepts of different referrals into their first option (each is a
  write transaction plus an audit event);
* ``plan-job``: one plan job over several nights (``--plan-network``, ``all`` for all of
  England; ``--plan-nights``), from ``POST /api/jobs`` until it is done, and
  ``sequential-during-plan``: suggestions sent one at a time while that job runs in the
  server's worker thread (the latency a bed manager sees while a planner plans). The plan
  runs in a child process as the service runs it; ``--plan-ab`` runs it four times, in a
  child process and in the server's worker thread alternately (child, thread, thread,
  child: the choice ``Settings.isolate_plans`` makes, measured in one run).

Every suggestion also appends its audit event (a write), as in production. Request counts
and total time are bounded (``--requests``, ``--max-seconds``). For comparison the same
referrals go through :func:`optimiser.planning.suggest.suggest` in process (``engine``).

Writes ``benchmarks/results/service.csv``.

    /tmp/venv/bin/python benchmarks/bench_service.py
    /tmp/venv/bin/python benchmarks/bench_service.py --requests 200 --concurrency 1 4 8
    /tmp/venv/bin/python benchmarks/bench_service.py --plan-network all --plan-nights 28
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COLUMNS = ("db", "mode", "concurrency", "requests", "errors", "seconds", "throughput_rps",
           "p50_ms", "p95_ms", "max_ms")
PASSWORD = "benchmark password"


def _row(db: str, mode: str, conc: int, times: list[float], errors: int,
         seconds: float) -> dict[str, object]:
    a = np.array(times) * 1000 if times else np.array([np.nan])
    return {"db": db, "mode": mode, "concurrency": conc, "requests": len(times) + errors,
            "errors": errors, "seconds": round(seconds, 2),
            "throughput_rps": round(len(times) / seconds, 1) if seconds else "",
            "p50_ms": round(float(np.percentile(a, 50)), 1),
            "p95_ms": round(float(np.percentile(a, 95)), 1),
            "max_ms": round(float(a.max()), 1)}


def _load(url: str, headers: dict[str, str], ids: list[str], conc: int, requests: int,
          max_seconds: float) -> tuple[list[float], int, float]:
    import httpx

    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
            for k in counter:
                if time.monotonic() > deadline:
                    return
                t = time.perf_counter()
                r = c.post("/api/suggestions", json={"patient_id": ids[k % len(ids)]})
                dt = time.perf_counter() - t
                with lock:
                    if r.status_code == 200:
                        times.append(dt)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(conc)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors[0], time.perf_counter() - start


def bench(db_label: str, db_url: str | None, instance: Path, args: argparse.Namespace
          ) -> list[dict[str, object]]:
    import httpx

    from bedplan.service.app import Settings, create_app
    from bedplan.service.auth import add_user
    from bedplan.service.db import writing
    from bedplan.service.server import running

    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bedplan-bench-") as tmp:
        app = create_app(Settings(data_dir=Path(tmp), db_url=db_url, instance=instance,
                                  secret="bench"))
        with writing(app.state.bedplan.factory) as s:
            add_user(s, "bench", PASSWORD, "admin")
        _v, inst = app.state.bedplan.cache.get()
        ids = [p.patient_id for p in inst.patients if p.status == "referral"]
        random.Random(7).shuffle(ids)
        with running(app) as url:
            token = httpx.post(url + "/api/token", json={"username": "bench",
                                                         "password": PASSWORD}).json()
            headers = {"Authorization": "Bearer " + token["access_token"]}
            _load(url, headers, ids, 1, 10, 30)  # warm-up (road network, caches)
            for conc in args.concurrency:
                times, errors, seconds = _load(url, headers, ids, conc, args.requests,
                                               args.max_seconds)
                mode = "sequential" if conc == 1 else f"concurrent-{conc}"
                rows.append(_row(db_label, mode, conc, times, errors, seconds))
                print(rows[-1], flush=True)
            accepts: list[float] = []
            errors = 0
            start = time.perf_counter()
            with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
                for pid in ids[: args.accepts]:
                    s = c.post("/api/suggestions", json={"patient_id": pid}).json()
                    if not s["options"]:
                        continue
                    t = time.perf_counter()
                    r = c.post("/api/accept", json={
                        "patient_id": pid, "unit_id": s["options"][0]["unit_id"],
                        "suggestion_id": s["suggestion_id"], "reason": "benchmark"})
                    accepts.append(time.perf_counter() - t)
                    errors += r.status_code != 200
            rows.append(_row(db_label, "accept", 1, accepts, errors,
                             time.perf_counter() - start))
            print(rows[-1], flush=True)
            if args.plan_nights > 0:
                jobs = app.state.bedplan.jobs
                for isolate in (True, False, False, True) if args.plan_ab else (True,):
                    jobs._isolate_plans = isolate
                    rows += _plan_job(db_label, url, headers, ids, args,
                                      "child process" if isolate else "server thread")
        app.state.bedplan.engine.dispose()
    return rows


def _plan_job(db_label: str, url: str, headers: dict[str, str], ids: list[str],
              args: argparse.Namespace, where: str) -> list[dict[str, object]]:
    """One plan job, timed from submit to done, and suggestions sent while it runs."""
    import httpx

    body: dict[str, object] = {"kind": "plan", "nights": args.plan_nights}
    if args.plan_network != "all":
        body["network"] = args.plan_network
    label = f"plan-job ({args.plan_network}, {args.plan_nights} nights, {where})"
    times: list[float] = []
    errors = 0
    with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
        start = time.perf_counter()
        job = c.post("/api/jobs", json=body).json()
        k = 0
        while True:
            status = c.get(f"/api/jobs/{job['id']}").json()
            if status["status"] in ("done", "failed"):
                break
            if k < args.requests:
                t = time.perf_counter()
                r = c.post("/api/suggestions", json={"patient_id": ids[k % len(ids)]})
                if r.status_code == 200:
                    times.append(time.perf_counter() - t)
                else:
                    errors += 1
                k += 1
            else:
                time.sleep(0.2)
        seconds = time.perf_counter() - start
    failed = status["status"] != "done"
    summary = {} if failed else status["result"]["summary"]
    print(f"{label}: {status['status']}, {summary.get('status')}, {seconds:.1f} s", flush=True)
    rows = [_row(db_label, label, 1, [] if failed else [seconds], int(failed), seconds),
            _row(db_label, f"sequential-during-plan ({where})", 1, times, errors, seconds)]
    for r in rows:
        print(r, flush=True)
    return rows


def bench_engine(instance: Path, n: int) -> dict[str, object]:
    from models.io import read_instance
    from optimiser.planning.suggest import suggest

    inst = read_instance(instance)
    ids = [p.patient_id for p in inst.patients if p.status == "referral"]
    random.Random(7).shuffle(ids)
    suggest(inst, ids[0])  # warm-up
    times = []
    start = time.perf_counter()
    for pid in ids[:n]:
        t = time.perf_counter()
        suggest(inst, pid)
        times.append(time.perf_counter() - t)
    return _row("-", "engine (in process, no HTTP)", 1, times, 0, time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", type=Path, default=ROOT / "instances" / "england")
    ap.add_argument("--requests", type=int, default=300, help="per load level (bounded)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--accepts", type=int, default=30)
    ap.add_argument("--max-seconds", type=float, default=120.0, help="per load level")
    ap.add_argument("--plan-network", default="wy-secure",
                    help="collaborative of the plan job, or 'all' (all of England)")
    ap.add_argument("--plan-nights", type=int, default=28, help="0: no plan job")
    ap.add_argument("--plan-ab", action="store_true",
                    help="plan in a child process and in the server's thread, alternately")
    ap.add_argument("--postgres", default=None, metavar="URL",
                    help="also benchmark on this (empty) PostgreSQL database")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                    "service.csv")
    args = ap.parse_args()
    rows = [bench_engine(args.instance, 50)]
    print(rows[-1], flush=True)
    rows += bench("sqlite", None, args.instance, args)
    if args.postgres:
        rows += bench("postgresql", args.postgres, args.instance, args)
    from models.atomic import atomic_open

    with atomic_open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
