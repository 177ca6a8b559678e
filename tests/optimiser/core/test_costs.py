"""The cost table lists exactly the contract's allowed options, with the contract's costs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models.domain import Weights
from models.errors import InputError
from optimiser.core.costs import ADMIT, MOVE, STAY, UNPLACED, build_cost_table, placement_costs
from optimiser.geography.distances import distance_matrix


def test_placement_costs_terms(b):
    inst = b.make([b.unit("A", network="N1", cost=100.0), b.unit("B", network="N2")],
                  [b.referral("R1", network="N1")],
                  weights=Weights(km=2.0, out_of_area=50.0, cost=0.5))
    d = np.array([[10.0, np.inf]])
    pc = placement_costs(inst, d)
    assert pc[0, 0] == pytest.approx(2.0 * 10 + 0 + 0.5 * 100)
    assert np.isinf(pc[0, 1])
    d2 = np.array([[10.0, 4.0]])
    assert placement_costs(inst, d2)[0, 1] == pytest.approx(8.0 + 50.0)


def test_inpatient_options_stay_then_moves_in_id_order(b):
    units = [b.unit("C"), b.unit("A"), b.unit("B", level="low"), b.unit("D")]
    inst = b.make(units, [b.inpatient("P1", "D")])
    d = np.array([[3.0, 1.0, 2.0, 4.0]])
    t = build_cost_table(inst, d)
    assert t.kind.tolist() == [STAY, MOVE, MOVE]
    assert [t.unit_ids[j] for j in t.unit] == ["D", "A", "C"]  # B is low secure
    assert t.cost.tolist() == pytest.approx([4.0, 1.0 + 25.0, 3.0 + 25.0])
    assert t.start.tolist() == [0, 3]


def test_immovable_inpatient_only_stays(b):
    inst = b.make([b.unit("A"), b.unit("B")], [b.inpatient("P1", "A", movable=False)])
    t = build_cost_table(inst, np.array([[5.0, 1.0]]))
    assert t.kind.tolist() == [STAY]
    assert t.cost.tolist() == [5.0]


def test_incompatible_stay_is_allowed_but_delayed(b):
    inst = b.make([b.unit("A", level="high"), b.unit("B")],
                  [b.inpatient("P1", "A", movable=False)])
    t = build_cost_table(inst, np.array([[5.0, 1.0]]))
    assert t.kind.tolist() == [STAY]
    assert t.delayed.tolist() == [True]
    assert t.cost.tolist() == [5.0 + 200.0]


def test_excluded_and_unreachable_units_are_not_options(b):
    units = [b.unit("A"), b.unit("B"), b.unit("C")]
    r = b.referral("R1", priority=3)
    r = replace(r, excluded_units=frozenset({"A"}))
    inst = b.make(units, [r])
    t = build_cost_table(inst, np.array([[1.0, np.inf, 7.0]]))
    assert t.kind.tolist() == [ADMIT, UNPLACED]
    assert [t.unit_ids[j] if j >= 0 else None for j in t.unit] == ["C", None]
    assert t.cost.tolist() == [7.0, 3000.0]
    assert np.isnan(t.km[1])


def test_out_of_area_flag_and_cost(b):
    inst = b.make([b.unit("A", network="N2")], [b.referral("R1", network="N1")])
    t = build_cost_table(inst, np.array([[10.0]]))
    assert t.out_of_area.tolist() == [True, False]
    assert t.cost[0] == pytest.approx(60.0)


def test_unreachable_current_unit_is_invalid_input(b):
    inst = b.make([b.unit("A")], [b.inpatient("P1", "A")])
    with pytest.raises(InputError, match="unreachable"):
        build_cost_table(inst, np.array([[np.inf]]))


def test_unreachable_current_unit_names_the_true_row_of_patients_csv(b, tmp_path):
    from models.io import read_instance, write_instance

    write_instance(b.make([b.unit("A")], [b.inpatient("P1", "A"), b.inpatient("P2", "A")]),
                   tmp_path)
    path = tmp_path / "patients.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + "\n" + lines[1] + "\n" + "".join(lines[2:]))  # blank lines
    inst = read_instance(tmp_path)
    with pytest.raises(InputError) as err:
        build_cost_table(inst, np.array([[0.0], [np.inf]]))
    # P2 is the third record line but sits on row 5 of the file.
    assert [(p.file, p.row) for p in err.value.problems] == [("patients.csv", 5)]


def test_unreachable_current_unit_of_an_instance_built_in_code_has_no_row(b):
    inst = b.make([b.unit("A")], [b.inpatient("P1", "A")])
    with pytest.raises(InputError) as err:
        build_cost_table(inst, np.array([[np.inf]]))
    assert err.value.problems[0].row is None
    assert "P1" in str(err.value.problems[0])


def test_geodesic_default_distances_and_chunking_agree(b, monkeypatch):
    import optimiser.core.costs as costs

    inst, _ = b.random_instance(3, n_patients=40, n_units=6)
    inst_geo = b.make(list(inst.units), list(inst.patients))
    whole = build_cost_table(inst_geo)
    monkeypatch.setattr(costs, "_CHUNK", 7)
    chunked = build_cost_table(inst_geo, distance_matrix(inst_geo, "geodesic"))
    for name in ("patient", "unit", "kind", "cost", "start"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name))


def test_empty_instance(b):
    t = build_cost_table(b.make([b.unit("A")], []), np.zeros((0, 1)))
    assert t.n_options == 0 and t.start.tolist() == [0]


def test_cheapest_per_patient_ties_by_unit_id_and_blocks(b):
    from optimiser.core.costs import cheapest_per_patient

    units = [b.unit("C"), b.unit("A"), b.unit("B")]
    inst = b.make(units, [b.referral("R1"), b.inpatient("P1", "C")])
    t = build_cost_table(inst, np.array([[5.0, 5.0, 1.0], [2.0, 7.0, 7.0]]))
    # R1: B (1) then A and C tie at 5 -> A first (id order). P1: moves to A, B tie at 7+25.
    got = cheapest_per_patient(t, 2)
    assert [(t.patient_ids[t.patient[k]], t.unit_ids[t.unit[k]]) for k in got] == \
        [("R1", "B"), ("R1", "A"), ("P1", "A"), ("P1", "B")]
    assert np.array_equal(cheapest_per_patient(t, 2, block=1), got)
    moves = cheapest_per_patient(t, 1, (MOVE,))
    assert [t.unit_ids[t.unit[k]] for k in moves] == ["A"]


@pytest.mark.parametrize("seed", range(4))
def test_cheapest_per_patient_equals_a_full_sort(b, seed):
    # The k-pass selection must pick what sorting every option by (patient, cost, index)
    # picks, ties included (costs rounded to force them), block by block or at once.
    from optimiser.core.costs import cheapest_per_patient

    rng = np.random.default_rng(seed)
    inst, d = b.random_instance(seed, 40, 9, unreachable=0.1)
    t = build_cost_table(inst, np.round(d, -1))
    for k, kinds in ((1, (MOVE,)), (3, (MOVE, ADMIT)), (50, (MOVE, ADMIT, STAY))):
        idx = np.flatnonzero(np.isin(t.kind, kinds))
        order = idx[np.lexsort((idx, t.cost[idx], t.patient[idx]))]
        pat = t.patient[order]
        rank = np.array([np.sum(pat[:i] == pat[i]) for i in range(pat.size)], dtype=int)
        expected = order[rank < k]
        for block in (1, int(rng.integers(2, 60)), 1 << 22):
            assert np.array_equal(cheapest_per_patient(t, k, kinds, block=block), expected)
