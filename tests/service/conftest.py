"""Fixtures of the service tests: a tiny hand-checkable census, accounts and clients.

The census (geodesic distances, all adult secure medium):

========  =====  ======  ====  ==================
unit      net    sex     beds  where
========  =====  ======  ====  ==================
LEEDS     north  male    2     Leeds
LEEDSF    north  female  1     Leeds (R3's home)
YORK      north  male    1     York (R1's home)
LONDON    south  male    2     London
========  =====  ======  ====  ==================

P1 (north) is in LEEDS, P2 (south) in LONDON. Referrals: R1 (north, home York), R2 (south,
home London), R3 (north, home Leeds), C1..C8 (north, home York: the concurrency crowd).
So YORK has 1 free bed, LEEDS 1, LEEDSF 1, LONDON 1.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

UNITS = """unit_id,name,provider,provider_type,network_id,service,level,sex,beds,lat,lon
LEEDS,Leeds ward,T,nhs,north,adult_secure,medium,male,2,53.7997,-1.5492
LEEDSF,Leeds women's ward,T,nhs,north,adult_secure,medium,female,1,53.8000,-1.5500
YORK,York ward,T,nhs,north,adult_secure,medium,male,1,53.9591,-1.0815
LONDON,London ward,T,nhs,south,adult_secure,medium,male,2,51.47,-0.09
"""
HEADER = ("patient_id,status,service,level,sex,age,needs,home_lat,home_lon,home_network_id,"
          "current_unit_id,movable,priority\n")
ROWS = [
    "P1,inpatient,adult_secure,medium,male,30,,53.80,-1.55,north,LEEDS,true,1",
    "P2,inpatient,adult_secure,medium,male,40,,51.47,-0.09,south,LONDON,true,1",
    "R1,referral,adult_secure,medium,male,25,,53.9591,-1.0815,north,,true,1",
    "R2,referral,adult_secure,medium,male,35,,51.48,-0.10,south,,true,1",
    "R3,referral,adult_secure,medium,male,45,,53.8000,-1.5500,north,,true,1",
] + [f"C{i},referral,adult_secure,medium,male,30,,53.9591,-1.0815,north,,true,1"
     for i in range(1, 9)]
NETWORKS = "network_id,name,lead_provider\nnorth,North,T\nsouth,South,T\n"
PASSWORD = "correct horse battery"
USERS = {"admin": ("admin", ()), "north": ("bed_manager", ("north",)),
         "south": ("bed_manager", ("south",)), "plan": ("planner", ()),
         "plannorth": ("planner", ("north",))}
#: The worked example of ``bedplan plan`` (instances/examples/plan-home-ward/README.md).
PLAN_EXAMPLE = Path(__file__).parents[2] / "instances" / "examples" / "plan-home-ward"


def write_census(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "units.csv").write_text(UNITS)
    (directory / "patients.csv").write_text(HEADER + "\n".join(ROWS) + "\n")
    (directory / "networks.csv").write_text(NETWORKS)
    (directory / "policy.toml").write_text('distance = "geodesic"\n')
    return directory


@pytest.fixture
def census_dir(tmp_path: Path) -> Path:
    return write_census(tmp_path / "instance")


#: A unit name that runs script if any page or tooltip renders it as HTML.
EVIL_NAME = "<img src=x onerror=window.__xss=1>"


@pytest.fixture
def evil_app(tmp_path: Path):
    """The census with YORK named like an attack."""
    d = write_census(tmp_path / "instance")
    (d / "units.csv").write_text((d / "units.csv").read_text().replace("York ward", EVIL_NAME))
    return make_app(tmp_path, d)


@functools.cache
def cheap_hash() -> str:
    """An argon2id hash of PASSWORD with small parameters (verification reads them from the
    hash), so that logging in costs milliseconds in tests; production uses the defaults."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def add_users(app, users: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> None:
    """Accounts with the password PASSWORD: ``USERS``, or ``users`` (name → role, networks)."""
    import datetime as dt

    from bedplan.service.db import writing
    from bedplan.service.tables import UserRow

    with writing(app.state.bedplan.factory) as s:
        for name, (role, nets) in (USERS if users is None else users).items():
            s.add(UserRow(username=name, password_hash=cheap_hash(), role=role,
                          networks=";".join(nets), active=True,
                          created_at=dt.datetime.now(dt.UTC)))


def make_app(tmp_path: Path, census_dir: Path, db_url: str | None = None, *,
             isolate_plans: bool = False):
    """The service on ``census_dir``; plan jobs in the server's process unless
    ``isolate_plans`` (a child process costs a second or two of start-up per plan)."""
    from bedplan.service.app import Settings, create_app

    app = create_app(Settings(data_dir=tmp_path / "data", db_url=db_url, instance=census_dir,
                              secret="test-secret", warm_up=False,
                              isolate_plans=isolate_plans))
    add_users(app)
    return app


