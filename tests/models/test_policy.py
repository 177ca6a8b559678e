"""policy.toml: defaults, every key, every mistake named with its line, overrides, writing."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from models.domain import Limits, Policy, SolverSettings, Weights
from models.errors import InputError
from models.io import read_instance, validate
from models.policy import apply_overrides, policy_from_mapping, policy_to_toml

FULL = """\
distance = "geodesic"

[weights]
km = 2
out_of_area = 10.5
cost = 0.01
move = 30
delayed = 150
unplaced = 5000

[limits]
max_moves = 20
max_admissions_per_unit = 2

[solver]
name = "cbc"
time_limit = 120
mip_gap = 0.01
threads = 2
"""

FULL_POLICY = Policy(
    distance="geodesic",
    weights=Weights(km=2.0, out_of_area=10.5, cost=0.01, move=30.0, delayed=150.0,
                    unplaced=5000.0),
    limits=Limits(max_moves=20, max_admissions_per_unit=2),
    solver=SolverSettings(name="cbc", time_limit=120.0, mip_gap=0.01, threads=2),
)


def test_no_policy_file_gives_contract_defaults(tiny_instance):
    policy = read_instance(tiny_instance).policy
    assert policy == Policy()
    assert (policy.distance, policy.weights.km, policy.weights.out_of_area, policy.weights.cost,
            policy.weights.move, policy.weights.delayed, policy.weights.unplaced) == (
        "road", 1.0, 50.0, 0.0, 25.0, 200.0, 1000.0)
    assert policy.limits == Limits(None, None)
    assert (policy.solver.name, policy.solver.time_limit, policy.solver.mip_gap) == (
        "highs", 60.0, 0.0)


def test_every_key_is_read(make_instance):
    assert read_instance(make_instance(policy=FULL)).policy == FULL_POLICY


def test_partial_policy_keeps_other_defaults(make_instance):
    policy = read_instance(make_instance(policy="[limits]\nmax_moves = 0\n")).policy
    assert policy == Policy(limits=Limits(max_moves=0))


def test_dotted_keys_and_integral_float_limits(make_instance):
    policy = read_instance(make_instance(policy="weights.km = 3\nlimits.max_moves = 4.0\n")).policy
    assert policy.weights.km == 3.0 and policy.limits.max_moves == 4


BAD = """\
distance = "air"
colour = "blue"

[weights]
km = -1
kms = 2
move = "lots"
delayed = true

[limits]
max_moves = 2.5
max_admissions_per_unit = -1

[solver]
name = "gurobi"
time_limit = 0
mip_gap = -0.1
threads = 0

