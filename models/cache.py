"""Where bedplan keeps what it can compute again, and how such files are written and read.

A cache is a convenience, never a source of truth: every entry is named by a hash of
everything it was computed from (the input's bytes, the code, the libraries), is written
atomically and readable by its owner only (a parsed census holds patient data), and is
ignored whenever it cannot be read or does not check out. Failing to write one is logged
and otherwise ignored.

``$BEDPLAN_CACHE_DIR`` moves the caches (default ``~/.cache/bedplan``); setting
``$BEDPLAN_NO_CACHE`` (to anything but the empty string) turns off the caches bedplan keeps
by default (parsed instances for ``bedplan suggest``, the built-in road network's arrays and
its snapped coordinates): nothing is then read from or written to the directory by them.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """``$BEDPLAN_CACHE_DIR``, or ``~/.cache/bedplan``."""
    env = os.environ.get("BEDPLAN_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "bedplan"


def enabled() -> bool:
    """False when ``$BEDPLAN_NO_CACHE`` is set: the default caches stay off."""
    return not os.environ.get("BEDPLAN_NO_CACHE")


def write_private(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically, readable by the owner only (a folder created
    for it likewise); False (and a warning in the log) when it cannot be written."""
    import tempfile

    tmp = None
    try:
        if not path.parent.is_dir():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:  # mkstemp: mode 0600
            fh.write(data)
        os.replace(tmp, path)
        return True
    except OSError as exc:
        log.warning("could not write the cache file %s: %s", path, exc)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False


def read_private(path: Path) -> bytes | None:
    """The bytes of a cache file, or None when it is absent or cannot be read."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def prune(folder: Path, pattern: str, keep: int) -> None:
    """Remove all but the ``keep`` most recently written files matching ``pattern``."""
    try:
        found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    except OSError:
        return
    for old in found[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
