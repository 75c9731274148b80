"""One pace for every emulator's state machines: ``instant`` (the default) or ``realistic``.

Why: the real services are not instantly ready. SageMaker endpoints are ``Creating`` for minutes
and ``Deleting`` for tens of seconds, training jobs walk through secondary statuses, OpenScale
subscriptions and monitors are ``preparing`` before ``active``, and payload counts catch up
after a delay (sources in ../shared/notes/live-contracts.md). The library's waiting code must
run against that in every CI run, so every intermediate state is visible at both paces:

* ``instant``: each intermediate state is seen by exactly one observation (a Describe, a List,
  a GET), then the next one; nothing ever sleeps, runs stay quick and deterministic.
* ``realistic``: each state lasts a compressed share of the real service's time
  (:meth:`Pace.seconds`: a minute becomes a second, capped at a few seconds), measured on the
  monotonic clock; the library's polling, backoff and deadlines really run.

Chosen with ``--pace`` or ``MLMONITOR_PACE``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PACES = ("instant", "realistic")
PACE_ENV = "MLMONITOR_PACE"
# realistic: one real minute lasts one second here, never less than MIN_S nor more than MAX_S
COMPRESSION = 60.0
MIN_S = 0.2
MAX_S = 3.0


@dataclass(frozen=True)
class Pace:
    """How fast the emulators' resources change state."""

    name: str = "instant"

    def __post_init__(self) -> None:
        if self.name not in PACES:
            raise ValueError(f"pace must be one of {', '.join(PACES)}, not {self.name!r}")

    @classmethod
    def from_env(cls) -> Pace:
        """The pace ``MLMONITOR_PACE`` names (``instant`` when unset)."""
        return cls(os.environ.get(PACE_ENV, "instant") or "instant")

    @property
    def instant(self) -> bool:
        return self.name == "instant"

    def seconds(self, real_s: float) -> float:
        """How long a state the real service holds ``real_s`` seconds lasts at this pace."""
        if self.instant or real_s <= 0:
            return 0.0
        return min(max(real_s / COMPRESSION, MIN_S), MAX_S)


class Progress:
    """One resource walking through intermediate states to a final one.

    ``stages`` are ``(state, seconds the real service holds it)`` in order; ``final`` is the
    state after the last stage. ``hold`` (optional) keeps the walk on its last stage while it
    returns True: work the emulator really does (loading a model, running a script) ends a
    stage no sooner than that work. :meth:`observe` is what a Describe/List/GET sees.
    """

    def __init__(
        self,
        pace: Pace,
        stages: Sequence[tuple[str, float]],
        final: str,
        *,
        hold: Callable[[], bool] | None = None,
        holds: Mapping[str, Callable[[], bool]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pace = pace
        self.stages = list(stages)
        self.final = final
        self._hold = hold
        self._holds = dict(holds or {})
        self._clock = clock
        self._lock = threading.Lock()
        self._index = 0  # stage shown next (instant pace)
        self._entered = clock()  # when the current stage began (realistic pace)
        self._was_held = False  # the current stage outlasted its time because of a hold
        self.entered: list[tuple[str, float]] = [(self._state(), self._entered)]

    def finish(self, final: str, *, after: str | None = None) -> None:
        """Change the state the walk ends in (e.g. ``Failed`` instead of ``InService``).

        ``after`` names the stage the walk now ends after (the later stages are dropped: a
        training job that fails while ``Training`` never shows ``Uploading``); a stage the
        walk already showed is never taken back.
        """
        with self._lock:
            self.final = final
            if after is not None:
                names = [state for state, _ in self.stages]
                last = names.index(after) if after in names else len(names) - 1
                self.stages = self.stages[:max(last + 1, self._index)]

    def restart(self, stages: Sequence[tuple[str, float]], final: str) -> None:
        """Begin a new walk (e.g. ``Deleting`` then gone) from the next observation on."""
        with self._lock:
            self.stages, self.final = list(stages), final
            self._index, self._entered, self._was_held = 0, self._clock(), False
            self.entered.append((self._state(), self._entered))

    @property
    def done(self) -> bool:
        """True once the walk has reached its final state (without observing it).

        At realistic pace the elapsed time counts, as in :meth:`peek`: a walk nobody
        observes still ends (a ``hold`` on another walk's ``done`` would otherwise wait
        forever for an observation that never comes).
        """
        with self._lock:
            self._advance_by_time()
            return self._index >= len(self.stages)

    def peek(self) -> str:
        """The current state, without advancing an ``instant`` walk (for internal checks)."""
        with self._lock:
            self._advance_by_time()
            return self._state()

    def observe(self) -> str:
        """The state a caller sees now; at instant pace each stage is seen exactly once."""
        with self._lock:
            self._advance_by_time()
            state = self._state()
            if self.pace.instant and self._index < len(self.stages) and not self._held():
                self._step(self._clock())
            return state

    def _held(self) -> bool:
        if self._index >= len(self.stages):
            return False
        held = self._holds.get(self.stages[self._index][0])
        if held is not None and held():
            return True
        return (self._hold is not None and self._index == len(self.stages) - 1
                and bool(self._hold()))

    def _step(self, entered: float) -> None:
        self._index += 1
        self._entered, self._was_held = entered, False
        self.entered.append((self._state(), entered))

    def _state(self) -> str:
        return self.stages[self._index][0] if self._index < len(self.stages) else self.final

    def _advance_by_time(self) -> None:
        if self.pace.instant:
            return
        while self._index < len(self.stages):
            now = self._clock()
            if self._held():
                self._was_held = True
                return
            lasts = self.pace.seconds(self.stages[self._index][1])
            if now - self._entered < lasts:
                return
            # A stage a hold kept past its time ends now, not when its time ran out: else the
            # stages after a long model load or training run would flash by unseen.
            self._step(now if self._was_held else self._entered + lasts)
