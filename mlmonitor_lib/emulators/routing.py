"""Transport-free request routing shared by every emulator.

A router maps ``(method, path)`` to a handler; it knows nothing about ``responses`` or sockets,
so one emulator state can be served in-process and over HTTP alike. When nothing matches, the
reply lists every route and why it did not match: the error that saves an hour.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from mlmonitor_lib.emulators.faults import Fault, FaultPlan

JSON = "application/json"
log = logging.getLogger(__name__)


@dataclass
class Request:
    """One HTTP request as an emulator handler sees it."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # path parameters from the route

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, str]:
        """Query string as single values (last one wins), as the IBM APIs read it."""
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.url).query).items()}

    def header(self, name: str, default: str = "") -> str:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    def json(self) -> Any:
        """The body parsed as JSON; an invalid body raises :class:`HttpError` 400."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HttpError(400, "invalid_json", f"request body is not valid JSON: {exc}") from exc


@dataclass
class Response:
    """What a handler returns: status, headers, body (bytes)."""

    status: int
    headers: dict[str, str]
    body: bytes

    def as_tuple(self) -> tuple[int, dict[str, str], bytes]:
        return self.status, self.headers, self.body


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON reply; every JSON reply carries ``Content-Type: application/json`` because
    ibm-cloud-sdk-core does not parse any other type."""
    merged = {"Content-Type": JSON, **(headers or {})}
    body = b"" if payload is None else json.dumps(payload).encode()
    return Response(status, merged, body)


class HttpError(Exception):
    """Raised by handlers and state; becomes the service's JSON error reply."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def to_response(self) -> Response:
        payload = {
            "trace": "emulator",
            "errors": [{"code": self.code, "message": self.message}],
            "code": self.status,
            "error": self.message,
            "message": self.message,
        }
        return json_response(self.status, payload, self.headers)


def internal_error(service: str, method: str, url: str, exc: BaseException) -> Response:
    """The 500 an emulator answers when it fails itself: logged with its traceback, in the
    service's JSON error shape, naming the exception so a test failure points at the bug."""
    path = urlsplit(url).path
    log.error("%s emulator failed on %s %s", service, method.upper(), path, exc_info=exc)
    message = (f"{service} emulator failed handling {method.upper()} {path}: "
               f"{type(exc).__name__}: {exc}")
    return HttpError(500, "internal_server_error", message).to_response()


Handler = Callable[[Request], Response]


