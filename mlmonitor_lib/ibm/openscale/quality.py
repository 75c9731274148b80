"""The quality monitor: its thresholds, its evaluation runs, and the result the release gate reads
(the evaluation also runs the fairness monitor when one is configured: :mod:`.fairness`).

Part of :class:`~mlmonitor_lib.ibm.openscale.monitor.OpenScaleMonitor` (a mixin).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, computed_field

from mlmonitor_lib.errors import EvaluationError, LifecycleError
from mlmonitor_lib.ibm.openscale.client import sdk_call
from mlmonitor_lib.ibm.openscale.fairness import FairnessResult
from mlmonitor_lib.thresholds import (
    Violation,
    fairness_violations,
    normalise_thresholds,
    violations_of,
)


# results -------------------------------------------------------------------------------------
class EvaluationResult(BaseModel):
    """What an evaluation measured and whether it passes every threshold.

    The quality run's fields (``monitor_instance_id``, ``run_id``, ``records``, ``metrics``,
    ``thresholds``, ``confusion_matrix``, ``message``) are those of the quality monitor; they
    stay empty when only a fairness monitor was evaluated. ``fairness`` holds one entry per
    monitored feature when a fairness monitor was evaluated. ``violations`` lists every breach
    of both, quality first.
    """

    subscription_id: str
    monitor_instance_id: str | None = None
    run_id: str | None = None
    records: int | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    thresholds: list[dict[str, Any]] = Field(default_factory=list)
    violations: list[Violation] = Field(default_factory=list)
    confusion_matrix: dict[str, Any] | None = None
    message: str | None = None
    fairness: list[FairnessResult] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return not self.violations


class QualityMonitoring:
    """Quality monitor configuration and evaluation."""

    # quality monitor --------------------------------------------------------------------
    def configure_quality_monitor(
        self, thresholds: Sequence[Any], min_feedback_data_size: int
    ) -> dict[str, str]:
        """Create the quality monitor with these thresholds (or update the existing one);
        returns the subscription's monitor ids by name, ``{"quality": id, ...}``."""
        wanted = normalise_thresholds(thresholds)
        params = {"min_feedback_data_size": int(min_feedback_data_size)}
        return self._configure_monitor(
            "quality", self.client.monitor_definitions.MONITORS.QUALITY.ID, params, wanted,
            hint="Check the thresholds' metric ids.")

    def monitor_thresholds(self) -> list[dict[str, Any]]:
        """The quality monitor's thresholds as OpenScale holds them."""
        quality_id = self._need("quality", "configure_quality_monitor()")
        with sdk_call("reading the quality monitor", "Call configure_quality_monitor() again."):
            entity = self.client.monitor_instances.get(quality_id).result.entity
        return [
            {"metric_id": t.metric_id, "type": t.type, "value": t.value}
            for t in entity.thresholds or []
        ]

    # evaluation -------------------------------------------------------------------------
    def evaluate(self) -> EvaluationResult:
        """Run every monitor this adapter configured, as OpenScale runs them (a run each,
        waited for): quality on the feedback records, fairness on the payload records. Returns
        what they measured and one violation per breach, quality's first."""
        if "quality" not in self.ids and "fairness" not in self.ids:
            raise LifecycleError("no OpenScale monitor to evaluate yet: call "
                                 "configure_quality_monitor() first (or "
                                 "configure_fairness_monitor())")
        if "quality" in self.ids:
            result = self._evaluate_quality()
        else:
            result = EvaluationResult(subscription_id=self._need("subscription", "subscribe()"))
        if "fairness" not in self.ids:
            return result
        fairness = self._evaluate_fairness()
        return result.model_copy(update={
            "fairness": fairness,
            "violations": [*result.violations, *fairness_violations(fairness)]})

    def _evaluate_quality(self) -> EvaluationResult:
        """Run the quality monitor, wait for it, and return metrics and violations."""
        quality_id = self._need("quality", "configure_quality_monitor()")
        self._await_count("feedback_data_set", "feedback")  # never evaluate uncounted feedback
        started = datetime.now(UTC) - timedelta(minutes=1)
        with sdk_call("running the quality evaluation", "Retry evaluate()."):
            run = self.client.monitor_instances.run(quality_id, background_mode=False)
        if run is None:
            raise EvaluationError(
                "the OpenScale quality run did not finish within the SDK's "
                "timeout; call evaluate() again later"
            )
        status = run.result.entity.status
        if status.state != "finished":
            reasons = [e.message for e in (status.failure.errors if status.failure else [])]
            raise EvaluationError(
                "the OpenScale quality evaluation failed: "
                + ("; ".join(reasons) or status.message or status.state)
            )
        return self._result(quality_id, run.result.metadata.id, started, status.message)

    def _result(
        self, quality_id: str, run_id: str, since: datetime, message: str | None
    ) -> EvaluationResult:
        end = datetime.now(UTC) + timedelta(minutes=1)
        with sdk_call("reading the evaluation's measurements", "Retry evaluate()."):
            found = self.client.monitor_instances.list_measurements(
                quality_id, start=since, end=end, run_id=run_id
            ).result.measurements
            if not found:
                raise EvaluationError(f"the quality run {run_id} recorded no measurement")
            details = self.client.monitor_instances.get_measurement_details(
                quality_id, found[0].metadata.id
            ).result.entity
        metrics = {m.id: m.value for v in details.values for m in v.metrics}
        sources = {s.id: s.data for s in details.sources or []}
        thresholds = self.monitor_thresholds()
        return EvaluationResult(
            subscription_id=self.ids["subscription"],
            monitor_instance_id=quality_id,
            run_id=run_id,
            metrics=metrics,
            thresholds=thresholds,
            message=message,
            violations=violations_of(metrics, thresholds),
            confusion_matrix=sources.get("confusion_matrix"),
            records=(sources.get("records") or {}).get("count"),
        )
