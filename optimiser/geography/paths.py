"""The shortest-path core of a travel network: snapping and Dijkstra on plain arrays.

What a road distance needs of a network is small: each place's coordinates and its rank in
place_id order (the snapping tie rule), and the links as a symmetric adjacency (CSR arrays,
the shortest of parallel links). :class:`Paths` holds exactly that, so it can be kept on disk
and loaded in a millisecond, and so that a question about one home (``bedplan suggest``)
needs neither SciPy nor pandas: :func:`snap_points` finds candidates by chord distance with
NumPy, and :func:`shortest_km` runs Dijkstra in Python from a few sources. Large batches use
SciPy (a KD-tree, ``csgraph.dijkstra``), imported on first use.

Both ways give the same values bit for bit: snapping returns the exact nearest place by
geodesic under the tie rule (whichever candidates were looked at, see :func:`snap_points`),
and any correct Dijkstra over positive lengths returns, for every place, the smallest
left-to-right floating-point sum of link lengths along a path from the source
(``fl(d + w) >= d`` makes that minimum the unique fixed point), which is what
``scipy.sparse.csgraph.dijkstra`` computes too.
"""

from __future__ import annotations

import functools
import heapq
import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from models.errors import InputError, Problem
from optimiser.geography.geodesic import geodesic_km

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

PLACES_FILE = "geography/places.csv"
#: Snapping distances within this many km of the nearest count as a tie (1 mm): pyproj's
#: round-off must not decide between two equidistant places, the place_id rule does.
TIE_KM = 1e-6
_EARTH_KM = 6371.0088  # mean radius, to turn chord lengths into spherical distances
#: WGS-84 geodesics are within 0.6% of spherical ones (radius of curvature 6335..6400 km).
_SPHERE_SLACK = 0.01
_CANDIDATES = 8
#: Brute-force snapping looks at this many (point, place) chords at a time; above
#: :data:`_BRUTE_PAIRS` in all, a KD-tree (SciPy) is cheaper than looking at every place
#: once SciPy is imported (England: 2,000 homes take 18 ms by the tree, 65 ms by NumPy;
#: 600 wards 3 ms and 20 ms), which is why callers that would import SciPy for nothing
#: else ask for ``brute``.
_BRUTE_BLOCK = 1_000_000
_BRUTE_PAIRS = 200_000
#: Bound on the round-off of a squared chord computed as ``2 - 2 p.q`` (a few 1e-16), with
#: a wide margin: 1e-13 is a chord of 3e-7, two metres.
_CHORD2_SLACK = 1e-13
#: Up to this many sources Dijkstra runs in Python (no SciPy import: ~5 ms a source on
#: England); more go to ``scipy.sparse.csgraph.dijkstra``.
PY_SOURCES = 8
#: SciPy Dijkstra sources per batch: a large network never holds a (sources, all places)
#: table at once.
_SCIPY_BATCH = 256
#: Version of the flat layout of :meth:`Paths.to_flat` (a cache on disk is read only when
#: it has this version).
FLAT_VERSION = 1


def unit_sphere(lat: npt.ArrayLike, lon: npt.ArrayLike) -> np.ndarray:
    """(k, 3) points on the unit sphere (for chord distances)."""
    phi, lam = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


@dataclass(frozen=True, eq=False)
class Paths:
    """A network's places and symmetric adjacency, ready for snapping and shortest paths."""

    lat: np.ndarray  # float64 per place
    lon: np.ndarray
    rank: np.ndarray  # position of each place_id in string order (the snapping tie rule)
    indptr: np.ndarray  # CSR adjacency over both directions of every link
    nbr: np.ndarray
    km: np.ndarray
    digest: str  # the network's content (cache key)

    def __len__(self) -> int:
        return len(self.lat)

    @functools.cached_property
    def xyz(self) -> np.ndarray:
        return unit_sphere(self.lat, self.lon) if len(self) else np.zeros((0, 3))

    @functools.cached_property
    def matrix(self) -> csr_matrix:
        """The adjacency as a SciPy CSR matrix (km), for many-source Dijkstra."""
        from scipy.sparse import csr_matrix

        n = len(self)
        return csr_matrix((self.km, self.nbr, self.indptr), shape=(n, n))

    @functools.cached_property
    def tree(self) -> cKDTree:
        """A KD-tree of the places on the unit sphere, for snapping many points."""
        from scipy.spatial import cKDTree

        return cKDTree(self.xyz)

    @functools.cached_property
    def lists(self) -> tuple[list[int], list[int], list[float]]:
        """The adjacency as Python lists (what the Python Dijkstra walks)."""
        return self.indptr.tolist(), self.nbr.tolist(), self.km.tolist()

    def to_flat(self) -> np.ndarray:
        """One float64 array holding everything but the digest (every integer here is far
        below 2**53, so it is exact): what :func:`paths_from_flat` reads back."""
        n, e = len(self), len(self.nbr)
        return np.concatenate([[FLAT_VERSION, n, e], self.lat, self.lon, self.rank,
                               self.indptr, self.nbr, self.km]).astype(np.float64)


