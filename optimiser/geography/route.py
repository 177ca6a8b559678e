"""The way a road distance goes: places, named roads, crossings and ferries, km per leg.

``d(p,u)`` is a number; people want to see the way it stands for (is this the Humber Bridge
or round by Goole?), and a report wants to draw it. A route is the contract's road distance
taken apart: the straight access leg from the start to its place, the shortest path over the
network's NetworkX graph, and the access leg at the end. Its ``km`` equals
:func:`optimiser.geography.network.road_distance` (same snapping, same path length).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from models.domain import Geography, Instance
from models.errors import InputError, Problem
from optimiser.geography.network import (
    LINKS_FILE,
    PLACES_FILE,
    RoadNetwork,
    builtin_network,
    custom_network,
    network_for,
    snap,
)

#: Link kinds of the built-in network (links.csv.gz ``kind``) and how a route names them.
KIND_WORDS = {"road": "local roads", "motorway": "motorway", "trunk": "A-road",
              "crossing": "crossing", "ferry": "ferry", "access": "straight line"}


@dataclass(frozen=True)
class Leg:
    """Consecutive links of one kind and name (a motorway stretch, a crossing, local roads),
    or an access leg (``kind="access"``: the straight line to or from the nearest place)."""

    kind: str
    name: str  # road(s) or crossing, "; "-separated; "" for unnamed local roads and access
    start: str  # place_id, or "start"/"end" for the ends of access legs
    end: str
    km: float
    links: int  # network links in the leg (0 for access)
    points: tuple[tuple[float, float], ...]  # (lat, lon) from start to end
    water: tuple[str, ...] = ()  # estuaries crossed (built-in network: its barriers)

    @property
    def label(self) -> str:
        """What a person would call this leg: "M6 (motorway)", "local roads", ..."""
        word = KIND_WORDS.get(self.kind, self.kind)
        text = f"{self.name} ({word})" if self.name else word
        return text + "".join(f", across the {w}" for w in self.water)


@dataclass(frozen=True)
class Route:
    """A road distance taken apart (see the module docstring); ``km`` is the total."""

    km: float
    legs: tuple[Leg, ...]
    places: tuple[str, ...]  # every place passed, in order
    reachable: bool = True

    @property
    def polyline(self) -> list[tuple[float, float]]:
        """(lat, lon) vertices from the start to the end, for drawing on a map."""
        out: list[tuple[float, float]] = []
        for leg in self.legs:
            for p in leg.points:
                if not out or out[-1] != p:
                    out.append(p)
        return out

    def crossings(self) -> list[str]:
        """The bridges, tunnels and ferries used, in order: crossing and ferry links by name,
        and roads that cross an estuary of the built-in network (the M25 at Dartford)."""
        return [leg.name if leg.kind in ("crossing", "ferry") else
                f"{leg.name or leg.label} across the {w}"
                for leg in self.legs if leg.kind in ("crossing", "ferry") or leg.water
                for w in (leg.water or ("",))]

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: the legs (kind, name, from, to, km) and the places passed."""
        return {"reachable": self.reachable,
                "legs": [{"kind": g.kind, "name": g.name, "from": g.start, "to": g.end,
                          "km": round(g.km, 3), "links": g.links, "water": list(g.water)}
                         for g in self.legs],
                "places": list(self.places)}


def road_route(network: RoadNetwork, start: tuple[float, float],
               end: tuple[float, float]) -> Route:
    """The route from ``start`` to ``end`` (lat, lon) over ``network``; an unreachable end
    gives ``km = inf``, ``reachable=False`` and only the two access legs."""
    return road_routes(network, [(start, end)])[0]


def road_routes(network: RoadNetwork,
                pairs: Sequence[tuple[tuple[float, float], tuple[float, float]]]
                ) -> list[Route]:
    """:func:`road_route` for many (start, end) pairs: one Dijkstra per distinct start place
    over the NetworkX graph, so a report's hundred moves cost a few distinct sources."""
    import networkx as nx

    if not pairs:
        return []
    lat = [p[k][0] for p in pairs for k in (0, 1)]
    lon = [p[k][1] for p in pairs for k in (0, 1)]
    idx, access = snap(network, lat, lon)
    ids = network.place_ids
    graph = network.graph
    trees: dict[int, dict[str, list[str]]] = {}
    routes = []
    for n, (start, end) in enumerate(pairs):
        a, b = int(idx[2 * n]), int(idx[2 * n + 1])
        if a not in trees:
            trees[a] = nx.single_source_dijkstra_path(graph, ids[a], weight="km")
        path = trees[a].get(ids[b])
        first = Leg("access", "", "start", str(ids[a]), float(access[2 * n]), 0,
                    (start, _where(network, a)))
        last = Leg("access", "", str(ids[b]), "end", float(access[2 * n + 1]), 0,
                   (_where(network, b), end))
        if path is None:
            routes.append(Route(math.inf, (first, last), (str(ids[a]), str(ids[b])), False))
            continue
        legs = [first, *_name_water(network, _legs(network, path)), last]
        # the same sum, in the same order, as road_km: access + path + access
        path_km = sum(g.km for g in legs[1:-1])
        routes.append(Route(first.km + path_km + last.km, tuple(legs),
                            tuple(str(p) for p in path)))
    return routes


