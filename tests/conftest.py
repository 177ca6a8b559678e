"""Shared fixtures: a tiny, valid, hand-checkable CSV instance written into ``tmp_path``.

Use ``tiny_instance`` for the instance as is (a directory Path), or ``tiny_tables`` +
``make_instance`` to change a cell first::

    def test_unknown_unit(make_instance, tiny_tables):
        tiny_tables["patients"][0]["current_unit_id"] = "W99"
        path = make_instance(**tiny_tables)

The instance (all adult secure except U4/P4/R2, networks N1 north and N2 south):

=====  ==============  ======  =====  ====  ======  ============  ===========
unit   service/level   sex     beds   shut  net     specialisms   near
=====  ==============  ======  =====  ====  ======  ============  ===========
U1     adult medium    male    2      0     N1      ld            London
U2     adult medium    mixed   3      1     N2                    Birmingham
U3     adult low       female  2      0     N1                    Manchester
U4     camhs general   mixed   4      0     N2                    Bristol
=====  ==============  ======  =====  ====  ======  ============  ===========

Patients: P1 (male 34, medium, in U1), P2 (female 29, medium, in U2), P3 (female 41, low,
in U3), P4 (female 15, camhs, in U4); referrals R1 (male 25, medium, needs ld, priority 2)
and R2 (male 16, camhs).
"""

from __future__ import annotations

import copy
import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# pytest's default ("prepend") import mode put this directory on sys.path to import this
# file; left there, tests/models would shadow the real ``models`` package (as a namespace
# package, ahead of the editable install). Drop it and import the real package now, so the
# module cache holds it whatever pytest adds to sys.path later.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE]
import models  # noqa: E402

assert Path(models.__file__ or "").name == "__init__.py", "tests/models shadows models"

Rows = list[dict[str, str]]

TINY_UNITS: Rows = [
    {"unit_id": "U1", "name": "Ward One", "provider": "Trust A", "provider_type": "nhs",
     "network_id": "N1", "service": "adult_secure", "level": "medium", "sex": "male",
     "age_min": "", "age_max": "", "specialisms": "ld", "beds": "2", "beds_closed": "0",
     "cost_per_day": "450", "lat": "51.5", "lon": "-0.12"},
    {"unit_id": "U2", "name": "Ward Two", "provider": "Care Ltd", "provider_type": "independent",
     "network_id": "N2", "service": "adult_secure", "level": "medium", "sex": "mixed",
     "age_min": "", "age_max": "", "specialisms": "", "beds": "3", "beds_closed": "1",
     "cost_per_day": "520.5", "lat": "52.48", "lon": "-1.9"},
    {"unit_id": "U3", "name": "Ward Three", "provider": "Trust A", "provider_type": "nhs",
     "network_id": "N1", "service": "adult_secure", "level": "low", "sex": "female",
     "age_min": "", "age_max": "", "specialisms": "", "beds": "2", "beds_closed": "",
     "cost_per_day": "", "lat": "53.48", "lon": "-2.24"},
    {"unit_id": "U4", "name": "Young People", "provider": "Trust B", "provider_type": "nhs",
     "network_id": "N2", "service": "camhs", "level": "general", "sex": "mixed",
     "age_min": "", "age_max": "", "specialisms": "", "beds": "4", "beds_closed": "0",
     "cost_per_day": "600", "lat": "51.45", "lon": "-2.58"},
]

