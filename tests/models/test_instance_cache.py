"""The cache file of a parsed instance: every value back with its type, nothing stored that
would not read back equal, nothing read that does not check out."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from models import instance_cache as ic
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
    Unit,
    Weights,
)


def instance(n_patients: int = 3) -> Instance:
    units = (Unit("U1", "N1", "adult_secure", "medium", 4, 51.5, -0.0, name="Ward \u00e9 \"1\"",
                  specialisms=frozenset({"ld", "asd"}), age_min=18, beds_closed=1,
                  cost_per_day=512.25, specialist_only=True, extra=(("note", "a,b"),)),
             Unit("U2", "N2", "camhs", "picu", 6, 53.0, -1.5, accepts_referrals=False))
    patients = tuple(
        Patient(f"P{k:05d}", "inpatient" if k % 2 else "referral", "adult_secure", "medium",
                "male", 20 + k % 50, 51.0 + k * 1e-4, -1.0 - k * 1e-4, "N1",
                needs=frozenset({"ld"}) if k % 3 == 0 else frozenset(),
                current_unit_id="U1" if k % 2 else None, movable=k % 4 != 1, priority=1 + k % 3,
                admitted_on=dt.date(2026, 1, 1) + dt.timedelta(days=k) if k % 2 else None,
                legal_status="s3" if k % 5 == 0 else "",
                extra=(("note", f"n{k}"),) if k % 7 == 0 else ())
        for k in range(n_patients))
    return Instance(units=units, patients=patients,
                    networks=(Network("N1", "North", "Lead", extra=(("region", "NE"),)),),
                    policy=Policy(distance="geodesic", weights=Weights(km=0.5),
                                  limits=Limits(max_moves=3, max_admissions_per_unit=0),
                                  plan=PlanSettings(start=dt.date(2026, 12, 7), nights=14)),
                    geography=Geography((Place("A", 0.0, 0.0), Place("B", 1.0, 1.0)),
                                        (Link("A", "B", 12.5),)),
                    source="somewhere")


@pytest.mark.parametrize("n", [0, 1, 3, 300, 70_000])
def test_every_value_reads_back_with_its_type(n: int) -> None:
    """Up to 70,000 distinct values in a column (indices of every width)."""
    inst = instance(n)
    back = ic.decode(ic.encode(inst, "k"), "k", "elsewhere")
    assert ic.same(back, inst) and back.source == "elsewhere"
    assert back.policy == inst.policy and back.geography == inst.geography
    for a, b in zip(back.patients[:50], inst.patients[:50], strict=True):
        for f in dataclasses.fields(Patient):
            x, y = getattr(a, f.name), getattr(b, f.name)
            assert type(x) is type(y) and x == y, f.name


def test_minus_zero_stays_minus_zero_and_true_is_not_one() -> None:
    inst = instance(2)
    units = (dataclasses.replace(inst.units[0], lon=-0.0, cost_per_day=0.0),
             dataclasses.replace(inst.units[1], lon=0.0, beds=1))
    back = ic.decode(ic.encode(dataclasses.replace(inst, units=units), "k"), "k", "")
    assert str(back.units[0].lon) == "-0.0" and str(back.units[1].lon) == "0.0"
    assert back.units[1].beds == 1 and type(back.units[1].beds) is int
    assert back.units[0].specialist_only is True and back.units[1].specialist_only is False


def test_a_value_the_format_cannot_hold_is_not_stored(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(tmp_path))
    for odd in (dataclasses.replace(instance(2).patients[0], needs=frozenset({1, 2})),
                dataclasses.replace(instance(2).patients[0], extra=(("a", "b", "c"),)),
                dataclasses.replace(instance(2).patients[0], age=[30])):
        assert ic.store("k", dataclasses.replace(instance(2), patients=(odd,))) is False
    assert list(tmp_path.iterdir()) == []
    assert ic.store("k", instance(2)) is True


def test_nothing_is_stored_that_would_not_read_back_equal(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(tmp_path))
    real = ic.decode

    def lossy(data: bytes, key: str, source: str) -> Instance:
        back = real(data, key, source)
        return dataclasses.replace(back, units=back.units[:1])

    monkeypatch.setattr(ic, "decode", lossy)
    assert ic.store("k", instance(2)) is False and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("damage", ["format", "checksum", "columns", "rows"])
def test_decoding_refuses_what_does_not_check_out(damage: str) -> None:
    import hashlib
    import json

    data = ic.encode(instance(3), "k")
    head, _, body = data.partition(b"\n")
    header = json.loads(head)
    d = json.loads(body)
    if damage == "format":
        header["format"] = "bedplan-instance-cache 0"
    elif damage == "checksum":
        body = body.replace(b"P00001", b"P00009")
    elif damage == "columns":
        del d["units"]["name"]
    else:
        d["patients"]["n"] = 4
    if damage in ("columns", "rows"):
        body = json.dumps(d).encode()
        header["sha256"] = hashlib.sha256(body).hexdigest()
    with pytest.raises((ValueError, KeyError, IndexError)):
        ic.decode(json.dumps(header).encode() + b"\n" + body, "k", "")
    assert ic.decode(data, "k", "").patients[1].patient_id == "P00001"


def test_loading_an_absent_or_bad_entry_is_none(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(tmp_path))
    assert ic.load("nothing", "") is None
    ic.path_for("bad").parent.mkdir(parents=True, exist_ok=True)
    ic.path_for("bad").write_bytes(b"{}\n[1, 2")
    assert ic.load("bad", "") is None
    assert ic.store("good", instance(3))
    assert ic.same(ic.load("good", "x"), instance(3))  # type: ignore[arg-type]
