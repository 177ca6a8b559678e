"""Contract: ``bedplan reallocate INSTANCE --out OUT`` against an independent brute-force oracle.

Every run is checked by ``contract_util.check_reallocate``: exit code (0 optimal / 3
infeasible / 2 invalid), assignments.csv exactly per "What a run writes" (columns, row order =
patients.csv, action values, ``true``/``false``, empty fields for unplaced rows),
summary.json keys and types, ``objective`` = the contract objective of the written
assignments = the oracle's optimum (1e-6 relative), the metrics recomputed, and for
infeasible runs null objective/bound/gap, a header-only assignments.csv and a diagnosis.
The targeted cases below each make one rule bind, with the expected outcome written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import contract_util as cu
import oracle
import pytest
from contract_util import Spec, patient_row, unit_row
from oracle import Geography

DEFAULT_SEEDS = range(6)
SLOW_SEEDS = range(6, 206)


def check(spec: Spec, tmp: Path, *extra: str) -> tuple[cu.Run, Path]:
    run, out = cu.reallocate(spec, tmp, *extra)
    assert cu.check_reallocate(spec, out, run) == []
    return run, out


def actions(out: Path) -> dict[str, tuple[str, str]]:
    _, rows, _ = cu.read_assignments(out)
    return {r["patient_id"]: (r["action"], r["unit_id"]) for r in rows}


@pytest.mark.parametrize("seed", DEFAULT_SEEDS)
def test_random_tiny_instances(tmp_path: Path, seed: int) -> None:
    spec = cu.random_spec(seed)
    run, out = cu.reallocate(spec, tmp_path, style=seed if seed % 2 else None)
    assert cu.check_reallocate(spec, out, run) == []


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_random_tiny_instances_sweep(tmp_path: Path, seed: int) -> None:
    """Odd seeds write the CSVs in a random mix of allowed forms (BOM, CRLF, column order,
    quoting, extra columns)."""
    spec = cu.random_spec(seed)
    run, out = cu.reallocate(spec, tmp_path, style=seed if seed % 2 else None)
    assert cu.check_reallocate(spec, out, run) == []


@pytest.mark.parametrize("seed", range(2))
def test_random_builtin_road_instances(tmp_path: Path, seed: int) -> None:
    """Road distances over the built-in England network (no geography/)."""
    spec = cu.random_spec(seed, hard=seed % 2 == 1, builtin_road=True)
    run, out = cu.reallocate(spec, tmp_path)
    assert cu.check_reallocate(spec, out, run) == []


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 80))
def test_random_builtin_road_instances_sweep(tmp_path: Path, seed: int) -> None:
    spec = cu.random_spec(seed, hard=seed % 2 == 1, builtin_road=True)
    run, out = cu.reallocate(spec, tmp_path)
    assert cu.check_reallocate(spec, out, run) == []


@pytest.mark.parametrize("seed", range(4))
def test_random_hard_instances(tmp_path: Path, seed: int) -> None:
    spec = cu.random_spec(seed, hard=True)
    run, out = cu.reallocate(spec, tmp_path)
    assert cu.check_reallocate(spec, out, run) == []


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4, 304))
def test_random_hard_instances_sweep(tmp_path: Path, seed: int) -> None:
    spec = cu.random_spec(seed, hard=True)
    run, out = cu.reallocate(spec, tmp_path)
    assert cu.check_reallocate(spec, out, run) == []


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(0, 40))
@pytest.mark.parametrize("method", ["mip", "fast"])
def test_random_tiny_instances_each_method(tmp_path: Path, seed: int, method: str) -> None:
    spec = cu.random_spec(seed)
    run, out = cu.reallocate(spec, tmp_path, "--method", method)
    assert cu.check_reallocate(spec, out, run) == []


GEO = {"distance": "geodesic"}
LONDON, LEEDS, BRISTOL = (51.51, -0.13), (53.80, -1.55), (51.45, -2.59)


def test_limits_bind_and_flags_override_policy(tmp_path: Path) -> None:
    """Two delayed inpatients (male in a female ward) each want to move to U2.

    policy.toml: max_moves = 1 → exactly one moves; ``--max-moves 0`` → nobody moves;
    with max_admissions_per_unit = 1 (and no move limit) → one moves as well.
    """
    units = [unit_row("U1", sex="female", beds=2, lat=LONDON[0], lon=LONDON[1]),
             unit_row("U2", sex="male", beds=2, lat=LONDON[0] + 0.1, lon=LONDON[1])]
    patients = [patient_row(f"P{i}", status="inpatient", current="U1", lat=LONDON[0] + 0.1,
                            lon=LONDON[1]) for i in (1, 2)]
    spec = Spec(units, patients, policy={**GEO, "limits": {"max_moves": 1}})
    _, out = check(spec, tmp_path / "a")
    assert sorted(a for a, _ in actions(out).values()) == ["move", "stay"]
    _, out = cu.reallocate(spec, tmp_path / "b", "--max-moves", "0")
    assert [a for a, _ in actions(out).values()] == ["stay", "stay"]
    assert cu.check_reallocate(spec.copy(policy={**GEO, "limits": {"max_moves": 0}}), out,
                               cu.Run(0, "", "")) == []
    spec2 = Spec(units, patients, policy={**GEO, "limits": {"max_admissions_per_unit": 1}})
    _, out = check(spec2, tmp_path / "c")
    assert sorted(a for a, _ in actions(out).values()) == ["move", "stay"]
    _, out = check(Spec(units, patients, policy=GEO), tmp_path / "d")  # no limit: both move
    assert [a for a, _ in actions(out).values()] == ["move", "move"]


def test_capacity_closed_beds_excluded_units_and_priority(tmp_path: Path) -> None:
    """U1 (London) has 2 beds, 1 closed; U2 (Leeds) 1 bed; three referrals for two beds.

    R2 (Leeds, priority 3) takes U2; R3 (London) takes U1's one open bed; R1 (London) is
    excluded from U1, and U2 is taken, so R1 is unplaced (1000). Any other plan costs more
    (R2 in U1 and R1 in U2: ~2 x 270 km + 1000 for R3).
    """
    units = [unit_row("U1", beds=2, closed=1, lat=LONDON[0], lon=LONDON[1]),
             unit_row("U2", beds=1, lat=LEEDS[0], lon=LEEDS[1])]
    patients = [patient_row("R1", excluded="U1", lat=LONDON[0], lon=LONDON[1],
                            priority="1"),
                patient_row("R2", lat=LEEDS[0], lon=LEEDS[1], priority="3"),
                patient_row("R3", lat=LONDON[0], lon=LONDON[1], priority="1")]
    _, out = check(Spec(units, patients, policy=GEO), tmp_path)
    got = actions(out)
    # Two beds for three referrals: R2 (priority 3) is placed; one of R1/R3 is unplaced.
    # R3 in U1 (near) and R2 in U2 (near R2): ~0 km; R1 then has no bed → unplaced.
    assert got == {"R1": ("unplaced", ""), "R2": ("admit", "U2"), "R3": ("admit", "U1")}


def test_delayed_stay_versus_move(tmp_path: Path) -> None:
    """An inpatient needing low security sits in a medium ward: a delayed stay (w.delayed)
    unless moving (w.move + km) is cheaper; an immovable one always stays, delayed."""
    units = [unit_row("U1", level="medium", beds=2, lat=LONDON[0], lon=LONDON[1]),
             unit_row("U2", level="low", beds=1, lat=LEEDS[0], lon=LEEDS[1])]
    p = [patient_row("P1", status="inpatient", level="low", current="U1", lat=LONDON[0],
                     lon=LONDON[1])]
    # Leeds is ~270 km away: stay delayed (200) beats 270 + 25.
    _, out = check(Spec(units, p, policy=GEO), tmp_path / "a")
    assert actions(out) == {"P1": ("stay", "U1")}
    assert json.loads((out / "summary.json").read_text())["metrics"]["delayed"] == 1
    # With w.delayed = 5000 the move wins.
    spec = Spec(units, p, policy={**GEO, "weights": {"delayed": 5000.0}})
    _, out = check(spec, tmp_path / "b")
    assert actions(out) == {"P1": ("move", "U2")}
    p[0]["movable"] = "false"
    _, out = check(Spec(units, p, policy={**GEO, "weights": {"delayed": 5000.0}}),
                   tmp_path / "c")
    assert actions(out) == {"P1": ("stay", "U1")}


def test_infeasible_immovable_overfill(tmp_path: Path) -> None:
    """Three immovable inpatients in a 2-bed unit: exit 3, status infeasible, nulls,
    header-only assignments.csv and a diagnosis."""
    units = [unit_row("U1", beds=2), unit_row("U2", beds=5, lat=LEEDS[0], lon=LEEDS[1])]
    patients = [patient_row(f"P{i}", status="inpatient", current="U1", movable="false")
                for i in range(3)]
    run, out = check(Spec(units, patients, policy=GEO), tmp_path)
    assert run.code == 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible" and summary["objective"] is None
    assert any("U1" in d for d in summary["diagnosis"])


def test_custom_geography_disconnected_and_same_place(tmp_path: Path) -> None:
    """Road distances over a custom geography/: a home in the Norwich-Cambridge component
    cannot reach a London unit (unplaced); a home snapping to the unit's own place pays only
    the two access legs (path 0)."""
    units = [unit_row("U1", beds=3, lat=51.52, lon=-0.10)]
    patients = [patient_row("R1", lat=52.62, lon=1.29),  # Norwich: other component
                patient_row("R2", lat=51.50, lon=-0.15)]  # London: same place as U1
    spec = Spec(units, patients, geography=cu.CUSTOM_GEOGRAPHY)  # no policy: road default
    _, out = check(spec, tmp_path)
    assert actions(out) == {"R1": ("unplaced", ""), "R2": ("admit", "U1")}
    _, rows, _ = cu.read_assignments(out)
    glon = cu.CUSTOM_GEOGRAPHY.places["GLON"]
    want = cu.geodesic_km((51.50, -0.15), glon) + cu.geodesic_km((51.52, -0.10), glon)
    assert float(rows[1]["distance_km"]) == pytest.approx(want, abs=0.0051)


def test_snapping_tie_goes_to_smallest_place_id(tmp_path: Path) -> None:
    """Places "PB" and "PA" share one position; the home there snaps to "PA" (smallest id),
    whose road to the unit is 50 km (via "PB" it would be 500 km)."""
    geo = Geography(places={"PB": (52.0, -1.0), "PA": (52.0, -1.0), "PC": (53.0, -1.0)},
                    links=[("PB", "PC", 500.0), ("PA", "PC", 50.0)])
    units = [unit_row("U1", beds=1, lat=53.0, lon=-1.0)]
    patients = [patient_row("R1", lat=52.0, lon=-1.0)]
    spec = Spec(units, patients, policy={"distance": "road"}, geography=geo)
    _, out = check(spec, tmp_path)
    _, rows, _ = cu.read_assignments(out)
    assert float(rows[0]["distance_km"]) == pytest.approx(50.0, abs=1e-6)


def test_invalid_run_leaves_previous_outputs(tmp_path: Path) -> None:
    """"a failed run leaves the previous outputs in place" / exit 2: "nothing was written"."""
    spec = Spec([unit_row("U1", beds=1)], [patient_row("R1")], policy=GEO)
    run, out = check(spec, tmp_path)
    before = cu.snapshot(out)
    assert "assignments.csv" in before
    bad = spec.copy()
    bad.patients[0]["age"] = "12.5"
    run, out2 = cu.reallocate(bad, tmp_path)
    assert out2 == out and run.code == 2 and "Traceback" not in run.stderr
    assert cu.snapshot(out) == before


def test_oracle_self_check() -> None:
    """The oracle itself on a hand-computed case: one referral, one unit 1 degree of
    latitude north, out of area (50) and costed (w.cost 0.1 x 400)."""
    units = [unit_row("U1", network="N2", beds=1, lat=52.0, lon=0.0, cost="400")]
    patients = [patient_row("R1", lat=51.0, lon=0.0, network="N1")]
    inst = oracle.load(units, patients, {**GEO, "weights": {"cost": 0.1}})
    d = inst.km["R1", "U1"]
    assert d == pytest.approx(111.25, abs=0.1)  # one degree of latitude near 51.5N
    assert oracle.solve(inst).objective == pytest.approx(d + 50 + 40)
    inst_full = oracle.load([{**units[0], "beds_closed": "1"}], patients, GEO)
    assert oracle.solve(inst_full).objective == pytest.approx(1000.0)


def test_checker_catches_tampered_outputs(tmp_path: Path) -> None:
    """The run checker itself can fail: each tampering of a correct run is reported."""
    from variants import base_spec

    spec = base_spec()
    run, out = check(spec, tmp_path)
    good_a = (out / "assignments.csv").read_text()
    good_s = (out / "summary.json").read_text()
    tampers = [
        ("assignments.csv", good_a.replace("P5,inpatient,U2,U5,move", "P5,inpatient,U2,U2,stay")),
        ("assignments.csv", good_a.replace(",false\n", ",False\n", 1)),
        ("assignments.csv", good_a.replace("patient_id,status", "patient_id,state")),
        ("summary.json", good_s.replace('"delayed": 1', '"delayed": 0')),
        ("summary.json", good_s.replace('"status": "optimal"', '"status": "feasible"')),
    ]
    summary = json.loads(good_s)
    summary["objective"] += 1.0
    tampers.append(("summary.json", json.dumps(summary)))
    for name, text in tampers:
        assert text != (good_a if name == "assignments.csv" else good_s)
        (out / name).write_text(text)
        assert cu.check_reallocate(spec, out, run) != [], (name, text[:200])
        (out / "assignments.csv").write_text(good_a)
        (out / "summary.json").write_text(good_s)
