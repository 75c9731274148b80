"""Deploying a trained model as a SageMaker endpoint with plain boto3, and deleting it.

Why boto3 and not ``sagemaker.serve``: ``ModelBuilder`` adds nothing for a prebuilt TF Serving
image and sleeps 30 s per poll; the three calls below are the thinnest layer and behave the same
on moto and on AWS. Every resource is written to the ledger the moment it exists, so cleanup can
find it after a crash between two calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import boto3
from botocore.exceptions import ClientError

from mlmonitor_lib.aws.errors import error_text, is_not_found
from mlmonitor_lib.aws.naming import derived_name
from mlmonitor_lib.aws.scoring import invoke_endpoint
from mlmonitor_lib.aws.session import STDOUT, Stdout, make_client, output_stream
from mlmonitor_lib.errors import (
    CleanupFailure,
    CleanupIncomplete,
    DeploymentFailed,
    ScoringError,
    ServiceError,
)
from mlmonitor_lib.state import Ledger


@dataclass(frozen=True)
class Deployment:
    """The three resources behind an endpoint, plus the smoke test's predictions."""

    endpoint_name: str
    endpoint_config_name: str
    model_name: str
    image_uri: str
    created: bool  # False when the endpoint already existed and was reused
    smoke_predictions: dict[str, Any] | None = field(default=None)


def inference_image(region: str, framework_version: str, instance_type: str) -> str:
    """The AWS Deep Learning Container for TF Serving (resolved offline by the SDK)."""
    from sagemaker.core import image_uris

    return image_uris.retrieve(
        "tensorflow", region, version=framework_version, instance_type=instance_type,
        image_scope="inference",
    )


