"""TensorFlow Serving's REST ``:predict`` API over a loaded SavedModel signature.

Request: ``{"instances": ...}`` (row format) or ``{"inputs": ...}`` (columnar), optional
``signature_name``; a string input takes text, or binary as TF Serving's ``{"b64": ...}``.
Response: ``{"predictions": ...}`` / ``{"outputs": ...}``; any bad request is
HTTP 400 with ``{"error": "..."}`` as TF Serving answers. TensorFlow is imported by the caller
that loads the model (see :mod:`.container`), never at import time of this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pybase64

from mlmonitor_lib.emulators.sagemaker_local.fastjson import (
    parse_binary_request,
    parse_numeric_request,
)


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
        binary = self._binary_request(body)
        if binary is not None:
            return binary
        request = _parse(body)
        signature = self.signature(str(request.get("signature_name", self.default_signature)))
        if ("instances" in request) == ("inputs" in request):
            raise BadRequest("Missing 'inputs' or 'instances' key" if "inputs" not in request
                             and "instances" not in request
                             else "Only one of 'instances' or 'inputs' can be specified")
        row_format = "instances" in request
        data = request["instances" if row_format else "inputs"]
        return signature, self._input_tensors(signature, data, row_format), row_format

    def _binary_request(self, body: bytes | str
                        ) -> tuple[Signature, dict[str, np.ndarray], bool] | None:
        """:meth:`parse_request` of one ``{"b64": ...}`` string for a signature whose one input
        is a string, read by :func:`parse_binary_request`; None for any other request."""
        parsed = parse_binary_request(body)
        if parsed is None:
            return None
        name, key, value = parsed
        signature = self.signature(self.default_signature if name is None else name)
        if len(signature.inputs) != 1:
            return None  # the full parse names what is wrong
        [(input_name, spec)] = signature.inputs.items()
        if spec.dtype.as_numpy_dtype is not object:
            return None
        tensor = _checked_shape(np.array([value], dtype=object), spec, input_name)
        return signature, {input_name: tensor}, key == "instances"

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
            return pybase64.b64decode(data["b64"], validate=True)
        except ValueError:  # binascii.Error is one
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
