"""An inline referral: a new patient described on the command line or in a service request.

``service=adult_secure,level=medium,sex=male,age=34,home_postcode=LS9`` is checked exactly as
a row of patients.csv would be (status referral), so a bed manager gets the same messages as
for a file. What a row always gives but a referral typed at 2 a.m. often does not is the
**home collaborative**; it decides ``out_of_area`` and so the ranking. It is found, in order:

1. ``home_network_id`` when given (checked against networks.csv like any row);
2. the collaboratives' **footprints** (:func:`models.footprints.home_network`): the one
   responsible for the referral's service and level where its ``home_postcode`` (a full
   postcode or a district) lies — collaboratives commission for a population, so this is the
   answer whenever the postcode is English and the collaborative is one of this instance's;
3. otherwise the collaborative of the **nearest unit** of the same service and level (WGS-84
   geodesic; of the service when no unit has the level), with a note saying why the footprint
   could not answer (no postcode, an area it does not cover, or a collaborative the instance
   does not have): a stand-in, so the note asks for ``home_network_id``;
4. :data:`UNKNOWN_NETWORK` when the instance has no unit of the service at all: the referral
   is still valid (the answer is "nothing here offers it"), and the network cannot change that
   answer since only units of the service are listed.

Only malformed values are errors (:class:`~models.errors.InputError` naming ``--referral``
and the key).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from models.domain import Instance, Patient, Unit
from models.errors import InputError, Problem

#: Keys an inline referral may give (patients.csv columns that make sense for a referral).
REFERRAL_KEYS: tuple[str, ...] = (
    "patient_id", "service", "level", "sex", "age", "needs", "home_lat", "home_lon",
    "home_postcode", "home_network_id", "priority", "excluded_units", "legal_status")
DEFAULT_REFERRAL_ID = "REFERRAL"
#: home_network_id of an inline referral whose collaborative is not given and cannot be
#: inferred (no unit of its service): every unit counts as out of area for it.
UNKNOWN_NETWORK = ""
#: Where the home collaborative came from (:attr:`InlineReferral.network_from`).
GIVEN, FOOTPRINT, NEAREST, UNKNOWN = "given", "footprint", "nearest unit", "unknown"
WHERE = "--referral"


@dataclass(frozen=True, slots=True)
class InlineReferral:
    """The referral as a Patient, where its home collaborative came from, and notes in plain
    words for what the answer cannot show (a stand-in collaborative)."""

    patient: Patient
    network_from: str
    notes: tuple[str, ...] = ()


def parse_referral(spec: str, instance: Instance) -> Patient:
    """The referral of ``spec`` as a Patient (see :func:`read_referral`)."""
    return read_referral(spec, instance).patient


def read_referral(spec: str, instance: Instance) -> InlineReferral:
    """Read ``key=value,...`` (keys :data:`REFERRAL_KEYS`) as a referral of ``instance``."""
    from models.readers import build_table
    from models.validation import PATIENT_COLUMNS, check_patients

    cells = _cells(spec)
    pid = cells.setdefault("patient_id", DEFAULT_REFERRAL_ID) or DEFAULT_REFERRAL_ID
    cells["patient_id"] = pid
    if pid in instance.patient_index():
        raise InputError(Problem(WHERE, None, "patient_id", f"{pid!r} is already in "
                                 f"patients.csv: use --patient {pid}, or another id"))
    unit_ids = frozenset(u.unit_id for u in instance.units)
    network_ids = frozenset(n.network_id for n in instance.networks) or None
    given = bool(cells.get("home_network_id"))
    if not given:  # a placeholder that passes the check; replaced below
        cells["home_network_id"] = min(network_ids) if network_ids else "unknown"
    cells["status"] = "referral"
    problems: list[Problem] = []
    header = list(PATIENT_COLUMNS)
    table = build_table(WHERE, [header, [cells.get(c, "") for c in header]], PATIENT_COLUMNS,
                        problems)
    patients = check_patients(table, problems, unit_ids, network_ids) if table else []
    if problems or not patients:
        raise InputError([Problem(WHERE, None, p.column, p.message) for p in problems]
                         or [Problem(WHERE, None, None, "cannot be read")])
    p = patients[0]
    if given:
        return InlineReferral(p, GIVEN)
    return home_collaborative(p, instance)


def _cells(spec: str) -> dict[str, str]:
    problems: list[Problem] = []
    cells: dict[str, str] = {}
    for part in (s.strip() for s in spec.split(",")):
        if not part:
            continue
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if not eq:
            problems.append(Problem(WHERE, None, None, f"{part!r} is not key=value"))
        elif key not in REFERRAL_KEYS:
            problems.append(Problem(WHERE, None, key,
                                    f"unknown key (known: {', '.join(REFERRAL_KEYS)})"))
        elif key in cells:
            problems.append(Problem(WHERE, None, key, "given twice"))
        else:
            cells[key] = value.strip()
    if problems:
        raise InputError(problems)
    return cells


def instance_networks(instance: Instance) -> frozenset[str]:
    """The collaboratives of an instance: networks.csv, else those its units name."""
    return (frozenset(n.network_id for n in instance.networks)
            or frozenset(u.network_id for u in instance.units))


def home_collaborative(p: Patient, instance: Instance) -> InlineReferral:
    """``p`` with its home collaborative found by footprint, else by the nearest unit (the
    module docstring's rules 2-4); ``p.home_network_id`` is ignored."""
    from models.footprints import home_network

    why = "no home_postcode to look it up in the collaboratives' footprints"
    if p.home_postcode:
        found = home_network(p.home_postcode, p.service, p.level)
        if found is not None and found in instance_networks(instance):
            return InlineReferral(replace(p, home_network_id=found), FOOTPRINT)
        why = (f"the footprints do not cover {p.home_postcode}" if found is None else
               f"{p.home_postcode}'s collaborative by footprint, {found}, is not one of this "
               "instance's")
    unit = nearest_unit(p, instance.units)
    if unit is None:
        return InlineReferral(replace(p, home_network_id=UNKNOWN_NETWORK), UNKNOWN)
    kind = f"{p.service} {p.level}" if unit.level == p.level else p.service
    note = (f"home collaborative {unit.network_id} is that of the nearest {kind} unit "
            f"({unit.unit_id}): {why}; give home_network_id if it is another")
    return InlineReferral(replace(p, home_network_id=unit.network_id), NEAREST, (note,))


def nearest_unit(p: Patient, units: tuple[Unit, ...]) -> Unit | None:
    """The unit of p's service and level nearest to home (of the service when none has the
    level), by WGS-84 geodesic, ties to the smaller unit_id; None without such a unit."""
    candidates = [u for u in units if u.service == p.service and u.level == p.level]
    candidates = candidates or [u for u in units if u.service == p.service]
    if not candidates:
        return None
    from pyproj import Geod  # the geodesic the contract names (Karney), as distances use

    n = len(candidates)
    _, _, metres = Geod(ellps="WGS84").inv([p.home_lon] * n, [p.home_lat] * n,
                                           [u.lon for u in candidates],
                                           [u.lat for u in candidates])
    return min(zip(metres, candidates, strict=True), key=lambda t: (t[0], t[1].unit_id))[1]