TINY_PATIENTS: Rows = [
    {"patient_id": "P1", "status": "inpatient", "service": "adult_secure", "level": "medium",
     "sex": "male", "age": "34", "needs": "", "home_lat": "51.6", "home_lon": "-0.2",
     "home_network_id": "N1", "current_unit_id": "U1", "movable": "true", "priority": "",
     "excluded_units": "", "admitted_on": "2026-01-05"},
    {"patient_id": "P2", "status": "inpatient", "service": "adult_secure", "level": "medium",
     "sex": "female", "age": "29", "needs": "", "home_lat": "52.4", "home_lon": "-1.8",
     "home_network_id": "N2", "current_unit_id": "U2", "movable": "no", "priority": "",
     "excluded_units": "", "admitted_on": ""},
    {"patient_id": "P3", "status": "inpatient", "service": "adult_secure", "level": "low",
     "sex": "female", "age": "41", "needs": "", "home_lat": "53.4", "home_lon": "-2.2",
     "home_network_id": "N1", "current_unit_id": "U3", "movable": "", "priority": "",
     "excluded_units": "", "admitted_on": ""},
    {"patient_id": "P4", "status": "inpatient", "service": "camhs", "level": "general",
     "sex": "female", "age": "15", "needs": "", "home_lat": "51.5", "home_lon": "-2.6",
     "home_network_id": "N2", "current_unit_id": "U4", "movable": "", "priority": "",
     "excluded_units": "", "admitted_on": ""},
    {"patient_id": "R1", "status": "referral", "service": "adult_secure", "level": "medium",
     "sex": "male", "age": "25", "needs": "ld", "home_lat": "51.55", "home_lon": "-0.05",
     "home_network_id": "N1", "current_unit_id": "", "movable": "", "priority": "2",
     "excluded_units": "", "admitted_on": ""},
    {"patient_id": "R2", "status": "referral", "service": "camhs", "level": "general",
     "sex": "male", "age": "16", "needs": "", "home_lat": "51.4", "home_lon": "-2.5",
     "home_network_id": "N2", "current_unit_id": "", "movable": "", "priority": "",
     "excluded_units": "U2", "admitted_on": ""},
]

TINY_NETWORKS: Rows = [
    {"network_id": "N1", "name": "North", "lead_provider": "Trust A"},
    {"network_id": "N2", "name": "South", "lead_provider": "Trust B"},
]


def csv_text(rows: Rows, header: list[str] | None = None) -> str:
    """CSV text of dict rows; the header is the union of keys (first row's order first)."""
    if header is None:
        header = []
        for row in rows:
            header += [k for k in row if k not in header]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_instance_dir(directory: Path, *, units: Rows | str | None = None,
                       patients: Rows | str | None = None,
                       networks: Rows | str | bool | None = None, policy: str | None = None,
                       files: dict[str, str | bytes] | None = None) -> Path:
    """Write an instance directory; None means the tiny default, ``networks=False`` omits it.

    ``units``/``patients``/``networks`` are dict rows or raw CSV text; ``policy`` is
    policy.toml text; ``files`` maps further relative paths to text or bytes.
    """
    directory.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {"units.csv": TINY_UNITS if units is None else units,
                              "patients.csv": TINY_PATIENTS if patients is None else patients}
    if networks is not False:
        tables["networks.csv"] = TINY_NETWORKS if networks is None or networks is True \
            else networks
    for name, content in tables.items():
        text = content if isinstance(content, str) else csv_text(content)
        (directory / name).write_text(text, encoding="utf-8")
    if policy is not None:
        (directory / "policy.toml").write_text(policy, encoding="utf-8")
    for rel, content in (files or {}).items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return directory


@pytest.fixture
def tiny_tables() -> dict[str, Rows]:
    """Fresh, editable copies of the tiny instance's rows: units, patients, networks."""
    return {"units": copy.deepcopy(TINY_UNITS), "patients": copy.deepcopy(TINY_PATIENTS),
            "networks": copy.deepcopy(TINY_NETWORKS)}


@pytest.fixture
def make_instance(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_instance(name="instance", **write_instance_dir kwargs)`` → directory."""
    def make(name: str = "instance", **kwargs: Any) -> Path:
        return write_instance_dir(tmp_path / name, **kwargs)

    return make


@pytest.fixture
def tiny_instance(make_instance: Callable[..., Path]) -> Path:
    """The tiny valid instance directory described in this module's docstring."""
    return make_instance()


@pytest.fixture(autouse=True, scope="session")
def _private_caches(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every cache bedplan writes (parsed instances, snapped places, road matrices) goes to a
    folder of this test session, never the user's ~/.cache/bedplan; subprocesses inherit it."""
    import os

    saved = os.environ.get("BEDPLAN_CACHE_DIR")
    os.environ["BEDPLAN_CACHE_DIR"] = str(tmp_path_factory.mktemp("bedplan-cache"))
    yield
    if saved is None:
        os.environ.pop("BEDPLAN_CACHE_DIR", None)
    else:
        os.environ["BEDPLAN_CACHE_DIR"] = saved
