"""The one threshold judge: a model's measured metrics against the thresholds it must meet.

The release gate, the evaluation result and the report's metrics table all judge through
:func:`judge`, so they cannot disagree: a lower limit is breached below it, an upper limit above
it, and a metric that was not measured is a breach (a release cannot pass on a number nobody
produced). Every threshold is judged and every breach reported, one line each. Thresholds are
brought to OpenScale's form once, by :func:`normalise_thresholds`.
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
    """One breached threshold: metric, measured value (NaN if unmeasured), limit."""

    metric_id: str
    type: str
    value: float
    limit: float

    def __str__(self) -> str:
        sign = "<" if self.type == "lower_limit" else ">"
        return f"{self.metric_id}: {self.value:.4f} {sign} {self.type} {self.limit:.4f}"


def violations_of(metrics: Mapping[str, Any], thresholds: Sequence[Mapping[str, Any]]
                  ) -> list[Violation]:
    """The breaches :func:`judge` finds, one entry each."""
    return [
        Violation(metric_id=v.metric_id, type=v.type, limit=v.limit,
                  value=float("nan") if v.measured is None else v.measured)
        for v in judge(metrics, thresholds) if v.breached
    ]
