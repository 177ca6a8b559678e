"""How units and patients are shown (JSON and pages), and which patients a user may see.

Shared by the API and the page, so both show the same fields and hide the same patients.
"""

from __future__ import annotations

from typing import Any

from models.domain import Instance, Patient, Unit

from .auth import User
from .errors import not_found


def unit_dict(u: Unit, occupied: int) -> dict[str, Any]:
    """A unit with its bed counts: ``open_beds``, ``occupied`` tonight and ``free``."""
    return {"unit_id": u.unit_id, "name": u.name, "provider": u.provider,
            "network_id": u.network_id, "service": u.service, "level": u.level, "sex": u.sex,
            "age_min": u.min_age, "age_max": u.max_age,
            "specialisms": sorted(u.specialisms), "beds": u.beds,
            "beds_closed": u.beds_closed, "open_beds": u.open_beds, "occupied": occupied,
            "free": max(u.open_beds - occupied, 0), "cost_per_day": u.cost_per_day,
            "lat": u.lat, "lon": u.lon}


def patient_dict(p: Patient, *, home: bool = False) -> dict[str, Any]:
    """A patient by pseudonymous id; the home area only where a map needs it."""
    out: dict[str, Any] = {
        "patient_id": p.patient_id, "status": p.status, "service": p.service,
        "level": p.level, "sex": p.sex, "age": p.age, "needs": sorted(p.needs),
        "home_network_id": p.home_network_id, "current_unit_id": p.current_unit_id,
        "movable": p.movable, "priority": p.priority,
        "admitted_on": p.admitted_on.isoformat() if p.admitted_on else None}
    if home:  # an area centroid (pseudonymous), shown on the suggestion map only
        out.update(home_lat=p.home_lat, home_lon=p.home_lon)
    return out


def visible(instance: Instance, user: User, patient_id: str) -> Patient:
    """The patient if ``user`` may see them; 404 otherwise (existence is not revealed)."""
    i = instance.patient_index().get(patient_id)
    if i is None or not user.can_see_network(instance.patients[i].home_network_id):
        raise not_found(f"no patient {patient_id!r} in your census")
    return instance.patients[i]
