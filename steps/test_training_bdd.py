"""Binds features/training.feature, with the steps only training speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bdd import scenarios, then

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase

scenarios("training.feature")


@then("the model artifact is stored where the job put its output")
def artifact_at_job_output(use_case: ModelUseCase, training: dict) -> None:
    artifact = use_case.describe_training_job()["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == training["model_data"]
    assert use_case.artifact_size(artifact) > 0


@then("no second training job was started")
def no_second_training_job(use_case: ModelUseCase, training: dict, trained_job: str,
                           training_jobs_before: list[str]) -> None:
    assert training["job_name"] == trained_job
    assert use_case.list_training_jobs() == training_jobs_before
