"""Derive the built-in England road-proxy network shipped in ``optimiser/geography/data/``.

Rerun after changing the district table, the trunk roads (``scripts/data/roads/``), the
barriers or the crossings::

    python scripts/build_network.py && python scripts/calibrate_roads.py

(``python scripts/build_network.py DIR`` writes the tables to DIR instead, to compare.)

Steps (documented in ``docs/geography.md``):

1. Places: every English and Welsh postcode district of ``models/data/postcode_districts.csv``
   plus the Scottish border districts (DG, TD), so that routes near the borders follow real
   roads. Northern Ireland, the rest of Scotland, the Isle of Man and the Channel Islands are
   left out.
2. Candidate links: the Delaunay triangulation of the places on the British National Grid.
3. Dropped: links longer than ``MAX_LINK_KM`` (hull edges over open sea), links failing a
   relaxed Gabriel test (a third place lies well inside the circle on the link as diameter:
   such a link skims a bay or duplicates a two-hop road), links crossing a barrier polyline
   (estuaries and bays with no bridge near the sea) and links with exactly one end on an
   island that has no fixed link (Isle of Wight PO30-PO41, Isles of Scilly TR21-TR25).
4. Added: every bridge, tunnel and ferry of ``shared/data/england-crossings.csv`` (copied to
   ``data/crossings.csv``) plus the two Severn bridges, between the districts named at each
   end; junctions on the A590 are added as places (``WAYPOINTS``), joined along the road
   only (``ROADS``: a straight link between two junctions that are not next to each other
   on the road would be a second road that does not exist).
5. Trunk roads: each point of the motorways and primary A-roads of ``scripts/data/roads/``
   stands at the nearest mainland place within ``SNAP_KM`` (an A590 point at its junction of
   ``WAYPOINTS``), else at a waypoint of its own, added to the places before the
   triangulation (``MOTORWAY_BENDS``, with no way on or off, are left out of it). Consecutive
   points become ``kind=motorway`` or ``kind=trunk`` links named after their route(s). This is
   a road hierarchy: trunk links get a lower circuity than the links between neighbouring
   districts, so shortest paths follow the roads route planners use. A trunk link that would
   cross a barrier is dropped unless its road crosses there by a bridge or tunnel
   (``TRUNK_CROSSINGS``).
6. Lengths: ``geo_km`` is the WGS-84 geodesic between the places (for crossings: the access
   legs; ``crossing_km`` is the crossing itself, its straight length or its known road length,
   ``ROUTE_KM``); ``km`` = :func:`road_km` of the road legs (a circuity that grows with the
   leg's length, plus a constant per link; trunk links :func:`trunk_km`) + ``crossing_km``.
   The constants come from ``data/calibration.json`` (written by
   ``scripts/calibrate_roads.py``).
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import Delaunay, cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.atomic import atomic_open  # noqa: E402
from optimiser.geography.barriers import barrier_segments, crosses_any, to_grid  # noqa: E402
from optimiser.geography.geodesic import geodesic_km  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import trunk_roads  # noqa: E402

POINTS, ROUTES = trunk_roads.load()  # scripts/data/roads/trunk_points.csv, trunk_routes.csv

DATA = ROOT / "optimiser" / "geography" / "data"
DISTRICTS = ROOT / "models" / "data" / "postcode_districts.csv"
MAX_LINK_KM = 45.0
#: A trunk point stands at the nearest place within this distance, else at a waypoint.
SNAP_KM = 1.0
#: ... or at one of the A590 junctions of WAYPOINTS within this distance (the same road).
WAYPOINT_SNAP_KM = 2.0
#: A link is dropped when a third place lies within GABRIEL_BETA × half its length of its
#: midpoint (1.0 is the Gabriel graph; smaller keeps more of the Delaunay links).
GABRIEL_BETA = 0.55
SCOTTISH_BORDER_AREAS = ("DG", "TD")
ISLANDS = {
    "Isle of Wight": [f"PO{i}" for i in range(30, 42)],
    "Isles of Scilly": [f"TR{i}" for i in range(21, 26)],
}

#: Estuaries and bays with no road crossing near the sea, drawn along the water from the
#: lowest bridge out to sea, as (lat, lon) vertices (approximate, ~1 km).
BARRIERS: dict[str, list[tuple[float, float]]] = {
    "Severn estuary and Bristol Channel": [
        (51.855, -2.285), (51.83, -2.33), (51.80, -2.38), (51.79, -2.42), (51.75, -2.46),
        (51.72, -2.49), (51.68, -2.54), (51.64, -2.59), (51.615, -2.635), (51.585, -2.69),
        (51.55, -2.74), (51.51, -2.82), (51.47, -2.93), (51.40, -3.08), (51.36, -3.25),
        (51.33, -3.50), (51.35, -3.90), (51.40, -4.30), (51.40, -4.80), (51.45, -5.60),
        (51.50, -6.50)],
    "Carmarthen Bay and Burry Inlet": [
        (51.665, -4.08), (51.66, -4.15), (51.65, -4.25), (51.63, -4.35), (51.58, -4.55),
        (51.40, -4.80)],
    "Cardigan Bay (Lleyn)": [
        (52.90, -4.13), (52.78, -4.25), (52.70, -4.60), (52.65, -5.00), (52.60, -5.60)],
    "Dyfi estuary": [(52.57, -3.90), (52.55, -3.98), (52.53, -4.04), (52.52, -4.15)],
    "Mawddach estuary": [(52.74, -3.90), (52.73, -3.98), (52.72, -4.05), (52.71, -4.12)],
    "Dee estuary": [
        (53.23, -3.08), (53.26, -3.12), (53.30, -3.17), (53.34, -3.22), (53.38, -3.27),
        (53.50, -3.45), (53.70, -3.60)],
    "Mersey estuary": [
        (53.345, -2.75), (53.33, -2.80), (53.34, -2.87), (53.36, -2.93), (53.39, -2.98),
        (53.42, -3.01), (53.45, -3.03), (53.52, -3.15), (53.60, -3.35)],
    "Ribble estuary": [
        (53.755, -2.72), (53.74, -2.80), (53.72, -2.90), (53.70, -3.00), (53.68, -3.10),
        (53.65, -3.30)],
    # The Wyre below Shard Bridge (Fleetwood-Knott End: foot ferry only) and the Lune below
    # Lancaster (Sunderland Point, Glasson).
    "Wyre estuary": [(53.866, -2.955), (53.885, -2.985), (53.905, -2.995), (53.925, -3.005),
                     (53.935, -3.015), (53.950, -3.050), (53.98, -3.12)],
    "Lune estuary": [(54.050, -2.808), (54.035, -2.835), (54.015, -2.860), (53.995, -2.885),
                     (53.980, -2.910), (53.965, -2.960), (53.950, -3.050)],
    "Morecambe Bay": [
        (54.24, -2.80), (54.18, -2.86), (54.12, -2.95), (54.05, -3.05), (53.95, -3.20),
        (53.85, -3.50)],
    "Leven estuary": [(54.236, -3.03), (54.22, -3.04), (54.17, -3.02), (54.12, -2.95)],
    "Duddon estuary": [
        (54.27, -3.22), (54.22, -3.22), (54.15, -3.27), (54.10, -3.35), (54.05, -3.50)],
    "Solway Firth": [
        (54.97, -3.06), (54.96, -3.15), (54.95, -3.28), (54.92, -3.45), (54.85, -3.60),
        (54.80, -3.75), (54.65, -4.00), (54.50, -4.40), (54.30, -5.00)],
    "Tyne below Newcastle": [
        (54.966, -1.595), (54.97, -1.56), (54.985, -1.52), (54.99, -1.49), (54.995, -1.46),
        (55.005, -1.43), (55.01, -1.42), (55.02, -1.35)],
    "Tees estuary": [
        (54.585, -1.22), (54.60, -1.19), (54.62, -1.16), (54.64, -1.14), (54.66, -1.05)],
    "Humber, Ouse and Trent": [
        (53.70, -0.86), (53.69, -0.78), (53.70, -0.70), (53.715, -0.60), (53.705, -0.50),
        (53.705, -0.45), (53.72, -0.35), (53.69, -0.20), (53.62, -0.08), (53.56, 0.08),
        (53.55, 0.50)],
    "Trent below Keadby": [(53.70, -0.70), (53.66, -0.71), (53.62, -0.72), (53.60, -0.74)],
    "The Wash": [
        (52.78, 0.195), (52.82, 0.22), (52.90, 0.30), (52.98, 0.40), (53.03, 0.50), (53.10, 0.80),
        (53.15, 1.20)],
    # The Welland below Fosdyke Bridge (A17) and the Haven below Boston, across the marshes
    # at the head of the Wash.
    "Welland estuary": [(52.872, -0.030), (52.895, 0.010), (52.920, 0.060), (52.950, 0.150),
                        (52.98, 0.40)],
    "The Haven below Boston": [(52.965, -0.010), (52.950, 0.030), (52.940, 0.080),
                               (52.950, 0.150)],
    "Deben estuary": [(52.09, 1.32), (52.05, 1.36), (52.00, 1.40), (51.97, 1.45)],
    "Orwell and Stour": [
        (52.025, 1.175), (52.00, 1.21), (51.97, 1.27), (51.95, 1.30), (51.93, 1.40)],
    "Stour estuary": [(51.95, 1.11), (51.955, 1.20), (51.95, 1.27),
                      (51.95, 1.30)],
    "Blackwater estuary": [(51.735, 0.71), (51.74, 0.75), (51.75, 0.85), (51.77, 0.95),
                           (51.76, 1.02), (51.74, 1.10), (51.70, 1.25)],
    "Crouch estuary": [(51.62, 0.57), (51.625, 0.65), (51.62, 0.75), (51.625, 0.85),
                       (51.63, 0.95)],
    "Thames below Blackwall": [
        (51.507, 0.02), (51.497, 0.06), (51.505, 0.10), (51.50, 0.13), (51.49, 0.17),
        (51.48, 0.20), (51.475, 0.235), (51.463, 0.262), (51.455, 0.33), (51.449, 0.37),
        (51.47, 0.44), (51.495, 0.50), (51.50, 0.58), (51.495, 0.68), (51.49, 0.78),
        (51.51, 0.95), (51.53, 1.20), (51.55, 1.70)],
    "Medway estuary": [
        (51.392, 0.505), (51.405, 0.525), (51.405, 0.56), (51.415, 0.62), (51.43, 0.68),
        (51.455, 0.74), (51.49, 0.78)],
    "The Swale": [
        # the West Swale from the Medway to the Kingsferry Bridge and Sheppey Crossing (A249)
        (51.43, 0.70), (51.41, 0.735), (51.392, 0.75),
        (51.385, 0.76), (51.37, 0.82), (51.355, 0.90), (51.36, 0.95), (51.375, 0.99),
        (51.42, 1.02), (51.52, 1.00)],
    # Fareham Creek, the north-west arm of Portsmouth Harbour: Gosport is reached from
    # Fareham round its head (A27/A32), not across it.
    "Fareham Creek": [(50.849, -1.173), (50.842, -1.163), (50.832, -1.148), (50.822, -1.13),
                      (50.82, -1.11)],
    # The Yare below the Norwich bypass (A47 at Postwick) and Breydon Water: no road bridge
    # until Great Yarmouth (the Reedham chain ferry is left out).
    "Yare and Breydon Water": [(52.612, 1.385), (52.585, 1.45), (52.565, 1.53), (52.562, 1.565),
                               (52.59, 1.63), (52.600, 1.70), (52.603, 1.715)],
    "Chichester Harbour": [(50.83, -0.90), (50.80, -0.93), (50.78, -0.94), (50.75, -0.94)],
    "Langstone Harbour": [(50.835, -1.02), (50.81, -1.02), (50.79, -1.025), (50.76, -1.02)],
    "Portsmouth Harbour": [(50.845, -1.12), (50.82, -1.11), (50.80, -1.11), (50.785, -1.105),
                           (50.76, -1.10)],
    "Southampton Water": [
        (50.919, -1.467), (50.917, -1.46),  # up the Test to Redbridge causeway (A35/A36)
        (50.915, -1.455), (50.90, -1.42), (50.885, -1.40), (50.86, -1.37), (50.83, -1.33),
        (50.78, -1.30)],
    "Poole Harbour": [(50.69, -2.07), (50.69, -2.00), (50.68, -1.95), (50.66, -1.90),
                      (50.62, -1.85)],
    "Lyme Bay (Chesil Beach)": [(50.62, -2.60), (50.45, -2.80)],
    "Exe estuary": [(50.69, -3.465), (50.66, -3.45), (50.63, -3.43), (50.605, -3.425),
                    (50.55, -3.35), (50.40, -3.20)],
    "Tamar and Plymouth Sound": [
        (50.52, -4.22), (50.48, -4.20), (50.44, -4.21), (50.41, -4.205), (50.39, -4.19),
        (50.37, -4.18), (50.355, -4.17), (50.33, -4.15), (50.25, -4.15)],
    # Restronguet Creek, the west arm of Carrick Roads: Falmouth to Truro goes round its
    # head at Perranarworthal (A39).
    "Restronguet Creek": [(50.212, -5.095), (50.205, -5.075), (50.197, -5.055),
                          (50.185, -5.03)],
    "Carrick Roads (Fal)": [(50.25, -5.04), (50.22, -5.03), (50.18, -5.03), (50.15, -5.04),
                            (50.10, -5.00)],
    "Fowey estuary": [(50.40, -4.665), (50.37, -4.655), (50.345, -4.64), (50.33, -4.635),
                      (50.30, -4.63)],
    "Camel estuary": [(50.52, -4.85), (50.54, -4.89), (50.56, -4.92), (50.60, -4.95)],
    "Taw and Torridge": [(51.08, -4.07), (51.08, -4.13), (51.07, -4.19), (51.07, -4.22),
                         (51.08, -4.30)],
    "Torridge estuary": [(51.02, -4.205), (51.05, -4.20), (51.07, -4.21)],
    # Not water: the high fells of the Lake District, crossed by no road. West of the A591
    # (Dunmail Raise) from High Raise by Bowfell, Great Gable and Pillar towards Ennerdale;
    # east of it the Helvellyn range from Fairfield to Clough Head. Routes between Keswick
    # and the southern lakes go by the A591 through Grasmere, as the roads do.
    "Lakeland central fells (no road)": [
        (54.470, -3.060), (54.476, -3.110), (54.455, -3.170), (54.482, -3.219),
        (54.497, -3.281), (54.490, -3.330)],
    "Helvellyn range (no road)": [
        (54.470, -2.975), (54.497, -2.985), (54.527, -3.016), (54.573, -3.021),
        (54.595, -3.040)],
}

#: Road junctions added as places where the district centroids alone leave a road out: the
#: A590 runs round the heads of the Kent and Leven estuaries, far from any district centroid,
#: and north by Newby Bridge to cross the Leven above its estuary. They are ordinary places
#: (ids starting "~"), so a location near one snaps to it.
WAYPOINTS: list[tuple[str, float, float]] = [
    ("~Levens (A590/A6)", 54.268, -2.785),
    ("~Gilpin Bridge (A590)", 54.257, -2.832),
    ("~Lindale (A590)", 54.218, -2.897),
    ("~High Newton (A590)", 54.235, -2.930),
    ("~Newby Bridge (A590)", 54.264, -2.967),
    ("~Haverthwaite (A590)", 54.247, -3.005),
    ("~Greenodd (A590)", 54.232, -3.050),
]

#: District attached at each end of each crossing of england-crossings.csv (by name), and
#: crossings added here: the two Severn bridges, as Welsh places are part of the network.
ATTACH: dict[str, tuple[str, str]] = {
    "Humber Bridge": ("HU13", "DN18"),
    "Dartford Crossing": ("RM20", "DA9"),
    "Tamar Bridge": ("PL12", "PL5"),
    "Torpoint Ferry": ("PL11", "PL2"),
    "Queensway Tunnel": ("L2", "CH41"),
    "Kingsway Tunnel": ("L3", "CH44"),
    "Mersey Gateway": ("WA8", "WA7"),
    "Tyne Tunnel": ("NE28", "NE32"),
    "Itchen Bridge": ("SO14", "SO19"),
    "Sheppey Crossing": ("ME10", "ME11"),
    "Sandbanks Ferry": ("BH13", "BH19"),
    "Woolwich Ferry": ("E16", "SE18"),
    "King Harry Ferry": ("TR3", "TR2"),
    "Isle of Wight ferry (Wightlink), Portsmouth": ("PO1", "PO33"),
    "Isle of Wight ferry (Red Funnel)": ("SO14", "PO32"),
    "Isle of Wight ferry (Wightlink), Lymington": ("SO41", "PO41"),
    "Isles of Scilly ferry (Scillonian)": ("TR18", "TR21"),
    "Severn Bridge (M48)": ("BS35", "NP16"),
    "Prince of Wales Bridge (M4)": ("BS35", "NP26"),
}
EXTRA_CROSSINGS = [
    ("Severn Bridge (M48)", "bridge", "Aust", 51.603, -2.627, "Beachley", 51.617, -2.650,
     "M48; England-Wales"),
    ("Prince of Wales Bridge (M4)", "bridge", "Severn Beach", 51.565, -2.660, "Sudbrook",
     51.585, -2.720, "M4 Second Severn Crossing; England-Wales"),
]
#: Waypoints strung along one road, in order: only consecutive ones are linked to each other
#: (added when the triangulation lacks the link, dropped when it skips a junction: the land
#: between, Whitbarrow, Witherslack and the Cartmel fells, has no road parallel to the A590).
ROADS: dict[str, list[str]] = {
    "A590": ["~Levens (A590/A6)", "~Gilpin Bridge (A590)", "~Lindale (A590)",
             "~High Newton (A590)", "~Newby Bridge (A590)", "~Haverthwaite (A590)",
             "~Greenodd (A590)"],
}
#: Crossings whose road is not the straight line between its ends (the Mersey tunnels curve
#: under the river; the Humber Bridge's deck with its approach viaducts): km, general knowledge.
ROUTE_KM = {"Queensway Tunnel": 3.24, "Kingsway Tunnel": 2.48, "Humber Bridge": 2.22}
#: Points of a motorway between junctions (no way on or off): joined only along the road, never
#: to the places around (a straight link from the Lune Gorge to Kirkby Stephen would be a
#: junction that does not exist).
MOTORWAY_BENDS = ("M180 Trent bridge", "M3 Twyford Down", "M5 Berkeley bend", "M6 Keele",
                  "M6 Lune Gorge (Low Borrowbridge)")
#: Trunk roads that really cross a barrier (a bridge or tunnel): their snapped link is kept.
TRUNK_CROSSINGS: dict[str, str] = {
    "A15": "Humber, Ouse and Trent",                      # Humber Bridge
    "M25": "Thames below Blackwall",                      # Dartford Crossing
    "M4": "Severn estuary and Bristol Channel",           # Prince of Wales Bridge
    "M48": "Severn estuary and Bristol Channel",          # Severn Bridge
    "A38": "Tamar and Plymouth Sound",                    # Tamar Bridge
    "A19": "Tyne below Newcastle",                        # Tyne Tunnel
    "A249 Sheppey": "The Swale",                          # Sheppey Crossing
    "A130": "Crouch estuary",                             # Battlesbridge, its head
    "A552/A41 Queensway Tunnel": "Mersey estuary",
    "Kingsway Tunnel (A59)": "Mersey estuary",
}
#: Scilly's off-islands (TR22-TR25) are reached by inter-island launches from St Mary's.
INTER_ISLAND = [("TR21", t) for t in ("TR22", "TR23", "TR24", "TR25")]


def load_places() -> tuple[pd.DataFrame, dict[str, str]]:
    """The places, and where each trunk point stands (:func:`trunk_places`): a district or
    A590 junction, or a waypoint added here for it."""
    t = pd.read_csv(DISTRICTS, keep_default_na=False, dtype={"district": str})
    area = t["district"].str.extract(r"^([A-Z]+)")[0]
    keep = t["country"].isin(["E", "W"]) | (
        (t["country"] == "S") & area.isin(SCOTTISH_BORDER_AREAS))
    keep &= t["lat"].between(49.8, 56.0) & t["lon"].between(-6.5, 1.8)
    places = t.loc[keep, ["district", "lat", "lon", "country"]].rename(
        columns={"district": "place_id"})
    places["kind"] = "district"
    extra = pd.DataFrame(WAYPOINTS, columns=["place_id", "lat", "lon"])
    extra["country"], extra["kind"] = "E", "waypoint"
    places = pd.concat([places, extra], ignore_index=True)
    trunk = trunk_places(places)
    new = sorted({(v, *POINTS[k]) for k, v in trunk.items() if v not in set(places["place_id"])})
    road = pd.DataFrame(new, columns=["place_id", "lat", "lon"])
    # A waypoint's country is its nearest district's (the A74(M) and A75 run into Scotland).
    px, py = to_grid(places["lat"].to_numpy(), places["lon"].to_numpy())
    wx, wy = to_grid(road["lat"].to_numpy(), road["lon"].to_numpy())
    _, near = cKDTree(np.column_stack([px, py])).query(np.column_stack([wx, wy]))
    road["country"] = places["country"].to_numpy()[near]
    road["kind"] = "waypoint"
    places = pd.concat([places, road], ignore_index=True)
    return places.sort_values("place_id").reset_index(drop=True), trunk


def _mainland(places: pd.DataFrame) -> np.ndarray:
    """Indices of the places not on an island without a fixed link (where roads can go)."""
    island = places["place_id"].isin([p for members in ISLANDS.values() for p in members])
    return np.flatnonzero(~island.to_numpy())


def trunk_places(places: pd.DataFrame) -> dict[str, str]:
    """The place each trunk point (``POINTS``) stands at: the nearest mainland
    place when one is within SNAP_KM, else a waypoint of its own (``~`` + its label), so that
    roads through open country keep their line instead of zig-zagging between the centroids
    of large rural districts."""
    mainland = _mainland(places)
    x, y = to_grid(places["lat"].to_numpy()[mainland], places["lon"].to_numpy()[mainland])
    labels = sorted(POINTS)
    px, py = to_grid(np.array([POINTS[k][0] for k in labels]),
                     np.array([POINTS[k][1] for k in labels]))
    dist, nearest = cKDTree(np.column_stack([x, y])).query(np.column_stack([px, py]))
    ids = places["place_id"].to_numpy()[mainland][nearest]
    at = {k: (str(i) if d <= SNAP_KM * 1000 else f"~{k}")
          for k, i, d in zip(labels, ids, dist, strict=True)}
    # A point of one of ROADS (the A590) stands at that road's junction, not beside it.
    wx, wy = to_grid(np.array([w[1] for w in WAYPOINTS]), np.array([w[2] for w in WAYPOINTS]))
    wd, wk = cKDTree(np.column_stack([wx, wy])).query(np.column_stack([px, py]))
    for k, d, j in zip(labels, wd, wk, strict=True):
        junction = WAYPOINTS[int(j)][0]
        if d <= WAYPOINT_SNAP_KM * 1000 and any(
                road in k and junction in chain for road, chain in ROADS.items()):
            at[k] = junction
    return at


def trunk_chains(at: Mapping[str, str]) -> dict[str, list[str]]:
    """Each trunk road as the places it passes (``at``: :func:`trunk_places`), in order,
    repeats removed."""
    chains = {}
    for road, labels in ROUTES.items():
        chain = [at[labels[0]]]
        for k in labels[1:]:
            if at[k] != chain[-1]:
                chain.append(at[k])
        chains[road] = chain
    return chains


def load_crossings() -> pd.DataFrame:
    # The project's shared reference data when present (next to the repository), else the
    # copy shipped with the package (written by this script).
    shared = ROOT.parent / "shared" / "data" / "england-crossings.csv"
    source = shared if shared.exists() else DATA / "crossings.csv"
    c = pd.read_csv(source, keep_default_na=False)
    c = c[[col for col in c.columns if col not in ("a_place", "b_place")]]
    # Three crossings share the name "Isle of Wight ferry (Wightlink)": key them by port.
    c["name"] = [f"{n}, {a}" if n == "Isle of Wight ferry (Wightlink)" else n
                 for n, a in zip(c["name"], c["a_name"], strict=True)]
    extra = pd.DataFrame(EXTRA_CROSSINGS, columns=["name", "kind", "a_name", "a_lat", "a_lon",
                                                   "b_name", "b_lat", "b_lon", "note"])
    c = pd.concat([c[~c["name"].isin(extra["name"])], extra], ignore_index=True)
    c["a_place"] = [ATTACH[n][0] for n in c["name"]]
    c["b_place"] = [ATTACH[n][1] for n in c["name"]]
    return c


def delaunay_links(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Unique undirected Delaunay edges (i < j)."""
    tri = Delaunay(np.column_stack([x, y]))
    s = tri.simplices
    # Places at the very same point as another (non-geographic districts) are left out of
    # the triangulation: join each to its twin.
    twins = tri.coplanar[:, [0, 2]] if len(tri.coplanar) else np.zeros((0, 2), int)
    edges = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]], twins])
    edges.sort(axis=1)
    return np.unique(edges, axis=0)


