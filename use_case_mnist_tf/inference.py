"""Pre- and post-processing handlers for the SageMaker TensorFlow Serving container.

The training job copies this file to ``<model_dir>/code/inference.py``: the TF Serving container
(``tensorflow-inference`` images) only looks for that exact name. The container imports it with
``importlib`` (no package, no ``sys.path`` entry for our library), so this module must stay
self-contained: standard library + numpy, and pysimdjson when present. No TensorFlow import
either, so it loads in milliseconds both in the container and in the local emulator.

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

Speed
-----
With the standard library alone, ``json.loads`` of a 100-image body, ``np.asarray`` and
``json.dumps(batch.tolist())`` of the request cost about 15 times what the model needs to classify
the batch. ``input_handler`` therefore first tries :func:`_fast_json_request`, which handles the
common body (a rectangular array of plain JSON numbers in [0, 1]) without building 78,400 Python
floats:

* with ``pysimdjson`` importable (``pip install pysimdjson``: add it to the serving image, or to
  ``code/requirements.txt`` if your endpoint may reach PyPI), simdjson reads the array straight
  into doubles and a valid N x 28 x 28 x 1 batch is passed on to TF Serving verbatim: the same
  numbers as the standard path, in the caller's spelling;
* without it, a standard-library parser converts each distinct number spelling once and emits
  exactly the bytes the standard path would; :func:`_dumps_instances` does the same for ``.npy``.

Whenever a body is not provably such an array (strings, ``NaN``, ragged or mis-shaped lists,
out-of-range pixels, spellings JSON forbids such as ``01`` or ``.5``, extra keys), the fast path
returns ``None`` and the standard path runs, so results and error messages never differ from it.
The techniques are copies of ``mlmonitor_lib.emulators.sagemaker_local.fastjson`` and
``mlmonitor_lib.aws.jsonarray``, not imports: this file runs inside SageMaker's container, where
our package is not installed (see the first paragraph).
"""

from __future__ import annotations

import io
import json
import math
import re
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

try:  # optional accelerator (see "Speed"): not in the serving image unless you add it
    import simdjson as _simdjson
except ImportError:
    _simdjson = None

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
_ACCEPTED_IMAGE_SHAPES = frozenset({
    (IMAGE_SIDE, IMAGE_SIDE, 1),
    (IMAGE_SIDE, IMAGE_SIDE),
    (PIXELS,),
})
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
    if shape[1:] not in _ACCEPTED_IMAGE_SHAPES:
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
    if media_type == JSON:
        fast = _fast_json_request(body)
        if fast is not None:
            return fast
        raw = _images_from_json(body)
    else:
        raw = _images_from_npy(body)
    # float64 keeps the caller's JSON numbers verbatim (float32 would print 0.123 as
    # 0.12300000339746475 and double the request size); TF Serving casts to float32 anyway.
    return _dumps_instances(_validated(raw))


# ----------------------------------------------------------------- fast path
# Everything below returns exactly what the standard path returns, only sooner; see "Speed" in the
# module docstring. Why copied rather than imported: this file must run in SageMaker's container,
# where mlmonitor_lib is not installed.

_WS = b" \t\n\r"  # JSON's whitespace only: float() and regex \s accept more
_SPACE = rb"[ \t\n\r]*"
_HEAD = re.compile(_SPACE + rb"\{" + _SPACE + rb'"(instances|input_data)"' + _SPACE + rb":"
                   + _SPACE)
_VALUES_HEAD = re.compile(rb"\[" + _SPACE + rb"\{" + _SPACE + rb'"values"' + _SPACE + rb":"
                          + _SPACE)
