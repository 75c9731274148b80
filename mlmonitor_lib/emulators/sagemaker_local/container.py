"""The SageMaker TensorFlow Serving container: TF Serving here, the Python service in the image.

As in the real container (aws/deep-learning-containers
``tensorflow/inference/docker/build_artifacts/sagemaker/serve.py``): TF Serving loads the highest
numeric version directory holding a ``saved_model.pb`` and answers on its REST port; then, when
the model has ``code/inference.py``, ``code/requirements.txt`` or ``code/lib``, the Python
service starts (:mod:`.python_service`), importing the handler; /ping goes to it. Here TF Serving
is :class:`~.tfserving.TFServingServer` in this process (TensorFlow imported lazily), and the
Python service is a child interpreter that can import only what the serving image named by the
model's ``PrimaryContainer.Image`` holds, plus ``code/`` and ``code/lib`` or the packages of
``code/requirements.txt`` (:mod:`.images`, :mod:`.imageguard`). The endpoint is ``InService``
once ``GET /ping`` answers 200; a handler that cannot be imported stops the service, so the ping
fails and the endpoint ends ``Failed`` (:class:`ModelLoadError` carries the container log's last
error line). The child exits when this object is closed or this process ends. A model without
any of the three gets the service too, with its default handler, which passes bodies to TF
Serving unchanged as the real container's nginx does then.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import threading
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from mlmonitor_lib.emulators.sagemaker_local.images import (
    ImageError,
    UnknownImageError,
    guarded_command,
    import_spec,
    manifest_for,
)
from mlmonitor_lib.emulators.sagemaker_local.tfserving import TFServingREST, TFServingServer

SERVICE = Path(__file__).resolve().with_name("python_service.py")
MODEL_NAME = "model"  # TFS_DEFAULT_MODEL_NAME: the base name of /opt/ml/model
START_TIMEOUT_S = 120.0


class ModelLoadError(Exception):
    """The artifact cannot be served: the endpoint becomes ``Failed`` with this reason."""


class ImageNotEmulated(ModelLoadError):
    """No manifest describes the model's image: the emulator cannot know what its Python has."""