def _chain_links(index: Mapping[str, int]) -> set[tuple[int, int]]:
    """(i, j), i < j, of consecutive waypoints along each road of ROADS."""
    out: set[tuple[int, int]] = set()
    for chain in ROADS.values():
        for a, b in itertools.pairwise(chain):
            i, j = index[a], index[b]
            out.add((min(i, j), max(i, j)))
    return out


def road_chains(edges: np.ndarray, index: Mapping[str, int],
                trunk: Mapping[str, list[str]]) -> np.ndarray:
    """Edges with each road of ROADS joined junction to junction and never skipping one, and
    no link between two waypoints of one trunk road that are not next to each other on it
    (a straight line between them would be a second road beside the real one)."""
    on_road = _chain_links(index)
    ids = {index[w] for chain in ROADS.values() for w in chain}
    skip = np.array([(int(a) in ids and int(b) in ids and (int(a), int(b)) not in on_road)
                     for a, b in edges], dtype=bool)
    member: dict[int, set[str]] = {}
    next_to: set[tuple[int, int]] = set()
    for road, chain in trunk.items():
        for w in chain:
            if w.startswith("~"):
                member.setdefault(index[w], set()).add(road)
        for a, b in itertools.pairwise(index[w] for w in chain):
            next_to.add((min(a, b), max(a, b)))
    skip |= np.array([bool(member.get(int(a), set()) & member.get(int(b), set()))
                      and (int(a), int(b)) not in next_to for a, b in edges], dtype=bool)
    edges = np.vstack([edges[~skip], np.array(sorted(on_road), dtype=edges.dtype)])
    return np.unique(edges, axis=0)


