"""The TF Serving container's Python service, run by the emulator in the image's Python.

Follows aws/deep-learning-containers ``tensorflow/inference/docker/build_artifacts/sagemaker/
python_service.py`` and ``tfs_utils.py`` (the service gunicorn runs when the model has
``code/inference.py``, ``code/requirements.txt`` or ``code/lib``):

* at start it imports ``code/inference.py`` by file path as module ``inference``; it must define
  ``handler`` or both ``input_handler`` and ``output_handler`` (else ``NotImplementedError``).
  An import error stops the service: /ping never answers and the endpoint ends ``Failed``;
* ``GET /ping`` answers 200 once the service runs;
* ``POST /invocations`` calls ``handler(data, context)``, or ``input_handler``, then
  ``requests.post(context.rest_uri, data=...)`` to TF Serving's REST port, then
  ``output_handler(response, context)``; without ``inference.py`` the body goes to TF Serving
  unchanged. Any exception answers 500 with ``{"error": str(exc)}``.
* ``Context`` as ``tfs_utils.parse_request`` builds it: model name, version and method from the
  ``tfs-model-name``/``tfs-model-version``/``tfs-method`` custom attributes (else None),
  ``rest_uri`` ``http://<host>:<port>/v1/models/<name>[/versions/<v>]:<method>``, the gRPC port
  as a string, content type and accept defaulting to ``application/json``.

Differences, all outside the handler's reach: the HTTP server is the standard library's (no
nginx, gunicorn, falcon), TF Serving is the emulator's REST server on 127.0.0.1, gRPC is not
emulated (``context.channel`` is None), and one ``requests.Session`` per thread is reused
(the handler still receives a ``requests.Response``).

    python -I -S -u imageguard.py SPEC -- python_service.py   (environment: see ``main``)

Prints ``listening <port>`` on stdout once it serves; exits when its stdin closes (the
emulator holds the other end), so it never outlives the endpoint or the emulator.
"""

from __future__ import annotations

import http.server
import importlib.util
import io
import json
import logging
import os
import re
import sys
import threading
from collections import namedtuple
from typing import Any

import requests  # in the image, as in the real service

Context = namedtuple(
    "Context",
    "model_name, model_version, method, rest_uri, grpc_port, channel, "
    "custom_attributes, request_content_type, accept_header, content_length",
)
CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"
DEFAULT_CONTENT_TYPE = "application/json"
DEFAULT_ACCEPT_HEADER = "application/json"
log = logging.getLogger("python_service")
_sessions = threading.local()


def _post(uri: str, data: Any) -> requests.Response:
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
        session.trust_env = False  # loopback only: never a proxy from the environment
    return session.post(uri, data=data)


def default_handler(data: Any, context: Context) -> tuple[bytes, str]:
    """The service's handler without inference.py: the body to TF Serving unchanged."""
    response = _post(context.rest_uri, data.read().decode("utf-8"))
    return response.content, context.accept_header


def import_handlers(path: str) -> Any:
    """``_import_handlers`` + ``_make_handler`` of the real service."""
    spec = importlib.util.spec_from_file_location("inference", path)
    inference = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(inference)  # type: ignore[union-attr]
    if hasattr(inference, "handler"):
        return inference.handler
    if not (hasattr(inference, "input_handler") and hasattr(inference, "output_handler")):
        raise NotImplementedError("Handlers are not implemented correctly in user script.")
    input_handler, output_handler = inference.input_handler, inference.output_handler

    def handler(data: Any, context: Context) -> Any:
        processed_input = input_handler(data, context)
        response = _post(context.rest_uri, processed_input)
        return output_handler(response, context)

    return handler


def tfs_attributes(header: str | None) -> dict[str, str]:
    """``tfs_utils.parse_tfs_custom_attributes``."""
    if not header:
        return {}
    return dict(item.split("=", 1) for item in re.findall(r"(tfs-[a-z\-]+=[^,]+)", header))


def make_tfs_uri(port: str, attributes: dict[str, str], default_model: str) -> str:
    """``tfs_utils.make_tfs_uri`` (on 127.0.0.1: the emulator's TF Serving)."""
    uri = f"http://127.0.0.1:{port}/v1/models/{attributes.get('tfs-model-name', default_model)}"
    if attributes.get("tfs-model-version"):
        uri += "/versions/" + attributes["tfs-model-version"]
    return uri + ":" + attributes.get("tfs-method", "predict")


class Service(http.server.BaseHTTPRequestHandler):
    """/ping and /invocations."""

    protocol_version = "HTTP/1.1"  # keep-alive: the emulator reuses its connection
    disable_nagle_algorithm = True
    handlers: Any = None
    rest_port = "8501"
    grpc_port = "9000"
    default_model = "model"

    def do_GET(self) -> None:
        if self.path == "/ping":
            self._answer(200, b"", "application/json")
        else:
            self._answer(404, b'{"error": "Not Found"}', "application/json")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path != "/invocations":
            self._answer(404, b'{"error": "Not Found"}', "application/json")
            return
        custom = self.headers.get(CUSTOM_ATTRIBUTES_HEADER)
        attributes = tfs_attributes(custom)
        context = Context(
            attributes.get("tfs-model-name"), attributes.get("tfs-model-version"),
            attributes.get("tfs-method"),
            make_tfs_uri(self.rest_port, attributes, self.default_model), self.grpc_port, None,
            custom, self.headers.get("Content-Type") or DEFAULT_CONTENT_TYPE,
            self.headers.get("Accept") or DEFAULT_ACCEPT_HEADER, length,
        )
        try:
            result, content_type = self.handlers(io.BytesIO(body), context)
            data = result.encode("utf-8") if isinstance(result, str) else bytes(result)
        except Exception as exc:  # noqa: BLE001 - the real service catches everything, as here
            log.exception("exception handling request: %s", exc)
            self._answer(500, json.dumps({"error": str(exc)}).encode("utf-8"), "application/json")
            return
        self._answer(200, data, content_type or DEFAULT_ACCEPT_HEADER)

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # nginx's access log is not emulated


def _exit_when_stdin_closes() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


def main() -> None:
    """Environment: ``SAGEMAKER_INFERENCE_SCRIPT`` (absent file: default handler),
    ``TFS_REST_PORTS``, ``TFS_GRPC_PORTS``, ``TFS_DEFAULT_MODEL_NAME``."""
    logging.basicConfig(format="%(process)d %(asctime)s %(levelname)-8s %(message)s",
                        level=logging.INFO, stream=sys.stderr)
    script = os.environ.get("SAGEMAKER_INFERENCE_SCRIPT", "/opt/ml/model/code/inference.py")
    handlers = import_handlers(script) if os.path.exists(script) else default_handler
    Service.handlers = staticmethod(handlers)  # a plain function, not a method of the request
    Service.rest_port = os.environ.get("TFS_REST_PORTS", "8501").split(",")[0]
    Service.grpc_port = os.environ.get("TFS_GRPC_PORTS", "9000").split(",")[0]
    Service.default_model = os.environ.get("TFS_DEFAULT_MODEL_NAME", "model")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Service)
    server.daemon_threads = True
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
