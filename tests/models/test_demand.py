"""demand.csv: rates read and checked, every problem with file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.demand import DemandRate, demand_csv, find_demand, read_demand
from models.errors import InputError
from models.io import read_instance

EXAMPLE = Path("instances/examples/simulate-two-wards")


@pytest.fixture(scope="module")
def inst():
    return read_instance(EXAMPLE)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demand.csv"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, inst) -> list[str]:
    with pytest.raises(InputError) as err:
        read_demand(path, inst)
    return [str(p) for p in err.value.problems]


def test_reads_rates_and_optional_stays(tmp_path, inst):
    path = write(tmp_path, "service,level,home_network_id,referrals_per_year,mean_stay_days\n"
                           "adult_secure,medium,north,12,90\n"
                           "adult_secure,medium,south,3.5,\n")
    assert read_demand(path, inst) == (
        DemandRate("adult_secure", "medium", "north", 12.0, 90.0, 2),
        DemandRate("adult_secure", "medium", "south", 3.5, None, 3))


def test_the_bundled_example_has_a_demand_file(inst):
    found = find_demand(EXAMPLE)
    assert found is not None and [r.referrals_per_year for r in read_demand(found, inst)] \
        == [0.0, 0.0]
    assert find_demand(Path("instances/examples/two-wards")) is None


def test_every_bad_row_is_named(tmp_path, inst):
    path = write(tmp_path, "service,level,home_network_id,referrals_per_year,mean_stay_days\n"
                           "adult_secure,medium,north,-1,\n"
                           "camhs,high,north,1,\n"
                           "adult_secure,medium,west,1,\n"
                           "adult_secure,medium,south,many,\n"
                           "adult_secure,medium,north,1,0\n"
                           "forensic,medium,north,1,\n")
    assert problems(path, inst) == [
        "demand.csv:2: referrals_per_year: must be >= 0, got -1",
        "demand.csv:3: level: 'high' is not a level of camhs: use general, picu, low, medium",
        "demand.csv:4: home_network_id: unknown collaborative 'west' (not a network of the "
        "instance's networks.csv, units or patients)",
        "demand.csv:5: referrals_per_year: 'many' is not a number",
        "demand.csv:6: mean_stay_days: must be > 0, got 0",
        "demand.csv:7: service: 'forensic' is not a service: use adult_secure, camhs or "
        "eating_disorder",
    ]


def test_a_stream_given_twice_is_refused(tmp_path, inst):
    path = write(tmp_path, "service,level,home_network_id,referrals_per_year\n"
                           "adult_secure,medium,north,1\n"
                           "adult_secure,medium,north,2\n")
    assert problems(path, inst) == [
        "demand.csv:3: home_network_id: adult_secure medium for north is given twice "
        "(first on row 2)"]


def test_referrals_need_patients_to_copy_and_a_zero_rate_does_not(tmp_path, inst):
    path = write(tmp_path, "service,level,home_network_id,referrals_per_year\n"
                           "adult_secure,low,north,5\n"
                           "adult_secure,low,south,0\n")
    assert problems(path, inst) == [
        "demand.csv:2: referrals_per_year: no patient of the instance has service "
        "adult_secure, level low and home collaborative north: the referrals' sex, age, needs "
        "and home are drawn from such patients"]


def test_missing_columns_and_unreadable_files(tmp_path, inst):
    assert problems(write(tmp_path, "service,level\nadult_secure,medium\n"), inst) == [
        "demand.csv:1: home_network_id: missing required column",
        "demand.csv:1: referrals_per_year: missing required column"]
    assert problems(write(tmp_path, ""), inst) == [
        "demand.csv: the file is empty (0 bytes): it needs at least the header row"]
    bad = tmp_path / "demand.csv"
    bad.write_bytes(b"service,level,home_network_id,referrals_per_year\n\xff,medium,north,1\n")
    assert problems(bad, inst)[0].startswith("demand.csv:2: not UTF-8 text")
    assert problems(tmp_path / "absent.csv", inst)[0].startswith("absent.csv: cannot be read")


def test_written_rates_read_back(tmp_path, inst):
    rates = (DemandRate("adult_secure", "medium", "north", 2 / 3, None),
             DemandRate("adult_secure", "medium", "south", 4.0, 30.0))
    back = read_demand(write(tmp_path, demand_csv(rates)), inst)
    assert [(r.referrals_per_year, r.mean_stay_days) for r in back] == [
        (pytest.approx(2 / 3), None), (4.0, 30.0)]
