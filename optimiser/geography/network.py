"""Road distances over a travel network: the built-in England one or an instance's own.

The contract's road distance is ``d(p,u) = access(home) + path(place_h, place_u) +
access(unit)``: each location snaps to its nearest place by WGS-84 geodesic distance (ties to
the smallest place_id), ``access`` is that geodesic, and ``path`` is the shortest path over the
links (0 when both snap to the same place; ``inf`` across connected components, which the
optimiser treats as incompatible).

Snapping and shortest paths run on the network's :class:`~optimiser.geography.paths.Paths`
(plain arrays; see that module for why its two ways — NumPy and Python for a few homes,
SciPy for many — give the same values bit for bit). Nothing here imports pandas or SciPy at
module level: one home's distances (``bedplan suggest``) need neither, and the built-in
network's arrays and the snapping of coordinates already seen are kept on disk
(:mod:`optimiser.geography.snapcache`), so such a question needs no geodesic library either.
The network is also available as a NetworkX graph (routes, inspection; built on first use).
Matrices are cached per instance in-process and, on request, on disk (see :func:`cache_dir`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from models import cache as cache_files
from models.domain import Geography, Instance
from models.errors import InputError, Problem
from models.io import record_problems
from optimiser.geography import snapcache
from optimiser.geography.geodesic import matrix_dtype
from optimiser.geography.paths import (
    PLACES_FILE,
    TIE_KM,
    Paths,
    build_paths,
    shortest_km,
    snap_points,
)

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

log = logging.getLogger(__name__)

__all__ = ["LINKS_FILE", "PLACES_FILE", "TIE_KM", "RoadNetwork", "build_network",
           "builtin_network", "road_km", "road_matrix", "road_pairs", "snap"]

LINKS_FILE = "geography/links.csv"
#: Up to this many distinct homes (and places in the network), distances take the light
#: way: snapping by NumPy (the built-in network's snaps remembered on disk) and Dijkstra in
#: Python from the few sources, with no SciPy import.
LIGHT_HOMES = 8
LIGHT_PLACES = 20_000


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A travel network: places and merged links as arrays (built once, then shared)."""

    place_ids: np.ndarray  # str objects, in place order
    lat: np.ndarray
    lon: np.ndarray
    link_a: np.ndarray  # place indices, a < b, one link per pair (the shortest)
    link_b: np.ndarray
    link_km: np.ndarray
    link_attrs: Mapping[str, np.ndarray]  # e.g. kind, name (object arrays), when known
    rank: np.ndarray  # position of each place_id in string order (for the tie rule)
    digest: str  # identifies the network's content (cache key)

    def __len__(self) -> int:
        return len(self.place_ids)

    @functools.cached_property
    def paths(self) -> Paths:
        """The arrays snapping and shortest paths run on."""
        return build_paths(self.lat, self.lon, self.rank, self.link_a, self.link_b,
                           self.link_km, self.digest)

    @property
    def matrix(self) -> csr_matrix:
        """Symmetric CSR matrix of link km (SciPy)."""
        return self.paths.matrix

    @property
    def tree(self) -> cKDTree:
        """KD-tree of the places on the unit sphere (SciPy)."""
        return self.paths.tree

    @functools.cached_property
    def component(self) -> np.ndarray:
        """Connected component label of each place (SciPy)."""
        from scipy.sparse.csgraph import connected_components

        if not len(self):
            return np.zeros(0, int)
        return np.asarray(connected_components(self.matrix, directed=False)[1])

    @functools.cached_property
    def links(self) -> pd.DataFrame:
        """The merged links as a table: a, b, km (+ kind, name when known)."""
        import pandas as pd

        return pd.DataFrame({"a": self.link_a, "b": self.link_b, "km": self.link_km,
                             **self.link_attrs})

    @functools.cached_property
    def graph(self) -> nx.Graph:
        """The NetworkX graph: node = place_id (lat, lon), edge attributes km, kind, name.

        Built on first use: shortest paths run on :attr:`paths`, so a command that only
        needs distances does not pay for the graph.
        """
        import networkx

        graph = networkx.Graph()
        graph.add_nodes_from((p, {"lat": a, "lon": o}) for p, a, o in
                             zip(self.place_ids, self.lat, self.lon, strict=True))
        ids = self.place_ids
        names = list(self.link_attrs)
        columns = [self.link_attrs[k] for k in names]
        for k, (a, b, km) in enumerate(zip(self.link_a.tolist(), self.link_b.tolist(),
                                           self.link_km.tolist(), strict=True)):
            graph.add_edge(ids[a], ids[b], km=km,
                           **{name: col[k] for name, col in zip(names, columns, strict=True)})
        return graph