def trunk_links(places: pd.DataFrame, chains: Mapping[str, list[str]], x: np.ndarray,
                y: np.ndarray, r0: np.ndarray, r1: np.ndarray,
                names: np.ndarray) -> pd.DataFrame:
    """``from, to, name`` of the trunk links: consecutive places of each road joined; a link
    used by several roads is named after all of them. A link crossing a barrier is dropped
    (and reported) unless its road crosses that barrier by a bridge or tunnel
    (``TRUNK_CROSSINGS``)."""
    pid = places["place_id"].to_numpy()
    index = {p: k for k, p in enumerate(pid)}
    roads: dict[tuple[int, int], set[str]] = {}
    for road, chain in chains.items():
        for a, b in itertools.pairwise(index[w] for w in chain):
            roads.setdefault((min(a, b), max(a, b)), set()).add(road)
    edges = np.array(sorted(roads), dtype=int).reshape(-1, 2)
    pts = np.column_stack([x, y])
    hit = crosses_any(pts[edges[:, 0]], pts[edges[:, 1]], r0, r1)
    keep = hit < 0
    for k, ((a, b), h) in enumerate(zip(edges, hit, strict=True)):
        if h >= 0:
            on = roads[(int(a), int(b))]
            keep[k] = any(TRUNK_CROSSINGS.get(r) == names[h] for r in on)
            print(f"{'kept' if keep[k] else 'dropped'} trunk link {pid[a]}-{pid[b]} "
                  f"({'; '.join(sorted(on))}) across {names[h]}")
    edges = edges[keep]
    return pd.DataFrame({"from": pid[edges[:, 0]], "to": pid[edges[:, 1]],
                         "name": ["; ".join(sorted(roads[(int(a), int(b))]))
                                  for a, b in edges]})


