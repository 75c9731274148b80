"""Pre- and post-processing handlers for the SageMaker TensorFlow Serving container.

The training job copies this file to ``<model_dir>/code/inference.py``: the TF Serving container
(``tensorflow-inference`` images) only looks for that exact name. The container imports it with
``importlib`` (no package, no ``sys.path`` entry for our library), so this module must stay
self-contained: standard library + numpy only. No TensorFlow import either, so it loads in
milliseconds both in the container and in the local emulator.

Request flow (per the container's ``python_service.py``)::

    body --input_handler(data, context)--> TF Serving REST ":predict" request JSON
         --POST context.rest_uri--> TF Serving response (.status_code, .content)
         --output_handler(response, context)--> (body, content type) returned to the caller

Accepted requests (``context.request_content_type``; parameters such as ``; charset=utf-8`` are
ignored, a missing content type is treated as ``application/json``):

* ``application/json``, either the Watson OpenScale scoring payload the seed uses,
  ``{"input_data": [{"values": images}]}``, or TF Serving's own ``{"instances": images}``;
* ``application/x-npy``: the bytes of a ``numpy.save`` file (no pickles).

``images`` is a batch of 1..``MAX_BATCH_SIZE`` images shaped N×28×28×1, N×28×28 or N×784, every
pixel a finite number in [0, 1] (``uint8 / 255``, the scaling the model was trained with).

Response: ``{"predictions": [{"fields": ["prediction", "probability"],
"values": [[class, [p0, ..., p9]], ...]}]}`` as ``application/json``, the shape OpenScale reads
for a multiclass model (``prediction_field`` / ``probability_fields`` of model_signature.json).

How errors surface
------------------
Every rejected request raises a subclass of :class:`InferenceError` (itself a ``ValueError``)
whose message says what was wrong and what is accepted. The real container catches any exception
from the handlers, logs it and answers HTTP 500 with the body ``{"error": "<message>"}``;
SageMaker's ``InvokeEndpoint`` then fails with ``ModelError`` (HTTP 424) whose message embeds that
body ("Received server error (500) from primary with message ..."). An emulator of the container
must do the same: catch the exception, build ``{"error": str(exc)}`` with status 500, and let the
runtime layer turn it into ``ModelError``. No traceback ever reaches the caller, only the message.
``output_handler`` raises :class:`ModelServerError` (same surfacing) when TF Serving answered
with a non-200 status, carrying TF Serving's own ``error`` text.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

IMAGE_SIDE = 28
NUM_CLASSES = 10
PIXELS = IMAGE_SIDE * IMAGE_SIDE
# Why 1000: SageMaker caps an InvokeEndpoint payload at 6 MB (about 700 JSON images or 1900 npy
# float32 images), so a larger batch can only come from a misuse; refusing it early keeps TF
# Serving (and the local emulator) from materialising huge tensors.
MAX_BATCH_SIZE = 1000
JSON = "application/json"
NPY = "application/x-npy"
SUPPORTED_CONTENT_TYPES = (JSON, NPY)
OUTPUT_FIELDS = ["prediction", "probability"]
# Probabilities from the softmax sum to 1 up to float32 rounding; anything further off means
# the model server returned something that is not a probability vector.
_PROBABILITY_SUM_TOLERANCE = 1e-3

__all__ = [
    "InferenceError",
    "InvalidInputError",
    "ModelServerError",
    "UnsupportedContentTypeError",
    "input_handler",
    "output_handler",
    "parse_images",
    "predictions_to_openscale",
]


class InferenceError(ValueError):
    """Base of every error the handlers raise on purpose (the container answers 500 with it)."""


class UnsupportedContentTypeError(InferenceError):
    """The request's content type (or the Accept header) is not one this model speaks."""


class InvalidInputError(InferenceError):
    """The request body could not be read as a batch of valid 28×28 images."""


class ModelServerError(InferenceError):
    """TF Serving answered with an error status or a response that is not a probability batch."""


