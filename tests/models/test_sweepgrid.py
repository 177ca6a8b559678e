"""SWEEP.toml: parsing, validation against an instance, and grid expansion."""

from __future__ import annotations

import re

import pytest

from models.domain import Instance, Unit
from models.errors import InputError
from models.sweepgrid import Demand, parse_grid, read_grid, validate_grid


def _unit(uid: str, beds: int = 10, closed: int = 0) -> Unit:
    return Unit(unit_id=uid, network_id="N1", service="adult_secure", level="medium",
                beds=beds, beds_closed=closed, lat=52.0, lon=-1.0)


INSTANCE = Instance(units=(_unit("U3"), _unit("U5", closed=3), _unit("U7"), _unit("U8")),
                    patients=())

VALID = """
name = "winter"
[demand]
seeds = 3
base_seed = 5
referrals = 20
mode = "add"
source = "instance"

[[vary]]
unit_id = "U3"
beds = [10, 12, 14]

[[vary]]
unit_id = "U5"
cost_per_day = [500, 650.5]

[[close_options]]
unit_ids = ["U7"]

[[close_options]]
unit_ids = ["U7", "U8"]
label = "close site"

[policy]
limits.max_moves = 10
solver.time_limit = 30
"""


def _problems(text: str, instance: Instance | None = None) -> list[str]:
    with pytest.raises(InputError) as info:
        grid = parse_grid(text, "SWEEP.toml")
        if instance is not None:
            validate_grid(grid, instance)
    return [str(p) for p in info.value.problems]


def _named(problem: str, key: str) -> bool:
    """``SWEEP.toml: key: ...`` or, when the line is known, ``SWEEP.toml:3: key: ...``."""
    return re.match(rf"SWEEP\.toml(:\d+)?: {re.escape(key)}: ", problem) is not None


def test_valid_grid_is_read_with_every_field():
    grid = parse_grid(VALID)
    assert grid.name == "winter"
    assert grid.demand == Demand(seeds=3, base_seed=5, referrals=20, mode="add",
                                 source="instance")
    assert grid.demand.draws == (5, 6, 7)
    assert [(v.unit_id, v.field, v.values) for v in grid.vary] == [
        ("U3", "beds", (10, 12, 14)), ("U5", "cost_per_day", (500, 650.5))]
    assert [(c.unit_ids, c.label) for c in grid.close_options] == [
        (("U7",), "close U7"), (("U7", "U8"), "close site")]
    assert grid.policy == {"limits": {"max_moves": 10}, "solver": {"time_limit": 30}}
    validate_grid(grid, INSTANCE)  # every unit exists: no error


def test_expansion_counts_and_order():
    grid = parse_grid(VALID)
    # 3 bed values x 2 costs x (nothing closed + 2 closure options)
    assert grid.n_scenarios() == 18
    scenarios = grid.scenarios()
    assert len(scenarios) == 18
    assert [s.scenario_id for s in scenarios] == list(range(18))
    assert scenarios[0].label == "U3.beds=10, U5.cost_per_day=500"
    assert scenarios[1].label == "U3.beds=10, U5.cost_per_day=500, close U7"
    assert scenarios[2].closed == ("U7", "U8")
    assert scenarios[17].settings == (("U3", "beds", 14), ("U5", "cost_per_day", 650.5))
    assert scenarios[17].closure == "close site"


def test_without_the_no_closure_option_only_closures_are_crossed():
    text = VALID.replace('name = "winter"', 'include_no_closure = false')
    grid = parse_grid(text)
    assert grid.n_scenarios() == 3 * 2 * 2
    assert all(s.closed for s in grid.scenarios())


def test_empty_grid_is_one_scenario_as_is():
    grid = parse_grid("")
    assert grid.n_scenarios() == 1
    assert grid.scenarios()[0].label == "as is"
    assert grid.demand.draws == (None,)  # the instance's own referrals, no draw