def _name_water(network: RoadNetwork, legs: list[Leg]) -> list[Leg]:
    """Legs of the built-in network with the estuaries (its barriers) they cross: a road
    link may cross one only by a bridge or tunnel, so this names the Dartford Crossing on the
    M25 or the Humber Bridge on the A15 (custom networks have no barriers)."""
    if not network.digest.startswith("builtin:"):
        return legs
    import numpy as np

    from optimiser.geography.barriers import barrier_segments, crosses_any, to_grid

    r0, r1, names = barrier_segments()
    out = []
    for leg in legs:
        pts = np.array(leg.points, float)
        x, y = to_grid(pts[:, 0], pts[:, 1])
        xy = np.column_stack([x, y])
        hit = crosses_any(xy[:-1], xy[1:], r0, r1)
        water = tuple(dict.fromkeys(str(names[h]) for h in hit if h >= 0))
        out.append(Leg(leg.kind, leg.name, leg.start, leg.end, leg.km, leg.links, leg.points,
                       water) if water else leg)
    return out


def _where(network: RoadNetwork, k: int) -> tuple[float, float]:
    return float(network.lat[k]), float(network.lon[k])


def _legs(network: RoadNetwork, path: Sequence[str]) -> list[Leg]:
    """The path's links grouped into legs of one kind and name."""
    graph = network.graph
    legs: list[Leg] = []
    for u, v in itertools.pairwise(path):
        data = graph.edges[u, v]
        kind, name = str(data.get("kind", "road") or "road"), str(data.get("name", "") or "")
        point = (float(graph.nodes[v]["lat"]), float(graph.nodes[v]["lon"]))
        if legs and legs[-1].kind == kind and legs[-1].name == name:
            g = legs[-1]
            legs[-1] = Leg(kind, name, g.start, str(v), g.km + float(data["km"]),
                           g.links + 1, (*g.points, point))
        else:
            here = (float(graph.nodes[u]["lat"]), float(graph.nodes[u]["lon"]))
            legs.append(Leg(kind, name, str(u), str(v), float(data["km"]), 1, (here, point)))
    return legs


def route_between(start: tuple[float, float], end: tuple[float, float],
                  geography: Geography | None = None) -> Route:
    """The route over a custom geography, or the built-in England network (``bedplan
    distance --route``)."""
    network = builtin_network() if geography is None else custom_network(geography)
    return road_route(network, start, end)


def move_polylines(instance: Instance, moves: Iterable[tuple[str, str]]
                   ) -> list[list[tuple[float, float]]]:
    """(lat, lon) polylines of moves between units (``(from_unit_id, to_unit_id)``) along
    the instance's road network, for a report to draw; an empty list where no road joins
    them (another component of a custom geography) or a unit id is unknown."""
    pos = {u.unit_id: (u.lat, u.lon) for u in instance.units}
    wanted = list(moves)
    known = [(pos[a], pos[b]) for a, b in wanted if a in pos and b in pos]
    routes = iter(road_routes(network_for(instance), known))
    out = []
    for a, b in wanted:
        if a in pos and b in pos:
            route = next(routes)
            out.append(route.polyline if route.reachable else [])
        else:
            out.append([])
    return out


def read_geography(directory: str | Path) -> tuple[Geography, dict[str, list[str]]]:
    """A contract ``geography/`` folder (places.csv, links.csv) read and checked as an
    instance's is, with the links' optional ``kind`` and ``name`` columns (``bedplan
    geography from-osm`` writes them; the contract keeps extra columns and ignores them);
    InputError naming file, row and column when it cannot be used."""
    from models.readers import Table, read_csv
    from models.validation import check_geography, sort_problems

    folder = Path(directory)
    problems: list[Problem] = []
    tables: dict[str, Table | None] = {}
    for file, columns in ((PLACES_FILE, ("place_id", "lat", "lon")),
                          (LINKS_FILE, ("from", "to", "km"))):
        path = folder / Path(file).name
        if path.is_file():
            tables[file] = read_csv(path, file, columns, problems)
        else:
            problems.append(Problem(file, None, None, f"missing: no file {path}"))
    places, links = tables.get(PLACES_FILE), tables.get(LINKS_FILE)
    geography = (check_geography(places, links, problems)
                 if places is not None and links is not None and not problems else None)
    if problems or geography is None or links is None:
        raise InputError(sort_problems(problems, {PLACES_FILE: 0, LINKS_FILE: 1}) or [
            Problem(str(folder), None, None, "cannot be read")])
    extra = {c: links.column(c) for c in ("kind", "name") if links.has(c)}
    return geography, extra


def geography_network(directory: str | Path) -> RoadNetwork:
    """The network of a ``geography/`` folder, its links named when links.csv says how
    (see :func:`read_geography`), for routes over a network built by ``from-osm``."""
    import hashlib

    import pandas as pd

    from optimiser.geography.network import build_network

    geography, extra = read_geography(directory)
    digest = hashlib.sha256()
    for name in ("places.csv", "links.csv"):
        digest.update((Path(directory) / name).read_bytes())
    attrs = pd.DataFrame(extra) if extra else None
    return build_network([p.place_id for p in geography.places],
                         [p.lat for p in geography.places], [p.lon for p in geography.places],
                         [x.a for x in geography.links], [x.b for x in geography.links],
                         [x.km for x in geography.links], digest="dir:" + digest.hexdigest(),
                         edge_attrs=attrs)
