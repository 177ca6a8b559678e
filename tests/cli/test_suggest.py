"""`bedplan suggest` end to end on the tiny instance (tests/conftest.py), geodesic km."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bedplan.cli import cli
from optimiser.geography.geodesic import geodesic_km


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Each test's caches in a folder of its own (never the user's ~/.cache)."""
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("BEDPLAN_NO_CACHE", raising=False)


def run(*args: str):
    return CliRunner().invoke(cli, ["suggest", *args])


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(geodesic_km(a[0], a[1], b[0], b[1]))


R1_HOME, P1_HOME = (51.55, -0.05), (51.6, -0.2)
U1, U2 = (51.5, -0.12), (52.48, -1.9)


def test_json_for_a_referral(tiny_instance):
    res = run(str(tiny_instance), "--patient", "R1", "--json", "--distance", "geodesic")
    assert res.exit_code == 0, res.output
    # R1 (male, medium, needs ld) fits only U1 (male, ld; 2 beds, P1 in it: 1 free).
    assert json.loads(res.output) == {
        "patient_id": "R1",
        "options": [{"rank": 1, "unit_id": "U1", "distance_km": 7.386, "out_of_area": False,
                     "cost": 7.386, "moves": []}],
        "rejected": [],
    }


def test_human_text(tiny_instance):
    """Legal status, the collaborative's name, the provider type, every name in full."""
    res = run(str(tiny_instance), "--patient", "R1", "--distance", "geodesic")
    assert res.exit_code == 0
    assert res.output.splitlines() == [
        "R1: referral for adult_secure medium, male, 25, needs ld; legal status not recorded",
        "home collaborative: North (N1)",
        "",
        "Options, best first (cost = km + out-of-area penalty + bed cost; ties: fewer moves, "
        "specialist ward for the need, more free beds):",
        "  1. U1: Ward One",
        "     7.4 km, cost 7.4, 1 free bed; medium secure, male",
        "     NHS: Trust A; collaborative North (N1), the patient's own"]


def test_human_text_never_cuts_a_name_and_shows_legal_status(make_instance, tiny_tables):
    long = "Ward One (medium secure; men with a learning disability; site of 4 wards)"
    tiny_tables["units"][0]["name"] = long
    tiny_tables["patients"][4]["legal_status"] = "s37/41"
    res = run(str(make_instance(**tiny_tables)), "--patient", "R1", "--distance", "geodesic")
    assert res.exit_code == 0
    assert f"  1. U1: {long}" in res.output.splitlines()
    assert res.output.splitlines()[0].endswith("; legal status s37/41")


def test_no_option_lists_every_unit_of_the_service(make_instance, tiny_tables):
    tiny_tables["patients"][4]["needs"] = "deaf"
    path = make_instance(**tiny_tables)
    res = run(str(path), "--patient", "R1", "--json", "--distance", "geodesic")
    assert res.exit_code == 0
    d = json.loads(res.output)
    assert d["options"] == []
    # every adult secure unit, nearest first; not the CAMHS unit U4
    assert [r["unit_id"] for r in d["rejected"]] == ["U1", "U2", "U3"]
    assert d["rejected"][0]["reasons"] == ["no deaf pathway"]
    assert d["rejected"][2]["reasons"] == ["low secure, patient needs medium",
                                           "female-only ward", "no deaf pathway"]
    human = run(str(path), "--patient", "R1", "--distance", "geodesic").output
    assert "No unit can take this patient tonight." in human


def test_allow_moves_frees_the_ld_ward(make_instance, tiny_tables):
    tiny_tables["units"][0]["beds"] = "1"  # U1 now full with P1
    path = make_instance(**tiny_tables)
    res = run(str(path), "--patient", "R1", "--json", "--distance", "geodesic")
    assert json.loads(res.output)["options"] == []
    res = run(str(path), "--patient", "R1", "--json", "--distance", "geodesic",
              "--allow-moves", "1")
    assert res.exit_code == 0
    (opt,) = json.loads(res.output)["options"]
    assert opt["unit_id"] == "U1"
    assert opt["moves"] == [{"patient_id": "P1", "from": "U1", "to": "U2"}]
    # R1 at U1 + P1: U2 (N2: out of area) + move − P1's stay at U1
    want = km(R1_HOME, U1) + (km(P1_HOME, U2) + 50 + 25 - km(P1_HOME, U1))
    assert opt["cost"] == pytest.approx(want, abs=1e-3)
    assert "     moves first: P1 from U1 to U2" in run(
        str(path), "--patient", "R1", "--distance", "geodesic", "--allow-moves", "1"
    ).output.splitlines()