def test_the_instance_referrals_are_kept_unless_the_grid_says_otherwise():
    assert parse_grid("[demand]\nbase_seed = 2\n").demand.mode == "instance"
    drawn = parse_grid("[demand]\nreferrals = 40\nseeds = 2\n").demand
    assert (drawn.mode, drawn.referrals, drawn.draws) == ("add", 40, (0, 1))
    replaced = parse_grid('[demand]\nmode = "replace"\n').demand
    assert (replaced.mode, replaced.referrals, replaced.draws) == ("replace", None, (0,))


@pytest.mark.parametrize(("text", "seeds", "key", "words"), [
    ('[demand]\nmode = "instance"\nseeds = 4\n', None, "demand.seeds",
     "4 demand draws, but no referrals are drawn"),
    ("[demand]\nseeds = 3\n", None, "demand.seeds", "give [demand] referrals = N"),
    ("", 3, "--seeds", "3 demand draws, but no referrals are drawn"),
    ('[demand]\nmode = "instance"\nreferrals = 5\n', None, "demand.referrals",
     'mode = "instance" draws no referrals'),
    ('[demand]\nmode = "add"\n', None, "demand.referrals", "needs the number"),
])
def test_draws_of_nothing_are_refused_not_ignored(text, seeds, key, words):
    with pytest.raises(InputError) as info:
        parse_grid(text, "SWEEP.toml", seeds=seeds)
    problems = [str(p) for p in info.value.problems]
    assert len(problems) == 1 and _named(problems[0], key) and words in problems[0]


def test_one_draw_of_the_instance_is_fine_with_seeds_1():
    assert parse_grid("[demand]\nseeds = 1\n", seeds=1).demand.draws == (None,)


def test_seeds_flag_overrides_the_file():
    grid = parse_grid(VALID, seeds=2)
    assert grid.demand.draws == (5, 6)


def test_malformed_toml_is_input_error():
    problems = _problems("[[vary]\nunit_id = 'U3'")
    assert len(problems) == 1
    assert problems[0].startswith("SWEEP.toml:1: not valid TOML")


@pytest.mark.parametrize(("text", "key"), [
    ("colour = 1", "colour"),
    ("[demand]\nseed = 3", "demand.seed"),
    ("[[vary]]\nunit_id = 'U3'\nbeds = [1]\nbed = [2]", "vary[1].bed"),
    ("[[close_options]]\nunit_ids = ['U3']\nname = 'x'", "close_options[1].name"),
    ("[policy]\nlimits.max_move = 3", "policy.limits.max_move"),
])
def test_unknown_keys_are_named(text, key):
    problems = _problems(text)
    assert any(_named(p, key) and ": unknown key" in p for p in problems), problems


@pytest.mark.parametrize(("text", "key", "words"), [
    ("[[vary]]\nunit_id = 'U3'\nbeds = [10, 12.5]", "vary[1].beds",
     "whole number from 0 to 1,000,000"),
    ("[[vary]]\nunit_id = 'U3'\nbeds = [-1]", "vary[1].beds", "whole number from 0 to 1,000,000"),
    ("[[vary]]\nunit_id = 'U3'\nbeds = []", "vary[1].beds", "non-empty list"),
    ("[[vary]]\nunit_id = 'U3'\nbeds = [1, 1]", "vary[1].beds", "repeated"),
    ("[[vary]]\nunit_id = 'U3'\nbeds = [1]\nbeds_closed = [0]", "vary[1]", "exactly one"),
    ("[[vary]]\nbeds = [1]", "vary[1].unit_id", "required"),
    ("[[vary]]\nunit_id='U3'\nbeds=[1]\n[[vary]]\nunit_id='U3'\nbeds=[2]", "vary[2]",
     "varied twice"),
    ("[[close_options]]\nunit_ids = []", "close_options[1].unit_ids", "non-empty"),
    ("[demand]\nseeds = 0", "demand.seeds", "from 1 to 10,000"),
    ("[demand]\nseeds = 10001", "demand.seeds", "from 1 to 10,000"),
    ("[demand]\nreferrals = 1000001", "demand.referrals", "from 0 to 1,000,000"),
    ("[demand]\nmode = 'double'", "demand.mode", "replace, add, instance"),
    ("[policy]\nlimits.max_moves = -2", "policy.limits.max_moves", ""),
    ("include_no_closure = false", "include_no_closure", "grid is empty"),
])
def test_bad_values_are_named(text, key, words):
    problems = _problems(text)
    assert any(_named(p, key) and words in p for p in problems), problems


