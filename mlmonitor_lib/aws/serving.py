"""Deploying a trained model as a SageMaker endpoint with plain boto3, and deleting it.

Why boto3 and not ``sagemaker.serve``: ``ModelBuilder`` adds nothing for a prebuilt TF Serving
image and sleeps 30 s per poll; the three calls below are the thinnest layer and behave the same
on moto and on AWS. Every resource is written to the ledger the moment it exists, so cleanup can
find it after a crash between two calls.

Waiting follows SageMaker's state machine (botocore's ``EndpointStatus`` and waiters):
``Creating`` until ``InService`` or ``Failed``; a delete makes the endpoint ``Deleting`` for a
while before Describe answers "Could not find endpoint"; an endpoint that is ``Deleting`` or
``Failed`` is gone for our purposes. Each state change is printed; pauses grow as
:mod:`mlmonitor_lib.waiting` sets them, up to botocore's waiter deadlines (:mod:`.waits`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import boto3
from botocore.exceptions import ClientError

from mlmonitor_lib.aws.errors import error_text, is_not_found
from mlmonitor_lib.aws.naming import derived_name
from mlmonitor_lib.aws.session import STDOUT, Stdout, make_client, output_stream
from mlmonitor_lib.aws.waits import ENDPOINT_DELETED, ENDPOINT_IN_SERVICE, wait_policy
from mlmonitor_lib.errors import (
    CleanupFailure,
    CleanupIncomplete,
    DeploymentFailed,
    ScoringError,
    ServiceError,
)
from mlmonitor_lib.state import Ledger
from mlmonitor_lib.waiting import WaitPolicy, WaitTimeout, poll

# EndpointStatus values (botocore's model) an endpoint leaves by itself.
TRANSITIONAL = ("Creating", "Updating", "SystemUpdating", "RollingBack")
GONE = "not found"  # what the waits call an endpoint DescribeEndpoint no longer finds


@dataclass(frozen=True)
class Deployment:
    """The three resources behind an endpoint, plus the smoke test's predictions."""

    endpoint_name: str
    endpoint_config_name: str
    model_name: str
    image_uri: str
    created: bool  # False when the endpoint already existed and was reused
    smoke_predictions: Any = field(default=None)


