"""The MNIST data the use case trains on and scores with: where it lives, its check, its test set.

MNIST-specific on purpose and kept apart from the lifecycle, so that another data set can take
its place (issue #16 makes this a port).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlmonitor_lib.errors import DatasetError


def default_data_dir() -> Path:
    """The folder ``python -m mlmonitor_lib data fetch`` fills."""
    from mlmonitor_lib.datasets import mnist_dir

    return mnist_dir()


def verify_training_data(data_dir: Path) -> None:
    """Train only on the governed data set: every file must match its pinned checksums."""
    from mlmonitor_lib.datasets import verify

    report = verify(data_dir)
    if not report.ok:
        raise DatasetError(
            "training data is not the governed MNIST data set:\n"
            + "\n".join(report.lines())
            + "\nDelete the bad files and run `python -m mlmonitor_lib data fetch`."
        )


def load_test_set(data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """t10k images as float32 N×28×28×1 in [0, 1], and their labels."""
    from mlmonitor_lib.datasets import load_mnist, model_input

    images, labels = load_mnist(data_dir, "t10k")
    return model_input(images), labels
