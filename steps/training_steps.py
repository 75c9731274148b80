"""Training steps: the SageMaker job, its artifact, its recorded metrics."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from mlmonitor_lib.usecase import ModelUseCase


@when("the model is trained as a SageMaker job", target_fixture="training")
@when("the model is trained again", target_fixture="training")
def _(use_case: ModelUseCase, evidence) -> dict:
    training = use_case.train()
    evidence.training(training["metrics"])
    return training


@then("the training job has completed")
def _(use_case: ModelUseCase, training: dict) -> None:
    assert use_case.describe_training_job()["TrainingJobStatus"] == "Completed"
    assert training["job_name"] == use_case.state.job_name


@then("the model artifact exists at the job's output path")
def _(use_case: ModelUseCase, training: dict) -> None:
    artifact = use_case.describe_training_job()["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == training["model_data"]
    assert use_case.artifact_size(artifact) > 0


@then(parsers.parse("the recorded test accuracy is at least {threshold:f}"))
def _(training: dict, threshold: float) -> None:
    assert training["metrics"]["test_accuracy"] >= threshold, training["metrics"]


@then("no second training job was started")
def _(use_case: ModelUseCase, training: dict, trained_job: str, jobs_before: list[str]) -> None:
    assert training["job_name"] == trained_job
    assert use_case.list_training_jobs() == jobs_before
