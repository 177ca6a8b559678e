"""What every part of the service shares: the settings and the per-app state.

It lives in its own module so that the app factory, the routers, the request guard and the
dependencies all import it and none of them imports another (no import circle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .distances import DistanceCache

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

    from .auth import Signer
    from .census import CensusCache
    from .jobs import JobRunner
    from .throttle import LoginThrottle

#: The map tiles the page shows by default (OpenStreetMap's standard layer).
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


@dataclass(frozen=True)
class Settings:
    """What ``bedplan serve`` passes in."""

    data_dir: Path
    db_url: str | None = None  # default: sqlite file DATA_DIR/bedplan.db
    instance: Path | None = None  # imported at start when the census is empty
    secret: str | None = None  # default: DATA_DIR/secret_key
    secure_cookies: bool = False  # True behind HTTPS
    warm_up: bool = True  # load the road network at start (first suggestion fast)
    #: Failed logins allowed per account and per client address within ``login_window``
    #: seconds before further attempts answer 429 (see :mod:`bedplan.service.throttle`).
    login_failures_per_account: int = 5
    login_failures_per_address: int = 30
    login_window: int = 15 * 60
    #: Map tile URL template (``{z}/{x}/{y}``), or None for a map without a background.
    map_tiles: str | None = OSM_TILES
    #: Run plan jobs in a child process: a stop kills it at once, and a plan out of memory
    #: ends its own process, not the server (tests turn it off to save the child's start-up).
    isolate_plans: bool = True

    @property
    def url(self) -> str:
        return self.db_url or f"sqlite:///{(self.data_dir / 'bedplan.db').resolve()}"


@dataclass
class State:
    """Everything the routes share (one per app)."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    cache: CensusCache
    signer: Signer
    jobs: JobRunner
    throttle: LoginThrottle
    distances: DistanceCache = field(default_factory=DistanceCache)
    extra: dict[str, Any] = field(default_factory=dict)


def state_of(request: HTTPConnection) -> State:
    """The app's :class:`State` (set by :func:`bedplan.service.app.create_app`)."""
    st: State = request.app.state.bedplan
    return st