def deploy_model(
    session: boto3.Session,
    *,
    job_name: str,
    model_data: str,
    role_arn: str,
    image_uri: str,
    environment: dict[str, str],
    instance_type: str = "ml.c5.xlarge",
    endpoint_name: str | None = None,
    smoke_test: Callable[[str], Any] | None = None,
    ledger: Ledger | None = None,
    policy: WaitPolicy | None = None,
    deleted_policy: WaitPolicy | None = None,
    out: TextIO | None | Stdout = STDOUT,
) -> Deployment:
    """Create model, endpoint config and endpoint (named after ``job_name`` with a unique
    suffix, at most 63 characters) serving ``image_uri`` with the container ``environment``,
    wait for ``InService`` and run ``smoke_test(endpoint_name)`` (it scores a few examples and
    raises :class:`ScoringError` if the answer is wrong); what it returns is kept as the
    deployment's ``smoke_predictions``.

    Idempotent: pass the ``endpoint_name`` a previous call returned and resources that already
    exist are reused, missing ones created; an endpoint found ``Deleting`` is waited out and
    created again. ``Failed`` raises :class:`DeploymentFailed` with SageMaker's
    ``FailureReason`` and the fix. ``policy`` paces the wait for ``InService`` (default:
    5 s to 30 s pauses within botocore's EndpointInService deadline), ``deleted_policy`` the
    wait for a ``Deleting`` endpoint to go.
    """
    out = output_stream(out)
    name = endpoint_name or derived_name(job_name)
    sm = make_client(session, "sagemaker")
    created = False
    try:
        found = _describe(sm.describe_endpoint, EndpointName=name) if endpoint_name else None
        if found is not None and found["EndpointStatus"] == "Deleting":  # gone soon: wait
            _wait_until_gone(session, name,
                             deleted_policy or wait_policy(None, ENDPOINT_DELETED), out)
        if not _exists(sm.describe_model, ModelName=name):
            sm.create_model(
                ModelName=name,
                ExecutionRoleArn=role_arn,
                PrimaryContainer={
                    "Image": image_uri,
                    "ModelDataUrl": model_data,
                    "Environment": dict(environment),
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
    wait_for_endpoint(session, name, policy=policy, out=out)
    smoke = None
    if smoke_test is not None:
        try:
            smoke = smoke_test(name)
        except ScoringError as exc:
            raise DeploymentFailed(
                f"endpoint {name!r} is InService but failed its smoke test: {exc}"
            ) from exc
    return Deployment(name, name, name, image_uri, created, smoke)


def wait_for_endpoint(
    session: boto3.Session,
    endpoint_name: str,
    *,
    policy: WaitPolicy | None = None,
    out: TextIO | None | Stdout = STDOUT,
) -> dict[str, Any]:
    """Poll DescribeEndpoint until ``InService`` (returns the description), printing each
    state change; ``Failed``, ``Deleting``, ``OutOfService`` or gone raise
    :class:`DeploymentFailed` (botocore's ``EndpointInService`` waiter fails on those too)."""
    out = output_stream(out)
    sm = make_client(session, "sagemaker")
    try:
        desc = poll(
            lambda: _observe(sm, endpoint_name, "InService"),
            lambda d: d["EndpointStatus"] not in TRANSITIONAL,
            what=f"endpoint {endpoint_name}",
            policy=policy or wait_policy(None, ENDPOINT_IN_SERVICE),
            state_of=lambda d: d["EndpointStatus"],
            on_change=_printer(out, f"endpoint {endpoint_name}"),
        )
    except WaitTimeout as late:
        raise DeploymentFailed(
            f"endpoint {endpoint_name!r} still {late.last} after {late.timeout_s:.0f}s; check "
            "its CloudWatch logs, then run cleanup() and deploy again"
        ) from None
    status = desc["EndpointStatus"]
    if status != "InService":
        raise DeploymentFailed(_failure_sentence(endpoint_name, status, desc))
    return desc


def _failure_sentence(name: str, status: str, desc: dict[str, Any]) -> str:
    """One sentence: the state, SageMaker's FailureReason, and what to do."""
    if status == GONE or status in ("Deleting", "OutOfService"):
        return (f"endpoint {name!r} is {status} (deleted while deploying?): run deploy() again")
    reason = str(desc.get("FailureReason") or "no FailureReason given").rstrip(". ")
    if "ping health check" in reason:
        fix = ("make code/inference.py import only what the serving image has (the TensorFlow "
               "inference image's Python offers the standard library, not numpy or "
               "tensorflow) or ship its packages in the model archive's code/lib, then run "
               "cleanup() and deploy() again")
    else:
        fix = ("fix the model artifact (a SavedModel under 1/ and code/inference.py), then "
               "run cleanup() and deploy() again")
    return f"endpoint {name!r} is {status}: {reason}; {fix}"


def _observe(sm: Any, name: str, waiting_for: str) -> dict[str, Any]:
    """DescribeEndpoint, with "gone" as a state; other errors name the operation and fix."""
    try:
        return sm.describe_endpoint(EndpointName=name)
    except ClientError as exc:
        if is_not_found(exc):
            return {"EndpointName": name, "EndpointStatus": GONE}
        raise ServiceError(  # botocore's retries are spent: name operation and fix
            f"SageMaker: DescribeEndpoint for {name!r} failed while waiting for {waiting_for} "
            f"({error_text(exc)}); the endpoint is in the state file: retry, or run cleanup()"
        ) from exc


def _printer(out: TextIO | None, what: str) -> Any:
    if out is None:
        return None

    def show(state: object, elapsed: float) -> None:
        print(f"[{elapsed:7.1f}s] {what}: {state}", file=out, flush=True)

    return show


def _wait_until_gone(session: boto3.Session, name: str, policy: WaitPolicy,
                     out: TextIO | None) -> str:
    """Poll until DescribeEndpoint no longer finds ``name`` (botocore's ``EndpointDeleted``
    waiter: success on "Could not find endpoint", failure on ``Failed``); returns the last
    state. ``Failed`` and the deadline raise :class:`ServiceError`."""
    sm = make_client(session, "sagemaker")
    try:
        desc = poll(lambda: _observe(sm, name, "its deletion"),
                    lambda d: d["EndpointStatus"] in (GONE, "Failed"),
                    what=f"endpoint {name}", policy=policy,
                    state_of=lambda d: d["EndpointStatus"],
                    on_change=_printer(out, f"endpoint {name}"))
    except WaitTimeout as late:
        raise ServiceError(
            f"endpoint {name!r} still {late.last} {late.timeout_s:.0f}s after its deletion "
            "began; check it in the SageMaker console, then run cleanup() again"
        ) from None
    if desc["EndpointStatus"] == "Failed":
        raise ServiceError(
            f"endpoint {name!r} went Failed while being deleted "
            f"({desc.get('FailureReason') or 'no FailureReason given'}); delete it again with "
            "cleanup(), or in the SageMaker console"
        )
    return GONE


def delete_endpoint_resources(
    session: boto3.Session,
    *,
    endpoint_name: str | None = None,
    endpoint_config_name: str | None = None,
    model_names: list[str] | None = None,
    ledger: Ledger | None = None,
    policy: WaitPolicy | None = None,
    out: TextIO | None | Stdout = None,
) -> int:
    """Delete endpoint, endpoint config and model(s); returns how many existed and were deleted.

    The endpoint counts as deleted (and leaves the ledger) only once DescribeEndpoint no longer
    finds it: SageMaker deletes asynchronously (``Deleting`` first), so "no endpoint remains"
    holds when this returns. An endpoint still ``Creating`` is waited for first (SageMaker
    refuses to delete it), one already ``Deleting`` only waited out. ``policy`` paces those
    waits (default: 5 s to 30 s pauses within botocore's EndpointDeleted deadline).

    Names not given are discovered from the endpoint (its config) and the config (its
    models). Resources already gone are not errors: cleanup must be re-runnable. Every
    resource is tried whatever fails; then :class:`CleanupIncomplete` names each refused one
    (the ledger still lists exactly those).
    """
    out = output_stream(out)
    policy = policy or wait_policy(None, ENDPOINT_DELETED)
    sm = make_client(session, "sagemaker")
    models = list(model_names or [])
    deleted = 0
    failures: list[CleanupFailure] = []
    if endpoint_name:
        try:
            found = _delete_endpoint(session, sm, endpoint_name, policy, out)
        except (ClientError, ServiceError, WaitTimeout) as exc:
            reason = error_text(exc) if isinstance(exc, ClientError) else str(exc)
            failures.append(CleanupFailure("SageMaker", f"endpoint {endpoint_name}", reason))
        else:
            if found is not None:
                deleted += 1
                endpoint_config_name = endpoint_config_name or found.get("EndpointConfigName")
            if ledger is not None:
                ledger.forget("serving", "endpoint", endpoint_name)
    if endpoint_config_name and not models:
        try:
            desc = _describe(sm.describe_endpoint_config, EndpointConfigName=endpoint_config_name)
        except ClientError:
            desc = None  # its delete below reports the failure
        models = [v["ModelName"] for v in (desc or {}).get("ProductionVariants", [])]
    steps: list[tuple[str, str | None, Any, dict[str, str]]] = [
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


def _delete_endpoint(session: boto3.Session, sm: Any, name: str, policy: WaitPolicy,
                     out: TextIO | None) -> dict[str, Any] | None:
    """Delete ``name`` and wait until it is gone; returns its description from before (None
    if it did not exist)."""
    desc = _describe(sm.describe_endpoint, EndpointName=name)
    if desc is None:
        return None
    if desc["EndpointStatus"] in TRANSITIONAL:  # SageMaker refuses to delete it meanwhile
        longer = WaitPolicy(policy.first_s, policy.max_s, max(policy.timeout_s,
                            wait_policy(None, ENDPOINT_IN_SERVICE).timeout_s))
        now = poll(lambda: _observe(sm, name, "the end of its creation"),
                   lambda d: d["EndpointStatus"] not in TRANSITIONAL,
                   what=f"endpoint {name}", policy=longer,
                   state_of=lambda d: d["EndpointStatus"],
                   on_change=_printer(out, f"endpoint {name}"))
        if now["EndpointStatus"] == GONE:
            return desc
        desc = {**desc, **now}
    if desc["EndpointStatus"] != "Deleting":
        try:
            sm.delete_endpoint(EndpointName=name)
        except ClientError as exc:
            if not is_not_found(exc):
                raise
            return desc
    _wait_until_gone(session, name, policy, out)
    return desc


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