def test_inline_referral(tiny_instance):
    spec = "service=adult_secure,level=medium,sex=female,age=30,home_lat=52.4,home_lon=-1.8"
    res = run(str(tiny_instance), "--referral", spec, "--json", "--distance", "geodesic")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["patient_id"] == "REFERRAL"
    # no postcode: home network from the nearest medium unit (U2, N2), noted; U2 in area
    assert [(o["unit_id"], o["out_of_area"]) for o in d["options"]] == [("U2", False)]
    assert res.stderr == (
        "note: home collaborative N2 is that of the nearest adult_secure medium unit (U2): "
        "no home_postcode to look it up in the collaboratives' footprints; give "
        "home_network_id if it is another\n")
    spec += ",home_network_id=N1,patient_id=NEW7,needs=ld"
    d = json.loads(run(str(tiny_instance), "--referral", spec, "--json", "--distance",
                       "geodesic").stdout)
    assert d["patient_id"] == "NEW7" and d["options"] == []
    assert d["rejected"][0]["reasons"] == ["no learning-disability pathway"]


def test_inline_referral_with_postcode_and_road(tiny_instance):
    res = run(str(tiny_instance), "--referral",
              "service=adult_secure,level=medium,sex=female,age=30,home_postcode=B15,"
              "home_network_id=N2", "--json")
    assert res.exit_code == 0, res.output
    (opt,) = json.loads(res.output)["options"]
    assert opt["unit_id"] == "U2" and 0 < opt["distance_km"] < 15


EATING = "service=eating_disorder,level=general,sex=female,age=19,home_lat=51.5,home_lon=-0.1"


def test_inline_referral_for_a_service_nobody_offers_is_an_empty_answer(tiny_instance):
    """No eating-disorder unit in the tiny instance: nothing to infer the home network from,
    but the referral is valid: exact contract JSON on stdout, exit 0, the why on stderr."""
    res = run(str(tiny_instance), "--referral", EATING, "--json", "--distance", "geodesic")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"patient_id": "REFERRAL", "options": [], "rejected": []}
    assert res.stderr.splitlines() == [
        "note: no unit in this instance offers eating_disorder at all",
        "note: home network unknown: no eating_disorder unit to infer it from"]
    human = run(str(tiny_instance), "--referral", EATING, "--distance", "geodesic")
    assert human.exit_code == 0
    assert human.stdout.splitlines() == [
        "REFERRAL: referral for eating_disorder general, female, 19; legal status not "
        "recorded",
        "home collaborative: unknown",
        "note: no unit in this instance offers eating_disorder at all",
        "note: home network unknown: no eating_disorder unit to infer it from",
        "",
        "No unit can take this patient tonight."]


def test_inline_referral_with_a_unit_of_its_service(tiny_instance):
    """camhs general: U4 (N2) exists, so the network is inferred from it (noted)."""
    spec = "service=camhs,level=general,sex=male,age=15,home_lat=51.5,home_lon=-0.1"
    res = run(str(tiny_instance), "--referral", spec, "--json", "--distance", "geodesic")
    assert res.exit_code == 0, res.output
    assert res.stderr.startswith("note: home collaborative N2 is that of the nearest camhs "
                                 "general unit (U4)")
    d = json.loads(res.stdout)
    assert [(o["unit_id"], o["out_of_area"], o["distance_km"]) for o in d["options"]] == [
        ("U4", False, pytest.approx(km((51.5, -0.1), (51.45, -2.58)), abs=1e-3))]
    # the nearer adult wards (London, Birmingham), as before
    assert [r["unit_id"] for r in d["rejected"]] == ["U1", "U2"]


