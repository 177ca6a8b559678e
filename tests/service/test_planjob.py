"""A plan over several nights as a service job (issue 13): the worked example gives the
command line's plan and files, the figures the planner page shows are right by hand, and
bad horizons are 422 before any job runs.

The worked example (instances/examples/plan-home-ward/README.md): P, from Leeds, in London
(N2) moves home to H on night 3 when X leaves; R is admitted to S on night 5, when it
arrives; optimum 679.835.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from .conftest import PLAN_EXAMPLE, bearer, make_app, wait_job, write_census

START = dt.date(2026, 12, 7)


@pytest.fixture
def plan_client(plan_app):
    from fastapi.testclient import TestClient

    with TestClient(plan_app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def example():
    from models.io import read_instance

    return read_instance(PLAN_EXAMPLE)


# ------------------------------------------------------------------ over the API


def test_a_plan_job_is_the_commands_plan(plan_client, tmp_path):
    """Defaults from the census policy's [plan]; the files are byte for byte those of
    ``bedplan plan``; the page's figures by hand."""
    from optimiser.planning.planrun import run_plan

    h = bearer(plan_client, "admin")
    r = plan_client.post("/api/jobs", headers=h, json={"kind": "plan"})
    assert r.status_code == 202, r.text
    assert (r.json()["params"]["start"], r.json()["params"]["nights"]) == ("2026-12-07", 7)
    job = wait_job(plan_client, h, r.json()["id"])
    assert job["status"] == "done", job
    res = job["result"]
    expected = json.loads((PLAN_EXAMPLE / "expected-plan.json").read_text())
    assert res["summary"]["status"] == "optimal" and res["exit_code"] == 0
    assert res["summary"]["objective"] == pytest.approx(expected["objective"], abs=1e-3)
    assert [n["out_of_area"] for n in res["nights"]] == [1, 1, 0, 0, 0, 0, 0]
    assert [n["waiting"] for n in res["nights"]] == [0] * 7
    assert [(w["week"], w["from"], w["to"], w["brought_home"], w["moves"], w["admissions"])
            for w in res["weeks"]] == [(1, "2026-12-07", "2026-12-13", 1, 1, 1)]
    assert sum(w["brought_home"] for w in res["weeks"]) == res["summary"]["metrics"][
        "brought_home"]
    assert [(s["night"], s["patient_id"], s["kind"], s["from"], s["to"], s["brought_home"])
            for s in res["schedule"]] == [(3, "P", "move", "F", "H", True),
                                          (5, "R", "admit", None, "S", False)]
    assert res["schedule_total"] == 2
    assert res["units"]["H"] == {"name": "Home ward (Leeds)", "network_id": "N1"}
    assert run_plan(PLAN_EXAMPLE, tmp_path / "cli").exit_code == 0
    for name in ("plan.csv", "nights.csv", "schedule.csv"):
        got = plan_client.get(f"/api/jobs/{job['id']}/files/{name}", headers=h)
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
        assert got.text == (tmp_path / "cli" / name).read_text(), name


def test_a_plan_counts_the_referrals_waiting_every_night(client, as_user):
    """conftest's census: 11 referrals, 3 usable free beds (LEEDSF is a women's ward):
    3 admitted on night 1, 8 waiting on every night."""
    h = as_user("admin")
    r = client.post("/api/jobs", headers=h, json={"kind": "plan", "nights": 3,
                                                 "start": "2026-12-07"})
    job = wait_job(client, h, r.json()["id"])
    assert job["status"] == "done", job
    res = job["result"]
    assert [n["waiting"] for n in res["nights"]] == [8, 8, 8]
    assert [n["admissions"] for n in res["nights"]] == [3, 0, 0]
    assert res["summary"]["metrics"]["unplaced"] == 8
    assert [s["kind"] for s in res["schedule"]] == ["admit"] * 3


