"""TensorFlow Serving's REST ``:predict`` API over a loaded SavedModel signature.

Request: ``{"instances": ...}`` (row format) or ``{"inputs": ...}`` (columnar), optional
``signature_name``. Response: ``{"predictions": ...}`` / ``{"outputs": ...}``; any bad request is
HTTP 400 with ``{"error": "..."}`` as TF Serving answers. TensorFlow is imported by the caller
that loads the model (see :mod:`.container`), never at import time of this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

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
        if isinstance(data, np.ndarray) or not isinstance(data, (dict, list)) or (
            isinstance(data, list) and not (data and isinstance(data[0], dict))
        ):
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
            message = getattr(exc, "message", None) or str(exc)
            raise BadRequest(str(message).splitlines()[0]) from None
        return {name: value.numpy() for name, value in result.items()}


def _parse(body: bytes | str) -> dict[str, Any]:
    fast = parse_numeric_request(body)
    if fast is not None:
        return fast
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"JSON Parse error: {exc}") from None
    if not isinstance(request, dict):
        raise BadRequest("JSON Value: not an object: the request must be a JSON object")
    return request


def _as_array(data: Any, spec: Any, name: str) -> np.ndarray:
    dtype = spec.dtype.as_numpy_dtype
    try:
        array = data.astype(dtype, copy=False) if isinstance(data, np.ndarray) else np.asarray(
            data, dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"input {name!r} is not a rectangular numeric tensor: {exc}") from None
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
    import orjson

    def other(value: Any) -> Any:  # tensors orjson does not write natively (e.g. strings)
        if isinstance(value, np.ndarray | np.generic):
            return value.tolist()
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        raise TypeError(f"cannot write {type(value).__name__} as JSON")

    return orjson.dumps(payload, default=other, option=orjson.OPT_SERIALIZE_NUMPY)