class _Readable(Protocol):
    def read(self) -> bytes | str: ...


class _Response(Protocol):
    status_code: int
    content: bytes


def _media_type(content_type: str | None) -> str:
    """``'application/json; charset=utf-8'`` -> ``'application/json'``; None/'' -> JSON."""
    if not content_type:
        return JSON
    return content_type.split(";", 1)[0].strip().lower()


def _read_body(data: _Readable | bytes | str | None) -> bytes:
    """The container passes a stream (``req.stream``); tests and emulators may pass bytes."""
    if data is None:
        raw: bytes | str = b""
    elif isinstance(data, (bytes, bytearray, str)):
        raw = data
    else:
        raw = data.read()
    body = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if not body.strip():
        raise InvalidInputError("empty request body: send a batch of 1 to "
                                f"{MAX_BATCH_SIZE} MNIST images")
    return body


def _images_from_json(body: bytes) -> Any:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"request body is not valid JSON: {exc}") from None
    if isinstance(payload, dict) and "instances" in payload:
        return payload["instances"]
    if isinstance(payload, dict) and "input_data" in payload:
        input_data = payload["input_data"]
        if (
            not isinstance(input_data, list)
            or len(input_data) != 1
            or not isinstance(input_data[0], dict)
            or "values" not in input_data[0]
        ):
            raise InvalidInputError(
                '"input_data" must be a list holding exactly one object with "values": '
                '{"input_data": [{"values": images}]}'
            )
        return input_data[0]["values"]
    keys = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
    raise InvalidInputError(
        'JSON body must be {"input_data": [{"values": images}]} or {"instances": images}; '
        f"got {keys}"
    )


def _images_from_npy(body: bytes) -> Any:
    try:
        return np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InvalidInputError(
            f"request body is not a numpy .npy array (pickles are refused): {exc}"
        ) from None


def parse_images(images: Any) -> np.ndarray:
    """Validate a batch of images and return it as float32 N×28×28×1 (the model's input)."""
    return _validated(images).astype(np.float32)


def _validated(images: Any) -> np.ndarray:
    """Validate a batch of images and return it as float64 N×28×28×1, values unchanged.

    Why so strict: a wrong shape or scale would not fail inside TF Serving, it would silently
    produce confident garbage that OpenScale then logs as payload. Failing here names the fix.
    """
    if isinstance(images, np.ndarray):
        array = images
    else:
        try:
            array = np.asarray(images)
        except ValueError as exc:  # ragged nested lists
            raise InvalidInputError(
                f"images must be a rectangular batch of 28x28 images: {exc}"
            ) from None
    if array.dtype.kind not in "iuf":
        raise InvalidInputError(
            f"images must contain only numbers (got array of {array.dtype.name}); "
            "send pixel values in [0, 1]"
        )
    if array.ndim == 0 or array.shape[0] == 0:
        raise InvalidInputError(
            f"empty batch: send between 1 and {MAX_BATCH_SIZE} images"
        )
    shape = tuple(int(d) for d in array.shape)
    accepted = {
        (IMAGE_SIDE, IMAGE_SIDE, 1),
        (IMAGE_SIDE, IMAGE_SIDE),
        (PIXELS,),
    }
    if shape[1:] not in accepted:
        raise InvalidInputError(
            f"images have shape {list(shape)}; expected a batch shaped Nx28x28x1, Nx28x28 or "
            "Nx784 (wrap a single image in a list)"
        )
    if shape[0] > MAX_BATCH_SIZE:
        raise InvalidInputError(
            f"batch of {shape[0]} images is too large: at most {MAX_BATCH_SIZE} per request"
        )
    values = array.astype(np.float64, copy=False)
    if not np.isfinite(values).all():
        raise InvalidInputError("images contain NaN or infinite values; pixels must be in [0, 1]")
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        raise InvalidInputError(
            f"pixel values range over [{low:g}, {high:g}]; they must be in [0, 1] "
            "(divide uint8 pixels by 255)"
        )
    return values.reshape(shape[0], IMAGE_SIDE, IMAGE_SIDE, 1)


