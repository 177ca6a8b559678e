"""Atomic output: a crash mid-write leaves the previous file whole and no temporary file."""

from __future__ import annotations

import pytest

from models.atomic import atomic_open, atomic_write


def test_atomic_write_text_and_bytes(tmp_path):
    target = tmp_path / "sub" / "out.csv"
    atomic_write(target, "a,b\n1,2\n")
    assert target.read_text() == "a,b\n1,2\n"
    atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.csv"]


def test_crash_mid_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "assignments.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("new, half-written")
        raise RuntimeError("solver died")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["assignments.csv"]


def test_crash_before_first_write_leaves_no_file(tmp_path):
    target = tmp_path / "summary.json"
    with pytest.raises(KeyboardInterrupt), atomic_open(target):
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_success_replaces_the_old_file(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with atomic_open(target) as fh:
        fh.write("new")
        assert target.read_text() == "old"  # readers see the old file until the rename
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_write_instance_crash_keeps_previous_files(tmp_path, tiny_instance, monkeypatch):
    """A failure while writing an instance leaves each earlier file as it was."""
    from models import io as mio

    inst = mio.read_instance(tiny_instance)
    out = tmp_path / "out"
    mio.write_instance(inst, out)
    before = (out / "patients.csv").read_bytes()

    def boom(rows, contract):
        raise OSError("disk full")

    monkeypatch.setattr(mio, "_records", boom)
    with pytest.raises(OSError):
        mio.write_instance(inst, out)
    assert (out / "patients.csv").read_bytes() == before
    assert not list(out.glob(".*.tmp"))
