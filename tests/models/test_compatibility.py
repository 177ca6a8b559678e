"""Compatibility, rule by rule: where each rule binds, where it does not, and its reason."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from models.compatibility import (
    compatibility_matrix,
    incompatibility_reasons,
    is_compatible,
    units_of_service,
)
from models.domain import LEVELS, Patient, Unit

WARD = Unit(unit_id="W1", network_id="N1", service="adult_secure", level="medium", beds=10,
            lat=52.0, lon=-1.0, sex="mixed", specialisms=frozenset({"ld", "asd"}))
PERSON = Patient(patient_id="P1", status="referral", service="adult_secure", level="medium",
                 sex="male", age=30, home_lat=52.0, home_lon=-1.0, home_network_id="N1")


def check(unit: Unit, patient: Patient, reasons: list[str]) -> None:
    assert incompatibility_reasons(patient, unit) == reasons
    assert is_compatible(patient, unit) is (not reasons)


def test_the_baseline_pair_is_compatible():
    check(WARD, PERSON, [])


def test_service_must_match():
    check(dataclasses.replace(WARD, service="camhs", level="medium", age_min=0, age_max=120),
          PERSON, ["CAMHS ward, patient needs adult secure"])
    check(dataclasses.replace(WARD, service="eating_disorder", level="general"),
          dataclasses.replace(PERSON, service="eating_disorder", level="general"), [])


def test_level_must_match():
    check(dataclasses.replace(WARD, level="low"), PERSON, ["low secure, patient needs medium"])
    check(dataclasses.replace(WARD, service="camhs", level="picu", age_min=None),
          dataclasses.replace(PERSON, service="camhs", level="general", age=15),
          ["CAMHS PICU, patient needs CAMHS general"])
    check(dataclasses.replace(WARD, service="camhs", level="picu"),
          dataclasses.replace(PERSON, service="camhs", level="picu", age=15), [])


@pytest.mark.parametrize(("ward_sex", "patient_sex", "reasons"), [
    ("mixed", "male", []), ("mixed", "female", []), ("male", "male", []),
    ("female", "female", []), ("male", "female", ["male-only ward"]),
    ("female", "male", ["female-only ward"])])
def test_sex(ward_sex, patient_sex, reasons):
    check(dataclasses.replace(WARD, sex=ward_sex), dataclasses.replace(PERSON, sex=patient_sex),
          reasons)


@pytest.mark.parametrize(("age", "reasons"), [
    (17, ["ages 18-120, patient is 17"]), (18, []), (120, [])])
def test_adult_default_ages(age, reasons):
    check(WARD, dataclasses.replace(PERSON, age=age), reasons)


@pytest.mark.parametrize(("age", "reasons"), [
    (11, ["ages 12-17, patient is 11"]), (12, []), (17, []), (18, ["ages 12-17, patient is 18"])])
def test_camhs_default_ages(age, reasons):
    ward = dataclasses.replace(WARD, service="camhs", level="general")
    check(ward, dataclasses.replace(PERSON, service="camhs", level="general", age=age), reasons)


def test_explicit_ages_override_defaults():
    ward = dataclasses.replace(WARD, age_min=25, age_max=64)
    check(ward, dataclasses.replace(PERSON, age=25), [])
    check(ward, dataclasses.replace(PERSON, age=64), [])
    check(ward, dataclasses.replace(PERSON, age=65), ["ages 25-64, patient is 65"])


def test_needs_must_be_offered():
    check(WARD, dataclasses.replace(PERSON, needs=frozenset({"ld", "asd"})), [])
    check(WARD, dataclasses.replace(PERSON, needs=frozenset({"deaf", "ld", "zz"})),
          ["no deaf pathway", "no zz pathway"])
    check(dataclasses.replace(WARD, specialisms=frozenset()),
          dataclasses.replace(PERSON, needs=frozenset({"ld"})),
          ["no learning-disability pathway"])


def test_excluded_units():
    check(WARD, dataclasses.replace(PERSON, excluded_units=frozenset({"W2"})), [])
    check(WARD, dataclasses.replace(PERSON, excluded_units=frozenset({"W1"})),
          ["excluded for this patient"])


def test_every_reason_is_listed():
    ward = dataclasses.replace(WARD, level="high", sex="female", age_max=25,
                               specialisms=frozenset())
    person = dataclasses.replace(PERSON, needs=frozenset({"pd"}), excluded_units=frozenset({"W1"}))
    check(ward, person, ["high secure, patient needs medium", "female-only ward",
                         "ages 18-25, patient is 30", "no personality-disorder pathway",
                         "excluded for this patient"])


def test_units_of_service():
    camhs = dataclasses.replace(WARD, unit_id="C1", service="camhs", level="general")
    assert units_of_service([WARD, camhs], "camhs") == [camhs]


def random_instance(seed: int, n_units: int, n_patients: int) -> tuple[list[Unit], list[Patient]]:
    rng = random.Random(seed)
    tags = ["ld", "asd", "pd", "deaf"]
    units = []
    for j in range(n_units):
        service = rng.choice(list(LEVELS))
        ages = rng.choice([(None, None), (16, 30), (40, None)])
        units.append(Unit(
            unit_id=f"U{j}", network_id="N", service=service, level=rng.choice(LEVELS[service]),
            beds=5, lat=52.0, lon=-1.0, sex=rng.choice(["male", "female", "mixed"]),
            age_min=ages[0], age_max=ages[1],
            specialisms=frozenset(rng.sample(tags, rng.randint(0, 3))),
            specialist_only=rng.random() < 0.3, accepts_referrals=rng.random() < 0.7))
    patients = []
    for i in range(n_patients):
        service = rng.choice(list(LEVELS))
        patients.append(Patient(
            patient_id=f"P{i}", status=rng.choice(["referral", "inpatient"]), service=service,
            level=rng.choice(LEVELS[service]), sex=rng.choice(["male", "female"]),
            age=rng.randint(10, 70), home_lat=52.0, home_lon=-1.0, home_network_id="N",
            needs=frozenset(rng.sample(tags, rng.randint(0, 2))),
            excluded_units=frozenset(f"U{rng.randrange(n_units + 3)}"
                                     for _ in range(rng.randint(0, 3)))))
    return units, patients


def test_matrix_equals_the_scalar_function_on_a_random_instance():
    units, patients = random_instance(seed=7, n_units=40, n_patients=300)
    matrix = compatibility_matrix(patients, units)
    expected = np.array([[is_compatible(p, u) for u in units] for p in patients])
    assert matrix.shape == (300, 40) and matrix.dtype == bool
    assert 0 < matrix.sum() < matrix.size  # the case is not trivial either way
    assert np.array_equal(matrix, expected)


def test_matrix_of_nothing():
    units, patients = random_instance(seed=1, n_units=3, n_patients=2)
    assert compatibility_matrix([], units).shape == (0, 3)
    assert compatibility_matrix(patients, []).shape == (2, 0)


def test_shared_profiles_give_the_same_matrix_chunk_by_chunk():
    # build_cost_table calls the matrix per chunk of patients with one shared profile cache:
    # the chunks, stacked, must equal the whole matrix, and the cache holds each profile once.
    import numpy as np

    from models.compatibility import compatibility_matrix
    from models.domain import Patient, Unit

    units = [Unit("A", "N", "camhs", "general", 2, 51.5, -0.1, sex="female"),
             Unit("B", "N", "camhs", "general", 2, 52.5, -1.1, specialisms=frozenset({"ld"}))]
    kw = dict(status="referral", service="camhs", level="general", home_lat=52.0,
              home_lon=-1.0, home_network_id="N")
    patients = [Patient(f"R{i}", sex=("male", "female")[i % 2], age=15,
                        needs=frozenset({"ld"}) if i % 3 == 0 else frozenset(),
                        excluded_units=frozenset({"B"}) if i == 4 else frozenset(), **kw)
                for i in range(7)]
    shared: dict = {}
    chunks = [compatibility_matrix(patients[a:a + 3], units, shared) for a in (0, 3, 6)]
    assert np.array_equal(np.vstack(chunks), compatibility_matrix(patients, units))
    assert len(shared) == len({(p.sex, p.needs) for p in patients})


# --------------------------------------------------------------------------- contract 1.2

LD_WARD = dataclasses.replace(WARD, specialisms=frozenset({"ld"}), specialist_only=True)


def test_a_specialist_ward_refuses_a_patient_without_its_need():
    check(LD_WARD, PERSON,
          ["learning-disability ward; the patient has no learning-disability need"])


def test_a_specialist_ward_takes_a_patient_with_its_need():
    check(LD_WARD, dataclasses.replace(PERSON, needs=frozenset({"ld"})), [])


def test_one_shared_specialism_is_enough_for_a_ward_of_several():
    both = dataclasses.replace(WARD, specialist_only=True)  # ld and asd
    check(both, dataclasses.replace(PERSON, needs=frozenset({"asd"})), [])
    check(both, PERSON, ["autism and learning-disability ward; the patient has no autism or "
                         "learning-disability need"])


def test_a_general_ward_with_a_pathway_takes_patients_without_the_need():
    check(dataclasses.replace(LD_WARD, specialist_only=False), PERSON, [])


def test_a_specialist_need_the_ward_lacks_is_still_refused():
    check(LD_WARD, dataclasses.replace(PERSON, needs=frozenset({"ld", "deaf"})),
          ["no deaf pathway"])


def test_a_specialist_ward_without_specialisms_takes_nobody():
    bare = dataclasses.replace(WARD, specialisms=frozenset(), specialist_only=True)
    check(bare, dataclasses.replace(PERSON, needs=frozenset()),
          ["specialist-only ward with no specialism listed: takes nobody"])


REHAB = dataclasses.replace(WARD, accepts_referrals=False)


def test_a_transfers_only_ward_refuses_a_referral():
    check(REHAB, PERSON, ["transfers-only ward: takes transfers, not referrals"])
    named = dataclasses.replace(REHAB, function="rehabilitation ward")
    check(named, PERSON, ["rehabilitation ward: takes transfers, not referrals"])


def test_a_transfers_only_ward_takes_an_inpatient_by_transfer():
    inpatient = dataclasses.replace(PERSON, status="inpatient", current_unit_id="W9")
    check(REHAB, inpatient, [])


def test_the_matrix_tells_referrals_from_inpatients_of_the_same_profile():
    inpatient = dataclasses.replace(PERSON, patient_id="P2", status="inpatient",
                                    current_unit_id="W9")
    shared: dict = {}
    matrix = compatibility_matrix([PERSON, inpatient], [REHAB, WARD], shared)
    assert matrix.tolist() == [[False, True], [True, True]]
    assert len(shared) == 2


def test_ward_function_words():
    from models.compatibility import ward_function_words

    assert ward_function_words(LD_WARD) == "learning-disability ward"
    assert ward_function_words(REHAB) == "transfers-only ward"
    assert ward_function_words(WARD) == ""
    assert ward_function_words(dataclasses.replace(REHAB, function="step-down ward")) == \
        "step-down ward"
