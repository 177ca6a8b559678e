"""Who may start and see a job (bedplan/service/jobs.py): planners and admins; a planner
whose account names collaboratives works on those only and sees only their jobs; a plan for
all of England needs an admin; a finished job's files are served by name, nothing else.

conftest's accounts: ``plan`` (planner, no collaborative named), ``plannorth`` (planner of
north), ``north`` (bed manager), ``admin``.
"""

from __future__ import annotations

import pytest

from .conftest import wait_job


def _submit(client, as_user, user: str, **body):
    return client.post("/api/jobs", headers=as_user(user), json={"nights": 1, **body}
                       if body.get("kind") == "plan" else body)


@pytest.mark.parametrize(("user", "network", "status"), [
    ("admin", None, 202),          # all of England: admins
    ("plan", None, 403),           # ... not planners
    ("plan", "south", 202),        # a planner naming no collaborative: any one
    ("plannorth", "north", 202),   # a planner of north: north
    ("plannorth", "south", 403),   # ... not south
    ("plannorth", None, 403),      # ... nor all of England
    ("north", "north", 403),       # bed managers run no jobs
])
def test_who_may_plan_what(client, as_user, user, network, status):
    body = {"kind": "plan"} | ({"network": network} if network else {})
    r = _submit(client, as_user, user, **body)
    assert r.status_code == status, r.text
    if status == 202:
        assert wait_job(client, as_user(user), r.json()["id"])["status"] == "done"


@pytest.mark.parametrize(("user", "network", "status"), [
    ("plan", None, 202),           # a reallocation of all of England: planners too
    ("plannorth", None, 403),      # ... unless their account names collaboratives
    ("plannorth", "north", 202),
])
def test_a_planners_collaboratives_bind_every_kind(client, as_user, user, network, status):
    body = {"kind": "reallocate"} | ({"network": network} if network else {})
    r = _submit(client, as_user, user, **body)
    assert r.status_code == status, r.text
    if status == 202:
        assert wait_job(client, as_user(user), r.json()["id"])["status"] == "done"


def test_a_job_is_seen_only_by_who_could_have_started_it(plan_client_users):
    client, h = plan_client_users
    r = client.post("/api/jobs", headers=h["plann1"], json={"kind": "plan", "network": "N1"})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert wait_job(client, h["plann1"], job_id)["result"]["network"] == "N1"
    # N1's planner, an admin and a planner naming no collaborative see it
    for user in ("plann1", "admin", "plan"):
        assert client.get(f"/api/jobs/{job_id}", headers=h[user]).status_code == 200
        assert [j["id"] for j in client.get("/api/jobs", headers=h[user]).json()["jobs"]] == [
            job_id]
        files = client.get(f"/api/jobs/{job_id}/files/summary.json", headers=h[user])
        assert files.status_code == 200
    # N2's planner: as if it did not exist; a bed manager: not for their role
    other = client.get(f"/api/jobs/{job_id}", headers=h["plann2"])
    assert other.status_code == 404
    assert other.json() == {"detail": f"no job {job_id!r}"}  # as for an id nobody has
    assert client.get("/api/jobs", headers=h["plann2"]).json()["jobs"] == []
    assert client.get(f"/api/jobs/{job_id}/files/plan.csv",
                      headers=h["plann2"]).status_code == 404
    assert client.get(f"/api/jobs/{job_id}", headers=h["north"]).status_code == 403


def test_the_job_list_leaves_results_out(client, as_user):
    h = as_user("admin")
    job_id = _submit(client, as_user, "admin", kind="plan").json()["id"]
    assert wait_job(client, h, job_id)["result"] is not None
    listed = client.get("/api/jobs", headers=h).json()["jobs"]
    assert [j["id"] for j in listed] == [job_id] and "result" not in listed[0]


@pytest.mark.parametrize("name", ["assignments.csv", "../secret_key", "schedule.csv",
                                  "bedplan.db", "%2e%2e%2fsecret_key"])
def test_only_a_kinds_own_files_are_served(client, as_user, name):
    h = as_user("admin")
    job_id = client.post("/api/jobs", headers=h, json={"kind": "reallocate"}).json()["id"]
    assert wait_job(client, h, job_id)["status"] == "done"
    r = client.get(f"/api/jobs/{job_id}/files/{name}", headers=h)
    if name == "assignments.csv":
        assert r.status_code == 200 and r.text.startswith("patient_id,")
        assert "attachment" in r.headers["content-disposition"]
    else:
        assert r.status_code == 404, r.text


def test_an_unfinished_job_has_no_files(client, as_user, monkeypatch):
    from bedplan.service import jobs

    monkeypatch.setattr(jobs.JobRunner, "_run", lambda *_a: None)  # stays queued
    h = as_user("admin")
    job_id = _submit(client, as_user, "admin", kind="plan").json()["id"]
    assert client.get(f"/api/jobs/{job_id}", headers=h).json()["status"] == "queued"
    assert client.get(f"/api/jobs/{job_id}/files/plan.csv", headers=h).status_code == 404


@pytest.fixture
def plan_client_users(plan_app):
    from fastapi.testclient import TestClient

    from .conftest import bearer

    with TestClient(plan_app, raise_server_exceptions=False) as c:
        yield c, {u: bearer(c, u) for u in ("plann1", "plann2", "admin", "plan", "north")}
