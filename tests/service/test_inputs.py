"""Every out-of-range number is a 422 naming its field (issue 16, finding 5), and no answer
reveals whether an id of another collaborative exists (finding 6)."""

from __future__ import annotations

import pytest

from .conftest import bearer, make_app, write_census

HUGE = [2**31, 2**63, 2**64, 10**30, -1]
REFERRAL = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
            "home_lat": 53.8, "home_lon": -1.55, "home_network_id": "north"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One app for the requests below: every one is refused, so none changes anything."""
    from fastapi.testclient import TestClient

    root = tmp_path_factory.mktemp("inputs")
    app = make_app(root, write_census(root / "instance"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, {name: bearer(client, name) for name in ("north", "plan", "admin")}


@pytest.mark.parametrize(("user", "method", "path", "body", "field"), [
    ("north", "POST", "/api/accept", {"patient_id": "R1", "unit_id": "YORK",
                                      "suggestion_id": "N"}, "suggestion_id"),
    ("north", "POST", "/api/suggestions", {"patient_id": "R1", "top": "N"}, "top"),
    ("north", "POST", "/api/suggestions", {"patient_id": "R1", "allow_moves": "N"},
     "allow_moves"),
    ("north", "POST", "/api/suggestions", {"referral": dict(REFERRAL, age="N")},
     "referral.age"),
    ("north", "POST", "/api/suggestions", {"referral": dict(REFERRAL, priority="N")},
     "referral.priority"),
    ("north", "POST", "/api/units/YORK/beds", {"beds_closed": "N"}, "beds_closed"),
    ("plan", "POST", "/api/jobs", {"kind": "reallocate", "max_moves": "N"}, "max_moves"),
    ("plan", "POST", "/api/jobs", {"kind": "reallocate", "max_admissions_per_unit": "N"},
     "max_admissions_per_unit"),
    ("plan", "POST", "/api/jobs", {"kind": "reallocate", "time_limit": "N"}, "time_limit"),
    ("admin", "GET", "/api/audit?since_id=N", None, "since_id"),
    ("admin", "GET", "/api/audit?limit=N", None, "limit"),
])
def test_out_of_range_numbers_are_422(shared, user, method, path, body, field):
    client, headers = shared

    def fill(x, n):
        if isinstance(x, dict):
            return {k: fill(v, n) for k, v in x.items()}
        return n if x == "N" else x

    for n in HUGE:
        r = client.request(method, path.replace("N", str(n)), json=fill(body, n),
                           headers=headers[user])
        assert r.status_code == 422, (n, r.text)
        assert field in r.json()["detail"]


def test_the_largest_database_integer_is_an_ordinary_answer(shared):
    client, headers = shared
    top = 2**31 - 1
    r = client.post("/api/accept", headers=headers["north"],
                    json={"patient_id": "R1", "unit_id": "YORK", "suggestion_id": top})
    assert r.status_code == 422 and "not a suggestion" in r.json()["detail"]
    r = client.get(f"/api/audit?since_id={top}&limit={top}", headers=headers["admin"])
    assert r.status_code == 200 and r.json()["events"] == []


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_coordinates_are_422(shared, literal):
    client, headers = shared
    body = (b'{"referral": {"service": "adult_secure", "level": "medium", "sex": "male", '
            b'"age": 30, "home_lat": ' + literal + b', "home_lon": -1.5}}')
    r = client.post("/api/suggestions", content=body, headers={
        **headers["north"], "Content-Type": "application/json"})
    assert r.status_code == 422 and "home_lat" in r.json()["detail"]


# ------------------------------------------------------------------ existence of others' ids


def answers(client, headers, method, path, body) -> tuple[int, str]:
    r = client.request(method, path, json=body, headers=headers)
    return r.status_code, r.text


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/accept", {"referral": dict(REFERRAL, patient_id="ID"), "unit_id": "LEEDS"}),
    ("POST", "/api/suggestions", {"referral": dict(REFERRAL, patient_id="ID")}),
    ("POST", "/api/accept", {"patient_id": "ID", "unit_id": "LEEDS"}),
    ("POST", "/api/accept", {"patient_id": "ID", "unit_id": "LEEDS", "action": "move",
                             "from": "LONDON"}),
    ("POST", "/api/suggestions", {"patient_id": "ID"}),
    ("GET", "/api/patients/ID", None),
    ("POST", "/api/accept", {"patient_id": "R1", "unit_id": "YORK",
                             "moves": [{"patient_id": "ID", "from": "LONDON",
                                        "to": "LEEDS"}]}),
])
def test_an_id_of_another_collaborative_answers_as_an_unknown_id(shared, method, path, body):
    """For north, south's P2 and R2 look exactly like ids nobody has."""
    import json

    client, headers = shared
    north = headers["north"]

    def ask(pid: str) -> tuple[int, str]:
        text = json.dumps(body).replace('"ID"', json.dumps(pid)) if body else None
        status, answer = answers(client, north, method, path.replace("ID", pid),
                                 json.loads(text) if text else None)
        return status, answer.replace(pid, "ID")

    nobody = ask("NOBODY")
    assert ask("P2") == nobody and ask("R2") == nobody
    assert nobody[0] in (404, 422)


def test_quoting_another_collaboratives_suggestion_reveals_nothing(client, as_user):
    sid = client.post("/api/suggestions", json={"patient_id": "P2"},
                      headers=as_user("south")).json()["suggestion_id"]
    north = as_user("north")

    def ask(pid: str, suggestion_id: int) -> tuple[int, str]:
        r = client.post("/api/accept", headers=north, json={
            "patient_id": pid, "unit_id": "LEEDS", "suggestion_id": suggestion_id})
        return r.status_code, r.text.replace(pid, "ID")

    assert ask("P2", sid) == ask("NOBODY", sid) == ask("NOBODY", 10**9)
