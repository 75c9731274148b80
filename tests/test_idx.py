"""IDX reading and writing: round trips, and one test per way a file can be broken."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from mlmonitor_lib.datasets import _atomic
from mlmonitor_lib.datasets.idx import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    encode_idx,
    gzip_bytes,
    read_bytes,
    read_idx,
    write_idx,
)
from mlmonitor_lib.errors import DatasetError

FIX = "python -m mlmonitor_lib data fetch"


def idx_bytes(magic: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    """Build IDX bytes by hand, independently of the code under test."""
    return struct.pack(f">I{len(shape)}I", magic, *shape) + payload


def images(n: int = 3) -> np.ndarray:
    return (np.arange(n * 28 * 28) % 256).astype(np.uint8).reshape(n, 28, 28)


def assert_error(exc: pytest.ExceptionInfo[DatasetError], path: Path, *words: str) -> None:
    message = str(exc.value)
    assert str(path) in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert FIX in message


# ------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", ["images-idx3-ubyte.gz", "images-idx3-ubyte"])
def test_round_trip_images(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_idx(path, images())
    back = read_idx(path, IMAGES_MAGIC)
    assert back.dtype == np.uint8 and back.shape == (3, 28, 28)
    np.testing.assert_array_equal(back, images())
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


def test_written_bytes_are_the_idx_format(tmp_path: Path) -> None:
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    write_idx(tmp_path / "labels", labels)
    expected = idx_bytes(LABELS_MAGIC, (5,), bytes([5, 0, 4, 1, 9]))
    assert (tmp_path / "labels").read_bytes() == expected


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_other_idx_types(tmp_path: Path, dtype: type) -> None:
    array = np.arange(-6, 6).astype(dtype).reshape(2, 3, 2)
    write_idx(tmp_path / "a.gz", array)
    back = read_idx(tmp_path / "a.gz")
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_values_are_big_endian_on_disk() -> None:
    data = encode_idx(np.array([1, 256], dtype=np.int32))
    assert data == idx_bytes(0x00000C01, (2,), b"\x00\x00\x00\x01\x00\x00\x01\x00")


def test_read_array_is_writable(tmp_path: Path) -> None:
    write_idx(tmp_path / "a", images(1))
    read_idx(tmp_path / "a")[0, 0, 0] = 7  # training code normalises in place


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    write_idx(tmp_path / "a.gz", images())
    first = (tmp_path / "a.gz").read_bytes()
    os.utime(tmp_path / "a.gz", (0, 0))
    write_idx(tmp_path / "a.gz", images())
    assert (tmp_path / "a.gz").read_bytes() == first
    assert first[3] == 0, "no FNAME or other optional header fields"
    assert first[4:8] == b"\x00\x00\x00\x00", "mtime is zero"


def test_compression_follows_content_not_name(tmp_path: Path) -> None:
    raw = encode_idx(images(1))
    (tmp_path / "gunzipped-but-named.gz").write_bytes(raw)
    (tmp_path / "gzipped-but-named-raw").write_bytes(gzip.compress(raw))
    assert read_bytes(tmp_path / "gunzipped-but-named.gz") == raw
    assert read_bytes(tmp_path / "gzipped-but-named-raw") == raw


def test_unsupported_dtype_is_refused() -> None:
    with pytest.raises(ValueError, match="IDX cannot store dtype"):
        encode_idx(np.zeros(3, dtype=np.uint16))


# ------------------------------------------------------------------------------ corruptions


def write(path: Path, data: bytes, compress: bool = True) -> Path:
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_bad_magic(tmp_path: Path) -> None:
    path = write(tmp_path / "x.gz", b"\x12\x34\x08\x03" + bytes(12))
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "bad magic number 0x12340803", "not an IDX file")


def test_unknown_type_code(tmp_path: Path) -> None:
    path = write(tmp_path / "x.gz", idx_bytes(0x00000A01, (2,), b"ab"))
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "bad magic number 0x00000a01")


def test_wrong_number_of_dimensions(tmp_path: Path) -> None:
    path = write(tmp_path / "images.gz", idx_bytes(0x00000802, (2, 784), bytes(2 * 784)))
    with pytest.raises(DatasetError) as exc:
        read_idx(path, IMAGES_MAGIC)
    assert_error(exc, path, "0x00000802 (uint8, 2-D)", "expected 0x00000803 (uint8, 3-D)")


def test_labels_file_where_images_expected(tmp_path: Path) -> None:
    path = write(tmp_path / "images.gz", idx_bytes(LABELS_MAGIC, (3,), b"\x01\x02\x03"))
    with pytest.raises(DatasetError) as exc:
        read_idx(path, IMAGES_MAGIC)
    assert_error(exc, path, "0x00000801 (uint8, 1-D)", "right file")


def test_truncated_header(tmp_path: Path) -> None:
    path = write(tmp_path / "x.gz", struct.pack(">II", IMAGES_MAGIC, 10))
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "truncated header", "3 dimensions need 16 bytes")


def test_too_short_for_a_header(tmp_path: Path) -> None:
    path = write(tmp_path / "x", b"\x00\x00", compress=False)
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "too short")


def test_truncated_payload(tmp_path: Path) -> None:
    path = write(tmp_path / "x.gz", idx_bytes(IMAGES_MAGIC, (2, 28, 28), bytes(2 * 784 - 10)))
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "truncated", "10 missing", "(2, 28, 28)")


def test_trailing_bytes(tmp_path: Path) -> None:
    path = write(tmp_path / "x.gz", idx_bytes(LABELS_MAGIC, (3,), b"\x01\x02\x03\x04\x05"))
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "2 trailing bytes", "(3,)")


def test_truncated_gzip(tmp_path: Path) -> None:
    full = gzip.compress(encode_idx(images()))
    path = write(tmp_path / "x.gz", full[: len(full) // 2], compress=False)
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "gzip stream ends early", "truncated")


def test_corrupt_gzip(tmp_path: Path) -> None:
    full = bytearray(gzip.compress(encode_idx(images())))
    for i in range(20, 60):
        full[i] ^= 0xFF
    path = write(tmp_path / "x.gz", bytes(full), compress=False)
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "corrupt gzip stream")


def test_gz_that_is_an_html_page(tmp_path: Path) -> None:
    path = write(tmp_path / "x.gz", b"<!DOCTYPE html><html>Not Found</html>", compress=False)
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "neither gzip-compressed nor a raw IDX file")


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "x.gz", b"", compress=False)
    with pytest.raises(DatasetError) as exc:
        read_idx(path)
    assert_error(exc, path, "empty")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as exc:
        read_idx(tmp_path / "nope.gz")
    assert_error(exc, tmp_path / "nope.gz", "not found")


# -------------------------------------------------------------------------------- atomicity


def test_failed_write_leaves_old_file_and_no_partial(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.gz"
    write_idx(path, images(1))
    before = path.read_bytes()

    def crash(*_args: object) -> None:
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(_atomic.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        write_idx(path, images(5))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gz"]


def test_failed_first_write_leaves_nothing(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_atomic.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        write_idx(tmp_path / "a.gz", images(5))
    assert list(tmp_path.iterdir()) == []


def test_gzip_bytes_round_trip() -> None:
    assert gzip.decompress(gzip_bytes(b"abc")) == b"abc"