def build_network(place_ids: npt.ArrayLike, lat: npt.ArrayLike, lon: npt.ArrayLike,
                  link_from: npt.ArrayLike, link_to: npt.ArrayLike, link_km: npt.ArrayLike,
                  *, digest: str, edge_attrs: Mapping[str, Any] | pd.DataFrame | None = None
                  ) -> RoadNetwork:
    """A RoadNetwork from validated tables (ids unique, links between known places, km > 0).

    Loops are dropped (they never shorten a path) and of parallel links the shortest is
    kept (the road anyone would take; the first listed among equals), with its attributes.
    """
    ids = np.asarray(place_ids, dtype=object)
    lat_a, lon_a = np.asarray(lat, float), np.asarray(lon, float)
    index = {p: k for k, p in enumerate(ids)}
    i = np.fromiter((index[x] for x in np.asarray(link_from, dtype=object)), np.intp)
    j = np.fromiter((index[x] for x in np.asarray(link_to, dtype=object)), np.intp)
    a, b, km = np.minimum(i, j), np.maximum(i, j), np.asarray(link_km, float)
    attrs: dict[str, np.ndarray] = {}
    for name in (edge_attrs if edge_attrs is not None else {}):
        column = np.empty(len(km), dtype=object)
        column[:] = list(edge_attrs[name])  # type: ignore[index]
        attrs[str(name)] = column
    keep = np.flatnonzero(a != b)
    keep = keep[np.lexsort((km[keep], b[keep], a[keep]))]  # stable: equals stay in order
    first = np.ones(len(keep), dtype=bool)
    first[1:] = (a[keep][1:] != a[keep][:-1]) | (b[keep][1:] != b[keep][:-1])
    keep = keep[first]
    n = len(ids)
    rank = np.empty(n, dtype=np.intp)
    rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(n)
    return RoadNetwork(ids, lat_a, lon_a, a[keep], b[keep], km[keep],
                       {k: v[keep] for k, v in attrs.items()}, rank, digest)


# --------------------------------------------------------------------------- built-in


#: The shipped network's files (a plain folder of the package: importlib.resources would
#: cost suggest a zipfile import).
DATA = Path(__file__).resolve().parent / "data"


def _data_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


@functools.cache
def builtin_digest() -> str:
    """The content key of the shipped network (its two files' bytes)."""
    digest = hashlib.sha256(_data_bytes("places.csv.gz") + _data_bytes("links.csv.gz"))
    return "builtin:" + digest.hexdigest()


def _read_gz_csv(name: str) -> dict[str, list[str]]:
    """A shipped gzip CSV as columns of text (blank cells stay blank)."""
    import csv
    import gzip

    text = gzip.decompress(_data_bytes(name)).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    return {name: [r[k] for r in rows[1:]] for k, name in enumerate(header)}


