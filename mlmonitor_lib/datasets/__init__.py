"""MNIST as IDX files: reading and writing IDX, verifying and fetching the four seed files offline.

Importing this package pulls in numpy only (never TensorFlow): the CLI, the fixtures and the
training entry point all share it.
"""

from __future__ import annotations

from mlmonitor_lib.datasets.checksums import MNIST_CHECKSUMS, SPLIT_FILES, FileSpec
from mlmonitor_lib.datasets.idx import encode_idx, parse_idx, read_idx, write_idx
from mlmonitor_lib.datasets.mnist import (
    FetchReport,
    FileAction,
    FileCheck,
    VerifyReport,
    fetch,
    load_mnist,
    mnist_dir,
    model_input,
    verify,
)

__all__ = [
    "MNIST_CHECKSUMS",
    "SPLIT_FILES",
    "FetchReport",
    "FileAction",
    "FileCheck",
    "FileSpec",
    "VerifyReport",
    "encode_idx",
    "fetch",
    "load_mnist",
    "mnist_dir",
    "model_input",
    "parse_idx",
    "read_idx",
    "verify",
    "write_idx",
]
