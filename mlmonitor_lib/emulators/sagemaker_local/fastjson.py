"""A fast path for parsing TF Serving ``:predict`` requests whose tensor is a number array.

Why: TF Serving parses its REST request in C++; ``json.loads`` plus ``np.asarray`` on 100 28×28
images (78,400 numbers) costs more than the model itself and would dominate every benchmark of
the emulated endpoint. simdjson parses the array straight into a buffer of doubles (strict JSON,
correctly rounded, as ``json.loads`` reads them) without a Python object per number. A flat
array needs nothing more; a nested one gets its shape from the text's skeleton of brackets and
commas, which must be the one a rectangular array of that shape has. Any body that is not
exactly such a request returns ``None`` and takes the ``json.loads`` path, so results and error
messages never differ from it.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

import numpy as np

_WS = b" \t\r\n"
_NUMBER_CHARS = b"0123456789.eE+-"
_SPACE = rb"[ \t\r\n]*"
# {"signature_name": "<name without escapes>", "instances"|"inputs": <array>}, the name optional.
_HEAD = re.compile(_SPACE + rb"\{" + _SPACE
                   + rb'(?:"signature_name"' + _SPACE + rb":" + _SPACE + rb'"([^"\\]*)"'
                   + _SPACE + rb"," + _SPACE + rb")?"
                   + rb'"(instances|inputs)"' + _SPACE + rb":" + _SPACE)
_FIRST_ITEM = re.compile(rb"\[" + _SPACE + rb"(.?)", re.DOTALL)
_parsers = threading.local()  # a simdjson Parser is reused per thread, never shared


def _parser():
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        import simdjson

        parser = _parsers.parser = simdjson.Parser()
    return parser


def parse_numeric_request(body: bytes | str) -> dict[str, Any] | None:
    """``body`` is ``{["signature_name": name,] "instances"|"inputs": numbers}`` with nothing
    else: the request with its array as float64, else ``None``."""
    data = body.encode() if isinstance(body, str) else bytes(body)
    match = _HEAD.match(data)
    if match is None:
        return None
    # Objects or strings ({"b64": ...}) are not numbers: say so before copying the array.
    first = _FIRST_ITEM.match(data, match.end())
    if first is None or first.group(1) in (b"{", b'"'):
        return None
    end = len(data.rstrip(_WS))
    if data[end - 1:end] != b"}":
        return None
    array = parse_number_array(data[match.end():end - 1].rstrip(_WS))
    if array is None:
        return None
    request: dict[str, Any] = {match.group(2).decode(): array}
    name = _signature_name(match)
    if name is not None:
        request["signature_name"] = name
    return request


def _signature_name(head: re.Match[bytes]) -> str | None:
    """The ``signature_name`` a request's head (``_HEAD``) names, or None when it names none."""
    name = head.group(1)
    return None if name is None else name.decode("utf-8", errors="replace")


def parse_number_array(text: bytes) -> np.ndarray | None:
    """The rectangular JSON array of numbers ``text`` as float64, else ``None``."""
    if text[:1] != b"[":
        return None
    values = read_numbers(text)
    if values is None:
        return None
    if text.find(b"[", 1) < 0:  # flat (a memchr, no pass worth counting)
        return values if values.size else None  # [] is left to json.loads, as a nested []
    # Nested: the skeleton (what is left without the numbers) must be a rectangular array's.
    shape = shape_of_skeleton(text.translate(None, _NUMBER_CHARS + _WS))
    if shape is None or values.size != math.prod(shape):
        return None
    return values.reshape(shape)


def read_numbers(text: bytes) -> np.ndarray | None:
    """Every number of the JSON array ``text``, flattened, as float64; ``None`` unless ``text``
    is strict JSON holding only numbers, at any depth (``1 2``, ``1,,2``, ``NaN``, ``1e400``,
    integers beyond 64 bits and non-numbers all give ``None``)."""
    parser = _parser()
    try:
        document = parser.parse(text)
        try:
            return np.frombuffer(document.as_buffer(of_type="d"), dtype=np.float64)
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
