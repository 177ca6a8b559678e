"""A plan over the coming nights (``bedplan plan``) as a service job, and what the planner
page shows of it.

The job runs the command's own pieces on the census snapshot: the collaborative's part of
the census (:func:`optimiser.planning.subset.restrict_to_network`, as ``--network``), the
exact plan (:func:`optimiser.planning.plan.plan`), each night's ordered steps
(:func:`~optimiser.planning.plan.schedule`), the figures of every night
(:func:`~optimiser.planning.plan.plan_nights`) and the four files of the contract
(:func:`optimiser.planning.planfiles.write_plan`) under ``DATA_DIR/jobs/<id>/``. The km come
from the census's matrix the service already holds when it is ready (rows and columns of the
collaborative's patients and units; the same numbers), else are computed.

The service runs each plan in a child process of its own (:func:`run_plan_isolated`;
``Settings.isolate_plans``), which sends its progress lines and its result back through a
pipe: stopping the server kills it at once (:func:`stop_plans`) instead of waiting minutes for
an England plan; a plan that exhausts memory (England, 28 nights: ~2.2 GiB) ends its own
process, not the server's; its memory goes back to the system when it ends. (It does not
change suggestion latency either way: ``bench_service.py --plan-ab``.) A child that dies
fails the job with a plain message.

What the page shows is grouped here, once, as plain JSON (:func:`plan_view`): the summary,
every night (out-of-area patients, referrals waiting, moves, admissions, discharges), each
week (patients brought home, moves, admissions) and the schedule week by week. "Brought
home" counts as ``summary.json``'s ``brought_home`` does: a move from a ward outside the
patient's home collaborative into one inside it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.domain import Instance
from models.errors import InputError
from optimiser.core.planresult import PlanResult

log = logging.getLogger(__name__)
#: Plan children running now (see :func:`stop_plans`).
_LIVE: set[Any] = set()
_LOCK = threading.Lock()

#: Steps of the schedule carried in a job's JSON (the page); schedule.csv has them all.
SCHEDULE_SHOWN = 5000
WEEK = 7


def plan_scope(instance: Instance, network: str | None) -> Instance:
    """The census a plan looks at: one collaborative's part (as ``--network``), or all."""
    if network is None:
        return instance
    from optimiser.planning.subset import restrict_to_network

    return restrict_to_network(instance, network)


def check_plan(instance: Instance, network: str | None, start: dt.date, nights: int) -> None:
    """Raise the InputError the job would raise (e.g. an ``expected_discharge`` on or before
    ``start``), so that the request is answered 422 at once instead of a failed job."""
    from optimiser.core.plantable import horizon

    horizon(plan_scope(instance, network), start, nights)


def scope_distances(census: Instance, scope: Instance,
                    full: np.ndarray | None) -> np.ndarray | None:
    """The scope's km, cut from the census's matrix ``full`` (patients × units of
    ``census``); None without it."""
    if full is None:
        return None
    rows = census.patient_index()
    cols = census.unit_index()
    pi = np.fromiter((rows[p.patient_id] for p in scope.patients), np.int64,
                     count=len(scope.patients))
    uj = np.fromiter((cols[u.unit_id] for u in scope.units), np.int64, count=len(scope.units))
    return np.asarray(full, dtype=float)[np.ix_(pi, uj)]


def run_plan_job(census: Instance, out: Path, *, start: dt.date, nights: int,
                 network: str | None, progress: Callable[[str], None],
                 full_distances: np.ndarray | None = None,
                 policy_instance: Instance | None = None) -> dict[str, Any]:
    """Plan, schedule, write the files; the job's JSON result (:func:`plan_view`).

    ``census`` is the snapshot the census matrix ``full_distances`` belongs to;
    ``policy_instance`` the same census under the job's policy overrides (default: census).
    """
    from optimiser.geography.distances import distance_matrix
    from optimiser.planning.planfiles import summary_dict
    from optimiser.planning.planrun import plan_instance
    from optimiser.planning.run import PhaseClock

    clock = PhaseClock(lambda e: progress(f"{e.phase}: {e.message}"))
    base = policy_instance or census
    with clock.phase("scope") as note:
        scope = plan_scope(base, network)
        note.append(f"{network or 'all collaboratives'}: {len(scope.patients):,} patients, "
                    f"{len(scope.units):,} units")
    with clock.phase("distances") as note:
        same_mode = base.policy.distance == census.policy.distance
        km = scope_distances(census, scope, full_distances if same_mode else None)
        note.append("from the census's matrix" if km is not None else "computed")
        if km is None:
            km = distance_matrix(scope)
    outcome = plan_instance(scope, out, start=start, nights=nights, distances=km, clock=clock)
    result, per_night, steps = outcome.result, outcome.nights, outcome.steps
    summary = summary_dict(scope, result, per_night, clock.timings)
    view = plan_view(scope, result, per_night, steps)
    return {"summary": summary, "network": network, **view,
            "exit_code": outcome.exit_code}


