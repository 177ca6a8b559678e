"""The census's km matrix (patients × units), held by the service between requests.

:func:`optimiser.planning.suggest.suggest` takes the instance's full distance matrix when
the caller has one ("a long-lived service"): a suggestion then reads its patient's row
instead of searching the road network from the patient's home (England: ~13 ms instead of
~31 ms, the same answer). The matrix depends only on the units' places, the patients' homes
(in census order), the distance mode and the geography, so accepts and bed changes keep it;
an import, or an admitted inline referral (a new row), makes a new one, computed in a
background thread while suggestions compute their own row meanwhile. Censuses larger than
:data:`MAX_CELLS` are never held (memory): they always compute the row.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from models.domain import Instance

log = logging.getLogger(__name__)

#: Largest matrix held: 25 million cells (200 MB of float64); England is ~5 million.
MAX_CELLS = 25_000_000
#: Small censuses (tests, examples) are computed at once rather than in the background.
INLINE_CELLS = 200_000


def signature(instance: Instance) -> tuple[Any, ...]:
    """Everything the matrix depends on."""
    return (instance.policy.distance, instance.geography,
            tuple((u.unit_id, u.lat, u.lon) for u in instance.units),
            tuple((p.home_lat, p.home_lon) for p in instance.patients))


class DistanceCache:
    """The matrix of the latest census, if it is known and still fits it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._km: np.ndarray | None = None
        self._checked: tuple[Instance, bool] | None = None  # the last instance compared
        self._busy = False

    def matrix_for(self, instance: Instance, *, wait: bool = False) -> np.ndarray | None:
        """The matrix for ``instance``, or None (then one is being made, unless the census
        is too large). ``wait``: make it now if needed (the warm-up at start)."""
        with self._lock:
            if self._checked is not None and self._checked[0] is instance:
                return self._km if self._checked[1] else None
        cells = len(instance.patients) * len(instance.units)
        if not cells or cells > MAX_CELLS:
            return None
        key = signature(instance)
        with self._lock:
            fits = self._km is not None and key == self._key
            self._checked = (instance, fits)
            if fits or self._busy:
                return self._km if fits else None
            self._busy = True
        if wait or cells <= INLINE_CELLS:
            self._make(instance, key)
            with self._lock:
                return self._km if self._key == key else None
        threading.Thread(target=self._make, args=(instance, key), daemon=True,
                         name="bedplan-distances").start()
        return None

    def _make(self, instance: Instance, key: tuple[Any, ...]) -> None:
        from optimiser.geography.distances import distance_matrix

        try:
            km = np.asarray(distance_matrix(instance), dtype=float)
            with self._lock:
                self._km, self._key, self._checked = km, key, None
            log.info("distance matrix ready: %d patients x %d units", *km.shape)
        except Exception:  # suggestions go on computing their own rows
            log.warning("distance matrix failed", exc_info=True)
        finally:
            with self._lock:
                self._busy = False
