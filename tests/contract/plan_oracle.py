"""An independent, brute-force reading of ``bedplan plan`` (contract 1.2), for tiny instances.

Written from the contract's "Planning over several nights" section, its placement semantics,
objective and exit codes alone; it imports nothing from ``models``/``optimiser``/``bedplan``.
Parsing, ``d(p,u)`` and compatibility are ``oracle.py``'s (the same reading the reallocate
checks use); this module adds the nights:

- an inpatient is present on every night whose date is before their ``expected_discharge``
  (every night when it is empty); a referral may be admitted from the night of its
  ``arrives_on`` (empty or before ``start``: night 1), and is ``later`` when that is after the
  last night;
- each patient has one outcome over the plan: ``stay``; ``move`` on a night s they are present,
  to a compatible unit other than the current one; ``admit`` on a night s on or after arrival,
  to a compatible unit, present from s to the last night; ``unplaced``; ``later``;
- for every night: capacity, ``max_moves`` and ``max_admissions_per_unit`` (moves in plus
  admissions);
- objective: per present night ``w.km d + w.out_of_area [other network] + w.cost cost_per_day
  + w.delayed [incompatible]``, plus ``w.move`` per move, plus ``w.unplaced`` x priority per
  night a referral waits (from its arrival night to the night before admission, or to N).

``solve`` enumerates every outcome of every patient (depth first, with capacity and bound
pruning) and returns the minimum; ``plan_checker.check_plan`` checks a finished run's four
files against the contract and that optimum. ``random_plan_case`` draws seeded random tiny instances
(<= 5 patients, <= 4 units, 1-4 nights). Only for tiny instances.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import contract_util as cu
import oracle
from contract_util import Spec, patient_row, unit_row
from oracle import OInstance, OPatient, Rows

PLAN_COLUMNS = ["patient_id", "status", "current_unit_id", "action", "night", "date",
                "unit_id", "distance_km", "out_of_area"]
NIGHTS_COLUMNS = ["night", "date", "present", "moves", "admissions", "discharges", "waiting",
                  "out_of_area", "total_km", "cost_per_day"]
SCHEDULE_COLUMNS = ["night", "date", "step", "patient_id", "kind", "from_unit_id",
                    "to_unit_id", "km_before", "km_after", "cycle"]
PLAN_SUMMARY_KEYS = {"status", "objective", "bound", "gap", "solver", "seconds", "diagnosis",
                     "start", "nights", "metrics"}
PLAN_METRIC_KEYS = ("patients", "moves", "admissions", "unplaced", "later", "waiting_nights",
                    "brought_home", "out_of_area_first_night", "out_of_area_last_night",
                    "out_of_area_nights", "km_nights")
ACTIONS = ("stay", "move", "admit", "unplaced", "later")
DEFAULT_NIGHTS = 28
KM_TOL = 0.0051  # distances may be written to 3 decimals

Option = tuple[str, int | None, str | None]  # (action, night of the change, unit_id)


# --------------------------------------------------------------------------- the instance
def parse_date(text: str) -> dt.date | None:
    """An ISO date cell (``YYYY-MM-DD``); blank = None; anything else raises ValueError."""
    t = text.strip()
    return dt.date.fromisoformat(t) if t else None


@dataclass(frozen=True)
class PlanInstance:
    """The oracle's instance (``inst``) with the plan's nights and each patient's dates
    (aligned with ``inst.patients``)."""

    inst: OInstance
    start: dt.date
    nights: int
    discharge: tuple[dt.date | None, ...]
    arrives: tuple[dt.date | None, ...]

    def date_of(self, night: int) -> dt.date:
        """Night k is the night of ``start + (k - 1)`` days."""
        return self.start + dt.timedelta(days=night - 1)

    def present_nights(self, i: int) -> int:
        """Inpatient i is present on nights 1..this (dates before expected_discharge)."""
        end = self.discharge[i]
        if end is None:
            return self.nights
        return sum(1 for t in range(1, self.nights + 1) if self.date_of(t) < end)

    def arrival_night(self, i: int) -> int:
        """The first night referral i may be admitted (``nights + 1``: after the plan)."""
        arr = self.arrives[i]
        if arr is None or arr < self.start:
            return 1
        return (arr - self.start).days + 1

    def is_later(self, i: int) -> bool:
        p = self.inst.patients[i]
        return p.status == "referral" and self.arrival_night(i) > self.nights


def invalid_cells(patient_rows: Rows, start: dt.date) -> list[tuple[int, str]]:
    """The plan-specific invalid input the contract names, as (spreadsheet row, column):
    an unreadable date, expected_discharge on or before start or on a referral, arrives_on
    on an inpatient."""
    bad: list[tuple[int, str]] = []
    for k, row in enumerate(patient_rows, start=2):
        status = row.get("status", "").strip().lower()
        for column in ("expected_discharge", "arrives_on"):
            try:
                value = parse_date(row.get(column, ""))
            except ValueError:
                bad.append((k, column))
                continue
            if value is None:
                continue
            if column == "expected_discharge" and (status != "inpatient" or value <= start):
                bad.append((k, column))
            if column == "arrives_on" and status != "referral":
                bad.append((k, column))
    return bad


def plan_instance(inst: OInstance, patient_rows: Rows, start: dt.date, nights: int, *,
                  max_moves: int | None = None,
                  max_admissions: int | None = None) -> PlanInstance:
    """A PlanInstance; ``max_moves``/``max_admissions`` as the flags would override the
    policy's limits (None: keep the policy's)."""
    if max_moves is not None:
        inst = dataclasses.replace(inst, max_moves=max_moves)
    if max_admissions is not None:
        inst = dataclasses.replace(inst, max_admissions=max_admissions)
    return PlanInstance(inst, start, nights,
                        tuple(parse_date(r.get("expected_discharge", "")) for r in patient_rows),
                        tuple(parse_date(r.get("arrives_on", "")) for r in patient_rows))


# --------------------------------------------------------------------------- outcomes
def night_cost(pi: PlanInstance, p: OPatient, uid: str) -> float:
    """The per-night term of p sleeping in uid (delayed when uid is not compatible)."""
    inst = pi.inst
    cost = oracle.placement_cost(inst, p, uid)
    if not oracle.compatible(inst, p, inst.unit(uid)):
        cost += inst.weights["delayed"]
    return cost


def options(pi: PlanInstance, i: int) -> list[Option]:
    """Every outcome the contract allows patient i."""
    inst, p = pi.inst, pi.inst.patients[i]
    if p.status == "inpatient":
        opts: list[Option] = [("stay", None, p.current)]
        if p.movable:
            opts += [("move", s, u.uid) for s in range(1, pi.present_nights(i) + 1)
                     for u in inst.units if u.uid != p.current and oracle.compatible(inst, p, u)]
        return opts
    if pi.is_later(i):
        return [("later", None, None)]
    return [("unplaced", None, None)] + [
        ("admit", s, u.uid) for s in range(pi.arrival_night(i), pi.nights + 1)
        for u in inst.units if oracle.compatible(inst, p, u)]


def occupancy(pi: PlanInstance, i: int, o: Option) -> list[tuple[int, str]]:
    """The (night, unit) pairs patient i sleeps in under outcome o."""
    action, s, uid = o
    p = pi.inst.patients[i]
    if action == "stay":
        return [(t, p.current) for t in range(1, pi.present_nights(i) + 1)]
    if action == "move" and s is not None and uid is not None:
        return [(t, p.current if t < s else uid) for t in range(1, pi.present_nights(i) + 1)]
    if action == "admit" and s is not None and uid is not None:
        return [(t, uid) for t in range(s, pi.nights + 1)]
    return []


def waiting_nights(pi: PlanInstance, i: int, o: Option) -> int:
    """Nights referral i waits for a bed: arrival night to s - 1, or to N when unplaced."""
    action, s = o[0], o[1]
    if action == "admit" and s is not None:
        return s - pi.arrival_night(i)
    if action == "unplaced":
        return pi.nights - pi.arrival_night(i) + 1
    return 0


def option_cost(pi: PlanInstance, i: int, o: Option) -> float:
    """Patient i's share of the objective under outcome o."""
    p, w = pi.inst.patients[i], pi.inst.weights
    cost = sum(night_cost(pi, p, uid) for _, uid in occupancy(pi, i, o))
    if o[0] == "move":
        cost += w["move"]
    return cost + w["unplaced"] * p.priority * waiting_nights(pi, i, o)


