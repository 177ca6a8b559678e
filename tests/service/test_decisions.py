"""Accepts state what they expect (issue 16, finding 1): a stale or concurrent accept is a
409 with nothing changed; a move of an inpatient is only made by a request asking for one;
a suggestion is accepted at most once."""

from __future__ import annotations

import pytest

from .conftest import check_stale_accept_race


def patient(client, headers, pid: str) -> tuple[str, str | None]:
    p = client.get(f"/api/patients/{pid}", headers=headers).json()
    return p["status"], p["current_unit_id"]


def decisions(client, as_user, pid: str) -> list[tuple[str, str]]:
    events = client.get("/api/audit", params={"patient_id": pid},
                        headers=as_user("admin")).json()["events"]
    return [(e["action"], e["unit_id"]) for e in events if e["action"] != "suggest"]


def test_three_concurrent_accepts_of_one_referral_place_it_once(app):
    check_stale_accept_race(app)


def test_an_accept_from_a_stale_suggestion_is_409_not_a_move(client, as_user):
    """Two bed managers got the same suggestion while R1 was a referral; the second accept
    comes after the first: 409, R1 stays where the first put it."""
    north, admin = as_user("north"), as_user("admin")
    sid = client.post("/api/suggestions", json={"patient_id": "R1"},
                      headers=north).json()["suggestion_id"]
    first = client.post("/api/accept", headers=north,
                        json={"patient_id": "R1", "unit_id": "YORK", "suggestion_id": sid})
    assert first.status_code == 200 and first.json()["action"] == "admit"
    second = client.post("/api/accept", headers=admin,
                         json={"patient_id": "R1", "unit_id": "LEEDS", "suggestion_id": sid})
    assert second.status_code == 409, second.text
    assert patient(client, north, "R1") == ("inpatient", "YORK")
    assert decisions(client, as_user, "R1") == [("admit", "YORK")]


def test_an_admit_of_a_patient_admitted_meanwhile_is_409(client, as_user):
    h = as_user("north")
    assert client.post("/api/accept", json={"patient_id": "R1", "unit_id": "YORK"},
                       headers=h).status_code == 200
    r = client.post("/api/accept", json={"patient_id": "R1", "unit_id": "LEEDS"}, headers=h)
    assert r.status_code == 409
    assert "inpatient in YORK now, not a referral" in r.json()["detail"]
    assert patient(client, h, "R1") == ("inpatient", "YORK")
    assert decisions(client, as_user, "R1") == [("admit", "YORK")]


def test_an_inpatient_moves_only_when_the_request_asks_for_a_move(client, as_user):
    h = as_user("north")
    r = client.post("/api/accept", json={"patient_id": "P1", "unit_id": "YORK"}, headers=h)
    assert r.status_code == 409 and 'action "move" with from "LEEDS"' in r.json()["detail"]
    assert patient(client, h, "P1") == ("inpatient", "LEEDS")
    r = client.post("/api/accept", json={"patient_id": "P1", "unit_id": "YORK",
                                         "action": "move"}, headers=h)
    assert r.status_code == 422 and "a move needs from" in r.json()["detail"]
    r = client.post("/api/accept", json={"patient_id": "R1", "unit_id": "YORK",
                                         "action": "move", "from": "LEEDS"}, headers=h)
    assert r.status_code == 409 and "R1 is a referral now" in r.json()["detail"]
    assert decisions(client, as_user, "P1") == decisions(client, as_user, "R1") == []


def test_a_move_from_a_suggestion_follows_the_suggestions_view(client, as_user):
    """The suggestion saw P1 in LEEDS: the move says action "move" and may leave out from;
    a request that expects otherwise than its suggestion is refused."""
    h = as_user("north")
    sid = client.post("/api/suggestions", json={"patient_id": "P1"},
                      headers=h).json()["suggestion_id"]
    admit = client.post("/api/accept", headers=h,
                        json={"patient_id": "P1", "unit_id": "YORK", "suggestion_id": sid})
    assert admit.status_code == 409 and "as an inpatient in LEEDS" in admit.json()["detail"]
    wrong = client.post("/api/accept", headers=h, json={
        "patient_id": "P1", "unit_id": "YORK", "action": "move", "from": "YORK",
        "suggestion_id": sid})
    assert wrong.status_code == 409
    move = client.post("/api/accept", headers=h, json={
        "patient_id": "P1", "unit_id": "YORK", "action": "move", "suggestion_id": sid})
    assert move.status_code == 200 and move.json()["action"] == "move"
    assert patient(client, h, "P1") == ("inpatient", "YORK")


def test_a_suggestion_is_accepted_at_most_once(client, as_user):
    """Even when the patient is back where the suggestion saw them (moved away and back)."""
    h = as_user("north")
    sid = client.post("/api/suggestions", json={"patient_id": "P1"},
                      headers=h).json()["suggestion_id"]
    go = {"patient_id": "P1", "unit_id": "YORK", "action": "move", "from": "LEEDS"}
    assert client.post("/api/accept", json=dict(go, suggestion_id=sid),
                       headers=h).status_code == 200
    back = {"patient_id": "P1", "unit_id": "LEEDS", "action": "move", "from": "YORK"}
    assert client.post("/api/accept", json=back, headers=h).status_code == 200
    again = client.post("/api/accept", json=dict(go, suggestion_id=sid), headers=h)
    assert again.status_code == 409 and "accepted already" in again.json()["detail"]
    assert patient(client, h, "P1") == ("inpatient", "LEEDS")


def test_the_database_refuses_a_second_accept_of_one_suggestion(app):
    """The unique index behind the rule (two PostgreSQL transactions could both pass the
    check before either commits)."""
    from sqlalchemy.exc import IntegrityError

    from bedplan.service import audit
    from bedplan.service.db import writing

    with writing(app.state.bedplan.factory) as s:
        audit.append(s, None, "admit", patient_id="R1", suggestion_id=1)
    with pytest.raises(IntegrityError), writing(app.state.bedplan.factory) as s:
        audit.append(s, None, "admit", patient_id="R2", suggestion_id=1)
