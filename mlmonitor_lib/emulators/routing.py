"""Transport-free request routing shared by every emulator.

A router maps ``(method, path)`` to a handler; it knows nothing about ``responses`` or sockets,
so one emulator state can be served in-process and over HTTP alike. When nothing matches, the
reply lists every route and why it did not match: the error that saves an hour.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

JSON = "application/json"


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


class Router:
    """Dispatches requests to handlers; the only thing a transport talks to."""

    def __init__(self, name: str, routes: Iterable[Route]):
        self.name = name
        self.routes = list(routes)
        self.before_request: list[Callable[[Request], Response | None]] = []

    @classmethod
    def combine(cls, name: str, *routers: Router) -> Router:
        """One router answering for several services sharing a host (a CP4D cluster serves
        authorize, OpenScale and Factsheets under one URL)."""
        combined = cls(name, [route for router in routers for route in router.routes])
        for router in routers:
            combined.before_request.extend(router.before_request)
        return combined

    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes | str | None
    ) -> tuple[int, dict[str, str], bytes]:
        """Route one request; never raises, always answers like the service would."""
        raw = body.encode() if isinstance(body, str) else (body or b"")
        request = Request(method.upper(), url, dict(headers or {}), raw)
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
