"""The emulated IAM's clock: real time plus an offset a test moves forward, so that a token
can expire without anybody sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class IamClock:
    """Seconds since the epoch as the emulated IAM sees them: ``now()`` plus what
    :meth:`advance` added. Time keeps flowing; it only ever jumps forward.

    Tokens are stamped (``iat``, ``exp``) and checked against this clock, so moving it past a
    token's expiry makes every service behind the IAM refuse that token with a 401, as the
    real services do once the hour is up. A client that decides for itself when to renew
    (ibm-cloud-sdk-core does) must read the same clock, as a real client reads real time.
    """

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward (never back: issued tokens would come from the
        future)."""
        if seconds < 0:
            raise ValueError(f"the IAM clock only moves forward, not by {seconds} s")
        with self._lock:
            self._offset += seconds

    @property
    def advanced_s(self) -> float:
        """How far the clock has been moved ahead of real time."""
        return self._offset
