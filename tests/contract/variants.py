"""The base instance of the input-variant checks, with a unique, hand-checked optimum.

Geodesic distances (policy.toml). Coordinates are the ONS centroids of real postcodes (from
/work/shared/data/england-units.csv), so the same instance can be written with postcodes.

Hand-checked plan (the oracle agrees, see test_variants_contract.py):
P1 stays in U1; P2 stays in U1 although it is a male ward (immovable: a delayed stay);
P5 moves from U2 (medium; they need low: delayed if they stayed) to U5 (low, mixed);
R1 is admitted to U2; R2 (male, 16) to U4 (camhs ward with a blank sex = mixed and default
ages 12..17); R3 (camhs, 18: outside the default 12..17) is left unplaced.
"""

from __future__ import annotations

from contract_util import Spec, patient_row, unit_row

POSTCODES = {  # postcode: (lat, lon), ONS centroids as given in england-units.csv
    "SE5 8AZ": (51.46877, -0.09144), "B24 9SA": (52.51747, -1.83465),
    "M25 3BL": (53.53677, -2.29146), "LS14 6WB": (53.80495, -1.47149),
    "WF1 3SP": (53.69736, -1.49406), "SW17 7DJ": (51.43736, -0.17235),
    "OX3 7JX": (51.75085, -1.2223), "NE1 4LP": (54.98022, -1.61887),
}
UNIT_POSTCODES = {"U1": "SE5 8AZ", "U2": "B24 9SA", "U3": "M25 3BL", "U4": "LS14 6WB",
                  "U5": "WF1 3SP"}
HOME_POSTCODES = {"P1": "SW17 7DJ", "P2": "OX3 7JX", "P5": "NE1 4LP", "R1": "OX3 7JX",
                  "R2": "LS14 6WB", "R3": "LS14 6WB"}
EXPECTED_PLAN = [("P1", "stay", "U1"), ("P2", "stay", "U1"), ("P5", "move", "U5"),
                 ("R1", "admit", "U2"), ("R2", "admit", "U4"), ("R3", "unplaced", "")]


def _u(uid: str, **kw: object) -> dict[str, str]:
    lat, lon = POSTCODES[UNIT_POSTCODES[uid]]
    return unit_row(uid, lat=lat, lon=lon, **kw)  # type: ignore[arg-type]


def _p(pid: str, **kw: object) -> dict[str, str]:
    lat, lon = POSTCODES[HOME_POSTCODES[pid]]
    return patient_row(pid, lat=lat, lon=lon, **kw)  # type: ignore[arg-type]


def base_spec() -> Spec:
    units = [
        _u("U1", network="N1", sex="male", beds=2, specialisms="ld", cost="450"),
        _u("U2", network="N2", sex="mixed", beds=3, closed=1, cost="520.5"),
        _u("U3", network="N1", level="low", sex="female", beds=2),
        _u("U4", network="N2", service="camhs", level="general", sex="", beds=2),
        _u("U5", network="N1", level="low", sex="mixed", beds=1),
    ]
    patients = [
        _p("P1", status="inpatient", sex="male", age=34, network="N1", current="U1",
           movable="true"),
        _p("P2", status="inpatient", sex="female", age=29, network="N2", current="U1",
           movable="false"),
        _p("P5", status="inpatient", level="low", sex="male", age=40, network="N1",
           current="U2", movable="true"),
        _p("R1", sex="male", age=25, network="N2", priority="2"),
        _p("R2", service="camhs", level="general", sex="male", age=16, network="N2",
           excluded="U2"),
        _p("R3", service="camhs", level="general", sex="male", age=18, network="N2"),
    ]
    networks = [{"network_id": "N1", "name": "North", "lead_provider": "Trust A"},
                {"network_id": "N2", "name": "South", "lead_provider": "Trust B"}]
    return Spec(units=units, patients=patients, networks=networks,
                policy={"distance": "geodesic"})