def objective(pi: PlanInstance, plan: Sequence[Option]) -> float:
    return sum(option_cost(pi, i, o) for i, o in enumerate(plan))


def violations(pi: PlanInstance, plan: Sequence[Option]) -> list[str]:
    """Every way ``plan`` breaks the outcomes or the per-night constraints (empty = ok)."""
    inst = pi.inst
    bad: list[str] = []
    occ: dict[tuple[int, str], int] = {}
    moves: dict[int, int] = {}
    new: dict[tuple[int, str], int] = {}
    for i, o in enumerate(plan):
        if o not in options(pi, i):
            bad.append(f"{inst.patients[i].pid}: outcome {o} not allowed")
        for key in occupancy(pi, i, o):
            occ[key] = occ.get(key, 0) + 1
        action, s, uid = o
        if action == "move" and s is not None:
            moves[s] = moves.get(s, 0) + 1
        if action in ("move", "admit") and s is not None and uid is not None:
            new[s, uid] = new.get((s, uid), 0) + 1
    for (t, uid), n in sorted(occ.items()):
        if n > inst.unit(uid).open_beds:
            bad.append(f"night {t}: {n} patients in {uid} > {inst.unit(uid).open_beds} beds")
    if inst.max_moves is not None:
        bad += [f"night {t}: {n} moves > max_moves {inst.max_moves}"
                for t, n in sorted(moves.items()) if n > inst.max_moves]
    if inst.max_admissions is not None:
        bad += [f"night {t}: {n} new patients in {uid} > max_admissions_per_unit "
                f"{inst.max_admissions}" for (t, uid), n in sorted(new.items())
                if n > inst.max_admissions]
    return bad


