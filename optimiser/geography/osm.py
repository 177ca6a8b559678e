"""A contract ``geography/`` (places.csv, links.csv) from an OpenStreetMap extract.

The built-in England network is a proxy; users who have real roads can bring them: this reads
an ``.osm.pbf`` (or ``.osm``/``.osm.bz2``) extract with pyosmium (libosmium's bindings, made
for the job) in two streaming passes and writes the roads as the contract's travel network:

- **drivable ways**: ``highway`` of :data:`DRIVABLE` (motorways down to residential streets
  and their slip roads; not service roads, tracks, paths), minus ways closed to cars
  (``access``/``motor_vehicle``/``motorcar`` = no or private, unless a narrower key opens
  them) and areas; **ferries**: ``route=ferry`` ways (passenger ferries too, as the built-in
  network counts the Scillonian), unless ``include_ferries`` is off;
- **places**: junctions (a node shared by two selected ways, or met twice by one) and way
  ends, id ``n<OSM node id>``; nodes in between only shape the links;
- **links**: the stretch of a way between two consecutive places, its km the WGS-84 geodesic
  length along the way's nodes (not the straight line), ``kind`` motorway / trunk (trunk and
  primary roads) / road / ferry and ``name`` (the ``ref``, else the ``name`` tag) as extra
  columns (the contract keeps extra columns and ignores them; ``bedplan distance --route``
  uses them). One-way rules are ignored (contract links are undirected); a loop back to the
  same place is dropped; of parallel links the shortest is kept; a link between two nodes at
  the same point is 1 m (the contract needs km > 0);
- **components**: ``"largest"`` (default) keeps the largest connected component, so that no
  home snaps onto a private estate road or an island the extract cut off and finds every
  unit unreachable; ``"all"`` keeps every component (the contract then treats units in
  another component as unreachable).

Ways that run off the extract (nodes without a location) are cut where the location is
missing. Both files are written atomically once everything has been read.
"""

from __future__ import annotations

import array
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.atomic import atomic_write
from models.errors import InputError, Problem
from optimiser.geography.geodesic import geodesic_km

#: OSM highway values a car may use, and the link kind each becomes.
DRIVABLE = {
    "motorway": "motorway", "motorway_link": "motorway",
    "trunk": "trunk", "trunk_link": "trunk", "primary": "trunk", "primary_link": "trunk",
    "secondary": "road", "secondary_link": "road", "tertiary": "road", "tertiary_link": "road",
    "unclassified": "road", "residential": "road", "living_street": "road",
}
_CLOSED = frozenset({"no", "private"})
_OPEN = frozenset({"yes", "designated", "permissive", "destination"})
#: Ways handled per batch of geodesic lengths.
_BATCH = 20_000
#: Length given to a link between two nodes at the same point (the contract needs km > 0).
MIN_KM = 0.001


@dataclass(frozen=True)
class OsmNetwork:
    """The network read from an extract, ready to write (see :func:`write_geography`)."""

    place_id: np.ndarray  # "n<id>"
    lat: np.ndarray
    lon: np.ndarray
    link_from: np.ndarray  # place_id
    link_to: np.ndarray
    km: np.ndarray
    kind: np.ndarray
    name: np.ndarray
    components: int  # connected components in the extract's roads (before any was dropped)
    ways: int  # ways used
    seconds: float


def _closed(tags: Mapping[str, str]) -> bool:
    """Whether a way is closed to cars: the narrowest access key that is set decides."""
    for key in ("motorcar", "motor_vehicle", "vehicle", "access"):
        value = tags.get(key)
        if value in _CLOSED:
            return True
        if value in _OPEN:
            return False
    return False


def way_kind(tags: Mapping[str, str], include_ferries: bool = True) -> str | None:
    """The link kind of a way with these tags, or None when it is not a road for cars."""
    if tags.get("route") == "ferry":
        return "ferry" if include_ferries and not _closed(tags) else None
    kind = DRIVABLE.get(tags.get("highway", ""))
    if kind is None or tags.get("area") == "yes" or _closed(tags):
        return None
    return kind


def _way_name(tags: Mapping[str, str]) -> str:
    return (tags.get("ref") or tags.get("name") or "").strip()


