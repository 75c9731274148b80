"""Fault plans for the IBM emulators: make chosen requests fail the way a cloud service fails
under load or in an outage.

Why at the HTTP layer, inside :class:`~mlmonitor_lib.emulators.routing.Router`: the real SDKs'
retry logic (ibm-cloud-sdk-core's ``enable_retries``, urllib3's ``Retry``) must see a 429 with
``Retry-After``, a 503 or a dropped connection exactly as it would from IBM Cloud, whichever
transport serves the router (``responses`` in-process or the loopback HTTP server).

One plan per service (``openscale``, ``factsheets``, ``iam``); a step fails the next requests in
one line::

    world.ibm.faults("openscale").fail_next("POST", "/v2/subscriptions", status=503, times=2)
    world.ibm.faults("factsheets").throttle("PUT", "/model_stub", retry_after=0)
    world.ibm.faults("openscale").drop("GET", "/v2/data_marts")
    world.ibm.faults("openscale").delay("*", "*", seconds=0.2, times=5)

A path pattern matches the end of the request path at a segment boundary (the instance prefix
``/openscale/{instance}`` need not be spelled), ``{name}`` stands for one segment, ``*`` alone
matches any path. ``operation=`` names a handler instead (``"subscriptions_add"``).
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["status", "latency", "drop"]
ERROR_CODES = {
    429: ("too_many_requests", "Rate limit exceeded: too many requests. Retry later."),
    500: ("internal_server_error", "The service encountered an internal error."),
    502: ("bad_gateway", "Bad gateway."),
    503: ("service_unavailable", "The service is temporarily unavailable. Retry later."),
    504: ("gateway_timeout", "Gateway timeout."),
}


class ConnectionDropped(Exception):  # noqa: N818 - named after what happens, as OSError's are
    """Raised by ``Router.handle`` for a ``drop`` fault: the transport closes the connection
    without any reply (``responses``: ``requests.ConnectionError``; loopback: socket closed)."""


@functools.cache
def _path_regex(pattern: str) -> re.Pattern[str]:
    """``/v2/subscriptions/{id}`` -> a regex matching that suffix at a segment boundary."""
    escaped = re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(pattern.rstrip("/")))
    return re.compile(f"{escaped}/?$")


@dataclass
class Fault:
    """One planned fault; ``remaining`` < 0 means every matching request until cleared."""

    kind: FaultKind
    method: str = "*"
    path: str = "*"
    operation: str | None = None
    status: int = 503
    retry_after: float | None = None
    seconds: float = 0.0
    remaining: int = 1
    message: str | None = None
    hits: int = 0

    def matches(self, method: str, path: str, operation: str) -> bool:
        if self.remaining == 0:
            return False
        if self.method not in ("*", method.upper()):
            return False
        if self.operation is not None:
            return self.operation == operation
        return self.path == "*" or bool(_path_regex(self.path).search(path))

    def error(self) -> tuple[int, str, str, dict[str, str]]:
        """Status, wire code, message and headers of a ``status`` fault's JSON reply."""
        code, default = ERROR_CODES.get(self.status, ("injected_fault", "Injected fault."))
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        return self.status, code, self.message or default, headers


@dataclass
class FaultPlan:
    """The faults planned for one service's routes, consumed per HTTP request (so each retry
    of the SDK meets the next one), and what was injected so far."""

    service: str
    faults: list[Fault] = field(default_factory=list)
    injected: dict[str, int] = field(default_factory=dict)  # "503", "latency", "drop" -> count
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # planning -------------------------------------------------------------------------------
    def fail_next(self, method: str = "*", path: str = "*", *, status: int = 503,
                  times: int = 1, retry_after: float | None = None,
                  operation: str | None = None, message: str | None = None) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` and the service's JSON
        error shape (``times=-1``: every request until :meth:`clear`). A 429 carries
        ``Retry-After: 0`` unless told otherwise."""
        if status == 429 and retry_after is None:
            retry_after = 0
        return self._add(Fault("status", method.upper(), path, operation, status, retry_after,
                               remaining=times, message=message))

    def throttle(self, method: str = "*", path: str = "*", *, times: int = 1,
                 retry_after: float = 0, operation: str | None = None) -> Fault:
        """429 Too Many Requests with ``Retry-After`` (seconds)."""
        return self.fail_next(method, path, status=429, times=times, retry_after=retry_after,
                              operation=operation)

    def delay(self, method: str = "*", path: str = "*", *, seconds: float, times: int = 1,
              operation: str | None = None) -> Fault:
        """Answer the next ``times`` matching requests normally, ``seconds`` late."""
        return self._add(Fault("latency", method.upper(), path, operation, seconds=seconds,
                               remaining=times))

    def drop(self, method: str = "*", path: str = "*", *, times: int = 1,
             operation: str | None = None) -> Fault:
        """Close the connection of the next ``times`` matching requests without a reply."""
        return self._add(Fault("drop", method.upper(), path, operation, remaining=times))

    def clear(self) -> None:
        """Forget every planned fault (the counts of injected ones stay)."""
        with self._lock:
            self.faults.clear()

    def reset(self) -> None:
        """Forget planned faults and counts."""
        with self._lock:
            self.faults.clear()
            self.injected.clear()

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    # consuming ------------------------------------------------------------------------------
    @property
    def total_injected(self) -> int:
        return sum(self.injected.values())

    @property
    def pending(self) -> int:
        """Faults still planned (a persistent one counts as one)."""
        with self._lock:
            return sum(1 for f in self.faults if f.remaining != 0)

    def take(self, method: str, path: str, operation: str = "") -> Fault | None:
        """The fault for this request, if one is planned (consumes one of its ``times``)."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path, operation):
                    if fault.remaining > 0:
                        fault.remaining -= 1
                    fault.hits += 1
                    key = str(fault.status) if fault.kind == "status" else fault.kind
                    self.injected[key] = self.injected.get(key, 0) + 1
                    return fault
        return None
