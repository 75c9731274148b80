"""The fairness monitor: the disparate impact of the model's predictions per monitored feature,
configured from the signature's fairness parameters and read after a run.

Part of :class:`~mlmonitor_lib.ibm.openscale.monitor.OpenScaleMonitor` (a mixin).

What OpenScale takes and answers (the SDK's ``FairnessMetrics.DISPARATE_IMPACT`` is
``fairness_value``, a percent): the parameters of IBM's SageMaker notebook, cell 92 (``features``
with ``feature``, ``majority``, ``minority`` and ``threshold``; ``favourable_class``,
``unfavourable_class``, ``min_records``), and one ``fairness_value`` lower limit with a
``specific_values`` entry per feature, as IBM's ibm-wos-utils builds a fairness configuration
(``FairnessConfigDistributionBuilder.build``: 80 for the whole monitor, each feature's threshold
times 100 for its ``feature`` tag). A run measures, per feature, the monitored group with the
lowest disparate impact (tags ``feature`` and ``feature_value``) and keeps the per-group rates
in its ``bias_detection_summary`` source. Below ``min_records`` payload records a run finishes
with AIQFM6001 and measures nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, computed_field

from mlmonitor_lib.errors import EvaluationError, SettingsError
from mlmonitor_lib.ibm.openscale.client import sdk_call
from mlmonitor_lib.thresholds import fairness_violations

FAIRNESS_VALUE = "fairness_value"  # OpenScale's disparate impact, in percent
MONITOR_LOWER_LIMIT = 80.0  # the whole monitor's lower limit (IBM's default, as ibm-wos-utils)


# results -------------------------------------------------------------------------------------
class FairnessGroup(BaseModel):
    """One monitored group of a feature: how often it got the favourable class (0..1), its
    disparate impact against the reference groups (a ratio) and its records, where OpenScale
    reported them."""

    group: str
    favourable_rate: float | None = None
    disparate_impact: float | None = None
    records: int | None = None


class FairnessResult(BaseModel):
    """One monitored feature as a fairness run measured it.

    ``disparate_impact`` is a ratio (0.72: the monitored group gets the favourable class 72 %
    as often as the reference group), of ``group``, the monitored group with the lowest one;
    ``None`` when OpenScale measured none (``message`` says why). ``threshold`` is the lowest
    ratio accepted. ``percent`` is OpenScale's own ``fairness_value``.
    """

    feature: str
    monitored: list[str]
    reference: list[str]
    group: str | None = None
    disparate_impact: float | None = None
    threshold: float
    records: int | None = None
    min_records: int | None = None
    reference_favourable_rate: float | None = None
    reference_records: int | None = None
    groups: list[FairnessGroup] = Field(default_factory=list)
    monitor_instance_id: str
    run_id: str
    message: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent(self) -> float | None:
        di = self.disparate_impact
        return None if di is None else round(100 * di, 3)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def met(self) -> bool:
        return not fairness_violations([self])


# the OpenScale form of the signature's groups -----------------------------------------------
def _plain_group(item: Any) -> Any:
    """A category as it is; a range ``[18.0, 25.0]`` as ``[18, 25]`` (OpenScale names a range
    group ``18-25`` in its tags, so whole numbers stay whole)."""
    if isinstance(item, list | tuple):
        return [int(x) if float(x).is_integer() else float(x) for x in item]
    return item


def group_label(item: Any) -> str:
    """How OpenScale names a group in a measurement's tags: ``18-25`` for a range."""
    if isinstance(item, list | tuple) and len(item) == 2:
        low, high = _plain_group(item)
        return f"{low}-{high}"
    return str(item)


def _percent_threshold(threshold: float) -> float:
    return round(100 * float(threshold), 6)  # 0.57 * 100 is 56.99999999999999


