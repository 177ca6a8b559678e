"""`bedplan bed-values` on the tiny instance (tests/conftest.py), geodesic km."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bedplan.cli import cli
from optimiser.geography.geodesic import geodesic_km


def run(*args: str):
    return CliRunner().invoke(cli, ["bed-values", *args])


def values(res) -> dict[str, dict]:
    return {u["unit_id"]: u for u in json.loads(res.stdout)["units"]}


def test_hand_checked_value_of_the_ld_ward(tiny_instance):
    res = run(str(tiny_instance), "--json", "--distance", "geodesic")
    assert res.exit_code == 0, res.output
    by = values(res)
    # U1 (2 beds) holds P1 and R1 (the only ld ward). One fewer: P1 moves to U2's free bed
    # (out of area, + move) rather than R1 (priority 2) going unplaced.
    p1_u2 = float(geodesic_km(51.6, -0.2, 52.48, -1.9))
    p1_u1 = float(geodesic_km(51.6, -0.2, 51.5, -0.12))
    assert by["U1"]["used_beds"] == 2 and by["U1"]["one_more"] == 0.0
    assert by["U1"]["one_fewer"] == pytest.approx(p1_u2 + 50 + 25 - p1_u1, abs=1e-4)
    # U2 (2 open, P2 only): spare bed, nothing to gain or lose
    assert (by["U2"]["used_beds"], by["U2"]["one_more"], by["U2"]["one_fewer"]) == (1, 0, 0)
    d = json.loads(res.stdout)
    assert d["method"] == "flow" and d["status"] == "optimal"
    assert [u["rank"] for u in d["units"]] == [1, 2, 3, 4]


def test_flow_and_resolve_agree_and_table(tiny_instance):
    flow = values(run(str(tiny_instance), "--json", "--distance", "geodesic", "--how", "flow"))
    again = values(run(str(tiny_instance), "--json", "--distance", "geodesic", "--how",
                       "resolve"))
    for uid, v in flow.items():
        assert v["one_more"] == pytest.approx(again[uid]["one_more"], abs=1e-6)
        assert (v["one_fewer"] is None) == (again[uid]["one_fewer"] is None)
        if v["one_fewer"] is not None:
            assert v["one_fewer"] == pytest.approx(again[uid]["one_fewer"], abs=1e-6)
    res = run(str(tiny_instance), "--distance", "geodesic", "--top", "2")
    lines = res.stdout.splitlines()
    assert lines[0].startswith("Objective tonight")
    assert lines[2].split() == ["rank", "unit", "name", "network", "open", "used", "one",
                                "more", "one", "fewer"]
    assert len(lines) == 6 and "2 more units" in lines[-1]


def test_max_moves_uses_the_duals_and_unit_filter(tiny_instance):
    res = run(str(tiny_instance), "--json", "--distance", "geodesic", "--max-moves", "0",
              "--unit", "U1")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["method"] == "duals" and [u["unit_id"] for u in d["units"]] == ["U1"]
    # no move allowed: one bed fewer in U1 leaves R1 (priority 2) unplaced: 2000 − 7.386
    r1_u1 = float(geodesic_km(51.55, -0.05, 51.5, -0.12))
    assert d["units"][0]["one_fewer"] == pytest.approx(2000 - r1_u1, abs=1e-4)
    assert d["units"][0]["exact"] is True
    assert "values exact from the bounds" in res.stderr


def test_resolve_reports_progress_and_the_time_left(tiny_instance):
    res = run(str(tiny_instance), "--json", "--distance", "geodesic", "--max-moves", "0",
              "--how", "resolve", "--unit", "U1", "--unit", "U2")
    assert res.exit_code == 0, res.output
    lines = [x for x in res.stderr.splitlines() if "re-solved" in x]
    # U1 +1, U2 +1 and U1 −1 (U1 is full; U2 has a spare bed: −1 costs 0 without a solve)
    assert len(lines) == 3
    assert lines[0].startswith("bed values: re-solved 1/3 (") and "left" in lines[0]
    assert "done in" in lines[-1]
    assert json.loads(res.stdout)["resolved"] == json.loads(res.stdout)["resolves"] == 3


def test_no_limits_values_the_flow(tiny_instance):
    limited = run(str(tiny_instance), "--json", "--distance", "geodesic", "--max-moves", "0")
    free = run(str(tiny_instance), "--json", "--distance", "geodesic", "--no-limits")
    flow = run(str(tiny_instance), "--json", "--distance", "geodesic")  # no limits anyway
    assert json.loads(free.stdout)["method"] == "flow"
    assert values(free) == values(flow)
    # with no move allowed P1 cannot make way in U1, so losing U1's bed costs R1's place
    assert values(limited)["U1"]["one_fewer"] > values(free)["U1"]["one_fewer"]


@pytest.mark.parametrize(("args", "message"), [
    (["--unit", "U9"], "error: --unit: unknown unit 'U9'"),
    (["--how", "flow", "--max-moves", "2"], "--how flow needs no max-moves limit"),
    (["--no-limits", "--max-moves", "2"], "--no-limits and --max-moves contradict"),
    (["--workers", "-1"], "Invalid value for '--workers'"),
    (["--top", "x"], "Invalid value for '--top'"),
])
def test_bad_input_exits_2(tiny_instance, args, message):
    res = run(str(tiny_instance), "--distance", "geodesic", *args)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_infeasible_instance_exits_3(make_instance, tiny_tables):
    tiny_tables["patients"][1]["movable"] = "false"
    tiny_tables["units"][1]["beds_closed"] = "3"  # U2 closed, P2 cannot move
    res = run(str(make_instance(**tiny_tables)), "--distance", "geodesic")
    assert res.exit_code == 3
    assert "No bed values: the instance as it is is infeasible." in res.stdout


def test_a_failed_resolve_exits_4(tiny_instance, monkeypatch):
    import optimiser.planning.bedvalues as bv

    def fail(*args, **kwargs):
        raise bv.ResolveError("re-solving with unit U1 changed gave error: time limit")

    monkeypatch.setattr(bv, "_run_tasks", fail)
    res = run(str(tiny_instance), "--distance", "geodesic", "--how", "resolve")
    assert res.exit_code == 4
    assert "error: re-solving with unit U1 changed gave error" in res.output
    assert "Traceback" not in res.output


ENGLAND = __import__("pathlib").Path(__file__).resolve().parents[2] / "instances" / "england"


@pytest.mark.slow
@pytest.mark.skipif(not (ENGLAND / "units.csv").is_file(), reason="no England instance")
@pytest.mark.parametrize("limits", [["--no-limits"], []])
def test_england_values_agree_with_re_solving_a_few_units(limits):
    """England without limits (flow) and with its own (duals): the top 3 units and 3 with
    nothing to gain, re-solved one by one with --how resolve, give the same values."""
    fast = run(str(ENGLAND), "--json", *limits)
    assert fast.exit_code == 0, fast.output
    d = json.loads(fast.stdout)
    assert d["method"] == ("flow" if limits else "duals") and d["units"][0]["one_more"] > 0
    picked = d["units"][:3] + [u for u in d["units"] if u["one_more"] == 0][:3]
    again = run(str(ENGLAND), "--json", "--how", "resolve", *limits,
                *[arg for u in picked for arg in ("--unit", u["unit_id"])])
    assert again.exit_code == 0, again.output
    by = {u["unit_id"]: u for u in json.loads(again.stdout)["units"]}
    for u in picked:
        assert u["one_more"] == pytest.approx(by[u["unit_id"]]["one_more"], abs=1e-6)
        assert (u["one_fewer"] is None) == (by[u["unit_id"]]["one_fewer"] is None)
        if u["one_fewer"] is not None:
            assert u["one_fewer"] == pytest.approx(by[u["unit_id"]]["one_fewer"], abs=1e-6)