@functools.cache
def builtin_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shipped places and links tables (see ``optimiser/geography/data/README.md``)."""
    import pandas as pd

    places = pd.read_csv(io.BytesIO(_data_bytes("places.csv.gz")), compression="gzip",
                         dtype={"place_id": str}, keep_default_na=False)
    links = pd.read_csv(io.BytesIO(_data_bytes("links.csv.gz")), compression="gzip",
                        dtype={"from": str, "to": str, "name": str}, keep_default_na=False)
    return places, links


@functools.cache
def builtin_network() -> RoadNetwork:
    """The England road-proxy network over postcode districts (built once per process)."""
    places, links = _read_gz_csv("places.csv.gz"), _read_gz_csv("links.csv.gz")
    return build_network(places["place_id"], [float(x) for x in places["lat"]],
                         [float(x) for x in places["lon"]], links["from"], links["to"],
                         [float(x) for x in links["km"]], digest=builtin_digest(),
                         edge_attrs={"kind": links["kind"], "name": links["name"]})


@functools.cache
def builtin_paths() -> Paths:
    """The built-in network's :class:`Paths`: from the disk cache when it holds them
    (a millisecond), else from :func:`builtin_network` (and then kept there)."""
    digest = builtin_digest()
    found = snapcache.load_paths(digest)
    if found is not None:
        return found
    paths = builtin_network().paths
    snapcache.store_paths(paths)
    return paths


# --------------------------------------------------------------------------- custom


def geography_problems(geography: Geography) -> list[Problem]:
    """Everything that makes a custom geography unusable, by file, row and column.

    The reader checks geography/ when it reads the files; this re-runs the same checks
    (``models.validation.check_geography``) on a Geography built in code, so that distances
    never run on a network with unknown places or lengths <= 0.
    """
    from models.readers import Table
    from models.validation import check_geography

    def table(file: str, names: tuple[str, ...], rows: list[tuple[object, ...]]) -> Table:
        columns = {name: [_cell(r[k]) for r in rows] for k, name in enumerate(names)}
        return Table(file, names, columns, list(range(2, len(rows) + 2)))

    places = table(PLACES_FILE, ("place_id", "lat", "lon"),
                   [(p.place_id, p.lat, p.lon) for p in geography.places])
    links = table(LINKS_FILE, ("from", "to", "km"),
                  [(x.a, x.b, x.km) for x in geography.links])
    problems: list[Problem] = []
    check_geography(places, links, problems)
    return problems


def _cell(value: object) -> str:
    """A value as the text a CSV cell would hold (floats exactly, by repr)."""
    return repr(value) if isinstance(value, float) else str(value)


@functools.lru_cache(maxsize=8)
def custom_network(geography: Geography) -> RoadNetwork:
    """The instance's own network; InputError naming file, row and column when unusable."""
    problems = geography_problems(geography)
    if problems:
        raise InputError(problems)
    h = hashlib.sha256()
    for p in geography.places:
        h.update(f"P{p.place_id}\x1f{float(p.lat)!r}\x1f{float(p.lon)!r}\x1e".encode())
    for link in geography.links:
        h.update(f"L{link.a}\x1f{link.b}\x1f{float(link.km)!r}\x1e".encode())
    return build_network([str(p.place_id).strip() for p in geography.places],
                         [p.lat for p in geography.places], [p.lon for p in geography.places],
                         [str(x.a).strip() for x in geography.links],
                         [str(x.b).strip() for x in geography.links],
                         [x.km for x in geography.links], digest="custom:" + h.hexdigest())


def network_for(instance: Instance) -> RoadNetwork:
    """The network road distances of ``instance`` use (its geography/ or England's)."""
    if instance.geography is not None:
        return custom_network(instance.geography)
    return builtin_network()


def paths_for(instance: Instance) -> Paths:
    """The :class:`Paths` road distances of ``instance`` run on (its geography/'s, checked,
    or the built-in network's)."""
    if instance.geography is not None:
        return custom_network(instance.geography).paths
    return builtin_paths()


def to_networkx(network: RoadNetwork | None = None) -> nx.Graph:
    """The NetworkX graph of a network (default: England); node = place_id, edge km."""
    return (network or builtin_network()).graph


# --------------------------------------------------------------------------- snapping


def snap(network: RoadNetwork, lat: npt.ArrayLike, lon: npt.ArrayLike
         ) -> tuple[np.ndarray, np.ndarray]:
    """Nearest place (index) of each location by geodesic distance, and that distance in km
    (ties within :data:`TIE_KM` to the smallest place_id; see
    :func:`optimiser.geography.paths.snap_points`)."""
    return snap_points(network.paths, lat, lon)


def _snap(paths: Paths, lat: np.ndarray, lon: np.ndarray, *, light: bool
          ) -> tuple[np.ndarray, np.ndarray]:
    """Snapping; on the light way by NumPy (no SciPy import) and, for the built-in network,
    remembered on disk."""
    if light and paths.digest == builtin_digest():
        return snapcache.snap_remembered(paths, lat, lon, brute=True)
    return snap_points(paths, lat, lon, brute=True if light else None)


