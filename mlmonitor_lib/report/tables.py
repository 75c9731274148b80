"""The numbers the report's tables show, computed apart from their HTML so they can be checked.

A threshold row is judged by the release gate's own judge (:func:`mlmonitor_lib.thresholds.judge`),
so the table and the gate cannot disagree; a metric OpenScale itself flagged is shown as breached
as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlmonitor_lib.thresholds import judge, measured_number


@dataclass(frozen=True)
class ThresholdRow:
    """One line of the metrics table: a metric, what was measured and the limit it must meet."""

    metric: str
    measured: float | None
    kind: str | None  # "lower_limit" | "upper_limit" | None (no threshold)
    limit: float | None
    breached: bool


@dataclass(frozen=True)
class ClassAccuracy:
    """How many of one class's images were classified as that class."""

    label: str
    correct: int
    total: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None


def field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` or ``obj[name]``: evidence arrives as pydantic models, dataclasses or the
    dicts they serialise to (e.g. after crossing a process boundary)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def threshold_rows(
    metrics: Mapping[str, Any], thresholds: Iterable[Any], violations: Iterable[Any] = ()
) -> list[ThresholdRow]:
    """Thresholded metrics first (in the thresholds' order), then the other measured metrics."""
    flagged = {str(field(v, "metric_id")) for v in violations}
    rows = []
    seen = set()
    for threshold in thresholds:
        metric = str(field(threshold, "metric_id"))
        kind = str(field(threshold, "type", "lower_limit"))
        limit = measured_number(field(threshold, "value", field(threshold, kind)))
        measured = measured_number(metrics.get(metric))
        breached = True  # a threshold without a limit cannot be met
        if limit is not None:
            breached = judge(metrics, [{"metric_id": metric, "type": kind, "value": limit}])[0] \
                .breached
        rows.append(ThresholdRow(metric, measured, kind, limit, breached or metric in flagged))
        seen.add(metric)
    for metric in sorted(set(metrics) - seen):
        rows.append(
            ThresholdRow(metric, measured_number(metrics[metric]), None, None, metric in flagged)
        )
    return rows


def per_class_accuracy(
    labels: Sequence[Any], values: Sequence[Sequence[Any]]
) -> list[ClassAccuracy]:
    """Per-class accuracy (recall) from a confusion matrix whose rows are the true labels."""
    out = []
    for i, label in enumerate(labels):
        row = [int(round(float(v))) for v in values[i]] if i < len(values) else []
        correct = row[i] if i < len(row) else 0
        out.append(ClassAccuracy(str(label), correct, sum(row)))
    return out
