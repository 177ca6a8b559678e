"""CHANGES.toml: parsing, every problem named (file, line, table #, key), applying."""

from __future__ import annotations

import pytest

from models.changes import apply_changes, parse_changes, read_changes
from models.domain import Instance, Limits, Network, Patient, Policy, Unit
from models.errors import InputError


def base() -> Instance:
    units = (
        Unit("U1", "N1", "adult_secure", "medium", beds=10, lat=53.0, lon=-1.5),
        Unit("U2", "N1", "adult_secure", "low", beds=8, beds_closed=2, lat=53.1, lon=-1.5,
             cost_per_day=500.0),
    )
    patients = (
        Patient("P1", "inpatient", "adult_secure", "low", "male", 40, 53.0, -1.5, "N1",
                current_unit_id="U2", movable=False),
        Patient("P2", "inpatient", "adult_secure", "medium", "male", 40, 53.0, -1.5, "N1",
                current_unit_id="U1", movable=False),
        Patient("R1", "referral", "adult_secure", "low", "female", 30, 53.0, -1.5, "N1"),
    )
    return Instance(units, patients, networks=(Network("N1"), Network("N2")),
                    policy=Policy(distance="geodesic", limits=Limits(max_admissions_per_unit=3)))


def problems(text: str, instance: Instance | None = None) -> list[str]:
    with pytest.raises(InputError) as info:
        changes = parse_changes(text, "changes.toml")
        apply_changes(instance or base(), changes)
    return [str(p) for p in info.value.problems]


def test_set_close_add_and_policy_apply():
    text = """
[[set]]
unit_id = "U1"
beds = 14
cost_per_day = 650.5

[[close]]
unit_id = "U2"

[[add_unit]]
unit_id = "NEW1"
network_id = "N2"
service = "adult_secure"
level = "low"
sex = "female"
beds = 12
specialisms = ["ld", "asd"]
lat = 52.5
lon = -1.9

[policy]
limits.max_moves = 10
weights.out_of_area = 80
"""
    changed = apply_changes(base(), parse_changes(text))
    u1, u2, new = changed.units
    assert (u1.beds, u1.beds_closed, u1.cost_per_day) == (14, 0, 650.5)
    assert (u2.beds, u2.beds_closed, u2.open_beds) == (8, 8, 0)
    assert new == Unit("NEW1", "N2", "adult_secure", "low", beds=12, lat=52.5, lon=-1.9,
                       sex="female", specialisms=frozenset({"ld", "asd"}))
    # the closed unit's inpatient must move: treated as movable; others unchanged
    assert [p.movable for p in changed.patients] == [True, False, True]
    assert changed.policy.limits == Limits(max_moves=10, max_admissions_per_unit=3)
    assert changed.policy.weights.out_of_area == 80.0
    assert changed.policy.distance == "geodesic"


def test_policy_as_sub_tables_and_empty_file():
    changed = apply_changes(base(), parse_changes("[policy.limits]\nmax_moves = 2\n"))
    assert changed.policy.limits.max_moves == 2
    assert apply_changes(base(), parse_changes("")) == base()
    assert parse_changes("# nothing\n").is_empty


def test_new_unit_can_be_set_and_closed_in_the_same_file():
    text = """
[[add_unit]]
unit_id = "NEW1"
network_id = "N1"
service = "camhs"
level = "general"
beds = 6
postcode = "LS9"
[[set]]
unit_id = "NEW1"
beds_closed = 1
"""
    new = apply_changes(base(), parse_changes(text)).units[-1]
    assert (new.beds, new.beds_closed, new.min_age, new.max_age) == (6, 1, 12, 17)
    assert 53.7 < new.lat < 53.9  # LS9 is east Leeds


def test_unknown_unit_ids_are_named_with_table_index_and_line():
    text = """[[set]]
unit_id = "U1"
beds = 3
[[set]]
unit_id = "U99"
beds = 3
[[close]]
unit_id = "W7"
"""
    assert problems(text) == [
        "changes.toml:4: [[set]] #2 unit_id: unknown unit 'U99' (not in units.csv nor added "
        "by [[add_unit]])",
        "changes.toml:7: [[close]] #1 unit_id: unknown unit 'W7' (not in units.csv nor added "
        "by [[add_unit]])",
    ]


def test_unknown_keys_and_tables():
    text = """[[set]]
unit_id = "U1"
bedz = 4
[[close]]
unit_id = "U2"
reason = "refurbishment"
[[add_unit]]
unit_id = "N"
colour = "red"
[policy]
limits.max_move = 3
[weights]
km = 2
"""
    got = problems(text)
    assert got[0] == ("changes.toml:3: [[set]] #1 bedz: unknown key (known: unit_id, beds, "
                      "beds_closed, cost_per_day)")
    assert got[1] == "changes.toml:6: [[close]] #1 reason: unknown key (known: unit_id)"
    assert got[2].startswith("changes.toml:9: [[add_unit]] #1 colour: unknown key (known: "
                             "unit_id, name,")
    assert got[3].startswith("changes.toml:11: [policy] limits.max_move: unknown key in "
                             "[limits]")
    assert got[4] == ("changes.toml:12: weights: unknown table (known: [[set]], [[close]], "
                      "[[add_unit]], [policy])")
    assert len(got) == 5


