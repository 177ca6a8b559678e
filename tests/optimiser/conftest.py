"""A tiny in-memory Instance builder for the optimiser tests (no files involved).

``unit("A", beds=2)`` and ``inpatient("P1", "A")`` / ``referral("R1")`` build dataclasses
with sensible defaults (adult medium secure, mixed ward, network N1); ``make(units,
patients, **policy)`` wraps them in an Instance. Tests pass explicit ``distances`` so the
optimum can be checked by hand.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from models.domain import (
    Instance,
    Limits,
    Patient,
    Policy,
    SolverSettings,
    Unit,
    Weights,
)


def unit(uid: str, beds: int = 1, *, network: str = "N1", closed: int = 0, level: str = "medium",
         sex: str = "mixed", cost: float = 0.0, name: str = "", lat: float = 52.0,
         lon: float = -1.0, service: str = "adult_secure",
         specialisms: frozenset[str] = frozenset(), specialist_only: bool = False,
         accepts_referrals: bool = True) -> Unit:
    return Unit(unit_id=uid, network_id=network, service=service, level=level, beds=beds,
                beds_closed=closed, lat=lat, lon=lon, sex=sex, cost_per_day=cost, name=name,
                specialisms=specialisms, specialist_only=specialist_only,
                accepts_referrals=accepts_referrals)


def inpatient(pid: str, current: str, *, movable: bool = True, level: str = "medium",
              sex: str = "male", network: str = "N1", age: int = 30,
              excluded: frozenset[str] = frozenset(), lat: float = 52.0,
              lon: float = -1.0, needs: frozenset[str] = frozenset()) -> Patient:
    return Patient(patient_id=pid, status="inpatient", service="adult_secure", level=level,
                   sex=sex, age=age, home_lat=lat, home_lon=lon, home_network_id=network,
                   current_unit_id=current, movable=movable, excluded_units=excluded,
                   needs=needs)


def referral(pid: str, *, priority: int = 1, level: str = "medium", sex: str = "male",
             network: str = "N1", needs: frozenset[str] = frozenset(), age: int = 30,
             service: str = "adult_secure", lat: float = 52.0, lon: float = -1.0) -> Patient:
    return Patient(patient_id=pid, status="referral", service=service, level=level, sex=sex,
                   age=age, home_lat=lat, home_lon=lon, home_network_id=network,
                   priority=priority, needs=needs)


def make(units: list[Unit], patients: list[Patient], *, max_moves: int | None = None,
         max_adm: int | None = None, solver: str = "highs", time_limit: float | None = 60.0,
         weights: Weights | None = None) -> Instance:
    policy = Policy(distance="geodesic", weights=weights or Weights(),
                    limits=Limits(max_moves=max_moves, max_admissions_per_unit=max_adm),
                    solver=SolverSettings(name=solver, time_limit=time_limit))
    return Instance(units=tuple(units), patients=tuple(patients), policy=policy)


def random_instance(seed: int, n_patients: int = 12, n_units: int = 5, *,
                    max_moves: int | None = None, max_adm: int | None = None,
                    solver: str = "highs", unreachable: float = 0.1,
                    slack_beds: int = 2, tight: bool = False, ward_rules: bool = False
                    ) -> tuple[Instance, np.ndarray]:
    """A seeded random instance and its distance matrix (with some np.inf entries).

    Two levels and both sexes make some placements incompatible; some inpatients sit in a
    unit of the wrong level (delayed stays); total open beds are kept at least the number of
    inpatients so the instance stays feasible. ``ward_rules`` adds contract 1.2's ward
    rules (:func:`add_ward_rules`); without it the instance is the same as before they
    existed, draw for draw.
    """
    rng = np.random.default_rng(seed)
    levels = ("medium", "low")
    units = []
    for j in range(n_units):
        units.append(unit(f"U{j:02d}", beds=int(rng.integers(1, 4)),
                          network=f"N{rng.integers(0, 3)}", level=levels[j % 2],
                          sex=("mixed", "male", "female")[int(rng.integers(0, 3))],
                          cost=float(rng.integers(0, 5) * 10)))
    patients = []
    n_in = int(rng.integers(n_patients // 3, 2 * n_patients // 3 + 1))
    for i in range(n_patients):
        sex = ("male", "female")[int(rng.integers(0, 2))]
        lvl = levels[int(rng.integers(0, 2))]
        net = f"N{rng.integers(0, 3)}"
        if i < n_in:
            cur = units[int(rng.integers(0, n_units))]
            patients.append(inpatient(f"P{i:03d}", cur.unit_id, movable=bool(rng.random() < 0.85),
                                      level=lvl, sex=sex, network=net))
        else:
            patients.append(referral(f"R{i:03d}", priority=int(rng.integers(1, 3)), level=lvl,
                                     sex=sex, network=net))
    # Make room: every unit holds at least its inpatients (feasible by staying).
    occ = {u.unit_id: 0 for u in units}
    for p in patients:
        if p.current_unit_id:
            occ[p.current_unit_id] += 1
    units = [replace(u, beds=max(u.beds, occ[u.unit_id]) + int(rng.integers(0, slack_beds)))
             for u in units]
    if tight:
        units = [replace(u, beds_closed=min(u.beds, int(rng.integers(0, 3)))) for u in units]
    d = rng.uniform(1.0, 300.0, size=(n_patients, n_units)).round(1)
    d[rng.random(d.shape) < unreachable] = np.inf
    unit_pos = {u.unit_id: j for j, u in enumerate(units)}
    for i, p in enumerate(patients):
        if p.current_unit_id:
            j = unit_pos[p.current_unit_id]
            if not np.isfinite(d[i, j]):
                d[i, j] = 50.0
    if ward_rules:
        units, patients = add_ward_rules(seed, units, patients)
    # A weight on cost_per_day and a smaller unplaced weight make trade-offs bite.
    inst = make(units, patients, max_moves=max_moves, max_adm=max_adm, solver=solver,
                weights=Weights(cost=1.0, unplaced=400.0))
    return inst, d


#: Specialisms drawn by :func:`add_ward_rules` (learning disability, personality disorder).
WARD_TAGS = ("ld", "pd")


def add_ward_rules(seed: int, units: list[Unit], patients: list[Patient]
                   ) -> tuple[list[Unit], list[Patient]]:
    """Contract 1.2's two ward rules on a random instance, from a stream of its own.

    About half the units offer a specialism (ld or pd), most of those only to patients with
    that need (``specialist_only``); about a quarter take transfers only
    (``accepts_referrals = false``). About a quarter of the patients need a specialism;
    most inpatients of a specialist-only unit have its need, a few do not (wrong-ward
    delayed stays, as the contract allows).
    """
    rng = np.random.default_rng([seed, 12])
    out_units = []
    for u in units:
        tags = frozenset({WARD_TAGS[int(rng.integers(0, 2))]}) if rng.random() < 0.5 \
            else frozenset()
        out_units.append(replace(u, specialisms=tags,
                                 specialist_only=bool(tags) and rng.random() < 0.7,
                                 accepts_referrals=bool(rng.random() >= 0.25)))
    by_id = {u.unit_id: u for u in out_units}
    out_patients = []
    for p in patients:
        ward = by_id.get(p.current_unit_id or "")
        if ward is not None and ward.specialist_only and rng.random() < 0.8:
            needs = ward.specialisms
        else:
            needs = frozenset({WARD_TAGS[int(rng.integers(0, 2))]}) if rng.random() < 0.25 \
                else frozenset()
        out_patients.append(replace(p, needs=needs))
    return out_units, out_patients


def stop_lp_run(monkeypatch: pytest.MonkeyPatch, run: int, iterations: int) -> None:
    """Stop the fast path's HiGHS run number ``run`` (1-based, LPs and MIPs alike) after
    ``iterations`` simplex iterations: a deterministic stand-in for the time limit."""
    import optimiser.core.pricing as pricing

    runs: list[bool] = []
    solve_lp = pricing._solve

    def limited(master: Any, deadline: float, mip: bool = False) -> bool:
        runs.append(mip)
        master.h.setOptionValue("simplex_iteration_limit",
                                iterations if len(runs) == run else 2**31 - 1)
        return solve_lp(master, deadline, mip)

    monkeypatch.setattr(pricing, "_solve", limited)


def round_bounds(lines: list[str]) -> list[float]:
    """The Lagrangian bound each finished pricing round logged."""
    return [float(line.rsplit("bound ", 1)[1]) for line in lines
            if line.strip().startswith("pricing round")]


@pytest.fixture(scope="session")
def plan_cases() -> Any:
    """tests/optimiser/core/test_plansolve.py as a module: its seeded tiny plan instances
    (``tiny``, ``instance``, ``ward``, ``person``, ``START``) and exhaustive search, for the
    tests of the modules around the plan (the importlib import mode has no test packages)."""
    import importlib.util
    from pathlib import Path

    name = "plan_cases"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).resolve().parent / "core" / "test_plansolve.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def b():
    """This module, so tests write ``b.unit(...)``, ``b.make(...)`` without importing conftest."""
    return sys.modules[__name__]