def _ways(path: Path, include_ferries: bool, locations: bool
          ) -> Iterator[tuple[str, str, Any]]:
    """(kind, name, way) for every way that becomes links, in file order."""
    import osmium

    entities = osmium.osm.NODE | osmium.osm.WAY if locations else osmium.osm.WAY
    processor = osmium.FileProcessor(str(path), entities)
    if locations:
        processor = processor.with_locations()
    processor = processor.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    # in libosmium, before Python sees a way: only road classes for cars, and ferries
    wanted = [("highway", h) for h in DRIVABLE] + [("route", "ferry")]
    processor = processor.with_filter(osmium.filter.TagFilter(*wanted))
    for obj in processor:
        way: Any = obj  # a Way: the entity filter passes nothing else
        tags = way.tags  # looked up by key (a TagList), never copied whole
        kind = way_kind(tags, include_ferries)
        if kind is not None and len(way.nodes) >= 2:
            yield kind, _way_name(tags), way


def read_osm(path: str | Path, *, components: str = "largest",
             include_ferries: bool = True) -> OsmNetwork:
    """Read an OSM extract into a travel network (see the module docstring).

    InputError naming the file when it cannot be read or holds no drivable road.
    """
    if components not in ("largest", "all"):
        raise ValueError(f"components must be 'largest' or 'all', not {components!r}")
    try:
        import osmium  # noqa: F401
    except ImportError as exc:
        raise InputError(Problem(str(path), None, None, "reading OpenStreetMap files needs "
                                 "the osmium package (pip install osmium)")) from exc
    source = Path(path)
    start = time.perf_counter()
    try:
        junctions = _junctions(source, include_ferries)
        places, links, ways = _links(source, include_ferries, junctions)
    except (RuntimeError, ValueError, OSError) as exc:  # libosmium's errors for bad input
        raise InputError(Problem(str(source), None, None,
                                 f"not a readable OpenStreetMap extract ({exc})")) from exc
    if not links:
        raise InputError(Problem(str(source), None, None,
                                 "no drivable road or ferry in this extract"))
    return _assemble(places, links, ways, components, time.perf_counter() - start)


def _junctions(path: Path, include_ferries: bool) -> np.ndarray:
    """Sorted ids of the nodes that become places: shared by two ways (or met twice by one),
    or at a way's end. Pass 1: ways only, no locations."""
    refs = array.array("q")
    ends = array.array("q")
    for _, _, way in _ways(path, include_ferries, locations=False):
        nodes = way.nodes
        refs.extend(n.ref for n in nodes)
        ends.append(nodes[0].ref)
        ends.append(nodes[len(nodes) - 1].ref)
    ids, counts = np.unique(np.frombuffer(refs, dtype=np.int64), return_counts=True)
    return np.union1d(ids[counts >= 2], np.frombuffer(ends, dtype=np.int64))


def _links(path: Path, include_ferries: bool, junctions: np.ndarray
           ) -> tuple[dict[int, tuple[float, float]], list[tuple[int, int, float, str, str]],
                      int]:
    """Places (node id -> lat, lon) and links (from, to, km, kind, name). Pass 2: with
    node locations, each way cut at its places (and where a location is missing)."""
    places: dict[int, tuple[float, float]] = {}
    links: list[tuple[int, int, float, str, str]] = []
    batch: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]] = []
    ways = 0
    for kind, name, way in _ways(path, include_ferries, locations=True):
        ways += 1
        for run in _runs(way):
            batch.append((kind, name, *run))
        if len(batch) >= _BATCH:
            _cut(batch, junctions, places, links)
            batch = []
    _cut(batch, junctions, places, links)
    return places, links, ways


