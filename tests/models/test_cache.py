"""Cache files: owner-only, atomic, never a reason to fail, pruned to the newest."""

from __future__ import annotations

import os
import time
from pathlib import Path

from models import cache


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("BEDPLAN_CACHE_DIR")
    assert cache.cache_dir() == Path.home() / ".cache" / "bedplan"


def test_caches_are_on_unless_turned_off(monkeypatch) -> None:
    monkeypatch.delenv("BEDPLAN_NO_CACHE", raising=False)
    assert cache.enabled()
    monkeypatch.setenv("BEDPLAN_NO_CACHE", "")
    assert cache.enabled()  # empty: not set
    monkeypatch.setenv("BEDPLAN_NO_CACHE", "1")
    assert not cache.enabled()


def test_written_owner_only_and_atomically(tmp_path) -> None:
    target = tmp_path / "new" / "entry.json"
    assert cache.write_private(target, b"one")
    assert cache.write_private(target, b"two")
    assert cache.read_private(target) == b"two"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert oct(target.parent.stat().st_mode & 0o777) == "0o700"
    assert os.listdir(target.parent) == ["entry.json"]  # no temporary file left


def test_a_cache_that_cannot_be_written_is_false_and_leaves_nothing(tmp_path, caplog) -> None:
    (tmp_path / "file").write_text("not a folder")
    assert not cache.write_private(tmp_path / "file" / "entry.json", b"x")
    assert "could not write the cache file" in caplog.text
    assert cache.read_private(tmp_path / "file" / "entry.json") is None
    assert os.listdir(tmp_path) == ["file"]


def test_prune_keeps_the_newest(tmp_path) -> None:
    for k in range(5):
        (tmp_path / f"instance-{k}.json").write_text(str(k))
        os.utime(tmp_path / f"instance-{k}.json", ns=(time.time_ns(), k * 10**9))
    (tmp_path / "other.npy").write_text("kept")
    cache.prune(tmp_path, "instance-*.json", 2)
    assert sorted(os.listdir(tmp_path)) == ["instance-3.json", "instance-4.json", "other.npy"]
    cache.prune(tmp_path / "absent", "*", 0)  # nothing to do, no error
