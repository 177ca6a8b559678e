"""One definition of the rows: every method reads the same families.

The families are built once; the PuLP model, the pricing path's highspy model, the flow's
network and the bed check must all carry exactly those rows (same options, same unit
coefficients, same right-hand sides), and each must follow a family changed in place (so no
method keeps a private copy of a constraint).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import optimiser.core.pricing as pricing
from models.domain import Instance, Limits, Patient, Policy, Unit
from optimiser.core.costs import build_cost_table
from optimiser.core.diagnosis import check_beds
from optimiser.core.flow import solve_flow
from optimiser.core.flownet import NotANetwork, flow_network
from optimiser.core.formulation import build_model, constraint_rows, solve_model
from optimiser.core.rows import (
    ADMISSIONS,
    ASSIGN,
    CAPACITY,
    MOVES,
    ModelRows,
    RowFamily,
    build_rows,
)

LIMITS = Limits(max_moves=2, max_admissions_per_unit=1)


def _instance() -> Instance:
    """Three medium-secure wards on a line (km = |x|), four inpatients and two referrals."""
    units = (Unit("A", "N1", "adult_secure", "medium", 2, 52.0, -1.0),
             Unit("B", "N1", "adult_secure", "medium", 2, 52.0, -0.5),
             Unit("C", "N2", "adult_secure", "medium", 3, 52.0, 0.0,
                  specialisms=frozenset({"ld"}), specialist_only=True))
    kw = dict(service="adult_secure", level="medium", sex="male", age=30, home_lat=52.0,
              home_network_id="N1")
    patients = (
        Patient("P1", "inpatient", home_lon=-1.0, current_unit_id="B", **kw),
        Patient("P2", "inpatient", home_lon=-0.5, current_unit_id="A", **kw),
        Patient("P3", "inpatient", home_lon=0.0, current_unit_id="C", **kw),  # wrong ward
        Patient("P4", "inpatient", home_lon=0.0, current_unit_id="A", needs=frozenset({"ld"}),
                **kw),
        Patient("R1", "referral", home_lon=-1.0, **kw),
        Patient("R2", "referral", home_lon=0.0, needs=frozenset({"ld"}), **kw),
    )
    return Instance(units, patients, policy=Policy(distance="geodesic", limits=LIMITS))


@pytest.fixture(scope="module")
def setup():
    inst = _instance()
    costs = build_cost_table(inst)
    return inst, costs, build_rows(costs, LIMITS)


def _expected(rows: ModelRows) -> dict[tuple[str, int], tuple[str, float, tuple[int, ...]]]:
    return {(f.name, r): (f.sense, float(f.rhs[r]), tuple(int(k) for k in idx))
            for f in rows.families for r, idx in f.members()}


def test_the_families_are_the_contract_rows(setup):
    _, costs, rows = setup
    assert [f.name for f in rows.families] == [ASSIGN, CAPACITY, ADMISSIONS, MOVES]
    assert rows[ASSIGN].n_rows == 6 and rows[CAPACITY].rhs.tolist() == [2, 2, 3]
    assert rows[MOVES].rhs.tolist() == [2] and rows[ADMISSIONS].rhs.tolist() == [1, 1, 1]
    # every option in exactly one assignment row; moves and admissions in their families
    assert np.array_equal(rows[ASSIGN].row_of(costs.n_options), costs.patient)
    moves = {int(k) for _, idx in rows[MOVES].members() for k in idx}
    assert moves == set(np.flatnonzero(costs.kind == 1).tolist())


def test_the_pulp_model_has_exactly_the_families_rows(setup):
    _, costs, rows = setup
    model = build_model(costs, Policy(limits=LIMITS), rows)
    got = {}
    for name, sense, rhs, opts in constraint_rows(model):
        family, _, key = name.rpartition("_")
        family = {"assign": ASSIGN, "capacity": CAPACITY, "admissions": ADMISSIONS}.get(
            family, MOVES if name == "move_budget" else family)
        got[(family, 0 if name == "move_budget" else int(key))] = (sense, rhs, opts)
    want = _expected(rows)
    # rows that cannot bind (|N_u| <= A) are left out of the MIP, and only those
    slack = {k for k, (s, rhs, opts) in want.items() if k[0] == ADMISSIONS and len(opts) <= rhs}
    assert got == {k: v for k, v in want.items() if k not in slack}


def test_the_pricing_master_has_exactly_the_families_rows(setup):
    import highspy

    _, costs, rows = setup
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    master = pricing._new_master(h, costs, rows)
    every = np.arange(costs.n_options)
    pricing._add_columns(master, every)
    lp = h.getLp()
    a = lp.a_matrix_
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
    assert np.all(value == 1.0)
    col_of = master.options
    pairs = {(int(index[e]), int(col_of[c])) for c in range(col_of.size)
             for e in range(start[c], start[c + 1])}
    want = set()
    for f, at in zip(rows.families, rows.offsets.values(), strict=True):
        want |= {(at + r, int(k)) for r, idx in f.members() for k in idx}
    assert pairs == want
    assert np.array_equal(np.asarray(lp.row_upper_), rows.rhs())
    # and the reduced costs are c - A^T y from the same families
    y = np.linspace(-3, 1, rows.n_rows)
    dense = np.zeros((rows.n_rows, costs.n_options))
    for r, k in want:
        dense[r, k] = 1.0
    assert np.allclose(pricing._reduced_costs(master, y, 0, costs.n_options),
                       costs.cost - dense.T @ y)


def test_the_flow_network_is_the_families_rows(setup):
    _, costs, rows = setup
    with pytest.raises(NotANetwork, match="moves"):
        flow_network(rows)
    net = flow_network(ModelRows(rows.families[:3], rows.n_options))
    n, m = rows[ASSIGN].n_rows, rows[CAPACITY].n_rows
    cap_row = rows[CAPACITY].row_of(costs.n_options)
    adm_row = rows[ADMISSIONS].row_of(costs.n_options)
    for k in range(costs.n_options):
        assert net.tails[k] == costs.patient[k]
        if adm_row[k] >= 0:
            assert net.heads[k] == n + m + adm_row[k]
        elif cap_row[k] >= 0:
            assert net.heads[k] == n + cap_row[k]
        else:
            assert net.heads[k] == net.sink
    assert net.caps[net.unit_arcs].tolist() == rows[CAPACITY].rhs.tolist()


def _tighter(rows: ModelRows, name: str, rhs: list[float]) -> ModelRows:
    """The same rows with one family's right-hand sides changed in place."""
    return ModelRows(tuple(dataclasses.replace(f, rhs=np.array(rhs, float)) if f.name == name
                           else f for f in rows.families), rows.n_options)


