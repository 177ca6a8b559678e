"""Contract: invalid input → exit 2, nothing written, stderr names file, row and column.

"| 2 | invalid input: nothing was written; stderr names the file, row and column and what is
wrong |"; "Error messages name the row as a spreadsheet would: the header is row 1, the first
data row is row 2."; "No input, however malformed, produces a Python traceback."; "`bedplan
validate INSTANCE` ... reports every problem, not only the first."

Each case is one mutation of the valid base instance (``variants.base_spec``), run through
both ``bedplan validate`` and ``bedplan reallocate --out OUT`` (OUT exists beforehand with a
sentinel file and must be byte-for-byte unchanged afterwards).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import contract_util as cu
import pytest
from contract_util import Spec
from oracle import Geography
from variants import base_spec

# patients of base_spec: row 2 P1, 3 P2, 4 P5, 5 R1, 6 R2, 7 R3; units: row 2 U1 .. 6 U5


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable[[Spec], None]
    file: str
    row: int | None
    column: str | None
    extra_words: tuple[str, ...] = ()


def _set(table: str, index: int, **values: str) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        getattr(spec, table)[index].update(values)
    return mutate


def _files(**files: str | bytes) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        spec.extra_files.update(files)
    return mutate


def _policy(text: str) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        spec.policy = None
        spec.extra_files["policy.toml"] = text
    return mutate


def _duplicate(table: str, index: int, key: str, value: str) -> Callable[[Spec], None]:
    return _set(table, index, **{key: value})


def _geography(links: str, *, places_extra: str = "") -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        spec.policy = {"distance": "road"}
        spec.geography = None
        spec.extra_files["geography/places.csv"] = (
            "place_id,lat,lon\nA,51.5,-0.1\nB,52.5,-1.9\nC,53.7,-1.5\nD,54.9,-1.6\n"
            + places_extra)
        spec.extra_files["geography/links.csv"] = links
    return mutate


CASES = [
    Case("beds 12.5", _set("units", 1, beds="2.5"), "units.csv", 3, "beds"),
    Case("age 12.5", _set("patients", 0, age="34.5"), "patients.csv", 2, "age"),
    Case("priority 1.5", _set("patients", 3, priority="1.5"), "patients.csv", 5, "priority"),
    Case("unknown current unit", _set("patients", 1, current_unit_id="W99"), "patients.csv",
         3, "current_unit_id", ("W99",)),
    Case("unknown excluded unit", _set("patients", 4, excluded_units="U1;W98"), "patients.csv",
         6, "excluded_units", ("W98",)),
    Case("unknown unit network", _set("units", 2, network_id="N9"), "units.csv", 4,
         "network_id", ("N9",)),
    Case("unknown home network", _set("patients", 5, home_network_id="N8"), "patients.csv", 7,
         "home_network_id", ("N8",)),
    Case("duplicate unit_id", _duplicate("units", 2, "unit_id", "U1"), "units.csv", 4,
         "unit_id", ("U1",)),
    Case("duplicate patient_id", _duplicate("patients", 4, "patient_id", "R1"), "patients.csv",
         6, "patient_id", ("R1",)),
    Case("referral with current unit", _set("patients", 3, current_unit_id="U2"),
         "patients.csv", 5, "current_unit_id"),
    Case("inpatient without current unit", _set("patients", 0, current_unit_id=""),
         "patients.csv", 2, "current_unit_id"),
    Case("level not of the service (unit)", _set("units", 3, level="high"), "units.csv", 5,
         "level", ("high",)),
    Case("level not of the service (patient)", _set("patients", 4, level="high"),
         "patients.csv", 6, "level", ("high",)),
    Case("beds_closed > beds", _set("units", 0, beds_closed="3"), "units.csv", 2,
         "beds_closed"),
    Case("negative beds", _set("units", 0, beds="-1"), "units.csv", 2, "beds"),
    Case("age 121", _set("patients", 0, age="121"), "patients.csv", 2, "age"),
    Case("patient sex mixed", _set("patients", 0, sex="mixed"), "patients.csv", 2, "sex"),
    Case("movable maybe", _set("patients", 0, movable="maybe"), "patients.csv", 2, "movable"),
    Case("priority 0", _set("patients", 3, priority="0"), "patients.csv", 5, "priority"),
    Case("status unknown", _set("patients", 3, status="waiting"), "patients.csv", 5, "status"),
    Case("service unknown", _set("units", 4, service="rehab"), "units.csv", 6, "service"),
    Case("missing beds", _set("units", 4, beds=""), "units.csv", 6, "beds"),
    Case("missing network_id", _set("units", 1, network_id=""), "units.csv", 3, "network_id"),
    Case("lat not a number", _set("units", 1, lat="north"), "units.csv", 3, "lat"),
    Case("empty patient_id", _set("patients", 2, patient_id=""), "patients.csv", 4,
         "patient_id"),
    Case("unknown postcode", _set("units", 0, lat="", lon="", postcode="ZZ99 9ZZ"),
         "units.csv", 2, "postcode", ("ZZ99 9ZZ",)),
    Case("unknown home postcode", _set("patients", 0, home_lat="", home_lon="",
                                       home_postcode="QQ1 1QQ"),
         "patients.csv", 2, "home_postcode", ("QQ1 1QQ",)),
    Case("negative weight", _policy('distance = "geodesic"\n[weights]\nkm = -1.0\n'),
         "policy.toml", None, "km"),
    Case("negative limit", _policy('distance = "geodesic"\n[limits]\nmax_moves = -2\n'),
         "policy.toml", None, "max_moves"),
    Case("malformed toml", _policy('distance = "geodesic\n[weights\n'), "policy.toml", None,
         None),
    Case("unknown policy key", _policy('distance = "geodesic"\n[weights]\nkmh = 1.0\n'),
         "policy.toml", None, "kmh"),
    Case("unknown top-level policy key", _policy('distanse = "geodesic"\n'), "policy.toml",
         None, "distanse"),
    Case("unknown distance mode", _policy('distance = "crow"\n'), "policy.toml", None,
         "distance"),
    Case("0-byte patients.csv", _files(**{"patients.csv": b""}), "patients.csv", None, None),
    Case("0-byte units.csv", _files(**{"units.csv": b""}), "units.csv", None, None),
    Case("non-UTF-8 bytes", _files(**{"networks.csv": "network_id,name,lead_provider\n"
                                      "N1,Nörth,Trust\nN2,South,Trust\n".encode("latin-1")}),
         "networks.csv", None, None, ("CSV UTF-8",)),
    Case("age -1", _set("patients", 0, age="-1"), "patients.csv", 2, "age"),
    Case("patient sex blank", _set("patients", 3, sex=""), "patients.csv", 5, "sex"),
    Case("negative beds_closed", _set("units", 1, beds_closed="-1"), "units.csv", 3,
         "beds_closed"),
    Case("unknown solver", _policy('distance = "geodesic"\n[solver]\nname = "gurobi"\n'),
         "policy.toml", None, "name", ("gurobi",)),
    Case("weight as a string", _policy('distance = "geodesic"\n[weights]\nmove = "25"\n'),
         "policy.toml", None, "move"),
    Case("provider_type unknown", _set("units", 1, provider_type="charity"), "units.csv", 3,
         "provider_type", ("charity",)),
    Case("unit sex unknown", _set("units", 1, sex="both"), "units.csv", 3, "sex"),
    Case("unit level blank", _set("units", 1, level=""), "units.csv", 3, "level"),
    Case("patient age blank", _set("patients", 2, age=""), "patients.csv", 4, "age"),
    Case("home_network_id blank", _set("patients", 2, home_network_id=""), "patients.csv", 4,
         "home_network_id"),
    Case("patient service blank", _set("patients", 3, service=""), "patients.csv", 5,
         "service"),
    Case("UTF-16 file", _files(**{"units.csv": cu.csv_text(base_spec().units)
                                  .encode("utf-16")}), "units.csv", None, None,
         ("CSV UTF-8",)),
    Case("0-byte networks.csv", _files(**{"networks.csv": b""}), "networks.csv", None, None),
    Case("duplicate network_id", _files(**{"networks.csv": "network_id,name,lead_provider\n"
                                           "N1,a,\nN2,b,\nN1,c,\n"}), "networks.csv", 4,
         "network_id", ("N1",)),
    Case("negative cost_per_day", _set("units", 2, cost_per_day="-5"), "units.csv", 4,
         "cost_per_day"),
    Case("limit 1.5", _policy('distance = "geodesic"\n[limits]\nmax_moves = 1.5\n'),
         "policy.toml", None, "max_moves"),
    Case("duplicate place_id", _geography("from,to,km\nA,B,190\nB,C,100\nC,D,100\n",
                                          places_extra="B,52.6,-1.8\n"),
         "places.csv", 6, "place_id", ("B",)),
    Case("link to unknown place", _geography("from,to,km\nA,B,190\nB,Z,100\n"),
         "links.csv", 3, "to", ("Z",)),
    Case("link km 0", _geography("from,to,km\nA,B,190\nB,C,0\n"), "links.csv", 3, "km"),
    Case("link km negative", _geography("from,to,km\nA,B,-5\nB,C,150\n"), "links.csv", 2,
         "km"),
    Case("current unit unreachable", _geography("from,to,km\nA,B,190\nC,D,150\n"),
         "patients.csv", 4, "current_unit_id", ("U2",)),
]
# In the last case, places A-B (London, Birmingham) and C-D (Leeds, Newcastle) are two
# components: P5 (home Newcastle → D) is an inpatient of U2 (Birmingham → B): unreachable.


def write_case(case: Case, directory: Path) -> Path:
    spec = base_spec()
    case.mutate(spec)
    return cu.write_spec(spec, directory)  # extra_files (raw) are written after the rows


def names_location(stderr: str, case: Case) -> bool:
    """A line of stderr names the file, the row (as a number) and the column."""
    for line in stderr.splitlines():
        if case.file not in line:
            continue
        if case.row is not None and not re.search(rf"(?<![\d.]){case.row}(?![\d.])",
                                                   line.replace(case.file, "")):
            continue
        if case.column is not None and case.column not in line:
            continue
        return all(w in stderr for w in case.extra_words)
    return False


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_input_exit_2_and_nothing_written(tmp_path: Path, case: Case) -> None:
    inst = write_case(case, tmp_path / "inst")
    out = tmp_path / "out"
    out.mkdir()
    (out / "assignments.csv").write_text("previous run\n")
    before = cu.snapshot(out)
    run = cu.run_cli("reallocate", inst, "--out", out)
    assert "Traceback" not in run.stderr + run.stdout, run.stderr[-1500:]
    assert run.code == 2, f"exit {run.code}; stderr: {run.stderr[-600:]}"
    assert cu.snapshot(out) == before, "OUT changed by an invalid run"
    assert names_location(run.stderr, case), f"stderr does not name {case.file} row " \
        f"{case.row} column {case.column} {case.extra_words}:\n{run.stderr}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_reports_it(case: Case, tmp_path: Path) -> None:
    inst = write_case(case, tmp_path / "inst")
    run = cu.run_cli("validate", inst)
    assert "Traceback" not in run.stderr + run.stdout, run.stderr[-1500:]
    assert run.code == 2, f"exit {run.code}; stdout: {run.stdout[-400:]}"
    assert names_location(run.stderr, case), f"stderr does not name {case.file} row " \
        f"{case.row} column {case.column}:\n{run.stderr}"


def test_validate_reports_every_problem(tmp_path: Path) -> None:
    spec = base_spec()
    spec.units[1]["beds"] = "2.5"
    spec.patients[1]["current_unit_id"] = "W99"
    spec.patients[3]["current_unit_id"] = "U2"
    run = cu.run_cli("validate", cu.write_spec(spec, tmp_path / "inst"))
    assert run.code == 2
    for case in (Case("", lambda s: None, "units.csv", 3, "beds"),
                 Case("", lambda s: None, "patients.csv", 3, "current_unit_id"),
                 Case("", lambda s: None, "patients.csv", 5, "current_unit_id")):
        assert names_location(run.stderr, case), run.stderr


def test_valid_instance_validates(tmp_path: Path) -> None:
    run = cu.run_cli("validate", cu.write_spec(base_spec(), tmp_path / "inst"))
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr


def test_valid_custom_geography_validates(tmp_path: Path) -> None:
    spec = base_spec()
    spec.policy = {"distance": "road"}
    spec.geography = Geography(places={"A": (51.5, -0.1), "B": (52.5, -1.9)},
                               links=[("A", "B", 190.0)])
    run = cu.run_cli("validate", cu.write_spec(spec, tmp_path / "inst"))
    assert run.code == 0, run.stderr


def test_overfull_but_valid_instance_validates(tmp_path: Path) -> None:
    """Infeasibility is a run outcome (exit 3), not invalid input: validate says valid."""
    spec = base_spec()
    spec.units[0]["beds"] = "1"  # U1 holds P1 and P2, both immovable now
    spec.patients[0]["movable"] = "false"
    run = cu.run_cli("validate", cu.write_spec(spec, tmp_path / "inst"))
    assert run.code == 0, run.stderr
    out = tmp_path / "out"
    run = cu.run_cli("reallocate", tmp_path / "inst", "--out", out)
    assert cu.check_reallocate(spec, out, run) == []
    assert run.code == 3


def test_age_zero_is_valid(tmp_path: Path) -> None:
    spec = base_spec()
    spec.patients[4]["age"] = "0"  # R2, camhs: valid, but outside U4's 12..17
    run = cu.run_cli("validate", cu.write_spec(spec, tmp_path / "inst"))
    assert run.code == 0, run.stderr