def gabriel_violations(x: np.ndarray, y: np.ndarray, edges: np.ndarray,
                       beta: float) -> np.ndarray:
    """True where another place lies within beta × half the link length of its midpoint."""
    tree = cKDTree(np.column_stack([x, y]))
    i, j = edges[:, 0], edges[:, 1]
    mx, my = (x[i] + x[j]) / 2, (y[i] + y[j]) / 2
    half = np.hypot(x[i] - x[j], y[i] - y[j]) / 2
    bad = np.zeros(len(edges), bool)
    for k in range(len(edges)):
        near = tree.query_ball_point((mx[k], my[k]), beta * half[k] * (1 - 1e-9))
        bad[k] = any(n != i[k] and n != j[k] for n in near)
    return bad


def main(out: Path = DATA) -> None:
    """Build the network from its sources and write it to ``out`` (default: the shipped
    data; the link-length constants are always read from the shipped calibration.json)."""
    places, at = load_places()
    pid = places["place_id"].to_numpy()
    lat, lon = places["lat"].to_numpy(), places["lon"].to_numpy()
    x, y = to_grid(lat, lon)
    index = {p: k for k, p in enumerate(pid)}

    barrier_rows = [(name, seq, a, o) for name, pts in BARRIERS.items()
                    for seq, (a, o) in enumerate(pts)]
    barrier_table = pd.DataFrame(barrier_rows, columns=["barrier", "seq", "lat", "lon"])

    r0, r1, names = barrier_segments(barrier_table)
    chains = trunk_chains(at)
    bends = np.isin(pid, [at[k] for k in MOTORWAY_BENDS if at[k].startswith("~")])
    open_to_all = np.flatnonzero(~bends)  # bends stay out of the triangulation
    edges = road_chains(open_to_all[delaunay_links(x[open_to_all], y[open_to_all])], index,
                        chains)
    geo = geodesic_km(lat[edges[:, 0]], lon[edges[:, 0]], lat[edges[:, 1]], lon[edges[:, 1]])
    geo = np.maximum(geo, 0.001)  # twins at the same point: a link must be longer than 0
    reason = np.full(len(edges), "", dtype=object)
    reason[geo > MAX_LINK_KM] = "too long"
    gab = gabriel_violations(x, y, edges, GABRIEL_BETA)
    on_road = _chain_links(index)
    gab &= ~np.array([(int(a), int(b)) in on_road for a, b in edges])  # a road is a road
    reason[(reason == "") & gab] = "gabriel"
    pts = np.column_stack([x, y])
    hit = crosses_any(pts[edges[:, 0]], pts[edges[:, 1]], r0, r1)
    reason[(reason == "") & (hit >= 0)] = [f"barrier: {names[h]}" for h in
                                           hit[(reason == "") & (hit >= 0)]]
    for island, members in ISLANDS.items():
        on = np.isin(pid, members)
        cut = on[edges[:, 0]] != on[edges[:, 1]]
        reason[(reason == "") & cut] = f"island: {island}"
    keep = reason == ""
    for r in sorted(set(reason[~keep])):
        print(f"dropped {np.sum(reason == r):5d} links: {r}")

    links = pd.DataFrame({"from": pid[edges[keep, 0]], "to": pid[edges[keep, 1]],
                          "geo_km": geo[keep], "crossing_km": 0.0, "kind": "road",
                          "name": ""})
    trunk = trunk_links(places, chains, x, y, r0, r1, names)
    ti, tj = trunk["from"].map(index).to_numpy(), trunk["to"].map(index).to_numpy()
    trunk["geo_km"] = geodesic_km(lat[ti], lon[ti], lat[tj], lon[tj])
    trunk["crossing_km"] = 0.0
    trunk["kind"] = ["motorway" if any(is_motorway(r) for r in n.split("; ")) else "trunk"
                     for n in trunk["name"]]
    links = pd.concat([links, trunk[links.columns]], ignore_index=True)
    crossings = load_crossings()
    rows = []
    for c in crossings.to_dict("records"):
        a, b = index[c["a_place"]], index[c["b_place"]]
        a_lat, a_lon = float(c["a_lat"]), float(c["a_lon"])
        b_lat, b_lon = float(c["b_lat"]), float(c["b_lon"])
        leg_a = float(geodesic_km(lat[a], lon[a], a_lat, a_lon))
        leg_b = float(geodesic_km(lat[b], lon[b], b_lat, b_lon))
        span = ROUTE_KM.get(str(c["name"]), float(geodesic_km(a_lat, a_lon, b_lat, b_lon)))
        kind = "ferry" if "ferry" in str(c["kind"]) else "crossing"
        rows.append((c["a_place"], c["b_place"], leg_a + leg_b, span, kind, c["name"]))
    for a_id, b_id in INTER_ISLAND:
        a, b = index[a_id], index[b_id]
        span = float(geodesic_km(lat[a], lon[a], lat[b], lon[b]))
        rows.append((a_id, b_id, 0.0, span, "ferry", "Isles of Scilly inter-island launch"))
    links = pd.concat([links, pd.DataFrame(rows, columns=links.columns)], ignore_index=True)
    links["geo_km"] = links["geo_km"].round(4)
    links["crossing_km"] = links["crossing_km"].round(4)

    calib = json.loads((DATA / "calibration.json").read_text()) if (
        DATA / "calibration.json").exists() else {"detour": 1.25, "per_link_km": 0.0}
    links["km"] = apply_calibration(links, calib).round(4)

    out.mkdir(parents=True, exist_ok=True)
    for path in out.glob("*.*"):
        path.chmod(0o644)  # shipped data: readable by everyone (mkstemp creates 0600)
    with atomic_open(out / "places.csv.gz", "wb") as fh:
        places.to_csv(fh, index=False, compression={"method": "gzip", "mtime": 0})
    with atomic_open(out / "links.csv.gz", "wb") as fh:
        links.to_csv(fh, index=False, compression={"method": "gzip", "mtime": 0})
    with atomic_open(out / "barriers.csv", "w", newline="") as fh:
        barrier_table.to_csv(fh, index=False)
    with atomic_open(out / "crossings.csv", "w", newline="") as fh:
        crossings.to_csv(fh, index=False)
    n_cross = int(links["kind"].isin(["crossing", "ferry"]).sum())
    n_trunk = int(links["kind"].isin(["motorway", "trunk"]).sum())
    print(f"{len(places)} places, {len(links)} links ({n_trunk} trunk, of which "
          f"{int((links.kind == 'motorway').sum())} motorway; {n_cross} crossings and "
          f"ferries), calibration {calib}")


