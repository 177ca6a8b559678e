"""Road distances over a travel network: the built-in England one or an instance's own.

The contract's road distance is ``d(p,u) = access(home) + path(place_h, place_u) +
access(unit)``: each location snaps to its nearest place by WGS-84 geodesic distance (ties to
the smallest place_id), ``access`` is that geodesic, and ``path`` is the shortest path over the
links (0 when both snap to the same place; ``inf`` across connected components, which the
optimiser treats as incompatible).

The network is available as a NetworkX graph (the design's model of the geography, handy for
routes and inspection; built on first use) and as a CSR matrix built once from the tables;
shortest paths come from one multi-source ``scipy.sparse.csgraph.dijkstra`` from whichever
side has fewer distinct places (the units, usually), so nothing loops over patient-unit pairs
in Python. Matrices are cached per instance in-process and, on request, on disk (see
:func:`cache_dir`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from models.atomic import atomic_write
from models.domain import Geography, Instance
from models.errors import InputError, Problem
from models.io import record_problems
from optimiser.geography.geodesic import geodesic_km, matrix_dtype

if TYPE_CHECKING:
    import networkx as nx

log = logging.getLogger(__name__)

PLACES_FILE = "geography/places.csv"
LINKS_FILE = "geography/links.csv"
#: Snapping distances within this many km of the nearest count as a tie (1 mm): pyproj's
#: round-off must not decide between two equidistant places, the place_id rule does.
TIE_KM = 1e-6
_EARTH_KM = 6371.0088  # mean radius, to turn chord lengths into spherical distances
#: WGS-84 geodesics are within 0.6% of spherical ones (radius of curvature 6335..6400 km).
_SPHERE_SLACK = 0.01
_CANDIDATES = 8


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A travel network ready for snapping and shortest paths (built once, then shared)."""

    place_ids: np.ndarray  # str objects, in the order of the matrix rows
    lat: np.ndarray
    lon: np.ndarray
    links: pd.DataFrame  # a, b (place indices, a < b), km (+ kind, name when known)
    matrix: csr_matrix  # symmetric, km, the shortest of parallel links
    component: np.ndarray  # connected component label of each place
    rank: np.ndarray  # position of each place_id in string order (for the tie rule)
    tree: cKDTree  # places on the unit sphere
    digest: str  # identifies the network's content (cache key)

    def __len__(self) -> int:
        return len(self.place_ids)

    @functools.cached_property
    def graph(self) -> nx.Graph:
        """The NetworkX graph: node = place_id (lat, lon), edge attributes km, kind, name.

        Built on first use: shortest paths run on :attr:`matrix`, so a command that only
        needs distances does not pay for the graph.
        """
        import networkx

        graph = networkx.Graph()
        graph.add_nodes_from((p, {"lat": a, "lon": o}) for p, a, o in
                             zip(self.place_ids, self.lat, self.lon, strict=True))
        ids = self.place_ids
        extra = [c for c in self.links.columns if c not in ("a", "b")]
        for row in self.links.itertuples(index=False):
            graph.add_edge(ids[row[0]], ids[row[1]], **dict(zip(extra, row[2:], strict=True)))
        return graph


