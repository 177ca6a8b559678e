"""``bedplan validate`` through click's CliRunner: summary and exit 0, problems and exit 2."""

from __future__ import annotations

from click.testing import CliRunner

from bedplan.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, ["validate", *args])


def test_valid_instance_prints_its_summary(tiny_instance):
    result = run(str(tiny_instance))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert result.stderr == ""
    assert "4 units in 2 networks; 6 patients: 4 inpatients, 2 referrals" in out
    assert "  adult_secure  medium       2     5     4           2          1" in out
    assert "  camhs         general      1     4     4           1          1" in out
    assert "  N1           2          4         3" in out
    assert "adult_secure: 6 open beds for 4 patients (3 inpatients + 1 referrals): 2 spare" in out
    assert "Units with more inpatients than open beds:\n  none" in out


def test_over_full_units_and_short_services_are_shown(make_instance, tiny_tables):
    tiny_tables["units"][1]["beds_closed"] = "3"  # U2: 0 open beds, P2 stays there
    result = run(str(make_instance(**tiny_tables)))
    assert result.exit_code == 0
    assert "  U2 (Ward Two): 1 inpatients, 0 open beds" in result.stdout
    assert "adult_secure: 4 open beds for 4 patients" in result.stdout


def test_invalid_instance_lists_every_problem_and_exits_2(make_instance, tiny_tables):
    tiny_tables["patients"][0]["current_unit_id"] = "W99"
    tiny_tables["units"][0]["beds"] = "-1"
    result = run(str(make_instance(**tiny_tables)))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: units.csv:2: beds: must be >= 0, got -1",
        "error: patients.csv:2: current_unit_id: unknown unit 'W99'",
        "2 problems found.",
    ]


def test_missing_path_exits_2(tmp_path):
    result = run(str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr
    assert "Traceback" not in result.output


def test_validate_without_argument_is_a_usage_error():
    result = run()
    assert result.exit_code == 2
    assert "Missing argument 'INSTANCE'" in result.stderr


def test_help_speaks_to_a_bed_manager():
    result = run("--help")
    assert result.exit_code == 0
    assert "spreadsheet row" in result.stdout
    assert "Exit codes: 0 the instance is valid, 2 problems were found." in result.stdout


def test_the_command_alone_exits_2_on_problems(tmp_path):
    """Invoked directly (not through the group), the exit code is still 2."""
    from bedplan.cli.validate import validate

    result = CliRunner().invoke(validate, [str(tmp_path)])
    assert result.exit_code == 2
    assert "units.csv: missing" in result.stderr


PLACES = "place_id,lat,lon\nA,51.5,-0.1\nB,52.5,-1.9\nC,53.5,-2.2\nD,51.45,-2.58\n"
LINKS = "from,to,km\nA,B,190\nB,D,140\n"  # C (Manchester) is an island


def test_custom_geography_inpatient_unreachable_from_home(make_instance, tiny_tables):
    files = {"geography/places.csv": PLACES, "geography/links.csv": LINKS}
    tiny_tables["patients"][2].update(home_lat="53.45", home_lon="-2.25")  # P3 near C, in U3
    result = run(str(make_instance("ok", **tiny_tables, files=files)))
    assert result.exit_code == 0, result.stderr
    assert "custom travel network: 4 places, 2 links" in result.stdout

    tiny_tables["patients"][2].update(home_lat="51.6", home_lon="-0.2")  # P3 home near A
    result = run(str(make_instance("cut", **tiny_tables, files=files)))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(
        "error: patients.csv:4: current_unit_id: unit 'U3' is unreachable")
