"""OpenScale's fairness monitor, as far as it can be computed from the payload records.

What OpenScale computes (sources and the open points in ../shared/notes/live-contracts.md,
"Watson OpenScale fairness"): per monitored feature, the **disparate impact** of the model's
predictions, ``(favourable / records of the monitored group) / (favourable / records of the
reference groups combined)``, reported as ``fairness_value`` in percent (IBM docs "Disparate
impact in Watson OpenScale fairness metrics"; the SDK's ``FairnessMetrics.DISPARATE_IMPACT =
"fairness_value"``). A group is a list of categories (``["female"]``) or of inclusive numeric
ranges (``[[18, 25]]``); records in neither group are left out; favourable outcomes are
predictions in ``favourable_class``.

What is not computed here, and so refused where it is asked for: the "balanced" data set
(payload records plus perturbed copies scored on the deployment: ``perform_perturbation``), the
other fairness metrics (statistical parity difference and the confusion-matrix differences) and
regression models' favourable ranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlmonitor_lib.emulators.openscale.exceptions import BadRequest, NotEmulated
from mlmonitor_lib.emulators.openscale.records import scalar_key

FAIRNESS = "fairness"
DISPARATE_IMPACT = "fairness_value"
DEFAULT_LOWER_LIMIT = 80.0  # recorded: show_metrics' lower_limit when no threshold was sent
# the SDK's FairnessMetrics enum, less the one computed here
NOT_COMPUTED_METRICS = frozenset({
    "statistical_parity_difference", "average_odds_difference", "average_abs_odds_difference",
    "false_negative_rate_difference", "false_positive_rate_difference",
    "false_discovery_rate_difference", "false_omission_rate_difference",
    "error_rate_difference"})
INSUFFICIENT_DATA = ("AIQFM6016", "Some metrics were not computed due to insufficient data.")
TOO_FEW_RECORDS = "AIQFM6001"  # recorded run_info_code of a run below min_records
SUCCESS_MESSAGE = "bias run is successful."  # recorded run message (AIQFM6005)


# parameters ------------------------------------------------------------------------------
def _is_range(item: Any) -> bool:
    return (isinstance(item, list) and len(item) == 2 and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in item)
        and item[0] <= item[1])


def _check_group(where: str, group: Any) -> None:
    if not isinstance(group, list) or not group:
        raise BadRequest(f"{where} must be a non-empty list of categories or [low, high] "
                         "ranges.")
    for item in group:
        if isinstance(item, list) and not _is_range(item):
            raise BadRequest(f"{where} holds {item!r}: a range is [low, high] with low <= high.")
        if isinstance(item, dict) or item is None:
            raise BadRequest(f"{where} holds {item!r}: not a category or a range.")


def check_parameters(parameters: dict[str, Any], problem: str | None) -> None:
    """Refuse a configuration OpenScale would refuse (400) or the emulator cannot compute
    (501), naming what is wrong."""
    if problem == "regression":
        raise NotEmulated("fairness monitors of regression models (favourable ranges)")
    if parameters.get("perform_perturbation"):
        raise NotEmulated("fairness on balanced data (perform_perturbation: payload records "
                          "plus perturbed copies scored on the deployment); send "
                          "perform_perturbation=false for disparate impact on the payload "
                          "records")
    features = parameters.get("features")
    if not features:
        raise NotEmulated("fairness monitors without 'features' (OpenScale then takes them "
                          "from the training data statistics, which the emulator does not "
                          "keep)")
    if not isinstance(features, list):
        raise BadRequest("parameters.features must be a list of monitored features.")
    for n, feature in enumerate(features):
        where = f"parameters.features[{n}]"
        if not isinstance(feature, dict) or not feature.get("feature"):
            raise BadRequest(f"{where} must name its 'feature'.")
        for side in ("majority", "minority"):
            _check_group(f"{where}.{side}", feature.get(side))
        threshold = feature.get("threshold", 0.8)
        if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
            raise BadRequest(f"{where}.threshold must be between 0 and 1, not {threshold!r}.")
        others = sorted(set(feature.get("metric_ids") or []) & NOT_COMPUTED_METRICS)
        if others:
            raise NotEmulated(f"fairness metrics {', '.join(others)} (only fairness_value, "
                              "disparate impact, is computed)")
    for side in ("favourable_class", "unfavourable_class"):
        classes = parameters.get(side)
        if not isinstance(classes, list) or not classes:
            raise BadRequest(f"parameters.{side} must be a non-empty list of classes.")
    minimum = parameters.get("min_records", 0)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
        raise BadRequest(f"parameters.min_records must be a whole number, not {minimum!r}.")


def check_thresholds(thresholds: list[dict[str, Any]], features: Sequence[str]) -> None:
    """Thresholds on ``fairness_value`` (percent), optionally per feature (``specific_values``
    applying to the tag ``feature``); the other fairness metrics are not computed."""
    for threshold in thresholds:
        metric = threshold.get("metric_id")
        if metric in NOT_COMPUTED_METRICS:
            raise NotEmulated(f"thresholds on fairness metric '{metric}' (only fairness_value, "
                              "disparate impact, is computed)")
        if metric != DISPARATE_IMPACT:
            raise BadRequest(f"Metric '{metric}' is not a metric of monitor 'fairness'; known "
                             f"metrics: {DISPARATE_IMPACT}.")
        if threshold.get("type") not in ("lower_limit", "upper_limit"):
            raise BadRequest(
                f"Threshold type '{threshold.get('type')}' is not lower_limit or upper_limit.")
        for specific in threshold.get("specific_values") or []:
            for tag in specific.get("applies_to") or []:
                if tag.get("key") != "feature" or tag.get("value") not in features:
                    raise BadRequest(f"specific_values applies to {tag!r}: not a monitored "
                                     f"feature (features: {', '.join(features)}).")


# the computation -------------------------------------------------------------------------
def group_label(item: Any) -> str:
    """How OpenScale names a group in tags: ``18-25`` for a range, the category itself."""
    return f"{item[0]}-{item[1]}" if _is_range(item) else str(item)


def _members(values: np.ndarray, numbers: np.ndarray, item: Any) -> np.ndarray:
    if _is_range(item):
        with np.errstate(invalid="ignore"):
            return (numbers >= item[0]) & (numbers <= item[1])
    return values == scalar_key(item)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return np.nan
    return float(value)


@dataclass(frozen=True)
class FeatureFairness:
    """One monitored feature: favourable and total counts per group, and its disparate
    impact (the monitored group with the lowest one)."""

    feature: str
    threshold: float
    reference: tuple[int, int]  # (favourable, records) of the reference groups combined
    monitored: dict[str, tuple[int, int]] = field(default_factory=dict)

    def ratios(self) -> dict[str, float]:
        """Disparate impact of every monitored group with records, if the reference group
        has favourable outcomes."""
        fav_ref, n_ref = self.reference
        if not n_ref or not fav_ref:
            return {}
        return {g: (fav / n) / (fav_ref / n_ref) for g, (fav, n) in self.monitored.items() if n}

    @property
    def group(self) -> str | None:
        ratios = self.ratios()
        return min(ratios, key=ratios.__getitem__) if ratios else None

    @property
    def value(self) -> float | None:
        """``fairness_value``: percent, rounded to 3 decimals as the recorded values are."""
        ratios = self.ratios()
        return round(100 * min(ratios.values()), 3) if ratios else None


def disparate_impact(rows: Sequence[dict[str, Any]], prediction_field: str,
                     parameters: dict[str, Any]) -> list[FeatureFairness]:
    """Every monitored feature's counts over the records (each a dict of fields)."""
    favourable = {scalar_key(c) for c in parameters["favourable_class"]}
    predictions = np.array([scalar_key(r.get(prediction_field)) for r in rows], dtype=object)
    is_favourable = np.array([p in favourable for p in predictions], dtype=bool)
    found = []
    for spec in parameters["features"]:
        name = spec["feature"]
        values = np.array([scalar_key(r.get(name)) for r in rows], dtype=object)
        numbers = np.array([_number(r.get(name)) for r in rows], dtype=float)
        reference = np.zeros(len(rows), dtype=bool)
        for item in spec["majority"]:
            reference |= _members(values, numbers, item)
        monitored = {}
        for item in spec["minority"]:
            members = _members(values, numbers, item) & ~reference
            monitored[group_label(item)] = (int(np.sum(is_favourable & members)),
                                            int(np.sum(members)))
        found.append(FeatureFairness(
            name, float(spec.get("threshold", 0.8)),
            (int(np.sum(is_favourable & reference)), int(np.sum(reference))), monitored))
    return found