def test_inline_referral_for_a_level_nobody_offers(tiny_instance):
    spec = "service=camhs,level=picu,sex=male,age=15,home_lat=51.5,home_lon=-0.1"
    res = run(str(tiny_instance), "--referral", spec, "--json", "--distance", "geodesic")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["options"] == [] and [r["unit_id"] for r in d["rejected"]] == ["U4"]
    assert res.stderr.splitlines()[1:] == ["note: no unit in this instance offers camhs/picu"]


def test_inline_referral_collaborative_by_footprint(make_instance, tiny_tables):
    """LS9 is West Yorkshire's by footprint: with that collaborative in the instance, the
    referral's home is wy-secure (no note), so U1 (London, now wy-secure) is in area and
    U2 (Birmingham, N2: the nearest-unit rule would have made it home) is out of area."""
    tiny_tables["units"][0]["network_id"] = "wy-secure"
    tiny_tables["networks"].append({"network_id": "wy-secure", "name": "West Yorkshire",
                                    "lead_provider": "Trust A"})
    path = make_instance(**tiny_tables)
    spec = "service=adult_secure,level=medium,sex=male,age=30,home_postcode=LS9"
    res = run(str(path), "--referral", spec, "--json", "--distance", "geodesic")
    assert res.exit_code == 0, res.output
    assert res.stderr == ""
    d = json.loads(res.stdout)
    assert [(o["unit_id"], o["out_of_area"]) for o in d["options"]] == [("U2", True),
                                                                         ("U1", False)]
    human = run(str(path), "--referral", spec, "--distance", "geodesic").stdout
    assert "home collaborative: West Yorkshire (wy-secure)" in human.splitlines()


@pytest.mark.parametrize(("args", "message"), [
    (["--patient", "NOPE"], "error: --patient: no patient 'NOPE'"),
    (["--referral", "service=adult_secure,level=general,sex=male,age=30,home_lat=52,"
      "home_lon=-1"], "error: --referral: level: 'general' is not a level of adult_secure"),
    (["--referral", "service=adult_secure,colour=red"], "error: --referral: colour: unknown key"),
    (["--referral", "service"], "error: --referral: 'service' is not key=value"),
    (["--referral", "patient_id=R1,service=adult_secure,level=medium,sex=male,age=3,"
      "home_lat=52,home_lon=-1"], "error: --referral: patient_id: 'R1' is already in"),
    (["--referral", "service=adult_secure,level=medium,sex=male,age=30,home_postcode=ZZ99"],
     "error: --referral: home_postcode: unknown postcode 'ZZ99'"),
    (["--referral", EATING.replace("age=19", "age=old")],
     "error: --referral: age: 'old' is not a whole number"),
    (["--referral", EATING.replace("general", "medium")],
     "error: --referral: level: 'medium' is not a level of eating_disorder"),
    (["--patient", "R1", "--referral", "service=camhs"], "exactly one of --patient"),
    ([], "exactly one of --patient"),
    (["--patient", "R1", "--top", "-1"], "Invalid value for '--top'"),
])
def test_bad_input_exits_2_without_traceback(tiny_instance, args, message):
    res = run(str(tiny_instance), *args)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_bad_instance_exits_2(tmp_path):
    res = run(str(tmp_path / "missing"), "--patient", "R1")
    assert res.exit_code == 2 and "no such file or directory" in res.output


ENGLAND = __import__("pathlib").Path(__file__).resolve().parents[2] / "instances" / "england"


