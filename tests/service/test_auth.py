"""Access: 401 without credentials, roles, collaborative scoping, sessions, CSRF, hashing,
the ``bedplan user`` command, and logs without personal data."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from .conftest import PASSWORD

PROTECTED = [("GET", "/api/census", None), ("GET", "/api/census/units/YORK", None),
             ("GET", "/api/patients/R1", None), ("GET", "/api/me", None),
             ("POST", "/api/suggestions", {"patient_id": "R1"}),
             ("POST", "/api/accept", {"patient_id": "R1", "unit_id": "YORK"}),
             ("POST", "/api/jobs", {"kind": "reallocate"}), ("GET", "/api/jobs", None),
             ("GET", "/api/audit", None), ("GET", "/api/export", None),
             ("POST", "/api/units/YORK/beds", {"beds_closed": 1})]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_unauthenticated_requests_get_401(client, method, path, body):
    r = client.request(method, path, json=body)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    bad = client.request(method, path, json=body, headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401


def test_nothing_changed_by_an_unauthenticated_accept(client, as_user):
    client.post("/api/accept", json={"patient_id": "R1", "unit_id": "YORK"})
    assert client.get("/api/patients/R1", headers=as_user("north")).json()["status"] \
        == "referral"


def test_wrong_password_gets_no_token(client):
    r = client.post("/api/token", json={"username": "north", "password": "wrong password"})
    assert r.status_code == 401
    r = client.post("/api/token", json={"username": "nobody", "password": PASSWORD})
    assert r.status_code == 401


def test_bed_manager_cannot_read_another_collaboratives_patient(client, as_user):
    south = as_user("south")
    assert client.get("/api/patients/R1", headers=south).status_code == 404
    assert client.get("/api/patients/R2", headers=south).status_code == 200
    r = client.post("/api/suggestions", json={"patient_id": "R1"}, headers=south)
    assert r.status_code == 404


def test_bed_manager_cannot_change_another_collaboratives_patient(client, as_user):
    south = as_user("south")
    r = client.post("/api/accept", json={"patient_id": "R1", "unit_id": "LONDON"},
                    headers=south)
    assert r.status_code == 404
    r = client.post("/api/accept", headers=south, json={
        "patient_id": "R2", "unit_id": "LONDON",
        "moves": [{"patient_id": "P1", "from": "LEEDS", "to": "YORK"}]})
    assert r.status_code == 404
    north = as_user("north")
    for pid, unit in (("R1", None), ("P1", "LEEDS")):
        p = client.get(f"/api/patients/{pid}", headers=north).json()
        assert p["current_unit_id"] == unit
    referral = {"service": "adult_secure", "level": "medium",
                "sex": "male", "age": 30, "home_lat": 51.5, "home_lon": -0.1,
                "home_network_id": "south"}
    sid = client.post("/api/suggestions", json={"referral": referral},
                      headers=as_user("south")).json()["suggestion_id"]
    r = client.post("/api/accept", json={"referral": referral, "unit_id": "LONDON",
                                         "suggestion_id": sid}, headers=north)
    assert r.status_code == 403
    assert client.post("/api/suggestions", json={"referral": referral},
                       headers=north).status_code == 403


def test_suggestion_of_another_collaborative_cannot_be_quoted(client, as_user):
    sid = client.post("/api/suggestions", json={"patient_id": "R2"},
                      headers=as_user("south")).json()["suggestion_id"]
    r = client.post("/api/accept", headers=as_user("north"),
                    json={"patient_id": "R1", "unit_id": "YORK", "suggestion_id": sid})
    assert r.status_code == 422


@pytest.mark.parametrize(("user", "method", "path", "body"), [
    ("plan", "POST", "/api/accept", {"patient_id": "R1", "unit_id": "YORK"}),
    ("north", "POST", "/api/jobs", {"kind": "reallocate"}),
    ("north", "GET", "/api/jobs", None),
    ("north", "GET", "/api/audit", None),
    ("plan", "GET", "/api/audit", None),
    ("north", "GET", "/api/export", None),
    ("plan", "POST", "/api/units/YORK/beds", {"beds_closed": 1}),
])
def test_roles(client, as_user, user, method, path, body):
    assert client.request(method, path, json=body, headers=as_user(user)).status_code == 403


def test_only_admins_import(client, as_user, census_dir):
    files = [("files", ("units.csv", (census_dir / "units.csv").read_bytes())),
             ("files", ("patients.csv", (census_dir / "patients.csv").read_bytes()))]
    assert client.post("/api/import", files=files, headers=as_user("plan")).status_code == 403


def login(client, username: str = "north", password: str = PASSWORD):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": "/census"},
                       follow_redirects=False)


def test_session_cookie_login_and_csrf(client):
    r = login(client)
    assert r.status_code == 303 and r.headers["location"] == "/census"
    cookie = r.headers["set-cookie"]
    assert "bedplan_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert client.get("/api/me").json()["username"] == "north"
    # an unsafe request by cookie needs the CSRF token of the session
    body = {"patient_id": "R1"}
    assert client.post("/api/suggestions", json=body).status_code == 403
    assert client.post("/api/suggestions", json=body,
                       headers={"X-CSRF-Token": "guess"}).status_code == 403
    page = client.get("/")
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/api/suggestions", json=body,
                       headers={"X-CSRF-Token": csrf}).status_code == 200
    # logging out needs it too
    client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    client.cookies.delete("bedplan_session")
    assert client.get("/api/me").status_code == 401


def test_login_refuses_wrong_password_and_missing_csrf(client):
    r = login(client, password="not the password")
    assert r.status_code == 303 and "error=wrong" in r.headers["location"]
    assert "bedplan_session" not in r.headers.get("set-cookie", "")
    r = client.post("/login", data={"username": "north", "password": PASSWORD,
                                    "csrf_token": "x"}, follow_redirects=False)
    assert "error=expired" in r.headers["location"]


def test_login_does_not_redirect_off_site(client):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "north", "password": PASSWORD,
                                    "csrf_token": token, "next": "//evil.example"},
                    follow_redirects=False)
    assert r.headers["location"] == "/"


def test_pages_redirect_to_login(client):
    for path in ("/", "/census", "/planner", "/audit", "/census/YORK"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_passwords_are_argon2_hashes(app):
    from sqlalchemy import select

    from bedplan.service.auth import add_user, authenticate
    from bedplan.service.db import writing
    from bedplan.service.tables import UserRow

    with writing(app.state.bedplan.factory) as s:
        add_user(s, "newbie", "a long password", "planner")
        stored = s.scalar(select(UserRow.password_hash).where(UserRow.username == "newbie"))
        assert stored.startswith("$argon2id$") and "a long password" not in stored
        assert authenticate(s, "newbie", "a long password") is not None
        assert authenticate(s, "newbie", "a long passworD") is None
        with pytest.raises(ValueError, match="exists"):
            add_user(s, "newbie", "another password", "planner")
        with pytest.raises(ValueError, match="network"):
            add_user(s, "bm", "another password", "bed_manager")
        with pytest.raises(ValueError, match="8 characters"):
            add_user(s, "shorty", "short", "admin")


def test_user_add_command(tmp_path, census_dir, app):
    from bedplan.cli.user import user

    data = tmp_path / "data"  # the app fixture's data dir (same SQLite file)
    runner = CliRunner()
    ok = runner.invoke(user, ["add", "carol", "--role", "bed_manager", "--network", "north",
                              "--password-stdin", "--data-dir", str(data)],
                       input="a good password\n")
    assert ok.exit_code == 0, ok.output
    listed = runner.invoke(user, ["list", "--data-dir", str(data)])
    assert "carol\tbed_manager\tnorth" in listed.output
    again = runner.invoke(user, ["add", "carol", "--role", "planner", "--password-stdin",
                                 "--data-dir", str(data)], input="a good password\n")
    assert again.exit_code == 2 and "exists" in again.output
    unknown = runner.invoke(user, ["add", "dave", "--role", "bed_manager", "--network",
                                   "west", "--password-stdin", "--data-dir", str(data)],
                            input="a good password\n")
    assert unknown.exit_code == 2 and "west" in unknown.output


def test_logs_hold_no_personal_data(client, as_user, caplog):
    caplog.set_level(logging.DEBUG)
    h = as_user("north")
    referral = {"service": "adult_secure", "level": "medium",
                "sex": "male", "age": 30, "home_postcode": "LS9", "home_network_id": "north"}
    s = client.post("/api/suggestions", json={"referral": referral}, headers=h).json()
    r = client.post("/api/accept", headers=h, json={
        "referral": referral, "unit_id": "LEEDS", "reason": "family nearby",
        "suggestion_id": s["suggestion_id"]})
    assert r.status_code == 200, r.text
    client.post("/api/token", json={"username": "north", "password": "typo " + PASSWORD})
    assert "failed login for username 'north'" in caplog.text
    text = caplog.text
    for secret in ("LS9", "family nearby", PASSWORD, "53.79", "-1.51"):
        assert secret not in text
