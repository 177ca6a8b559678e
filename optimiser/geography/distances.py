"""Travel distances from every patient's home to every unit, computed once per instance.

``d(p, u)`` is what the objective charges per km (contract: "road" over the travel network,
or "geodesic" on the WGS-84 ellipsoid). Nothing here loops over patient-unit pairs in
Python.
"""

from __future__ import annotations

import numpy as np

from models.domain import Instance
from optimiser.geography.geodesic import geodesic_matrix


def distance_matrix(instance: Instance, mode: str | None = None) -> np.ndarray:
    """km, shape (patients, units); ``np.inf`` where the unit is unreachable from home."""
    mode = mode or instance.policy.distance
    if mode == "geodesic":
        return geodesic_matrix(instance)
    if mode == "road":
        from optimiser.geography.network import road_matrix  # pandas/scipy: only when used

        return road_matrix(instance)
    raise ValueError(f"unknown distance mode {mode!r}: use 'road' or 'geodesic'")