@pytest.mark.skipif(not (ENGLAND / "units.csv").is_file(), reason="no England instance")
def test_contract_invariants_on_england():
    """Road km, real data: options ranked by cost with free beds; rejected = every unit
    nearer than the first option that is not one, nearest first, each with a reason."""
    from models.io import read_instance
    from optimiser.planning.suggest import occupancy, suggest

    inst = read_instance(ENGLAND)
    occ = dict(zip((u.unit_id for u in inst.units), occupancy(inst).tolist(), strict=True))
    units = {u.unit_id: u for u in inst.units}
    referrals = [p.patient_id for p in inst.patients if p.status == "referral"][:3]
    for pid in referrals:
        res = run(str(ENGLAND), "--patient", pid, "--json", "--top", "50")
        assert res.exit_code == 0, res.output
        d = json.loads(res.stdout)
        costs = [o["cost"] for o in d["options"]]
        assert costs == sorted(costs) and [o["rank"] for o in d["options"]] == list(
            range(1, len(costs) + 1))
        for o in d["options"]:
            u = units[o["unit_id"]]
            assert occ[u.unit_id] < u.open_beds and o["moves"] == []
        if d["options"]:
            first = d["options"][0]["distance_km"]
            option_ids = {o["unit_id"] for o in d["options"]}
            assert all(r["distance_km"] < first and r["unit_id"] not in option_ids
                       for r in d["rejected"])
        assert all(r["reasons"] for r in d["rejected"])
        kms = [r["distance_km"] for r in d["rejected"] if r["distance_km"] is not None]
        assert kms == sorted(kms)
    # the same answer in process with the full matrix (what a service would hold)
    from optimiser.geography.distances import distance_matrix

    km = distance_matrix(inst)
    rows = inst.patient_index()
    for pid in referrals:
        cli = json.loads(run(str(ENGLAND), "--patient", pid, "--json").stdout)
        assert suggest(inst, pid, distances=km).to_json_dict() == cli
        every = suggest(inst, pid, distances=km, top=10_000)
        if every.options:  # completeness: every nearer non-option unit is listed
            near = {u.unit_id for j, u in enumerate(inst.units)
                    if km[rows[pid], j] < every.options[0].distance_km}
            assert {r.unit_id for r in every.rejected} == near - {
                o.unit_id for o in every.options}


# ------------------------------------------------------------------ --tonight


LIMIT_1 = "[limits]\nmax_admissions_per_unit = 1\n"


def _admitted_to_u1(tiny_tables, on: str):
    tiny_tables["patients"][0]["admitted_on"] = on  # P1, in U1 (R1's only fitting ward)
    return tiny_tables


def test_tonight_stops_a_ward_that_took_its_new_patients(make_instance, tiny_tables):
    path = make_instance(**_admitted_to_u1(tiny_tables, "2026-12-07"), policy=LIMIT_1)
    base = [str(path), "--patient", "R1", "--json", "--distance", "geodesic"]
    limited = run(*base, "--tonight", "2026-12-07")
    assert limited.exit_code == 0, limited.output
    d = json.loads(limited.stdout)
    assert d["options"] == []
    assert [(r["unit_id"], r["reasons"]) for r in d["rejected"] if r["unit_id"] == "U1"] == [
        ("U1", ["already took 1 new patient tonight (max_admissions_per_unit = 1)"])]
    # another night, or no --tonight (the default): U1 is offered as the contract says
    for extra in (["--tonight", "2026-12-08"], []):
        d = json.loads(run(*base, *extra).stdout)
        assert [o["unit_id"] for o in d["options"]] == ["U1"], extra


def test_tonight_also_closes_a_full_ward_to_the_moves_of_a_chain(make_instance, tiny_tables):
    """U1 full (P1); the only chain moves P1 to U2, which took P2 tonight (limit 1)."""
    tiny_tables["units"][0]["beds"] = "1"
    tiny_tables["patients"][1]["admitted_on"] = "2026-12-07"  # P2, in U2
    path = make_instance(**tiny_tables, policy=LIMIT_1)
    base = [str(path), "--patient", "R1", "--json", "--distance", "geodesic",
            "--allow-moves", "1"]
    d = json.loads(run(*base, "--tonight", "2026-12-07").stdout)
    assert d["options"] == []
    (u1,) = [r for r in d["rejected"] if r["unit_id"] == "U1"]
    assert "no chain of up to 1 moves frees a bed" in u1["reasons"]
    d = json.loads(run(*base, "--tonight", "2026-12-08").stdout)
    assert [(o["unit_id"], o["moves"]) for o in d["options"]] == [
        ("U1", [{"patient_id": "P1", "from": "U1", "to": "U2"}])]