def test_every_method_follows_a_family_changed_in_place(setup):
    inst, costs, rows = setup
    no_moves = ModelRows(tuple(f for f in rows.families if f.name != MOVES), rows.n_options)
    # Unit A down to one bed: with P2 and P4 both staying there it no longer fits as is.
    tight = _tighter(no_moves, CAPACITY, [1, 2, 3])
    policy = Policy(distance="geodesic", limits=Limits(max_admissions_per_unit=1))
    mip = solve_model(build_model(costs, policy, tight), policy.solver).chosen
    flow = solve_flow(costs, policy, rows=tight)
    fast = pricing.solve_fast(costs, policy, rows=tight)
    assert flow is not None and mip is not None and fast.chosen is not None
    for chosen in (mip, flow.chosen, fast.chosen):
        assert tight.violated(chosen) == []
        assert no_moves.violated(chosen) == []
        assert np.bincount(costs.unit[chosen][costs.unit[chosen] >= 0], minlength=3)[0] <= 1
    assert flow.raw.objective == pytest.approx(float(costs.cost[mip].sum()))
    assert fast.raw.objective == pytest.approx(float(costs.cost[mip].sum()))
    # The bed check reads the same families: with no bed at all in A and B nobody fits.
    none = _tighter(rows, CAPACITY, [0, 0, 3])
    assert check_beds(inst, costs, LIMITS, none).feasible is False
    assert check_beds(inst, costs, LIMITS, rows).feasible is True


def test_runs_of_rows_price_with_cumulative_sums():
    """A family whose options span runs of rows (the multi-night shape)."""
    fam = RowFamily("cap", "<=", np.zeros(5), np.arange(5), lo=np.array([0, 1, 3]),
                    opt=np.array([0, 1, 1]), hi=np.array([2, 3, 5]))
    y = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    assert fam.price(y, 0, 2).tolist() == [3.0, 2.0 + 4.0 + 8.0 + 16.0]
    row, opt = fam.pairs()
    assert sorted(zip(row.tolist(), opt.tolist(), strict=True)) == \
        [(0, 0), (1, 0), (1, 1), (2, 1), (3, 1), (4, 1)]
    assert fam.activity(np.array([1])).tolist() == [0, 1, 1, 1, 1]
    with pytest.raises(ValueError, match="several rows"):
        fam.row_of(2)
