"""Concurrent accepts never put two patients in the last bed (SQLite; PostgreSQL in
test_postgres.py), over real HTTP on 127.0.0.1 with one thread per request."""

from __future__ import annotations

import threading

from .conftest import PASSWORD, check_last_bed_race


def test_last_bed_race_on_sqlite(app):
    check_last_bed_race(app)


def test_accept_function_under_threads(app):
    """The transaction itself (no HTTP): 8 threads, one bed, exactly one winner."""
    from bedplan.service.auth import User
    from bedplan.service.db import writing
    from bedplan.service.decisions import Expectation, accept, occupied
    from bedplan.service.errors import ServiceError

    factory = app.state.bedplan.factory
    user = User(2, "north", "bed_manager", frozenset({"north"}))
    barrier = threading.Barrier(8)
    outcome: list[str] = []

    def one(i: int) -> None:
        barrier.wait()
        try:
            with writing(factory) as s:
                accept(s, user, patient_id=f"C{i}", unit_id="YORK",
                       expect=Expectation("referral"))
            outcome.append("ok")
        except ServiceError as exc:
            outcome.append(str(exc.status))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcome) == ["409"] * 7 + ["ok"]
    with factory() as s:
        assert occupied(s, "YORK") == 1


def test_server_keeps_serving_under_load(app):
    """200 suggestion requests from 8 threads: every one answered 200."""
    import httpx

    from bedplan.service.server import running

    with running(app) as url:
        token = httpx.post(url + "/api/token", json={"username": "north",
                                                     "password": PASSWORD}).json()
        headers = {"Authorization": "Bearer " + token["access_token"]}
        statuses: list[int] = []
        lock = threading.Lock()

        def worker() -> None:
            with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
                for k in range(25):
                    code = c.post("/api/suggestions",
                                  json={"patient_id": ("R1", "R3", "C2")[k % 3]}).status_code
                    with lock:
                        statuses.append(code)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert statuses == [200] * 200