[foo]
x = 1
"""


def test_every_policy_mistake_is_named_with_its_line(make_instance):
    _, problems = validate(make_instance(policy=BAD))
    assert [str(p) for p in problems] == [
        "policy.toml:1: distance: must be \"road\" or \"geodesic\", got 'air'",
        "policy.toml:2: colour: unknown key (known: distance, [weights], [limits], [solver], "
        "[plan])",
        "policy.toml:5: weights.km: must be a number from 0 to 1,000,000,000, got -1",
        "policy.toml:6: weights.kms: unknown key in [weights] (known: km, out_of_area, cost, "
        "move, delayed, unplaced)",
        "policy.toml:7: weights.move: must be a number from 0 to 1,000,000,000, got 'lots'",
        "policy.toml:8: weights.delayed: must be a number from 0 to 1,000,000,000, got true",
        "policy.toml:11: limits.max_moves: must be a whole number >= 0 (leave it out for no "
        "limit), got 2.5",
        "policy.toml:12: limits.max_admissions_per_unit: must be a whole number >= 0 (leave "
        "it out for no limit), got -1",
        "policy.toml:15: solver.name: must be \"highs\" or \"cbc\", got 'gurobi'",
        "policy.toml:16: solver.time_limit: must be a number of seconds > 0, got 0",
        "policy.toml:17: solver.mip_gap: must be a number >= 0 (0.01 = 1%), got -0.1",
        "policy.toml:18: solver.threads: must be a whole number >= 1, got 0",
        "policy.toml:20: foo: unknown key (known: distance, [weights], [limits], [solver], "
        "[plan])",
    ]


@pytest.mark.parametrize(("text", "start", "nights"), [
    ("[plan]\nstart = 2026-12-07\nnights = 14\n", dt.date(2026, 12, 7), 14),
    ("[plan]\nstart = \"2026-12-07\"\n", dt.date(2026, 12, 7), 28),
    ("plan.nights = 3.0\n", None, 3),
    ("", None, 28),
])
def test_the_plan_table_of_contract_1_2(make_instance, text, start, nights):
    from models.io import read_instance

    policy = read_instance(make_instance(policy=text)).policy
    assert policy.plan.start == start and policy.plan.nights == nights


@pytest.mark.parametrize(("text", "message"), [
    ("[plan]\nnights = 0\n", "policy.toml:2: plan.nights: must be a whole number of nights "
     ">= 1, got 0"),
    ("[plan]\nstart = \"7/12/2026\"\n", "policy.toml:2: plan.start: must be a date, "
     "2026-12-07 (a TOML date or the text \"2026-12-07\"), got '7/12/2026'"),
    ("[plan]\nstart = 2026-12-07T20:00:00\n", "policy.toml:2: plan.start: must be a date, "
     "2026-12-07 (a TOML date or the text \"2026-12-07\"), got 2026-12-07 20:00:00"),
    ("[plan]\nfirst = 2026-12-07\n", "policy.toml:2: plan.first: unknown key in [plan] "
     "(known: start, nights)"),
])
def test_plan_table_mistakes_are_named(make_instance, text, message):
    _, problems = validate(make_instance(policy=text))
    assert [str(p) for p in problems] == [message]


@pytest.mark.parametrize("text", ["[plan]\nnights = 0\n", "[plan]\nfirst = 2026-12-07\n",
                                  "plan = 3\n"])
def test_commands_other_than_plan_do_not_read_the_plan_table(make_instance, text):
    """The contract: "[plan] — only `bedplan plan` reads it"; its mistakes stop only the
    commands that use it, and a mistake elsewhere still counts."""
    path = make_instance(policy=text)
    instance, problems = validate(path, plan=False)
    assert problems == [] and instance is not None
    assert instance.policy.plan == Policy().plan
    assert validate(path, plan=True)[1] != []
    _, problems = validate(make_instance("other", policy=text + "[weights]\nkm = -1\n"),
                           plan=False)
    assert [p.column for p in problems] == ["weights.km"]


def test_the_plan_table_is_written_back(tmp_path):
    from models.domain import PlanSettings, Policy
    from models.policy import policy_to_toml, read_policy

    policy = Policy(plan=PlanSettings(start=dt.date(2026, 12, 7), nights=14))
    (tmp_path / "p.toml").write_text(policy_to_toml(policy))
    problems: list = []
    assert read_policy(tmp_path / "p.toml", "p.toml", problems) == policy and problems == []


def test_plan_overrides_name_their_flag():
    from models.domain import Policy
    from models.errors import InputError
    from models.policy import apply_overrides

    assert apply_overrides(Policy(), nights=5, start="2027-01-02").plan.nights == 5
    with pytest.raises(InputError, match="--nights: must be a whole number of nights >= 1"):
        apply_overrides(Policy(), nights=0)


@pytest.mark.parametrize(("key", "top", "above"), [
    ("weights.unplaced", 1e9, 1e308), ("weights.km", 1e9, 1.5e9)])
def test_upper_ends_keep_a_run_finite(key, top, above):
    """At the ceiling a weight is taken; beyond it (1e308 made NaN costs in the flow path)
    it is named as a mistake."""
    section, name = key.split(".")
    policy, problems = policy_from_mapping({section: {name: top}}, file="p.toml")
    assert problems == [] and getattr(getattr(policy, section), name) == top
    _, problems = policy_from_mapping({section: {name: above}}, file="p.toml")
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"p.toml: {key}: must be ")
    assert f"to {top:,.0f}" in str(problems[0]) or f"to {top}" in str(problems[0])


def test_section_that_is_not_a_table(make_instance):
    _, problems = validate(make_instance(policy="weights = 3\n"))
    assert [str(p) for p in problems] == ["policy.toml:1: weights: must be a table [weights], "
                                          "got 3"]


def test_malformed_toml_names_the_line(make_instance):
    _, problems = validate(make_instance(policy="[weights]\nkm = 1\nmove = \n"))
    assert len(problems) == 1
    assert problems[0].file == "policy.toml" and problems[0].row == 3
    assert str(problems[0]).startswith("policy.toml:3: not valid TOML: ")


def test_policy_not_utf8(make_instance):
    path = make_instance()
    (path / "policy.toml").write_bytes(b'distance = "r\xf4ad"\n')
    assert [str(p) for p in validate(path)[1]] == [
        "policy.toml:1: not UTF-8 text: save it as UTF-8"]


def test_policy_from_mapping_applies_on_a_base():
    base = Policy(distance="geodesic")
    policy, problems = policy_from_mapping({"limits": {"max_moves": 10}}, base=base)
    assert problems == []
    assert policy == Policy(distance="geodesic", limits=Limits(max_moves=10))


# --- command-line overrides


def test_overrides_apply_after_the_file_and_none_is_ignored(make_instance):
    path = make_instance(policy=FULL)
    policy = read_instance(path, policy_overrides={
        "distance": "road", "max_moves": 3, "max_admissions_per_unit": None, "solver": "highs",
        "time_limit": 5, "gap": 0.5, "threads": None}).policy
    assert policy.distance == "road"
    assert policy.limits == Limits(max_moves=3, max_admissions_per_unit=2)
    assert policy.solver == SolverSettings(name="highs", time_limit=5.0, mip_gap=0.5, threads=2)
    assert policy.weights == FULL_POLICY.weights


def test_no_overrides_change_nothing():
    assert apply_overrides(FULL_POLICY) == FULL_POLICY
    assert apply_overrides(FULL_POLICY, distance=None, max_moves=None) == FULL_POLICY


def test_invalid_override_names_the_flag():
    with pytest.raises(InputError) as err:
        apply_overrides(Policy(), max_moves=-2, distance="crow", gap=-1)
    assert [str(p) for p in err.value.problems] == [
        "command line: --max-moves: must be a whole number >= 0 (leave it out for no limit), "
        "got -2",
        "command line: --distance: must be \"road\" or \"geodesic\", got 'crow'",
        "command line: --gap: must be a number >= 0 (0.01 = 1%), got -1",
    ]


def test_invalid_override_is_reported_with_file_problems(make_instance):
    _, problems = validate(make_instance(policy="distance = 1\n"),
                           policy_overrides={"time_limit": 0})
    assert [str(p) for p in problems] == [
        "policy.toml:1: distance: must be \"road\" or \"geodesic\", got 1",
        "command line: --time-limit: must be a number of seconds > 0, got 0",
    ]


def test_unknown_override_is_a_programming_error():
    with pytest.raises(TypeError):
        apply_overrides(Policy(), max_move=3)


# --- writing


def test_written_policy_holds_only_non_defaults_and_round_trips():
    assert tomllib.loads(policy_to_toml(Policy())) == {}
    text = policy_to_toml(Policy(limits=Limits(max_moves=7), weights=Weights(km=0.5)))
    assert tomllib.loads(text) == {"weights": {"km": 0.5}, "limits": {"max_moves": 7}}
    policy, problems = policy_from_mapping(tomllib.loads(policy_to_toml(FULL_POLICY)))
    assert problems == [] and policy == FULL_POLICY


@pytest.mark.parametrize("key", ["weights.km", "limits.max_moves", "solver.threads"])
def test_a_number_too_large_for_a_float_is_a_named_problem_not_a_crash(key):
    section, name = key.split(".")
    _, problems = policy_from_mapping({section: {name: int("9" * 400)}})
    assert [p.column for p in problems] == [key]
