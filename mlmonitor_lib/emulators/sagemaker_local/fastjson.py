"""A fast path for parsing ``{"<key>": <rectangular array of numbers>}`` JSON bodies.

Why: TF Serving parses its REST request in C++; ``json.loads`` plus ``np.asarray`` on 100 MNIST
images (1.7 MB of JSON, 78,400 numbers) costs more than the model itself and would dominate every
benchmark of the emulated endpoint. This parser proves the text is a rectangular array (its
skeleton of brackets and commas equals the one its shape implies) and converts each distinct
number spelling once (scaled pixels have at most 256). Any body it cannot prove rectangular and
numeric returns ``None`` and takes the ``json.loads`` path, so results never differ from it.
Known leniency: number spellings JSON forbids but ``float()`` reads (``01``, ``.5``, ``1.``) pass.
"""

from __future__ import annotations

import math
import re

import numpy as np

_ALLOWED = b"0123456789.eE+- \t\r\n,[]"
_NUMBER_AND_SPACE = b"0123456789.eE+- \t\r\n"
_HEADS: dict[str, re.Pattern[bytes]] = {}
# Spelling -> float(spelling), shared by all requests: scaled pixels repeat the same few hundred
# spellings, and converting them was most of a one-image request's parse. Bounded.
_FLOATS: dict[bytes, float] = {}
_MAX_FLOATS = 1 << 14


def _head(key: str) -> re.Pattern[bytes]:
    if key not in _HEADS:
        _HEADS[key] = re.compile(rb'\s*\{\s*"' + re.escape(key.encode()) + rb'"\s*:\s*')
    return _HEADS[key]


def parse_numeric_array(body: bytes | str, key: str) -> np.ndarray | None:
    """``body`` is ``{"key": [[...]]}`` with nothing else: the float64 array, else ``None``."""
    data = body.encode() if isinstance(body, str) else bytes(body)
    match = _head(key).match(data)
    if match is None:
        return None
    end = len(data.rstrip())
    if data[end - 1:end] != b"}":
        return None
    text = data[match.end():end - 1].rstrip()
    if text[:1] != b"[" or text.translate(None, _ALLOWED):  # strings, objects, literals
        return None
    shape = shape_of_skeleton(text.translate(None, _NUMBER_AND_SPACE))
    if shape is None:
        return None
    tokens = text.translate(None, b"[]").split(b",")
    if len(tokens) != math.prod(shape):
        return None
    table = {}
    known = _FLOATS.get
    for token in set(tokens):
        value = known(token)
        if value is None:
            try:  # float() refuses "" (an empty slot) and "1 2" (a missing comma)
                value = float(token)
            except ValueError:
                return None
            if len(_FLOATS) >= _MAX_FLOATS:
                _FLOATS.clear()
            _FLOATS[token] = value
        table[token] = value
    values = np.fromiter(map(table.__getitem__, tokens), dtype=np.float64, count=len(tokens))
    return values.reshape(shape)


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