class ServingContainer:
    """A model served as the TF Serving container serves it; :meth:`close` stops it."""

    def __init__(self, model_dir: Path, model: Mapping[str, Any]) -> None:
        """``model`` is the model's DescribeModel answer (image, network isolation)."""
        self.model_dir = Path(model_dir)
        primary = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        self.image = str(primary.get("Image") or "")
        self.network_isolation = bool(model.get("EnableNetworkIsolation"))
        self.log_path = self.model_dir.parent / "container.log"
        self.version_dir = _latest_version(self.model_dir)
        self.version = self.version_dir.name
        self.rest_uri = ""
        self._service: subprocess.Popen[bytes] | None = None
        self._server: TFServingServer | None = None
        self._local = threading.local()
        try:
            manifest = manifest_for(self.image)
        except UnknownImageError as exc:
            raise ImageNotEmulated(str(exc)) from exc
        try:
            code = self.model_dir / "code"
            lib = code / "lib"
            requirements = code / "requirements.txt"
            spec = import_spec(
                manifest, [code, lib] if lib.is_dir() else [code],
                requirements if requirements.is_file() and not lib.is_dir() else None,
                self.network_isolation)
        except ImageError as exc:
            raise ModelLoadError(str(exc)) from exc
        # The Python service boots (its own interpreter, requests, the handler) while the
        # SavedModel loads: the endpoint is InService only once both are up, as on AWS.
        self._server = TFServingServer(None, MODEL_NAME, self.version)
        self.rest_uri = f"http://127.0.0.1:{self._server.port}/v1/models/{MODEL_NAME}:predict"
        try:
            service = self._spawn_service(spec.write(self.model_dir.parent / "imports.json"))
            self.tf_serving = _load_saved_model(self.version_dir)
            self._server.rest = self.tf_serving
            self._port = _service_port(service, self.last_error)
            self._ping()
        except BaseException:
            self.close()
            raise

    # the Python service ---------------------------------------------------------------
    def _spawn_service(self, spec: Path) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update({
            "SAGEMAKER_INFERENCE_SCRIPT": str(self.model_dir / "code" / "inference.py"),
            "TFS_REST_PORTS": str(self._server.port if self._server else ""),
            "TFS_GRPC_PORTS": "9000",
            "TFS_DEFAULT_MODEL_NAME": MODEL_NAME,
        })
        return self._popen(guarded_command(spec, SERVICE), self.model_dir, env)

    def _popen(self, command: list[str], cwd: Path, env: dict[str, str]
               ) -> subprocess.Popen[bytes]:
        """Start the service process: stdin held by us, stdout announces the port, stderr
        goes to the container log."""
        with self.log_path.open("ab") as log:
            self._service = subprocess.Popen(
                command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log)
        # Dropped without close() (or this process exiting): the child still stops.
        weakref.finalize(self, _stop, self._service)
        return self._service

    def _ping(self) -> None:
        status, _, _ = self._request("GET", "/ping", b"", {})
        if status != 200:
            raise ModelLoadError(self.last_error() or f"GET /ping answered {status}")

    def last_error(self) -> str:
        """The last line of the container log naming an error (what CloudWatch would show)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        errors = [line.strip() for line in lines if line.strip() and not line[0].isspace()
                  and ("Error" in line or "Exception" in line)]
        return errors[-1] if errors else ""

    # requests ---------------------------------------------------------------------------
    def invoke(self, body: bytes, content_type: str | None, accept: str | None,
               custom_attributes: str | None = None) -> tuple[int, bytes, str]:
        """One ``POST /invocations``: (container status, body, content type)."""
        headers = {name: value for name, value in (
            ("Content-Type", content_type), ("Accept", accept),
            ("X-Amzn-SageMaker-Custom-Attributes", custom_attributes)) if value}
        return self._request("POST", "/invocations", body, headers)

    def _request(self, method: str, path: str, body: bytes, headers: dict[str, str]
                 ) -> tuple[int, bytes, str]:
        for attempt in (1, 2):  # a kept-alive connection the service closed: reconnect once
            connection = self._connection(fresh=attempt == 2)
            try:
                connection.request(method, path, body, headers)
                response = connection.getresponse()
                data = response.read()
                return (response.status, data,
                        response.getheader("Content-Type") or "application/json")
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                connection.close()
                if attempt == 2:  # nginx answers 502 when the service is gone
                    return 502, f'{{"error": "{type(exc).__name__}"}}'.encode(), "application/json"
        raise AssertionError("unreachable")

    def _connection(self, fresh: bool) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None or fresh:
            connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=300)
            connection.connect()
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.connection = connection
        return connection

    def close(self) -> None:
        """Stop the Python service (its stdin closes: it exits) and TF Serving."""
        service, self._service = self._service, None
        if service is not None:
            _stop(service)
        server, self._server = self._server, None
        if server is not None:
            server.close()


def _service_port(service: subprocess.Popen[bytes], last_error: Callable[[], str]) -> int:
    """The port the Python service announces once it listens (it fails otherwise)."""
    line = _read_line(service.stdout, START_TIMEOUT_S)
    if not line.startswith(b"listening "):
        service.kill()
        service.wait()
        raise ModelLoadError(last_error() or "the Python service did not start")
    return int(line.split()[1])


def _stop(service: subprocess.Popen[bytes]) -> None:
    """End the Python service: its stdin closes (it exits at once), else it is killed."""
    if service.returncode is None:
        if service.stdin is not None and not service.stdin.closed:
            service.stdin.close()
        try:
            service.wait(5)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
    if service.stdout is not None and not service.stdout.closed:
        service.stdout.close()


def _read_line(stream: IO[bytes] | None, timeout: float) -> bytes:
    """The first line ``stream`` prints within ``timeout`` seconds (b"" at end or timeout)."""
    if stream is None:
        return b""
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else b""


def _load_saved_model(version_dir: Path) -> TFServingREST:
    try:
        import tensorflow as tf  # lazily: only endpoints pay for TensorFlow

        return TFServingREST(tf.saved_model.load(str(version_dir)))
    except Exception as exc:  # any TF load error is a failed health check on AWS
        raise ModelLoadError(f"TF Serving could not load the SavedModel: {exc}") from exc


def _latest_version(model_dir: Path) -> Path:
    versions = [p for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()
                and (p / "saved_model.pb").is_file()] if model_dir.is_dir() else []
    if not versions:
        found = sorted(p.name for p in model_dir.iterdir()) if model_dir.is_dir() else []
        raise ModelLoadError(
            "no SavedModel version directory (e.g. 1/saved_model.pb) at the root of the model "
            f"artifact; it holds {found}"
        )
    return max(versions, key=lambda p: int(p.name))
