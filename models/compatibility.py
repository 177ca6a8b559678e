"""Whether a patient may be placed in a unit, and every reason why not.

This is the one place that says so: the cost table, ``suggest``'s explanations and
validation all call it. Reasons are plain words a bed manager would use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from models.domain import Patient, Unit

#: Plain names of specialism tags, for reasons such as "no learning-disability pathway".
SPECIALISM_NAMES: dict[str, str] = {
    "ld": "learning-disability",
    "asd": "autism",
    "pd": "personality-disorder",
    "deaf": "deaf",
    "abi": "acquired-brain-injury",
    "ed": "eating-disorder",
    "mb": "mother-and-baby",
    "wemss": "women's enhanced medium secure",
    "picu": "psychiatric-intensive-care",
    "hdu": "high-dependency",
    "ci": "cognitive-impairment",
}

_SERVICE_NAMES = {
    "adult_secure": "adult secure",
    "camhs": "CAMHS",
    "eating_disorder": "adult eating-disorder",
}


def _level_words(service: str, level: str) -> str:
    if service == "adult_secure":
        return f"{level} secure"
    if service == "camhs":
        names = {"general": "CAMHS general", "picu": "CAMHS PICU"}
        return names.get(level, f"CAMHS {level} secure")
    return level


def specialism_words(tags: Iterable[str]) -> str:
    """``learning-disability and autism`` — the plain names of tags, sorted, joined."""
    names = [SPECIALISM_NAMES.get(t, t) for t in sorted(tags)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def ward_function_words(unit: Unit) -> str:
    """How a bed manager names the ward's function: its ``function`` when given, else what
    the 1.2 columns say ("learning-disability ward", "transfers-only ward", "")."""
    if unit.function:
        return unit.function
    if unit.specialist_only and unit.specialisms:
        return f"{specialism_words(unit.specialisms)} ward"
    if not unit.accepts_referrals:
        return "transfers-only ward"
    return ""


def incompatibility_reasons(patient: Patient, unit: Unit) -> list[str]:
    """Every reason ``unit`` cannot take ``patient`` (empty when compatible).

    Capacity and reachability are not compatibility: they are judged by the caller.
    Contract 1.2 adds two ward rules: a ``specialist_only`` ward takes only patients who need
    at least one of its specialisms, and a ward that does not ``accepts_referrals`` takes
    patients by transfer only.
    """
    reasons: list[str] = []
    if unit.service != patient.service:
        reasons.append(
            f"{_SERVICE_NAMES.get(unit.service, unit.service)} ward, patient needs "
            f"{_SERVICE_NAMES.get(patient.service, patient.service)}"
        )
    elif unit.level != patient.level:
        needed = patient.level if unit.service == "adult_secure" else _level_words(
            patient.service, patient.level
        )
        reasons.append(f"{_level_words(unit.service, unit.level)}, patient needs {needed}")
    if unit.sex not in ("mixed", patient.sex):
        reasons.append(f"{unit.sex}-only ward")
    if not unit.min_age <= patient.age <= unit.max_age:
        reasons.append(f"ages {unit.min_age}-{unit.max_age}, patient is {patient.age}")
    for tag in sorted(patient.needs - unit.specialisms):
        reasons.append(f"no {SPECIALISM_NAMES.get(tag, tag)} pathway")
    if unit.specialist_only and not (patient.needs & unit.specialisms):
        if unit.specialisms:
            words = specialism_words(unit.specialisms)
            either = " or ".join(SPECIALISM_NAMES.get(t, t) for t in sorted(unit.specialisms))
            reasons.append(f"{words} ward; the patient has no {either} need")
        else:
            reasons.append("specialist-only ward with no specialism listed: takes nobody")
    if patient.is_referral and not unit.accepts_referrals:
        what = unit.function or "transfers-only ward"
        reasons.append(f"{what}: takes transfers, not referrals")
    if unit.unit_id in patient.excluded_units:
        reasons.append("excluded for this patient")
    return reasons


def is_compatible(patient: Patient, unit: Unit) -> bool:
    """True when ``unit`` may take ``patient`` (see :func:`incompatibility_reasons`)."""
    return (
        _fits_ward(patient, unit)
        and unit.min_age <= patient.age <= unit.max_age
        and unit.unit_id not in patient.excluded_units
    )


def _fits_ward(patient: Patient, unit: Unit) -> bool:
    """The rules that depend on the patient only through :func:`_profile`."""
    return (
        unit.service == patient.service
        and unit.level == patient.level
        and unit.sex in ("mixed", patient.sex)
        and patient.needs <= unit.specialisms
        and (not unit.specialist_only or bool(patient.needs & unit.specialisms))
        and (unit.accepts_referrals or not patient.is_referral)
    )


#: What compatibility depends on, besides age and excluded_units: service, level, sex, needs
#: and whether the patient is a referral (transfers-only wards).
Profile = tuple[str, str, str, frozenset[str], bool]


def _profile(p: Patient) -> Profile:
    return (p.service, p.level, p.sex, p.needs, p.is_referral)


def compatibility_matrix(patients: Sequence[Patient], units: Sequence[Unit],
                         profiles: dict[Profile, np.ndarray] | None = None) -> np.ndarray:
    """Boolean matrix ``C[i, j] = is_compatible(patients[i], units[j])``.

    Compatibility depends on a patient only through (service, level, sex, needs, referral),
    age and excluded_units, so each distinct profile is checked once against every unit with
    the rules of :func:`is_compatible` but age and exclusions, the age ranges are compared
    as arrays and exclusions are applied afterwards: England (9,400 × 700) takes a fraction
    of a second instead of millions of Python calls. Pass the same ``profiles`` dict to calls
    over chunks of one instance's patients (same ``units``) so that each profile is checked
    once for the whole instance, not once per chunk.
    """
    n, m = len(patients), len(units)
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=bool)
    rows: dict[Profile, np.ndarray] = {} if profiles is None else profiles
    which = np.empty(n, dtype=np.int64)
    keys: dict[Profile, int] = {}
    for i, p in enumerate(patients):
        key = _profile(p)
        k = keys.get(key)
        if k is None:
            k = keys[key] = len(keys)
            if key not in rows:
                rows[key] = np.fromiter((_fits_ward(p, u) for u in units), dtype=bool,
                                        count=m)
        which[i] = k
    table = np.stack([rows[key] for key in keys])
    ages = np.fromiter((p.age for p in patients), dtype=np.int64, count=n)[:, None]
    min_age = np.fromiter((u.min_age for u in units), dtype=np.int64, count=m)
    max_age = np.fromiter((u.max_age for u in units), dtype=np.int64, count=m)
    out = table[which] & (min_age <= ages) & (ages <= max_age)
    unit_pos = {u.unit_id: j for j, u in enumerate(units)}
    for i, p in enumerate(patients):
        for uid in p.excluded_units:
            j = unit_pos.get(uid)
            if j is not None:
                out[i, j] = False
    return out


def units_of_service(units: Iterable[Unit], service: str) -> list[Unit]:
    """The units of one service (used when explaining why nothing fits)."""
    return [u for u in units if u.service == service]
