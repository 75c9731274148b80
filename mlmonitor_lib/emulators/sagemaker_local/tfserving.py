"""TensorFlow Serving's REST API over a loaded SavedModel: ``:predict``, served on 127.0.0.1.

Request: ``{"instances": ...}`` (row format) or ``{"inputs": ...}`` (columnar), optional
``signature_name``; a string input takes text, or binary as TF Serving's ``{"b64": ...}``.
Response: ``{"predictions": ...}`` / ``{"outputs": ...}``; any bad request is
HTTP 400 with ``{"error": "..."}`` as TF Serving answers. :class:`TFServingServer` is the REST
port the container's Python service posts to (``context.rest_uri``). TensorFlow is imported by
the caller that loads the model (see :mod:`.container`), never at import time of this module.
Speed belongs here, not in the model's handler: a request of plain numbers is read by
:mod:`.fastjson` (TF Serving parses its JSON in C++).
"""

from __future__ import annotations

import base64
import binascii
import http.server
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from mlmonitor_lib.emulators.sagemaker_local.fastjson import parse_numeric_request


class BadRequest(Exception):
    """A request TF Serving rejects with HTTP 400."""


@dataclass(frozen=True)
class Signature:
    """One serving signature: its compiled function and the specs of inputs and outputs."""

    name: str
    function: Any  # a tf ConcreteFunction
    inputs: dict[str, Any]  # name -> tf.TensorSpec
    outputs: list[str]

    @classmethod
    def from_loaded(cls, loaded: Any, name: str) -> Signature:
        function = loaded.signatures[name]
        inputs = dict(function.structured_input_signature[1])
        outputs = sorted(function.structured_outputs)
        return cls(name, function, inputs, outputs)


@dataclass
class PredictResponse:
    """What the container's ``output_handler`` receives from ``requests.post``."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class TFServingREST:
    """The ``/v1/models/<model>:predict`` handler for a loaded SavedModel."""

    def __init__(self, loaded: Any, default_signature: str = "serving_default") -> None:
        self._loaded = loaded
        self._signatures: dict[str, Signature] = {}
        self.default_signature = default_signature
        self.signature(default_signature)  # fail at load time, as TF Serving does

    def signature(self, name: str) -> Signature:
        if name not in self._signatures:
            if name not in self._loaded.signatures:
                raise BadRequest(f'Serving signature name: "{name}" not found in signature def')
            self._signatures[name] = Signature.from_loaded(self._loaded, name)
        return self._signatures[name]

    def predict(self, body: bytes | str) -> PredictResponse:
        try:
            return PredictResponse(200, self._predict(body))
        except BadRequest as exc:
            return PredictResponse(400, json.dumps({"error": str(exc)}).encode())

    def _predict(self, body: bytes | str) -> bytes:
        signature, tensors, row_format = self.parse_request(body)
        outputs = self._run(signature, tensors)
        if len(outputs) == 1:
            value = next(iter(outputs.values()))
            return _dumps({"predictions" if row_format else "outputs": value})
        if not row_format:
            return _dumps({"outputs": outputs})
        rows = len(next(iter(outputs.values())))
        return _dumps({"predictions": [
            {k: v[i] for k, v in outputs.items()} for i in range(rows)
        ]})

    def parse_request(self, body: bytes | str
                      ) -> tuple[Signature, dict[str, np.ndarray], bool]:
        """The signature a request names, its input tensors, and whether it is in row format
        (``instances``) rather than columnar (``inputs``); :class:`BadRequest` if invalid."""
        request = _parse(body)
        signature = self.signature(str(request.get("signature_name", self.default_signature)))
        if ("instances" in request) == ("inputs" in request):
            raise BadRequest("Missing 'inputs' or 'instances' key" if "inputs" not in request
                             and "instances" not in request
                             else "Only one of 'instances' or 'inputs' can be specified")
        row_format = "instances" in request
        data = request["instances" if row_format else "inputs"]
        return signature, self._input_tensors(signature, data, row_format), row_format

    def _input_tensors(self, signature: Signature, data: Any, row_format: bool
                       ) -> dict[str, np.ndarray]:
        names = list(signature.inputs)
        first = data[0] if isinstance(data, list) and data else data
        if not isinstance(first, dict) or _is_b64(first):  # one unnamed input
            if isinstance(data, dict) or len(names) != 1:
                raise BadRequest(f"expected named inputs {names} for signature {signature.name}")
            return {names[0]: _as_array(data, signature.inputs[names[0]], names[0])}
        if row_format:
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise BadRequest("instances must be a list of objects with named inputs")
            columns = {n: [row.get(n) for row in data] for n in names}
        else:
            columns = dict(data)
        missing = [n for n in names if n not in columns or columns[n] is None]
        if missing:
            raise BadRequest(f"Missing input(s) {missing} for signature {signature.name}")
        return {n: _as_array(columns[n], signature.inputs[n], n) for n in names}

    @staticmethod
    def _run(signature: Signature, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        try:
            result = signature.function(**tensors)
        except (ValueError, TypeError) as exc:
            raise BadRequest(str(exc).splitlines()[0]) from None
        except Exception as exc:  # tf.errors.* (InvalidArgumentError...) without importing tf
            raise BadRequest(_op_error(str(getattr(exc, "message", None) or exc))) from None
        return {name: value.numpy() for name, value in result.items()}


# Lines of an eager TF error that frame the op's own message ("Graph execution error:", where
# the node was defined, stack traces, the "[[{{node ...}}]]" trailer).
_ERROR_FRAME = ("Graph execution error", "Detected at node", "<stack traces", " ", "\t", "[[")


def _op_error(message: str) -> str:
    """The failing op's own message, as TF Serving reports it ("Input to reshape is ..."),
    without the framing eager execution adds around it."""
    lines = [line for line in message.splitlines() if line.strip()]
    reasons = [line for line in lines if not line.startswith(_ERROR_FRAME)]
    return (reasons or lines or ["TensorFlow error"])[0]


def _parse(body: bytes | str) -> dict[str, Any]:
    fast = parse_numeric_request(body)
    if fast is not None:
        return fast
    try:
        request = orjson.loads(body)  # strict JSON, and quick on long base64 strings
    except orjson.JSONDecodeError:
        try:  # json.loads also reads NaN and Infinity, as TF Serving's parser does
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"JSON Parse error: {exc}") from None
    if not isinstance(request, dict):
        raise BadRequest("JSON Value: not an object: the request must be a JSON object")
    return request


def _is_b64(value: Any) -> bool:
    """TF Serving's encoding of a binary string: an object whose only key is ``b64``."""
    return isinstance(value, dict) and len(value) == 1 and "b64" in value


