"""Pre- and post-processing handlers for the SageMaker TensorFlow Serving container.

The training job copies this file to ``<model_dir>/code/inference.py``: the TF Serving container
(``tensorflow-inference`` images) only looks for that exact name. The container imports it with
``importlib`` (no package, no ``sys.path`` entry for our library), so this module must stay
self-contained: standard library + numpy, and pysimdjson and pybase64 when present. No
TensorFlow import either, so it loads in milliseconds both in the container and in the local
emulator.

Request flow (per the container's ``python_service.py``)::

    body --input_handler(data, context)--> TF Serving REST ":predict" request JSON
         (signature "serving_bytes": the validated pixels in binary, see "Speed")
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
TF Serving's REST API speaks JSON: sent as JSON numbers, a 100-image batch would be parsed
twice, here and again by TF Serving, which costs more than the model needs to classify it.
The handler therefore parses and validates the body once and hands TF Serving the pixels in
binary (:func:`serving_request`): one ``{"b64": ...}`` string holding the whole batch's pixels
as little-endian float32 (one string rather than one per image: TF Serving then decodes one
base64 text, not a hundred), for the SavedModel's ``serving_bytes`` signature, which decodes
it and runs the same model as ``serving_default`` (``tf_cnn_train.py`` exports both).

Parsing the body takes :func:`_fast_json_images` first, which reads the common body (a
rectangular array of plain JSON numbers) without building 78,400 Python floats:

* with ``pysimdjson`` importable, simdjson reads the array straight into doubles;
* without it, a standard-library reader converts each distinct number spelling once.

Both read exactly the array ``json.loads`` + ``np.asarray`` would; whenever a body is not
provably such an array (strings, ``NaN``, ragged lists, spellings JSON forbids such as ``01`` or
``.5``, extra keys), the fast path returns ``None`` and the standard path runs, so results and
error messages never differ from it. ``pybase64``, when importable, writes the base64 text with
SIMD instructions (the standard library's ``base64`` otherwise). Both accelerators are optional:
add ``pysimdjson`` and ``pybase64`` to the serving image, or to ``code/requirements.txt`` if
your endpoint may reach PyPI. The techniques are copies of
``mlmonitor_lib.emulators.sagemaker_local.fastjson``, not imports: this file runs inside
SageMaker's container, where our package is not installed (see the first paragraph).
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

try:  # optional accelerators (see "Speed"): not in the serving image unless you add them
    import simdjson as _simdjson
except ImportError:
    _simdjson = None
try:
    from pybase64 import b64encode as _b64encode
except ImportError:
    from base64 import b64encode as _b64encode

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
# The SavedModel signature input_handler's requests are for (exported by tf_cnn_train.py): one
# string holding the batch's pixels as little-endian float32.
BYTES_SIGNATURE = "serving_bytes"
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
    "serving_request",
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
    low, high = float(values.min()), float(values.max())  # a NaN anywhere makes both NaN
    if not (math.isfinite(low) and math.isfinite(high)):
        raise InvalidInputError("images contain NaN or infinite values; pixels must be in [0, 1]")
    if low < 0.0 or high > 1.0:
        raise InvalidInputError(
            f"pixel values range over [{low:g}, {high:g}]; they must be in [0, 1] "
            "(divide uint8 pixels by 255)"
        )
    return values.reshape(shape[0], IMAGE_SIDE, IMAGE_SIDE, 1)


def input_handler(data: _Readable | bytes | str, context: Any) -> bytes:
    """Turn an invocation body into a TF Serving REST ``:predict`` request.

    Returns the JSON ``{"signature_name": "serving_bytes", "inputs": [{"b64": ...}]}``
    (UTF-8): one binary string holding the validated images' pixels as little-endian float32
    (see :func:`serving_request`).
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
        images = _fast_json_images(body)
        if images is None:
            images = _images_from_json(body)
    else:
        images = _images_from_npy(body)
    return serving_request(_validated(images))


def serving_request(batch: np.ndarray) -> bytes:
    """The ``:predict`` request for a validated N×28×28×1 batch, in TF Serving's binary form.

    The batch travels as one ``{"b64": ...}`` (TF Serving's REST encoding of a binary string)
    holding its pixels as little-endian float32, the model's input type: exactly the values TF
    Serving would have cast JSON numbers to, without TF Serving parsing the 784 numbers per
    image that this handler has just parsed and checked. The request is columnar
    (``"inputs"``: the signature's one input, a tensor of one string), so TF Serving answers
    ``{"outputs": ...}``; the SavedModel's ``serving_bytes`` signature decodes the string
    (``tf.io.decode_raw``) and runs the same model as ``serving_default``.
    """
    pixels = np.ascontiguousarray(batch, dtype="<f4")
    return b"".join((_REQUEST_HEAD, _b64encode(pixels), _REQUEST_TAIL))  # one copy, not two


