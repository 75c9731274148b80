"""Reading and writing IDX files, the format MNIST is distributed in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values in C order. MNIST images are
``0x00000803`` (uint8, 3-D) and labels ``0x00000801`` (uint8, 1-D). Files are usually gzipped.

Every problem is reported as :class:`~mlmonitor_lib.errors.DatasetError` naming the file, what is
wrong with it and what to do, because a half-downloaded or mislabelled data set otherwise
surfaces much later as a baffling training or scoring failure.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from mlmonitor_lib.datasets._atomic import atomic_write_bytes
from mlmonitor_lib.errors import DatasetError

GZIP_MAGIC = b"\x1f\x8b"
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

#: IDX type code -> numpy dtype (values are big-endian on disk).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_TYPE_NAMES = {0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32",
               0x0E: "float64"}

FETCH_COMMAND = "`python -m mlmonitor_lib data fetch --use-case use_case_mnist_tf`"
REFETCH_HINT = f"delete it and run {FETCH_COMMAND}"


def describe_magic(magic: int) -> str:
    """Human-readable meaning of an IDX magic number, e.g. ``0x00000803 (uint8, 3-D)``."""
    type_code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    kind = _TYPE_NAMES.get(type_code, f"unknown type 0x{type_code:02x}")
    return f"0x{magic:08x} ({kind}, {ndim}-D)"


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Return the uncompressed content of ``path``.

    Compression is detected from the gzip magic bytes, so a file that was gunzipped but kept its
    ``.gz`` name (or the reverse) still reads; a ``.gz`` file that is neither gzip nor IDX (an HTML
    error page saved by a browser, say) is reported as such.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(
            f"{path}: file not found; run {FETCH_COMMAND} to create it"
        ) from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc}); check its permissions") from exc
    if not data:
        raise DatasetError(f"{path}: file is empty; {REFETCH_HINT}")
    if data[:2] == GZIP_MAGIC:
        return gunzip(data, path)
    if path.suffix == ".gz" and data[:2] != b"\x00\x00":
        raise DatasetError(
            f"{path}: named .gz but is neither gzip-compressed nor a raw IDX file "
            f"(starts with {data[:8]!r}); {REFETCH_HINT}"
        )
    return data


def gunzip(data: bytes, source: str | os.PathLike[str]) -> bytes:
    """Decompress gzip ``data``; a truncated or corrupt stream is an error naming ``source``."""
    try:
        return gzip.decompress(data)
    except EOFError:
        raise DatasetError(
            f"{source}: gzip stream ends early (the file is truncated, probably an interrupted "
            f"download); {REFETCH_HINT}"
        ) from None
    except (OSError, zlib.error) as exc:
        raise DatasetError(f"{source}: corrupt gzip stream ({exc}); {REFETCH_HINT}") from None


def parse_idx(data: bytes, source: str | os.PathLike[str], expected_magic: int | None = None
              ) -> np.ndarray:
    """Decode uncompressed IDX bytes into an array (native byte order, writable).

    ``source`` only names the origin in error messages. If ``expected_magic`` is given the file
    must carry exactly that magic number (type and number of dimensions).
    """
    if len(data) < 4:
        raise DatasetError(
            f"{source}: only {len(data)} bytes, too short for an IDX header; {REFETCH_HINT}"
        )
    magic = struct.unpack(">I", data[:4])[0]
    zero, type_code, ndim = magic >> 16, (magic >> 8) & 0xFF, magic & 0xFF
    if zero != 0 or type_code not in IDX_DTYPES or ndim == 0:
        raise DatasetError(
            f"{source}: bad magic number 0x{magic:08x}, this is not an IDX file "
            f"(expected e.g. {describe_magic(IMAGES_MAGIC)} for images); {REFETCH_HINT}"
        )
    if expected_magic is not None and magic != expected_magic:
        raise DatasetError(
            f"{source}: magic number {describe_magic(magic)} but expected "
            f"{describe_magic(expected_magic)}; is this the right file? {REFETCH_HINT}"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DatasetError(
            f"{source}: truncated header, {ndim} dimensions need {header_len} bytes but the file "
            f"has {len(data)}; {REFETCH_HINT}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = IDX_DTYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize
    actual = len(data) - header_len
    if actual < expected:
        raise DatasetError(
            f"{source}: truncated, header declares shape {shape} = {expected} bytes of data but "
            f"only {actual} are present ({expected - actual} missing); {REFETCH_HINT}"
        )
    if actual > expected:
        raise DatasetError(
            f"{source}: {actual - expected} trailing bytes after the {expected} bytes declared by "
            f"shape {shape}; the file is corrupt or not what its header says; {REFETCH_HINT}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # copy: writable, native order


def read_idx(path: str | os.PathLike[str], expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or raw) into an array; see :func:`parse_idx`."""
    return parse_idx(read_bytes(path), path, expected_magic)


def encode_idx(array: np.ndarray) -> bytes:
    """Encode an array as uncompressed IDX bytes (header + big-endian C-order values)."""
    array = np.asarray(array)
    codes = {dt.newbyteorder("=").str: code for code, dt in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("=").str)
    if code is None:
        supported = ", ".join(_TYPE_NAMES.values())
        raise ValueError(f"IDX cannot store dtype {array.dtype}; use one of {supported}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got {array.ndim}")
    if any(dim > 0xFFFFFFFF for dim in array.shape):
        raise ValueError(f"IDX dimensions are uint32; shape {array.shape} is too large")
    header = struct.pack(f">I{array.ndim}I", (code << 8) | array.ndim, *array.shape)
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    return header + body


def gzip_bytes(data: bytes) -> bytes:
    """Gzip deterministically (mtime 0, no file name) so identical data gives identical files."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def write_idx(path: str | os.PathLike[str], array: np.ndarray, compress: bool | None = None
              ) -> None:
    """Write ``array`` as an IDX file, atomically; gzip it when ``path`` ends in ``.gz``."""
    path = Path(path)
    data = encode_idx(array)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        data = gzip_bytes(data)
    atomic_write_bytes(path, data)