def _strings(data: Any) -> Any:
    """Nested lists of string values as bytes: ``{"b64": ...}`` decoded, text as UTF-8."""
    if isinstance(data, list):
        return [_strings(item) for item in data]
    if _is_b64(data) and isinstance(data["b64"], str):
        try:
            return base64.b64decode(data["b64"], validate=True)
        except binascii.Error:
            raise BadRequest(f"Unable to base64 decode: {data['b64'][:40]!r}") from None
    if isinstance(data, str):
        return data.encode("utf-8")
    raise BadRequest(f"JSON Value: {str(data)[:40]} Type: {type(data).__name__} is not of "
                     "expected type: string")


def _as_array(data: Any, spec: Any, name: str) -> np.ndarray:
    dtype = spec.dtype.as_numpy_dtype
    try:
        if dtype is object:  # a string input
            array = np.array(_strings(data), dtype=object)
        elif isinstance(data, np.ndarray):
            array = data.astype(dtype, copy=False)
        else:
            array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"input {name!r} is not a rectangular numeric tensor: {exc}") from None
    return _checked_shape(array, spec, name)


def _checked_shape(array: np.ndarray, spec: Any, name: str) -> np.ndarray:
    expected = spec.shape
    if expected.rank is not None and not expected.is_compatible_with(array.shape):
        raise BadRequest(
            f"input {name!r} has shape {list(array.shape)}, the signature expects "
            f"{expected.as_list()}".replace("None", "-1")
        )
    return array


def _dumps(payload: Any) -> bytes:
    """The response body. Tensors are written by orjson from numpy, a float32 output with its
    shortest spelling (at most 9 digits, as TF Serving prints floats) rather than the 17-digit
    expansion of the same value as a Python float."""
    def other(value: Any) -> Any:  # tensors orjson does not write natively (e.g. strings)
        if isinstance(value, np.ndarray | np.generic):
            return value.tolist()
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        raise TypeError(f"cannot write {type(value).__name__} as JSON")

    return orjson.dumps(payload, default=other, option=orjson.OPT_SERIALIZE_NUMPY)


_PREDICT_PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?"
                           r":(?P<method>\w+)$")


class TFServingServer:
    """TF Serving's REST port for one model (``/v1/models/<name>[/versions/<v>]:predict``) on
    127.0.0.1, an ephemeral port, in a daemon thread. Other methods (classify, regress) are
    not emulated: 400 saying so. An unknown model or version: 404, TF Serving's message."""

    def __init__(self, rest: TFServingREST | None, model_name: str, version: str) -> None:
        """``rest`` may come later (:attr:`rest`): until the model is loaded every request is
        answered as TF Serving answers it then, "Servable not found"."""
        self.rest, self.model_name, self.version = rest, model_name, version
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = server.answer(self.path, body)
                self.send_response_only(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever,
                                        name=f"tf-serving-{self.port}", daemon=True)
        self._thread.start()

    def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        match = _PREDICT_PATH.match(path)
        if match is None or match["name"] != self.model_name or self.rest is None or (
                match["version"] not in (None, self.version)):
            request = (f"Specific({match['name']}, {match['version']})" if match and
                       match["version"] else f"Latest({match['name'] if match else path})")
            return 404, _error(f"Servable not found for request: {request}")
        if match["method"] != "predict":
            return 400, _error(f"the local TF Serving emulator answers :predict only, not "
                               f":{match['method']}")
        response = self.rest.predict(body)
        return response.status_code, response.content

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(5)


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()
