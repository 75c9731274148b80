"""Pre- and post-processing handlers for the SageMaker TensorFlow Serving container.

The training job copies this file to ``<model_dir>/code/inference.py``, the one name the TF
Serving container (``tensorflow-inference:2.19-cpu``) imports. Its Python service calls
``input_handler(data, context)``, posts the result to TF Serving (``context.rest_uri``), and
hands TF Serving's response to ``output_handler(response, context)``.

Standard library only, on purpose. The serving image's Python has no numpy and no TensorFlow
(TF Serving is a C++ binary; the image pip-installs boto3, requests, grpcio, protobuf, falcon,
gunicorn...). numpy could come two ways, both worse: ``code/requirements.txt`` is pip-installed
when the container starts, which needs PyPI, and an endpoint with network isolation has no
network; ``code/lib`` would need numpy's manylinux wheel for Python 3.12 unpacked into the
model artifact (about 40 MB). Checking a few hundred thousand pixels needs neither.

Accepted requests (``application/json``; parameters such as ``; charset=utf-8`` are ignored, a
missing content type means JSON):

* the Watson OpenScale scoring payload ``{"input_data": [{"values": images}]}``;
* TF Serving's own ``{"instances": images}``.

``images`` is a batch of 1 to ``MAX_BATCH_SIZE`` images shaped N×28×28×1, N×28×28 or N×784,
every pixel a finite number in [0, 1] (``uint8 / 255``, the scaling the model was trained with).

Response: ``{"predictions": [{"fields": ["prediction", "probability"],
"values": [[class, [p0, ..., p9]], ...]}]}`` as ``application/json``: the shape OpenScale reads
for a multiclass model.

A rejected request raises an :class:`InferenceError` (a ``ValueError``) whose message says what
is wrong and what is accepted. The container answers any handler exception with HTTP 500 and
``{"error": "<message>"}``, which ``InvokeEndpoint`` reports as ``ModelError``.
"""

from __future__ import annotations

import json
import math
from typing import Any

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
NUM_CLASSES = 10
# SageMaker caps an InvokeEndpoint payload at 6 MB (about 700 JSON images): a larger batch is a
# misuse, refused before TF Serving builds a huge tensor.
MAX_BATCH_SIZE = 1000
JSON = "application/json"
OUTPUT_FIELDS = ["prediction", "probability"]
# A softmax row sums to 1 up to float32 rounding; further off, it is not a probability vector.
PROBABILITY_SUM_TOLERANCE = 1e-3
_SHAPES = "Nx28x28x1, Nx28x28 or Nx784"

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
    """The request's content type (or its Accept header) is not JSON."""


class InvalidInputError(InferenceError):
    """The request body is not a batch of valid 28×28 images."""


class ModelServerError(InferenceError):
    """TF Serving answered an error, or something that is not a batch of probabilities."""


def input_handler(data: Any, context: Any) -> str:
    """The request body (a stream) -> TF Serving's ``{"instances": N×28×28×1 images}``."""
    content_type = _media_type(getattr(context, "request_content_type", None))
    if content_type != JSON:
        raise UnsupportedContentTypeError(
            f"unsupported content type {content_type!r}: use {JSON}")
    accept = getattr(context, "accept_header", None)
    if accept and not {_media_type(a) for a in accept.split(",")} & {JSON, "*/*", "application/*"}:
        raise UnsupportedContentTypeError(
            f"unsupported Accept header {accept!r}: this model answers {JSON} only")
    raw = data.read() if hasattr(data, "read") else data
    body = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes | bytearray) else raw
    if not body or not body.strip():
        raise InvalidInputError(f"empty request body: send a batch of 1 to {MAX_BATCH_SIZE} "
                                "MNIST images")
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"request body is not valid JSON: {exc}") from None
    return json.dumps({"instances": parse_images(_images_of(payload))})


def _media_type(content_type: str | None) -> str:
    """``'application/json; charset=utf-8'`` -> ``'application/json'``; None or '' -> JSON."""
    return content_type.split(";", 1)[0].strip().lower() if content_type else JSON


def _images_of(payload: Any) -> Any:
    if isinstance(payload, dict) and "instances" in payload:
        return payload["instances"]
    if isinstance(payload, dict) and "input_data" in payload:
        input_data = payload["input_data"]
        if (not isinstance(input_data, list) or len(input_data) != 1
                or not isinstance(input_data[0], dict) or "values" not in input_data[0]):
            raise InvalidInputError('"input_data" must be a list holding exactly one object '
                                    'with "values": {"input_data": [{"values": images}]}')
        return input_data[0]["values"]
    got = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
    raise InvalidInputError('JSON body must be {"input_data": [{"values": images}]} or '
                            f'{{"instances": images}}; got {got}')