def test_a_plan_reports_its_progress_by_phase(client, as_user, monkeypatch):
    from bedplan.service import jobs

    seen: list[str] = []
    real = jobs.JobRunner._set

    def spy(self, job_id, **values):
        if "progress" in values:
            seen.append(values["progress"])
        real(self, job_id, **values)

    monkeypatch.setattr(jobs, "_PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(jobs.JobRunner, "_set", spy)
    h = as_user("plan")
    r = client.post("/api/jobs", headers=h, json={"kind": "plan", "nights": 2,
                                                 "network": "north"})
    assert wait_job(client, h, r.json()["id"])["status"] == "done"
    phases = [m.split(":")[0] for m in seen]
    for phase in ("scope", "distances", "solve", "schedule", "write"):
        assert phase in phases, seen
    assert seen[-1] == "done"


@pytest.mark.parametrize(("body", "words"), [
    ({"nights": 0}, "nights"),
    ({"nights": 92}, "nights"),
    ({"nights": "many"}, "nights"),
    ({"nights": 2.5}, "nights"),
    ({"nights": True}, "nights"),
    ({"nights": "3"}, "nights"),
    ({"start": "2026-12-07T00:00:00"}, "YYYY-MM-DD"),
    ({"start": "2026-02-30"}, "start"),
    ({"start": "07/12/2026"}, "start"),
    ({"start": 1796601600}, "YYYY-MM-DD"),
    ({"start": "1999-12-31"}, "2000-01-01"),
    ({"start": "2100-01-01"}, "2099-12-31"),
])
def test_a_bad_horizon_is_422(client, as_user, body, words):
    r = client.post("/api/jobs", headers=as_user("admin"), json={"kind": "plan", **body})
    assert r.status_code == 422 and words in r.text, r.text
    assert client.get("/api/jobs", headers=as_user("admin")).json()["jobs"] == []


@pytest.mark.parametrize("nights", [1, 91])
def test_the_bounds_of_nights_are_accepted(client, as_user, nights):
    h = as_user("admin")
    r = client.post("/api/jobs", headers=h, json={"kind": "plan", "nights": nights,
                                                 "start": "2026-12-07"})
    assert r.status_code == 202, r.text
    job = wait_job(client, h, r.json()["id"])
    assert job["status"] == "done" and len(job["result"]["nights"]) == nights


@pytest.mark.parametrize("kind", ["reallocate", "scenario"])
def test_start_and_nights_are_for_plans_only(client, as_user, kind):
    r = client.post("/api/jobs", headers=as_user("admin"),
                    json={"kind": kind, "nights": 3, "changes": "[[set]]\nunit_id = \"YORK\""
                          "\nbeds = 3\n" if kind == "scenario" else None})
    assert r.status_code == 422 and "kind=plan only" in r.text


def test_a_start_on_a_discharge_date_is_422_naming_the_patient(plan_client):
    """X leaves on 9 December: a plan cannot start that night (contract 1.2)."""
    h = bearer(plan_client, "admin")
    r = plan_client.post("/api/jobs", headers=h, json={"kind": "plan", "start": "2026-12-09"})
    assert r.status_code == 422 and "expected_discharge" in r.text, r.text
    assert any("X" in p for p in r.json()["problems"])


def test_a_start_before_every_discharge_is_accepted(plan_client):
    h = bearer(plan_client, "admin")
    r = plan_client.post("/api/jobs", headers=h, json={"kind": "plan", "start": "2026-12-08"})
    assert r.status_code == 202, r.text
    assert wait_job(plan_client, h, r.json()["id"])["status"] == "done"


def test_a_policy_horizon_beyond_the_bound_needs_nights(tmp_path):
    from fastapi.testclient import TestClient

    d = write_census(tmp_path / "instance")
    (d / "policy.toml").write_text('distance = "geodesic"\n[plan]\nnights = 365\n')
    with TestClient(make_app(tmp_path, d), raise_server_exceptions=False) as client:
        h = bearer(client, "admin")
        r = client.post("/api/jobs", headers=h, json={"kind": "plan"})
        assert r.status_code == 422 and "give nights" in r.text, r.text
        r = client.post("/api/jobs", headers=h, json={"kind": "plan", "nights": 2})
        assert r.status_code == 202, r.text
        assert wait_job(client, h, r.json()["id"])["status"] == "done"


# ------------------------------------------------------------------ the job's pieces


def test_the_census_matrix_cut_to_a_collaborative_is_its_own(example):
    from bedplan.service.planjob import plan_scope, scope_distances
    from optimiser.geography.distances import distance_matrix

    scope = plan_scope(example, "N2")
    full = np.asarray(distance_matrix(example), dtype=float)
    cut = scope_distances(example, scope, full)
    assert cut is not None and cut.shape == (len(scope.patients), len(scope.units))
    assert cut.shape != full.shape  # N2's part is smaller than the census
    np.testing.assert_allclose(cut, np.asarray(distance_matrix(scope), dtype=float))
    assert scope_distances(example, scope, None) is None


def test_a_job_with_the_census_matrix_plans_as_without(example, tmp_path):
    from bedplan.service.planjob import run_plan_job
    from optimiser.geography.distances import distance_matrix

    full = np.asarray(distance_matrix(example), dtype=float)
    said: list[str] = []
    kw = {"start": START, "nights": 7, "network": "N1"}
    a = run_plan_job(example, tmp_path / "a", progress=said.append, full_distances=full, **kw)
    b = run_plan_job(example, tmp_path / "b", progress=lambda _m: None, **kw)
    assert any("from the census's matrix" in m for m in said), said
    assert a["summary"]["objective"] == b["summary"]["objective"]
    assert a["schedule"] == b["schedule"] and a["network"] == "N1"


def test_the_schedule_shown_is_capped_and_says_so(example, tmp_path, monkeypatch):
    from bedplan.service import planjob

    monkeypatch.setattr(planjob, "SCHEDULE_SHOWN", 1)
    res = planjob.run_plan_job(example, tmp_path, start=START, nights=7, network=None,
                               progress=lambda _m: None)
    assert [s["patient_id"] for s in res["schedule"]] == ["P"]
    assert res["schedule_total"] == 2
    assert "R" in (tmp_path / "schedule.csv").read_text()  # the file has every step
    assert set(res["units"]) == {"F", "H"}  # only the wards the steps shown name


def test_running_out_of_memory_is_an_honest_error(example, tmp_path, monkeypatch):
    import optimiser.planning.planrun as planrun
    from bedplan.service.planjob import run_plan_job

    def no_memory(*_a, **_k):
        raise MemoryError

    monkeypatch.setattr(planrun, "solve_plan", no_memory)
    res = run_plan_job(example, tmp_path, start=START, nights=7, network=None,
                       progress=lambda _m: None)
    assert res["summary"]["status"] == "error" and res["exit_code"] == 4
    assert "fewer nights" in res["summary"]["diagnosis"][0]
    assert res["nights"] == [] and res["schedule"] == [] and res["weeks"] == []


def test_a_plan_that_is_no_schedule_is_an_error_not_a_half_plan(example, tmp_path,
                                                                 monkeypatch):
    import optimiser.planning.planrun as planrun
    from bedplan.service.planjob import run_plan_job
    from optimiser.planning.transfers import PlanError

    def broken(*_a, **_k):
        raise PlanError("H over capacity on night 3")

    monkeypatch.setattr(planrun, "schedule", broken)
    res = run_plan_job(example, tmp_path, start=START, nights=7, network=None,
                       progress=lambda _m: None)
    assert res["summary"]["status"] == "error"
    assert "not a valid schedule" in res["summary"]["diagnosis"][-1]
    assert res["schedule"] == [] and json.loads(Path(tmp_path / "summary.json").read_text())[
        "status"] == "error"


# ------------------------------------------------------------------ in a child process


def test_a_plan_in_a_child_process_is_the_same_plan(example, tmp_path):
    from bedplan.service.planjob import run_plan_isolated, run_plan_job

    said: list[str] = []
    kw = {"start": START, "nights": 7, "network": None}
    child = run_plan_isolated(example, tmp_path / "child", progress=said.append, **kw)
    here = run_plan_job(example, tmp_path / "here", progress=lambda _m: None, **kw)
    assert child["summary"]["objective"] == here["summary"]["objective"]
    assert {k: v for k, v in child.items() if k != "summary"} == {
        k: v for k, v in here.items() if k != "summary"}
    assert [m.split(":")[0] for m in said if not m.startswith("solve")] == [
        "scope", "distances", "schedule", "write"]
    assert (tmp_path / "child" / "plan.csv").read_text() == (
        tmp_path / "here" / "plan.csv").read_text()


@pytest.mark.slow
def test_a_plan_service_runs_plans_in_a_child_process(tmp_path):
    from fastapi.testclient import TestClient

    from .conftest import plan_census

    app = make_app(tmp_path, plan_census(tmp_path / "plan"), isolate_plans=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        h = bearer(client, "admin")
        job = wait_job(client, h, client.post("/api/jobs", headers=h,
                                              json={"kind": "plan"}).json()["id"])
    assert job["status"] == "done" and job["result"]["summary"]["status"] == "optimal"


@pytest.mark.slow
def test_a_childs_invalid_input_is_an_input_error_here(example, tmp_path):
    from bedplan.service.planjob import run_plan_isolated
    from models.errors import InputError

    with pytest.raises(InputError, match="expected_discharge"):
        run_plan_isolated(example, tmp_path, start=dt.date(2026, 12, 9), nights=7,
                          network=None, progress=lambda _m: None)


@pytest.mark.slow
def test_a_child_that_fails_is_logged_here_and_says_no_more(example, tmp_path, caplog):
    from bedplan.service.planjob import run_plan_isolated

    out = tmp_path / "a-file"
    out.write_text("not a directory")
    with pytest.raises(RuntimeError, match="failed in its child process"):
        run_plan_isolated(example, out, start=START, nights=7, network=None,
                          progress=lambda _m: None)
    assert "Traceback" in caplog.text


@pytest.mark.slow
def test_a_child_killed_meanwhile_fails_the_job_in_plain_words(example, tmp_path):
    import multiprocessing
    import os
    import signal

    from bedplan.service.planjob import PlanChildDied, run_plan_isolated

    def kill(_message: str) -> None:
        for child in multiprocessing.active_children():
            if child.name == "bedplan-plan" and child.pid:
                os.kill(child.pid, signal.SIGKILL)

    with pytest.raises(PlanChildDied, match="out of memory"):
        run_plan_isolated(example, tmp_path, start=START, nights=7, network=None,
                          progress=kill)


@pytest.mark.slow
def test_stopping_the_server_kills_a_running_plan(example, tmp_path):
    from bedplan.service.planjob import PlanChildDied, run_plan_isolated, stop_plans

    killed: list[int] = []
    with pytest.raises(PlanChildDied):
        run_plan_isolated(example, tmp_path, start=START, nights=7, network=None,
                          progress=lambda _m: killed.append(stop_plans()))
    assert killed[0] == 1 and stop_plans() == 0


@pytest.mark.parametrize(("stopping", "words"), [
    (False, "perhaps out of memory"), (True, "the server stopped before it finished")])
def test_a_plan_child_that_died_fails_its_job_in_plain_words(client, as_user, monkeypatch,
                                                             stopping, words):
    from bedplan.service import planjob

    def died(*_a, **_k):
        raise planjob.PlanChildDied(-9)

    monkeypatch.setattr(planjob, "run_plan_job", died)
    client.app.state.bedplan.jobs._stopping = stopping
    h = as_user("admin")
    job = wait_job(client, h, client.post("/api/jobs", headers=h,
                                          json={"kind": "plan", "nights": 2}).json()["id"])
    assert job["status"] == "failed" and words in job["error"], job
