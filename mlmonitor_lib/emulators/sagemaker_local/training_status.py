"""What DescribeTrainingJob and ListTrainingJobs show of a local job: its walk, over moto's.

moto describes every training job as ``Completed`` at once. A local job's description is
instead one observation of its walk (:class:`~mlmonitor_lib.emulators.pace.Progress`) through
AWS's secondary statuses (:mod:`.states`), with the primary status, times, failure reason and
final metrics the walk has reached, and ``SecondaryStatusTransitions`` listing exactly the
stages walked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mlmonitor_lib.emulators.pace import Progress
from mlmonitor_lib.emulators.sagemaker_local.states import TRAINING_JOB_STATUS, TRAINING_STAGES

# TrainingJobStatus (primary) of each secondary status that is not InProgress's.
_PRIMARY = {"Completed": "Completed", "Failed": "Failed", "Stopped": "Stopped",
            "MaxRuntimeExceeded": "Stopped", "Stopping": "Stopping"}
if not set(_PRIMARY.values()) <= set(TRAINING_JOB_STATUS):  # botocore's enum
    raise ValueError(f"not SageMaker TrainingJobStatus values: {sorted(_PRIMARY.values())}")
_MESSAGES = {name: message for name, _, message in TRAINING_STAGES} | {
    "Completed": "Training job completed", "Stopped": "Training job stopped",
    "Stopping": "Stopping the training job",
    "MaxRuntimeExceeded": "Training job stopped: it ran longer than MaxRuntimeInSeconds",
}


class TrainingStatus:
    """The describe half of :class:`~.training.LocalTrainingJob` (a mixin on its state)."""

    request: dict[str, Any]
    clock: Callable[[], float]
    failure_reason: str | None
    started_at: datetime
    ended_at: datetime | None
    metrics: list[dict[str, Any]]
    progress: Progress

    def overlay(self, desc: dict[str, Any]) -> None:
        """Write the walk's observed state over moto's always-``Completed`` description (one
        DescribeTrainingJob is one observation)."""
        secondary = self.progress.observe()
        status = _PRIMARY.get(secondary, "InProgress")
        final = status in ("Completed", "Failed", "Stopped")
        desc["TrainingJobStatus"] = status
        desc["SecondaryStatus"] = secondary
        desc["SecondaryStatusTransitions"] = self.transitions()
        desc["TrainingStartTime"] = self.started_at
        if final and self.ended_at is not None:
            desc["TrainingEndTime"] = self.ended_at
            desc["TrainingTimeInSeconds"] = int((self.ended_at - self.started_at).total_seconds())
        else:
            desc.pop("TrainingEndTime", None)
            desc.pop("TrainingTimeInSeconds", None)
        if final and self.failure_reason:
            desc["FailureReason"] = self.failure_reason
        else:
            desc.pop("FailureReason", None)
        if status != "Completed":
            desc.pop("ModelArtifacts", None)
        desc["FinalMetricDataList"] = list(self.metrics) if final else []
        if "AlgorithmSpecification" in desc:
            desc["AlgorithmSpecification"]["MetricDefinitions"] = self.request.get(
                "AlgorithmSpecification", {}).get("MetricDefinitions", [])

    def summary_overlay(self, summary: dict[str, Any]) -> None:
        """The same over a ListTrainingJobs summary (a List is an observation too)."""
        secondary = self.progress.observe()
        summary["TrainingJobStatus"] = _PRIMARY.get(secondary, "InProgress")
        summary["SecondaryStatus"] = secondary
        if summary["TrainingJobStatus"] in ("Completed", "Failed", "Stopped") and self.ended_at:
            summary["TrainingEndTime"] = self.ended_at
        else:
            summary.pop("TrainingEndTime", None)

    def transitions(self) -> list[dict[str, Any]]:
        """``SecondaryStatusTransitions``: each stage walked, when it began and ended."""
        now_wall, now = datetime.now(UTC), self.clock()
        walked = list(self.progress.entered)
        result = []
        for i, (state, entered) in enumerate(walked):
            start = now_wall - timedelta(seconds=now - entered)
            item: dict[str, Any] = {"Status": state, "StartTime": start,
                                    "StatusMessage": self._message(state)}
            if i + 1 < len(walked):
                item["EndTime"] = now_wall - timedelta(seconds=now - walked[i + 1][1])
            elif state in ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded"):
                item["EndTime"] = start
            result.append(item)
        return result

    def _message(self, state: str) -> str:
        if state == "Failed":
            return (self.failure_reason or "Training job failed").splitlines()[0]
        return _MESSAGES.get(state, state)

