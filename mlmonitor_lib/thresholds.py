"""The one threshold judge: a model's measured metrics against the thresholds it must meet.

The release gate, the evaluation result and the report's metrics and fairness tables all judge
through :func:`judge`, so they cannot disagree: a lower limit is breached below it, an upper limit
above it, and a metric that was not measured is a breach (a release cannot pass on a number
nobody produced). Every threshold is judged and every breach reported, one line each: quality
metrics by :func:`violations_of`, each monitored feature's disparate impact by
:func:`fairness_violations`. Thresholds are brought to OpenScale's form once, by
:func:`normalise_thresholds`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from mlmonitor_lib.errors import SettingsError

# the signature may name the weighted F1 as scikit-learn does; OpenScale calls it
# weighted_f_measure (f1_measure is OpenScale's own id of a binary model's F1: no alias)
METRIC_ALIASES = {"weighted_f1_measure": "weighted_f_measure"}
LIMIT_KINDS = ("lower_limit", "upper_limit")


def normalise_thresholds(thresholds: Sequence[Any]) -> list[dict[str, Any]]:
    """Thresholds as OpenScale takes them (``{metric_id, type, value}``), from dicts or pydantic
    models in the signature's form (``{metric_id, type, value}`` or ``{metric_id, type,
    lower_limit}``); a threshold without a value or with an unknown type is refused here."""
    out = []
    for t in thresholds:
        raw = t.model_dump() if hasattr(t, "model_dump") else dict(t)
        kind = raw.get("type", "lower_limit")
        if kind not in LIMIT_KINDS:
            raise SettingsError(f"threshold {raw!r} has type '{kind}': use lower_limit or "
                                "upper_limit")
        value = raw.get("value", raw.get(kind))
        if value is None:
            raise SettingsError(f"threshold {raw!r} has no value: give 'value' or '{kind}'")
        metric = METRIC_ALIASES.get(raw["metric_id"], raw["metric_id"])
        out.append({"metric_id": metric, "type": kind, "value": float(value)})
    return out


def measured_number(value: Any) -> float | None:
    """A measured value as a number; ``None`` when nothing (or not a number, or NaN) was
    measured."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class Verdict:
    """One threshold judged: the metric, its limit, what was measured, and whether it breaches."""

    metric_id: str
    type: str
    limit: float
    measured: float | None
    breached: bool


def judge(metrics: Mapping[str, Any], thresholds: Sequence[Mapping[str, Any]]) -> list[Verdict]:
    """Every threshold (in OpenScale's form) judged against the measured metrics, in order."""
    verdicts = []
    for t in thresholds:
        measured = measured_number(metrics.get(t["metric_id"]))
        limit = float(t["value"])
        if measured is None:
            breached = True
        elif t["type"] == "upper_limit":
            breached = measured > limit
        else:
            breached = measured < limit
        verdicts.append(Verdict(t["metric_id"], t["type"], limit, measured, breached))
    return verdicts


class Violation(BaseModel):
    """One breached threshold: metric, measured value (NaN if unmeasured), limit.

    A fairness breach also names the feature, its monitored and reference groups, and (for a
    disparate impact OpenScale could not measure) the payload records it evaluated and the
    ``min_records`` it needs; the quality breaches leave these ``None``.
    """

    metric_id: str
    type: str
    value: float
    limit: float
    feature: str | None = None
    group: str | None = None
    reference: str | None = None
    records: int | None = None
    min_records: int | None = None

    def __str__(self) -> str:
        if self.feature is not None:
            return self._fairness_line()
        sign = "<" if self.type == "lower_limit" else ">"
        return f"{self.metric_id}: {self.value:.4f} {sign} {self.type} {self.limit:.4f}"

    def _fairness_line(self) -> str:
        what = f"fairness of {self.feature}: disparate impact of {self.group} vs {self.reference}"
        if not math.isnan(self.value):
            side = "below" if self.type == "lower_limit" else "above"
            digits = 2 if f"{self.value:.2f}" != f"{self.limit:.2f}" else 4  # 0.7949 < 0.80
            return (f"{what} is {self.value:.{digits}f}, {side} the threshold "
                    f"{self.limit:.{digits}f}")
        if self.min_records is not None and (self.records or 0) < self.min_records:
            have = self.records or 0
            return (f"{what} not measured: OpenScale needs at least {self.min_records} payload "
                    f"records and has {have}: store {self.min_records - have} more")
        counted = "" if self.records is None else f" from {self.records} payload records"
        return (f"{what} not measured{counted}: OpenScale computed none (a group without "
                "records, or no favourable outcome in the reference group)")


def violations_of(metrics: Mapping[str, Any], thresholds: Sequence[Mapping[str, Any]]
                  ) -> list[Violation]:
    """The breaches :func:`judge` finds, one entry each."""
    return [
        Violation(metric_id=v.metric_id, type=v.type, limit=v.limit,
                  value=float("nan") if v.measured is None else v.measured)
        for v in judge(metrics, thresholds) if v.breached
    ]


# fairness ------------------------------------------------------------------------------------
DISPARATE_IMPACT = "disparate_impact"  # a ratio here; OpenScale's fairness_value is its percent


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _groups(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def fairness_violations(features: Sequence[Any]) -> list[Violation]:
    """Each monitored feature's disparate impact (a ratio, e.g. 0.72) judged by :func:`judge`
    against the feature's ``threshold`` (the lowest ratio accepted), one breach per feature
    below it; a feature whose disparate impact was not measured is a breach too.

    ``features`` are objects or dicts with ``feature``, ``disparate_impact``, ``threshold``,
    ``group`` (the monitored group measured; else all of ``monitored``), ``reference``,
    ``records`` and ``min_records``.
    """
    found = []
    for item in features:
        limit = float(_get(item, "threshold"))
        rule = {"metric_id": DISPARATE_IMPACT, "type": "lower_limit", "value": limit}
        (verdict,) = judge({DISPARATE_IMPACT: _get(item, "disparate_impact")}, [rule])
        if not verdict.breached:
            continue
        found.append(Violation(
            metric_id=DISPARATE_IMPACT, type="lower_limit", limit=limit,
            value=float("nan") if verdict.measured is None else verdict.measured,
            feature=str(_get(item, "feature")),
            group=_groups(_get(item, "group") or _get(item, "monitored") or "?"),
            reference=_groups(_get(item, "reference") or "?"),
            records=_get(item, "records"), min_records=_get(item, "min_records")))
    return found
