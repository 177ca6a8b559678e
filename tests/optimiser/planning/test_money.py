"""Money: £ per day and per year, out of area and independent, before and after."""

from __future__ import annotations

import pytest

from models.domain import Instance, Patient, Policy, Unit
from optimiser.core.solve import solve
from optimiser.planning.money import DAYS_PER_YEAR, money, spend_after, spend_tonight
from optimiser.planning.scenario import side

HOME = Unit("H", "N1", "adult_secure", "medium", 1, 52.0, -1.0, provider_type="nhs",
            cost_per_day=450.0)
AWAY = Unit("A", "N2", "adult_secure", "medium", 2, 53.0, -1.0, provider_type="independent",
            cost_per_day=680.0)


def _inst() -> Instance:
    kw = dict(service="adult_secure", level="medium", sex="male", age=30, home_lat=52.0,
              home_lon=-1.0, home_network_id="N1")
    return Instance((HOME, AWAY), (Patient("P", "inpatient", current_unit_id="A", **kw),
                                   Patient("R", "referral", **kw)),
                    policy=Policy(distance="geodesic"))


def test_tonight_counts_inpatients_where_they_are():
    s = spend_tonight(_inst())
    assert (s.per_day, s.out_of_area_per_day, s.independent_per_day) == (680.0, 680.0, 680.0)
    assert s.per_year == 680.0 * DAYS_PER_YEAR


def test_bringing_someone_home_releases_the_out_of_area_independent_spend():
    inst = _inst()
    inst = Instance(inst.units, inst.patients[:1], policy=inst.policy)
    result = solve(inst)  # P comes home to H: 0 km + 25 beats 111 km + 50 out of area
    after = spend_after(inst, result)
    assert after is not None and after.per_day == 450.0
    m = money(inst, result)
    assert m["change_inpatients"]["per_day"] == pytest.approx(450.0 - 680.0)  # type: ignore[index]
    assert m["change_inpatients"]["out_of_area_per_year"] == pytest.approx(  # type: ignore[index]
        -680.0 * DAYS_PER_YEAR)


def test_the_scenario_comparison_carries_the_money():
    inst = _inst()
    metrics = side(inst, solve(inst))["metrics"]
    # P stays in A (a move costs 25 more than leaving R in A instead); R is admitted to H
    assert metrics["cost_per_day"] == 1130.0
    assert metrics["cost_per_year"] == 1130.0 * DAYS_PER_YEAR
    assert metrics["independent_cost_per_day"] == 680.0
    assert metrics["out_of_area_cost_per_day"] == 680.0