def test_every_problem_is_reported_not_only_the_first():
    problems = _problems("colour = 1\n[demand]\nseeds = 0\n[[vary]]\nunit_id='U3'\nbeds=[]")
    assert len(problems) == 3


def test_unknown_units_are_input_errors_naming_the_key():
    text = ("[[vary]]\nunit_id = 'U99'\nbeds = [1]\n"
            "[[close_options]]\nunit_ids = ['U7', 'NOPE']\n")
    problems = _problems(text, INSTANCE)
    assert problems == [
        "SWEEP.toml: vary[1].unit_id: unknown unit 'U99' (not in units.csv)",
        "SWEEP.toml: close_options[1].unit_ids: unknown unit 'NOPE' (not in units.csv)",
    ]


def test_beds_below_closed_beds_is_caught_before_solving():
    # U5 has 3 closed beds: 2 beds would leave beds_closed > beds
    problems = _problems("[[vary]]\nunit_id = 'U5'\nbeds = [2, 8]", INSTANCE)
    assert problems == ["SWEEP.toml: vary[1].beds: unit U5: beds_closed 3 would exceed beds 2"]


def test_beds_with_varied_closed_beds_is_checked_on_the_worst_combination():
    ok = "[[vary]]\nunit_id='U3'\nbeds=[4, 6]\n[[vary]]\nunit_id='U3'\nbeds_closed=[0, 4]"
    validate_grid(parse_grid(ok), INSTANCE)  # 4 closed of 4 beds is allowed
    bad = ok.replace("[0, 4]", "[0, 5]")
    assert _problems(bad, INSTANCE) == [
        "SWEEP.toml: vary[1].beds: unit U3: beds_closed 5 would exceed beds 4"]