def remember_snaps(instance: Instance) -> None:
    """Snap every home and unit of ``instance`` over the built-in network now, so that later
    questions about any of them (``bedplan suggest``) find their snaps on disk. Nothing
    for an instance with its own geography, geodesic distances, or the caches off."""
    if instance.geography is not None or instance.policy.distance != "road" \
            or not cache_files.enabled():
        return
    points = np.array([(p.home_lat, p.home_lon) for p in instance.patients]
                      + [(u.lat, u.lon) for u in instance.units], dtype=float).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1) & (np.abs(points[:, 0]) <= 90)
                    & (np.abs(points[:, 1]) <= 180)]
    if len(points):
        uniq = np.unique(points, axis=0)  # by NumPy: a KD-tree would cost a SciPy import
        snapcache.snap_remembered(builtin_paths(), uniq[:, 0], uniq[:, 1], brute=True)


# --------------------------------------------------------------------------- distances


def _road_km(paths: Paths, from_lat: npt.ArrayLike, from_lon: npt.ArrayLike,
             to_lat: npt.ArrayLike, to_lon: npt.ArrayLike, *, light: bool = False
             ) -> np.ndarray:
    fa, fk = _snap(paths, np.atleast_1d(np.asarray(from_lat, float)),
                   np.atleast_1d(np.asarray(from_lon, float)), light=light)
    ta, tk = _snap(paths, np.atleast_1d(np.asarray(to_lat, float)),
                   np.atleast_1d(np.asarray(to_lon, float)), light=light)
    if len(fa) == 0 or len(ta) == 0:
        return np.zeros((len(fa), len(ta)))
    fu, finv = np.unique(fa, return_inverse=True)
    tu, tinv = np.unique(ta, return_inverse=True)
    # Dijkstra from each distinct place on the smaller side
    path = shortest_km(paths, tu, fu).T if len(tu) <= len(fu) else shortest_km(paths, fu, tu)
    km: np.ndarray = fk[:, None] + path[finv.ravel()][:, tinv.ravel()] + tk[None, :]
    return km


def road_km(network: RoadNetwork, from_lat: npt.ArrayLike, from_lon: npt.ArrayLike,
            to_lat: npt.ArrayLike, to_lon: npt.ArrayLike) -> np.ndarray:
    """km (len(from), len(to)) over ``network``: access + shortest path + access."""
    return _road_km(network.paths, from_lat, from_lon, to_lat, to_lon)


def road_distance(lat1: float, lon1: float, lat2: float, lon2: float,
                  geography: Geography | None = None) -> float:
    """One road distance in km (the CLI's ``bedplan distance``)."""
    paths = builtin_paths() if geography is None else custom_network(geography).paths
    return float(_road_km(paths, np.array([lat1]), np.array([lon1]), np.array([lat2]),
                          np.array([lon2]), light=True)[0, 0])


def _light(paths: Paths, homes: int) -> bool:
    """Whether distances from ``homes`` distinct homes take the light way (module doc)."""
    return homes <= LIGHT_HOMES and len(paths) <= LIGHT_PLACES


#: Road matrices kept on disk (the most recently written; suggest writes one per home).
ROAD_FILES_KEPT = 64
_MEMO: OrderedDict[str, np.ndarray] = OrderedDict()
_MEMO_SIZE = 8
_MEMO_LOCK = threading.Lock()  # the service may compute distances from several threads


def cache_dir() -> Path:
    """Where road matrices persist between runs: ``$BEDPLAN_CACHE_DIR`` or ~/.cache/bedplan."""
    return cache_files.cache_dir()


