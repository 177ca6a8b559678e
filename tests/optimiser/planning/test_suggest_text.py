"""render_suggestion(): the text a bed manager reads at 2 a.m. (hand-checked, line by line)."""

from __future__ import annotations

import numpy as np

from models.domain import Instance, Network, Patient, Policy, Unit
from optimiser.planning.suggest import render_suggestion, suggest

LONG = ("Hepworth Ward (medium secure; men; admission and assessment; Newton Lodge, "
        "Fieldhead Hospital, Wakefield)")


def unit(uid: str, **kw) -> Unit:
    base = {"network_id": "N1", "service": "adult_secure", "level": "medium", "beds": 2,
            "lat": 53.0, "lon": -1.5, "sex": "male"}
    return Unit(unit_id=uid, **{**base, **kw})


def instance(legal: str = "s37/41") -> tuple[Instance, Patient, np.ndarray]:
    units = (unit("HEP", name=LONG, provider="South West Yorkshire Partnership NHS FT",
                  provider_type="nhs", function="admission/assessment"),
             unit("OAK", name="Oak", provider="Priory", provider_type="independent",
                  network_id="N2", specialisms=frozenset({"ld"})),
             unit("ASH", name="Ash", specialisms=frozenset({"ld"}), specialist_only=True),
             unit("KID", service="camhs", level="general", sex="mixed"))
    r = Patient(patient_id="R1", status="referral", service="adult_secure", level="medium",
                sex="male", age=34, home_lat=53.0, home_lon=-1.5, home_network_id="N1",
                legal_status=legal)
    inst = Instance(units, (r,), networks=(Network("N1", "West Yorkshire"), Network("N2")),
                    policy=Policy(distance="geodesic"))
    return inst, r, np.array([[12.0, 30.0, 2.0, 1.0]])


def test_every_name_in_full_with_provider_type_collaborative_and_legal_status():
    inst, r, km = instance()
    text = render_suggestion(suggest(inst, "R1", distances=km), inst, r)
    assert text.splitlines() == [
        "R1: referral for adult_secure medium, male, 34; legal status s37/41",
        "home collaborative: West Yorkshire (N1)",
        "",
        "Options, best first (cost = km + out-of-area penalty + bed cost; ties: fewer moves, "
        "specialist ward for the need, more free beds):",
        f"  1. HEP: {LONG}",
        "     12.0 km, cost 12.0, 2 free beds; medium secure, male; admission/assessment",
        "     NHS: South West Yorkshire Partnership NHS FT; collaborative West Yorkshire (N1), "
        "the patient's own",
        "  2. OAK: Oak",
        "     30.0 km, cost 80.0, 2 free beds; medium secure, male",
        "     independent sector: Priory; collaborative N2, out of area",
        "",
        "Nearer units that are not possible, nearest first:",
        "  - ASH: Ash, 2.0 km",
        "      learning-disability ward; the patient has no learning-disability need",
        "  (and 1 nearer unit of other services; --json lists it)",
    ]


def test_unrecorded_legal_status_and_provider_type_are_said_so():
    inst, r, km = instance(legal="")
    km = km.copy()
    km[0, 0] = 0.5  # HEP nearest: nothing is rejected
    bare = Instance((unit("HEP"),), inst.patients, policy=inst.policy)
    text = render_suggestion(suggest(bare, "R1", distances=km[:, :1]), bare, r)
    lines = text.splitlines()
    assert lines[0].endswith("; legal status not recorded")
    assert lines[1] == "home collaborative: N1"
    assert lines[-2:] == ["     0.5 km, cost 0.5, 2 free beds; medium secure, male",
                          "     provider type not recorded; collaborative N1, the patient's own"]


def test_only_other_services_nearer_is_one_line():
    inst, r, km = instance()
    km = km.copy()
    km[0, 2] = 40.0  # ASH no longer nearer than HEP: only the CAMHS unit is
    text = render_suggestion(suggest(inst, "R1", distances=km), inst, r)
    assert text.splitlines()[-1] == ("No nearer unit of this service; 1 nearer unit of other "
                                     "services (--json lists it).")
