"""The census in the database, and the :class:`~models.domain.Instance` it stands for.

An instance imported with :func:`store_instance` and read back with :func:`load_instance` is
equal to the original (same units, patients, networks, policy and geography, in the same
order), so ``models.io.write_instance`` exports exactly what was imported. Every change bumps
``census_version`` so a process can cache the Instance between changes
(:class:`CensusCache`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from models.domain import (
    Geography,
    Instance,
    Limits,
    Link,
    Network,
    Patient,
    Place,
    PlanSettings,
    Policy,
    SolverSettings,
    Unit,
    Weights,
)

from .tables import Meta, NetworkRow, PatientRow, UnitRow, UserRow

VERSION_KEY, POLICY_KEY, GEOGRAPHY_KEY, SOURCE_KEY = ("census_version", "policy", "geography",
                                                      "source")


def _tags(tags: Iterable[str]) -> str:
    return ";".join(sorted(tags))


def _untags(text: str) -> frozenset[str]:
    return frozenset(t for t in text.split(";") if t)


def _extra(pairs: tuple[tuple[str, str], ...]) -> str:
    return json.dumps([list(p) for p in pairs])


def _unextra(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in json.loads(text or "[]"))


def unit_row(u: Unit, position: int = 0) -> dict[str, Any]:
    return {"unit_id": u.unit_id, "name": u.name, "provider": u.provider,
            "provider_type": u.provider_type, "network_id": u.network_id,
            "service": u.service, "level": u.level, "sex": u.sex, "age_min": u.age_min,
            "age_max": u.age_max, "specialisms": _tags(u.specialisms), "beds": u.beds,
            "beds_closed": u.beds_closed, "cost_per_day": u.cost_per_day, "lat": u.lat,
            "lon": u.lon, "postcode": u.postcode, "specialist_only": u.specialist_only,
            "accepts_referrals": u.accepts_referrals, "function": u.function,
            "extra": _extra(u.extra), "position": position}


def patient_row(p: Patient, position: int = 0) -> dict[str, Any]:
    return {"patient_id": p.patient_id, "status": p.status, "service": p.service,
            "level": p.level, "sex": p.sex, "age": p.age, "needs": _tags(p.needs),
            "home_lat": p.home_lat, "home_lon": p.home_lon,
            "home_network_id": p.home_network_id, "current_unit_id": p.current_unit_id,
            "movable": p.movable, "priority": p.priority,
            "excluded_units": _tags(p.excluded_units), "admitted_on": p.admitted_on,
            "home_postcode": p.home_postcode, "legal_status": p.legal_status,
            "expected_discharge": p.expected_discharge, "arrives_on": p.arrives_on,
            "extra": _extra(p.extra), "position": position}


def to_unit(r: Any) -> Unit:
    return Unit(unit_id=r.unit_id, network_id=r.network_id, service=r.service, level=r.level,
                beds=r.beds, lat=r.lat, lon=r.lon, name=r.name, provider=r.provider,
                provider_type=r.provider_type, sex=r.sex, age_min=r.age_min,
                age_max=r.age_max, specialisms=_untags(r.specialisms),
                beds_closed=r.beds_closed, cost_per_day=r.cost_per_day, postcode=r.postcode,
                specialist_only=bool(r.specialist_only),
                accepts_referrals=bool(r.accepts_referrals), function=r.function,
                extra=_unextra(r.extra))


def to_patient(r: Any) -> Patient:
    return Patient(patient_id=r.patient_id, status=r.status, service=r.service, level=r.level,
                   sex=r.sex, age=r.age, home_lat=r.home_lat, home_lon=r.home_lon,
                   home_network_id=r.home_network_id, needs=_untags(r.needs),
                   current_unit_id=r.current_unit_id, movable=bool(r.movable),
                   priority=r.priority, excluded_units=_untags(r.excluded_units),
                   admitted_on=r.admitted_on, home_postcode=r.home_postcode,
                   legal_status=r.legal_status, expected_discharge=r.expected_discharge,
                   arrives_on=r.arrives_on, extra=_unextra(r.extra))


def policy_json(policy: Policy) -> str:
    return json.dumps(dataclasses.asdict(policy), default=_iso)


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a policy")


def policy_from_json(text: str) -> Policy:
    d = json.loads(text)
    plan = d.get("plan") or {}  # policies stored before contract 1.2 have none
    start = plan.get("start")
    return Policy(distance=d["distance"], weights=Weights(**d["weights"]),
                  limits=Limits(**d["limits"]), solver=SolverSettings(**d["solver"]),
                  plan=PlanSettings(start=dt.date.fromisoformat(start) if start else None,
                                    nights=int(plan.get("nights", PlanSettings().nights))))


def geography_json(geo: Geography | None) -> str:
    if geo is None:
        return "null"
    return json.dumps({"places": [[p.place_id, p.lat, p.lon] for p in geo.places],
                       "links": [[k.a, k.b, k.km] for k in geo.links]})


def geography_from_json(text: str) -> Geography | None:
    d = json.loads(text or "null")
    if d is None:
        return None
    return Geography(tuple(Place(a, float(b), float(c)) for a, b, c in d["places"]),
                     tuple(Link(a, b, float(c)) for a, b, c in d["links"]))


def _meta(session: Session) -> dict[str, str]:
    return {m.key: m.value for m in session.scalars(select(Meta))}


def census_version(session: Session) -> int:
    row = session.get(Meta, VERSION_KEY)
    return int(row.value) if row is not None else 0


def bump_version(session: Session) -> int:
    """Mark the census changed (inside the caller's write transaction)."""
    row = session.get(Meta, VERSION_KEY)
    if row is None:
        row = Meta(key=VERSION_KEY, value="0")
        session.add(row)
    row.value = str(int(row.value) + 1)
    return int(row.value)


def store_instance(session: Session, instance: Instance) -> int:
    """Replace the whole census with ``instance`` (inside a write transaction)."""
    for table in (PatientRow, UnitRow, NetworkRow):
        session.execute(delete(table))
    if instance.networks:
        session.execute(insert(NetworkRow), [
            {"network_id": n.network_id, "name": n.name, "lead_provider": n.lead_provider,
             "extra": _extra(n.extra), "position": i} for i, n in enumerate(instance.networks)])
    if instance.units:
        session.execute(insert(UnitRow),
                        [unit_row(u, i) for i, u in enumerate(instance.units)])
    if instance.patients:
        session.execute(insert(PatientRow),
                        [patient_row(p, i) for i, p in enumerate(instance.patients)])
    for key, value in ((POLICY_KEY, policy_json(instance.policy)),
                       (GEOGRAPHY_KEY, geography_json(instance.geography)),
                       (SOURCE_KEY, "database")):
        session.merge(Meta(key=key, value=value))
    session.flush()
    return bump_version(session)


def unknown_networks(session: Session) -> list[str]:
    """One line per account scoped to a collaborative the census does not know (an account
    may be created before the census is imported; it would see no patient)."""
    known = set(session.scalars(select(NetworkRow.network_id))) | set(
        session.scalars(select(UnitRow.network_id)))
    out = []
    for row in session.scalars(select(UserRow).order_by(UserRow.username)):
        missing = [n for n in row.networks.split(";") if n and n not in known]
        if missing:
            out.append(f"account {row.username!r} works for unknown collaborative(s) "
                       f"{', '.join(missing)}")
    return out


def load_instance(session: Session) -> Instance:
    """The census as an Instance (empty when nothing was imported yet)."""
    meta = _meta(session)
    networks = tuple(
        Network(r.network_id, r.name, r.lead_provider, _unextra(r.extra))
        for r in session.execute(select(NetworkRow.__table__).order_by(NetworkRow.position)))
    units = tuple(to_unit(r) for r in session.execute(
        select(UnitRow.__table__).order_by(UnitRow.position, UnitRow.unit_id)))
    patients = tuple(to_patient(r) for r in session.execute(
        select(PatientRow.__table__).order_by(PatientRow.position, PatientRow.patient_id)))
    policy = policy_from_json(meta[POLICY_KEY]) if POLICY_KEY in meta else Policy()
    return Instance(units=units, patients=patients, networks=networks, policy=policy,
                    geography=geography_from_json(meta.get(GEOGRAPHY_KEY, "null")),
                    source="the census")


class CensusCache:
    """The census Instance of one process, reloaded only when census_version moved."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._version = -1
        self._instance: Instance | None = None

    def get(self) -> tuple[int, Instance]:
        with self._factory() as session, session.begin():
            version = census_version(session)
            with self._lock:
                if self._instance is not None and version == self._version:
                    return version, self._instance
            instance = load_instance(session)
        with self._lock:
            if version >= self._version:
                self._version, self._instance = version, instance
        return version, instance

    def advance(self, before: int, after: int, changed: Iterable[Patient],
                added: Iterable[Patient]) -> bool:
        """Apply a change this process just committed (``before`` → ``after``) without a
        reload: ``changed`` patients replace theirs, ``added`` ones go last (as their
        position says). Only when the cache was exactly at ``before``; else the next
        :meth:`get` reloads. Returns whether it applied."""
        with self._lock:
            if self._instance is None or self._version != before:
                return False
            inst = self._instance
            index = inst.patient_index()
            patients = list(inst.patients)
            for p in changed:
                patients[index[p.patient_id]] = p
            patients.extend(added)
            self._instance = dataclasses.replace(inst, patients=tuple(patients))
            self._version = after
            return True