@dataclass(frozen=True)
class PlanOptimum:
    status: str  # "optimal", "infeasible" or "invalid"
    objective: float | None
    plan: tuple[Option, ...] | None


def solve(pi: PlanInstance) -> PlanOptimum:
    """The minimum objective over every feasible plan (exhaustive, pruned by capacity, the
    per-night limits and a lower bound: each remaining patient's cheapest outcome)."""
    inst = pi.inst
    if oracle.invalid_reason(inst):
        return PlanOptimum("invalid", None, None)
    n = len(inst.patients)
    opts: list[list[Option]] = []
    for i in range(n):
        mine = options(pi, i)
        priced = sorted((option_cost(pi, i, o), k) for k, o in enumerate(mine))
        opts.append([mine[k] for _, k in priced])
    costs = [[option_cost(pi, i, o) for o in opts[i]] for i in range(n)]
    occs = [[occupancy(pi, i, o) for o in opts[i]] for i in range(n)]
    suffix = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] + costs[i][0]
    cap = {u.uid: u.open_beds for u in inst.units}
    occ: dict[tuple[int, str], int] = {}
    moves: dict[int, int] = {}
    new: dict[tuple[int, str], int] = {}
    chosen: list[Option] = []
    best_cost = math.inf
    best_plan: tuple[Option, ...] | None = None

    def fits(i: int, j: int) -> bool:
        action, s, uid = opts[i][j]
        if any(occ.get(key, 0) + 1 > cap[key[1]] for key in occs[i][j]):
            return False
        if action == "move" and inst.max_moves is not None and \
                moves.get(s or 0, 0) + 1 > inst.max_moves:
            return False
        return not (action in ("move", "admit") and inst.max_admissions is not None
                    and new.get((s or 0, uid or ""), 0) + 1 > inst.max_admissions)

    def apply(i: int, j: int, step: int) -> None:
        action, s, uid = opts[i][j]
        for key in occs[i][j]:
            occ[key] = occ.get(key, 0) + step
        if action == "move":
            moves[s or 0] = moves.get(s or 0, 0) + step
        if action in ("move", "admit"):
            new[s or 0, uid or ""] = new.get((s or 0, uid or ""), 0) + step

    def dfs(i: int, acc: float) -> None:
        nonlocal best_cost, best_plan
        if acc + suffix[i] >= best_cost - 1e-9 * max(1.0, abs(best_cost)):
            return
        if i == n:
            best_cost, best_plan = acc, tuple(chosen)
            return
        for j in range(len(opts[i])):
            if not fits(i, j):
                continue
            apply(i, j, 1)
            chosen.append(opts[i][j])
            dfs(i + 1, acc + costs[i][j])
            chosen.pop()
            apply(i, j, -1)

    dfs(0, 0.0)
    if best_plan is None:
        return PlanOptimum("infeasible", None, None)
    return PlanOptimum("optimal", best_cost, best_plan)


