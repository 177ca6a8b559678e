"""How units and patients are shown (JSON and pages), and which patients a user may see.

Shared by the API and the page, so both show the same fields and hide the same patients.
"""

from __future__ import annotations

from typing import Any

from models.compatibility import ward_function_words
from models.domain import Instance, Patient, Unit

from .auth import User
from .errors import not_found


def unit_dict(u: Unit, occupied: int, network_name: str = "") -> dict[str, Any]:
    """A unit with its bed counts (``open_beds``, ``occupied`` tonight, ``free``) and its
    function as contract 1.2 gives it: ``specialist_only`` (only patients who need one of
    its ``specialisms``), ``accepts_referrals`` (false: transfers only), the informational
    ``function`` text, and ``ward_function``, the words a bed manager reads (the function,
    else what the two rules say, else "")."""
    return {"unit_id": u.unit_id, "name": u.name, "provider": u.provider,
            "provider_type": u.provider_type, "network_id": u.network_id,
            "network_name": network_name, "service": u.service, "level": u.level,
            "sex": u.sex, "age_min": u.min_age, "age_max": u.max_age,
            "specialisms": sorted(u.specialisms), "specialist_only": u.specialist_only,
            "accepts_referrals": u.accepts_referrals, "function": u.function,
            "ward_function": ward_function_words(u), "beds": u.beds,
            "beds_closed": u.beds_closed, "open_beds": u.open_beds, "occupied": occupied,
            "free": max(u.open_beds - occupied, 0), "cost_per_day": u.cost_per_day,
            "lat": u.lat, "lon": u.lon}


def network_names(instance: Instance) -> dict[str, str]:
    """network_id → the collaborative's name (networks.csv; empty when not given)."""
    return {n.network_id: n.name for n in instance.networks}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def patient_dict(p: Patient, *, home: bool = False) -> dict[str, Any]:
    """A patient by pseudonymous id, with the informational ``legal_status`` and the dates
    a plan reads (``expected_discharge``, ``arrives_on``); the home area only where a map
    needs it."""
    out: dict[str, Any] = {
        "patient_id": p.patient_id, "status": p.status, "service": p.service,
        "level": p.level, "sex": p.sex, "age": p.age, "needs": sorted(p.needs),
        "home_network_id": p.home_network_id, "current_unit_id": p.current_unit_id,
        "movable": p.movable, "priority": p.priority, "legal_status": p.legal_status,
        "admitted_on": _iso(p.admitted_on), "expected_discharge": _iso(p.expected_discharge),
        "arrives_on": _iso(p.arrives_on)}
    if home:  # an area centroid (pseudonymous), shown on the suggestion map only
        out.update(home_lat=p.home_lat, home_lon=p.home_lon)
    return out


def visible(instance: Instance, user: User, patient_id: str) -> Patient:
    """The patient if ``user`` may see them; 404 otherwise (existence is not revealed)."""
    i = instance.patient_index().get(patient_id)
    if i is None or not user.can_see_network(instance.patients[i].home_network_id):
        raise not_found(f"no patient {patient_id!r} in your census")
    return instance.patients[i]