def parse_images(images: Any) -> list[list[list[tuple[float]]]]:
    """Check a batch of images and return it as N×28×28×1 nested sequences (the model's input;
    ``json.dumps`` writes each one-pixel tuple as a list).

    Why so strict: a wrong shape or scale would not fail in TF Serving, it would give
    confident garbage that OpenScale then logs as payload. Failing here names the fix.
    """
    if not isinstance(images, list):
        raise InvalidInputError(f"images must be a list of images, not {type(images).__name__}")
    if not images:
        raise InvalidInputError(f"empty batch: send between 1 and {MAX_BATCH_SIZE} images")
    if len(images) > MAX_BATCH_SIZE:
        raise InvalidInputError(f"batch of {len(images)} images is too large: at most "
                                f"{MAX_BATCH_SIZE} per request")
    shape = _shape(images)
    if shape[1:] not in ([IMAGE_SIDE, IMAGE_SIDE, 1], [IMAGE_SIDE, IMAGE_SIDE], [PIXELS]):
        raise InvalidInputError(f"images have shape {shape}; expected a batch shaped {_SHAPES} "
                                "(wrap a single image in a list)")
    flat = [_pixels(image, index, shape[1:]) for index, image in enumerate(images)]
    _check_values([p for pixels in flat for p in pixels])
    return [[list(zip(pixels[row:row + IMAGE_SIDE])) for row in range(0, PIXELS, IMAGE_SIDE)]
            for pixels in flat]


def _shape(value: Any) -> list[int]:
    """The shape of nested lists, read along the first items."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return shape


def _pixels(image: Any, index: int, shape: list[int]) -> list[Any]:
    """One image's 784 pixels in row order; an image of another shape is refused."""
    if shape == [PIXELS]:
        pixels = image if isinstance(image, list) and len(image) == PIXELS else None
    elif (isinstance(image, list) and len(image) == IMAGE_SIDE and all(
            isinstance(row, list) and len(row) == IMAGE_SIDE for row in image)):
        pixels = [p for row in image for p in row]
        if len(shape) == 3:  # one channel: [p] -> p
            ok = all(isinstance(p, list) and len(p) == 1 for p in pixels)
            pixels = [p[0] for p in pixels] if ok else None
    else:
        pixels = None
    if pixels is None:
        raise InvalidInputError(f"images must be a rectangular batch of 28x28 images: image "
                                f"{index} has shape {_shape(image)}, image 0 has {shape}")
    return pixels


def _check_values(pixels: list[Any]) -> None:
    """Every pixel a finite number in [0, 1]."""
    types = set(map(type, pixels))
    if not types <= {float, int}:  # bool is not a number here
        wrong = next(p for p in pixels if type(p) not in (float, int))
        raise InvalidInputError(f"images must contain only numbers, not {type(wrong).__name__} "
                                f"({json.dumps(wrong)[:20]}); send pixel values in [0, 1]")
    try:
        finite = all(map(math.isfinite, pixels))
    except OverflowError:  # an integer too large for a float: the range check names it
        finite = True
    if not finite:
        raise InvalidInputError("images contain NaN or Infinity; pixels must be finite numbers "
                                "in [0, 1]")
    low, high = min(pixels), max(pixels)
    if low < 0 or high > 1:
        raise InvalidInputError(f"pixel values range over [{low}, {high}]; they must be in "
                                "[0, 1] (divide uint8 pixels by 255)")


def output_handler(response: Any, context: Any) -> tuple[str, str]:
    """TF Serving's ``{"predictions": [[p0..p9], ...]}`` -> the OpenScale body, as JSON."""
    text = response.content.decode("utf-8", errors="replace") if isinstance(
        response.content, bytes) else str(response.content or "")
    if response.status_code != 200:
        try:
            message = json.loads(text).get("error", text)
        except (json.JSONDecodeError, AttributeError):
            message = text.strip() or "no error message"
        raise ModelServerError(f"TF Serving answered {response.status_code}: {message}")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelServerError(f"TF Serving returned a body that is not JSON: {exc}") from None
    predictions = payload.get("predictions") if isinstance(payload, dict) else None
    if not isinstance(predictions, list) or not predictions:
        raise ModelServerError(f'TF Serving response has no "predictions" list: {text[:200]}')
    return json.dumps(predictions_to_openscale(predictions)), JSON


def predictions_to_openscale(predictions: list[Any]) -> dict[str, Any]:
    """Softmax rows -> ``{"predictions": [{"fields": [...], "values": [[class, probs]...]}]}``."""
    rows = []
    for index, row in enumerate(predictions):
        if (not isinstance(row, list) or len(row) != NUM_CLASSES or not all(
                type(p) in (float, int) and math.isfinite(p) for p in row)):
            raise ModelServerError(f"model server returned prediction {index} that is not "
                                   f"{NUM_CLASSES} finite probabilities")
        probabilities = [float(p) for p in row]
        if abs(sum(probabilities) - 1.0) > PROBABILITY_SUM_TOLERANCE:
            raise ModelServerError(f"model server returned prediction {index} whose "
                                   f"probabilities sum to {sum(probabilities):.6f}, not 1")
        rows.append([probabilities.index(max(probabilities)), probabilities])
    return {"predictions": [{"fields": list(OUTPUT_FIELDS), "values": rows}]}
