"""SageMaker adapter: functions taking an explicit ``boto3.Session`` and plain arguments.

One module per job: :mod:`.session` (session and retry config), :mod:`.data` (dataset upload),
:mod:`.training` (``ModelTrainer`` jobs), :mod:`.serving` (model, endpoint config, endpoint),
:mod:`.scoring` (InvokeEndpoint), :mod:`.waits` (botocore's waiter deadlines as wait
policies). The use case wires :class:`~mlmonitor_lib.settings.Settings` into them; nothing
here knows whether it talks to AWS or to moto plus the local data plane.
Importing this package imports neither TensorFlow nor the SageMaker SDK.
"""

from __future__ import annotations

from mlmonitor_lib.aws.data import DatasetUpload, ensure_bucket, upload_dataset
from mlmonitor_lib.aws.naming import derived_name, unique_name
from mlmonitor_lib.aws.scoring import ScoreResult, invoke_endpoint
from mlmonitor_lib.aws.serving import (
    Deployment,
    delete_endpoint_resources,
    deploy_model,
    wait_for_endpoint,
)
from mlmonitor_lib.aws.session import boto3_session, client_config, make_client
from mlmonitor_lib.aws.training import (
    TrainingResult,
    framework_image,
    read_job_metrics,
    start_training_job,
    train_model,
    wait_for_training_job,
)
from mlmonitor_lib.aws.waits import (
    ENDPOINT_DELETED,
    ENDPOINT_IN_SERVICE,
    TRAINING_DONE,
    wait_policy,
    waiter_deadline,
)

__all__ = [
    "ENDPOINT_DELETED",
    "ENDPOINT_IN_SERVICE",
    "TRAINING_DONE",
    "DatasetUpload",
    "Deployment",
    "ScoreResult",
    "TrainingResult",
    "boto3_session",
    "client_config",
    "delete_endpoint_resources",
    "deploy_model",
    "derived_name",
    "ensure_bucket",
    "framework_image",
    "invoke_endpoint",
    "make_client",
    "read_job_metrics",
    "start_training_job",
    "train_model",
    "unique_name",
    "upload_dataset",
    "wait_for_endpoint",
    "wait_for_training_job",
    "wait_policy",
    "waiter_deadline",
]
