"""Errors a user can act on.

Every exception the library raises on purpose derives from :class:`MlMonitorError` and carries a
message that names what is wrong and what to do about it. Runtime checks never use ``assert``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class MlMonitorError(Exception):
    """Base of every error this library raises deliberately."""


class DatasetError(MlMonitorError):
    """A data set file is missing, corrupt, truncated or mislabelled."""


class SignatureError(MlMonitorError):
    """``model_signature.json`` is missing or invalid; the message lists every problem."""


class SettingsError(MlMonitorError):
    """Configuration is missing or invalid (credentials file, environment, ``.env``)."""


class StateError(MlMonitorError):
    """The lifecycle state file cannot be read or written."""


class LifecycleError(MlMonitorError):
    """A lifecycle step was called before the step it depends on."""


class TrainingFailed(MlMonitorError):
    """A SageMaker training job ended in ``Failed``; carries the job's ``FailureReason``."""

    def __init__(self, job_name: str, reason: str) -> None:
        self.job_name = job_name
        self.reason = reason
        super().__init__(
            f"training job {job_name!r} failed: {reason}. "
            "Read the job's logs (CloudWatch in live mode, the captured output in mock mode), "
            "fix the entry point or its data, then call train() again."
        )


class DeploymentFailed(MlMonitorError):
    """An endpoint could not be brought ``InService``."""


class ScoringError(MlMonitorError):
    """An endpoint refused or failed a scoring request."""


class ServiceError(MlMonitorError):
    """A cloud service failed persistently; the message names service and operation."""


class EvaluationError(MlMonitorError):
    """A monitor evaluation cannot run or did not finish."""


class NotEnoughFeedback(EvaluationError):
    """The feedback data set holds fewer records than the quality monitor needs; ``missing``
    says how many more to log before evaluating."""

    def __init__(self, have: int, needed: int) -> None:
        self.have, self.needed, self.missing = have, needed, max(needed - have, 0)
        super().__init__(
            f"the quality monitor needs at least {needed} feedback records "
            f"(min_feedback_data_size) and the feedback data set holds {have}: log "
            f"{self.missing} more with log_feedback(), then call evaluate() again"
        )


class ReleaseRefused(MlMonitorError):
    """The release gate refused: one line per threshold, with its interval and verdict.
    ``decision`` is the gate's decision (``mlmonitor_lib.gate.decision.GateDecision``)."""

    def __init__(self, message: str, decision: Any = None) -> None:
        super().__init__(message)
        self.decision = decision


class ReleaseUndecided(ReleaseRefused):
    """The release gate could not decide (an interval straddles a threshold) and the
    signature's rule refuses an inconclusive release: more evidence would decide."""


@dataclass(frozen=True)
class CleanupFailure:
    """One resource cleanup could not delete: which service, which resource, and why."""

    service: str  # "SageMaker", "Watson OpenScale", "AI Factsheets"
    resource: str  # kind and id, e.g. "endpoint sm-<job>-...-a1b2c3"
    reason: str

    def __str__(self) -> str:
        return f"{self.service}: {self.resource}: {self.reason}"


class CleanupIncomplete(MlMonitorError):
    """``cleanup()`` tried every resource and some could not be deleted.

    Why one error at the end rather than the first failure: a refused delete in one service
    must never leave a paid endpoint running in another. ``failures`` names each resource
    still alive (the state file keeps exactly those, so a second cleanup finishes the job);
    ``counts`` is what was deleted meanwhile.
    """

    def __init__(self, failures: Sequence[CleanupFailure],
                 counts: Mapping[str, int] | None = None, state_file: object = None) -> None:
        self.failures = list(failures)
        self.counts = dict(counts or {})
        where = f"the state file {state_file}" if state_file else "the state file"
        lines = "\n".join(f"  {failure}" for failure in self.failures)
        super().__init__(
            f"cleanup could not delete {len(self.failures)} resource(s); everything else was "
            f"deleted{f' ({self.counts})' if self.counts else ''}:\n{lines}\n"
            f"{where.capitalize()} keeps them: fix the cause, then run cleanup() again "
            "(or python -m mlmonitor_lib state cleanup <state file>)."
        )
