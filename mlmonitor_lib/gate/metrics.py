"""OpenScale's quality metrics recomputed from the gate records (:class:`CodedRecords`).

The same definitions, conventions (a zero denominator gives 0.0) and tie handling as the OpenScale
emulator reproduces from recorded runs, so the gate's estimate is the number OpenScale reports.
Which metrics are proportions (judged with a Wilson interval, :mod:`.intervals`) and what each
counts is here too. Pure functions on numpy arrays, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlmonitor_lib.signature import QUALITY_METRICS_BY_PROBLEM
from mlmonitor_lib.thresholds import METRIC_ALIASES

MULTICLASS_ONLY = frozenset(QUALITY_METRICS_BY_PROBLEM["multiclass"]) - {"accuracy"}
BINARY_ONLY = frozenset(QUALITY_METRICS_BY_PROBLEM["binary"]) - {"accuracy"}
# the metrics judged with a Wilson interval: a proportion of a count of records
PROPORTIONS = frozenset({"accuracy", "true_positive_rate", "recall", "false_positive_rate",
                         "precision"})
# what a proportion counts, for the lines that print it
DENOMINATORS = {"accuracy": "records", "true_positive_rate": "positives", "recall": "positives",
                "false_positive_rate": "negatives", "precision": "predicted positives"}
LOG_LOSS_CLIP = 1e-15  # as OpenScale (and scikit-learn's log_loss before 1.5) clip


def class_value(value: Any) -> Any:
    """``1.0`` and ``1`` are one class (a label read from CSV as a float, a prediction as an
    int), as OpenScale's record keys make them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _natural(value: Any) -> tuple[int, Any]:
    """Numbers numerically, then strings: the order OpenScale lists classes in."""
    if isinstance(value, bool | int | float):
        return (0, float(value))
    return (1, str(value))


def canonical_metric(metric_id: str) -> str:
    """The OpenScale id of a metric (``weighted_f1_measure`` is ``weighted_f_measure``)."""
    return METRIC_ALIASES.get(metric_id, metric_id)


