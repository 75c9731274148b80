"""Training stage: run (or adopt) the SageMaker training job that produces the model artifact."""

from __future__ import annotations

import json
from typing import Any

from mlmonitor_lib import aws
from mlmonitor_lib.errors import DatasetError, LifecycleError
from mlmonitor_lib.state import LifecycleState
from mlmonitor_lib.usecase.context import StageContext, required_setting
from mlmonitor_lib.usecase.display import say


def verify_training_data(uc: StageContext) -> None:
    """Train only on the governed data set: every file must match its pinned checksum."""
    report = uc.profile.verify(uc.data_dir)
    if not report.ok:
        raise DatasetError(
            f"training data is not the governed data set of {uc.source_dir.name}:\n"
            + "\n".join(report.lines())
            + f"\nDelete the bad files and run `python -m mlmonitor_lib data fetch --use-case "
            f"{uc.source_dir.name}`."
        )


def hyperparameters(uc: StageContext) -> dict[str, Any]:
    """The signature's budget, the caller's overrides, and the seed's governance ids."""
    params: dict[str, Any] = {**uc.signature.hyperparameters, **uc.hyperparameter_overrides}
    if uc.state.catalog_id:
        params["catalog-id"] = uc.state.catalog_id
    if uc.state.model_entry_id:
        params["model-entry-id"] = uc.state.model_entry_id
    return params


def summary(state: LifecycleState) -> dict[str, Any]:
    """What ``train()`` and ``attach_training_job()`` answer: job name, artifact, metrics."""
    return {
        "job_name": state.job_name,
        "model_data": state.model_data,
        "metrics": dict(state.training_metrics),
    }


def train(uc: StageContext) -> dict[str, Any]:
    """Upload the checked data set and run the training job, once."""
    if uc.state.trained:
        say(uc.stream, f"model already trained by job {uc.state.job_name}; not training again")
        return summary(uc.state)
    runtime = uc.signature.aws_runtime
    role = required_setting(uc.settings, "aws_role", "AWS_ROLE")
    bucket = required_setting(uc.settings, "bucket_name", "BUCKET_NAME")
    region = uc.settings.aws_default_region
    params = hyperparameters(uc)
    say(uc.stream, json.dumps({
        "base_job_name": runtime.job_name, "entry_point": runtime.train_script,
        "source_dir": str(uc.source_dir), "role": role, "instance_count": 1,
        "instance_type": runtime.train_instance,
        "output_path": f"s3://{bucket}/{runtime.prefix}", "hyperparameters": params,
        "py_version": runtime.py_version, "framework_version": runtime.framework_version,
    }))
    verify_training_data(uc)
    aws.ensure_bucket(uc.session, bucket, region, ledger=uc.store)
    upload = aws.upload_dataset(uc.session, bucket, uc.data_dir, ledger=uc.store,
                                key_prefix=f"datasets/{uc.data_dir.name}")
    datasets = uc.signature.datasets
    result = aws.train_model(
        uc.session,
        role_arn=role, bucket=bucket, region=region, source_dir=uc.source_dir,
        entry_point=runtime.train_script, hyperparameters=params,
        channels={datasets.training_channel: upload.s3_uri, datasets.test_channel: upload.s3_uri},
        job_name_base=runtime.job_name, output_prefix=runtime.prefix,
        framework=runtime.framework, framework_version=runtime.framework_version,
        py_version=runtime.py_version,
        instance_type=runtime.train_instance, ledger=uc.store, out=uc.stream,
        metric_definitions=[d.model_dump() for d in runtime.metric_definitions],
        policy=aws.wait_policy(uc.settings, aws.TRAINING_DONE),
    )
    uc.store.update(
        trained=True, job_name=result.job_name, model_data=result.model_data,
        training_metrics=result.metrics, hyperparameters=uc.hyperparameter_overrides,
    )
    say(uc.stream, f"INFO - Model artifact produced by training job {result.model_data}")
    return summary(uc.state)


def attach_training_job(uc: StageContext, job_name: str) -> dict[str, Any]:
    """Adopt a completed training job as the use case's model."""
    desc = describe_training_job(uc, job_name)
    if desc["TrainingJobStatus"] != "Completed":
        raise LifecycleError(
            f"training job {job_name!r} is {desc['TrainingJobStatus']}, not Completed: "
            "attach a completed job or run train()"
        )
    model_data = desc["ModelArtifacts"]["S3ModelArtifacts"]
    metrics = aws.read_job_metrics(uc.session, model_data.rsplit("/", 1)[0] + "/")
    uc.store.update(trained=True, job_name=job_name, model_data=model_data,
                    training_metrics=metrics)
    return summary(uc.state)


def describe_training_job(uc: StageContext, job_name: str | None = None) -> dict[str, Any]:
    """SageMaker's description of the use case's training job (or ``job_name``)."""
    name = job_name or uc.state.job_name
    if not name:
        raise LifecycleError("no training job yet: run train() first")
    return aws.make_client(uc.session, "sagemaker").describe_training_job(TrainingJobName=name)


def list_training_jobs(uc: StageContext) -> list[str]:
    """Names of the training jobs of the use case's base job name, oldest first."""
    client = aws.make_client(uc.session, "sagemaker")
    base = uc.signature.aws_runtime.job_name
    names = []
    for page in client.get_paginator("list_training_jobs").paginate(NameContains=base):
        names += [job["TrainingJobName"] for job in page["TrainingJobSummaries"]]
    return sorted(names)


def artifact_size(uc: StageContext, s3_uri: str) -> int:
    """Size in bytes of an S3 object (the model artifact)."""
    from mlmonitor_lib.aws.s3 import parse_s3_uri

    bucket, key = parse_s3_uri(s3_uri)
    head = aws.make_client(uc.session, "s3").head_object(Bucket=bucket, Key=key)
    return int(head["ContentLength"])
