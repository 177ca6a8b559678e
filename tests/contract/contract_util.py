"""Helpers for the contract tests: write instances, generate random tiny ones, run the CLI,
and check a reallocate run against the contract and the oracle.

Everything here is derived from the contract text; nothing imports the project's code. The
CLI is run as a subprocess (``/tmp/venv/bin/bedplan`` or the ``bedplan`` next to the running
Python), exactly as an external checker would.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import oracle
from geopy.distance import geodesic
from oracle import Geography, Rows

BEDPLAN = str(Path(sys.executable).with_name("bedplan"))
if not Path(BEDPLAN).exists():  # pragma: no cover - fallback for other layouts
    BEDPLAN = shutil.which("bedplan") or "/tmp/venv/bin/bedplan"

# The built-in England travel network's shipped data (places.csv.gz, links.csv.gz): read as
# plain data by the oracle, which applies the contract's rule to it with its own Dijkstra.
BUILTIN_DATA = Path(__file__).resolve().parents[2] / "optimiser" / "geography" / "data"

ASSIGNMENT_COLUMNS = ["patient_id", "status", "current_unit_id", "unit_id", "action",
                      "distance_km", "out_of_area"]
SUMMARY_KEYS = {"status", "objective", "bound", "gap", "solver", "seconds", "metrics",
                "diagnosis"}
METRIC_KEYS = {"patients", "placed", "unplaced", "moves", "out_of_area", "total_km",
               "median_km", "delayed"}
UNIT_COLUMNS = ["unit_id", "name", "provider", "provider_type", "network_id", "service", "level",
                "sex", "age_min", "age_max", "specialisms", "beds", "beds_closed",
                "cost_per_day", "lat", "lon"]
PATIENT_COLUMNS = ["patient_id", "status", "service", "level", "sex", "age", "needs",
                   "home_lat", "home_lon", "home_network_id", "current_unit_id", "movable",
                   "priority", "excluded_units", "admitted_on"]

# Anchor points in England (lat, lon).
ANCHORS = {
    "london": (51.51, -0.13), "birmingham": (52.48, -1.90), "manchester": (53.48, -2.24),
    "leeds": (53.80, -1.55), "bristol": (51.45, -2.59), "norwich": (52.63, 1.30),
    "cambridge": (52.21, 0.12),
}


# --------------------------------------------------------------------------- instances
@dataclass
class Spec:
    """A contract instance as plain rows (strings), a policy mapping and an optional geography."""

    units: Rows
    patients: Rows
    networks: Rows | None = None
    policy: dict[str, Any] | None = None
    geography: Geography | None = None
    extra_files: dict[str, str | bytes] = field(default_factory=dict)

    def oracle_instance(self, distance: str | None = None) -> oracle.OInstance:
        """The oracle's reading; ``distance`` as the --distance flag would override it."""
        policy = dict(self.policy or {})
        if distance is not None:
            policy["distance"] = distance
        builtin = None
        if policy.get("distance", "road") == "road" and self.geography is None:
            builtin = oracle.builtin_geography(str(BUILTIN_DATA))
        return oracle.load(self.units, self.patients, policy, self.geography, builtin)

    def copy(self, **changes: Any) -> Spec:
        import copy as _copy

        return replace(_copy.deepcopy(self), **changes)