def road_matrix(instance: Instance, *, disk_cache: bool | None = None) -> np.ndarray:
    """km (patients, units) by road; ``np.inf`` where a unit is unreachable from home.

    Computed once per distinct home over the instance's network and cached in-process by
    content (coordinates + network). ``disk_cache=True`` (default: only when
    ``$BEDPLAN_CACHE_DIR`` is set) also keeps the matrix in :func:`cache_dir` between runs.
    With a custom geography, an inpatient whose current unit is unreachable from home is
    invalid input (InputError naming the row of patients.csv).
    """
    n, m = len(instance.patients), len(instance.units)
    paths = paths_for(instance)
    if n == 0 or m == 0:
        return np.zeros((n, m))
    homes = np.array([(p.home_lat, p.home_lon) for p in instance.patients], dtype=float)
    sites = np.array([(u.lat, u.lon) for u in instance.units], dtype=float)
    _check_coordinates(instance, homes, sites)
    uniq, inverse = np.unique(homes, axis=0, return_inverse=True)
    key = hashlib.sha256(b"road-v1\0" + paths.digest.encode() + b"\0"
                         + np.ascontiguousarray(uniq).tobytes() + b"\0"
                         + np.ascontiguousarray(sites).tobytes()).hexdigest()
    with _MEMO_LOCK:
        compact = _MEMO.get(key)
        if compact is not None:
            _MEMO.move_to_end(key)
    if compact is None:
        use_disk = disk_cache if disk_cache is not None else bool(
            os.environ.get("BEDPLAN_CACHE_DIR"))
        compact = _load(key, (len(uniq), m)) if use_disk else None
        if compact is None:
            compact = _road_km(paths, uniq[:, 0], uniq[:, 1], sites[:, 0], sites[:, 1],
                               light=_light(paths, len(uniq)))
            if use_disk:
                _store(key, compact)
        with _MEMO_LOCK:
            _MEMO[key] = compact
            while len(_MEMO) > _MEMO_SIZE:
                _MEMO.popitem(last=False)

    # fancy indexing: a fresh array for the caller (float32 for very large instances)
    km: np.ndarray = compact.astype(matrix_dtype(n, m), copy=False)[inverse.ravel()]
    if instance.geography is not None:
        _check_current_units(instance, lambda rows, cols: km[rows, cols])
    return km


@dataclass(frozen=True, eq=False)
class RoadPairs:
    """Road km for chosen (patient, unit) pairs, without a patients x units matrix.

    Built by :func:`road_pairs`: every home and unit is snapped once and the shortest paths
    between their distinct places are computed once, so a call costs O(len(rows)).
    """

    home_access: np.ndarray  # per patient: access km (float64)
    home_slot: np.ndarray  # per patient: index into the place table
    unit_access: np.ndarray  # per unit: access km (float64)
    unit_slot: np.ndarray  # per unit: index into the place table
    path: np.ndarray  # km between distinct places: (home places, unit places)
    dtype: type[np.floating]  # road_matrix's dtype for this instance

    def km(self, rows: npt.ArrayLike, cols: npt.ArrayLike) -> np.ndarray:
        """km from the homes of patients ``rows`` to units ``cols`` (pairwise; inf when
        unreachable), equal to ``road_matrix(instance)[rows, cols]`` bit for bit."""
        r, c = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
        if r.shape != c.shape:
            raise ValueError(f"rows and cols differ in shape: {r.shape} and {c.shape}")
        # the same float64 sum as road_km, in the same order, then road_matrix's dtype
        total = (self.home_access[r] + self.path[self.home_slot[r], self.unit_slot[c]]
                 + self.unit_access[c])
        return total.astype(self.dtype, copy=False)

    __call__ = km


def road_pairs(instance: Instance) -> RoadPairs:
    """Road km for any (patient, unit) pairs of ``instance``: ``road_pairs(i).km(rows, cols)``.

    For callers that need only some pairs (the allowed ones): memory and time grow with the
    distinct places and the pairs asked for, never with patients x units. Same snapping,
    same Dijkstra direction (from the side with fewer distinct places, as :func:`road_km`),
    same coordinate checks and InputErrors as :func:`road_matrix`, so the values are equal.
    """
    n, m = len(instance.patients), len(instance.units)
    paths = paths_for(instance)
    dtype = matrix_dtype(n, m)
    if n == 0 or m == 0:
        return RoadPairs(np.zeros(n), np.zeros(n, np.intp), np.zeros(m), np.zeros(m, np.intp),
                         np.zeros((1, 1)), dtype)
    homes = np.array([(p.home_lat, p.home_lon) for p in instance.patients], dtype=float)
    sites = np.array([(u.lat, u.lon) for u in instance.units], dtype=float)
    _check_coordinates(instance, homes, sites)
    uniq, inverse = np.unique(homes, axis=0, return_inverse=True)
    light = _light(paths, len(uniq))
    fa, fk = _snap(paths, uniq[:, 0], uniq[:, 1], light=light)
    ta, tk = _snap(paths, sites[:, 0], sites[:, 1], light=light)
    fu, finv = np.unique(fa, return_inverse=True)
    tu, tinv = np.unique(ta, return_inverse=True)
    # from the side with fewer distinct places, as road_km does (same sums, same bits)
    path = (shortest_km(paths, tu, fu).T if len(tu) <= len(fu)
            else shortest_km(paths, fu, tu))
    inverse = inverse.ravel()
    pairs = RoadPairs(fk[inverse], finv.ravel()[inverse], tk, tinv.ravel(), path, dtype)
    if instance.geography is not None:
        _check_current_units(instance, pairs.km)
    return pairs


