"""WGS-84 geodesics, vectorised: the contract's "geodesic" distance and the access legs of
road distances (snapping). Both the road network and the distance matrix use them, so they
live below both.

pyproj implements Karney's algorithm, the one geopy uses, over whole arrays. It is imported
on the first geodesic (a tenth of a second): a road distance whose snapping is already known
(``bedplan suggest`` on a census it has seen) never needs it.
"""

from __future__ import annotations

import functools
import os
from importlib.util import find_spec
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from models.domain import Instance

if TYPE_CHECKING:
    from pyproj import Geod

#: Above this many patient-unit pairs the matrix is float32 (0.1 m resolution at 1,000 km)
#: instead of float64: 100,000 patients x 5,000 units is then 2 GB instead of 4 GB, which
#: keeps the largest runs within 8 GiB. Below it, float64 keeps hand-checked sums exact.
LARGE_PAIRS = 50_000_000


def matrix_dtype(n_patients: int, n_units: int) -> type[np.floating]:
    """float64, or float32 for instances past :data:`LARGE_PAIRS` pairs."""
    return np.float32 if n_patients * n_units > LARGE_PAIRS else np.float64


def geodesic_km(lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike,
                lon2: npt.ArrayLike) -> np.ndarray:
    """Element-wise WGS-84 geodesic distance in km (agrees with geopy's ``geodesic``)."""
    a1, o1, a2, o2 = np.broadcast_arrays(
        np.asarray(lat1, float), np.asarray(lon1, float), np.asarray(lat2, float),
        np.asarray(lon2, float))
    if a1.size == 0:
        return np.zeros(a1.shape)
    _, _, metres = _wgs84().inv(o1.ravel(), a1.ravel(), o2.ravel(), a2.ravel())
    return np.asarray(metres, dtype=float).reshape(a1.shape) / 1000.0


def geodesic_matrix(instance: Instance) -> np.ndarray:
    """km from each patient's home (rows) to each unit (columns)."""
    n, m = len(instance.patients), len(instance.units)
    if n == 0 or m == 0:
        return np.zeros((n, m))
    homes = np.array([(p.home_lat, p.home_lon) for p in instance.patients], dtype=float)
    sites = np.array([(u.lat, u.lon) for u in instance.units], dtype=float)
    # Many patients share a home centroid: compute each distinct home once.
    uniq, inverse = np.unique(homes, axis=0, return_inverse=True)
    km = geodesic_km(uniq[:, None, 0], uniq[:, None, 1], sites[None, :, 0], sites[None, :, 1])
    return km.astype(matrix_dtype(n, m), copy=False)[inverse.ravel()]


@functools.cache
def _wgs84() -> Geod:
    from pyproj import Geod

    return Geod(ellps="WGS84")


@functools.cache
def implementation() -> str:
    """Which geodesic code this process would run (pyproj's files: path, size, mtime),
    found without importing it: part of the key of anything cached from geodesics, so a
    cache is never read back by another version of the library."""
    spec = find_spec("pyproj")
    if spec is None or spec.origin is None:
        return "pyproj:absent"
    folder = os.path.dirname(spec.origin)
    parts = []
    for name in sorted(os.listdir(folder)):
        if name == "__init__.py" or name.startswith("_geod."):
            st = os.stat(os.path.join(folder, name))
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return f"pyproj:{folder}:" + ",".join(parts)
