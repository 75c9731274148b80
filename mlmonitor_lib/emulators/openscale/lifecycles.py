"""How long the emulated OpenScale keeps its resources in each state, and where that was read.

The real service is not instantly ready (../shared/notes/live-contracts.md): subscriptions and
monitor instances are ``preparing`` before ``active``, the payload logging and feedback data sets
appear some seconds after the subscription, a records request is accepted (202) before it is
stored, stored records are counted only after a further delay, and monitor runs are ``running``
before ``finished``. Each resource walks through those states with a
:class:`~mlmonitor_lib.emulators.pace.Progress` at the emulator's pace: at ``instant`` pace each
intermediate state is seen by exactly one API read, at ``realistic`` pace it lasts a compressed
share of the seconds below.

Sources of the seconds (the states themselves are the SDK's ``StateEnum`` values in
``ibm_watson_openscale/base_classes/watson_open_scale_v2.py``):

* IBM/watson-openscale-samples, ``IBM Cloud/AWS Sagemaker/notebooks/AI OpenScale and SageMaker
  ML Engine.ipynb``, recorded outputs (the SDK checks every 5 s, so a state printed at its
  first check lasted under 5 s, one printed at its second check 5-10 s):
  subscription ``created_at`` 09:30:10.069 and ``modified_at`` 09:30:12.124, ``active`` at the
  first check; ``time.sleep(5)`` before listing the payload data set ("Payload data set not
  found. Please check subscription status."); the quality monitor printed ``preparing`` then
  ``active``; ``time.sleep(10)  # It gives enough time for dataset creation`` before storing
  feedback; store_records ``active`` at the first check; the quality run ``finished`` at the
  first check, the drift run ``running`` at two checks before ``finished``.
* The same notebook counts records 5 s after storing them (``time.sleep(5)`` then
  ``get_records_count``, cells 62 and 89) and sees them all: a request is pending and then
  counted within 5 s (2.0 + 2.5 s here).
* IBM/mlmonitor ``mlmonitor/src/wos/run_payload_logging.py``: after
  ``store_records(background_mode=False)`` returned, it polls ``get_records_count`` every 5 s
  up to 13 times (``patience = 12``) until the count reaches what was sent: its patience, not
  a measured lag.

How the 5 s split between a pending request and a lagging count is not public: an estimate,
kept configurable like every other delay here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mlmonitor_lib.emulators.pace import Pace, Progress

PREPARING = "preparing"
ACTIVE = "active"
RUNNING = "running"
WAITING = "waiting"  # a walk that starts only once another one has ended (no time of its own)
HIDDEN = "creating"  # a data set OpenScale is still creating: not listed, 404 on GET
LAGGING = "lagging"  # stored records not counted yet
VISIBLE = "visible"


@dataclass(frozen=True)
class Delays:
    """Seconds the real service holds each state (compressed by the pace; see module doc)."""

    subscription_preparing_s: float = 2.0  # notebook: created 09:30:10.069, modified :12.124
    monitor_preparing_s: float = 7.5  # notebook: preparing at the 5 s check, active at 10 s
    payload_data_set_s: float = 5.0  # notebook: time.sleep(5) before listing it
    feedback_data_set_s: float = 10.0  # notebook: time.sleep(10) "for dataset creation"
    records_request_s: float = 2.0  # estimate: active at the SDK's first 5 s check
    records_count_lag_s: float = 2.5  # notebook: counted within 5 s of the request (cells 62, 89)
    run_s: float = 3.0  # notebook: quality run finished at the first 5 s check


class Lifecycles:
    """The walks of one emulator's resources, by resource id; :meth:`reset` forgets them all.

    ``observe`` is what an API read sees (it moves an ``instant`` walk on), ``peek`` what the
    emulator itself checks (it never does). A resource without a walk is in its final state.
    """

    def __init__(self, pace: Pace, delays: Delays, clock: Callable[[], float] = time.monotonic):
        self.pace, self.delays, self.clock = pace, delays, clock
        self._lock = threading.Lock()
        self._walks: dict[str, Progress] = {}

    def start(
        self,
        key: str,
        stages: Sequence[tuple[str, float]],
        final: str,
        after: Progress | None = None,
    ) -> Progress:
        """Start a walk; with ``after``, it first waits (state ``WAITING``) until that walk
        has ended, and its stages last their time from then on (e.g. data sets appear some
        seconds after their subscription is active, not after it was created)."""
        holds = None
        if after is not None:
            stages = [(WAITING, 0.0), *stages]
            holds = {WAITING: lambda: not after.done}
        walk = Progress(self.pace, stages, final, holds=holds, clock=self.clock)
        with self._lock:
            self._walks[key] = walk
        return walk

    def _walk(self, key: str) -> Progress | None:
        with self._lock:
            return self._walks.get(key)

    def observe(self, key: str) -> str | None:
        walk = self._walk(key)
        return walk.observe() if walk is not None else None

    def peek(self, key: str) -> str | None:
        walk = self._walk(key)
        return walk.peek() if walk is not None else None

    def done(self, key: str) -> bool:
        walk = self._walk(key)
        return walk is None or walk.done

    def forget(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._walks.pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._walks.clear()