def test_read_grid_names_the_file(tmp_path):
    path = tmp_path / "winter.toml"
    path.write_text("[[vary]]\nunit_id = 'U1'\nbeds = [1]\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_grid(path, INSTANCE)
    assert str(info.value.problems[0]).startswith("winter.toml: vary[1].unit_id")
    with pytest.raises(InputError) as info:
        read_grid(tmp_path / "missing.toml")
    assert "file not found" in str(info.value)


def test_read_grid_rejects_non_utf8(tmp_path):
    path = tmp_path / "SWEEP.toml"
    path.write_bytes(b"name = '\xff'\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_grid(path)


# --- SWEEP.toml reads unit ids and numbers exactly as CHANGES.toml does (models.tomlvalues)

NUMBERED = Instance(units=(_unit("7"), _unit("8", beds=4)), patients=())


def test_integral_float_beds_are_whole_numbers_as_in_changes():
    grid = parse_grid("[[vary]]\nunit_id = 'U3'\nbeds = [3.0, 5]\n")
    assert grid.vary[0].values == (3, 5)
    assert all(type(v) is int for v in grid.vary[0].values)
    assert grid.scenarios()[0].label == "U3.beds=3"
    from models.changes import parse_changes
    assert parse_changes("[[set]]\nunit_id = 'U3'\nbeds = 3.0\n").sets[0].beds == 3


def test_3_and_3_0_are_the_same_value():
    assert _problems("[[vary]]\nunit_id = 'U3'\nbeds = [3, 3.0]\n") == [
        "SWEEP.toml:3: vary[1].beds: values are repeated"]


def test_numeric_unit_ids_name_units_as_in_changes():
    text = "[[vary]]\nunit_id = 7\nbeds = [5]\n[[close_options]]\nunit_ids = [8]\n"
    grid = parse_grid(text)
    validate_grid(grid, NUMBERED)
    assert grid.vary[0].unit_id == "7"
    assert grid.close_options[0].unit_ids == ("8",)
    assert grid.close_options[0].label == "close 8"
    assert [s.label for s in grid.scenarios()] == ["7.beds=5", "7.beds=5, close 8"]


def test_non_whole_beds_are_still_refused_naming_file_line_and_key():
    text = "name = 'x'\n[[vary]]\nunit_id = 'U3'\nbeds = [10, 3.5]\n"
    assert _problems(text) == [
        "SWEEP.toml:4: vary[1].beds: each value must be a whole number from 0 to 1,000,000, "
        "got 3.5"]


def test_bad_unit_ids_are_refused_naming_file_line_and_key():
    text = ("[[vary]]\nunit_id = true\nbeds = [1]\n"
            "[[close_options]]\nunit_ids = ['U7', 7.5]\n")
    assert _problems(text) == [
        "SWEEP.toml:2: vary[1].unit_id: must be a unit id (text), got true",
        "SWEEP.toml:5: close_options[1].unit_ids: must be unit ids (text), got 7.5",
    ]


def test_cost_per_day_keeps_the_written_value():
    grid = parse_grid("[[vary]]\nunit_id = 'U3'\ncost_per_day = [500, 650.5]\n")
    assert grid.vary[0].values == (500, 650.5)
    assert type(grid.vary[0].values[0]) is int


def _accepted(parse, text):
    """Whether ``parse`` (parse_changes or parse_grid) reads ``text`` without a problem."""
    try:
        parse(text)
    except InputError:
        return False
    return True


@pytest.mark.parametrize("field", ["beds", "beds_closed", "cost_per_day"])
@pytest.mark.parametrize("value", ["3", "3.0", "0", "3.5", "-1", "-0.0", "true", "'3'",
                                   "inf", "nan", "1e3", "[3]", "1e20", "1" + "0" * 400,
                                   "2000000", "1e300"])
def test_sweep_accepts_a_number_exactly_when_changes_does(field, value):
    from models.changes import parse_changes

    by_changes = _accepted(parse_changes, f"[[set]]\nunit_id = 'U3'\n{field} = {value}\n")
    by_sweep = _accepted(parse_grid, f"[[vary]]\nunit_id = 'U3'\n{field} = [{value}]\n")
    assert by_sweep == by_changes
    # the hand-checked verdicts, so that both cannot drift together unnoticed
    whole = field != "cost_per_day"
    # (beyond the ceilings of units.csv: 1,000,000 beds, 1e9 per day)
    expected = value in ("3", "3.0", "0", "-0.0", "1e3") or (
        not whole and value in ("3.5", "2000000"))
    assert by_sweep == expected


@pytest.mark.parametrize("value", ["'U3'", "' U3 '", "7", "true", "7.0", "''", "['U3']"])
def test_sweep_accepts_a_unit_id_exactly_when_changes_does(value):
    from models.changes import parse_changes

    by_changes = _accepted(parse_changes, f"[[close]]\nunit_id = {value}\n")
    by_vary = _accepted(parse_grid, f"[[vary]]\nunit_id = {value}\nbeds = [1]\n")
    by_close = _accepted(parse_grid, f"[[close_options]]\nunit_ids = [{value}]\n")
    assert by_vary == by_close == by_changes == (value in ("'U3'", "' U3 '", "7"))


def test_a_huge_number_is_refused_naming_the_key_not_a_crash():
    with pytest.raises(InputError) as err:
        parse_grid("[[vary]]\nunit_id = 'U3'\nbeds = [" + "9" * 400 + "]\n")
    (problem,) = err.value.problems
    assert problem.column == "vary[1].beds"
    assert "whole number from 0 to 1,000,000" in problem.message
