"""Quality metrics of a multiclass model from labels and predictions, with numpy only.

What a quality run computes: accuracy, the support-weighted precision, recall (= true positive
rate), F1 and false positive rate, and the confusion matrix (rows: true label, columns:
predicted label). Vectorised so that 100k feedback records evaluate in milliseconds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class QualityResult:
    metrics: dict[str, float]
    labels: list[Any]
    confusion_matrix: list[list[int]]
    records: int


def _ordered_classes(keys: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Distinct JSON keys in natural order (numbers numerically, then strings), decoded."""
    distinct = np.unique(keys)
    decoded = [json.loads(k) for k in distinct]
    order = sorted(range(len(decoded)), key=lambda i: _sort_key(decoded[i]))
    return distinct[order], [decoded[i] for i in order]


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool | int | float):
        return (0, float(value))
    return (1, str(value))


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros_like(numerator, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def confusion(pair_counts: Sequence[tuple[str, str, int]]) -> tuple[np.ndarray, list[Any]]:
    """Confusion matrix from (label, prediction, count) triples over the classes seen."""
    true_keys = np.asarray([t for t, _, _ in pair_counts])
    pred_keys = np.asarray([p for _, p, _ in pair_counts])
    counts = np.asarray([c for _, _, c in pair_counts], dtype=np.int64)
    classes, decoded = _ordered_classes(np.concatenate([true_keys, pred_keys]))
    rank = np.argsort(classes)
    sorted_classes = classes[rank]
    true_idx = rank[np.searchsorted(sorted_classes, true_keys)]
    pred_idx = rank[np.searchsorted(sorted_classes, pred_keys)]
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(matrix, (true_idx, pred_idx), counts)
    return matrix, decoded


def quality_from_counts(pair_counts: Sequence[tuple[str, str, int]]) -> QualityResult:
    """All quality metrics of one evaluation from the (label, prediction, count) triples the
    record store aggregates; labels and predictions are JSON keys."""
    matrix, decoded = confusion(pair_counts)
    total = matrix.sum()
    tp = np.diag(matrix).astype(float)
    support = matrix.sum(axis=1).astype(float)
    predicted = matrix.sum(axis=0).astype(float)
    precision = _safe_divide(tp, predicted)
    recall = _safe_divide(tp, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    fpr = _safe_divide(predicted - tp, total - support)
    weights = support / total
    metrics = {
        "accuracy": float(tp.sum() / total),
        "weighted_true_positive_rate": float(weights @ recall),
        "weighted_recall": float(weights @ recall),
        "weighted_precision": float(weights @ precision),
        "weighted_f_measure": float(weights @ f1),
        "weighted_false_positive_rate": float(weights @ fpr),
    }
    return QualityResult(metrics, decoded, matrix.tolist(), int(total))


def quality_metrics(labels: Sequence[str], predictions: Sequence[str]) -> QualityResult:
    """The same from two parallel sequences of JSON keys (one entry per record)."""
    pairs = Counter(zip(labels, predictions, strict=True))
    return quality_from_counts([(t, p, c) for (t, p), c in pairs.items()])


def violations(metrics: dict[str, float], thresholds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every threshold the metrics breach, one entry each (metric, measured, limit)."""
    found = []
    for threshold in thresholds:
        metric_id, kind = threshold.get("metric_id"), threshold.get("type")
        limit = threshold.get("value")
        value = metrics.get(metric_id)
        if value is None or limit is None:
            continue
        if (kind == "lower_limit" and value < limit) or (kind == "upper_limit" and value > limit):
            found.append({"metric_id": metric_id, "type": kind, "value": value, "limit": limit})
    return found