_REQUEST_HEAD = (b'{"signature_name": "' + BYTES_SIGNATURE.encode()
                 + b'", "inputs": [{"b64": "')
_REQUEST_TAIL = b'"}]}'


# ----------------------------------------------------------------- fast path
# What the standard path reads, only sooner; see "Speed" in the module docstring. Why copied
# rather than imported: this file must run in SageMaker's container, where mlmonitor_lib is not
# installed.

_WS = b" \t\n\r"  # JSON's whitespace only: float() and regex \s accept more
_SPACE = rb"[ \t\n\r]*"
_HEAD = re.compile(_SPACE + rb"\{" + _SPACE + rb'"(instances|input_data)"' + _SPACE + rb":"
                   + _SPACE)
_VALUES_HEAD = re.compile(rb"\[" + _SPACE + rb"\{" + _SPACE + rb'"values"' + _SPACE + rb":"
                          + _SPACE)
# What must close the body after the array, read from the end: "}" or "}" "]" "}".
_CLOSERS = {b"instances": (b"}",), b"input_data": (b"}", b"]", b"}")}
_NUMBER_CHARS = b"0123456789.eE+-"
# JSON's number grammar (json.loads refuses 01, .5, 1., +1 that float() reads); the groups are
# the fraction and exponent: a number with neither is an int to json.loads.
_JSON_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
# Number spelling -> its value (None: not a JSON number we read); dict get/set are atomic, so
# threads may share it.
_NUMBERS: dict[bytes, float | None] = {}
_MAX_NUMBERS = 1 << 14
_UNKNOWN = object()


def _fast_json_images(body: bytes) -> np.ndarray | None:
    """The image array of a JSON body, read without ``json.loads``; ``None`` to fall back.

    Exactly ``np.asarray(_images_from_json(body), dtype=float64)`` when the body is
    ``{"instances": A}`` or ``{"input_data": [{"values": A}]}`` and ``A`` a rectangular array
    of plain JSON numbers (the usual client). ``None`` for any other body, so the standard path
    answers it, or names what is wrong.
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
    return _read_array(body[start:_rstrip_ws(body, start, end)])


def _read_array(text: bytes) -> np.ndarray | None:
    """The rectangular JSON number array ``text`` as float64 of its shape; None for anything
    else.

    Anything but numbers, commas and brackets (strings, objects, literals, stray characters)
    stays in the skeleton and fails its check; the skeleton also gives the shape, the parser
    only the numbers.
    """
    shape = _shape_of_skeleton(text.translate(None, _NUMBER_CHARS + _WS))
    if shape is None:
        return None
    if _simdjson is not None:
        values = _read_numbers(text)
    else:
        values = _read_numbers_stdlib(b"[" + text.translate(None, b"[]") + b"]")
    if values is None or values.size != math.prod(shape):
        return None
    return values.reshape(shape)


_PARSERS = threading.local()  # one simdjson Parser per thread: a parser is not shareable


def _read_numbers(array: bytes) -> np.ndarray | None:
    """Every number of the JSON array ``array``, flattened, as float64, read by simdjson
    straight into doubles (as ``json.loads`` reads them); None unless it is strict JSON holding
    only numbers that fit a double, at any depth (``1e400`` and integers beyond 64 bits give
    None, so the standard path names the problem)."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _simdjson.Parser()
    try:
        document = parser.parse(array)
        try:
            return np.frombuffer(document.as_buffer(of_type="d"), dtype=np.float64)
        finally:
            del document  # the parser refuses to parse again while a document is alive
    except (ValueError, TypeError, RuntimeError):  # RuntimeError: BIGINT_ERROR
        return None


def _read_numbers_stdlib(numbers: bytes) -> np.ndarray | None:
    """:func:`_read_numbers` with the standard library: each distinct spelling between the
    commas (scaled uint8 pixels have at most 256) is converted once, as ``json.loads`` would."""
    tokens = numbers[1:-1].split(b",")
    values: dict[bytes, float] = {}
    known = _NUMBERS.get
    for token in set(tokens):
        number = known(token, _UNKNOWN)
        if number is _UNKNOWN:
            number = _remember_number(token)
        if number is None:
            return None
        values[token] = number
    return np.fromiter(map(values.__getitem__, tokens), dtype=np.float64, count=len(tokens))