def build_paths(lat: npt.ArrayLike, lon: npt.ArrayLike, rank: npt.ArrayLike,
                a: npt.ArrayLike, b: npt.ArrayLike, km: npt.ArrayLike, digest: str) -> Paths:
    """Paths from links ``a``–``b`` (place indices, one link per pair, no loops)."""
    lat_a, lon_a = np.asarray(lat, float), np.asarray(lon, float)
    n = len(lat_a)
    a_i, b_i, w = np.asarray(a, np.intp), np.asarray(b, np.intp), np.asarray(km, float)
    src, dst, wt = np.r_[a_i, b_i], np.r_[b_i, a_i], np.r_[w, w]
    order = np.lexsort((dst, src))
    indptr = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return Paths(lat_a, lon_a, np.asarray(rank, np.intp), indptr, dst[order].astype(np.intp),
                 wt[order], digest)


def paths_from_flat(flat: np.ndarray, digest: str) -> Paths | None:
    """The Paths of :meth:`Paths.to_flat`, or None when ``flat`` is not a consistent one."""
    if flat.ndim != 1 or flat.dtype != np.float64 or len(flat) < 3 \
            or flat[0] != FLAT_VERSION or not np.isfinite(flat).all():
        return None
    n_f, e_f = float(flat[1]), float(flat[2])
    if not (n_f.is_integer() and e_f.is_integer() and n_f >= 0 and e_f >= 0):
        return None
    n, e = int(n_f), int(e_f)
    if len(flat) != 3 + 3 * n + (n + 1) + 2 * e:
        return None
    lat, lon, rank, indptr, nbr, km = np.split(flat[3:], np.cumsum([n, n, n, n + 1, e]))
    ints = np.concatenate([rank, indptr, nbr])
    if not np.array_equal(ints, np.floor(ints)):
        return None
    indptr_i, nbr_i = indptr.astype(np.intp), nbr.astype(np.intp)
    if indptr_i[0] != 0 or indptr_i[-1] != e or (np.diff(indptr_i) < 0).any() \
            or (e and (nbr_i.min() < 0 or nbr_i.max() >= n)) or (km <= 0).any():
        return None
    return Paths(lat.copy(), lon.copy(), rank.astype(np.intp), indptr_i, nbr_i, km.copy(),
                 digest)


# --------------------------------------------------------------------------- snapping


