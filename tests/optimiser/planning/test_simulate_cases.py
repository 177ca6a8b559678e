"""Small seeded instances for the simulation tests (built in code, geodesic distances)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from models.demand import DemandRate
from models.domain import Instance, Limits, Network, Patient, Policy, Unit
from optimiser.planning.simulate_draws import World, build_world

START = dt.date(2027, 1, 1)
EXAMPLE = "instances/examples/simulate-two-wards"

#: Three collaboratives, each with a medium secure and a CAMHS general ward.
SITES = {"north": (53.80, -1.55), "mid": (52.48, -1.90), "south": (51.47, -0.09)}


def small_instance(seed: int = 7, inpatients: int = 24, referrals: int = 3,
                   max_moves: int | None = None, max_admissions: int | None = None
                   ) -> Instance:
    """3 collaboratives × (medium secure 5 beds, CAMHS general 4 beds), some inpatients
    out of area, a few referrals waiting; seeded."""
    rng = np.random.default_rng(seed)
    units = []
    for net, (lat, lon) in SITES.items():
        units.append(Unit(unit_id=f"{net}-med", network_id=net, service="adult_secure",
                          level="medium", beds=5, lat=lat, lon=lon, cost_per_day=500.0))
        units.append(Unit(unit_id=f"{net}-cyp", network_id=net, service="camhs",
                          level="general", beds=4, lat=lat + 0.05, lon=lon, cost_per_day=700.0))
    nets = list(SITES)
    occupancy = dict.fromkeys((u.unit_id for u in units), 0)
    patients = []
    for k in range(inpatients):
        u = units[int(rng.integers(len(units)))]
        if occupancy[u.unit_id] >= u.open_beds:
            continue
        occupancy[u.unit_id] += 1
        home = nets[int(rng.integers(3))]
        lat, lon = SITES[home]
        camhs = u.service == "camhs"
        patients.append(Patient(
            patient_id=f"P{k + 1}", status="inpatient", service=u.service, level=u.level,
            sex="male", age=15 if camhs else 30, home_lat=lat + 0.1, home_lon=lon - 0.1,
            home_network_id=home, current_unit_id=u.unit_id))
    for k in range(referrals):
        home = nets[k % 3]
        lat, lon = SITES[home]
        patients.append(Patient(
            patient_id=f"R{k + 1}", status="referral", service="camhs", level="general",
            sex="female", age=14, home_lat=lat - 0.1, home_lon=lon + 0.1,
            home_network_id=home))
    policy = Policy(distance="geodesic",
                    limits=Limits(max_moves=max_moves, max_admissions_per_unit=max_admissions))
    return Instance(units=tuple(units), patients=tuple(patients),
                    networks=tuple(Network(n) for n in nets), policy=policy)


def busy_rates(instance: Instance, per_year: float = 150.0, stay: float = 10.0
               ) -> tuple[DemandRate, ...]:
    """Every (service, level, collaborative) of the census at ``per_year`` referrals with a
    mean stay of ``stay`` nights: a busy, quickly turning system."""
    keys = sorted({(p.service, p.level, p.home_network_id) for p in instance.patients})
    return tuple(DemandRate(s, lv, h, per_year, stay) for s, lv, h in keys)


def small_world(days: int = 40, **kwargs: object) -> World:
    inst = small_instance(**kwargs)  # type: ignore[arg-type]
    return build_world(inst, days=days, start=START, rates=busy_rates(inst))