def to_openscale(parameters: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The monitor's ``parameters`` and ``thresholds`` as OpenScale takes them, from the
    signature's :class:`~mlmonitor_lib.signature.FairnessParameters` (or its dict).

    ``perform_perturbation`` is not sent: IBM's notebook (cell 92) does not send it either, and
    the emulator refuses ``perform_perturbation=true`` (501): it computes disparate impact on
    the payload records only, not on the "balanced" data of payload plus perturbed copies
    scored on the deployment.
    """
    raw = parameters.model_dump() if hasattr(parameters, "model_dump") else dict(parameters)
    features = [
        {"feature": f["feature"], "majority": [_plain_group(g) for g in f["majority"]],
         "minority": [_plain_group(g) for g in f["minority"]],
         "threshold": float(f.get("threshold", 0.8))}
        for f in raw.get("features") or []
    ]
    if not features:
        raise SettingsError("a fairness monitor needs at least one feature (fairness_monitor."
                            "parameters.features in the model signature)")
    for side in ("favourable_class", "unfavourable_class"):
        if not raw.get(side):
            raise SettingsError(f"a fairness monitor needs its {side} (fairness_monitor."
                                f"parameters.{side} in the model signature)")
    params = {"features": features, "favourable_class": list(raw["favourable_class"]),
              "unfavourable_class": list(raw["unfavourable_class"]),
              "min_records": int(raw.get("min_records") or 100)}
    thresholds = [{
        "metric_id": FAIRNESS_VALUE, "type": "lower_limit", "value": MONITOR_LOWER_LIMIT,
        "specific_values": [
            {"value": _percent_threshold(f["threshold"]),
             "applies_to": [{"type": "tag", "key": "feature", "value": f["feature"]}]}
            for f in features],
    }]
    return params, thresholds


def feature_limit(thresholds: list[Mapping[str, Any]], feature: str) -> float | None:
    """The lowest ``fairness_value`` (percent) OpenScale accepts for a feature: its specific
    value, else the monitor's lower limit."""
    for threshold in thresholds:
        if threshold.get("metric_id") != FAIRNESS_VALUE or threshold.get("type") != "lower_limit":
            continue
        for specific in threshold.get("specific_values") or []:
            if any(tag.get("key") == "feature" and tag.get("value") == feature
                   for tag in specific.get("applies_to") or []):
                return float(specific["value"])
        if threshold.get("value") is not None:
            return float(threshold["value"])
    return None


def _ratio(percent: Any) -> float | None:
    return None if percent is None else float(percent) / 100


# the mixin -----------------------------------------------------------------------------------
class FairnessMonitoring:
    """Fairness monitor configuration and evaluation."""

    def configure_fairness_monitor(self, parameters: Any) -> dict[str, str]:
        """Create the fairness monitor with the signature's fairness parameters (or update the
        existing one: re-running is safe); returns the subscription's monitor ids by name,
        ``{"fairness": id, ...}``. OpenScale runs a new fairness monitor once on creation."""
        params, thresholds = to_openscale(parameters)
        return self._configure_monitor(
            "fairness", self.client.monitor_definitions.MONITORS.FAIRNESS.ID, params,
            thresholds, hint="Check the fairness features, groups and classes in the signature.",
            parameters_first=True)  # the thresholds name the features the parameters set

    def fairness_configuration(self) -> dict[str, Any]:
        """The fairness monitor's ``parameters`` and ``thresholds`` as OpenScale holds them."""
        fairness_id = self._need("fairness", "configure_fairness_monitor()")
        with sdk_call("reading the fairness monitor", "Call configure_fairness_monitor() again."):
            entity = self.client.monitor_instances.get(fairness_id).result.entity
        return {"parameters": dict(entity.parameters or {}),
                "thresholds": [t.to_dict() for t in entity.thresholds or []]}

    # evaluation -------------------------------------------------------------------------
    def _evaluate_fairness(self) -> list[FairnessResult]:
        """Run the fairness monitor on the payload records, wait for it, and read each
        feature's disparate impact; a feature it could not measure is reported with why."""
        fairness_id = self._need("fairness", "configure_fairness_monitor()")
        self._await_count("payload_data_set", "payload")  # never evaluate uncounted payload
        config = self.fairness_configuration()
        counted = self._count("payload_data_set")
        started = datetime.now(UTC) - timedelta(minutes=1)
        with sdk_call("running the fairness evaluation", "Retry evaluate()."):
            run = self.client.monitor_instances.run(fairness_id, background_mode=False)
        if run is None:
            raise EvaluationError(
                "the OpenScale fairness run did not finish within the SDK's timeout; call "
                "evaluate() again later"
            )
        status = run.result.entity.status
        errors = [e.message for e in (status.failure.errors if status.failure else [])]
        if status.state != "finished":
            raise EvaluationError("the OpenScale fairness evaluation failed: "
                                  + ("; ".join(errors) or status.message or status.state))
        run_id = run.result.metadata.id
        processed = (run.result.entity.parameters or {}).get("total_records_processed")
        details = self._fairness_measurement(fairness_id, run_id, started)
        why = status.message if details is None else "; ".join(errors) or None
        return _results(config, details, fairness_id, run_id, processed or counted, why)

    def _fairness_measurement(self, fairness_id: str, run_id: str, since: datetime) -> Any:
        """The run's measurement (values and sources), or ``None`` when it measured nothing."""
        end = datetime.now(UTC) + timedelta(minutes=1)
        with sdk_call("reading the fairness measurements", "Retry evaluate()."):
            found = self.client.monitor_instances.list_measurements(
                fairness_id, start=since, end=end, run_id=run_id
            ).result.measurements
            if not found:
                return None
            return self.client.monitor_instances.get_measurement_details(
                fairness_id, found[0].metadata.id
            ).result.entity


def _results(config: dict[str, Any], details: Any, instance_id: str, run_id: str,
             records: int, why: str | None) -> list[FairnessResult]:
    """One result per configured feature, from the measurement's values (the lowest group per
    feature) and its ``bias_detection_summary`` (rates per group) when OpenScale keeps one."""
    params, thresholds = config["parameters"], config["thresholds"]
    measured: dict[str, tuple[str | None, float | None]] = {}
    summary: dict[str, Mapping[str, Any]] = {}
    distribution: dict[tuple[str, str], int] = {}
    if details is not None:
        for value in details.values or []:
            tags = {t.id: t.value for t in value.tags or []}
            metric = next((m for m in value.metrics or [] if m.id == FAIRNESS_VALUE), None)
            if "feature" in tags and metric is not None:
                measured[tags["feature"]] = (tags.get("feature_value"), metric.value)
        sources = {s.id: s.data for s in details.sources or []}
        for item in (sources.get("bias_detection_summary") or {}).get("summary") or []:
            summary[item.get("feature")] = item
        table = sources.get("scoring_payload_data_distribution") or {}
        names = table.get("fields") or []
        for row in table.get("values") or []:
            entry = dict(zip(names, row, strict=False))
            distribution[(str(entry.get("feature")), str(entry.get("feature_value")))] = (
                int(entry.get("fav_count") or 0) + int(entry.get("unfav_count") or 0))
    results = []
    for feature in params.get("features") or []:
        name = feature["feature"]
        monitored = [group_label(g) for g in feature.get("minority") or []]
        reference = [group_label(g) for g in feature.get("majority") or []]
        limit = feature_limit(thresholds, name)
        threshold = (limit / 100 if limit is not None
                     else float(feature.get("threshold", MONITOR_LOWER_LIMIT / 100)))
        group, percent = measured.get(name, (None, None))
        about = summary.get(name) or {}
        rates = {str(v.get("value")): v for v in (about.get("minority") or {}).get("values") or []}
        results.append(FairnessResult(
            feature=name, monitored=monitored, reference=reference, group=group,
            disparate_impact=_ratio(percent), threshold=threshold, records=records,
            min_records=params.get("min_records"),
            reference_favourable_rate=_ratio((about.get("majority") or {})
                                             .get("payload_total_fav_percent")),
            reference_records=distribution.get((name, ",".join(reference))),
            groups=[FairnessGroup(
                group=g, favourable_rate=_ratio(rates.get(g, {}).get("payload_fav_class_percent")),
                disparate_impact=_ratio(rates.get(g, {}).get("payload_fairness_value")),
                records=distribution.get((name, g))) for g in monitored],
            monitor_instance_id=instance_id, run_id=run_id,
            message=None if percent is not None else (why or "OpenScale measured no "
                                                      "disparate impact for this feature"),
        ))
    return results