# --------------------------------------------------------------------------- derived outputs
def nights_table(pi: PlanInstance, plan: Sequence[Option]) -> list[dict[str, Any]]:
    """nights.csv as the contract defines it, one dict per night (unrounded floats)."""
    inst = pi.inst
    rows: list[dict[str, Any]] = []
    occs = [occupancy(pi, i, o) for i, o in enumerate(plan)]
    for t in range(1, pi.nights + 1):
        date = pi.date_of(t)
        row: dict[str, Any] = {"night": t, "date": date.isoformat(), "present": 0, "moves": 0,
                               "admissions": 0, "discharges": 0, "waiting": 0,
                               "out_of_area": 0, "total_km": 0.0, "cost_per_day": 0.0}
        for i, (p, o) in enumerate(zip(inst.patients, plan, strict=True)):
            for night, uid in occs[i]:
                if night == t:
                    row["present"] += 1
                    row["total_km"] += inst.km[p.pid, uid]
                    row["cost_per_day"] += inst.unit(uid).cost
                    row["out_of_area"] += inst.unit(uid).network != p.home_network
            row["moves"] += o[0] == "move" and o[1] == t
            row["admissions"] += o[0] == "admit" and o[1] == t
            row["discharges"] += p.status == "inpatient" and pi.discharge[i] == date
            if p.status == "referral" and not pi.is_later(i) and pi.arrival_night(i) <= t:
                row["waiting"] += o[0] == "unplaced" or (o[0] == "admit" and (o[1] or 0) > t)
        rows.append(row)
    return rows