def _unit_sphere(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def build_network(place_ids: npt.ArrayLike, lat: npt.ArrayLike, lon: npt.ArrayLike,
                  link_from: npt.ArrayLike, link_to: npt.ArrayLike, link_km: npt.ArrayLike,
                  *, digest: str, edge_attrs: pd.DataFrame | None = None) -> RoadNetwork:
    """A RoadNetwork from validated tables (ids unique, links between known places, km > 0)."""
    ids = np.asarray(place_ids, dtype=object)
    lat_a, lon_a = np.asarray(lat, float), np.asarray(lon, float)
    n = len(ids)
    index = {p: k for k, p in enumerate(ids)}
    i = np.fromiter((index[x] for x in np.asarray(link_from, dtype=object)), int)
    j = np.fromiter((index[x] for x in np.asarray(link_to, dtype=object)), int)
    links = pd.DataFrame({"a": np.minimum(i, j), "b": np.maximum(i, j),
                          "km": np.asarray(link_km, float)})
    if edge_attrs is not None:
        links = pd.concat([links, edge_attrs.reset_index(drop=True)], axis=1)
    links = links[links["a"] != links["b"]]  # a loop never shortens a path
    # Parallel links: the shortest one is the road anyone would take.
    links = (links.sort_values(["a", "b", "km"], kind="stable")
             .drop_duplicates(subset=["a", "b"], keep="first").reset_index(drop=True))
    a, b, km = links["a"].to_numpy(), links["b"].to_numpy(), links["km"].to_numpy()
    matrix = csr_matrix((np.r_[km, km], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    _, component = connected_components(matrix, directed=False) if n else (0, np.zeros(0, int))
    rank = np.empty(n, dtype=int)
    rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(n)
    tree = cKDTree(_unit_sphere(lat_a, lon_a) if n else np.zeros((0, 3)))
    return RoadNetwork(ids, lat_a, lon_a, links, matrix, np.asarray(component), rank, tree,
                       digest)


# --------------------------------------------------------------------------- built-in


def _data_bytes(name: str) -> bytes:
    return (resources.files("optimiser.geography") / "data" / name).read_bytes()


@functools.cache
def builtin_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shipped places and links tables (see ``optimiser/geography/data/README.md``)."""
    places = pd.read_csv(io.BytesIO(_data_bytes("places.csv.gz")), compression="gzip",
                         dtype={"place_id": str}, keep_default_na=False)
    links = pd.read_csv(io.BytesIO(_data_bytes("links.csv.gz")), compression="gzip",
                        dtype={"from": str, "to": str, "name": str}, keep_default_na=False)
    return places, links


@functools.cache
def builtin_network() -> RoadNetwork:
    """The England road-proxy network over postcode districts (built once per process)."""
    places, links = builtin_tables()
    digest = hashlib.sha256(_data_bytes("places.csv.gz") + _data_bytes("links.csv.gz"))
    return build_network(places["place_id"], places["lat"], places["lon"], links["from"],
                         links["to"], links["km"], digest="builtin:" + digest.hexdigest(),
                         edge_attrs=links[["kind", "name"]])


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


def to_networkx(network: RoadNetwork | None = None) -> nx.Graph:
    """The NetworkX graph of a network (default: England); node = place_id, edge km."""
    return (network or builtin_network()).graph


# --------------------------------------------------------------------------- snapping


def snap(network: RoadNetwork, lat: npt.ArrayLike, lon: npt.ArrayLike
         ) -> tuple[np.ndarray, np.ndarray]:
    """Nearest place (index) of each location by geodesic distance, and that distance in km.

    Candidates come from a KD-tree on the unit sphere; the exact geodesic decides among them,
    ties (within :data:`TIE_KM`) going to the smallest place_id. A location is only settled
    from its candidates when every other place is provably farther (spherical distance within
    1% of the geodesic); otherwise all places in a safe radius are checked exactly.
    """
    lat_a, lon_a = np.atleast_1d(np.asarray(lat, float)), np.atleast_1d(np.asarray(lon, float))
    m, n = len(lat_a), len(network)
    if n == 0:
        raise InputError(Problem(PLACES_FILE, None, None, "the travel network has no places"))
    if m == 0:
        return np.zeros(0, int), np.zeros(0)
    k = min(_CANDIDATES, n)
    xyz = _unit_sphere(lat_a, lon_a)
    chord, cand = network.tree.query(xyz, k=k)
    chord, cand = chord.reshape(m, k), cand.reshape(m, k)
    geo = geodesic_km(lat_a[:, None], lon_a[:, None], network.lat[cand], network.lon[cand])
    idx, best = _pick(geo, cand, network.rank)
    if k < n:
        kth_sphere = 2 * _EARTH_KM * np.arcsin(np.minimum(chord[:, -1] / 2, 1.0))
        unsure = np.flatnonzero(kth_sphere * (1 - _SPHERE_SLACK) <= best + TIE_KM)
        for i in unsure:  # rare: crowded places or a location far from every place
            radius_km = (best[i] + TIE_KM) / (1 - _SPHERE_SLACK)
            radius = 2 * math.sin(min(radius_km / _EARTH_KM, math.pi) / 2)
            near = np.asarray(network.tree.query_ball_point(xyz[i], radius * (1 + 1e-9) + 1e-12),
                              dtype=int)
            if near.size == 0:
                continue
            g = geodesic_km(lat_a[i], lon_a[i], network.lat[near], network.lon[near])
            j, b = _pick(g[None, :], near[None, :], network.rank)
            idx[i], best[i] = j[0], b[0]
    return idx, best


def _pick(geo: np.ndarray, cand: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise nearest candidate with the smallest-place_id tie rule."""
    best = geo.min(axis=1)
    key = np.where(geo <= best[:, None] + TIE_KM, rank[cand], np.iinfo(np.int64).max)
    col = key.argmin(axis=1)
    rows = np.arange(len(cand))
    return cand[rows, col], geo[rows, col]


# --------------------------------------------------------------------------- distances


def road_km(network: RoadNetwork, from_lat: npt.ArrayLike, from_lon: npt.ArrayLike,
            to_lat: npt.ArrayLike, to_lon: npt.ArrayLike) -> np.ndarray:
    """km (len(from), len(to)) over ``network``: access + shortest path + access."""
    fa, fk = snap(network, from_lat, from_lon)
    ta, tk = snap(network, to_lat, to_lon)
    if len(fa) == 0 or len(ta) == 0:
        return np.zeros((len(fa), len(ta)))
    fu, finv = np.unique(fa, return_inverse=True)
    tu, tinv = np.unique(ta, return_inverse=True)
    if len(tu) <= len(fu):  # one Dijkstra per distinct place on the smaller side
        path = dijkstra(network.matrix, directed=False, indices=tu)[:, fu].T
    else:
        path = dijkstra(network.matrix, directed=False, indices=fu)[:, tu]
    km: np.ndarray = fk[:, None] + path[finv.ravel()][:, tinv.ravel()] + tk[None, :]
    return km


def road_distance(lat1: float, lon1: float, lat2: float, lon2: float,
                  geography: Geography | None = None) -> float:
    """One road distance in km (the CLI's ``bedplan distance``)."""
    network = builtin_network() if geography is None else custom_network(geography)
    return float(road_km(network, np.array([lat1]), np.array([lon1]), np.array([lat2]),
                         np.array([lon2]))[0, 0])


_MEMO: OrderedDict[str, np.ndarray] = OrderedDict()
_MEMO_SIZE = 8
_MEMO_LOCK = threading.Lock()  # the service may compute distances from several threads


def cache_dir() -> Path:
    """Where road matrices persist between runs: ``$BEDPLAN_CACHE_DIR`` or ~/.cache/bedplan."""
    env = os.environ.get("BEDPLAN_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "bedplan"


def road_matrix(instance: Instance, *, disk_cache: bool | None = None) -> np.ndarray:
    """km (patients, units) by road; ``np.inf`` where a unit is unreachable from home.

    Computed once per distinct home over the instance's network and cached in-process by
    content (coordinates + network). ``disk_cache=True`` (default: only when
    ``$BEDPLAN_CACHE_DIR`` is set) also keeps the matrix in :func:`cache_dir` between runs.
    With a custom geography, an inpatient whose current unit is unreachable from home is
    invalid input (InputError naming the row of patients.csv).
    """
    n, m = len(instance.patients), len(instance.units)
    network = network_for(instance)
    if n == 0 or m == 0:
        return np.zeros((n, m))
    homes = np.array([(p.home_lat, p.home_lon) for p in instance.patients], dtype=float)
    sites = np.array([(u.lat, u.lon) for u in instance.units], dtype=float)
    _check_coordinates(instance, homes, sites)
    uniq, inverse = np.unique(homes, axis=0, return_inverse=True)
    key = hashlib.sha256(b"road-v1\0" + network.digest.encode() + b"\0"
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
            compact = road_km(network, uniq[:, 0], uniq[:, 1], sites[:, 0], sites[:, 1])
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


#: Dijkstra sources per batch in :func:`road_pairs`: only the columns needed are kept, so a
#: large custom network never holds a (sources, all places) table at once.
_PAIR_BATCH = 256


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
    network = network_for(instance)
    dtype = matrix_dtype(n, m)
    if n == 0 or m == 0:
        return RoadPairs(np.zeros(n), np.zeros(n, np.intp), np.zeros(m), np.zeros(m, np.intp),
                         np.zeros((1, 1)), dtype)
    homes = np.array([(p.home_lat, p.home_lon) for p in instance.patients], dtype=float)
    sites = np.array([(u.lat, u.lon) for u in instance.units], dtype=float)
    _check_coordinates(instance, homes, sites)
    uniq, inverse = np.unique(homes, axis=0, return_inverse=True)
    fa, fk = snap(network, uniq[:, 0], uniq[:, 1])
    ta, tk = snap(network, sites[:, 0], sites[:, 1])
    fu, finv = np.unique(fa, return_inverse=True)
    tu, tinv = np.unique(ta, return_inverse=True)
    # from the side with fewer distinct places, as road_km does (same sums, same bits)
    path = _paths(network, tu, fu).T if len(tu) <= len(fu) else _paths(network, fu, tu)
    inverse = inverse.ravel()
    pairs = RoadPairs(fk[inverse], finv.ravel()[inverse], tk, tinv.ravel(), path, dtype)
    if instance.geography is not None:
        _check_current_units(instance, pairs.km)
    return pairs


def _paths(network: RoadNetwork, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Shortest-path km (sources, targets), Dijkstra from the sources in batches."""
    out = np.empty((len(sources), len(targets)))
    for start in range(0, len(sources), _PAIR_BATCH):
        chunk = sources[start:start + _PAIR_BATCH]
        out[start:start + len(chunk)] = dijkstra(network.matrix, directed=False,
                                                 indices=chunk)[:, targets]
    return out


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
    buffer = io.BytesIO()
    np.save(buffer, compact, allow_pickle=False)
    try:
        atomic_write(cache_dir() / f"road-{key}.npy", buffer.getvalue())
    except OSError as exc:  # a cache is a convenience, never a reason to fail
        log.warning("could not write the distance cache: %s", exc)
