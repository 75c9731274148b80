"""Monitor definitions the emulator publishes.

The SDK builds its ``MONITORS`` enum from ``GET /v2/monitor_definitions`` at construction and
reads ``QUALITY``, ``FAIRNESS``, ``EXPLAINABILITY``, ``PERFORMANCE`` (and ``MODEL_HEALTH`` for
online production subscriptions) on every create, so all of them must exist. Ids and metric ids
are the real service's.
"""

from __future__ import annotations

from typing import Any

QUALITY = "quality"
QUALITY_METRICS = (
    ("accuracy", "Accuracy", 0.8),
    ("weighted_true_positive_rate", "Weighted True Positive Rate", 0.8),
    ("weighted_false_positive_rate", "Weighted False Positive Rate", None),
    ("weighted_recall", "Weighted Recall", 0.8),
    ("weighted_precision", "Weighted Precision", 0.8),
    ("weighted_f_measure", "Weighted F1-Measure", 0.8),
)

_DEFINITIONS: dict[str, tuple[str, tuple[tuple[str, str, float | None], ...]]] = {
    QUALITY: ("Quality", QUALITY_METRICS),
    "fairness": ("Fairness", (("fairness_value", "Fairness value", 0.8),)),
    "explainability": ("Explainability", (("records_processed", "Records processed", None),)),
    "performance": ("Performance", (("records", "Number of records", None),)),
    "model_health": ("Model health", (("payload_size", "Payload size", None),)),
    "drift": ("Drift", (("drift_magnitude", "Drop in accuracy", None),)),
    "drift_v2": ("Drift v2", (("output_drift", "Output drift", None),)),
    "mrm": ("Model risk management monitoring", (("quality_score", "Quality score", None),)),
}


def _metric(metric_id: str, name: str, default: float | None) -> dict[str, Any]:
    metric: dict[str, Any] = {"id": metric_id, "name": name, "expected_direction": "increasing"}
    if default is not None:
        metric["thresholds"] = [{"type": "lower_limit", "default": default}]
    return metric


def monitor_definitions() -> dict[str, dict[str, Any]]:
    """Every definition as the API returns it, keyed by id."""
    return {
        def_id: {
            "metadata": {"id": def_id, "url": f"/v2/monitor_definitions/{def_id}"},
            "entity": {
                "name": name,
                "metrics": [_metric(*m) for m in metrics],
                "tags": [],
                "applies_to": {"problem_type": ["binary", "multiclass", "regression"]},
                "managed_by": "system",
            },
        }
        for def_id, (name, metrics) in _DEFINITIONS.items()
    }