def _check_coordinates(instance: Instance, homes: np.ndarray, sites: np.ndarray) -> None:
    """Snapping needs real coordinates (the reader checks them; instances built in code may not)."""
    problems: list[Problem] = []
    for file, (lat_col, lon_col), table, ids in (
            ("patients.csv", ("home_lat", "home_lon"), homes,
             [p.patient_id for p in instance.patients]),
            ("units.csv", ("lat", "lon"), sites, [u.unit_id for u in instance.units])):
        bad_lat = ~(np.isfinite(table[:, 0]) & (np.abs(table[:, 0]) <= 90))
        bad_lon = ~(np.isfinite(table[:, 1]) & (np.abs(table[:, 1]) <= 180))
        problems += record_problems(instance.source, file, [
            (ids[k], lat_col if bad_lat[k] else lon_col,
             "needs a WGS-84 latitude in -90..90 and longitude in -180..180")
            for k in np.flatnonzero(bad_lat | bad_lon)])
    if problems:
        raise InputError(problems)


def unreachable_stays(instance: Instance) -> list[Problem]:
    """Inpatients whose current unit cannot be reached from home over the instance's own
    geography/ (the contract makes that invalid input); none with the built-in network.

    Reading cannot tell (it needs the paths); ``validate`` and every import call this.
    """
    if instance.geography is None:
        return []
    try:
        road_matrix(instance)
    except InputError as exc:
        return exc.problems
    return []


def check_reachable_stays(instance: Instance) -> None:
    """Raise InputError naming every unreachable stay (see :func:`unreachable_stays`)."""
    problems = unreachable_stays(instance)
    if problems:
        raise InputError(problems)


def _check_current_units(instance: Instance,
                         pair_km: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """InputError naming every inpatient whose current unit is unreachable from home."""
    index = instance.unit_index()
    stays = [(k, index[p.current_unit_id or ""]) for k, p in enumerate(instance.patients)
             if p.status == "inpatient" and (p.current_unit_id or "") in index]
    rows = np.array([k for k, _ in stays], dtype=np.intp)
    cols = np.array([u for _, u in stays], dtype=np.intp)
    cut = rows[~np.isfinite(pair_km(rows, cols))] if stays else rows
    found = []
    for k in cut:
        p = instance.patients[k]
        found.append((p.patient_id, "current_unit_id",
                      f"unit {p.current_unit_id!r} is unreachable from home over "
                      f"{LINKS_FILE}"))
    problems = record_problems(instance.source, "patients.csv", found)
    if problems:
        raise InputError(problems)


def _load(key: str, shape: tuple[int, int]) -> np.ndarray | None:
    path = cache_dir() / f"road-{key}.npy"
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if arr.shape != shape or arr.dtype != np.float64:
        return None
    log.debug("road distances read from the cache %s", path.name)
    return np.asarray(arr)


def _store(key: str, compact: np.ndarray) -> None:
    from models.atomic import atomic_write

    buffer = io.BytesIO()
    np.save(buffer, compact, allow_pickle=False)
    try:
        atomic_write(cache_dir() / f"road-{key}.npy", buffer.getvalue())
    except OSError as exc:  # a cache is a convenience, never a reason to fail
        log.warning("could not write the distance cache: %s", exc)
        return
    cache_files.prune(cache_dir(), "road-*.npy", ROAD_FILES_KEPT)