def test_tonight_today_is_this_machines_date(make_instance, tiny_tables):
    today = dt.date.today()
    path = make_instance(**_admitted_to_u1(tiny_tables, today.isoformat()), policy=LIMIT_1)
    base = [str(path), "--patient", "R1", "--json", "--distance", "geodesic"]
    assert json.loads(run(*base, "--tonight", "today").stdout)["options"] == []
    assert json.loads(run(*base, "--tonight", " TODAY ").stdout)["options"] == []
    other = (today - dt.timedelta(days=1)).isoformat()
    assert [o["unit_id"] for o in json.loads(run(*base, "--tonight", other).stdout)[
        "options"]] == ["U1"]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-02-30", "20261207",
                                   "2026-12-7", "07/12/2026", ""])
def test_tonight_must_be_a_date_or_today(tiny_instance, value):
    res = run(str(tiny_instance), "--patient", "R1", "--tonight", value)
    assert res.exit_code == 2
    assert "Invalid value for '--tonight'" in res.output and "YYYY-MM-DD" in res.output
    assert "Traceback" not in res.output


def test_tonight_without_a_limit_in_the_policy_says_so(make_instance, tiny_tables):
    path = make_instance(**_admitted_to_u1(tiny_tables, "2026-12-07"))
    res = run(str(path), "--patient", "R1", "--json", "--distance", "geodesic",
              "--tonight", "2026-12-07")
    assert [o["unit_id"] for o in json.loads(res.stdout)["options"]] == ["U1"]
    assert res.stderr == ("note: --tonight 2026-12-07: the policy sets no "
                          "max_admissions_per_unit, so no ward is limited\n")
    limited = make_instance("limited", **_admitted_to_u1(tiny_tables, "2026-12-01"),
                            policy=LIMIT_1)
    res = run(str(limited), "--patient", "R1", "--json", "--distance", "geodesic",
              "--tonight", "2026-12-07")
    assert res.stderr == "" and json.loads(res.stdout)["options"] != []


def test_no_admissions_at_all_is_a_note_and_with_tonight_a_reason(make_instance, tiny_tables):
    path = make_instance(**tiny_tables, policy="[limits]\nmax_admissions_per_unit = 0\n")
    base = [str(path), "--patient", "R1", "--distance", "geodesic"]
    res = run(*base, "--json")
    assert [o["unit_id"] for o in json.loads(res.stdout)["options"]] == ["U1"]
    assert res.stderr == ("note: max_admissions_per_unit = 0: tonight's plan takes no new "
                          "patient into any ward\n")
    assert "note: max_admissions_per_unit = 0: tonight's plan takes no new patient into any " \
           "ward" in run(*base).stdout.splitlines()
    res = run(*base, "--json", "--tonight", "2026-12-07")
    d = json.loads(res.stdout)
    assert d["options"] == [] and res.stderr == ""
    assert "no new patients tonight: max_admissions_per_unit = 0" in d["rejected"][0]["reasons"]


def test_a_chain_longer_than_max_moves_is_noted(make_instance, tiny_tables):
    tiny_tables["units"][0]["beds"] = "1"  # U1 full with P1: R1 needs P1 moved to U2
    for budget, note in (("0", True), ("1", False)):
        path = make_instance(f"m{budget}", **tiny_tables,
                             policy=f"[limits]\nmax_moves = {budget}\n")
        res = run(str(path), "--patient", "R1", "--json", "--distance", "geodesic",
                  "--allow-moves", "1")
        assert [o["unit_id"] for o in json.loads(res.stdout)["options"]] == ["U1"]
        assert (res.stderr == "note: option 1 (U1) needs 1 move tonight, more than "
                "max_moves = 0\n") is note, budget


# ------------------------------------------------------------------ ties at one site


def _same_site(tiny_tables, *, specialist: bool):
    """A5 next door to U1 (same place, collaborative and price): U1 has 3 free beds, A5 1;
    A5 is a specialist-only ld ward when ``specialist``; R1 needs ld."""
    tiny_tables["units"][0]["beds"] = "4"
    a5 = dict(tiny_tables["units"][0], unit_id="A5", name="Ward Five", sex="mixed",
              beds="2", specialist_only="true" if specialist else "false")
    tiny_tables["units"].append(a5)
    tiny_tables["patients"].append(dict(tiny_tables["patients"][0], patient_id="P5",
                                        current_unit_id="A5"))
    return tiny_tables


