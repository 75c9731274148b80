"""The SDK's own waits made as quick as the emulators' pace: a harness tool, never used against
the real services.

The ``ibm-watson-openscale`` SDK sleeps 5 s between status checks of every
``background_mode=False`` call. Against the emulators those sleeps are replaced by a virtual
clock (see :func:`instant_sdk_waits`).
"""

from __future__ import annotations

import contextlib
import time as _time
from collections.abc import Callable, Iterator
from typing import Any


class _VirtualClock:
    """Stands in for the ``time`` module inside the SDK's wait loop.

    ``sleep(s)`` advances a virtual clock by ``s`` but really sleeps only ``compress(s)``
    (nothing at the instant pace), so the SDK's own timeout still means what it says: 300 s
    is 60 checks of 5 s, whatever the pace.
    """

    def __init__(
        self,
        compress: Callable[[float], float] | None = None,
        sleep: Callable[[float], None] = _time.sleep,
    ) -> None:
        self.slept = 0.0  # seconds the SDK asked to sleep
        self.really = 0.0  # of which slept for real
        self._compress, self._sleep = compress, sleep

    def sleep(self, seconds: float) -> None:
        asked = max(float(seconds), 0.0)
        pause = self._compress(asked) if self._compress is not None else 0.0
        if pause > 0:
            self._sleep(pause)
        self.slept += asked
        self.really += pause

    def time(self) -> float:
        return _time.time() + self.slept - self.really

    def __getattr__(self, name: str) -> Any:
        return getattr(_time, name)


@contextlib.contextmanager
def instant_sdk_waits(
    pace: Any = None, sleep: Callable[[float], None] = _time.sleep
) -> Iterator[_VirtualClock]:
    """Make the SDK's ``background_mode=False`` waits as quick as the emulators' pace (mock
    and rehearsal modes; a harness tool, never used against the real services).

    The SDK sleeps 5 s before every status check. At the ``instant`` pace (``pace`` None reads
    ``MLMONITOR_PACE``) its sleeps take no time: the emulators move a state on per read. At
    the ``realistic`` pace each sleep really lasts ``pace.seconds(5)`` (the compression the
    emulators' states use), so the SDK sees states change as a real client would.
    Replaces only the ``time`` name inside ``ibm_watson_openscale.utils.utils`` (where the wait
    loop lives), never the global ``time.sleep`` that other code and threads rely on. Nesting
    restores the previous value.
    """
    import ibm_watson_openscale.utils.utils as sdk_utils

    if pace is None:
        from mlmonitor_lib.emulators.pace import Pace

        pace = Pace.from_env()
    compress = None if pace.instant else pace.seconds
    previous, clock = sdk_utils.time, _VirtualClock(compress, sleep)
    sdk_utils.time = clock
    try:
        yield clock
    finally:
        sdk_utils.time = previous


def sdk_tokens_read(clock: Callable[[], float], monkeypatch: Any) -> None:
    """Make ``ibm-cloud-sdk-core``'s token managers read ``clock`` to decide when a token has
    expired (a real client and IBM's IAM share real time; an emulated IAM on its own clock needs
    the client on the same one), until ``monkeypatch`` (pytest's) undoes it."""
    from ibm_cloud_sdk_core.token_managers.token_manager import TokenManager

    monkeypatch.setattr(TokenManager, "_get_current_time", staticmethod(lambda: int(clock())))
