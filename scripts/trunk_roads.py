"""Trunk-road layer of the built-in England road-proxy network, read from its data files.

Motorways and primary A-roads of England, plus the links into Wales and Scotland that English
journeys use, as points along each road in order (``scripts/data/roads/``, described in its
README):

- ``trunk_points.csv``: ``point,lat,lon,section`` -- one row per labelled point (a junction,
  a town served, a bend), WGS-84 degrees to about 1 km; ``section`` only groups rows for
  reading;
- ``trunk_routes.csv``: ``route,seq,point`` -- each road as its points in order (``seq``
  1, 2, ...); a ring starts and ends on the same point; a junction shared by two roads is one
  point used in both.

``scripts/build_network.py`` snaps every point to its nearest place and joins consecutive
points with ``kind=motorway`` / ``kind=trunk`` links. Data kept as CSV so that it can be
reviewed and corrected as data; this module only reads and checks it. Edit the CSVs, then
rebuild: ``python scripts/build_network.py && python scripts/calibrate_roads.py``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

ROADS_DIR = Path(__file__).resolve().parent / "data" / "roads"
POINTS_FILE = ROADS_DIR / "trunk_points.csv"
ROUTES_FILE = ROADS_DIR / "trunk_routes.csv"


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, row) of a CSV with exactly these leading columns."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ())[:len(columns)] != columns:
            raise SystemExit(f"{path.name}: header must start {','.join(columns)}, "
                             f"got {','.join(reader.fieldnames or ())}")
        return [(n, row) for n, row in enumerate(reader, start=2)]


def load_points(path: Path = POINTS_FILE) -> dict[str, tuple[float, float]]:
    """point -> (lat, lon), in file order; SystemExit naming file, row and column when a row
    is unusable (a duplicate point, a coordinate that is not a number or out of range)."""
    points: dict[str, tuple[float, float]] = {}
    problems = []
    for n, row in _rows(path, ("point", "lat", "lon")):
        label = row["point"]
        if not label:
            problems.append(f"{path.name}:{n}: point: empty")
        elif label in points:
            problems.append(f"{path.name}:{n}: point: duplicate {label!r}")
        coords = []
        for col, limit in (("lat", 90.0), ("lon", 180.0)):
            try:
                value = float(row[col])
            except (TypeError, ValueError):
                problems.append(f"{path.name}:{n}: {col}: {row[col]!r} is not a number")
                continue
            if not (math.isfinite(value) and abs(value) <= limit):
                problems.append(f"{path.name}:{n}: {col}: {value} out of range")
            coords.append(value)
        if label and label not in points and len(coords) == 2:
            points[label] = (coords[0], coords[1])
    if problems:
        raise SystemExit("\n".join(problems))
    return points


def load_routes(points: dict[str, tuple[float, float]],
                path: Path = ROUTES_FILE) -> dict[str, list[str]]:
    """route -> its points in order (``seq`` 1, 2, ... with no gap); SystemExit naming file,
    row and column for an unknown point, a bad ``seq``, or a route of fewer than 2 points."""
    seqs: dict[str, list[tuple[int, str]]] = {}
    problems = []
    for n, row in _rows(path, ("route", "seq", "point")):
        route, label = row["route"], row["point"]
        if not route:
            problems.append(f"{path.name}:{n}: route: empty")
        if label not in points:
            problems.append(f"{path.name}:{n}: point: {label!r} is not in {POINTS_FILE.name}")
        try:
            seq = int(row["seq"])
        except (TypeError, ValueError):
            problems.append(f"{path.name}:{n}: seq: {row['seq']!r} is not an integer")
            continue
        seqs.setdefault(route, []).append((seq, label))
    routes = {}
    for route, items in seqs.items():
        if [s for s, _ in items] != list(range(1, len(items) + 1)):
            problems.append(f"{path.name}: route {route!r}: seq must run 1, 2, ... in order")
        if len(items) < 2:
            problems.append(f"{path.name}: route {route!r}: needs at least 2 points")
        routes[route] = [label for _, label in items]
    if problems:
        raise SystemExit("\n".join(problems))
    return routes


def load() -> tuple[dict[str, tuple[float, float]], dict[str, list[str]]]:
    """(POINTS, ROUTES): every labelled point and every road as its points in order."""
    points = load_points()
    return points, load_routes(points)