@functools.cache
def _compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compiled once per pattern: every request is matched against every route."""
    escaped = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern))
    return re.compile(f"^{escaped}/?$")


@dataclass(frozen=True)
class Route:
    """``method`` + a path pattern with ``{name}`` placeholders (one path segment each)."""

    method: str
    pattern: str
    handler: Handler

    def regex(self) -> re.Pattern[str]:
        return _compile_pattern(self.pattern)

    def match(self, method: str, path: str) -> tuple[dict[str, str] | None, str]:
        """Return (params, "") on a match, else (None, reason)."""
        found = self.regex().match(path)
        if not found:
            return None, "path differs"
        if method.upper() != self.method:
            return None, f"method {method.upper()} is not {self.method}"
        return found.groupdict(), ""

    @property
    def operation(self) -> str:
        """The handler's operation name (``subscriptions_add``), looked up through the auth
        guards that wrap it; ``""`` when it has none (a lambda)."""
        return _operation_name(self.handler)


_WRAPPER_NAMES = frozenset({"guarded", "checked", "<lambda>", "handler", "wrapper"})


def _operation_name(fn: Any, depth: int = 0) -> str:
    name = getattr(fn, "__name__", "")
    if name and name not in _WRAPPER_NAMES:
        return name
    if depth > 3:
        return ""
    inner = [getattr(fn, "__wrapped__", None)] + [
        cell.cell_contents for cell in (getattr(fn, "__closure__", None) or ())
        if callable(getattr(cell, "cell_contents", None))
    ]
    for candidate in inner:
        found = _operation_name(candidate, depth + 1) if candidate is not None else ""
        if found:
            return found
    return ""


class Router:
    """Dispatches requests to handlers; the only thing a transport talks to."""

    def __init__(self, name: str, routes: Iterable[Route]):
        self.name = name
        self.routes = list(routes)
        self.before_request: list[Callable[[Request], Response | None]] = []
        # fault injection (emulators.faults): each route answers to its service's plan
        self.fault_plans: list[FaultPlan] = []
        self.route_faults: dict[Route, FaultPlan] = {}

    def with_faults(self, plan: FaultPlan) -> Router:
        """Let ``plan`` fail this router's requests; its routes keep the plan when combined
        into another router (a CP4D cluster), so each service fails only its own routes."""
        self.fault_plans.append(plan)
        for route in self.routes:
            self.route_faults.setdefault(route, plan)
        return self

    @classmethod
    def combine(cls, name: str, *routers: Router) -> Router:
        """One router answering for several services sharing a host (a CP4D cluster serves
        authorize, OpenScale and Factsheets under one URL)."""
        combined = cls(name, [route for router in routers for route in router.routes])
        for router in routers:
            combined.before_request.extend(router.before_request)
            combined.fault_plans.extend(router.fault_plans)
            combined.route_faults.update(router.route_faults)
        return combined

    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes | str | None
    ) -> tuple[int, dict[str, str], bytes]:
        """Route one request; always answers like the service would. Only a planned ``drop``
        fault raises (:class:`~mlmonitor_lib.emulators.faults.ConnectionDropped`): the
        transport then closes the connection without a reply. Any other exception, from a
        handler, a hook or the state behind them, is logged and answered with a 500 in the
        service's error shape (:func:`internal_error`): no request can take the server down
        or leave its client with a dropped connection it did not ask for."""
        from mlmonitor_lib.emulators.faults import ConnectionDropped

        try:
            return self._dispatch(method, url, headers, body)
        except ConnectionDropped:
            raise
        except Exception as exc:  # noqa: BLE001 - the one place every emulator's bug lands
            return internal_error(self.name, method, url, exc).as_tuple()

    def _dispatch(
        self, method: str, url: str, headers: dict[str, str], body: bytes | str | None
    ) -> tuple[int, dict[str, str], bytes]:
        raw = body.encode() if isinstance(body, str) else (body or b"")
        request = Request(method.upper(), url, dict(headers or {}), raw)
        if self.fault_plans:
            early = self._inject(request)
            if early is not None:
                return early.as_tuple()
        for hook in self.before_request:
            early = hook(request)
            if early is not None:
                return early.as_tuple()
        reasons = []
        for route in self.routes:
            params, reason = route.match(request.method, request.path)
            if params is None:
                reasons.append(f"  {route.method} {route.pattern}: {reason}")
                continue
            request.params = params
            try:
                return route.handler(request).as_tuple()
            except HttpError as exc:
                return exc.to_response().as_tuple()
        listing = "\n".join(reasons)
        message = (
            f"{self.name} emulator has no route for {request.method} {request.path}:\n{listing}"
        )
        return HttpError(404, "not_found", message).to_response().as_tuple()

    def _inject(self, request: Request) -> Response | None:
        """Apply the planned fault for this request, if any: an error reply, a delay (then
        the request proceeds), or a dropped connection."""
        from mlmonitor_lib.emulators.faults import ConnectionDropped

        route = next((r for r in self.routes if r.match(request.method, request.path)[0]
                      is not None), None)
        plans = [self.route_faults[route]] if route in self.route_faults else self.fault_plans
        operation = route.operation if route is not None else ""
        fault: Fault | None = None
        for plan in plans:
            fault = plan.take(request.method, request.path, operation)
            if fault is not None:
                break
        if fault is None:
            return None
        if fault.kind == "drop":
            raise ConnectionDropped(f"{self.name}: injected drop of {request.method} "
                                    f"{request.path}")
        if fault.kind == "latency":
            time.sleep(fault.seconds)
            return None
        status, code, message, headers = fault.error()
        return HttpError(status, code, message, headers).to_response()
