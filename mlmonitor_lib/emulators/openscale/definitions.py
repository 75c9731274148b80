"""Monitor definitions the emulator publishes.

The SDK builds its ``MONITORS`` enum from ``GET /v2/monitor_definitions`` at construction and
reads ``QUALITY``, ``FAIRNESS``, ``EXPLAINABILITY``, ``PERFORMANCE`` (and ``MODEL_HEALTH`` for
online production subscriptions) on every create, so all of them must exist. Ids and metric ids
are the real service's.
"""

from __future__ import annotations

from typing import Any

QUALITY = "quality"
BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"

# (metric id, name, default lower limit, problem types it applies to). The binary metric ids are
# those of a binary quality run recorded in IBM/watson-openscale-samples, "IBM Cloud/WML/
# notebooks/headless_subscription/OpenScale Headless Subscription - Cloud.ipynb" (run_details);
# the multiclass ones are IBM's documented multiclass list ("Watson OpenScale quality metrics",
# dataplatform.cloud.ibm.com/docs/content/wsj/model/wos-quality-overview.html), whose default
# alert is on area under ROC (binary) and accuracy (multiclass), at 0.8. Regression metrics are
# not computed here, so none is published and a regression quality monitor is refused.
QUALITY_METRICS = (
    ("area_under_roc", "Area under ROC", 0.8, (BINARY,)),
    ("area_under_pr", "Area under PR", 0.8, (BINARY,)),
    ("accuracy", "Accuracy", 0.8, (BINARY, MULTICLASS)),
    ("true_positive_rate", "True positive rate", 0.8, (BINARY,)),
    ("false_positive_rate", "False positive rate", None, (BINARY,)),
    ("recall", "Recall", 0.8, (BINARY,)),
    ("precision", "Precision", 0.8, (BINARY,)),
    ("f1_measure", "F1-Measure", 0.8, (BINARY,)),
    ("log_loss", "Logarithmic loss", None, (BINARY,)),
    ("brier_score", "Brier score", None, (BINARY,)),
    ("gini_coefficient", "Gini coefficient", None, (BINARY,)),
    ("label_skew", "Label skew", None, (BINARY,)),
    ("matthews_correlation_coefficient", "Matthews correlation coefficient", None, (BINARY,)),
    ("weighted_true_positive_rate", "Weighted True Positive Rate", 0.8, (MULTICLASS,)),
    ("weighted_false_positive_rate", "Weighted False Positive Rate", None, (MULTICLASS,)),
    ("weighted_recall", "Weighted Recall", 0.8, (MULTICLASS,)),
    ("weighted_precision", "Weighted Precision", 0.8, (MULTICLASS,)),
    ("weighted_f_measure", "Weighted F1-Measure", 0.8, (MULTICLASS,)),
)
ALL_PROBLEMS = (BINARY, MULTICLASS, REGRESSION)
# What the emulator computes: every other definition is published (the SDK reads them all) but
# an instance of it is refused as not emulated (drift and explainability are not computed).
# Fairness is disparate impact on the payload records only (:mod:`.fairness`).
FAIRNESS = "fairness"
COMPUTED = (QUALITY, FAIRNESS, "performance", "model_health")
# metrics where lower is better
DECREASING = frozenset({"false_positive_rate", "weighted_false_positive_rate", "log_loss",
                        "brier_score", "label_skew"})

_Metric = tuple[str, str, float | None, tuple[str, ...]]
_DEFINITIONS: dict[str, tuple[str, tuple[_Metric, ...]]] = {
    QUALITY: ("Quality", QUALITY_METRICS),
    # fairness_value is a percentage: recorded measurements show lower_limit 80.0 when the
    # instance was created without thresholds
    FAIRNESS: ("Fairness", (("fairness_value", "Fairness value", 80.0, ALL_PROBLEMS),)),
    "explainability": ("Explainability",
                       (("records_processed", "Records processed", None, ALL_PROBLEMS),)),
    "performance": ("Performance", (("records", "Number of records", None, ALL_PROBLEMS),)),
    "model_health": ("Model health", (("payload_size", "Payload size", None, ALL_PROBLEMS),)),
    "drift": ("Drift", (("drift_magnitude", "Drop in accuracy", None, ALL_PROBLEMS),)),
    "drift_v2": ("Drift v2", (("output_drift", "Output drift", None, ALL_PROBLEMS),)),
    "mrm": ("Model risk management monitoring",
            (("quality_score", "Quality score", None, ALL_PROBLEMS),)),
}


def _metric(metric_id: str, name: str, default: float | None, problems: tuple[str, ...]
            ) -> dict[str, Any]:
    direction = "decreasing" if metric_id in DECREASING else "increasing"
    metric: dict[str, Any] = {"id": metric_id, "name": name, "expected_direction": direction,
                              "applies_to": {"problem_type": list(problems)}}
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
                "applies_to": {"problem_type": list(ALL_PROBLEMS)},
                "managed_by": "system",
            },
        }
        for def_id, (name, metrics) in _DEFINITIONS.items()
    }


def quality_metric_ids(problem_type: str) -> list[str]:
    """The quality metrics OpenScale computes (and takes thresholds on) for a problem type."""
    return [m[0] for m in QUALITY_METRICS if problem_type in m[3]]