# What must close the body after the array, read from the end: "}" or "}" "]" "}".
_CLOSERS = {b"instances": (b"}",), b"input_data": (b"}", b"]", b"}")}
_NUMBER_CHARS = b"0123456789.eE+-"
_ARRAY_CHARS = _NUMBER_CHARS + _WS + b",[]"
# JSON's number grammar (json.loads refuses 01, .5, 1., +1 that float() reads); the groups are
# the fraction and exponent: a number with neither is an int to json.loads.
_JSON_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
# json.dumps' text of one N x 28 x 28 x 1 image with the numbers removed.
_IMAGE_SKELETON = b"[" + b", ".join(
    [b"[" + b", ".join([b"[]"] * IMAGE_SIDE) + b"]"] * IMAGE_SIDE) + b"]"
# Number spelling -> _pixel_cell's answer; dict get/set are atomic, so threads may share it.
_CELLS: dict[bytes, tuple[str, bool] | None] = {}
_MAX_CELLS = 1 << 14
_UNKNOWN = object()
# Above this many distinct values a lookup table stops paying for itself (see _dumps_instances).
_MAX_DISTINCT = 256


def _fast_json_request(body: bytes) -> str | None:
    """The ``:predict`` request for a JSON body holding a valid batch, or ``None`` to fall back.

    Exactly ``json.dumps({"instances": _validated(_images_from_json(body)).tolist()})``, built
    without a Python float per pixel: the array text is checked against JSON's grammar (only
    number characters, commas, brackets and whitespace; each number spelled as JSON allows) and
    its bracket/comma skeleton gives the shape; each distinct number spelling (scaled uint8
    pixels have at most 256) is converted once, as ``json.loads`` converts it, and validated.
    When the array text already is ``json.dumps``' output for an N x 28 x 28 x 1 float batch
    (what ``json.dumps`` of a numpy batch writes, the usual client), it is passed on verbatim;
    otherwise the request is assembled from the distinct numbers' ``repr``. ``None`` whenever
    any of this does not hold, so the standard path answers, or raises the usual error.
    """
    head = _HEAD.match(body)
    if head is None:
        return None
    start, closers = head.end(), _CLOSERS[head.group(1)]
    if head.group(1) == b"input_data":
        values = _VALUES_HEAD.match(body, start)
        if values is None:
            return None
        start = values.end()
    end = len(body)
    for closer in closers:
        end = _rstrip_ws(body, start, end)
        if body[end - 1:end] != closer:
            return None
        end -= 1
    text = body[start:_rstrip_ws(body, start, end)]
    if _simdjson is not None:
        return _simdjson_request(text)
    if text[:1] != b"[" or text.translate(None, _ARRAY_CHARS):  # strings, objects, literals
        return None
    skeleton = text.translate(None, _NUMBER_CHARS)
    count, extra = divmod(len(skeleton), len(_IMAGE_SKELETON) + 2)
    verbatim = (not extra and 1 <= count <= MAX_BATCH_SIZE
                and skeleton == b"[" + b", ".join([_IMAGE_SKELETON] * count) + b"]")
    if verbatim:  # json.dumps' layout: separators are exactly ", ", no other whitespace
        tokens = text.translate(None, b"[]").split(b", ")
    else:
        shape = _shape_of_skeleton(skeleton.translate(None, _WS))
        if (shape is None or shape[1:] not in _ACCEPTED_IMAGE_SHAPES
                or not 1 <= shape[0] <= MAX_BATCH_SIZE):
            return None
        count = shape[0]
        tokens = text.translate(None, b"[]").split(b",")
    if len(tokens) != count * PIXELS:
        return None
    cells: dict[bytes, str] = {}
    known = _CELLS.get
    for token in set(tokens):
        cell = known(token, _UNKNOWN)
        if cell is _UNKNOWN:
            cell = _pixel_cell(token)
        if cell is None:
            return None
        cells[token], canonical = cell
        verbatim = verbatim and canonical
    if verbatim:
        return '{"instances": ' + text.decode("ascii") + "}"
    return _assemble_instances(list(map(cells.__getitem__, tokens)))


