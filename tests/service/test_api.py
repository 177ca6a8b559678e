"""The JSON API on the tiny census (see conftest): census, suggestions, accept, jobs,
import/export, and clear 4xx answers for bad requests."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from models.io import read_instance
from optimiser.planning.suggest import suggest as engine_suggest

from .conftest import wait_job

# ------------------------------------------------------------------ storage


def test_migration_creates_exactly_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bedplan.service.tables import Base

    with app.state.bedplan.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0003"


@pytest.mark.parametrize("path", ["instances/england", "instances/examples/two-wards"])
def test_census_round_trips_an_instance(tmp_path, path):
    from bedplan.service.census import load_instance, store_instance
    from bedplan.service.db import make_engine, reading, session_factory, upgrade, writing
    from models.io import write_instance

    original = read_instance(Path(__file__).parents[2] / path)
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    upgrade(engine)
    factory = session_factory(engine)
    with writing(factory) as s:
        store_instance(s, original)
    with reading(factory) as s:
        back = load_instance(s)
    assert back == original
    write_instance(back, tmp_path / "out")
    assert read_instance(tmp_path / "out") == original


def test_start_imports_only_into_an_empty_census(tmp_path, census_dir):
    from fastapi.testclient import TestClient

    from bedplan.service.app import Settings, create_app

    settings = Settings(data_dir=tmp_path / "d", instance=census_dir, secret="s",
                        warm_up=False)
    create_app(settings)
    (census_dir / "units.csv").write_text("not,a,census\n")  # would be invalid if read
    app = create_app(settings)  # census not empty: the instance is not read again
    with TestClient(app):
        assert app.state.bedplan.cache.get()[1].units[0].unit_id == "LEEDS"


# ------------------------------------------------------------------ census


def test_census_is_scoped_to_the_bed_managers_collaborative(client, as_user):
    r = client.get("/api/census", headers=as_user("north"))
    assert r.status_code == 200
    body = r.json()
    assert {p["patient_id"] for p in body["patients"]} == {
        "P1", "R1", "R3", *(f"C{i}" for i in range(1, 9))}
    units = {u["unit_id"]: u for u in body["units"]}
    assert (units["LEEDS"]["open_beds"], units["LEEDS"]["occupied"], units["LEEDS"]["free"]) \
        == (2, 1, 1)
    assert units["YORK"]["free"] == 1
    everyone = client.get("/api/census", headers=as_user("plan")).json()["patients"]
    assert len(everyone) == 13


def test_unit_view_hides_other_collaboratives_patients(client, as_user):
    north = client.get("/api/census/units/LEEDS", headers=as_user("north")).json()
    assert [p["patient_id"] for p in north["patients"]] == ["P1"]
    south = client.get("/api/census/units/LEEDS", headers=as_user("south")).json()
    assert south["patients"] == [] and south["hidden_patients"] == 1
    assert client.get("/api/census/units/NOPE", headers=as_user("south")).status_code == 404


# ------------------------------------------------------------------ suggestions


def test_suggestions_are_the_engines(client, as_user, census_dir):
    r = client.post("/api/suggestions", json={"patient_id": "R1"}, headers=as_user("north"))
    assert r.status_code == 200
    body = r.json()
    assert [o["unit_id"] for o in body["options"]] == ["YORK", "LEEDS", "LONDON"]
    assert [o["out_of_area"] for o in body["options"]] == [False, False, True]
    expected = engine_suggest(read_instance(census_dir), "R1").to_json_dict()
    assert {k: body[k] for k in expected} == expected
    assert body["units"]["YORK"]["free"] == 1
    assert isinstance(body["suggestion_id"], int)


def test_suggestion_explains_the_nearer_unit(client, as_user):
    body = client.post("/api/suggestions", json={"patient_id": "R3"},
                       headers=as_user("north")).json()
    assert body["options"][0]["unit_id"] == "LEEDS"
    assert body["rejected"] == [{"unit_id": "LEEDSF", "distance_km": 0.0,
                                 "reasons": ["female-only ward"]}]


def test_inline_referral_suggestion(client, as_user):
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "home_lat": 51.5, "home_lon": -0.1, "home_network_id": "south"}
    body = client.post("/api/suggestions", json={"referral": referral},
                       headers=as_user("south")).json()
    assert body["options"][0]["unit_id"] == "LONDON"
    assert body["options"][0]["out_of_area"] is False


def test_inline_referral_for_a_service_nobody_offers_is_an_empty_answer(client, as_user):
    referral = {"service": "eating_disorder", "level": "general", "sex": "female", "age": 30,
                "home_lat": 51.5, "home_lon": -0.1}
    r = client.post("/api/suggestions", json={"referral": referral}, headers=as_user("north"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["options"] == [] and body["rejected"] == []
    assert any("eating_disorder" in n for n in body["notes"])


def test_accepting_a_referral_for_a_service_nobody_offers_says_no_unit_fits(client, as_user):
    referral = {"service": "eating_disorder", "level": "general",
                "sex": "female", "age": 30, "home_lat": 53.8, "home_lon": -1.55}
    sid = client.post("/api/suggestions", json={"referral": referral},
                      headers=as_user("north")).json()["suggestion_id"]
    r = client.post("/api/accept", json={"referral": referral, "unit_id": "LEEDSF",
                                         "suggestion_id": sid}, headers=as_user("north"))
    assert r.status_code == 422, r.text  # the unit cannot take her, not "not your patient"
    assert "LEEDSF" in r.text


def test_inline_referral_of_another_collaborative_is_refused(client, as_user):
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "home_lat": 51.5, "home_lon": -0.1, "home_network_id": "south"}
    r = client.post("/api/suggestions", json={"referral": referral}, headers=as_user("north"))
    assert r.status_code == 403


def test_allow_moves_frees_the_nearer_bed(client, as_user):
    # R3 (home Leeds) put in York; C1 (home York) is better served by moving R3 to Leeds:
    # 0 km + move 25 + (0.05 - 35.5 km) = -10.5 beats Leeds at 35.5 km
    h = as_user("north")
    assert client.post("/api/accept", json={"patient_id": "R3", "unit_id": "YORK"},
                       headers=h).status_code == 200
    plain = client.post("/api/suggestions", json={"patient_id": "C1"}, headers=h).json()
    assert plain["options"][0]["unit_id"] == "LEEDS"
    moved = client.post("/api/suggestions", json={"patient_id": "C1", "allow_moves": 1},
                        headers=h).json()
    best = moved["options"][0]
    assert best["unit_id"] == "YORK"
    assert best["moves"] == [{"patient_id": "R3", "from": "YORK", "to": "LEEDS"}]
    r = client.post("/api/accept", headers=h, json={
        "patient_id": "C1", "unit_id": "YORK", "moves": best["moves"],
        "suggestion_id": moved["suggestion_id"]})
    assert r.status_code == 200, r.text
    census = {p["patient_id"]: p for p in client.get("/api/census", headers=h).json()["patients"]}
    assert census["C1"]["current_unit_id"] == "YORK"
    assert census["R3"]["current_unit_id"] == "LEEDS"


# ------------------------------------------------------------------ accept


def test_accept_admits_then_the_bed_is_gone(client, as_user):
    h = as_user("north")
    r = client.post("/api/accept", json={"patient_id": "R1", "unit_id": "YORK",
                                         "reason": "nearest"}, headers=h)
    assert r.status_code == 200
    assert r.json()["action"] == "admit"
    p = client.get("/api/patients/R1", headers=h).json()
    assert (p["status"], p["current_unit_id"]) == ("inpatient", "YORK")
    assert p["admitted_on"] is not None
    r = client.post("/api/accept", json={"patient_id": "C1", "unit_id": "YORK"}, headers=h)
    assert r.status_code == 409
    assert "no free bed" in r.json()["detail"]
    assert client.get("/api/patients/C1", headers=h).json()["status"] == "referral"


def test_accept_moves_an_inpatient(client, as_user):
    h = as_user("north")
    move = {"patient_id": "P1", "unit_id": "YORK", "action": "move", "from": "LEEDS"}
    r = client.post("/api/accept", json=move, headers=h)
    assert r.status_code == 200 and r.json()["action"] == "move"
    units = {u["unit_id"]: u for u in client.get("/api/census", headers=h).json()["units"]}
    assert (units["LEEDS"]["occupied"], units["YORK"]["occupied"]) == (0, 1)
    again = client.post("/api/accept", json=move, headers=h)  # P1 is not in LEEDS any more
    assert again.status_code == 409 and "in YORK now, not in LEEDS" in again.json()["detail"]
    home = dict(move, unit_id="YORK", **{"from": "YORK"})
    assert "already in YORK" in client.post("/api/accept", json=home, headers=h).text


def test_accept_refuses_a_unit_that_does_not_fit(client, as_user):
    r = client.post("/api/accept", json={"patient_id": "R1", "unit_id": "LEEDSF"},
                    headers=as_user("north"))
    assert r.status_code == 422
    assert "female-only ward" in r.json()["detail"]


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"patient_id": "R1", "unit_id": "NOWHERE"}, 404, "no unit"),
    ({"patient_id": "NOBODY", "unit_id": "YORK"}, 404, "no patient"),
    ({"unit_id": "YORK"}, 422, "exactly one of"),
    ({"patient_id": "R1", "unit_id": "YORK", "colour": "red"}, 422, "colour"),
    ({"patient_id": "R1"}, 422, "unit_id"),
    ({"patient_id": "R1", "unit_id": "YORK", "suggestion_id": 999}, 422, "not a suggestion"),
    ({"patient_id": "R1", "unit_id": "YORK",
      "moves": [{"patient_id": "P1", "from": "LEEDS", "to": "LEEDS"}]}, 422, "both LEEDS"),
    ({"patient_id": "R1", "unit_id": "YORK",
      "moves": [{"patient_id": "P1", "from": "LEEDS", "to": "YORK"}] * 2}, 422, "moved once"),
    ({"patient_id": "R1", "unit_id": "YORK",
      "moves": [{"patient_id": "P1", "from": "YORK", "to": "LEEDS"}]}, 409, "not in YORK"),
    ({"patient_id": "R1", "unit_id": "LEEDS",
      "moves": [{"patient_id": "P1", "from": "LEEDS", "to": "LEEDSF"}]}, 422, "female-only"),
])
def test_bad_accepts_get_clear_4xx(client, as_user, body, status, words):
    r = client.post("/api/accept", json=body, headers=as_user("north"))
    assert r.status_code == status
    assert words in r.json()["detail"]


def test_accept_an_inline_referral_adds_and_admits_it(client, as_user):
    """Under the id its suggestion gave it, once."""
    h = as_user("south")
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "home_lat": 51.5, "home_lon": -0.1, "home_network_id": "south"}
    s = client.post("/api/suggestions", json={"referral": referral}, headers=h).json()
    new_id = s["patient_id"]
    assert new_id.startswith("NEW-") and s["patient"]["patient_id"] == new_id
    body = {"referral": referral, "unit_id": "LONDON", "suggestion_id": s["suggestion_id"]}
    r = client.post("/api/accept", json=body, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["action"], r.json()["patient_id"]) == ("admit", new_id)
    assert client.get(f"/api/patients/{new_id}", headers=h).json()["current_unit_id"] == \
        "LONDON"
    r = client.post("/api/accept", json=body, headers=h)
    assert r.status_code == 409 and "accepted already" in r.json()["detail"]
    r = client.post("/api/accept", json={"referral": referral, "unit_id": "LONDON"}, headers=h)
    assert r.status_code == 422 and "suggestion_id" in r.json()["detail"]
    other = dict(referral, age=31)  # not the referral that suggestion was made for
    r = client.post("/api/accept", headers=h, json=dict(body, referral=other))
    assert r.status_code == 422 and "not a suggestion for this referral" in r.text


# ------------------------------------------------------------------ bad requests


@pytest.mark.parametrize(("body", "words"), [
    ({"patient_id": "R1", "top": -1}, "top"),
    ({"patient_id": "R1", "allow_moves": "lots"}, "allow_moves"),
    ({}, "exactly one of"),
    ({"referral": {"service": "adult_secure", "level": "medium", "sex": "male", "age": 300}},
     "referral.age"),
    ({"referral": {"service": "adult_secure", "level": "medium", "sex": "robot", "age": 30,
                   "home_lat": 53.8, "home_lon": -1.5, "home_network_id": "north"}}, "sex"),
    ({"referral": {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                   "home_postcode": "ZZ99 9ZZ", "home_network_id": "north"}}, "postcode"),
])
def test_bad_suggestion_requests_get_422(client, as_user, body, words):
    r = client.post("/api/suggestions", json=body, headers=as_user("north"))
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]


def test_malformed_json_is_a_clear_422(client, as_user):
    h = dict(as_user("north"), **{"Content-Type": "application/json"})
    r = client.post("/api/suggestions", content=b"{not json", headers=h)
    assert r.status_code == 422
    assert r.json()["detail"] == "invalid request: body: not valid JSON (at character 1)"


def test_an_internal_error_is_a_generic_500(client, as_user, monkeypatch, caplog):
    import optimiser.planning.suggest

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(optimiser.planning.suggest, "suggest", broken)
    r = client.post("/api/suggestions", json={"patient_id": "R1"}, headers=as_user("north"))
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error; it has been logged"}
    assert "must not leak" not in r.text
    assert client.get("/api/health").status_code == 200  # still serving


def test_unknown_route_is_json_404(client, as_user):
    r = client.get("/api/nothing-here", headers=as_user("north"))
    assert r.status_code == 404 and "detail" in r.json()
    assert client.get("/api/nothing-here").status_code == 401  # routes not shown to strangers


def test_openapi_docs(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    if "/docs-static/" in docs.text:  # swagger-ui-bundle installed: works offline
        assert client.get("/docs-static/swagger-ui-bundle.js").status_code == 200
    assert docs.headers["x-frame-options"] == "DENY"
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/census", "/api/suggestions", "/api/accept", "/api/jobs",
            "/api/import"} <= set(paths)


# ------------------------------------------------------------------ beds


def test_closing_beds(client, as_user):
    h = as_user("north")
    r = client.post("/api/units/YORK/beds", json={"beds_closed": 1, "reason": "staffing"},
                    headers=h)
    assert r.status_code == 200
    opts = client.post("/api/suggestions", json={"patient_id": "R1"}, headers=h).json()
    assert "YORK" not in [o["unit_id"] for o in opts["options"]]
    assert client.post("/api/units/LEEDS/beds", json={"beds_closed": 2},
                       headers=h).status_code == 409  # P1 is in it
    assert client.post("/api/units/LEEDS/beds", json={"beds_closed": 1},
                       headers=as_user("south")).status_code == 403
    assert client.post("/api/units/YORK/beds", json={"beds_closed": 5},
                       headers=h).status_code == 422


# ------------------------------------------------------------------ jobs


def test_scenario_job_compares_baseline_and_scenario(client, as_user):
    h = as_user("plan")
    r = client.post("/api/jobs", headers=h, json={
        "kind": "scenario", "changes": '[[set]]\nunit_id = "YORK"\nbeds = 3\n'})
    assert r.status_code == 202
    job = wait_job(client, h, r.json()["id"])
    assert job["status"] == "done", job
    c = job["result"]["comparison"]
    # 11 male referrals, 3 free male beds (LEEDS, YORK, LONDON); +2 beds in York
    assert (c["baseline"]["unplaced"], c["scenario"]["unplaced"], c["delta"]["unplaced"]) \
        == (8, 6, -2)


def test_reallocation_job(client, as_user):
    h = as_user("admin")
    job = wait_job(client, h, client.post("/api/jobs", headers=h,
                                          json={"kind": "reallocate"}).json()["id"])
    assert job["status"] == "done", job
    assert job["result"]["summary"]["metrics"]["unplaced"] == 8
    assert job["result"]["changes_total"] == 3
    assert client.get("/api/jobs", headers=h).json()["jobs"][0]["id"] == job["id"]


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"kind": "scenario"}, 422, "needs changes"),
    ({"kind": "scenario", "changes": "[[set]\n"}, 422, "TOML"),
    ({"kind": "scenario", "changes": '[[close]]\nunit_id = "NOPE"\n'}, 422, "NOPE"),
    ({"kind": "reallocate", "network": "west"}, 422, "west"),
    ({"kind": "teleport"}, 422, "kind"),
])
def test_bad_jobs_are_refused_up_front(client, as_user, body, status, words):
    r = client.post("/api/jobs", json=body, headers=as_user("plan"))
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


def test_unknown_job_is_404(client, as_user):
    assert client.get("/api/jobs/nope", headers=as_user("plan")).status_code == 404


# ------------------------------------------------------------------ import / export


def test_import_replaces_the_census(client, as_user, census_dir):
    files = [("files", ("units.csv", (census_dir / "units.csv").read_bytes())),
             ("files", ("patients.csv", (census_dir / "patients.csv").read_bytes()
                        .replace(b"R3,referral", b"R9,referral"))),
             ("files", ("networks.csv", (census_dir / "networks.csv").read_bytes()))]
    r = client.post("/api/import", files=files, headers=as_user("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["patients"] == 13
    ids = {p["patient_id"] for p in client.get("/api/census", headers=as_user("plan"))
           .json()["patients"]}
    assert "R9" in ids and "R3" not in ids


def test_import_of_an_invalid_instance_lists_the_problems(client, as_user, census_dir):
    bad = (census_dir / "units.csv").read_bytes().replace(b",2,53.7997", b",-2,53.7997")
    files = [("files", ("units.csv", bad)),
             ("files", ("patients.csv", (census_dir / "patients.csv").read_bytes()))]
    r = client.post("/api/import", files=files, headers=as_user("admin"))
    assert r.status_code == 422
    assert any("units.csv:2" in p and "beds" in p for p in r.json()["problems"])
    r = client.post("/api/import", files=[("files", ("evil.sh", b"x"))],
                    headers=as_user("admin"))
    assert r.status_code == 422 and "unexpected file" in r.json()["detail"]


def test_export_round_trips(client, as_user, census_dir, tmp_path):
    r = client.get("/api/export", headers=as_user("plan"))
    assert r.status_code == 200
    zipfile.ZipFile(io.BytesIO(r.content)).extractall(tmp_path / "export")
    assert read_instance(tmp_path / "export") == read_instance(census_dir)


def test_the_census_cache_follows_accepts_without_reloading(app, client, as_user):
    from bedplan.service.census import load_instance
    from bedplan.service.db import reading

    h = as_user("north")
    cache = app.state.bedplan.cache
    cache.get()
    client.post("/api/accept", json={"patient_id": "R3", "unit_id": "YORK"}, headers=h)
    s = client.post("/api/suggestions", json={"patient_id": "C1", "allow_moves": 1},
                    headers=h).json()
    client.post("/api/accept", json={"patient_id": "C1", "unit_id": "YORK",
                                     "moves": s["options"][0]["moves"]}, headers=h)
    referral = {"service": "adult_secure", "level": "medium", "sex": "male", "age": 30,
                "home_lat": 53.8, "home_lon": -1.5, "home_network_id": "north"}
    s = client.post("/api/suggestions", json={"referral": referral}, headers=h).json()
    assert client.post("/api/accept", headers=h, json={
        "referral": referral, "unit_id": "LONDON",
        "suggestion_id": s["suggestion_id"]}).status_code == 200
    cached = cache._instance
    with reading(app.state.bedplan.factory) as session:
        fresh = load_instance(session)
    assert cache._version == 4
    assert cached == fresh
    assert cached.patients[-1].patient_id == s["patient_id"]


def test_serve_refuses_an_invalid_instance_with_exit_2(tmp_path, census_dir):
    from click.testing import CliRunner

    from bedplan.cli import cli

    (census_dir / "units.csv").write_text("unit_id,beds\nU1,lots\n")
    r = CliRunner().invoke(cli, ["serve", "--instance", str(census_dir), "--data-dir",
                                 str(tmp_path / "d")])
    assert r.exit_code == 2
    assert "units.csv" in r.output and "Traceback" not in r.output
