"""The audit log: every decision and census change appended with who/when/what/why, nothing
ever updated or deleted (the database refuses), exportable as CSV and JSON."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError


def events(client, as_user, **params):
    r = client.get("/api/audit", params=params, headers=as_user("admin"))
    assert r.status_code == 200
    return r.json()["events"]


def test_a_decision_records_what_was_suggested_chosen_and_why(client, as_user):
    h = as_user("north")
    s = client.post("/api/suggestions", json={"patient_id": "R1"}, headers=h).json()
    r = client.post("/api/accept", headers=h, json={
        "patient_id": "R1", "unit_id": "LEEDS", "reason": "family visits from Leeds",
        "suggestion_id": s["suggestion_id"]})
    assert r.status_code == 200
    log = events(client, as_user, patient_id="R1")
    assert [e["action"] for e in log] == ["suggest", "admit"]
    suggested, admitted = log
    assert suggested["id"] == s["suggestion_id"]
    assert suggested["details"]["suggestion"]["options"] == s["options"]
    assert admitted["id"] == r.json()["audit_id"]
    assert (admitted["actor"], admitted["role"], admitted["unit_id"]) == (
        "north", "bed_manager", "LEEDS")
    assert admitted["reason"] == "family visits from Leeds"
    assert admitted["details"]["chosen"] == {"unit_id": "LEEDS", "moves": [], "rank": 2}
    assert admitted["details"]["suggested"]["options"] == s["options"]
    assert admitted["details"]["before"] == {"status": "referral", "current_unit_id": None}
    assert admitted["at"].endswith("+00:00")


def test_refused_accepts_are_not_recorded_as_decisions(client, as_user):
    h = as_user("north")
    assert client.post("/api/accept", json={"patient_id": "R1", "unit_id": "YORK"},
                       headers=h).status_code == 200
    assert client.post("/api/accept", json={"patient_id": "C1", "unit_id": "YORK"},
                       headers=h).status_code == 409
    assert [e["patient_id"] for e in events(client, as_user, action="admit")] == ["R1"]


def test_census_changes_are_recorded(client, as_user):
    client.post("/api/units/YORK/beds", json={"beds_closed": 1, "reason": "staffing"},
                headers=as_user("north"))
    change = events(client, as_user, action="unit_beds")[-1]
    assert change["details"]["beds_closed"] == {"before": 0, "after": 1}
    assert change["reason"] == "staffing"
    assert events(client, as_user)[0]["action"] == "import"


def test_jobs_are_recorded(client, as_user):
    client.post("/api/jobs", json={"kind": "reallocate"}, headers=as_user("plan"))
    job = events(client, as_user, action="job_reallocate")
    assert len(job) == 1 and job[0]["actor"] == "plan"


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET reason = 'rewritten'",
    "DELETE FROM audit_log",
])
def test_the_database_refuses_to_change_the_log(app, client, as_user, statement):
    client.post("/api/suggestions", json={"patient_id": "R1"}, headers=as_user("north"))
    before = events(client, as_user)
    with pytest.raises(DatabaseError, match="append-only"), \
            app.state.bedplan.engine.begin() as conn:
        conn.execute(text(statement))
    assert events(client, as_user) == before


def test_the_api_has_no_way_to_change_the_log(client, as_user):
    h = as_user("admin")
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.request(method, "/api/audit", headers=h).status_code == 405


def test_csv_export_has_every_event(client, as_user):
    h = as_user("north")
    s = client.post("/api/suggestions", json={"patient_id": "R3"}, headers=h).json()
    client.post("/api/accept", json={"patient_id": "R3", "unit_id": "LEEDS",
                                     "reason": 'said "yes", gladly',
                                     "suggestion_id": s["suggestion_id"]}, headers=h)
    r = client.get("/api/audit", params={"format": "csv"}, headers=as_user("admin"))
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    as_json = events(client, as_user)
    assert [int(row["id"]) for row in rows] == [e["id"] for e in as_json]
    assert rows[-1]["reason"] == 'said "yes", gladly'
    assert rows[-1]["action"] == "admit"
