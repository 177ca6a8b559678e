"""Throttling of failed logins per account and per client address (issue 16, finding 3):
429 with Retry-After, even for the right password, and failed logins logged without it."""

from __future__ import annotations

import logging

import pytest

from .conftest import PASSWORD, add_users


def token(client, username: str, password: str):
    return client.post("/api/token", json={"username": username, "password": password})


def login_form(client, username: str, password: str):
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf}, follow_redirects=False)


def test_five_wrong_passwords_lock_the_account_for_a_while(client):
    for _ in range(5):
        assert token(client, "north", "wrong guess").status_code == 401
    r = token(client, "north", PASSWORD)  # the right one: refused all the same
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 15 * 60
    assert "too many failed logins" in r.json()["detail"]
    assert token(client, "south", PASSWORD).status_code == 200  # other accounts unaffected


def test_the_login_form_counts_against_the_same_account(client):
    for _ in range(3):
        assert token(client, "north", "wrong guess").status_code == 401
    for _ in range(2):
        assert "error=wrong" in login_form(client, "north", "nope").headers["location"]
    r = login_form(client, "north", PASSWORD)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "Too many failed logins" in r.text
    assert "bedplan_session" not in r.headers.get("set-cookie", "")


def test_a_right_password_starts_the_account_afresh(client):
    for _ in range(4):
        token(client, "north", "wrong guess")
    assert token(client, "north", PASSWORD).status_code == 200
    for _ in range(4):
        token(client, "north", "wrong guess")
    assert token(client, "north", PASSWORD).status_code == 200


def test_one_address_guessing_many_accounts_is_throttled(tmp_path, census_dir):
    from fastapi.testclient import TestClient

    from bedplan.service.app import Settings, create_app

    app = create_app(Settings(data_dir=tmp_path / "d", instance=census_dir, secret="s",
                              warm_up=False, login_failures_per_account=100,
                              login_failures_per_address=6))
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        for name in ("south", "plan", "admin") * 2:  # (known names: cheap test hashes)
            assert token(client, name, "password").status_code == 401
        r = token(client, "north", PASSWORD)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_failed_logins_are_logged_without_the_password(client, caplog):
    caplog.set_level(logging.INFO)
    secret = "my-secret-guess-123"
    for _ in range(5):
        token(client, "north", secret)
    login_form(client, "plan", secret)
    token(client, "north", secret)
    text = caplog.text
    client = app_throttle(client).pseudonym("testclient")
    assert f"failed login for username 'north' from {client} (api token)" in text
    assert f"failed login for username 'plan' from {client} (login form)" in text
    assert "login refused (throttled) for username 'north'" in text
    assert secret not in text and "testclient" not in text  # nor the address itself


def app_throttle(client):
    return client.app.state.bedplan.throttle


def test_addresses_are_logged_as_keyed_pseudonyms():
    from bedplan.service.throttle import LoginThrottle

    a, b = LoginThrottle(key="one"), LoginThrottle(key="two")
    assert a.pseudonym("10.1.2.3") == a.pseudonym("10.1.2.3") != a.pseudonym("10.1.2.4")
    assert a.pseudonym("10.1.2.3") != b.pseudonym("10.1.2.3")
    assert "10.1.2.3" not in a.pseudonym("10.1.2.3")


@pytest.mark.parametrize("per_account", [1, 3])
def test_the_throttle_itself(per_account):
    from bedplan.service.throttle import LoginThrottle

    t = LoginThrottle(per_account=per_account, per_address=100, window_seconds=600)
    for _ in range(per_account):
        assert t.wait_seconds("a", "1.2.3.4") is None
        t.failed("a", "1.2.3.4", "test")
    wait = t.wait_seconds("a", "5.6.7.8")
    assert wait is not None and 590 <= wait <= 600
    assert t.wait_seconds("b", "1.2.3.4") is None
    t.succeeded("a")
    assert t.wait_seconds("a", "1.2.3.4") is None