def _simdjson_request(text: bytes) -> str | None:
    """The ``:predict`` request for the image array ``text``, read by simdjson, or ``None``.

    simdjson reads strict JSON only and every number as ``json.loads`` does, straight into
    doubles; the skeleton gives the shape. A valid N x 28 x 28 x 1 batch is passed on verbatim
    (same numbers as the standard path, in the caller's spelling); other accepted shapes are
    re-shaped and written like the standard path writes them.
    """
    pixels = _read_array(text)
    if (pixels is None or pixels.shape[1:] not in _ACCEPTED_IMAGE_SHAPES
            or not 1 <= pixels.shape[0] <= MAX_BATCH_SIZE
            or not (pixels.min() >= 0.0 and pixels.max() <= 1.0)):
        return None
    if pixels.shape[1:] == (IMAGE_SIDE, IMAGE_SIDE, 1):
        return '{"instances": ' + text.decode("ascii") + "}"
    return _dumps_instances(pixels.reshape(pixels.shape[0], IMAGE_SIDE, IMAGE_SIDE, 1))


def _read_array(text: bytes) -> np.ndarray | None:
    """The rectangular JSON number array ``text`` as float64 of its shape, read by simdjson;
    None for anything else.

    Anything but numbers, commas and brackets (strings, objects, literals, stray characters)
    stays in the skeleton and fails its check; then the numbers alone are read as one flat
    array, which spares simdjson a nested array per element.
    """
    shape = _shape_of_skeleton(text.translate(None, _NUMBER_CHARS + _WS))
    if shape is None:
        return None
    buffer = _read_numbers(b"[" + text.translate(None, b"[]") + b"]")
    if buffer is None:
        return None
    values = np.frombuffer(buffer, dtype=np.float64)
    return values.reshape(shape) if values.size == math.prod(shape) else None


_PARSERS = threading.local()  # one simdjson Parser per thread: a parser is not shareable