def csv_text(rows: Rows, header: Sequence[str] | None = None, *, newline: str = "\n",
             quote_all: bool = False) -> str:
    if header is None:
        header = []
        for row in rows:
            header += [k for k in row if k not in header]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(header), lineterminator=newline, restval="",
                            quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def policy_toml(policy: Mapping[str, Any]) -> str:
    lines = [f"{k} = {toml_value(v)}" for k, v in policy.items() if not isinstance(v, dict)]
    for table, values in policy.items():
        if isinstance(values, dict):
            lines.append(f"\n[{table}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def geography_files(geo: Geography) -> dict[str, str]:
    places = "place_id,lat,lon\n" + "".join(f"{p},{la},{lo}\n" for p, (la, lo) in
                                           geo.places.items())
    links = "from,to,km\n" + "".join(f"{a},{b},{km}\n" for a, b, km in geo.links)
    return {"geography/places.csv": places, "geography/links.csv": links}


def write_spec(spec: Spec, directory: Path, *, style: int | None = None) -> Path:
    """Write ``spec`` as a CSV instance directory: canonical, or (``style`` = a seed) in a
    random mix of the forms the contract allows (BOM, CRLF, shuffled columns, every field
    quoted, unknown extra columns)."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(style)

    def render(rows: Rows, header: Sequence[str] | None) -> bytes:
        if style is None:
            return csv_text(rows, header).encode("utf-8")
        header = list(header or (rows[0] if rows else []))
        if rows and rng.random() < 0.3:
            rows = [{**r, "zz_extra": "ignored, really"} for r in rows]
            header.append("zz_extra")
        rng.shuffle(header)
        text = csv_text(rows, header, newline=rng.choice(["\n", "\r\n"]),
                        quote_all=rng.random() < 0.5)
        return (b"\xef\xbb\xbf" if rng.random() < 0.5 else b"") + text.encode("utf-8")

    (directory / "units.csv").write_bytes(render(spec.units, UNIT_COLUMNS if spec.units and
                                                 set(spec.units[0]) == set(UNIT_COLUMNS)
                                                 else None))
    (directory / "patients.csv").write_bytes(render(
        spec.patients, PATIENT_COLUMNS if not spec.patients or
        set(spec.patients[0]) == set(PATIENT_COLUMNS) else None))
    if spec.networks is not None:
        (directory / "networks.csv").write_bytes(render(spec.networks, None))
    if spec.policy is not None:
        (directory / "policy.toml").write_text(policy_toml(spec.policy), encoding="utf-8")
    files: dict[str, str | bytes] = {}
    if spec.geography is not None:
        files.update(geography_files(spec.geography))
    files.update(spec.extra_files)
    for rel, content in files.items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return directory


def unit_row(uid: str, *, network: str = "N1", service: str = "adult_secure",
             level: str = "medium", sex: str = "mixed", beds: int | str = 2,
             closed: int | str = "", lat: float = 51.51, lon: float = -0.13,
             specialisms: str = "", age_min: str = "", age_max: str = "",
             cost: str = "", specialist_only: str | None = None,
             accepts_referrals: str | None = None) -> dict[str, str]:
    """A units.csv row; the 1.2 columns only when given (a 1.1 file otherwise)."""
    extra = {k: v for k, v in (("specialist_only", specialist_only),
                               ("accepts_referrals", accepts_referrals)) if v is not None}
    return {"unit_id": uid, "name": f"Ward {uid}", "provider": "Trust", "provider_type": "nhs",
            "network_id": network, "service": service, "level": level, "sex": sex,
            "age_min": age_min, "age_max": age_max, "specialisms": specialisms,
            "beds": str(beds), "beds_closed": str(closed), "cost_per_day": cost,
            "lat": repr(lat), "lon": repr(lon), **extra}


def patient_row(pid: str, *, status: str = "referral", service: str = "adult_secure",
                level: str = "medium", sex: str = "male", age: int | str = 30,
                needs: str = "", lat: float = 51.5, lon: float = -0.1, network: str = "N1",
                current: str = "", movable: str = "", priority: str = "",
                excluded: str = "") -> dict[str, str]:
    return {"patient_id": pid, "status": status, "service": service, "level": level,
            "sex": sex, "age": str(age), "needs": needs, "home_lat": repr(lat),
            "home_lon": repr(lon), "home_network_id": network, "current_unit_id": current,
            "movable": movable, "priority": priority, "excluded_units": excluded,
            "admitted_on": ""}


NETWORKS: Rows = [{"network_id": "N1", "name": "North", "lead_provider": "Trust A"},
                  {"network_id": "N2", "name": "South", "lead_provider": "Trust B"},
                  {"network_id": "N3", "name": "East", "lead_provider": ""}]

# A custom geography: a connected component over London-Birmingham-Manchester-Leeds-Bristol
# and a second, disconnected component over Norwich-Cambridge.
CUSTOM_GEOGRAPHY = Geography(
    places={"GLON": ANCHORS["london"], "GBIR": ANCHORS["birmingham"],
            "GMAN": ANCHORS["manchester"], "GLEE": ANCHORS["leeds"],
            "GBRI": ANCHORS["bristol"], "XNOR": ANCHORS["norwich"],
            "XCAM": ANCHORS["cambridge"]},
    links=[("GLON", "GBIR", 190.5), ("GBIR", "GMAN", 140.0), ("GMAN", "GLEE", 72.25),
           ("GBIR", "GLEE", 190.0), ("GBIR", "GBRI", 140.0), ("GLON", "GBRI", 190.0),
           ("XNOR", "XCAM", 100.0)])


# --------------------------------------------------------------------------- random instances
def _spell_bool(rng: random.Random, value: bool) -> str:
    word = rng.choice([("true", "false"), ("yes", "no"), ("1", "0")])[0 if value else 1]
    return rng.choice([word, word.upper(), word.capitalize()])


def _spell_int(rng: random.Random, value: int) -> str:
    return f"{value}.0" if rng.random() < 0.2 else str(value)


def _near(rng: random.Random, anchor: str) -> tuple[float, float]:
    la, lo = ANCHORS[anchor]
    return round(la + rng.uniform(-0.15, 0.15), 4), round(lo + rng.uniform(-0.2, 0.2), 4)


def random_spec(seed: int, *, max_patients: int = 6, max_units: int = 4,
                hard: bool = False, builtin_road: bool = False) -> Spec:
    """A seeded random tiny instance that the contract calls valid (retrying as needed).

    ``hard``: mixed services and every level in one instance, zero weights (ties), beds 0,
    inpatients in wards of another service, age bounds hit exactly, multi-tag needs.
    """
    rng = random.Random(seed)
    for _ in range(50):
        spec = (_random_hard_once if hard else _random_spec_once)(rng, max_patients, max_units)
        _ward_rules(spec, random.Random(10_007 * seed + 1))
        if builtin_road:  # road over the built-in England network: no geography/
            spec.geography = None
            spec.policy = {k: v for k, v in (spec.policy or {}).items() if k != "distance"}
            if rng.random() < 0.5:
                spec.policy["distance"] = "road"
        if oracle.invalid_reason(spec.oracle_instance()) is None:
            return spec
    raise RuntimeError("could not generate a valid instance")  # pragma: no cover


def _ward_rules(spec: Spec, rng: random.Random) -> None:
    """Half the instances use the 1.2 columns (specialist_only, accepts_referrals), drawn
    from their own stream so the 1.1 part of every seed's instance stays as it was."""
    if rng.random() < 0.5:
        return
    for row in spec.units:
        row["specialist_only"] = _spell_bool(rng, rng.random() < 0.35) \
            if rng.random() < 0.8 else ""
        row["accepts_referrals"] = _spell_bool(rng, rng.random() < 0.7) \
            if rng.random() < 0.8 else ""


def _random_spec_once(rng: random.Random, max_patients: int, max_units: int) -> Spec:
    road = rng.random() < 0.5
    anchors = list(ANCHORS) if road else [a for a in ANCHORS if a != "cambridge"]
    n_units = rng.randint(2, max_units)
    nets = ["N1", "N2", "N3"][: rng.randint(1, 3)]
    service = rng.choice(["adult_secure"] * 4 + ["camhs", "eating_disorder"])
    levels = oracle.LEVELS[service]
    lvl_pool = list(levels[:2])
    units: Rows = []
    for i in range(n_units):
        lat, lon = _near(rng, rng.choice(anchors))
        beds = rng.randint(0, 3)
        closed = rng.randint(0, beds) if rng.random() < 0.3 else 0
        age_min, age_max = "", ""
        if rng.random() < 0.15:
            age_min, age_max = ("18", "40") if service != "camhs" else ("14", "17")
        units.append(unit_row(
            f"U{i + 1}", network=rng.choice(nets), service=service, level=rng.choice(lvl_pool),
            sex=rng.choice(["male", "female", "mixed", "", "Mixed" if False else "mixed"]),
            beds=_spell_int(rng, beds),
            closed=_spell_int(rng, closed) if closed or rng.random() < 0.5 else "",
            lat=lat, lon=lon, specialisms=rng.choice(["", "", "ld", "asd", "ld;asd"]),
            age_min=age_min, age_max=age_max,
            cost=rng.choice(["", "0", str(rng.randint(300, 700)), f"{rng.randint(300, 700)}.5"])))
    uids = [u["unit_id"] for u in units]
    patients: Rows = []
    for j in range(rng.randint(1, max_patients)):
        inpatient = rng.random() < 0.5
        age = rng.randint(12, 17) if service == "camhs" else rng.randint(18, 60)
        if rng.random() < 0.08:
            age = 18 if service == "camhs" else 17
        lat, lon = _near(rng, rng.choice(anchors))
        excluded = ";".join(rng.sample(uids, rng.randint(1, 2))) if rng.random() < 0.2 else ""
        patients.append(patient_row(
            f"{'P' if inpatient else 'R'}{j + 1}", status="inpatient" if inpatient else "referral",
            service=service, level=rng.choice(lvl_pool), sex=rng.choice(["male", "female"]),
            age=_spell_int(rng, age), needs=rng.choice(["", "", "", "ld", "asd"]), lat=lat,
            lon=lon, network=rng.choice(nets), current=rng.choice(uids) if inpatient else "",
            movable=(_spell_bool(rng, rng.random() < 0.7) if rng.random() < 0.8 else "")
            if inpatient else "",
            priority=_spell_int(rng, rng.randint(1, 3)) if rng.random() < 0.6 else "",
            excluded=excluded))
    policy: dict[str, Any] = {}
    if not road or rng.random() < 0.5:
        policy["distance"] = "road" if road else "geodesic"
    weights = {}
    for key, choices in {"km": [0.5, 1.0, 2.0], "out_of_area": [0.0, 50.0, 300.0],
                         "cost": [0.0, 0.1], "move": [0.0, 25.0, 500.0],
                         "delayed": [0.0, 200.0, 5000.0], "unplaced": [1000.0, 100.0, 10.0]
                         }.items():
        if rng.random() < 0.3:
            weights[key] = rng.choice(choices)
    if weights:
        policy["weights"] = weights
    limits = {}
    if rng.random() < 0.3:
        limits["max_moves"] = rng.randint(0, 2)
    if rng.random() < 0.3:
        limits["max_admissions_per_unit"] = rng.randint(0, 1)
    if limits:
        policy["limits"] = limits
    return Spec(units=units, patients=patients,
                networks=[n for n in NETWORKS if n["network_id"] in nets]
                if rng.random() < 0.7 else None,
                policy=policy or None, geography=CUSTOM_GEOGRAPHY if road else None)


def _random_hard_once(rng: random.Random, max_patients: int, max_units: int) -> Spec:
    road = rng.random() < 0.5
    anchors = list(ANCHORS) if road else ["london", "birmingham", "leeds"]
    nets = ["N1", "N2", "N3"]
    services = rng.sample(sorted(oracle.LEVELS), 2)
    units: Rows = []
    for i in range(rng.randint(2, max_units)):
        service = rng.choice(services)
        lat, lon = ANCHORS[rng.choice(anchors)] if rng.random() < 0.4 else \
            _near(rng, rng.choice(anchors))
        beds = 0 if rng.random() < 0.15 else rng.randint(1, 3)
        lo, hi = oracle.DEFAULT_AGES[service]
        age_min, age_max = ("", "") if rng.random() < 0.6 else (str(lo + 2), str(hi - 2))
        units.append(unit_row(
            f"W{i + 1}", network=rng.choice(nets[:2]), service=service,
            level=rng.choice(oracle.LEVELS[service]), sex=rng.choice(["male", "female", "",
                                                                      "mixed"]),
            beds=beds, closed=rng.randint(0, beds) if rng.random() < 0.3 else "", lat=lat,
            lon=lon, specialisms=rng.choice(["", "ld;asd;pd", "asd", "ld"]),
            age_min=age_min, age_max=age_max,
            cost=rng.choice(["", "0", "250", "99.75"])))
    uids = [u["unit_id"] for u in units]
    patients: Rows = []
    for j in range(rng.randint(1, max_patients)):
        service = rng.choice(services)
        lo, hi = oracle.DEFAULT_AGES[service]
        age = rng.choice([lo, hi, lo + 2, hi - 2, lo + 1, min(hi, lo + 10)])
        inpatient = rng.random() < 0.5
        lat, lon = ANCHORS[rng.choice(anchors)] if rng.random() < 0.4 else \
            _near(rng, rng.choice(anchors))
        current = rng.choice(uids) if inpatient else ""
        excluded = ";".join(rng.sample(uids, rng.randint(1, len(uids)))) \
            if rng.random() < 0.25 else ""
        patients.append(patient_row(
            f"X{j + 1}", status="inpatient" if inpatient else "referral", service=service,
            level=rng.choice(oracle.LEVELS[service]), sex=rng.choice(["male", "female"]),
            age=age, needs=rng.choice(["", "", "ld;asd", "pd", "deaf"]), lat=lat, lon=lon,
            network=rng.choice(nets), current=current,
            movable=_spell_bool(rng, rng.random() < 0.8) if inpatient else "",
            priority=str(rng.randint(1, 5)), excluded=excluded))
    policy: dict[str, Any] = {"distance": "road" if road else "geodesic"}
    policy["weights"] = {k: rng.choice([0.0, 0.0, 1.0, v, 3 * v])
                         for k, v in oracle.DEFAULT_WEIGHTS.items() if rng.random() < 0.6}
    limits = {}
    if rng.random() < 0.4:
        limits["max_moves"] = rng.randint(0, 3)
    if rng.random() < 0.4:
        limits["max_admissions_per_unit"] = rng.randint(0, 2)
    policy["limits"] = limits
    return Spec(units=units, patients=patients, networks=NETWORKS if rng.random() < 0.5
                else None, policy=policy, geography=CUSTOM_GEOGRAPHY if road else None)


# --------------------------------------------------------------------------- running the CLI
@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, timeout: float = 120, subprocess_: bool | None = None) -> Run:
    """Run ``bedplan ARGS``: in-process through click's CliRunner on ``bedplan.cli:cli``
    (fast), or as a real subprocess when asked (or when CONTRACT_SUBPROCESS=1).

    In-process, an exception escaping the CLI is reported as a "Traceback" in stderr, as the
    real command would print it.
    """
    if subprocess_ is None:
        subprocess_ = os.environ.get("CONTRACT_SUBPROCESS") == "1"
    if not subprocess_:
        return _run_in_process([str(a) for a in args])
    proc = subprocess.run([BEDPLAN, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"},
                          errors="replace")
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _run_in_process(args: list[str]) -> Run:
    import traceback

    from click.testing import CliRunner

    from bedplan.cli import cli

    result = CliRunner().invoke(cli, args, catch_exceptions=True)
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(result.exception))
        code = 1
    return Run(code, result.stdout, stderr)


