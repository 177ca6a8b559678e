"""Contract: ``bedplan plan INSTANCE --out OUT`` (contract 1.2, "Planning over several nights").

Every finished run is checked by ``plan_checker.check_plan`` against the contract text and an
independent brute-force optimum: exit code (0 optimal / 3 infeasible), plan.csv (header, one
row per patient in the order of patients.csv, each column's meaning), nights.csv recomputed
from plan.csv, schedule.csv replayed night by night (each move or admission into a bed free
at its step), summary.json's keys (status, objective, bound, gap, solver, seconds,
diagnosis, start, nights, metrics) and every metric recomputed from the written files, the
objective of plan.csv = summary's = the optimum (1e-6 relative).

The hand-checked cases use a tiny custom road geography on a line, with every home and ward
exactly on a place (access legs 0), so each d(p,u) is a whole number of km:

    A --10-- B --100-- C --400-- D        d(A,B)=10  d(A,C)=110  d(A,D)=510  d(B,D)=500

Default weights unless a case says otherwise: km 1, out_of_area 50, move 25, delayed 200,
unplaced 1000. Night 1 is 2026-12-07.

Interpretations (where the contract is silent): distances and km sums to +-0.0051 km, the
objective to 1e-6 relative; schedule.csv may hold ``temporary`` rows (a patient of a cycle
of full wards leaving into a temporary bed, as transfers.csv orders a night; README), each
with a cycle number, and every other row goes into a bed free at its step; an unplaced
referral comes with a non-empty diagnosis, as for reallocate; an unreadable ``[plan] start``
text is invalid input naming policy.toml and ``start``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import contract_util as cu
import oracle
import plan_checker as pc
import plan_oracle as po
import pytest
from contract_util import Spec, patient_row, unit_row
from oracle import Geography
from plan_oracle import PlanCase

START = dt.date(2026, 12, 7)
LINE = Geography(places={"A": (52.0, -1.0), "B": (52.5, -1.0), "C": (53.0, -1.0),
                         "D": (53.5, -1.0)},
                 links=[("A", "B", 10.0), ("B", "C", 100.0), ("C", "D", 400.0)])
ROAD: dict[str, Any] = {"distance": "road"}


def day(k: int) -> str:
    """The ISO date k days after START (night k + 1)."""
    return (START + dt.timedelta(days=k)).isoformat()


def ward(uid: str, place: str, *, network: str = "N1", beds: int = 1, **kw: Any) -> dict[str, str]:
    lat, lon = LINE.places[place]
    return unit_row(uid, network=network, beds=beds, lat=lat, lon=lon, **kw)


def person(pid: str, place: str, *, discharge: str = "", arrives: str = "",
           **kw: Any) -> dict[str, str]:
    lat, lon = LINE.places[place]
    row = patient_row(pid, lat=lat, lon=lon, **kw)
    row["expected_discharge"], row["arrives_on"] = discharge, arrives
    return row


def inpatient(pid: str, place: str, current: str, **kw: Any) -> dict[str, str]:
    return person(pid, place, status="inpatient", current=current, **kw)


def line_case(units: list[dict[str, str]], patients: list[dict[str, str]], nights: int, *,
              policy: dict[str, Any] | None = None, **flags: str) -> PlanCase:
    """A case on the line geography, start and nights given as flags."""
    args = {"--start": START.isoformat(), "--nights": str(nights)}
    args.update({f"--{k.replace('_', '-')}": v for k, v in flags.items()})
    return PlanCase(Spec(units, patients, policy={**ROAD, **(policy or {})}, geography=LINE),
                    args)


def run_checked(case: PlanCase, tmp: Path, want_objective: float | None
                ) -> tuple[cu.Run, Path, po.PlanInstance]:
    """Run the case; the oracle must agree with the hand-computed optimum, and the run must
    pass every contract check."""
    pi = case.oracle()
    best = po.solve(pi)
    if want_objective is None:
        assert best.status == "infeasible", best
    else:
        assert best.objective == pytest.approx(want_objective, rel=1e-9), best
    run, out = po.run_plan(case, tmp)
    problems = pc.check_plan(pi, out, run, best=best)
    assert problems == [], "\n".join(problems)
    return run, out, pi


def outcome(out: Path) -> dict[str, tuple[str, str, str, str]]:
    """plan.csv as patient -> (action, night, date, unit_id)."""
    return {pid: (r["action"], r["night"], r["date"], r["unit_id"])
            for pid, r in pc.read_plan(out).items()}


def nights_column(out: Path, column: str) -> list[str]:
    return [r[column] for r in pc.read_nights(out)]


# --------------------------------------------------------------------------- hand-checked
def waiting_case(unplaced_weight: float | None) -> PlanCase:
    """H (A, 1 bed) holds X until X leaves on 2026-12-09 (present nights 1-2); F (C, 1 bed)
    is free. Referral R lives at A and may be admitted from night 1. Four nights."""
    units = [ward("H", "A"), ward("F", "C")]
    patients = [inpatient("X", "A", "H", movable="false", discharge=day(2)),
                person("R", "A")]
    policy = {"weights": {"unplaced": unplaced_weight}} if unplaced_weight else {}
    return line_case(units, patients, 4, policy=policy)


def test_referral_waits_for_a_bed_freeing_on_night_3(tmp_path: Path) -> None:
    """w.unplaced = 100. R's options: admit to H on night 3 (H frees then): waits nights 1-2
    = 2 x 100, then 0 km = 200; H on night 4: 300; F on night s: (s-1) x 100 + (5-s) x 110
    >= 410; never admitted: 4 x 100 = 400. X costs 0 (home ward). Optimum 200."""
    _, out, _ = run_checked(waiting_case(100.0), tmp_path, 200.0)
    assert outcome(out) == {"X": ("stay", "", "", "H"), "R": ("admit", "3", day(2), "H")}
    assert nights_column(out, "present") == ["1", "1", "1", "1"]
    assert nights_column(out, "waiting") == ["1", "1", "0", "0"]
    assert nights_column(out, "discharges") == ["0", "0", "1", "0"]
    assert nights_column(out, "admissions") == ["0", "0", "1", "0"]
    metrics = pc.read_summary(out)["metrics"]
    assert metrics["waiting_nights"] == 2 and metrics["admissions"] == 1


def test_admitted_referral_never_changes_ward_again(tmp_path: Path) -> None:
    """Default w.unplaced = 1000: waiting two nights for H (2000) loses to F from night 1
    (4 x 110 = 440). R may not then move to H when it frees (admit F, move H on night 3
    would be 2 x 110 + 25 = 245): each patient changes ward at most once. Optimum 440."""
    _, out, _ = run_checked(waiting_case(None), tmp_path, 440.0)
    assert outcome(out)["R"] == ("admit", "1", day(0), "F")


def home_ward_case(nights: int = 5) -> PlanCase:
    """H (A, N1, 1 bed) holds X until 2026-12-09; S (C, N1, 1 bed) is free; F (C, N2, 1 bed)
    holds P, who lives at A in N1. Per night P costs 160 in F (110 km + 50 out of area), 110
    in S, 0 in H."""
    units = [ward("H", "A"), ward("S", "C"), ward("F", "C", network="N2")]
    patients = [inpatient("X", "A", "H", movable="false", discharge=day(2)),
                inpatient("P", "A", "F")]
    return line_case(units, patients, nights)


def test_patient_brought_home_the_night_the_home_bed_frees(tmp_path: Path) -> None:
    """P: stay 5 x 160 = 800; move to H on night 3 (first night H is free): 2 x 160 + 25 =
    345; H on night 4: 505; S on night 1: 25 + 5 x 110 = 575. Moving twice (S on night 1,
    H on night 3: 25 + 2 x 110 + 25 = 270) is not a plan. Optimum 345."""
    _, out, _ = run_checked(home_ward_case(), tmp_path, 345.0)
    assert outcome(out) == {"X": ("stay", "", "", "H"), "P": ("move", "3", day(2), "H")}
    summary = pc.read_summary(out)
    assert summary["metrics"] == pytest.approx({
        "patients": 2, "moves": 1, "admissions": 0, "unplaced": 0, "later": 0,
        "waiting_nights": 0, "brought_home": 1, "out_of_area_first_night": 1,
        "out_of_area_last_night": 0, "out_of_area_nights": 2, "km_nights": 220.0},
        abs=0.0051)
    assert nights_column(out, "out_of_area") == ["1", "1", "0", "0", "0"]
    header, rows = pc.read_csv(out / "schedule.csv")
    assert header == po.SCHEDULE_COLUMNS
    assert [r[:7] for r in rows] == [["3", day(2), "1", "P", "move", "F", "H"]]
    assert float(rows[0][7]) == pytest.approx(110.0, abs=0.0051)
    assert float(rows[0][8]) == pytest.approx(0.0, abs=0.0051)


def test_start_and_nights_from_policy_toml(tmp_path: Path) -> None:
    """[plan] start as a TOML date and nights in policy.toml, no flags: the same plan."""
    case = home_ward_case()
    case.flags = {}
    case.policy_text = 'distance = "road"\n\n[plan]\nstart = 2026-12-07\nnights = 5\n'
    _, out, _ = run_checked(case, tmp_path, 345.0)
    summary = pc.read_summary(out)
    assert (summary["start"], summary["nights"]) == ("2026-12-07", 5)


def test_flags_override_policy_plan_table(tmp_path: Path) -> None:
    """policy.toml says start 2027-01-01 (X's discharge would then be before the start:
    invalid) and 9 nights; --start and --nights win."""
    case = home_ward_case()
    case.policy_text = 'distance = "road"\n\n[plan]\nstart = "2027-01-01"\nnights = 9\n'
    _, out, _ = run_checked(case, tmp_path, 345.0)
    summary = pc.read_summary(out)
    assert (summary["start"], summary["nights"]) == ("2026-12-07", 5)


def test_nights_default_to_28(tmp_path: Path) -> None:
    """Only a start (as text in policy.toml): 28 nights. P still moves home on night 3:
    2 x 160 + 25 = 345 (H costs 0 for the remaining 26 nights)."""
    case = home_ward_case()
    case.flags = {}
    case.spec.policy = {**ROAD, "plan": {"start": "2026-12-07"}}
    _, out, pi = run_checked(case, tmp_path, 345.0)
    assert pi.nights == 28 and len(pc.read_nights(out)) == 28
    assert pc.read_summary(out)["nights"] == 28


def test_start_defaults_to_today(tmp_path: Path) -> None:
    """No start anywhere (and no date columns): night 1 is today."""
    units = [ward("H", "A", beds=2), ward("F", "D", network="N2", beds=2)]
    patients = [inpatient("P1", "A", "F"), person("R1", "B")]
    case = PlanCase(Spec(units, patients, policy=ROAD, geography=LINE), {"--nights": "2"})
    before = dt.date.today()
    run, out = po.run_plan(case, tmp_path)
    after = dt.date.today()
    start = pc.read_summary(out).get("start")
    assert start in {before.isoformat(), after.isoformat()}, start
    pi = case.oracle(today=dt.date.fromisoformat(start))
    # P1 moves home on night 1 (25); R1 is admitted to H on night 1 (10 km x 2 nights).
    assert po.solve(pi).objective == pytest.approx(45.0)
    assert pc.check_plan(pi, out, run) == []


def two_far_inpatients(nights: int = 2, **flags: str) -> PlanCase:
    """H (A, N1, 2 beds) is empty; F (D, N2) holds P1 (home A) and P2 (home B), both N1.
    Per night: P1 560 in F, 0 in H; P2 550 in F, 10 in H."""
    units = [ward("H", "A", beds=2), ward("F", "D", network="N2", beds=2)]
    patients = [inpatient("P1", "A", "F"), inpatient("P2", "B", "F")]
    return line_case(units, patients, nights, policy={"limits": {"max_moves": 1}}, **flags)


def test_max_moves_binds_per_night(tmp_path: Path) -> None:
    """max_moves = 1 per night: P1 on night 1 (25) and P2 on night 2 (550 + 25 + 10) = 610;
    the other order costs 45 + 585 = 630; one move only: 25 + 1100 = 1125."""
    _, out, _ = run_checked(two_far_inpatients(), tmp_path, 610.0)
    assert outcome(out) == {"P1": ("move", "1", day(0), "H"), "P2": ("move", "2", day(1), "H")}
    assert nights_column(out, "moves") == ["1", "1"]
    assert pc.read_summary(out)["metrics"]["brought_home"] == 2


def test_max_moves_flag_overrides_policy(tmp_path: Path) -> None:
    """--max-moves 0: both stay (1120 + 1100 = 2220); --max-moves 2: both move on night 1
    (25 + 25 + 2 x 10 = 70)."""
    _, out, _ = run_checked(two_far_inpatients(max_moves="0"), tmp_path / "zero", 2220.0)
    assert {a for a, *_ in outcome(out).values()} == {"stay"}
    _, out, _ = run_checked(two_far_inpatients(max_moves="2"), tmp_path / "two", 70.0)
    assert nights_column(out, "moves") == ["2", "0"]


def test_max_admissions_per_unit_binds_per_night(tmp_path: Path) -> None:
    """H (A, 3 beds), three referrals living at A with priorities R1 3, R2 1, R3 2; one new
    patient per unit per night over 3 nights. Highest priority first: R1 night 1 (0), R3
    night 2 (2 x 1000), R2 night 3 (1 x 2 x 1000) = 4000 (leaving R2 out: 3000 > 2000).
    With --max-admissions-per-unit 2: R1 and R3 on night 1, R2 on night 2 = 1000."""
    units = [ward("H", "A", beds=3)]
    patients = [person("R1", "A", priority="3"), person("R2", "A", priority="1"),
                person("R3", "A", priority="2")]
    policy = {"limits": {"max_admissions_per_unit": 1}}
    _, out, _ = run_checked(line_case(units, patients, 3, policy=policy), tmp_path / "a",
                            4000.0)
    assert {pid: night for pid, (_, night, _, _) in outcome(out).items()} == \
        {"R1": "1", "R2": "3", "R3": "2"}
    assert nights_column(out, "waiting") == ["2", "1", "0"]
    case = line_case(units, patients, 3, policy=policy, max_admissions_per_unit="2")
    _, out, _ = run_checked(case, tmp_path / "b", 1000.0)
    assert nights_column(out, "admissions") == ["2", "1", "0"]


def test_moves_in_count_towards_max_admissions_per_unit(tmp_path: Path) -> None:
    """H (A, 2 beds) empty; P in F (D, N2, home A: 560 a night); referral R at A; limit 1
    new patient per unit per night, 2 nights. R night 1 and P night 2: 0 + 560 + 25 = 585;
    P night 1 and R night 2: 25 + 1000 = 1025; both on night 1 (25) breaks the limit."""
    units = [ward("H", "A", beds=2), ward("F", "D", network="N2")]
    patients = [inpatient("P", "A", "F"), person("R", "A")]
    case = line_case(units, patients, 2, policy={"limits": {"max_admissions_per_unit": 1}})
    _, out, _ = run_checked(case, tmp_path, 585.0)
    assert outcome(out) == {"P": ("move", "2", day(1), "H"), "R": ("admit", "1", day(0), "H")}


def test_arrivals_later_and_waiting_with_priority(tmp_path: Path) -> None:
    """H (A, 1 bed), 3 nights. RB (priority 1) arrived before the start (from night 1); RA
    (priority 2) arrives on night 2; RL arrives on 2026-12-10, after the last night:
    ``later``, costs nothing and never waits. One bed for RA and RB, and an admitted
    referral stays to the last night: RA in H from night 2 and RB never admitted waits 3
    nights = 3000; RB in H from night 1 and RA waiting nights 2-3 = 2 x 2 x 1000 = 4000."""
    units = [ward("H", "A")]
    patients = [person("RB", "A", arrives=day(-3)), person("RA", "A", priority="2",
                                                          arrives=day(1)),
                person("RL", "A", priority="3", arrives=day(3))]
    _, out, _ = run_checked(line_case(units, patients, 3), tmp_path, 3000.0)
    rows = pc.read_plan(out)
    assert outcome(out) == {"RB": ("unplaced", "", "", ""), "RA": ("admit", "2", day(1), "H"),
                            "RL": ("later", "", "", "")}
    assert rows["RL"]["distance_km"] == rows["RL"]["out_of_area"] == ""
    assert nights_column(out, "waiting") == ["1", "1", "1"]
    summary = pc.read_summary(out)
    assert (summary["metrics"]["later"], summary["metrics"]["unplaced"]) == (1, 1)
    assert summary["diagnosis"], "an unplaced referral without a diagnosis"


def test_unplaced_cost_per_waiting_night_and_delayed_per_night(tmp_path: Path) -> None:
    """Only a male medium ward M (A, 2 beds), 4 nights. Female referrals: F1 (priority 3,
    arrives night 2) waits nights 2-4 = 3 x 3 x 1000 = 9000; F2 (priority 2, arrived before
    the start) waits 4 nights = 8000; F3 arrives on night 5: later, 0. PL needs low security
    and stays in M (delayed) until leaving on night 3: 2 nights x 200 = 400. Total 17400."""
    units = [ward("M", "A", beds=2, sex="male")]
    patients = [person("F1", "A", sex="female", priority="3", arrives=day(1)),
                person("F2", "A", sex="female", priority="2", arrives=day(-5)),
                person("F3", "A", sex="female", arrives=day(4)),
                inpatient("PL", "A", "M", level="low", discharge=day(2))]
    _, out, _ = run_checked(line_case(units, patients, 4), tmp_path, 17400.0)
    assert nights_column(out, "waiting") == ["1", "2", "2", "2"]
    assert nights_column(out, "present") == ["1", "1", "0", "0"]
    assert pc.read_summary(out)["metrics"]["waiting_nights"] == 7


# --------------------------------------------------------------------------- random tiny
def sweep(default: int, slow: int) -> list[Any]:
    """Seeds ``0..default-1`` in the default run, then ``slow`` more marked slow."""
    return [*range(default),
            *(pytest.param(s, marks=pytest.mark.slow) for s in range(default, default + slow))]


def check_random_plan(tmp_path: Path, seed: int, *flags: str) -> None:
    case = po.random_plan_case(seed)
    run, out = po.run_plan(case, tmp_path, *flags)
    assert pc.check_plan(case.oracle(), out, run) == []


@pytest.mark.parametrize("seed", sweep(30, 200))
def test_random_tiny_plans(tmp_path: Path, seed: int) -> None:
    check_random_plan(tmp_path, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("method", ["mip", "fast"])
def test_random_tiny_plans_each_method(tmp_path: Path, seed: int, method: str) -> None:
    check_random_plan(tmp_path, seed, "--method", method)


# --------------------------------------------------------------------------- one night
def one_night_equals_reallocate(spec: Spec, tmp: Path) -> None:
    """``plan --nights 1`` without date columns: exit code and objective of ``reallocate``
    and of the single-night oracle; the plan run passes every plan check."""
    best = oracle.solve(spec.oracle_instance())
    realloc, r_out = cu.reallocate(spec, tmp / "r")
    case = PlanCase(spec, {"--start": START.isoformat(), "--nights": "1"})
    run, p_out = po.run_plan(case, tmp / "p")
    assert pc.check_plan(case.oracle(), p_out, run) == []
    assert run.code == realloc.code == (0 if best.status == "optimal" else 3)
    r_obj = json.loads((r_out / "summary.json").read_text())["objective"]
    p_obj = pc.read_summary(p_out)["objective"]
    if best.objective is None:
        assert r_obj is None and p_obj is None
    else:
        assert cu.close(p_obj, r_obj) and cu.close(p_obj, best.objective), \
            (p_obj, r_obj, best.objective)


@pytest.mark.parametrize("seed", sweep(8, 100))
def test_one_night_without_dates_equals_reallocate(tmp_path: Path, seed: int) -> None:
    one_night_equals_reallocate(cu.random_spec(seed, hard=seed % 2 == 1), tmp_path)


# --------------------------------------------------------------------------- invalid input
def invalid_base() -> PlanCase:
    """Rows: 2 X (inpatient in H, leaves 2026-12-09), 3 R (referral), 4 P (inpatient)."""
    units = [ward("H", "A", beds=2), ward("F", "C", beds=2)]
    patients = [inpatient("X", "A", "H", discharge=day(2)), person("R", "A", arrives=day(1)),
                inpatient("P", "B", "F")]
    return line_case(units, patients, 4)


INVALID_CELLS = [
    ("discharge on the start", 0, "expected_discharge", day(0)),
    ("discharge before the start", 0, "expected_discharge", day(-4)),
    ("discharge on a referral", 1, "expected_discharge", day(3)),
    ("arrives_on on an inpatient", 2, "arrives_on", day(1)),
    ("unreadable arrives_on", 1, "arrives_on", "2026-02-30"),
    ("unreadable discharge", 0, "expected_discharge", "next week"),
]


def names(stderr: str, file: str, row: int | None, column: str) -> bool:
    """One line of stderr names the file, the row (as a number) and the column."""
    for line in stderr.splitlines():
        rest = line.replace(file, "")
        if file in line and column in line and (
                row is None or re.search(rf"(?<![\d.]){row}(?![\d.])", rest)):
            return True
    return False


def assert_invalid(run: cu.Run, out: Path, before: dict[str, bytes]) -> None:
    assert "Traceback" not in run.stderr + run.stdout, run.stderr[-1500:]
    assert run.code == 2, f"exit {run.code}; stderr: {run.stderr[-600:]}"
    assert cu.snapshot(out) == before, "OUT changed by an invalid run"


def test_invalid_base_is_valid(tmp_path: Path) -> None:
    """The base of the invalid cases plans (so each failure below is the one cell)."""
    case = invalid_base()
    assert po.invalid_cells(case.spec.patients, START) == []
    run, out = po.run_plan(case, tmp_path)
    assert pc.check_plan(case.oracle(), out, run) == []


@pytest.mark.parametrize(("name", "index", "column", "value"), INVALID_CELLS,
                         ids=[c[0] for c in INVALID_CELLS])
def test_invalid_date_cells(tmp_path: Path, name: str, index: int, column: str,
                            value: str) -> None:
    case = invalid_base()
    case.spec.patients[index][column] = value
    assert (index + 2, column) in po.invalid_cells(case.spec.patients, START)
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.csv").write_text("previous run\n")
    before = cu.snapshot(out)
    run, _ = po.run_plan(case, tmp_path)
    assert_invalid(run, out, before)
    assert names(run.stderr, "patients.csv", index + 2, column), run.stderr


@pytest.mark.parametrize(("flag", "value"), [("--nights", "0"), ("--start", "2026-13-01")])
def test_invalid_flags(tmp_path: Path, flag: str, value: str) -> None:
    """Nothing written: OUT is not even created."""
    case = invalid_base()
    case.flags[flag] = value
    run, out = po.run_plan(case, tmp_path)
    assert_invalid(run, out, {})
    assert not out.exists()
    assert flag in run.stderr or flag.lstrip("-") in run.stderr, run.stderr


def test_unreadable_start_in_policy_toml(tmp_path: Path) -> None:
    """[plan] start is a TOML date or its text; other text is invalid input naming the file
    and the key."""
    case = invalid_base()
    case.flags = {}
    case.policy_text = 'distance = "road"\n\n[plan]\nstart = "soon"\nnights = 4\n'
    run, out = po.run_plan(case, tmp_path)
    assert_invalid(run, out, {})
    assert names(run.stderr, "policy.toml", None, "start"), run.stderr


# --------------------------------------------------------------------------- infeasible
def test_infeasible_tonight(tmp_path: Path) -> None:
    """H (1 bed) holds two immovable inpatients tonight (one leaves on night 2): exit 3,
    status infeasible, null objective/bound/gap, header-only CSVs and a diagnosis."""
    units = [ward("H", "A"), ward("F", "C", beds=3)]
    patients = [inpatient("X1", "A", "H", movable="false", discharge=day(1)),
                inpatient("X2", "A", "H", movable="false"), person("R", "A")]
    run, out, _ = run_checked(line_case(units, patients, 3), tmp_path, None)
    assert run.code == 3
    summary = pc.read_summary(out)
    assert summary["status"] == "infeasible"
    assert (summary["objective"], summary["bound"], summary["gap"]) == (None, None, None)
    for name in ("plan.csv", "nights.csv", "schedule.csv"):
        header, rows = pc.read_csv(out / name)
        assert header and rows == [], name
    assert any("H" in d for d in summary["diagnosis"]), summary["diagnosis"]
    # X1 movable: a plan. X1 moves to F for its one night (25 + 110; X2 moving would cost
    # 25 + 3 x 110) and R, with H full to the end, is admitted to F on night 1 (3 x 110,
    # against 3 x 1000 waiting): 135 + 330 = 465.
    patients[0]["movable"] = ""
    run, out, _ = run_checked(line_case(units, patients, 3), tmp_path / "movable", 465.0)
    assert run.code == 0


# --------------------------------------------------------------------------- the checker
def test_checker_catches_tampered_outputs(tmp_path: Path) -> None:
    """check_plan itself can fail: each tampering of a correct run is reported."""
    case = home_ward_case()
    run, out, pi = run_checked(case, tmp_path, 345.0)
    good = {n: (out / n).read_text() for n in ("plan.csv", "nights.csv", "schedule.csv",
                                               "summary.json")}
    summary = json.loads(good["summary.json"])
    bumped = {**summary, "objective": summary["objective"] + 1.0}
    home = {**summary, "metrics": {**summary["metrics"], "brought_home": 0}}
    no_later = {**summary, "metrics": {k: v for k, v in summary["metrics"].items()
                                       if k != "later"}}
    tampers = [
        ("plan.csv", good["plan.csv"].replace(f"move,3,{day(2)}", f"move,4,{day(3)}")),
        ("plan.csv", good["plan.csv"].replace(f"move,3,{day(2)}", f"move,3,{day(3)}")),
        ("plan.csv", good["plan.csv"].replace(",false\n", ",False\n", 1)),
        ("nights.csv", good["nights.csv"].replace(f"{day(2)},1,1,0,1", f"{day(2)},1,1,0,0")),
        ("nights.csv", good["nights.csv"].replace("cost_per_day", "cost")),
        ("schedule.csv", good["schedule.csv"].splitlines()[0] + "\n"),
        ("summary.json", json.dumps(bumped)),
        ("summary.json", json.dumps(home)),
        ("summary.json", json.dumps(no_later)),
        ("summary.json", good["summary.json"].replace('"optimal"', '"feasible"')),
    ]
    for name, text in tampers:
        assert text != good[name], (name, text[:300])
        (out / name).write_text(text)
        assert pc.check_plan(pi, out, run) != [], (name, text[:300])
        (out / name).write_text(good[name])
    assert pc.check_plan(pi, out, run) == []


def test_swap_between_full_wards_is_followable(tmp_path: Path) -> None:
    """H1 (A) and H2 (C), one bed each, both full: P1 (home A) sleeps in H2, P2 (home C) in
    H1, 110 km a night each. Swapping on night 1 costs 2 x 25 = 50 (staying: 4 x 110 = 440;
    swapping on night 2: 270). Neither move has a free bed until the other has left, so
    schedule.csv needs a temporary bed; without that row the replay finds a move into a
    full ward."""
    units = [ward("H1", "A"), ward("H2", "C")]
    patients = [inpatient("P1", "A", "H2"), inpatient("P2", "C", "H1")]
    run, out, pi = run_checked(line_case(units, patients, 2), tmp_path, 50.0)
    assert outcome(out) == {"P1": ("move", "1", day(0), "H1"), "P2": ("move", "1", day(0), "H2")}
    text = (out / "schedule.csv").read_text()
    lines = text.splitlines(keepends=True)
    kept = [ln for ln in lines if ",temporary," not in ln]
    assert len(kept) < len(lines), f"no temporary bed in\n{text}"
    (out / "schedule.csv").write_text("".join(kept))
    assert any("no free bed" in p for p in pc.check_plan(pi, out, run))