def _runs(way: Any) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(ids, lat, lon) of each stretch of a way whose nodes all have a location."""
    ids, lat, lon = [], [], []
    for n in way.nodes:
        loc = n.location
        if loc.valid():
            ids.append(n.ref)
            lat.append(loc.lat)
            lon.append(loc.lon)
        else:
            if len(ids) >= 2:
                yield np.array(ids, np.int64), np.array(lat), np.array(lon)
            ids, lat, lon = [], [], []
    if len(ids) >= 2:
        yield np.array(ids, np.int64), np.array(lat), np.array(lon)


def _cut(batch: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]],
         junctions: np.ndarray, places: dict[int, tuple[float, float]],
         links: list[tuple[int, int, float, str, str]]) -> None:
    """Split each stretch at its places; link km = geodesic length along its nodes. One
    array pass for the whole batch (per-way numpy calls would dominate the run time)."""
    if not batch:
        return
    ids = np.concatenate([b[2] for b in batch])
    lat = np.concatenate([b[3] for b in batch])
    lon = np.concatenate([b[4] for b in batch])
    sizes = np.array([len(b[2]) for b in batch])
    stretch = np.repeat(np.arange(len(batch)), sizes)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    # km from the batch's first node; a difference within one stretch is its length along
    # the way (the segment between two stretches is never inside a link)
    along = np.concatenate([[0.0], np.cumsum(geodesic_km(lat[:-1], lon[:-1], lat[1:],
                                                         lon[1:]))])
    pos = np.minimum(np.searchsorted(junctions, ids), len(junctions) - 1)
    is_place = junctions[pos] == ids
    is_place[first] = is_place[first + sizes - 1] = True  # ends (also where a node is missing)
    at = np.flatnonzero(is_place)
    places.update(zip(ids[at].tolist(), zip(lat[at].tolist(), lon[at].tolist(),
                                           strict=True), strict=True))
    i, j = at[:-1], at[1:]
    ok = (stretch[i] == stretch[j]) & (ids[i] != ids[j])  # same stretch, not a loop
    i, j = i[ok], j[ok]
    kinds = [batch[k][0] for k in stretch[i].tolist()]
    names = [batch[k][1] for k in stretch[i].tolist()]
    links.extend(zip(ids[i].tolist(), ids[j].tolist(), (along[j] - along[i]).tolist(), kinds,
                     names, strict=True))


def _assemble(places: dict[int, tuple[float, float]],
              links: list[tuple[int, int, float, str, str]], ways: int, components: str,
              seconds: float) -> OsmNetwork:
    """Tables with parallel links reduced to the shortest, one component or all."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    node = np.array(sorted(places), dtype=np.int64)
    index = {int(n): k for k, n in enumerate(node)}
    a = np.array([index[x[0]] for x in links])
    b = np.array([index[x[1]] for x in links])
    km = np.maximum(np.round(np.array([x[2] for x in links]), 4), MIN_KM)
    kind = np.array([x[3] for x in links], dtype=object)
    name = np.array([x[4] for x in links], dtype=object)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((name.astype(str), kind.astype(str), km, hi, lo))
    keep = order[np.r_[True, (np.diff(lo[order]) != 0) | (np.diff(hi[order]) != 0)]]
    lo, hi, km, kind, name = lo[keep], hi[keep], km[keep], kind[keep], name[keep]
    n = len(node)
    graph = coo_matrix((np.ones(len(lo)), (lo, hi)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    used = np.zeros(n, bool)
    used[lo] = used[hi] = True
    found = len(np.unique(label[used]))
    if components == "largest":
        sizes = np.bincount(label[used])
        big = int(np.argmax(sizes))
        used &= label == big
        mask = label[lo] == big
        lo, hi, km, kind, name = lo[mask], hi[mask], km[mask], kind[mask], name[mask]
    lat = np.array([places[int(x)][0] for x in node])
    lon = np.array([places[int(x)][1] for x in node])
    ids = np.array([f"n{x}" for x in node], dtype=object)
    pick = np.flatnonzero(used)
    return OsmNetwork(ids[pick], lat[pick], lon[pick], ids[lo], ids[hi], km, kind, name,
                      found, ways, seconds)


def write_geography(network: OsmNetwork, out_dir: str | Path) -> tuple[Path, Path]:
    """``places.csv`` (place_id,lat,lon) and ``links.csv`` (from,to,km,kind,name) in
    ``out_dir``, each written atomically; returns their paths."""
    import pandas as pd

    out = Path(out_dir)
    places = pd.DataFrame({"place_id": network.place_id, "lat": np.round(network.lat, 7),
                           "lon": np.round(network.lon, 7)})
    links = pd.DataFrame({"from": network.link_from, "to": network.link_to, "km": network.km,
                          "kind": network.kind, "name": network.name})
    paths = out / "places.csv", out / "links.csv"
    atomic_write(paths[0], places.to_csv(index=False, lineterminator="\n"))
    atomic_write(paths[1], links.to_csv(index=False, lineterminator="\n"))
    return paths
