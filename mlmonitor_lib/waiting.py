"""Waiting for cloud resources the way the real services need: bounded polling with backoff.

Why not ``time.sleep(0.5)`` in a loop: a live account throttles a DescribeEndpoint every half
second for half an hour. botocore's own waiters poll every 30 s with a fixed number of attempts
(``EndpointInService`` 30 s × 120, ``EndpointDeleted`` 30 s × 60,
``TrainingJobCompletedOrStopped`` 120 s × 180); we keep their deadlines but start with short
pauses that grow (a quick resource is seen quickly) and print each state change.

The pauses come from :class:`~mlmonitor_lib.settings.Settings` (``WAIT_FIRST_S``,
``WAIT_MAX_S``), so emulated worlds whose state machines advance per observation can poll
without sleeping, and the library never knows which mode it runs in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(Exception):
    """The deadline passed before the resource reached a final state; carries the last one."""

    def __init__(self, what: str, last: object, timeout_s: float) -> None:
        self.what, self.last, self.timeout_s = what, last, timeout_s
        super().__init__(f"{what} still {last} after {timeout_s:.0f}s")


@dataclass(frozen=True)
class WaitPolicy:
    """First pause, longest pause (pauses double in between) and deadline, in seconds."""

    first_s: float = 5.0
    max_s: float = 30.0
    timeout_s: float = 3600.0

    @classmethod
    def from_settings(cls, settings: object, timeout_s: float) -> WaitPolicy:
        return cls(float(getattr(settings, "wait_first_s", cls.first_s)),
                   float(getattr(settings, "wait_max_s", cls.max_s)), timeout_s)

    def pauses(self) -> Callable[[], float]:
        """A generator of successive pauses: first_s, 2×first_s, ... up to max_s."""
        current = [self.first_s]

        def next_pause() -> float:
            pause = min(current[0], self.max_s)
            current[0] = min(max(current[0] * 2, self.first_s), self.max_s)
            return pause

        return next_pause


def poll(
    observe: Callable[[], T],
    finished: Callable[[T], bool],
    *,
    what: str,
    policy: WaitPolicy,
    state_of: Callable[[T], object] = lambda value: value,
    on_change: Callable[[object, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call ``observe()`` until ``finished(result)``; returns that result.

    ``state_of(result)`` is what ``on_change(state, elapsed_s)`` reports when it changes and
    what :class:`WaitTimeout` names when ``policy.timeout_s`` passes first. Exceptions of
    ``observe`` propagate: the caller decides which errors mean "gone" or "retry later".
    """
    started = clock()
    pause = policy.pauses()
    last: object = object()
    while True:
        value = observe()
        state = state_of(value)
        elapsed = clock() - started
        if state != last:
            if on_change is not None:
                on_change(state, elapsed)
            last = state
        if finished(value):
            return value
        if elapsed >= policy.timeout_s:
            raise WaitTimeout(what, state, policy.timeout_s)
        sleep(pause())
