"""A stopped LP completed at once (:func:`optimiser.core.completion.complete_lp`): a plan
or None, never one that breaks a row; each rule where it binds and where it does not."""

from __future__ import annotations

import numpy as np

import optimiser.core.pricing as pricing
from optimiser.core.completion import complete_lp
from optimiser.core.costs import ADMIT, STAY, UNPLACED


def complete(master, at_one: np.ndarray, x: np.ndarray) -> np.ndarray | None:
    return complete_lp(master.costs, master.rows, master.options, at_one, x)


def _full_master(cases, inst, nights: int):
    """The fast path's master holding every option of the plan: (rows, master)."""
    rows, master = cases.plan_master(inst, nights)
    pricing._add_columns(master, np.arange(master.costs.n_options))
    return rows, master


def test_completion_gives_the_bed_to_the_most_decided_and_the_other_waits(plan_cases):
    C = plan_cases
    # Binds: one bed, two referrals the LP split; the one it favoured more is admitted, the
    # other's admission no longer fits and it waits (its unplaced option has no row).
    inst = C.instance([C.ward("A", 1, 53.0)], [C.person("R1", 53.0), C.person("R2", 53.0)])
    rows, master = _full_master(C, inst, 1)
    c, opts = master.costs, master.options
    x = np.full(opts.size, 0.5)  # every column half
    x[(c.patient[opts] == 1) & (c.kind[opts] == ADMIT)] = 0.6  # R2's admission more decided
    chosen = complete(master, np.zeros(opts.size, bool), x)
    assert chosen is not None and rows.violated(chosen) == []
    assert [int(c.kind[k]) for k in chosen] == [UNPLACED, ADMIT]


def test_completion_keeps_the_integral_part_and_always_gives_a_plan_or_none(plan_cases):
    # Does not bind: the LP's whole integral plan comes back unchanged. Binds: half of it
    # kept, the other patients' columns in random order, the completion is a feasible plan
    # (or None when a patient has nothing that fits), never one that breaks a row; a kept
    # column is only ever given up by a referral made to wait.
    C = plan_cases
    plans = 0
    for seed in range(12):
        inst, nights = C.tiny(seed)
        rows, master = _full_master(C, inst, nights)
        master.h.setOptionValue("solver", "simplex")
        master.h.run()
        x = np.asarray(master.h.getSolution().col_value)[master.aux:]
        at_one = x > 1 - 1e-6
        if np.all(np.abs(x - np.round(x)) <= 1e-6):
            whole = complete(master, at_one, x)
            assert whole is not None
            assert set(whole.tolist()) == set(master.options[at_one].tolist())
        rng = np.random.default_rng(seed)
        keep = at_one & (rng.random(at_one.size) < 0.5)
        chosen = complete(master, keep, rng.random(at_one.size))
        if chosen is None:
            continue
        plans += 1
        c = master.costs
        assert rows.violated(chosen) == []
        lost = set(master.options[keep].tolist()) - set(chosen.tolist())
        assert all(c.kind[chosen[c.patient[k]]] == UNPLACED for k in lost)
        assert float(c.cost[chosen].sum()) >= C.brute_force(inst, nights) - 1e-6
    assert plans >= 10


def test_completion_makes_an_admitted_referral_wait_for_an_inpatient_with_nowhere_else(
        plan_cases):
    C = plan_cases
    # Binds: the LP's integral part admitted R to A, P's bed; P (fractional) cannot move
    # to B, which Q fills: P stays and R waits. Does not bind: with a second bed in A,
    # R keeps its admission and P stays beside them.
    for beds_a, r_waits in ((1, True), (2, False)):
        inst = C.instance([C.ward("A", beds_a, 53.0), C.ward("B", 1, 53.5)],
                        [C.person("P", 53.0, current="A"), C.person("Q", 53.5, current="B",
                                                               movable=False),
                         C.person("R", 53.0)])
        rows, master = _full_master(C, inst, 1)
        c, opts = master.costs, master.options
        admit_r = (c.patient[opts] == 2) & (c.kind[opts] == ADMIT) & (c.unit[opts] == 0)
        stay_q = (c.patient[opts] == 1)
        chosen = complete(master, admit_r | stay_q, np.zeros(opts.size))
        assert chosen is not None and rows.violated(chosen) == []
        assert int(c.kind[chosen[0]]) == STAY  # P stays in A
        assert int(c.kind[chosen[2]]) == (UNPLACED if r_waits else ADMIT)