def snap_points(paths: Paths, lat: npt.ArrayLike, lon: npt.ArrayLike, *,
                brute: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nearest place (index) of each location by geodesic distance, and that distance in km.

    Candidates are the places of smallest chord distance (every place looked at with NumPy
    for batches up to :data:`_BRUTE_PAIRS` point-place pairs or when ``brute``, a KD-tree
    for larger ones); the exact geodesic decides among them,
    ties (within :data:`TIE_KM`) going to the smallest place_id. A location is only settled
    from its candidates when every other place is provably farther (spherical distance within
    1% of the geodesic); otherwise all places in a safe radius are checked exactly. Either
    way the answer is the exact nearest place under the tie rule, so the two ways agree.
    """
    lat_a, lon_a = np.atleast_1d(np.asarray(lat, float)), np.atleast_1d(np.asarray(lon, float))
    m, n = len(lat_a), len(paths)
    if n == 0:
        raise InputError(Problem(PLACES_FILE, None, None, "the travel network has no places"))
    if m == 0:
        return np.zeros(0, int), np.zeros(0)
    k = min(_CANDIDATES, n)
    xyz = unit_sphere(lat_a, lon_a)
    if brute is None:
        brute = m * n <= _BRUTE_PAIRS
    if brute:
        kth, cand = _nearest_chords(paths.xyz, xyz, k)
    else:
        chord, cand = paths.tree.query(xyz, k=k)
        kth, cand = chord.reshape(m, k)[:, -1], cand.reshape(m, k)
    geo = geodesic_km(lat_a[:, None], lon_a[:, None], paths.lat[cand], paths.lon[cand])
    idx, best = _pick(geo, cand, paths.rank)
    if k < n:
        kth_sphere = 2 * _EARTH_KM * np.arcsin(np.minimum(kth / 2, 1.0))
        unsure = np.flatnonzero(kth_sphere * (1 - _SPHERE_SLACK) <= best + TIE_KM)
        for i in unsure:  # rare: crowded places or a location far from every place
            radius_km = (best[i] + TIE_KM) / (1 - _SPHERE_SLACK)
            radius = 2 * math.sin(min(radius_km / _EARTH_KM, math.pi) / 2)
            radius = radius * (1 + 1e-9) + 1e-12
            if brute:
                near = np.flatnonzero(np.sqrt(((paths.xyz - xyz[i]) ** 2).sum(axis=1))
                                      <= radius)
            else:
                near = np.asarray(paths.tree.query_ball_point(xyz[i], radius), dtype=int)
            if near.size == 0:
                continue
            g = geodesic_km(lat_a[i], lon_a[i], paths.lat[near], paths.lon[near])
            j, b = _pick(g[None, :], near[None, :], paths.rank)
            idx[i], best[i] = j[0], b[0]
    return idx, best


def _nearest_chords(places: np.ndarray, points: np.ndarray, k: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """For each point: ``k`` candidate places of smallest chord distance, and a lower bound
    on the chord distance of every other place (what settling needs, see
    :func:`snap_points`).

    Squared chords come from one matrix product (``2 - 2 p.q`` for unit vectors), in blocks
    of rows. Their round-off (a few 1e-16) is why the bound is taken :data:`_CHORD2_SLACK`
    below the k-th smallest: every place left out is at least that far, so a point is only
    settled when that is provably so, and the answer is the same as with exact chords.
    """
    m, n = len(points), len(places)
    kth, cand = np.empty(m), np.empty((m, k), dtype=np.intp)
    step = max(1, _BRUTE_BLOCK // n)
    for s in range(0, m, step):
        chord2 = 2.0 - 2.0 * (points[s:s + step] @ places.T)
        part = (np.argpartition(chord2, k - 1, axis=1)[:, :k] if k < n
                else np.broadcast_to(np.arange(n), chord2.shape))
        cand[s:s + step] = part
        kth[s:s + step] = np.take_along_axis(chord2, part, axis=1).max(axis=1)
    return np.sqrt(np.maximum(kth - _CHORD2_SLACK, 0.0)), cand


def _pick(geo: np.ndarray, cand: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise nearest candidate with the smallest-place_id tie rule."""
    best = geo.min(axis=1)
    key = np.where(geo <= best[:, None] + TIE_KM, rank[cand], np.iinfo(np.int64).max)
    col = key.argmin(axis=1)
    rows = np.arange(len(cand))
    return cand[rows, col], geo[rows, col]


# --------------------------------------------------------------------------- shortest paths


def shortest_km(paths: Paths, sources: npt.ArrayLike, targets: npt.ArrayLike, *,
                python: bool | None = None) -> np.ndarray:
    """Shortest-path km (sources, targets) over the links; ``inf`` where unreachable.

    In Python when ``python``, with ``scipy.sparse.csgraph.dijkstra`` when not; by default
    in Python for up to :data:`PY_SOURCES` sources unless SciPy's Dijkstra is imported
    already (a long-lived process). The values are the same either way (module docstring):
    only the time differs.
    """
    src = np.asarray(sources, dtype=np.intp).ravel()
    tgt = np.asarray(targets, dtype=np.intp).ravel()
    if python is None:
        python = len(src) <= PY_SOURCES and not scipy_dijkstra_loaded()
    out = np.empty((len(src), len(tgt)))
    if python:
        for r, s in enumerate(src.tolist()):
            out[r] = np.asarray(dijkstra_one(paths, s))[tgt]
        return out
    from scipy.sparse.csgraph import dijkstra

    for s in range(0, len(src), _SCIPY_BATCH):  # only the targets' columns are kept
        chunk = src[s:s + _SCIPY_BATCH]
        out[s:s + len(chunk)] = dijkstra(paths.matrix, directed=False, indices=chunk)[:, tgt]
    return out


def scipy_dijkstra_loaded() -> bool:
    """Whether this process has imported SciPy's Dijkstra (then it is the faster way)."""
    return "scipy.sparse.csgraph" in sys.modules


def dijkstra_one(paths: Paths, source: int) -> list[float]:
    """km from place ``source`` to every place (``inf`` where unreachable), in Python."""
    indptr, nbr, km = paths.lists
    dist = [math.inf] * (len(indptr) - 1)
    done = [False] * len(dist)
    dist[source] = 0.0
    heap = [(0.0, source)]
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        d, v = pop(heap)
        if done[v]:
            continue
        done[v] = True
        lo, hi = indptr[v], indptr[v + 1]
        for w, length in zip(nbr[lo:hi], km[lo:hi], strict=True):
            nd = d + length
            if nd < dist[w]:
                dist[w] = nd
                push(heap, (nd, w))
    return dist