def read_assignments(out: Path) -> tuple[list[str], list[dict[str, str]], str]:
    raw = (out / "assignments.csv").read_bytes().decode("utf-8")
    reader = csv.reader(io.StringIO(raw))
    rows = list(reader)
    header = rows[0] if rows else []
    return header, [dict(zip(header, r, strict=False)) for r in rows[1:]], raw


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes (to prove nothing was written)."""
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file()}


def _no_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name} (NaN/Infinity are not valid JSON)")


def strict_json(text: str) -> Any:
    """Parse JSON as the standard defines it: NaN and Infinity are rejected."""
    return json.loads(text, parse_constant=_no_constant)


def close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def check_exit(run: Run, status: str, detail: str) -> list[str]:
    """A printed traceback, and the exit code against the oracle's ``status``: 2 for invalid
    input, 0 for a plan, 3 for infeasible (``detail``: what the oracle found, for the message).
    """
    problems = ["traceback printed"] if "Traceback" in run.stderr + run.stdout else []
    if status == "invalid":
        if run.code != 2:
            problems.append(f"exit {run.code}, expected 2 (invalid input)")
        return problems
    expected_code = 0 if status == "optimal" else 3
    if run.code != expected_code:
        problems.append(f"exit {run.code}, expected {expected_code} (oracle: {status}, "
                        f"{detail}); stderr: {run.stderr[-400:]}")
    return problems


def check_reallocate(spec: Spec, out: Path, run: Run, *, brute_force: bool = True) -> list[str]:
    """Every deviation of a finished ``reallocate`` run from the contract and the oracle.

    ``brute_force=False`` (instances too big to enumerate): the run must be a plan (exit 0)
    and is checked for everything but optimality.
    """
    inst = spec.oracle_instance()
    best = oracle.solve(inst) if brute_force else oracle.Optimum("optimal", None, None)
    problems = check_exit(run, best.status, f"objective {best.objective}")
    if best.status == "invalid":
        return problems
    if not (out / "summary.json").exists() or not (out / "assignments.csv").exists():
        problems.append("summary.json or assignments.csv missing")
        return problems
    try:
        summary = strict_json((out / "summary.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        return [*problems, f"summary.json is not valid JSON: {exc}"]
    missing = SUMMARY_KEYS - set(summary)
    if missing:
        problems.append(f"summary.json lacks keys {sorted(missing)}")
    metrics = summary.get("metrics", {})
    if not isinstance(metrics, dict) or METRIC_KEYS - set(metrics):
        problems.append(f"summary.json metrics lacks keys {sorted(METRIC_KEYS - set(metrics))}")
        metrics = {}
    if not isinstance(summary.get("diagnosis"), list) or not all(
            isinstance(d, str) for d in summary.get("diagnosis", [])):
        problems.append(f"diagnosis is not a list of strings: {summary.get('diagnosis')!r}")
    if not isinstance(summary.get("solver"), str):
        problems.append(f"solver not a string: {summary.get('solver')!r}")
    if not is_number(summary.get("seconds")) or summary.get("seconds", -1) < 0:
        problems.append(f"seconds not a number >= 0: {summary.get('seconds')!r}")
    header, rows, _raw = read_assignments(out)
    if header != ASSIGNMENT_COLUMNS:
        problems.append(f"assignments.csv header {header}, expected {ASSIGNMENT_COLUMNS}")
    if best.status == "infeasible":
        if summary.get("status") != "infeasible":
            problems.append(f"status {summary.get('status')!r}, expected 'infeasible'")
        for key in ("objective", "bound", "gap"):
            if summary.get(key) is not None:
                problems.append(f"{key} is {summary.get(key)!r}, expected null when infeasible")
        if rows:
            problems.append(f"assignments.csv has {len(rows)} rows when infeasible (header only)")
        if not summary.get("diagnosis"):
            problems.append("infeasible without a diagnosis")
        return problems
    # optimal
    if brute_force and summary.get("status") != "optimal":
        problems.append(f"status {summary.get('status')!r}, expected 'optimal'")
    for key in ("objective", "bound", "gap"):
        if not is_number(summary.get(key)):
            problems.append(f"{key} is {summary.get(key)!r}, expected a number")
    obj, bound, gap = summary.get("objective"), summary.get("bound"), summary.get("gap")
    if is_number(obj) and is_number(bound) and bound > obj + 1e-6 * max(1.0, abs(obj)):
        problems.append(f"bound {bound} above the objective {obj} of a minimisation")
    if is_number(gap) and gap < 0:
        problems.append(f"negative gap {gap}")
    if len(rows) != len(inst.patients):
        problems.append(f"{len(rows)} assignment rows for {len(inst.patients)} patients")
        return problems
    plan: list[oracle.Outcome] = []
    for p, row in zip(inst.patients, rows, strict=True):
        where = f"assignments row for {p.pid}"
        if len(row) != len(ASSIGNMENT_COLUMNS):
            problems.append(f"{where}: {len(row)} fields")
        if row.get("patient_id") != p.pid:
            problems.append(f"row order: got {row.get('patient_id')!r} where patients.csv "
                            f"has {p.pid!r}")
            return problems
        if row.get("status") != p.status:
            problems.append(f"{where}: status {row.get('status')!r}, expected {p.status!r}")
        if row.get("current_unit_id") != p.current:
            problems.append(f"{where}: current_unit_id {row.get('current_unit_id')!r}, "
                            f"expected {p.current!r}")
        action, uid = row.get("action", ""), row.get("unit_id", "")
        if action not in ("stay", "move", "admit", "unplaced"):
            problems.append(f"{where}: action {action!r}")
        if action == "unplaced":
            if uid or row.get("distance_km") or row.get("out_of_area"):
                problems.append(f"{where}: unplaced row has non-empty unit_id/distance_km/"
                                f"out_of_area: {row}")
            plan.append(("unplaced", None))
            continue
        if uid not in {u.uid for u in inst.units}:
            problems.append(f"{where}: unknown unit_id {uid!r}")
            return problems
        plan.append((action, uid))
        try:
            km = float(row.get("distance_km", ""))
            if not math.isclose(km, inst.km[p.pid, uid], rel_tol=1e-6, abs_tol=0.0051):
                problems.append(f"{where}: distance_km {km}, contract d(p,u) = "
                                f"{inst.km[p.pid, uid]:.6f}")
        except ValueError:
            problems.append(f"{where}: distance_km {row.get('distance_km')!r} not a number")
        ooa = "true" if inst.unit(uid).network != p.home_network else "false"
        if row.get("out_of_area") != ooa:
            problems.append(f"{where}: out_of_area {row.get('out_of_area')!r}, expected {ooa!r}")
    bad = oracle.violations(inst, plan)
    if bad:
        problems.append(f"written plan breaks the contract: {bad}")
        return problems
    mine = oracle.objective(inst, plan)
    obj = summary.get("objective")
    if is_number(obj) and not close(obj, mine):
        problems.append(f"summary objective {obj} != objective of the written assignments "
                        f"{mine:.6f}")
    if best.objective is not None and not close(mine, best.objective):
        problems.append(f"written plan objective {mine:.6f} != oracle optimum "
                        f"{best.objective:.6f} (oracle plan {best.plan})")
    want = oracle.metrics(inst, plan)
    for key, value in want.items():
        got = metrics.get(key)
        if key in METRIC_KEYS and key in metrics:
            if key.endswith("_km"):
                if not isinstance(got, int | float) or isinstance(got, bool) or \
                        not math.isclose(got, value, rel_tol=1e-6, abs_tol=0.0051):
                    problems.append(f"metrics.{key} {got!r}, expected {value:.6f}")
            elif got != value or isinstance(got, bool) or not isinstance(got, int):
                problems.append(f"metrics.{key} {got!r}, expected {value}")
    if any(p.status == "referral" and o[0] == "unplaced"
           for p, o in zip(inst.patients, plan, strict=True)) and not summary.get("diagnosis"):
        problems.append("referrals left unplaced but diagnosis is empty")
    return problems


def read_spec(directory: Path) -> Spec:
    """A CSV instance directory (canonical form, coordinates given) back as a Spec."""
    import tomllib

    def rows(name: str) -> Rows:
        with (directory / name).open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))

    policy = tomllib.loads((directory / "policy.toml").read_text(encoding="utf-8")) \
        if (directory / "policy.toml").exists() else None
    networks = rows("networks.csv") if (directory / "networks.csv").exists() else None
    return Spec(rows("units.csv"), rows("patients.csv"), networks, policy)


def reallocate(spec: Spec, tmp: Path, *extra: str, style: int | None = None
               ) -> tuple[Run, Path]:
    inst_dir = write_spec(spec, tmp / "inst", style=style)
    out = tmp / "out"
    return run_cli("reallocate", inst_dir, "--out", out, *extra), out


def geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(geodesic(a, b).km)
