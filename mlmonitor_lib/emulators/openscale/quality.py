"""Quality metrics of a classifier from labels, predictions and scores, with numpy only.

What a quality run computes (metric ids: :mod:`.definitions`):

- multiclass: accuracy, the support-weighted precision, recall (= true positive rate), F1 and
  false positive rate;
- binary: accuracy, precision, recall (= true positive rate), F1 and false positive rate of the
  positive class, area under ROC and under PR, Gini coefficient, label skew, Matthews
  correlation coefficient, and, when every record has a score, log loss and Brier score
  (``None`` otherwise, as a recorded run without probabilities shows them);

with the confusion matrix (rows: true label, columns: predicted label). Classes are in natural
order (numbers numerically, then strings); a binary model's positive class is the second (``1``
of ``0``/``1``). For string labels OpenScale orders classes by a rule no public source gives
(a recorded run lists ``['Risk', 'No Risk']``): see live-contracts.md. Vectorised so that 100k
feedback records evaluate in milliseconds.
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
    metrics: dict[str, float | None]
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


def class_value(value: Any) -> Any:
    """``1.0`` and ``1`` are one class (a label read from CSV as float, a prediction as int)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def _curves(positive: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Areas under ROC and PR over the distinct score thresholds, highest first; tied scores
    form one point (trapezoidal, as Spark's BinaryClassificationMetrics, which OpenScale runs
    on; the PR curve starts at recall 0 with the first point's precision)."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], positive[order].astype(float)
    last_of_tie = np.r_[np.nonzero(np.diff(ranked))[0], len(ranked) - 1]
    tp = np.cumsum(hits)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    pos, neg = hits.sum(), len(hits) - hits.sum()
    tpr = tp / pos if pos else np.zeros_like(tp)
    fpr = fp / neg if neg else np.zeros_like(fp)
    roc = _trapezoid(np.r_[0.0, fpr], np.r_[0.0, tpr]) if pos and neg else 0.0
    precision = tp / (tp + fp)
    pr = _trapezoid(np.r_[0.0, tpr], np.r_[precision[0], precision]) if pos else 0.0
    return roc, pr


def binary_quality(labels: Sequence[Any], predictions: Sequence[Any],
                   scores: Sequence[float | None]) -> QualityResult:
    """Every binary metric of one evaluation; ``scores`` are the positive class's probability
    per record (``None`` where the record has none: the predictions then rank the records)."""
    labels = [class_value(v) for v in labels]
    predictions = [class_value(v) for v in predictions]
    classes = sorted(set(labels) | set(predictions), key=_sort_key)
    if len(classes) > 2:
        raise ValueError(f"a binary model's records hold {len(classes)} classes: {classes}")
    positive_class = classes[-1]
    y = np.asarray([v == positive_class for v in labels])
    yhat = np.asarray([v == positive_class for v in predictions])
    scored = all(s is not None for s in scores)
    p = np.asarray(scores, dtype=float) if scored else yhat.astype(float)
    tp, fp = float(np.sum(y & yhat)), float(np.sum(~y & yhat))
    fn, tn = float(np.sum(y & ~yhat)), float(np.sum(~y & ~yhat))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    roc, pr = _curves(y, p)
    share = y.mean()
    mcc_denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    metrics: dict[str, float | None] = {
        "accuracy": (tp + tn) / len(y),
        "area_under_roc": roc,
        "area_under_pr": pr,
        "true_positive_rate": recall,
        "recall": recall,
        "precision": precision,
        "f1_measure": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "false_positive_rate": fp / (fp + tn) if fp + tn else 0.0,
        "gini_coefficient": 2 * roc - 1,
        "label_skew": float((1 - 2 * share) / np.sqrt(share * (1 - share)))
        if 0 < share < 1 else 0.0,
        "matthews_correlation_coefficient": float((tp * tn - fp * fn) / mcc_denominator)
        if mcc_denominator else 0.0,
        "log_loss": float(-np.mean(y * np.log(clipped) + ~y * np.log(1 - clipped)))
        if scored else None,
        "brier_score": float(np.mean((p - y) ** 2)) if scored else None,
    }
    matrix = [[int(tn), int(fp)], [int(fn), int(tp)]] if len(classes) == 2 else [[len(y)]]
    return QualityResult(metrics, classes, matrix, len(y))


def quality_metrics(labels: Sequence[str], predictions: Sequence[str]) -> QualityResult:
    """The same from two parallel sequences of JSON keys (one entry per record)."""
    pairs = Counter(zip(labels, predictions, strict=True))
    return quality_from_counts([(t, p, c) for (t, p), c in pairs.items()])


def violations(metrics: dict[str, float | None], thresholds: list[dict[str, Any]]
               ) -> list[dict[str, Any]]:
    """Every threshold the metrics breach, one entry each (metric, measured, limit). A
    threshold on a metric this run did not measure (log loss without probabilities) is a
    breach with value ``None``: the same rule as the library's judge, computed independently."""
    found = []
    for threshold in thresholds:
        metric_id, kind = threshold.get("metric_id"), threshold.get("type")
        limit = threshold.get("value")
        if limit is None:
            continue
        value = metrics.get(metric_id)
        if value is None or (kind == "lower_limit" and value < limit) or (
                kind == "upper_limit" and value > limit):
            found.append({"metric_id": metric_id, "type": kind, "value": value, "limit": limit})
    return found
