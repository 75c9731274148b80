"""Training through the SageMaker SDK v3 ``ModelTrainer``, with our own progress display.

Why ``ModelTrainer`` and not a raw ``CreateTrainingJob``: it is what users of the SDK run, so the
suite proves the use case folder works with it (it uploads ``source_dir`` as the ``code`` channel
and its drivers as ``sm_drivers``). Why our own polling: the SDK's waiter sleeps 120 s between
polls and prints nothing we can assert on; ours starts with short pauses that grow
(:mod:`mlmonitor_lib.waiting`) within botocore's ``TrainingJobCompletedOrStopped`` deadline
(120 s × 180 = 6 h) and prints each status/secondary-status change.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import ClientError

from mlmonitor_lib.aws.errors import error_text
from mlmonitor_lib.aws.naming import unique_suffix
from mlmonitor_lib.aws.s3 import read_tar_member
from mlmonitor_lib.aws.session import STDOUT, Stdout, make_client, output_stream
from mlmonitor_lib.aws.waits import TRAINING_DONE, wait_policy
from mlmonitor_lib.errors import ServiceError, TrainingFailed
from mlmonitor_lib.state import Ledger
from mlmonitor_lib.waiting import WaitPolicy, WaitTimeout, poll

TERMINAL = ("Completed", "Failed", "Stopped")
# The SDK's defaults config, given directly to its Session: no telemetry thread (it would try to
# reach the internet), and no reliance on the user's ~/.config/sagemaker files.
_SDK_CONFIG: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


@dataclass(frozen=True)
class TrainingResult:
    """What a finished job left: its name, the model artifact and the metrics it wrote."""

    job_name: str
    model_data: str  # s3://.../<job>/output/model.tar.gz
    output_path: str  # s3://.../<job>/output/
    metrics: dict[str, Any] = field(default_factory=dict)
    status: str = "Completed"
    duration_s: float = 0.0


def framework_image(framework: str, scope: str, region: str, framework_version: str,
                    py_version: str | None, instance_type: str) -> str:
    """The SageMaker image of ``framework`` (the signature's ``aws_runtime.framework``:
    ``tensorflow``, ``sklearn``) for ``scope`` (``training`` or ``inference``), resolved
    offline by the SDK's ``image_uris``, as its estimators and models resolve it."""
    from sagemaker.core import image_uris

    return image_uris.retrieve(
        framework, region, version=framework_version, py_version=py_version,
        instance_type=instance_type, image_scope=scope,
    )


@contextlib.contextmanager
def _scoped_env(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore them exactly."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def start_training_job(
    session: boto3.Session,
    *,
    role_arn: str,
    bucket: str,
    region: str,
    source_dir: Path,
    entry_point: str,
    hyperparameters: Mapping[str, Any],
    channels: Mapping[str, str],
    job_name_base: str,
    output_prefix: str,
    framework: str = "tensorflow",
    framework_version: str = "2.19",
    py_version: str = "py312",
    instance_type: str = "ml.c5.xlarge",
    max_runtime_s: int = 3600,
    environment: Mapping[str, str] | None = None,
    metric_definitions: Sequence[Mapping[str, str]] = (),
    validate_role: bool = False,
    ledger: Ledger | None = None,
) -> str:
    """Submit the job with ``ModelTrainer`` without waiting; returns the job name.

    ``channels`` maps channel names to S3 prefixes (``{"training": "s3://.../"}``). The job name
    is ``<job_name_base>-<random6>-<YYYYMMDDHHMMSS>``. ``validate_role=False`` skips the SDK's
    client-side IAM simulation (it needs ``iam:SimulatePrincipalPolicy``, which moto lacks);
    CreateTrainingJob still checks the role server side. ``metric_definitions``
    (``[{"Name", "Regex"}]``, the signature's ``aws_runtime.metric_definitions``) become the
    job's ``AlgorithmSpecification.MetricDefinitions`` through
    ``ModelTrainer.with_metric_definitions``, so SageMaker fills ``FinalMetricDataList`` from
    the job's log.
    """
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.train.configs import (
        Compute,
        InputData,
        MetricDefinition,
        OutputDataConfig,
        SourceCode,
        StoppingCondition,
    )
    from sagemaker.train.model_trainer import ModelTrainer

    image = framework_image(framework, "training", region, framework_version, py_version,
                            instance_type)
    sdk_session = Session(boto_session=session, default_bucket=bucket, sagemaker_config=_SDK_CONFIG)
    env = {} if validate_role else {"SAGEMAKER_VALIDATE_ROLE": "false"}
    try:
        with _scoped_env(env):
            trainer = ModelTrainer(
                training_image=image,
                source_code=SourceCode(source_dir=str(source_dir), entry_script=entry_point),
                compute=Compute(instance_type=instance_type, instance_count=1),
                role=role_arn,
                base_job_name=f"{job_name_base}-{unique_suffix()}",
                hyperparameters=dict(hyperparameters),
                environment=dict(environment or {}),
                output_data_config=OutputDataConfig(
                    s3_output_path=f"s3://{bucket}/{output_prefix.strip('/')}"
                ),
                stopping_condition=StoppingCondition(max_runtime_in_seconds=max_runtime_s),
                sagemaker_session=sdk_session,
            )
            if metric_definitions:
                trainer.with_metric_definitions([
                    MetricDefinition(name=d["Name"], regex=d["Regex"])
                    for d in metric_definitions
                ])
            trainer.train(
                input_data_config=[
                    InputData(channel_name=name, data_source=uri) for name, uri in channels.items()
                ],
                wait=False,
                logs=False,
            )
    except ClientError as exc:
        raise ServiceError(
            f"SageMaker refused the training job ({error_text(exc)}); "
            "check AWS_ROLE (an IAM role ARN SageMaker may assume), BUCKET_NAME and the region"
        ) from exc
    job = trainer._latest_training_job  # the SDK's documented way to reach the job it started
    if job is None:
        raise ServiceError("ModelTrainer.train() returned without starting a training job")
    job_name = str(job.training_job_name)
    if ledger is not None:
        ledger.record("training", "training-job", job_name, image=image, region=region)
    return job_name


