"""Planar geometry for the built-in road-proxy network: barriers and segment crossings.

The England network links neighbouring postcode districts; a link is only a plausible road
when it does not cross open sea or an estuary without a bridge. Barriers are polylines drawn
along estuaries and bays (``data/barriers.csv``); a link that crosses one is dropped. The test
is done on the British National Grid (metres), where straight links are straight lines, for
all links against all barrier segments at once.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np
import pandas as pd
from pyproj import Transformer

_TO_GRID = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def to_grid(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 degrees → British National Grid easting, northing (metres)."""
    x, y = _TO_GRID.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def _orient(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray,
            cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Sign of the turn a→b→c (+1 left, -1 right, 0 collinear)."""
    return np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))


def crossing_matrix(p: np.ndarray, q: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Boolean (n, m): does segment p[i]-q[i] properly cross segment r[j]-s[j]?

    Points are (k, 2) arrays in a planar system. Touching at an end point does not count
    (links end at places on land, barriers run along water), so the test is the strict
    orientation test.
    """
    px, py = p[:, 0, None], p[:, 1, None]
    qx, qy = q[:, 0, None], q[:, 1, None]
    rx, ry = r[None, :, 0], r[None, :, 1]
    sx, sy = s[None, :, 0], s[None, :, 1]
    d1 = _orient(rx, ry, sx, sy, px, py)
    d2 = _orient(rx, ry, sx, sy, qx, qy)
    d3 = _orient(px, py, qx, qy, rx, ry)
    d4 = _orient(px, py, qx, qy, sx, sy)
    return np.asarray((d1 * d2 < 0) & (d3 * d4 < 0))


def crosses_any(p: np.ndarray, q: np.ndarray, r: np.ndarray, s: np.ndarray,
                chunk: int = 2048) -> np.ndarray:
    """Index (n,) of the first barrier segment each segment p-q crosses, or -1."""
    out = np.full(len(p), -1, dtype=int)
    if len(r) == 0:
        return out
    for start in range(0, len(p), chunk):
        hit = crossing_matrix(p[start:start + chunk], q[start:start + chunk], r, s)
        any_hit = hit.any(axis=1)
        out[start:start + chunk][any_hit] = hit[any_hit].argmax(axis=1)
    return out


@functools.cache
def barriers() -> pd.DataFrame:
    """The shipped barrier polylines: barrier, seq, lat, lon (one row per vertex)."""
    path = resources.files("optimiser.geography") / "data" / "barriers.csv"
    with resources.as_file(path) as p:
        return pd.read_csv(p)


def barrier_segments(table: pd.DataFrame | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Barrier segments on the grid: starts (m, 2), ends (m, 2), barrier name per segment."""
    table = barriers() if table is None else table
    starts, ends, names = [], [], []
    for name, group in table.sort_values(["barrier", "seq"]).groupby("barrier", sort=True):
        x, y = to_grid(group["lat"].to_numpy(), group["lon"].to_numpy())
        pts = np.column_stack([x, y])
        starts.append(pts[:-1])
        ends.append(pts[1:])
        names.extend([str(name)] * (len(pts) - 1))
    if not starts:
        return np.zeros((0, 2)), np.zeros((0, 2)), np.array([], dtype=str)
    return np.vstack(starts), np.vstack(ends), np.array(names)