def _read_numbers(text: bytes) -> memoryview | None:
    """Every number of the JSON array ``text``, flattened, as doubles; None unless ``text`` is
    strict JSON holding only numbers that fit a double (``1e400`` and integers beyond 64 bits
    give None, so the standard path names the problem)."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _simdjson.Parser()
    try:
        document = parser.parse(text)
        try:
            return memoryview(document.as_buffer(of_type="d"))
        finally:
            del document  # the parser refuses to parse again while a document is alive
    except (ValueError, TypeError, RuntimeError):  # RuntimeError: BIGINT_ERROR
        return None


def _rstrip_ws(data: bytes, start: int, end: int) -> int:
    while end > start and data[end - 1] in _WS:
        end -= 1
    return end


def _pixel_cell(token: bytes) -> tuple[str, bool] | None:
    """``("[<json.dumps of the pixel>]", token is already that text)`` or None (see
    :func:`_pixel_repr`), remembered: the same few hundred spellings recur in every request, and
    converting them is most of a one-image request's cost. Bounded, so odd clients cannot grow it.
    """
    number = _pixel_repr(token)
    cell = None if number is None else ("[" + number + "]", number.encode() == token)
    if len(_CELLS) >= _MAX_CELLS:
        _CELLS.clear()
    _CELLS[token] = cell
    return cell


def _pixel_repr(token: bytes) -> str | None:
    """``json.dumps`` of the float64 pixel that ``json.loads`` reads from ``token``, or None
    when the token is not a JSON number or the pixel is not a finite value in [0, 1]."""
    spelling = token.strip(_WS)
    match = _JSON_NUMBER.fullmatch(spelling)
    if match is None:
        return None
    if match.group(1) is None and match.group(2) is None:  # an int: -0 reads as 0, not -0.0
        if len(spelling) > 20:  # > int64: np.asarray makes an object array; let it say so
            return None
        value = float(int(spelling))
    else:
        value = float(spelling)
    if not 0.0 <= value <= 1.0:  # NaN and the infinities (1e400) fail this too
        return None
    return repr(value)  # what json.dumps writes for a finite float


def _shape_of_skeleton(skeleton: bytes) -> tuple[int, ...] | None:
    """The shape of a nested list given only its brackets and commas (``[[,],[,]]`` -> (2, 2)),
    or None unless every list at each depth has the same length."""
    depth = len(skeleton) - len(skeleton.lstrip(b"["))
    if depth == 0:
        return None
    element = b""  # a number leaves nothing in the skeleton
    dims: list[int] = []
    for level in range(depth, 0, -1):
        position, count, step = level, 0, len(element)  # first list of this level
        while True:
            if skeleton[position:position + step] != element:
                return None
            position += step
            count += 1
            mark = skeleton[position:position + 1]
            if mark == b"]":
                break
            if mark != b",":
                return None
            position += 1
        dims.append(count)
        element = b"[" + b",".join([element] * count) + b"]"
    return tuple(reversed(dims)) if element == skeleton else None


def _assemble_instances(cells: list[str]) -> str:
    """``{"instances": ...}`` as json.dumps writes it, from the ``"[v]"`` text of every pixel of
    an N x 28 x 28 x 1 batch in C order."""
    side = IMAGE_SIDE
    rows = ["[" + ", ".join(cells[i:i + side]) + "]" for i in range(0, len(cells), side)]
    images = ["[" + ", ".join(rows[i:i + side]) + "]" for i in range(0, len(rows), side)]
    return '{"instances": [' + ", ".join(images) + "]}"


def _dumps_instances(batch: np.ndarray) -> str:
    """``json.dumps({"instances": batch.tolist()})`` for a validated float64 N x 28 x 28 x 1 batch.

    Scaled pixels take few distinct values: each is formatted once (``repr``, as json.dumps
    does) and the text assembled from those. Many distinct values, or a negative zero anywhere
    (``np.unique`` merges it with 0.0, keeping either), take the standard path.
    """
    flat = batch.reshape(-1)
    if np.signbit(flat).any():  # validated pixels are >= 0: only -0.0 has its sign bit set
        return json.dumps({"instances": batch.tolist()})
    distinct, inverse = np.unique(flat, return_inverse=True)
    if distinct.size > max(_MAX_DISTINCT, flat.size // 8):
        return json.dumps({"instances": batch.tolist()})
    table = np.array(["[" + repr(v) + "]" for v in distinct.tolist()], dtype=object)
    return _assemble_instances(table[inverse.reshape(-1)].tolist())


_PREDICTIONS_HEAD = re.compile(_SPACE + rb"\{" + _SPACE + rb'"predictions"' + _SPACE + rb":"
                               + _SPACE)


def _fast_openscale_body(content: bytes) -> str | None:
    """``output_handler``'s body for ``{"predictions": [[p0..p9], ...]}`` read by simdjson, or
    None for anything else or anything the standard path would refuse (it then says why).

    The same bytes as the standard path: simdjson reads each number as ``json.loads`` does, the
    label is the first most probable class, the probabilities are written back as floats.
    """
    head = _PREDICTIONS_HEAD.match(content)
    if head is None:
        return None
    end = _rstrip_ws(content, head.end(), len(content))
    if content[end - 1:end] != b"}":
        return None
    probabilities = _read_array(content[head.end():_rstrip_ws(content, head.end(), end - 1)])
    if probabilities is None or probabilities.ndim != 2 or probabilities.shape[1] != NUM_CLASSES:
        return None
    rows = probabilities.tolist()
    if any(abs(sum(row) - 1.0) > _PROBABILITY_SUM_TOLERANCE for row in rows):
        return None
    labels = probabilities.argmax(axis=1).tolist()
    values = [[label, row] for label, row in zip(labels, rows, strict=True)]
    return json.dumps({"predictions": [{"fields": list(OUTPUT_FIELDS), "values": values}]})


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
    if _simdjson is not None and isinstance(response.content, bytes):
        fast = _fast_openscale_body(response.content)
        if fast is not None:
            return fast, JSON
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
