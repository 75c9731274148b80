"""The pinned identity of the four MNIST files.

Checksums are of the *uncompressed* IDX bytes: gzip output differs between tools and settings,
the data does not. The MD5s are the widely published ones, so a user who downloaded the files
themselves can compare; SHA-256 is what we actually trust. Tests inject their own table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FileSpec:
    """Expected size and digests of one uncompressed IDX file."""

    size: int
    md5: str
    sha256: str


@dataclass(frozen=True)
class Digest:
    """Measured size and digests of some bytes."""

    size: int
    md5: str
    sha256: str

    @classmethod
    def of(cls, data: bytes) -> Digest:
        """Hash ``data`` once with both algorithms."""
        return cls(len(data), hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())

    def mismatch(self, spec: FileSpec) -> str | None:
        """Describe how these bytes differ from ``spec``, or ``None`` if they match it."""
        if self.size != spec.size:
            return f"uncompressed size is {self.size} bytes, expected {spec.size}"
        if self.sha256 != spec.sha256:
            return f"SHA-256 is {self.sha256}, expected {spec.sha256}"
        if self.md5 != spec.md5:
            return f"MD5 is {self.md5}, expected {spec.md5}"
        return None


TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
T10K_IMAGES = "t10k-images-idx3-ubyte.gz"
T10K_LABELS = "t10k-labels-idx1-ubyte.gz"

#: split -> (images file, labels file), the seed's layout of ``datasets/mnist``.
SPLIT_FILES: Mapping[str, tuple[str, str]] = {
    "train": (TRAIN_IMAGES, TRAIN_LABELS),
    "t10k": (T10K_IMAGES, T10K_LABELS),
}

MNIST_CHECKSUMS: Mapping[str, FileSpec] = {
    TRAIN_IMAGES: FileSpec(
        47040016,
        "6bbc9ace898e44ae57da46a324031adb",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    TRAIN_LABELS: FileSpec(
        60008,
        "a25bea736e30d166cdddb491f175f624",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    T10K_IMAGES: FileSpec(
        7840016,
        "2646ac647ad5339dbf082846283269ea",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    T10K_LABELS: FileSpec(
        10008,
        "27ae3e4e09519cfbb04c329615203637",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}