def wait_for_training_job(
    session: boto3.Session,
    job_name: str,
    *,
    policy: WaitPolicy | None = None,
    out: TextIO | None | Stdout = STDOUT,
) -> dict[str, Any]:
    """Poll DescribeTrainingJob until the job ends, printing each status/secondary-status
    change with the elapsed time; returns the final description. A ``Failed``/``Stopped`` job
    raises :class:`TrainingFailed` with SageMaker's ``FailureReason``. ``policy`` paces the
    polls (default: 5 s to 30 s pauses within botocore's 6 h deadline)."""
    out = output_stream(out)
    sm = make_client(session, "sagemaker")

    def show(state: object, elapsed: float) -> None:
        if out is not None:
            print(f"[{elapsed:7.1f}s] training job {job_name}: {state}", file=out, flush=True)

    try:
        desc = poll(
            lambda: sm.describe_training_job(TrainingJobName=job_name),
            lambda d: d["TrainingJobStatus"] in TERMINAL,
            what=f"training job {job_name}",
            policy=policy or wait_policy(None, TRAINING_DONE),
            state_of=lambda d: f"{d['TrainingJobStatus']}/{d.get('SecondaryStatus', '-')}",
            on_change=show,
        )
    except WaitTimeout as late:
        raise ServiceError(
            f"training job {job_name!r} still {late.last} after {late.timeout_s:.0f}s: it keeps "
            "running in SageMaker; stop it (StopTrainingJob) or raise the timeout"
        ) from None
    status = desc["TrainingJobStatus"]
    if status != "Completed":
        reason = desc.get("FailureReason") or f"job ended {status} without a FailureReason"
        raise TrainingFailed(job_name, reason if status == "Failed" else f"{status}: {reason}")
    return desc


def read_job_metrics(session: boto3.Session, output_path: str) -> dict[str, Any]:
    """``metrics.json`` from the job's ``output.tar.gz`` (SM_OUTPUT_DATA_DIR), or ``{}``."""
    raw = read_tar_member(make_client(session, "s3"), output_path + "output.tar.gz", "metrics.json")
    if raw is None:
        return {}
    try:
        metrics = json.loads(raw)
    except ValueError:
        return {}
    return metrics if isinstance(metrics, dict) else {}


def train_model(
    session: boto3.Session,
    *,
    policy: WaitPolicy | None = None,
    out: TextIO | None | Stdout = STDOUT,
    **job: Any,
) -> TrainingResult:
    """Start a job (arguments of :func:`start_training_job`), wait with a progress display,
    and return its artifact and metrics. Raises :class:`TrainingFailed` on a failed job."""
    started = time.monotonic()
    job_name = start_training_job(session, **job)
    desc = wait_for_training_job(session, job_name, policy=policy, out=out)
    model_data = desc["ModelArtifacts"]["S3ModelArtifacts"]
    output_path = model_data.rsplit("/", 1)[0] + "/"
    metrics = read_job_metrics(session, output_path)
    if not metrics:
        metrics = {m["MetricName"]: m["Value"] for m in desc.get("FinalMetricDataList", [])}
    ledger = job.get("ledger")
    if ledger is not None:
        ledger.record("training", "training-job", job_name, status="Completed",
                      model_data=model_data)
    return TrainingResult(job_name, model_data, output_path, metrics, "Completed",
                          time.monotonic() - started)