def _remember_number(token: bytes) -> float | None:
    """:func:`_json_number`, remembered: the same few hundred spellings recur in every request,
    and converting them is most of a one-image request's cost. Bounded, so odd clients cannot
    grow it."""
    number = _json_number(token)
    if len(_NUMBERS) >= _MAX_NUMBERS:
        _NUMBERS.clear()
    _NUMBERS[token] = number
    return number


def _json_number(token: bytes) -> float | None:
    """The float64 that ``json.loads`` then ``np.asarray`` make of ``token`` (JSON whitespace
    around it allowed), or None when it is not a JSON number or not one a double holds as
    ``np.asarray`` would (integers beyond 64 bits)."""
    spelling = token.strip(_WS)
    match = _JSON_NUMBER.fullmatch(spelling)
    if match is None:
        return None
    if match.group(1) is None and match.group(2) is None:  # an int: -0 reads as 0, not -0.0
        if len(spelling) > 20:  # > int64: np.asarray makes an object array; let it say so
            return None
        return float(int(spelling))
    return float(spelling)  # 1e400 is inf here as in json.loads: validation names it


def _rstrip_ws(data: bytes, start: int, end: int) -> int:
    while end > start and data[end - 1] in _WS:
        end -= 1
    return end


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


_ROW = re.compile(rb"\[([^\[\]]*)\]")
# TF Serving answers "predictions" to a row-format request, "outputs" to a columnar one.
_PREDICTIONS_HEAD = re.compile(_SPACE + rb"\{" + _SPACE + rb'"(?:predictions|outputs)"' + _SPACE
                               + rb":" + _SPACE)


def _fast_openscale_body(content: bytes) -> str | None:
    """``output_handler``'s body for ``{"predictions"|"outputs": [[p0..p9], ...]}`` read by
    simdjson, or None for anything else or anything the standard path would refuse (it then
    says why).

    The same values as the standard path: the label is the first most probable class, and each
    row of probabilities is passed on in TF Serving's spelling, which ``json.loads`` reads as
    the very doubles the standard path reads and writes back.
    """
    head = _PREDICTIONS_HEAD.match(content)
    if head is None:
        return None
    end = _rstrip_ws(content, head.end(), len(content))
    if content[end - 1:end] != b"}":
        return None
    text = content[head.end():_rstrip_ws(content, head.end(), end - 1)]
    probabilities = _read_array(text)
    if (probabilities is None or probabilities.ndim != 2
            or probabilities.shape[1] != NUM_CLASSES):
        return None
    # A JSON number holds at most one ".": as many as there are numbers means each has a
    # fraction, so none reads as an int (the standard path would write 1 back as 1.0: let it).
    if text.count(b".") != probabilities.size:
        return None
    # cumsum adds left to right, as sum() does: the very sums the standard path checks
    sums = np.cumsum(probabilities, axis=1)[:, -1]
    if bool((np.abs(sums - 1.0) > _PROBABILITY_SUM_TOLERANCE).any()):
        return None
    labels = probabilities.argmax(axis=1).tolist()
    values = b", ".join([b"[%d, [%b]]" % pair for pair in zip(labels, _rows(text), strict=True)])
    return ('{"predictions": [{"fields": ' + json.dumps(OUTPUT_FIELDS) + ', "values": ['
            + values.decode("ascii") + "]}]}")


def _rows(array: bytes) -> list[bytes]:
    """The text inside each row of the rectangular 2-D JSON array ``array``, as spelled.

    Compact text (TF Serving's) splits at its ``],[`` separators: when that yields one piece
    per row, every separator was one and the pieces are the rows. Any other spacing takes a
    regex over the innermost lists.
    """
    if array.startswith(b"[[") and array.endswith(b"]]"):
        rows = array[2:-2].split(b"],[")
        if len(rows) == array.count(b"]") - 1:  # one "]" per row, plus the outer one
            return rows
    return _ROW.findall(array)


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
    """Turn TF Serving's ``{"outputs": [[p0..p9], ...]}`` (its answer to :func:`input_handler`'s
    columnar request; ``"predictions"`` answers a row-format one) into the OpenScale body."""
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
            'TF Serving response has no "outputs" or "predictions" list: '
            f"{_decode(response.content)[:200]}"
        )
    body = predictions_to_openscale(predictions)
    return json.dumps(body), JSON
