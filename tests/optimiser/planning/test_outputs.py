"""Outputs exactly per contract, and all-or-nothing writing."""

from __future__ import annotations

import csv
import json
import math

import pytest

import optimiser.planning.outputs as outputs
from models.domain import Instance, Patient, Unit
from optimiser.core.result import ERROR, INFEASIBLE, OPTIMAL, Assignment, Metrics, Result
from optimiser.planning.transfers import MOVE, TransferStep


def unit(uid: str, network: str = "N1") -> Unit:
    return Unit(unit_id=uid, network_id=network, service="adult_secure", level="medium",
                beds=2, lat=52.0, lon=-1.0)


def patient(pid: str, status: str, current: str | None = None) -> Patient:
    return Patient(patient_id=pid, status=status, service="adult_secure", level="medium",
                   sex="male", age=30, home_lat=52.0, home_lon=-1.0, home_network_id="N1",
                   current_unit_id=current)


INSTANCE = Instance(
    units=(unit("A"), unit("B", "N2")),
    patients=(patient("P2", "inpatient", "A"), patient("R1", "referral"),
              patient("P1", "inpatient", "A"), patient("R2", "referral")),
)
# Deliberately not in patients.csv order: the writer must reorder.
ASSIGNMENTS = (
    Assignment("R2", "referral", None, "A", "admit", 12.34567, False),
    Assignment("P1", "inpatient", "A", "B", "move", 101.0, True),
    Assignment("R1", "referral", None, None, "unplaced", None, None),
    Assignment("P2", "inpatient", "A", "A", "stay", 0.0004, False),
)
PLAN = Result(OPTIMAL, 2188.3457, 2188.3457, 0.0, "highs", 0.51234, ASSIGNMENTS,
              Metrics(patients=4, placed=3, unplaced=1, moves=1, out_of_area=1,
                      total_km=113.34607, median_km=12.34567, delayed=0),
              ("referral R1: all compatible units are full",), "fast",
              (("build", 0.1), ("solve", 0.2)))
NO_PLAN = Result(INFEASIBLE, None, None, None, "highs", 0.2, (), Metrics(),
                 ("unit A has 1 open beds but 2 patients who may not move",))


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_assignments_csv_columns_order_booleans_and_empty_fields(tmp_path):
    outputs.write_outputs(tmp_path, INSTANCE, PLAN)
    rows = read_csv(tmp_path / "assignments.csv")
    assert rows == [
        ["patient_id", "status", "current_unit_id", "unit_id", "action", "distance_km",
         "out_of_area"],
        ["P2", "inpatient", "A", "A", "stay", "0.000", "false"],
        ["R1", "referral", "", "", "unplaced", "", ""],
        ["P1", "inpatient", "A", "B", "move", "101.000", "true"],
        ["R2", "referral", "", "A", "admit", "12.346", "false"],
    ]


def test_summary_json_has_the_contract_keys_then_extras(tmp_path):
    outputs.write_outputs(tmp_path, INSTANCE, PLAN, extra={"network": None, "km": math.inf})
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert list(summary)[:8] == ["status", "objective", "bound", "gap", "solver", "seconds",
                                 "metrics", "diagnosis"]
    assert summary["status"] == "optimal"
    assert summary["objective"] == 2188.3457 and summary["bound"] == 2188.3457
    assert summary["gap"] == 0.0 and summary["solver"] == "highs" and summary["seconds"] == 0.512
    assert summary["metrics"] == {"patients": 4, "placed": 3, "unplaced": 1, "moves": 1,
                                  "out_of_area": 1, "total_km": 113.346, "median_km": 12.346,
                                  "delayed": 0}
    assert summary["diagnosis"] == ["referral R1: all compatible units are full"]
    assert summary["method"] == "fast" and summary["timings"] == {"build": 0.1, "solve": 0.2}
    assert summary["network"] is None and summary["km"] is None  # no Infinity in JSON


def test_extras_cannot_replace_contract_keys():
    with pytest.raises(ValueError, match="status"):
        outputs.summary_dict(INSTANCE, PLAN, extra={"status": "optimal"})


@pytest.mark.parametrize("status", [INFEASIBLE, ERROR])
def test_no_plan_means_null_objective_and_header_only_files(tmp_path, status):
    result = Result(status, 5.0, 4.0, 0.2, "cbc", 0.2, ASSIGNMENTS, PLAN.metrics,
                    ("why",))
    steps = [TransferStep(1, "P1", MOVE, "A", "B")]
    outputs.write_outputs(tmp_path, INSTANCE, result, transfers=steps)
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == status
    assert summary["objective"] is None and summary["bound"] is None and summary["gap"] is None
    assert summary["diagnosis"] == ["why"]
    assert summary["metrics"]["patients"] == 4 and summary["metrics"]["placed"] == 0
    assert len(read_csv(tmp_path / "assignments.csv")) == 1
    assert len(read_csv(tmp_path / "transfers.csv")) == 1


def test_transfers_csv_rows(tmp_path):
    steps = [TransferStep(1, "P1", "temporary", "A", None, cycle=1, needs="temporary bed"),
             TransferStep(2, "P1", MOVE, "A", "B", 80.0, 12.5, 67.5, 1, "from temporary bed")]
    outputs.write_outputs(tmp_path, INSTANCE, PLAN, transfers=steps)
    assert read_csv(tmp_path / "transfers.csv") == [
        ["step", "patient_id", "kind", "from_unit_id", "to_unit_id", "km_before", "km_after",
         "km_closer", "cycle", "needs"],
        ["1", "P1", "temporary", "A", "", "", "", "", "1", "temporary bed"],
        ["2", "P1", "move", "A", "B", "80.000", "12.500", "67.500", "1", "from temporary bed"],
    ]


def test_a_result_missing_a_patient_is_refused_before_anything_is_written(tmp_path):
    bad = Result(OPTIMAL, 1.0, 1.0, 0.0, "highs", 0.1, ASSIGNMENTS[:2])
    with pytest.raises(ValueError, match="no outcome"):
        outputs.write_outputs(tmp_path, INSTANCE, bad)
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_write_leaves_previous_outputs_untouched(tmp_path, monkeypatch):
    outputs.write_outputs(tmp_path, INSTANCE, PLAN)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(before) == {"assignments.csv", "summary.json", "transfers.csv"}

    real_open = outputs.atomic_open
    calls = []

    def failing_open(path, *args, **kwargs):
        calls.append(path.name)
        if len(calls) == 3:  # the third file fails after two were staged
            raise OSError("disk full")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(outputs, "atomic_open", failing_open)
    with pytest.raises(OSError, match="disk full"):
        outputs.write_outputs(tmp_path, INSTANCE, NO_PLAN)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # same files, same bytes, no temporary leftovers


def test_failure_while_writing_content_leaves_no_partial_file(tmp_path):
    outputs.write_files(tmp_path, {"a.txt": "old"})
    with pytest.raises(TypeError):
        outputs.write_files(tmp_path, {"a.txt": "new", "b.txt": 42})  # type: ignore[dict-item]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "old"


def test_format_km():
    assert outputs.format_km(None) == "" and outputs.format_km(math.inf) == ""
    assert outputs.format_km(1.23456) == "1.235" and outputs.format_km(7) == "7.000"