# judging and reporting -------------------------------------------------------------------
def limits(thresholds: list[dict[str, Any]], feature: str) -> dict[str, float]:
    """The limits of one feature's ``fairness_value``: a specific value for the feature, else
    the threshold's value; the definition's lower limit (80) when none is set."""
    found: dict[str, float] = {}
    for threshold in thresholds:
        if threshold.get("metric_id") != DISPARATE_IMPACT:
            continue
        value = threshold.get("value")
        for specific in threshold.get("specific_values") or []:
            if any(t.get("value") == feature for t in specific.get("applies_to") or []):
                value = specific.get("value")
        if value is not None:
            found[threshold["type"]] = float(value)
    found.setdefault("lower_limit", DEFAULT_LOWER_LIMIT)
    return found


def violations(results: Sequence[FeatureFairness], thresholds: list[dict[str, Any]]
               ) -> list[dict[str, Any]]:
    """Every limit a feature's measured disparate impact breaches (feature, group, measured,
    limit); a feature without a value is not judged (it is reported as not computed)."""
    found = []
    for result in results:
        value = result.value
        if value is None:
            continue
        for kind, limit in limits(thresholds, result.feature).items():
            if (kind == "lower_limit" and value < limit) or (
                    kind == "upper_limit" and value > limit):
                found.append({"metric_id": DISPARATE_IMPACT, "feature": result.feature,
                              "group": result.group, "type": kind, "value": value,
                              "limit": limit})
    return found


