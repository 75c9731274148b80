"""The gate records: what the release gate decides on, kept by the library as it logs them.

OpenScale evaluates the feedback records (quality) and the payload records (fairness) it holds;
the gate needs the same records one by one to put an interval around each measure, to pair a
challenger with its champion, and to let an auditor recompute the decision from the evidence
pack. So each record the library logs is kept here: an id (the first 16 hex digits of the
SHA-256 of the input's canonical JSON: the same test example has the same id in every run, which
is what pairs a challenger with its champion), the true label, the model's prediction and
scores; for payload records, the values of the features fairness monitors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

ID_HEX_DIGITS = 16


def record_id(value: Any) -> str:
    """A stable id of one model input (numpy arrays and plain values alike)."""
    canonical = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:ID_HEX_DIGITS]


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (a label, a class, a feature value)."""
    return value.item() if hasattr(value, "item") else value


def feedback_records(inputs: Sequence[Any], labels: Sequence[Any], predictions: Sequence[Any],
                     classes: Sequence[Any]) -> list[dict[str, Any]]:
    """One gate record per feedback row: ``{id, label, prediction, score, probabilities}``;
    ``score`` is the probability of the second class label for a binary model (None
    otherwise), ``predictions`` are :class:`~mlmonitor_lib.usecase.port.Prediction`."""
    binary = len(classes) == 2
    return [
        {"id": record_id(item), "label": plain(label), "prediction": plain(p.label),
         "score": float(p.probabilities[1]) if binary else None,
         "probabilities": [float(x) for x in p.probabilities]}
        for item, label, p in zip(inputs, labels, predictions, strict=True)
    ]


def payload_samples(inputs: Sequence[Any], predictions: Sequence[Any],
                    feature_columns: Sequence[str], monitored: Sequence[str]
                    ) -> list[dict[str, Any]]:
    """One sample per payload record: ``{id, features, prediction}`` with the values of the
    features fairness monitors (none for a model without fairness)."""
    where = {name: feature_columns.index(name) for name in monitored}
    return [
        {"id": record_id(item), "prediction": plain(p.label),
         "features": {name: plain(item[i]) for name, i in where.items()}}
        for item, p in zip(inputs, predictions, strict=True)
    ]