@pytest.fixture
def app(tmp_path: Path, census_dir: Path):
    return make_app(tmp_path, census_dir)


def plan_census(directory: Path, rename: dict[str, str] | None = None) -> Path:
    """A copy of the worked plan example, unit names changed as ``rename`` says."""
    import shutil

    shutil.copytree(PLAN_EXAMPLE, directory)
    units = (directory / "units.csv").read_text()
    for old, new in (rename or {}).items():
        units = units.replace(old, new)
    (directory / "units.csv").write_text(units)
    return directory


@pytest.fixture
def plan_app(tmp_path: Path):
    """The service on the worked plan example (collaboratives N1, N2), with the accounts of
    USERS and planners of N1 (``plann1``) and of N2 (``plann2``)."""
    app = make_app(tmp_path, plan_census(tmp_path / "plan-example"))
    add_users(app, {"plann1": ("planner", ("N1",)), "plann2": ("planner", ("N2",))})
    return app


@pytest.fixture
def client(app) -> Iterator:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def wait_job(client, headers, job_id: str, seconds: float = 60.0) -> dict:
    """The job once it is done or failed (AssertionError after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def bearer(client, username: str) -> dict[str, str]:
    r = client.post("/api/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def as_user(client):
    """``as_user("north")`` → headers of that user's bearer token."""
    cache: dict[str, dict[str, str]] = {}

    def get(name: str) -> dict[str, str]:
        if name not in cache:
            cache[name] = bearer(client, name)
        return cache[name]

    return get


def race(base_url: str, headers: dict[str, str], bodies: list[dict]) -> list[int]:
    """POST every body to /api/accept at the same moment, one thread each; the statuses."""
    import threading

    import httpx

    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def one(i: int) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as c:
            barrier.wait()
            statuses[i] = c.post("/api/accept", json=bodies[i]).status_code

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return statuses


def check_last_bed_race(app) -> None:
    """8 referrals accept York's last bed at once over HTTP: one 200, seven 409, and the
    census and the audit log agree."""
    import httpx

    from bedplan.service.server import running

    with running(app) as url:
        headers = {"Authorization": "Bearer " + httpx.post(
            url + "/api/token", json={"username": "north", "password": PASSWORD}
        ).json()["access_token"]}
        statuses = race(url, headers, [{"patient_id": f"C{i}", "unit_id": "YORK"}
                                       for i in range(1, 9)])
        assert sorted(statuses) == [200] + [409] * 7, statuses
        unit = httpx.get(url + "/api/census/units/YORK", headers=headers).json()
        assert unit["unit"]["occupied"] == 1
        # and two referrals for Leeds's last bed
        statuses = race(url, headers, [{"patient_id": "R1", "unit_id": "LEEDS"},
                                       {"patient_id": "R3", "unit_id": "LEEDS"}])
        assert sorted(statuses) == [200, 409], statuses
        leeds = httpx.get(url + "/api/census/units/LEEDS", headers=headers).json()
        assert leeds["unit"]["occupied"] == 2
    from bedplan.service import audit
    from bedplan.service.db import reading

    with reading(app.state.bedplan.factory) as s:
        admits = audit.events(s, action="admit")
    assert sorted(e["unit_id"] for e in admits) == ["LEEDS", "YORK"]


def check_stale_accept_race(app) -> None:
    """Three bed managers accept the same referral into three wards at once (issue 16): one
    admit, two 409, the referral in exactly one ward and exactly one decision recorded."""
    import httpx

    from bedplan.service.server import running

    with running(app) as url:
        headers = {"Authorization": "Bearer " + httpx.post(
            url + "/api/token", json={"username": "north", "password": PASSWORD}
        ).json()["access_token"]}
        statuses = race(url, headers, [{"patient_id": "R3", "unit_id": unit}
                                       for unit in ("YORK", "LEEDS", "LONDON")])
        assert sorted(statuses) == [200, 409, 409], statuses
        r3 = httpx.get(url + "/api/patients/R3", headers=headers).json()
        census = httpx.get(url + "/api/census", headers=headers).json()
    winner = ("YORK", "LEEDS", "LONDON")[statuses.index(200)]
    assert (r3["status"], r3["current_unit_id"]) == ("inpatient", winner)
    occupied = {u["unit_id"]: u["occupied"] for u in census["units"]}
    assert occupied == {"LEEDS": 1 + (winner == "LEEDS"), "LEEDSF": 0,
                        "YORK": int(winner == "YORK"), "LONDON": 1 + (winner == "LONDON")}
    from bedplan.service import audit
    from bedplan.service.db import reading

    with reading(app.state.bedplan.factory) as s:
        decisions = [e for e in audit.events(s, patient_id="R3") if e["action"] != "suggest"]
    assert [(e["action"], e["unit_id"]) for e in decisions] == [("admit", winner)]
