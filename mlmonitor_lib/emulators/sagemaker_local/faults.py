"""Fault injection: make chosen calls fail the way AWS fails under load or on a bad job.

Why here: the resilience scenarios (throttling retried by botocore, a service outage surfacing
as :class:`~mlmonitor_lib.errors.ServiceError`, a training job that fails) need the same faults
in every run, at the HTTP layer so botocore's retry handler sees them exactly as from AWS.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

# The wire shape of each fault: HTTP status and default message.
KNOWN_FAULTS: dict[str, tuple[int, str]] = {
    "ThrottlingException": (400, "Rate exceeded"),
    "ServiceUnavailable": (503, "Service is unavailable. Please retry."),
    "InternalFailure": (500, "An internal error occurred. Please retry."),
}


@dataclass
class _Planned:
    code: str
    status: int
    message: str
    remaining: int  # attempts still to fail; < 0 means every attempt


@dataclass
class Faults:
    """Planned failures, consumed per HTTP attempt (so retries see them too)."""

    _planned: dict[str, list[_Planned]] = field(default_factory=dict)
    _training_failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    injected: int = 0  # faults answered so far (kept across clear())

    def inject(self, operation: str, code: str = "ThrottlingException", *, times: int = 1,
               message: str | None = None, status: int | None = None) -> None:
        """Fail the next ``times`` attempts of ``operation`` (``"InvokeEndpoint"``,
        ``"CreateEndpoint"``...; ``"*"`` for any SageMaker operation) with ``code``.
        ``times=-1`` fails every attempt until :meth:`clear`."""
        default_status, default_message = KNOWN_FAULTS.get(code, (400, code))
        with self._lock:
            self._planned.setdefault(operation, []).append(
                _Planned(code, status or default_status, message or default_message, times)
            )

    def fail_next_training_job(self, reason: str = "AlgorithmError: injected failure") -> None:
        """The next CreateTrainingJob runs nothing and ends ``Failed`` with ``reason``."""
        with self._lock:
            self._training_failures.append(reason)

    def clear(self) -> None:
        with self._lock:
            self._planned.clear()
            self._training_failures.clear()

    def take(self, operation: str) -> _Planned | None:
        """The fault for this attempt of ``operation``, if one is planned (consumes it)."""
        with self._lock:
            for key in (operation, "*"):
                queue = self._planned.get(key)
                while queue:
                    fault = queue[0]
                    if fault.remaining == 0:
                        queue.pop(0)
                        continue
                    if fault.remaining > 0:
                        fault.remaining -= 1
                    self.injected += 1
                    return fault
        return None

    def take_training_failure(self) -> str | None:
        with self._lock:
            return self._training_failures.pop(0) if self._training_failures else None