@dataclass(frozen=True)
class CodedRecords:
    """Labels, predictions and scores of a set of records, coded once so that a metric is
    quick to recompute on any resample of them.

    ``classes`` are the model's classes (the signature's ``class_labels``) followed by any other
    class the records hold, in natural order; ``label`` and ``prediction`` are indices into
    them. A binary model's positive class is ``classes[1]``. ``scores`` are the positive class's
    probabilities, or ``None`` when any record lacks one: then, as OpenScale does, the
    predictions rank the records for the curves and log loss and Brier score are not defined.
    """

    classes: tuple[Any, ...]
    label: np.ndarray
    prediction: np.ndarray
    scores: np.ndarray | None
    given: int  # how many of ``classes`` the model declares

    @classmethod
    def of(cls, labels: Sequence[Any], predictions: Sequence[Any],
           scores: Sequence[float | None] | None, classes: Sequence[Any]) -> CodedRecords:
        if len(labels) != len(predictions):
            raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")
        declared = list(dict.fromkeys(class_value(c) for c in classes))
        labels = [class_value(v) for v in labels]
        predictions = [class_value(v) for v in predictions]
        known = set(declared)
        extra = sorted({v for v in [*labels, *predictions] if v not in known}, key=_natural)
        order = {c: i for i, c in enumerate([*declared, *extra])}
        scored = scores is not None and len(scores) == len(labels) and all(
            s is not None and not (isinstance(s, float) and math.isnan(s)) for s in scores)
        return cls(
            classes=tuple([*declared, *extra]),
            label=np.fromiter((order[v] for v in labels), dtype=np.int64, count=len(labels)),
            prediction=np.fromiter((order[v] for v in predictions), dtype=np.int64,
                                   count=len(predictions)),
            scores=np.asarray(scores, dtype=float) if scored else None,
            given=len(declared))

    def __len__(self) -> int:
        return int(self.label.size)

    # the two families of metrics ------------------------------------------------------------
    def metric(self, metric_id: str, indices: np.ndarray | None = None, *,
               strict: bool = False) -> float:
        """``metric_id`` on these records (or on the records at ``indices``: a resample).

        With ``strict`` a metric whose denominator is zero is NaN (undefined: a bootstrap drops
        that resample) rather than OpenScale's 0.0; no records give NaN either way."""
        metric = canonical_metric(metric_id)
        label = self.label if indices is None else self.label[indices]
        prediction = self.prediction if indices is None else self.prediction[indices]
        if label.size == 0:
            return math.nan
        if metric == "accuracy":
            return float(np.count_nonzero(label == prediction) / label.size)
        if metric in MULTICLASS_ONLY:
            return _weighted(metric, label, prediction, len(self.classes))
        if metric in BINARY_ONLY:
            self._check_binary()
            scores = None if self.scores is None else (
                self.scores if indices is None else self.scores[indices])
            return _binary(metric, label == 1, prediction == 1, scores, strict)
        raise ValueError(f"'{metric_id}' is not a quality metric OpenScale computes; known: "
                         f"{', '.join(sorted(MULTICLASS_ONLY | BINARY_ONLY | {'accuracy'}))}")

    def counts(self, metric_id: str, indices: np.ndarray | None = None) -> tuple[int, int]:
        """``(successes, trials)`` of a proportion metric (:data:`PROPORTIONS`): correct of all
        records, true positives of positives (recall), false positives of negatives, true
        positives of predicted positives (precision)."""
        metric = canonical_metric(metric_id)
        label = self.label if indices is None else self.label[indices]
        prediction = self.prediction if indices is None else self.prediction[indices]
        if metric == "accuracy":
            return int(np.count_nonzero(label == prediction)), int(label.size)
        self._check_binary()
        y, yhat = label == 1, prediction == 1
        if metric in ("true_positive_rate", "recall"):
            return int(np.count_nonzero(y & yhat)), int(np.count_nonzero(y))
        if metric == "false_positive_rate":
            return int(np.count_nonzero(~y & yhat)), int(np.count_nonzero(~y))
        if metric == "precision":
            return int(np.count_nonzero(y & yhat)), int(np.count_nonzero(yhat))
        raise ValueError(f"'{metric_id}' is not a proportion: one of {sorted(PROPORTIONS)}")

    def _check_binary(self) -> None:
        if self.given != 2 or len(self.classes) != 2:
            raise ValueError(f"binary metrics need a model of exactly 2 classes; the model "
                             f"declares {list(self.classes[:self.given])} and its records hold "
                             f"{list(self.classes)}")


