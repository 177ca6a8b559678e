"""Throttling of failed logins, per account and per client address.

Password guessing is slowed down where it happens: ``POST /api/token`` and ``POST /login``
share one :class:`LoginThrottle`. Each failed login counts against the username tried and
against the client's address, in a moving window (the ``limits`` library's moving-window
strategy, in memory). Once either count reaches its limit, every further attempt on that
account, or from that address, answers 429 with ``Retry-After`` *without checking the
password* — even the right one — until the oldest failure leaves the window, so a guesser
learns nothing more. A successful login clears its account's count (not the address's).

The counts live in the server process: a restart clears them, and N servers behind one proxy
allow N times as many attempts. Failed and refused logins are logged with the username tried
and a pseudonym of the client address (a keyed hash: repeated attempts from one address show
as one ``client-…`` name, and whoever holds the signing key can check a suspected address
with :meth:`LoginThrottle.pseudonym`), never the password.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)
_NAME_CHARS = 64  # usernames are at most 64 characters (longer ones never match an account)


class LoginThrottle:
    """Counts failed logins; says how long a login must wait (None: it may try now)."""

    def __init__(self, per_account: int = 5, per_address: int = 30,
                 window_seconds: int = 15 * 60, key: str = "") -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._account = RateLimitItemPerSecond(per_account, window_seconds)
        self._address = RateLimitItemPerSecond(per_address, window_seconds)
        self._key = key.encode()

    def pseudonym(self, address: str) -> str:
        """How the logs name a client address (the house rule: no addresses in logs)."""
        digest = hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()
        return "client-" + digest[:10]

    def wait_seconds(self, username: str, address: str) -> int | None:
        """Seconds until ``username`` from ``address`` may try again; None when it may now."""
        waits = []
        for item, key in ((self._account, ("account", username[:_NAME_CHARS])),
                          (self._address, ("address", address))):
            if not self._limiter.test(item, *key):
                reset = self._limiter.get_window_stats(item, *key).reset_time
                waits.append(max(1, math.ceil(reset - time.time())))
        if not waits:
            return None
        log.warning("login refused (throttled) for username %r from %s: retry in %d s",
                    username[:_NAME_CHARS], self.pseudonym(address), max(waits))
        return max(waits)

    def failed(self, username: str, address: str, where: str) -> None:
        """Count a failed login (logged without the password)."""
        self._limiter.hit(self._account, "account", username[:_NAME_CHARS])
        self._limiter.hit(self._address, "address", address)
        log.warning("failed login for username %r from %s (%s)", username[:_NAME_CHARS],
                    self.pseudonym(address), where)

    def succeeded(self, username: str) -> None:
        """A right password: the account starts afresh (the address does not)."""
        self._limiter.clear(self._account, "account", username[:_NAME_CHARS])