def test_bad_values():
    text = """[[set]]
unit_id = "U1"
beds = 12.5
[[set]]
unit_id = "U2"
beds = 1
[[set]]
beds = 3
[[set]]
unit_id = "U1"
cost_per_day = "lots"
[policy]
distance = "crow"
"""
    got = problems(text)
    assert got == [
        "changes.toml:3: [[set]] #1 beds: must be a whole number from 0 to 1,000,000, got 12.5",
        "changes.toml:7: [[set]] #3 unit_id: required: which unit to change",
        "changes.toml:11: [[set]] #4 cost_per_day: must be a number from 0 to "
        "1,000,000,000, got 'lots'",
        "changes.toml:13: [policy] distance: must be \"road\" or \"geodesic\", got 'crow'",
    ]


def test_closed_beds_cannot_exceed_beds_after_the_change():
    # U2 has 2 closed beds: 1 bed is not enough
    assert problems('[[set]]\nunit_id = "U2"\nbeds = 1\n') == [
        "changes.toml:1: [[set]] #1: unit U2 would have 2 closed beds but only 1 beds"]


def test_bad_added_units_are_checked_like_units_csv_rows():
    text = """[[add_unit]]
unit_id = "U1"
network_id = "N1"
service = "adult_secure"
level = "medium"
beds = 4
lat = 53.0
lon = -1.5
[[add_unit]]
unit_id = "NEW2"
network_id = "N9"
service = "adult_secure"
level = "general"
beds = 4
lat = 53.0
lon = -1.5
[[add_unit]]
unit_id = "NEW3"
service = "camhs"
level = "general"
beds = -1
"""
    got = problems(text)
    assert "changes.toml:9: [[add_unit]] #2 network_id: unknown network 'N9' (not in " \
           "networks.csv)" in got
    assert any(g.startswith("changes.toml:9: [[add_unit]] #2 level: 'general' is not a level "
                            "of adult_secure") for g in got)
    assert any(g.startswith("changes.toml:17: [[add_unit]] #3 network_id: required") for g in got)
    assert any(g.startswith("changes.toml:17: [[add_unit]] #3 beds: must be >= 0") for g in got)
    assert any(g.startswith("changes.toml:17: [[add_unit]] #3 lat: required") for g in got)
    # the duplicate id is judged once the rows themselves are valid
    dup = text.split("[[add_unit]]\nunit_id = \"NEW2\"")[0]
    assert problems(dup) == ["changes.toml:1: [[add_unit]] #1 unit_id: unit 'U1' already exists"]


def test_malformed_toml_names_the_line():
    assert problems('[[set]]\nunit_id = "U1"\nbeds = \n') == [
        "changes.toml:3: not valid TOML: Invalid value"]
    assert problems("set = 3\n") == [
        "changes.toml: set: must be written [[set]] (an array of tables), one per unit"]


def test_read_changes_from_disk(tmp_path):
    path = tmp_path / "CHANGES.toml"
    path.write_bytes(b'\xef\xbb\xbf[[close]]\nunit_id = "U1"\n')  # a BOM is fine
    assert read_changes(path).closes[0].unit_id == "U1"
    path.write_bytes(b'[[close]]\nunit_id = "\xff"\n')
    with pytest.raises(InputError, match=r"CHANGES\.toml:2: not UTF-8"):
        read_changes(path)
    with pytest.raises(InputError, match="cannot be read"):
        read_changes(tmp_path / "missing.toml")


def test_numeric_unit_ids_and_integral_float_counts_are_read_as_before():
    # unchanged by moving the value helpers to models.tomlvalues (shared with SWEEP.toml)
    units = (Unit("7", "N1", "adult_secure", "medium", beds=10, lat=53.0, lon=-1.5),)
    out = apply_changes(Instance(units, ()),
                        parse_changes("[[set]]\nunit_id = 7\nbeds = 3.0\ncost_per_day = 2\n"))
    assert (out.units[0].beds, out.units[0].cost_per_day) == (3, 2.0)
    assert type(out.units[0].beds) is int
    assert problems("[[set]]\nunit_id = 7.0\nbeds = 3.5\n") == [
        "changes.toml:2: [[set]] #1 unit_id: must be a unit id (text), got 7.0",
        "changes.toml:3: [[set]] #1 beds: must be a whole number from 0 to 1,000,000, got 3.5",
    ]


ADD_FAR = """[[add_unit]]
unit_id = "FAR"
network_id = "N1"
service = "adult_secure"
level = "low"
beds = 2
lat = 10.0
lon = 10.0
specialist_only = true
specialisms = ["ld"]
accepts_referrals = "no"
"""


def test_an_added_unit_far_away_is_boxed_without_a_geography():
    assert problems(ADD_FAR) == [
        "changes.toml:1: [[add_unit]] #1 lat: 10 is outside the British Isles (latitude 49.0 "
        "to 61.0)",
        "changes.toml:1: [[add_unit]] #1 lon: 10 is outside the British Isles (longitude -11.0 "
        "to 2.0)"]


def test_an_added_unit_follows_the_instance_geography_and_takes_the_1_2_columns():
    from models.domain import Geography, Place

    inst = base()
    world = Instance(inst.units, inst.patients, inst.networks, inst.policy,
                     Geography((Place("A", 10.0, 10.0),), ()))
    after = apply_changes(world, parse_changes(ADD_FAR, "changes.toml"))
    far = after.units[-1]
    assert far.unit_id == "FAR" and far.lat == 10.0
    assert far.specialist_only and not far.accepts_referrals and far.specialisms == {"ld"}