def quality_metric(metric_id: str, labels: Sequence[Any], predictions: Sequence[Any],
                   scores: Sequence[float | None] | None, classes: Sequence[Any]) -> float:
    """One OpenScale quality metric recomputed from records (every id of
    :data:`mlmonitor_lib.signature.QUALITY_METRICS_BY_PROBLEM`).

    Multiclass (support-weighted over the classes, as OpenScale's quality monitor): accuracy,
    weighted precision, recall (= true positive rate), F1 and false positive rate. Binary, of the
    positive class ``classes[1]``: accuracy, precision, recall (= true positive rate), F1, false
    positive rate, areas under ROC and PR (trapezoids over the distinct scores, tied scores one
    point, as Spark's BinaryClassificationMetrics which OpenScale runs on; PR starts at recall 0
    with the first point's precision), Gini (2 AUC - 1), label skew, Matthews correlation, and,
    when every record has a score, log loss and Brier score (NaN otherwise). A zero denominator
    gives 0.0, as OpenScale reports it. ``scores`` are the positive class's probabilities
    (binary) or ``None``.
    """
    return CodedRecords.of(labels, predictions, scores, classes).metric(metric_id)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros_like(numerator, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _weighted(metric: str, label: np.ndarray, prediction: np.ndarray, k: int) -> float:
    """A support-weighted multiclass metric; a class never predicted has precision 0."""
    matrix = np.bincount(label * k + prediction, minlength=k * k).reshape(k, k)
    total = float(label.size)
    tp = np.diag(matrix).astype(float)
    support = matrix.sum(axis=1).astype(float)
    predicted = matrix.sum(axis=0).astype(float)
    weights = support / total
    recall = _safe_divide(tp, support)
    if metric in ("weighted_true_positive_rate", "weighted_recall"):
        return float(weights @ recall)
    precision = _safe_divide(tp, predicted)
    if metric == "weighted_precision":
        return float(weights @ precision)
    if metric == "weighted_f_measure":
        return float(weights @ _safe_divide(2 * precision * recall, precision + recall))
    # weighted_false_positive_rate
    return float(weights @ _safe_divide(predicted - tp, total - support))


def _trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def _curves(positive: np.ndarray, scores: np.ndarray) -> tuple[float, float, bool, bool]:
    """Areas under ROC and PR over the distinct score thresholds, highest first, and whether
    each is defined (ROC needs both classes, PR a positive). The same arithmetic as the
    OpenScale emulator's, with plain concatenations (``np.r_`` costs more than the sums on a
    bootstrap's small resamples)."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], positive[order].astype(float)
    last_of_tie = np.append(np.flatnonzero(ranked[1:] != ranked[:-1]), len(ranked) - 1)
    tp = np.cumsum(hits)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    pos = hits.sum()
    neg = len(hits) - pos
    zero = np.zeros(1)
    roc = 0.0
    if pos and neg:
        roc = _trapezoid(np.concatenate((zero, fp / neg)), np.concatenate((zero, tp / pos)))
    pr = 0.0
    if pos:
        precision = tp / (tp + fp)
        pr = _trapezoid(np.concatenate((zero, tp / pos)),
                        np.concatenate((precision[:1], precision)))
    return roc, pr, bool(pos and neg), bool(pos)


def _binary(metric: str, y: np.ndarray, yhat: np.ndarray, scores: np.ndarray | None,
            strict: bool) -> float:
    """One binary metric of the positive class; ``y`` and ``yhat`` are booleans."""
    undefined = math.nan if strict else 0.0
    if metric in ("area_under_roc", "area_under_pr", "gini_coefficient"):
        roc, pr, roc_defined, pr_defined = _curves(y, yhat.astype(float) if scores is None
                                                   else scores)
        if metric == "area_under_pr":
            return pr if pr_defined else undefined
        if not roc_defined:
            return undefined if metric == "area_under_roc" else (
                math.nan if strict else 2 * roc - 1)
        return roc if metric == "area_under_roc" else 2 * roc - 1
    if metric in ("log_loss", "brier_score"):
        if scores is None:
            return math.nan  # OpenScale reports none without every record's probability
        if metric == "brier_score":
            return float(np.mean((scores - y) ** 2))
        clipped = np.clip(scores, LOG_LOSS_CLIP, 1 - LOG_LOSS_CLIP)
        return float(-np.mean(y * np.log(clipped) + ~y * np.log(1 - clipped)))
    tp, fp = float(np.count_nonzero(y & yhat)), float(np.count_nonzero(~y & yhat))
    fn, tn = float(np.count_nonzero(y & ~yhat)), float(np.count_nonzero(~y & ~yhat))
    precision = tp / (tp + fp) if tp + fp else undefined
    recall = tp / (tp + fn) if tp + fn else undefined
    if metric in ("true_positive_rate", "recall"):
        return recall
    if metric == "precision":
        return precision
    if metric == "f1_measure":
        if math.isnan(precision) or math.isnan(recall):
            return math.nan
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if metric == "false_positive_rate":
        return fp / (fp + tn) if fp + tn else undefined
    if metric == "label_skew":
        share = float(np.mean(y))
        return float((1 - 2 * share) / math.sqrt(share * (1 - share))) if 0 < share < 1 \
            else undefined
    if metric == "matthews_correlation_coefficient":
        denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        return (tp * tn - fp * fn) / denominator if denominator else undefined
    raise ValueError(f"'{metric}' is not a binary metric")