def deploy_model(
    session: boto3.Session,
    *,
    job_name: str,
    model_data: str,
    role_arn: str,
    region: str,
    framework_version: str = "2.19",
    instance_type: str = "ml.c5.xlarge",
    endpoint_name: str | None = None,
    image_uri: str | None = None,
    smoke_images: Any = None,
    ledger: Ledger | None = None,
    poll_s: float = 0.5,
    timeout_s: float = 1800.0,
    out: TextIO | None | Stdout = STDOUT,
) -> Deployment:
    """Create model, endpoint config and endpoint (named after ``job_name`` with a unique
    suffix, at most 63 characters), wait for ``InService`` and score ``smoke_images``.

    Idempotent: pass the ``endpoint_name`` a previous call returned and resources that already
    exist are reused, missing ones created. ``Failed`` raises :class:`DeploymentFailed` with
    SageMaker's ``FailureReason``.
    """
    out = output_stream(out)
    image_uri = image_uri or inference_image(region, framework_version, instance_type)
    name = endpoint_name or derived_name(job_name)
    sm = make_client(session, "sagemaker")
    created = False
    try:
        if not _exists(sm.describe_model, ModelName=name):
            sm.create_model(
                ModelName=name,
                ExecutionRoleArn=role_arn,
                PrimaryContainer={
                    "Image": image_uri,
                    "ModelDataUrl": model_data,
                    "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                },
            )
            _record(ledger, "model", name, model_data=model_data, image=image_uri)
            created = True
        if not _exists(sm.describe_endpoint_config, EndpointConfigName=name):
            sm.create_endpoint_config(
                EndpointConfigName=name,
                ProductionVariants=[{
                    "VariantName": "AllTraffic",
                    "ModelName": name,
                    "InitialInstanceCount": 1,
                    "InstanceType": instance_type,
                    "InitialVariantWeight": 1.0,
                }],
            )
            _record(ledger, "endpoint-config", name, model_name=name)
            created = True
        if not _exists(sm.describe_endpoint, EndpointName=name):
            sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
            _record(ledger, "endpoint", name, endpoint_config_name=name, job_name=job_name)
            created = True
    except ClientError as exc:
        raise DeploymentFailed(
            f"SageMaker refused to deploy {name!r} ({error_text(exc)}); "
            "check AWS_ROLE, the model artifact URI and the instance type quota"
        ) from exc
    if out is not None:
        print(f"endpoint name: [{name}]\nmodel data: [{model_data}]\ncontainer: [{image_uri}]",
              file=out, flush=True)
    wait_for_endpoint(session, name, poll_s=poll_s, timeout_s=timeout_s, out=out)
    smoke = None
    if smoke_images is not None:
        try:
            smoke = invoke_endpoint(session, name, smoke_images).predictions
        except ScoringError as exc:
            raise DeploymentFailed(
                f"endpoint {name!r} is InService but failed its smoke test: {exc}"
            ) from exc
        if len(smoke["values"]) != len(smoke_images):
            raise DeploymentFailed(
                f"endpoint {name!r} answered {len(smoke['values'])} predictions for "
                f"{len(smoke_images)} smoke-test images: check code/inference.py"
            )
    return Deployment(name, name, name, image_uri, created, smoke)


def wait_for_endpoint(
    session: boto3.Session,
    endpoint_name: str,
    *,
    poll_s: float = 0.5,
    timeout_s: float = 1800.0,
    out: TextIO | None | Stdout = STDOUT,
) -> dict[str, Any]:
    """Poll DescribeEndpoint until ``InService`` (returns the description) or ``Failed``."""
    out = output_stream(out)
    sm = make_client(session, "sagemaker")
    started = time.monotonic()
    last = None
    while True:
        try:
            desc = sm.describe_endpoint(EndpointName=endpoint_name)
        except ClientError as exc:  # botocore's retries are spent: name operation and fix
            raise ServiceError(
                f"SageMaker: DescribeEndpoint for {endpoint_name!r} failed while waiting for "
                f"InService ({error_text(exc)}); the endpoint is in the state file: retry deploy() "
                "or run cleanup()"
            ) from exc
        status = desc["EndpointStatus"]
        elapsed = time.monotonic() - started
        if status != last and out is not None:
            print(f"[{elapsed:7.1f}s] endpoint {endpoint_name}: {status}", file=out, flush=True)
            last = status
        if status == "InService":
            return desc
        if status in ("Failed", "OutOfService", "Deleting"):
            raise DeploymentFailed(
                f"endpoint {endpoint_name!r} is {status}: "
                f"{desc.get('FailureReason') or 'no FailureReason given'}. Fix the model "
                "artifact (SavedModel under 1/ and code/inference.py), run cleanup(), deploy again"
            )
        if elapsed > timeout_s:
            raise DeploymentFailed(
                f"endpoint {endpoint_name!r} still {status} after {timeout_s:.0f}s; check its "
                "CloudWatch logs, then run cleanup() and deploy again"
            )
        time.sleep(poll_s)


def delete_endpoint_resources(
    session: boto3.Session,
    *,
    endpoint_name: str | None = None,
    endpoint_config_name: str | None = None,
    model_names: list[str] | None = None,
    ledger: Ledger | None = None,
) -> int:
    """Delete endpoint, endpoint config and model(s); returns how many existed and were deleted.

    Names not given are discovered from the endpoint (its config) and the config (its
    models). Resources already gone are not errors: cleanup must be re-runnable. Every
    resource is tried whatever fails; then :class:`CleanupIncomplete` names each refused one
    (the ledger still lists exactly those).
    """
    sm = make_client(session, "sagemaker")
    models = list(model_names or [])
    if endpoint_name and not endpoint_config_name:
        desc = _describe(sm.describe_endpoint, EndpointName=endpoint_name)
        endpoint_config_name = desc.get("EndpointConfigName") if desc else None
    if endpoint_config_name and not models:
        desc = _describe(sm.describe_endpoint_config, EndpointConfigName=endpoint_config_name)
        models = [v["ModelName"] for v in (desc or {}).get("ProductionVariants", [])]
    deleted = 0
    failures: list[CleanupFailure] = []
    steps: list[tuple[str, str | None, Any, dict[str, str]]] = [
        ("endpoint", endpoint_name, sm.delete_endpoint, {"EndpointName": endpoint_name or ""}),
        ("endpoint-config", endpoint_config_name, sm.delete_endpoint_config,
         {"EndpointConfigName": endpoint_config_name or ""}),
    ] + [("model", m, sm.delete_model, {"ModelName": m}) for m in models]
    for kind, name, call, kwargs in steps:
        if not name:
            continue
        try:
            call(**kwargs)
            deleted += 1
        except ClientError as exc:
            if not is_not_found(exc):  # try the others: one refusal must not keep them alive
                failures.append(CleanupFailure("SageMaker", f"{kind} {name}", error_text(exc)))
                continue
        if ledger is not None:
            ledger.forget("serving", kind, name)
    if failures:
        raise CleanupIncomplete(failures, {"serving": deleted})
    return deleted


def _record(ledger: Ledger | None, kind: str, name: str, **attrs: Any) -> None:
    if ledger is not None:
        ledger.record("serving", kind, name, **attrs)


def _describe(call: Any, **kwargs: str) -> dict[str, Any] | None:
    try:
        return call(**kwargs)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


def _exists(call: Any, **kwargs: str) -> bool:
    return _describe(call, **kwargs) is not None
