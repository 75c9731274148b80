"""Serve a :class:`~mlmonitor_lib.emulators.routing.Router` in-process or over HTTP.

Two thin adapters and nothing else: the router does the work.

* :func:`mount` registers one catch-all ``responses`` callback per host and method, so the real
  SDKs talk to the emulator without any socket. A host nobody mounted is refused by
  ``responses`` itself (``ConnectionError``): no test can reach a network.
* :class:`LoopbackServer` serves the same router on ``127.0.0.1`` with an ephemeral port, the way
  moto's ``ThreadedMotoServer`` does, for rehearsal mode and for users' own scripts.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from mlmonitor_lib.emulators.routing import internal_error

if TYPE_CHECKING:
    import responses

    from mlmonitor_lib.emulators.routing import Router

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


def mount(rsps: responses.RequestsMock, base_url: str, router: Router) -> None:
    """Answer every request to ``base_url``'s host (any path, any method) with ``router``."""
    host = re.escape(base_url.rstrip("/"))
    pattern = re.compile(rf"^{host}(/.*)?(\?.*)?$")

    def callback(request) -> tuple[int, dict[str, str], bytes]:
        from mlmonitor_lib.emulators.faults import ConnectionDropped

        try:
            return router.handle(request.method, request.url, dict(request.headers),
                                 request.body)
        except ConnectionDropped as dropped:  # what requests raises when a peer hangs up
            import requests

            raise requests.ConnectionError(f"Connection aborted: {dropped}",
                                           request=request) from None
        except Exception as exc:  # noqa: BLE001 - a router that is not ours (or a bug in it)
            return internal_error(router.name, request.method, request.url, exc).as_tuple()

    for method in METHODS:
        rsps.add_callback(method, pattern, callback=callback)


class _Handler(BaseHTTPRequestHandler):
    router: Router  # set on the subclass made per server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def _serve(self) -> None:
        from mlmonitor_lib.emulators.faults import ConnectionDropped

        url = f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            host = self.headers.get("Host", f"127.0.0.1:{self.server.server_address[1]}")
            url = f"http://{host}{self.path}"
            status, headers, payload = self.router.handle(
                self.command, url, dict(self.headers.items()), body
            )
        except ConnectionDropped:  # hang up without a reply, as a crashed gateway does
            self.close_connection = True
            return
        except Exception as exc:  # noqa: BLE001 - never let a request kill the server thread
            status, headers, payload = internal_error(self.router.name, self.command, url,
                                                      exc).as_tuple()
            self.close_connection = True  # the request body may be half read: start afresh
        self.send_response(status)
        # A HEAD reply has no body but announces the resource's length (S3 HeadObject): keep
        # the length the router gave; otherwise the body's length is the truth.
        length = next((v for k, v in headers.items() if k.lower() == "content-length"), None)
        if self.command != "HEAD" or length is None:
            length = str(len(payload))
        for key, value in headers.items():
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        """Silence per-request logging: request lines may carry query-string secrets."""


class LoopbackServer:
    """A router served on 127.0.0.1 in a daemon thread; ``stop()`` shuts down and joins."""

    def __init__(self, router: Router, port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"router": router})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"{router.name}-emulator", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
