"""The MNIST CNN's training data: the IDX files of the SageMaker data channels, as arrays.

Part of the training job's code directory (``source_dir``), imported by ``tf_cnn_train.py``. It
ships to a container where our library (``mlmonitor_lib``) is not installed, so it carries its
own minimal IDX reader instead of importing ``mlmonitor_lib.datasets``; the format is a 4-byte
magic, big-endian dimension sizes, then raw uint8 bytes, so a reader is 20 lines.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"

_IDX_MAGIC_UINT8 = 0x08


class TrainingError(Exception):
    """A failure the user can act on; its message becomes the job's FailureReason."""


class DataChannelError(TrainingError):
    """A data channel is missing, or a file in it is absent or not valid IDX."""


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) of unsigned bytes into an array of its shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError) as exc:
        raise DataChannelError(f"cannot read {path}: {exc}") from None
    if len(raw) < 4:
        raise DataChannelError(f"{path} is not an IDX file: only {len(raw)} bytes")
    zero, zero2, dtype, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero or zero2 or dtype != _IDX_MAGIC_UINT8 or ndim not in (1, 3):
        raise DataChannelError(
            f"{path} is not an IDX file of unsigned bytes (magic {raw[:4].hex()}, expected "
            "00000801 for labels or 00000803 for images)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataChannelError(f"{path} is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataChannelError(
            f"{path} holds {len(raw) - header} data bytes, its header announces {expected} "
            f"(shape {list(shape)}): the file is truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _channel_file(channel: Path, name: str) -> Path:
    if not channel.is_dir():
        raise DataChannelError(
            f"data channel {channel} does not exist or is not a directory; it must hold the "
            f"MNIST IDX files ({TRAIN_IMAGES}, {TRAIN_LABELS}, {TEST_IMAGES}, {TEST_LABELS})"
        )
    for candidate in (channel / name, channel / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    present = sorted(p.name for p in channel.iterdir())
    raise DataChannelError(
        f"data channel {channel} has no {name}; it holds {present or 'nothing'}. "
        "Fetch the data set with `python -m mlmonitor_lib data fetch`."
    )


def normalise(images: np.ndarray) -> np.ndarray:
    """uint8 N×28×28 -> float32 N×28×28×1 in [0, 1], the scaling inference.py also enforces."""
    return (images.astype(np.float32) / np.float32(255.0)).reshape(-1, *IMAGE_SHAPE)


def load_split(channel: Path, images_name: str, labels_name: str,
               limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One split as (float32 N×28×28×1 images, int64 labels), the first ``limit`` if > 0."""
    images = read_idx(_channel_file(channel, images_name))
    labels = read_idx(_channel_file(channel, labels_name))
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE[:2]:
        raise DataChannelError(f"{images_name} holds images of shape {list(images.shape[1:])}, "
                               "expected 28x28")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataChannelError(
            f"{images_name} has {images.shape[0]} images but {labels_name} has "
            f"{labels.shape[0]} labels"
        )
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        raise DataChannelError(f"{labels_name} has label {int(labels.max())}, expected 0-9")
    if limit:
        if limit > images.shape[0]:
            raise TrainingError(
                f"--train-samples {limit} exceeds the {images.shape[0]} images in {images_name}"
            )
        images, labels = images[:limit], labels[:limit]
    return normalise(images), labels.astype(np.int64)


@dataclass
class MnistData:
    """Normalised training and test arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_data(train_dir: str | Path, test_dir: str | Path | None = None,
              train_samples: int = 0) -> MnistData:
    """Read the two channels (the test files may sit in the training channel)."""
    train_channel = Path(train_dir)
    test_channel = Path(test_dir) if test_dir else train_channel
    x_train, y_train = load_split(train_channel, TRAIN_IMAGES, TRAIN_LABELS, train_samples)
    x_test, y_test = load_split(test_channel, TEST_IMAGES, TEST_LABELS)
    return MnistData(x_train, y_train, x_test, y_test)