def input_handler(data: _Readable | bytes | str, context: Any) -> str:
    """Turn an invocation body into a TF Serving REST ``:predict`` request.

    Returns the JSON string ``{"instances": [...]}`` with N×28×28×1 float pixels.
    """
    media_type = _media_type(getattr(context, "request_content_type", None))
    if media_type not in SUPPORTED_CONTENT_TYPES:
        raise UnsupportedContentTypeError(
            f"unsupported content type {media_type!r}: use one of "
            f"{', '.join(SUPPORTED_CONTENT_TYPES)}"
        )
    _check_accept(getattr(context, "accept_header", None))
    body = _read_body(data)
    raw = _images_from_json(body) if media_type == JSON else _images_from_npy(body)
    # float64 keeps the caller's JSON numbers verbatim (float32 would print 0.123 as
    # 0.12300000339746475 and double the request size); TF Serving casts to float32 anyway.
    batch = _validated(raw)
    return json.dumps({"instances": batch.tolist()})


def _check_accept(accept: str | None) -> None:
    """Refuse early a client that cannot take JSON, rather than answer in a type it refuses."""
    if not accept:
        return
    ranges = {_media_type(part) for part in accept.split(",")}
    if ranges & {JSON, "*/*", "application/*"}:
        return
    raise UnsupportedContentTypeError(
        f"unsupported Accept header {accept!r}: this model answers {JSON} only"
    )


def _server_error_message(response: _Response) -> str:
    text = _decode(response.content)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return text.strip() or "no error message"
    if isinstance(parsed, dict) and "error" in parsed:
        return str(parsed["error"])
    return text.strip()


def _decode(content: bytes | str | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return content.decode("utf-8", errors="replace")


def predictions_to_openscale(predictions: Sequence[Sequence[float]]) -> dict[str, Any]:
    """Map softmax rows to OpenScale's ``{"fields": [...], "values": [[class, probs], ...]}``."""
    rows: list[list[Any]] = []
    for index, row in enumerate(predictions):
        if (
            not isinstance(row, (list, tuple))
            or len(row) != NUM_CLASSES
            or not all(
                isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p)
                for p in row
            )
        ):
            raise ModelServerError(
                f"model server returned prediction {index} that is not {NUM_CLASSES} finite "
                "probabilities"
            )
        probabilities = [float(p) for p in row]
        if abs(sum(probabilities) - 1.0) > _PROBABILITY_SUM_TOLERANCE:
            raise ModelServerError(
                f"model server returned prediction {index} whose probabilities sum to "
                f"{sum(probabilities):.6f}, not 1"
            )
        label = max(range(NUM_CLASSES), key=probabilities.__getitem__)
        rows.append([label, probabilities])
    return {"predictions": [{"fields": list(OUTPUT_FIELDS), "values": rows}]}


def output_handler(response: _Response, context: Any) -> tuple[str, str]:
    """Turn TF Serving's ``{"predictions": [[p0..p9], ...]}`` into the OpenScale response body."""
    if response.status_code != 200:
        raise ModelServerError(
            f"TF Serving answered {response.status_code}: {_server_error_message(response)}"
        )
    try:
        payload = json.loads(_decode(response.content))
    except json.JSONDecodeError as exc:
        raise ModelServerError(f"TF Serving returned a body that is not JSON: {exc}") from None
    predictions = None
    if isinstance(payload, dict):
        predictions = payload.get("predictions", payload.get("outputs"))
    if isinstance(predictions, dict) and len(predictions) == 1:  # named single output
        predictions = next(iter(predictions.values()))
    if not isinstance(predictions, list) or not predictions:
        raise ModelServerError(
            'TF Serving response has no "predictions" list: '
            f"{_decode(response.content)[:200]}"
        )
    body = predictions_to_openscale(predictions)
    return json.dumps(body), JSON
