"""``json.dumps(array.tolist())``, byte for byte, in a fraction of the time for image batches.

Why: encoding 100 MNIST images (78,400 floats) with the standard library takes longer than the
model needs to classify them. Pixels scaled from uint8 take at most 256 distinct values, so each
distinct value is formatted once and the nested list text is assembled from those pieces. Arrays
with many distinct values take the standard path; the output is identical either way.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

# Above this share of distinct values the lookup table stops paying for itself.
_MAX_DISTINCT_SHARE = 0.125


def dumps_array(array: Any) -> str:
    """The JSON text of ``array`` exactly as ``json.dumps(array.tolist())`` writes it."""
    arr = np.asarray(array)
    if arr.ndim == 0 or arr.size == 0 or arr.dtype.kind not in "fiu":
        return json.dumps(arr.tolist())
    flat = arr.reshape(-1)
    distinct, inverse = np.unique(flat, return_inverse=True)
    if distinct.size > max(256, flat.size * _MAX_DISTINCT_SHARE):
        return json.dumps(arr.tolist())
    pieces = np.array([json.dumps(v) for v in distinct.tolist()], dtype=object)
    shape = arr.shape
    if shape[-1] == 1:  # "[v]" depends on the value only: wrap the table, not the elements
        pieces = np.array(["[" + p + "]" for p in pieces], dtype=object)
        tokens = pieces[inverse]
        shape = shape[:-1]
    else:
        tokens = pieces[inverse]
    for size in reversed(shape):
        rows = tokens.reshape(-1, size)
        tokens = np.array(["[" + ", ".join(row) + "]" for row in rows.tolist()], dtype=object)
    return str(tokens[0])