def measured_values(results: Sequence[FeatureFairness], thresholds: list[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    """The measurement's ``values``: one entry per computed feature, tagged as recorded
    (``feature``, ``fairness_metric_type``, ``feature_value``)."""
    return [
        {"metrics": [{"id": DISPARATE_IMPACT, "value": r.value,
                      **limits(thresholds, r.feature)}],
         "tags": [{"id": "feature", "value": r.feature},
                  {"id": "fairness_metric_type", "value": FAIRNESS},
                  {"id": "feature_value", "value": r.group}]}
        for r in results if r.value is not None
    ]


def summary(results: Sequence[FeatureFairness], records: int) -> dict[str, Any]:
    """The ``bias_detection_summary`` source, payload part only (no balanced data)."""
    features = []
    for r in results:
        fav_ref, n_ref = r.reference
        ratios = r.ratios()
        features.append({
            "feature": r.feature,
            "payload_fairness_value": r.value,
            "fairness_value": r.value,
            "is_biased": r.value is not None and r.value < 100 * r.threshold,
            "majority": {"payload_total_fav_percent": _percent(fav_ref, n_ref)},
            "minority": {"values": [
                {"value": g, "payload_fav_class_percent": _percent(fav, n),
                 "payload_fairness_value": (round(100 * ratios[g], 3) if g in ratios
                                            else None)}
                for g, (fav, n) in r.monitored.items()]},
            "records_evaluated": {"number_of_records": records, "perturbed_records": 0},
            "fairness_calculation_details": [{"data_set_type": "payload"}],
        })
    return {"summary": features, "metric_type": FAIRNESS, "rows_analyzed": records,
            "perturbed_data_size": 0, "score_type": "disparate impact"}


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None
