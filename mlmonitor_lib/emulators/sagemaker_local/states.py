"""SageMaker's states, read from botocore's own service model, and how long AWS holds them.

Why read and not typed in: the enums are the service's contract; an emulator state that is not
in them is a bug, and a new botocore brings its new states here by itself. Sources:
``botocore.session.get_session().get_service_model("sagemaker")`` (shapes ``EndpointStatus``,
``TrainingJobStatus``, ``SecondaryStatus``; the ``DescribeTrainingJob`` output's
``SecondaryStatus`` documentation for the order) and ``get_waiter_model("sagemaker")``.

The durations are what the real service takes (seconds); :class:`~..pace.Pace` compresses them
at ``realistic`` pace and ignores them at ``instant``. Their sources are public reports, not a
contract (../shared/notes/live-contracts.md): endpoints take minutes to be ``InService``,
deletes tens of seconds to minutes, a training job a few minutes to start.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def service_model():  # noqa: ANN201 - botocore's ServiceModel
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker")


def enum(shape: str) -> tuple[str, ...]:
    """The values of one of SageMaker's enum shapes, as botocore's model lists them."""
    return tuple(service_model().shape_for(shape).enum)


ENDPOINT_STATUS = enum("EndpointStatus")
TRAINING_JOB_STATUS = enum("TrainingJobStatus")
SECONDARY_STATUS = enum("SecondaryStatus")

CREATING_S = 600.0  # an endpoint: 10-30 min reported; the model load holds it longer if need be
DELETING_S = 120.0  # a delete: tens of seconds to minutes

# A training job's secondary statuses while InProgress, in the order DescribeTrainingJob's
# SecondaryStatus documentation lists them: Starting, Downloading (File input mode), Training,
# Uploading. The same documentation says SageMaker no longer reports LaunchingMLInstances,
# PreparingTraining and DownloadingTrainingImage (they stay in the enum for old jobs), so a
# job here never shows them either. Each message is the StatusMessage AWS gives the state
# (as the SDK's log lines print them). Downloading, Training and Uploading are held by the
# real work (see training.py).
TRAINING_STAGES: tuple[tuple[str, float, str], ...] = (
    ("Starting", 150.0, "Preparing the instances for training"),
    ("Downloading", 30.0, "Downloading input data"),
    ("Training", 0.0, "Training image download completed. Training in progress."),
    ("Uploading", 20.0, "Uploading generated training model"),
)
STOPPING_S = 30.0


def _check() -> None:
    """Every state this package uses is one botocore knows (run at import: a typo fails fast)."""
    used = {name for name, _, _ in TRAINING_STAGES} | {"Completed", "Failed", "Stopped",
                                                       "Stopping", "MaxRuntimeExceeded"}
    unknown = used - set(SECONDARY_STATUS)
    if unknown:
        raise ValueError(f"not SageMaker SecondaryStatus values: {sorted(unknown)}")


_check()
