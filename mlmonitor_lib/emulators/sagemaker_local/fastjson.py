"""A fast path for parsing ``{"<key>": <rectangular array of numbers>}`` JSON bodies.

Why: TF Serving parses its REST request in C++; ``json.loads`` plus ``np.asarray`` on 100 MNIST
images (78,400 numbers) costs more than the model itself and would dominate every benchmark of
the emulated endpoint. simdjson parses the array straight into a buffer of doubles (strict JSON,
correctly rounded, as ``json.loads`` reads them) without a Python object per number; the shape
comes from the text's skeleton of brackets and commas, which must be the one a rectangular array
of that shape has. Any body that is not exactly such an array returns ``None`` and takes the
``json.loads`` path, so results and error messages never differ from it.
"""

from __future__ import annotations

import math
import re
import threading

import numpy as np

_WS = b" \t\r\n"
_NUMBER_CHARS = b"0123456789.eE+-"
_HEADS: dict[str, re.Pattern[bytes]] = {}
_parsers = threading.local()  # a simdjson Parser is reused per thread, never shared


def _head(key: str) -> re.Pattern[bytes]:
    if key not in _HEADS:
        _HEADS[key] = re.compile(rb'[ \t\r\n]*\{[ \t\r\n]*"' + re.escape(key.encode())
                                 + rb'"[ \t\r\n]*:[ \t\r\n]*')
    return _HEADS[key]


def _parser():
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        import simdjson

        parser = _parsers.parser = simdjson.Parser()
    return parser


def parse_numeric_array(body: bytes | str, key: str) -> np.ndarray | None:
    """``body`` is ``{"key": [[...]]}`` with nothing else: the float64 array, else ``None``."""
    data = body.encode() if isinstance(body, str) else bytes(body)
    match = _head(key).match(data)
    if match is None:
        return None
    end = len(data.rstrip(_WS))
    if data[end - 1:end] != b"}":
        return None
    text = data[match.end():end - 1].rstrip(_WS)
    # Anything but numbers, commas and brackets (strings, objects, literals, stray characters)
    # stays in the skeleton and fails its check; then the numbers alone are read as one flat
    # array, which spares simdjson a nested array per pixel.
    shape = shape_of_skeleton(text.translate(None, _NUMBER_CHARS + _WS))
    if shape is None:
        return None
    buffer = read_numbers(b"[" + text.translate(None, b"[]") + b"]")
    if buffer is None:
        return None
    values = np.frombuffer(buffer, dtype=np.float64)
    if values.size != math.prod(shape):
        return None
    return values.reshape(shape)


def read_numbers(text: bytes) -> memoryview | None:
    """Every number of the JSON array ``text``, flattened, as a buffer of doubles; ``None``
    unless ``text`` is strict JSON holding only numbers (``1 2``, ``1,,2``, ``NaN``, ``1e400``,
    integers beyond 64 bits and non-numbers all give ``None``)."""
    parser = _parser()
    try:
        document = parser.parse(text)
        try:
            return memoryview(document.as_buffer(of_type="d"))
        finally:
            del document  # the parser refuses to parse again while a document is alive
    except (ValueError, TypeError, RuntimeError):  # RuntimeError: BIGINT_ERROR
        return None


def shape_of_skeleton(skeleton: bytes) -> tuple[int, ...] | None:
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