def plan_metrics(pi: PlanInstance, plan: Sequence[Option],
                 nights_rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """summary.json's plan metrics, from the plan and (for the per-night sums) nights rows."""
    inst = pi.inst

    def home(p: OPatient, uid: str) -> bool:
        return inst.unit(uid).network == p.home_network

    return {
        "patients": len(plan),
        "moves": sum(o[0] == "move" for o in plan),
        "admissions": sum(o[0] == "admit" for o in plan),
        "unplaced": sum(o[0] == "unplaced" for o in plan),
        "later": sum(o[0] == "later" for o in plan),
        "waiting_nights": sum(int(r["waiting"]) for r in nights_rows),
        "brought_home": sum(o[0] == "move" and o[2] is not None and not home(p, p.current)
                            and home(p, o[2]) for p, o in zip(inst.patients, plan, strict=True)),
        "out_of_area_first_night": int(nights_rows[0]["out_of_area"]) if nights_rows else 0,
        "out_of_area_last_night": int(nights_rows[-1]["out_of_area"]) if nights_rows else 0,
        "out_of_area_nights": sum(int(r["out_of_area"]) for r in nights_rows),
        "km_nights": float(sum(float(r["total_km"]) for r in nights_rows)),
    }


# --------------------------------------------------------------------------- cases and runs
@dataclass
class PlanCase:
    """An instance and the arguments of one ``bedplan plan`` run.

    ``flags`` are given on the command line (``--start``, ``--nights``, ``--max-moves``,
    ``--max-admissions-per-unit``, ...); what they leave out comes from policy.toml's
    ``[plan]``/``[limits]``, else the contract's defaults (today, 28 nights, no limit).
    """

    spec: Spec
    flags: dict[str, str] = field(default_factory=dict)
    policy_text: str | None = None  # a raw policy.toml instead of spec.policy

    def args(self) -> list[str]:
        return [a for k, v in self.flags.items() for a in (k, v)]

    def policy(self) -> dict[str, Any]:
        if self.policy_text is not None:
            return tomllib.loads(self.policy_text)
        return dict(self.spec.policy or {})

    def start(self, today: dt.date | None = None) -> dt.date:
        if "--start" in self.flags:
            return dt.date.fromisoformat(self.flags["--start"])
        value = self.policy().get("plan", {}).get("start")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            return dt.date.fromisoformat(value)
        return today or dt.date.today()

    def nights(self) -> int:
        if "--nights" in self.flags:
            return int(self.flags["--nights"])
        return int(self.policy().get("plan", {}).get("nights", DEFAULT_NIGHTS))

    def oracle(self, today: dt.date | None = None) -> PlanInstance:
        spec = self.spec
        if self.policy_text is not None:
            spec = spec.copy(policy=self.policy())
        moves, adm = self.flags.get("--max-moves"), self.flags.get("--max-admissions-per-unit")
        return plan_instance(spec.oracle_instance(self.flags.get("--distance")),
                             self.spec.patients, self.start(today), self.nights(),
                             max_moves=None if moves is None else int(moves),
                             max_admissions=None if adm is None else int(adm))

    def write(self, directory: Path) -> Path:
        cu.write_spec(self.spec, directory)
        if self.policy_text is not None:
            (directory / "policy.toml").write_text(self.policy_text, encoding="utf-8")
        return directory


def run_plan(case: PlanCase, tmp: Path, *extra: str) -> tuple[cu.Run, Path]:
    """Write the case under ``tmp/inst`` and run ``bedplan plan`` into ``tmp/out``."""
    inst_dir = case.write(tmp / "inst")
    out = tmp / "out"
    return cu.run_cli("plan", inst_dir, "--out", out, *case.args(), *extra), out


# --------------------------------------------------------------------------- random cases
CITIES = {  # (lat, lon); the custom road geography of contract_util covers the first five
    "london": cu.ANCHORS["london"], "birmingham": cu.ANCHORS["birmingham"],
    "manchester": cu.ANCHORS["manchester"], "leeds": cu.ANCHORS["leeds"],
    "bristol": cu.ANCHORS["bristol"], "newcastle": (54.9783, -1.6178),
    "york": (53.9591, -1.0815), "exeter": (50.7184, -3.5339),
}
START = dt.date(2026, 12, 7)


def _near(rng: random.Random, city: str, spread: float) -> tuple[float, float]:
    lat, lon = CITIES[city]
    return round(lat + rng.uniform(-spread, spread), 4), round(lon + rng.uniform(-spread, spread),
                                                              4)


def _words(rng: random.Random, value: bool) -> str:
    word = rng.choice([("true", "false"), ("yes", "no"), ("1", "0")])[0 if value else 1]
    return rng.choice([word, word.upper()])


def random_plan_case(seed: int) -> PlanCase:
    """A seeded random tiny plan instance that the contract calls valid: <= 5 patients,
    <= 4 units, 1-4 nights; geodesic or road over contract_util's custom geography; date
    columns (discharges inside and after the plan, arrivals before start, inside the plan
    and after it); tight beds and per-night limits (policy or flags); start and nights from
    the flags or from policy.toml's [plan] (as text)."""
    rng = random.Random(seed)
    for _ in range(50):
        case = _random_case_once(rng)
        pi = case.oracle()
        if oracle.invalid_reason(pi.inst) is None and \
                not invalid_cells(case.spec.patients, pi.start):
            return case
    raise RuntimeError("could not generate a valid instance")  # pragma: no cover


def _random_case_once(rng: random.Random) -> PlanCase:
    road = rng.random() < 0.3
    cities = rng.sample(list(CITIES)[:5] if road else list(CITIES), rng.randint(2, 3))
    nights = rng.choice([1, 2, 2, 3, 3, 4, 4, 4])
    ward_rules = rng.random() < 0.5  # the 1.2 columns specialist_only, accepts_referrals
    odd = rng.random() < 0.5  # more incompatibility: levels, sexes, needs, exclusions
    units: Rows = []
    for k in range(rng.randint(2, 4)):
        beds = rng.choice([0, 1, 1, 1, 2, 2, 3])
        lat, lon = _near(rng, rng.choice(cities), 0.05)
        units.append(unit_row(
            f"U{k + 1}", network=rng.choice(["N1", "N2"]),
            level=rng.choice(["medium"] * 5 + ["low"]) if odd else "medium",
            sex=rng.choice(["male", "mixed", "", "female"] if odd else ["male", "mixed", ""]),
            beds=beds, closed=rng.choice(["", "", "", "0", str(min(1, beds))]), lat=lat,
            lon=lon, specialisms=rng.choice(["", "", "ld", "ld;asd"]),
            age_max=rng.choice(["", "", "", "40"]) if odd else "",
            cost=rng.choice(["", "0", "300", "450.5"]),
            specialist_only=rng.choice(["", _words(rng, rng.random() < 0.25)])
            if ward_rules else None,
            accepts_referrals=rng.choice(["", _words(rng, rng.random() < 0.75)])
            if ward_rules else None))
    free = {u["unit_id"]: int(u["beds"]) - int(u["beds_closed"] or 0) for u in units}
    patients: Rows = []
    for k in range(rng.randint(1, 5)):
        inpatient = rng.random() < 0.55
        lat, lon = _near(rng, rng.choice(cities), 0.05)
        current = ""
        if inpatient:  # mostly into a ward with a free bed: an over-full ward is infeasible
            roomy = [uid for uid, n in free.items() if n > 0]
            current = rng.choice(roomy if roomy and rng.random() < 0.9 else list(free))
            free[current] -= 1
        row = patient_row(
            f"{'P' if inpatient else 'R'}{k + 1}",
            status="inpatient" if inpatient else "referral",
            level=rng.choice(["medium"] * 5 + ["low"]) if odd else "medium",
            sex=rng.choice(["male"] * 3 + ["female"]) if odd else "male",
            age=rng.choice([25, 30, 45]), needs=rng.choice(["", "", "", "ld", "asd"]) if odd
            else rng.choice(["", "", "", "", "ld"]), lat=lat, lon=lon,
            network=rng.choice(["N1", "N2"]), current=current,
            movable=rng.choice(["", "true", "Yes", "1", "false"]) if inpatient else "",
            priority=rng.choice(["", "1", "2", "3"]),
            excluded=rng.choice(["", "", "", "", "U1", "U2"]) if odd else "")
        row["expected_discharge"] = row["arrives_on"] = ""
        if inpatient and rng.random() < 0.7:
            row["expected_discharge"] = (START + dt.timedelta(days=rng.randint(1, nights + 1))
                                         ).isoformat()
        if not inpatient and rng.random() < 0.8:
            row["arrives_on"] = (START + dt.timedelta(days=rng.randint(-2, nights))).isoformat()
        patients.append(row)
    if rng.random() < 0.35:  # full wards tonight: beds free only as inpatients leave
        for u in units:
            u["beds"] = str(sum(p["current_unit_id"] == u["unit_id"] for p in patients))
            u["beds_closed"] = ""
        for p in patients:
            if p["status"] == "inpatient" and rng.random() < 0.7:
                p["expected_discharge"] = (START + dt.timedelta(days=rng.randint(1, nights))
                                           ).isoformat()
    weights: dict[str, float] = {}
    for key, choices in {"km": [1.0, 0.5, 2.0], "out_of_area": [50.0, 0.0, 150.0],
                         "cost": [0.0, 0.1], "move": [25.0, 0.0, 100.0, 400.0],
                         "delayed": [200.0, 0.0, 30.0],
                         "unplaced": [100.0, 50.0, 5.0]}.items():
        if rng.random() < (0.7 if key == "unplaced" else 0.5):
            weights[key] = rng.choice(choices)
    limits: dict[str, int] = {}
    if rng.random() < 0.4:
        limits["max_moves"] = rng.choice([0, 1, 1, 2])
    if rng.random() < 0.4:
        limits["max_admissions_per_unit"] = rng.choice([0, 1, 1, 2])
    policy: dict[str, Any] = {"distance": "road" if road else "geodesic", "weights": weights,
                              "limits": limits}
    flags: dict[str, str] = {}
    if rng.random() < 0.3:
        policy["plan"] = {"start": START.isoformat(), "nights": nights}
    else:
        flags = {"--start": START.isoformat(), "--nights": str(nights)}
    if rng.random() < 0.15:
        flags["--max-moves"] = str(rng.choice([0, 1]))
    if rng.random() < 0.15:
        flags["--max-admissions-per-unit"] = str(rng.choice([0, 1]))
    spec = Spec(units=units, patients=patients,
                networks=cu.NETWORKS if rng.random() < 0.5 else None, policy=policy,
                geography=cu.CUSTOM_GEOGRAPHY if road else None)
    return PlanCase(spec, flags)