def test_ties_at_one_site_prefer_the_specialist_ward_of_the_need(make_instance, tiny_tables):
    path = make_instance(**_same_site(tiny_tables, specialist=True))
    d = json.loads(run(str(path), "--patient", "R1", "--json", "--distance", "geodesic").stdout)
    assert [o["unit_id"] for o in d["options"]] == ["A5", "U1"]
    assert d["options"][0]["cost"] == d["options"][1]["cost"]


def test_ties_at_one_site_otherwise_prefer_more_free_beds_not_the_name(make_instance,
                                                                       tiny_tables):
    path = make_instance(**_same_site(tiny_tables, specialist=False))
    res = run(str(path), "--patient", "R1", "--distance", "geodesic")
    d = json.loads(run(str(path), "--patient", "R1", "--json", "--distance",
                       "geodesic").stdout)
    assert [o["unit_id"] for o in d["options"]] == ["U1", "A5"]  # 3 free beds before 1
    lines = res.stdout.splitlines()
    assert lines[lines.index("  1. U1: Ward One") + 1].endswith(
        "3 free beds; medium secure, male")
    assert "  2. A5: Ward Five" in lines


# ------------------------------------------------------------------ --referral, text


def test_referral_legal_status_is_shown(tiny_instance):
    spec = ("service=adult_secure,level=medium,sex=male,age=30,home_lat=51.6,home_lon=-0.1,"
            "home_network_id=N1,needs=ld,legal_status=s37/41")
    res = run(str(tiny_instance), "--referral", spec, "--distance", "geodesic")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == (
        "REFERRAL: referral for adult_secure medium, male, 30, needs ld; legal status s37/41")
    plain = run(str(tiny_instance), "--referral", spec.removesuffix(",legal_status=s37/41"),
                "--distance", "geodesic")
    assert plain.stdout.splitlines()[0].endswith("; legal status not recorded")


# ------------------------------------------------------------------ speed: the caches


def test_a_census_asked_about_again_comes_from_the_cache(tiny_instance, monkeypatch):
    from models import io as models_io

    first = run(str(tiny_instance), "--patient", "R1", "--json")  # road, built-in network
    assert first.exit_code == 0, first.output
    cache = os.environ["BEDPLAN_CACHE_DIR"]
    names = {n.split("-")[0] for n in os.listdir(cache)}
    assert {"instance", "snaps"} <= names  # (paths: once per process, maybe elsewhere)

    def no_validation(*args, **kwargs):
        raise AssertionError("validated again")

    monkeypatch.setattr(models_io, "validate", no_validation)
    again = run(str(tiny_instance), "--patient", "R1", "--json")
    assert again.exit_code == 0 and again.stdout == first.stdout
    monkeypatch.setenv("BEDPLAN_NO_CACHE", "1")  # off: the files are read and checked
    off = run(str(tiny_instance), "--patient", "R1", "--json")
    assert off.exit_code == 2 and "AssertionError: validated again" in off.stderr


def test_invalid_input_is_reported_on_every_run(make_instance, tiny_tables):
    tiny_tables["patients"][4]["age"] = "old"
    path = make_instance(**tiny_tables)
    for _ in range(2):
        res = run(str(path), "--patient", "R1")
        assert res.exit_code == 2 and "age" in res.output
    assert not [n for n in os.listdir(os.environ["BEDPLAN_CACHE_DIR"])
                if n.startswith("instance-")]


def test_a_question_on_a_census_seen_before_imports_no_heavy_library(tiny_instance):
    """Road km on the built-in network: the second run reads the instance, the network and
    the snaps from the cache, so neither pandas, SciPy nor pyproj is imported."""
    code = ("import sys\nfrom bedplan.cli import cli\n"
            "try:\n    cli(['suggest', sys.argv[1], '--patient', 'R1', '--json'])\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(' '.join(m for m in ('pandas', 'scipy', 'pyproj') if m in sys.modules),"
            " file=sys.stderr)")

    def heavy() -> str:
        done = subprocess.run([sys.executable, "-c", code, str(tiny_instance)],
                              capture_output=True, text=True, check=True, env=os.environ)
        return done.stderr.strip()

    assert heavy() == "pyproj"  # the first time: every home snapped once (geodesics)
    assert heavy() == ""
