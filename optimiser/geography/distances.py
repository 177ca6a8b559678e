"""Travel distances from every patient's home to every unit, computed once per instance.

``d(p, u)`` is what the objective charges per km (contract: "road" over the travel network,
or "geodesic" on the WGS-84 ellipsoid). Nothing here loops over patient-unit pairs in
Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from models.domain import Instance
from optimiser.geography.geodesic import geodesic_km, geodesic_matrix, matrix_dtype


def distance_matrix(instance: Instance, mode: str | None = None) -> np.ndarray:
    """km, shape (patients, units); ``np.inf`` where the unit is unreachable from home."""
    mode = mode or instance.policy.distance
    if mode == "geodesic":
        return geodesic_matrix(instance)
    if mode == "road":
        from optimiser.geography.network import road_matrix  # pandas/scipy: only when used

        return road_matrix(instance)
    raise ValueError(f"unknown distance mode {mode!r}: use 'road' or 'geodesic'")


class PairDistances:
    """``d(p, u)`` for the pairs asked for, computed when asked: the optimiser needs the
    allowed pairs (compatible wards and current stays), not patients × units, so time and
    memory follow the allowed pairs (issue: 6.6 million geodesics where 0.8 million were
    allowed).

    It indexes like the dense matrix of :func:`distance_matrix`, with the same values and
    dtype: ``d[i, j]`` (a number), ``d[rows, cols]`` (pairwise, arrays of one shape),
    ``d[i]`` (a row), ``d[rows]`` / ``d[a:b]`` (a block of rows × every unit) — so code written
    for the matrix works unchanged, and code that wants only some pairs asks only for them.
    """

    def __init__(self, instance: Instance, mode: str | None = None) -> None:
        self.mode = mode or instance.policy.distance
        n, m = len(instance.patients), len(instance.units)
        self.shape = (n, m)
        self.dtype = matrix_dtype(n, m)
        if self.mode == "geodesic":
            self._homes = np.array([(p.home_lat, p.home_lon) for p in instance.patients],
                                   dtype=float).reshape(n, 2)
            self._sites = np.array([(u.lat, u.lon) for u in instance.units],
                                   dtype=float).reshape(m, 2)
            self._road = None
        elif self.mode == "road":
            from optimiser.geography.network import road_pairs  # pandas/scipy: only when used

            self._road = road_pairs(instance)
        else:
            raise ValueError(f"unknown distance mode {self.mode!r}: use 'road' or 'geodesic'")

    @property
    def ndim(self) -> int:
        return 2

    def km(self, rows: npt.ArrayLike, cols: npt.ArrayLike) -> np.ndarray:
        """km for each pair ``(rows[k], cols[k])`` (arrays of one shape; inf: unreachable)."""
        r = np.asarray(rows, dtype=np.intp)
        c = np.asarray(cols, dtype=np.intp)
        if r.shape != c.shape:
            raise ValueError(f"rows and cols differ in shape: {r.shape} and {c.shape}")
        if self._road is not None:
            return self._road.km(r, c)
        h, s = self._homes[r], self._sites[c]
        out = geodesic_km(h[..., 0], h[..., 1], s[..., 0], s[..., 1])
        return out.astype(self.dtype, copy=False)

    def __getitem__(self, key: object) -> Any:
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        n, m = self.shape
        r = np.arange(n)[rows] if isinstance(rows, slice) else np.asarray(rows, np.intp)
        c = np.arange(m)[cols] if isinstance(cols, slice) else np.asarray(cols, np.intp)
        if isinstance(cols, slice) or isinstance(rows, slice):  # a block: rows × cols
            rr, cc = np.meshgrid(np.atleast_1d(r), np.atleast_1d(c), indexing="ij")
            block = self.km(rr, cc)
            return block.reshape(np.broadcast_shapes(r.shape + (1,) * c.ndim,
                                                     (1,) * r.ndim + c.shape)
                                 if r.ndim + c.ndim < 2 else block.shape)
        if r.ndim == 0 and c.ndim == 0:
            return self.km(r.reshape(1), c.reshape(1))[0]
        rr, cc = np.broadcast_arrays(r, c)
        return self.km(rr, cc)


#: What the optimiser prices with: the dense matrix or the pairs computed when asked.
KmTable = np.ndarray | PairDistances


def km_of_pairs(distances: KmTable | None, pairs: Sequence[tuple[int | None, int | None]]
                ) -> list[float | None]:
    """km of each (patient row, unit column) pair, asked in one lookup (None: a row or
    column unknown, or unreachable): pairs are computed on ask, so one call beats one per
    pair."""
    out: list[float | None] = [None] * len(pairs)
    known = [k for k, (r, c) in enumerate(pairs) if r is not None and c is not None]
    if distances is None or not known:
        return out
    rows = np.array([pairs[k][0] for k in known], dtype=np.intp)
    cols = np.array([pairs[k][1] for k in known], dtype=np.intp)
    for k, value in zip(known, np.asarray(distances[rows, cols], dtype=float).tolist(),
                        strict=True):
        out[k] = value if math.isfinite(value) else None
    return out


def pair_distances(instance: Instance, mode: str | None = None) -> PairDistances:
    """The instance's distances, computed pair by pair when asked (see :class:`PairDistances`)."""
    return PairDistances(instance, mode)
