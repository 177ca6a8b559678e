"""HiGHS, CBC, the fast (pricing) path and the min-cost-flow path agree on seeded random
instances.

Instances mix limits (none, max_moves, max_admissions_per_unit, both), unreachable units
(np.inf distances), incompatible (delayed) stays, immovable patients and over-full units,
and contract 1.2's ward rules (specialist-only and transfers-only units, patients' needs,
wrong-ward stays: ``ward_rules=True`` of the builder; a guard below checks that both rules
bind in them); some are infeasible, and then the PuLP model itself must be infeasible too
(the bed check that decides infeasibility for every method is checked against the model of
record). Every plan is checked against the rules directly, not through the cost table.
Without ``max_moves`` the flow path must answer itself (method "flow"); with it, "flow" falls
back to the pricing path. The default run checks 30 instances; ``-m slow`` checks 300.
"""

from __future__ import annotations

import dataclasses

import pytest

import optimiser.core.pricing as fast
from models.compatibility import is_compatible
from models.domain import SolverSettings
from optimiser.core.costs import build_cost_table
from optimiser.core.formulation import build_model, solve_model
from optimiser.core.result import INFEASIBLE
from optimiser.core.solve import solve
from optimiser.core.verdict import judge


def _case(b, seed):
    max_moves = (None, 1, 3, 6)[seed % 4]
    max_adm = (None, 1, 2)[(seed // 4) % 3]
    return b.random_instance(seed, 30, 8, max_moves=max_moves, max_adm=max_adm,
                             tight=seed % 2 == 0, unreachable=0.15, ward_rules=True)


def _agree(b, seed):
    inst, d = _case(b, seed)
    results = {}
    for solver, method in (("highs", "mip"), ("cbc", "mip"), ("highs", "fast"),
                           ("highs", "flow")):
        pol = dataclasses.replace(inst.policy, solver=SolverSettings(name=solver))
        r = solve(inst, pol, distances=d, method=method)
        results[(solver, method)] = r
        if r.has_plan:  # the plan respects every constraint
            _check_plan(inst, r)
    statuses = {r.status for r in results.values()}
    assert len(statuses) == 1, (seed, {k: r.status for k, r in results.items()})
    status = statuses.pop()
    if status == INFEASIBLE:
        costs = build_cost_table(inst, d)
        out = solve_model(build_model(costs, inst.policy), SolverSettings(name="highs"))
        assert judge(out.raw).status == INFEASIBLE, seed
        return
    assert status == "optimal", seed
    expected = "flow" if inst.policy.limits.max_moves is None else "fast"
    assert results[("highs", "flow")].method == expected, seed
    values = [r.objective for r in results.values()]
    assert max(values) - min(values) <= 1e-6 * max(1.0, abs(values[0])), (seed, values)


def _check_plan(inst, r):
    units = {u.unit_id: u for u in inst.units}
    occupancy = {uid: 0 for uid in units}
    arrivals = dict.fromkeys(units, 0)
    for p, a in zip(inst.patients, r.assignments, strict=True):
        assert a.patient_id == p.patient_id
        if a.unit_id is not None:
            occupancy[a.unit_id] += 1
        if a.action in ("move", "admit"):
            arrivals[a.unit_id] += 1
        if a.action == "stay":
            assert a.unit_id == p.current_unit_id
        if a.action in ("move", "admit"):  # every rule, 1.2's ward rules included
            u = units[a.unit_id]
            assert is_compatible(p, u), (p.patient_id, u.unit_id)
            assert u.accepts_referrals or a.action == "move"
            assert not u.specialist_only or p.needs & u.specialisms
        if not p.movable and not p.is_referral:
            assert a.action == "stay"
    assert all(occupancy[u] <= units[u].open_beds for u in units)
    limits = inst.policy.limits
    if limits.max_admissions_per_unit is not None:
        assert max(arrivals.values()) <= limits.max_admissions_per_unit
    if limits.max_moves is not None:
        assert r.metrics.moves <= limits.max_moves


@pytest.fixture(autouse=True)
def lean(monkeypatch):
    """Few initial candidates, so the fast path has to price most of its columns in."""
    monkeypatch.setattr(fast, "INITIAL_PER_PATIENT", 1)
    monkeypatch.setattr(fast, "ADD_PER_PATIENT", 2)
    monkeypatch.setattr(fast, "ADD_BUDGET", 0)


@pytest.mark.parametrize("seed", range(30))
def test_solvers_and_fast_path_agree(b, seed):
    _agree(b, seed)


def test_the_seeded_instances_exercise_both_ward_rules(b):
    """Guard: across the default seeds, each 1.2 rule is what refuses some otherwise
    compatible placement, each is somewhere not binding (a transfers-only unit takes a
    move, a specialist-only unit a patient with its need), and wrong-ward stays exist."""
    counts = dict.fromkeys(("specialist refuses", "transfers refuses", "specialist takes",
                            "transfers takes", "wrong-ward stay"), 0)
    for seed in range(30):
        inst, d = _case(b, seed)
        units = {u.unit_id: u for u in inst.units}
        plan = solve(inst, distances=d, method="flow")
        for p in inst.patients:
            for u in inst.units:
                plain = dataclasses.replace(u, specialist_only=False, accepts_referrals=True)
                if not is_compatible(p, plain):
                    continue
                if u.specialist_only and not p.needs & u.specialisms:
                    counts["specialist refuses"] += 1
                if p.is_referral and not u.accepts_referrals:
                    counts["transfers refuses"] += 1
            cur = units.get(p.current_unit_id or "")
            if cur is not None and cur.specialist_only and not p.needs & cur.specialisms:
                counts["wrong-ward stay"] += 1
        for a in plan.assignments:
            u = units.get(a.unit_id or "")
            if u is not None and a.action in ("move", "admit"):
                counts["specialist takes"] += u.specialist_only
                counts["transfers takes"] += not u.accepts_referrals
    assert all(v > 0 for v in counts.values()), counts


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30, 330))
def test_solvers_and_fast_path_agree_many(b, seed):
    _agree(b, seed)


@pytest.mark.slow
@pytest.mark.parametrize("max_moves,max_adm", [(None, None), (None, 2), (25, None), (25, 2)])
def test_fast_path_matches_full_model_at_moderate_scale(b, max_moves, max_adm):
    inst, d = b.random_instance(1000 + (max_moves or 0) + (max_adm or 0), 1500, 60,
                                max_moves=max_moves, max_adm=max_adm, unreachable=0.2)
    mip = solve(inst, distances=d, method="mip")
    for method in ("fast", "flow"):
        other = solve(inst, distances=d, method=method)
        assert other.status == mip.status == "optimal"
        assert other.objective == pytest.approx(mip.objective, rel=1e-9)
