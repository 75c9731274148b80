"""PNG images for the report, returned as bytes (the caller embeds them as ``data:`` URIs).

Small grayscale samples are encoded by hand (zlib + CRC, a few hundred bytes each) because
drawing sixteen matplotlib figures would cost seconds per scenario. The confusion matrix needs a
chart, so it uses matplotlib's object API with the Agg canvas: no pyplot, no global backend
switch, nothing imported until a matrix is actually drawn.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI, so the report needs no file or network to show it."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + kind + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def gray_png(image: np.ndarray) -> bytes:
    """An 8-bit grayscale PNG of one image: H×W or H×W×1, floats in [0, 1] or integers 0-255."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise ValueError(f"expected an H×W or H×W×1 image, got shape {array.shape}")
    if np.issubdtype(array.dtype, np.floating):
        array = np.clip(np.nan_to_num(array), 0.0, 1.0) * 255.0 + 0.5
    pixels = np.clip(array, 0, 255).astype(np.uint8)
    height, width = pixels.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)  # filter type 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def confusion_matrix_png(labels: Sequence[Any], values: Sequence[Sequence[float]]) -> bytes:
    """The confusion matrix as a heat map with counts in the cells (rows: true label, columns:
    predicted label, as OpenScale reports it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    matrix = np.asarray(values, dtype=float)
    n = len(labels)
    size = max(3.5, 0.45 * n + 1.8)
    figure = Figure(figsize=(size + 0.8, size), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    shown = axes.imshow(matrix, cmap="Blues", interpolation="nearest")
    figure.colorbar(shown, ax=axes, fraction=0.046, pad=0.04)
    ticks = list(range(n))
    axes.set_xticks(ticks, [str(label) for label in labels])
    axes.set_yticks(ticks, [str(label) for label in labels])
    axes.set_xlabel("predicted label")
    axes.set_ylabel("true label")
    axes.set_title("Confusion matrix")
    top = matrix.max() if matrix.size else 0.0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            value = matrix[i, j]
            axes.text(
                j, i, f"{value:g}", ha="center", va="center", fontsize=8,
                color="white" if top and value > top / 2 else "black",
            )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
