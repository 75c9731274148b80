"""The numbers the report's tables show, computed apart from their HTML so they can be checked.

A threshold row is judged by the release gate's own judge (:func:`mlmonitor_lib.thresholds.judge`),
so the table and the gate cannot disagree; a metric OpenScale itself flagged is shown as breached
as well. A fairness row (one per group of a monitored feature) is judged the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlmonitor_lib.thresholds import DISPARATE_IMPACT, judge, measured_number


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


@dataclass(frozen=True)
class FairnessRow:
    """One group of a monitored feature: how often it got the favourable class and, for a
    monitored group, its disparate impact (a ratio) against the feature's threshold.
    ``breached`` is ``None`` on the reference row (nothing to judge there) and on a monitored
    group OpenScale gave no value of its own while it measured the feature (its lowest group
    is judged)."""

    feature: str
    group: str
    role: str  # "monitored" | "reference"
    favourable_rate: float | None
    disparate_impact: float | None
    threshold: float | None
    breached: bool | None
    records: int | None = None
    note: str = ""  # why a feature was not measured


def fairness_rows(fairness: Iterable[Any]) -> list[FairnessRow]:
    """Per monitored feature (an ``EvaluationResult.fairness`` entry or its dict): its
    reference group, then each monitored group; a group's disparate impact is its own when
    OpenScale reported per-group values, else the feature's (of its lowest group)."""
    rows = []
    for item in fairness:
        feature, threshold = str(field(item, "feature")), measured_number(field(item, "threshold"))
        note = "" if field(item, "disparate_impact") is not None else str(
            field(item, "message") or "not measured")
        rows.append(FairnessRow(
            feature, ", ".join(map(str, field(item, "reference") or [])), "reference",
            measured_number(field(item, "reference_favourable_rate")), None, None, None,
            field(item, "reference_records")))
        groups = {str(field(g, "group")): g for g in field(item, "groups") or []}
        for name in field(item, "monitored") or []:
            group = groups.get(str(name), {})
            impact = measured_number(field(group, "disparate_impact"))
            if impact is None and str(name) == field(item, "group"):
                impact = measured_number(field(item, "disparate_impact"))
            breached: bool | None = None  # the feature was measured, this group not reported
            if threshold is None or impact is not None or note:
                breached = threshold is None or judge(
                    {DISPARATE_IMPACT: impact},
                    [{"metric_id": DISPARATE_IMPACT, "type": "lower_limit", "value": threshold}],
                )[0].breached
            rows.append(FairnessRow(
                feature, str(name), "monitored", measured_number(field(group, "favourable_rate")),
                impact, threshold, breached, field(group, "records"), note))
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
