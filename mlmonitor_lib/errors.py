"""Errors a user can act on.

Every exception the library raises on purpose derives from :class:`MlMonitorError` and carries a
message that names what is wrong and what to do about it. Runtime checks never use ``assert``.
"""

from __future__ import annotations


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


class ReleaseRefused(MlMonitorError):
    """The release gate refused: one line per breached threshold."""