def apply_calibration(links: pd.DataFrame, calib: Mapping[str, float]) -> pd.Series:
    """``km`` of each link: road legs by :func:`road_km`, trunk links by :func:`trunk_km`,
    crossings at their own length."""
    geo = links["geo_km"].to_numpy()
    kind = links["kind"].to_numpy()
    km = np.where(kind == "motorway", trunk_km(geo, calib, motorway=True),
                  np.where(kind == "trunk", trunk_km(geo, calib), road_km(geo, calib)))
    return pd.Series(km, index=links.index) + links["crossing_km"]


def is_motorway(road: str) -> bool:
    """Whether a road of ``ROUTES`` (``trunk_routes.csv``) is a motorway: every road its name
    lists is one (``"M6"``, ``"A1(M)"``, ``"M4 J1-J4"``); a route named after a motorway and an
    A-road (``"A2/M2"``, ``"M67 / A628 / A616"``) is charged as an A-road, the slower of the
    two."""
    parts = [p.strip() for p in road.split("/") if p.strip()]
    return bool(parts) and all(re.match(r"M\d", p) or "(M)" in p.split()[0] for p in parts)


def trunk_km(geo_km: np.ndarray, calib: Mapping[str, float], *,
             motorway: bool = False) -> np.ndarray:
    """Length of a trunk link: ``geo × detour + per_trunk_km``, where ``detour`` is
    ``detour_motorway`` on motorways and ``detour_trunk`` on primary A-roads.

    One circuity per class: the points of a road are close enough together that the straight
    pieces between them follow its bends; A-roads still wind more between points than
    motorways do.
    """
    g = np.asarray(geo_km, float)
    detour = float(calib.get("detour_trunk", calib.get("detour_long", 1.25)))
    if motorway:
        detour = float(calib.get("detour_motorway", detour))
    return np.where(g > 0, g * detour + float(calib.get("per_trunk_km", 0.0)), 0.0)


def road_km(geo_km: np.ndarray, calib: Mapping[str, float]) -> np.ndarray:
    """Road length of straight legs: ``geo × circuity(geo) + per_link_km`` (0 stays 0).

    The circuity grows from ``detour_short`` for very short legs to ``detour_long`` for long
    ones over ``scale_km``: a path of short links in a conurbation already zig-zags between
    district centroids (its straight pieces add up to more than the crow flies), whereas a
    20 km link between two rural centroids stands for a road that winds in between.
    Old two-parameter calibrations (``detour``, ``per_link_km``) are the constant case.
    """
    g = np.asarray(geo_km, float)
    long = float(calib.get("detour_long", calib.get("detour", 1.25)))
    short = float(calib.get("detour_short", long))
    scale = float(calib.get("scale_km", 1.0))
    factor = long - (long - short) * np.exp(-g / scale)
    return np.where(g > 0, g * factor + float(calib.get("per_link_km", 0.0)), 0.0)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
