"""What the built-in network keeps on disk: its path arrays and the coordinates it snapped.

Building the England network from its CSV tables takes tens of milliseconds and snapping a
point needs pyproj (a tenth of a second to import); ``bedplan suggest`` asks about one home
on the census it asked about a minute ago. So :func:`load_paths` / :func:`store_paths` keep
the network's :class:`~optimiser.geography.paths.Paths` as one NumPy file, and
:func:`snap_remembered` keeps every snapped coordinate with its place and access km.

Files live in :func:`models.cache.cache_dir` (owner-only, written atomically), named by a
hash of what they were computed from: the network's content, the layout version and, for
snaps, the snapping code (``paths.py``, ``geodesic.py``) and the installed geodesic library
(:func:`optimiser.geography.geodesic.implementation`). A remembered snap is the output of
:func:`~optimiser.geography.paths.snap_points` for exactly those coordinates, so values are
the same as computing them; a file that does not check out is ignored. Only the built-in
network is remembered (an instance's own geography would leave a file per network), and
nothing at all when ``$BEDPLAN_NO_CACHE`` is set.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models import cache
from optimiser.geography import geodesic, paths
from optimiser.geography.paths import Paths, paths_from_flat, snap_points

log = logging.getLogger(__name__)

#: Layout of the snap file (rows of lat, lon, place index, access km).
SNAP_VERSION = 1
#: Beyond this many remembered coordinates the oldest half is forgotten.
MAX_SNAPS = 400_000


def _name(kind: str, *parts: str) -> Path:
    h = hashlib.sha256("\0".join((kind, *parts)).encode()).hexdigest()[:40]
    return cache.cache_dir() / f"{kind}-{h}.npy"


def _save(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    cache.write_private(path, buffer.getvalue())


def _load(path: Path) -> np.ndarray | None:
    data = cache.read_private(path)
    if data is None:
        return None
    try:
        return np.asarray(np.load(io.BytesIO(data), allow_pickle=False))
    except (OSError, ValueError, EOFError) as exc:
        log.debug("ignoring the cache file %s: %s", path.name, exc)
        return None


# --------------------------------------------------------------------------- the network


def paths_file(digest: str) -> Path:
    return _name("paths", digest, str(paths.FLAT_VERSION))


def load_paths(digest: str) -> Paths | None:
    """The network ``digest``'s Paths from the disk cache, or None."""
    if not cache.enabled():
        return None
    flat = _load(paths_file(digest))
    return None if flat is None else paths_from_flat(flat, digest)


def store_paths(found: Paths) -> None:
    """Keep ``found`` for :func:`load_paths` (when the caches are on)."""
    if cache.enabled():
        _save(paths_file(found.digest), found.to_flat())


# --------------------------------------------------------------------------- snaps


@functools.cache
def _snap_code() -> str:
    """The snapping code's identity: the bytes of the modules that compute a snap."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in ("paths.py", "geodesic.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()


def snaps_file(digest: str) -> Path:
    return _name("snaps", digest, str(SNAP_VERSION), _snap_code(), geodesic.implementation())


#: The snap file last read, per file: (its size and mtime, rows, coordinates -> row), so a
#: long-lived process does not read it again while it has not changed.
_READ: dict[Path, tuple[tuple[int, int], np.ndarray, dict[tuple[float, float], int]]] = {}


def _remembered(found: Paths) -> tuple[np.ndarray, dict[tuple[float, float], int]]:
    """The (k, 4) rows remembered for this network (none when the file does not check) and
    where each coordinate's row is."""
    file = snaps_file(found.digest)
    try:
        st = file.stat()
        stamp = (st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = (-1, -1)
    known = _READ.get(file)
    if known is not None and known[0] == stamp:
        return known[1], known[2]
    rows = _load(file)
    if rows is None or rows.ndim != 2 or rows.shape[1] != 4 or rows.dtype != np.float64 \
            or not np.isfinite(rows).all():
        rows = np.zeros((0, 4))
    idx = rows[:, 2]
    if not (np.array_equal(idx, np.floor(idx)) and (idx >= 0).all()
            and (idx < len(found)).all() and (rows[:, 3] >= 0).all()):
        rows = np.zeros((0, 4))
    where = {(a, o): k for k, (a, o) in enumerate(rows[:, :2].tolist())}
    _READ[file] = (stamp, rows, where)
    return rows, where


def snap_remembered(found: Paths, lat: npt.ArrayLike, lon: npt.ArrayLike, *,
                    brute: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~optimiser.geography.paths.snap_points` (``brute`` passed on), with every
    coordinate snapped before read from the disk cache and the new ones added to it."""
    lat_a, lon_a = np.atleast_1d(np.asarray(lat, float)), np.atleast_1d(np.asarray(lon, float))
    if not cache.enabled() or len(lat_a) == 0:
        return snap_points(found, lat_a, lon_a, brute=brute)
    rows, where = _remembered(found)
    at = np.array([where.get(q, -1) for q in zip(lat_a.tolist(), lon_a.tolist(), strict=True)],
                  dtype=np.intp)
    idx, km = np.empty(len(lat_a), dtype=np.intp), np.empty(len(lat_a))
    known = at >= 0
    idx[known], km[known] = rows[at[known], 2].astype(np.intp), rows[at[known], 3]
    missing = np.flatnonzero(~known)
    if len(missing):
        pairs = np.unique(np.column_stack([lat_a[missing], lon_a[missing]]), axis=0)
        new_idx, new_km = snap_points(found, pairs[:, 0], pairs[:, 1], brute=brute)
        added = np.column_stack([pairs, new_idx.astype(float), new_km])
        fresh = {(a, o): k for k, (a, o) in enumerate(pairs.tolist())}
        for i in missing:
            k = fresh[(float(lat_a[i]), float(lon_a[i]))]
            idx[i], km[i] = new_idx[k], new_km[k]
        rows = np.concatenate([rows, added])
        if len(rows) > MAX_SNAPS:
            rows = rows[-MAX_SNAPS // 2:]
        file = snaps_file(found.digest)
        _save(file, rows)
        try:  # what this process wrote, it knows
            st = file.stat()
            where = {(a, o): k for k, (a, o) in enumerate(rows[:, :2].tolist())}
            _READ[file] = ((st.st_size, st.st_mtime_ns), rows, where)
        except OSError:
            pass
    return idx, km