def run_plan_isolated(census: Instance, out: Path, *, start: dt.date, nights: int,
                      network: str | None, progress: Callable[[str], None],
                      full_distances: np.ndarray | None = None,
                      policy_instance: Instance | None = None) -> dict[str, Any]:
    """:func:`run_plan_job` in a child process (spawned: no copy of the server's threads or
    connections), same arguments, same result; its InputError is raised here again."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, name="bedplan-plan", daemon=True, args=(
        send, census, out, start, nights, network, full_distances, policy_instance))
    with _LOCK:
        child.start()
        _LIVE.add(child)
    send.close()  # the child holds the only sending end: its death ends recv() below
    try:
        while True:
            try:
                kind, payload = receive.recv()
            except EOFError:
                child.join(5)
                raise PlanChildDied(child.exitcode) from None
            if kind == "progress":
                progress(payload)
            elif kind == "done":
                return dict(payload)
            elif kind == "input":
                raise InputError(list(payload))
            else:
                log.error("plan child failed:\n%s", payload)
                raise RuntimeError("the plan failed in its child process")
    finally:
        receive.close()
        child.join(5)
        if child.is_alive():
            child.kill()
        with _LOCK:
            _LIVE.discard(child)


def stop_plans() -> int:
    """Kill every plan child still running (the server is stopping: a plan of all of
    England would otherwise keep it from stopping for minutes); how many were killed."""
    with _LOCK:
        live = [c for c in _LIVE if c.is_alive()]
    for child in live:
        child.kill()
    return len(live)


class PlanChildDied(Exception):
    """The plan's child process ended without an answer (killed, e.g. for memory, or by
    :func:`stop_plans`)."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"the plan's process stopped (exit code {exitcode}) before it "
                         "finished: perhaps out of memory; plan fewer nights or one "
                         "collaborative")


def _child(send: Any, census: Instance, out: Path, start: dt.date, nights: int,
           network: str | None, full: np.ndarray | None,
           policy_instance: Instance | None) -> None:
    """The child's side: run the job, send progress lines and then one answer."""
    try:
        result = run_plan_job(census, out, start=start, nights=nights, network=network,
                              progress=lambda m: send.send(("progress", m)),
                              full_distances=full, policy_instance=policy_instance)
        send.send(("done", result))
    except InputError as exc:
        send.send(("input", exc.problems))
    except BaseException:  # the parent logs it; the user sees no internals
        send.send(("error", traceback.format_exc()))
    finally:
        send.close()


def _km(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 3)


def plan_view(scope: Instance, result: PlanResult, nights: Sequence[Any],
              steps: Sequence[Any]) -> dict[str, Any]:
    """What the planner page shows: ``nights`` (one entry per night), ``weeks`` (weeks of
    seven nights from the start: patients brought home as the plan report counts them,
    moves, admissions, discharges, and the out-of-area patients and waiting referrals of the
    week's last night), ``schedule`` (the steps, at most :data:`SCHEDULE_SHOWN`, each with
    its week, the patient's home collaborative and whether the step brings them home) and
    ``units`` (name and collaborative of every ward the schedule names)."""
    from optimiser.planning.plan import brought_home
    from optimiser.report.plan import brought_home_by_week

    units = {u.unit_id: u for u in scope.units}
    home = {p.patient_id: p.home_network_id for p in scope.patients}
    rows = result.rows if result.has_plan else ()
    home_coming = {pid: unit for pid, (_, unit) in brought_home(scope, result).items()}
    by_week = brought_home_by_week(scope, result) if rows else []
    weeks = []
    for w in range(1, -(-len(nights) // WEEK) + 1):
        inside = [x for x in nights if (x.night - 1) // WEEK + 1 == w]
        weeks.append({
            "week": w, "first_night": inside[0].night, "last_night": inside[-1].night,
            "from": inside[0].date.isoformat(), "to": inside[-1].date.isoformat(),
            "brought_home": by_week[w - 1] if w <= len(by_week) else 0,
            "moves": sum(x.moves for x in inside),
            "admissions": sum(x.admissions for x in inside),
            "discharges": sum(x.discharges for x in inside),
            "out_of_area": inside[-1].out_of_area, "waiting": inside[-1].waiting})
    shown = [{"week": (s.night - 1) // WEEK + 1, "night": s.night, "date": s.date.isoformat(),
              "step": s.step, "patient_id": s.patient_id,
              "home_network_id": home.get(s.patient_id), "kind": s.kind,
              "from": s.from_unit_id, "to": s.to_unit_id, "km_before": _km(s.km_before),
              "km_after": _km(s.km_after), "cycle": s.cycle,
              "brought_home": s.kind == "move" and s.to_unit_id is not None
              and home_coming.get(s.patient_id) == s.to_unit_id}
             for s in steps[:SCHEDULE_SHOWN]]
    named = {uid for s in shown for uid in (s["from"], s["to"]) if uid}
    return {
        "nights": [{"night": x.night, "date": x.date.isoformat(), "present": x.present,
                    "moves": x.moves, "admissions": x.admissions, "discharges": x.discharges,
                    "waiting": x.waiting, "out_of_area": x.out_of_area,
                    "total_km": _km(x.total_km), "cost_per_day": round(x.cost_per_day, 2)}
                   for x in nights],
        "weeks": weeks, "schedule": shown, "schedule_total": len(steps),
        "units": {uid: {"name": units[uid].name, "network_id": units[uid].network_id}
                  for uid in sorted(named) if uid in units}}
