"""Serving stage: deploy the model to a SageMaker endpoint, score through it, and take it down."""

from __future__ import annotations

from typing import Any

from mlmonitor_lib import aws
from mlmonitor_lib.errors import CleanupIncomplete, LifecycleError
from mlmonitor_lib.usecase.context import StageContext, required_setting
from mlmonitor_lib.usecase.display import say
from mlmonitor_lib.usecase.port import Prediction

# The serving container's environment per framework. TensorFlow: the TF Serving image's Python
# service loads ``code/<SAGEMAKER_PROGRAM>`` from the model artifact (aws/deep-learning-
# containers, tensorflow/inference/docker/build_artifacts/sagemaker/python_service.py).
# scikit-learn: the container imports SAGEMAKER_PROGRAM from SAGEMAKER_SUBMIT_DIRECTORY; the
# training script ships the code in the artifact's ``code/``, the layout the SageMaker SDK's
# repack produces (aws/sagemaker-scikit-learn-container, serving.py; sagemaker-containers
# _files.download_and_extract copies a local directory).
SUBMIT_DIRECTORY = {"sklearn": "/opt/ml/model/code"}
SMOKE_EXAMPLES = 2


def container_environment(uc: StageContext) -> dict[str, str]:
    """``SAGEMAKER_PROGRAM`` (the signature's ``inference_script``), and where the code is."""
    runtime = uc.signature.aws_runtime
    environment = {"SAGEMAKER_PROGRAM": runtime.inference_script}
    if runtime.framework in SUBMIT_DIRECTORY:
        environment["SAGEMAKER_SUBMIT_DIRECTORY"] = SUBMIT_DIRECTORY[runtime.framework]
    return environment


def serving_image(uc: StageContext) -> str:
    """The serving image of the signature's framework, as the SageMaker SDK resolves it: TF
    Serving's tags name no Python version; the scikit-learn image serves with the same image
    (and Python) it trains with."""
    runtime = uc.signature.aws_runtime
    py_version = runtime.py_version if runtime.framework == "sklearn" else None
    return aws.framework_image(runtime.framework, "inference", uc.settings.aws_default_region,
                               runtime.framework_version, py_version,
                               runtime.inference_instance)


def deploy(uc: StageContext) -> dict[str, Any]:
    """Model, endpoint config and endpoint, InService and smoke-tested (again if gone)."""
    runtime = uc.signature.aws_runtime
    if uc.state.deployed:
        say(uc.stream, f"endpoint {uc.state.endpoint_name} already deployed")
    deployment = aws.deploy_model(
        uc.session,
        job_name=uc.state.job_name or runtime.job_name,
        model_data=uc.state.model_data or "",
        role_arn=required_setting(uc.settings, "aws_role", "AWS_ROLE"),
        image_uri=serving_image(uc),
        environment=container_environment(uc),
        instance_type=runtime.inference_instance,
        endpoint_name=uc.state.endpoint_name,
        smoke_test=lambda name: score(uc, uc.test_set().inputs[:SMOKE_EXAMPLES], name),
        ledger=uc.store,
        out=uc.stream,
        policy=aws.wait_policy(uc.settings, aws.ENDPOINT_IN_SERVICE),
        deleted_policy=aws.wait_policy(uc.settings, aws.ENDPOINT_DELETED),
    )
    uc.store.update(
        deployed=True, endpoint_name=deployment.endpoint_name,
        endpoint_config_name=deployment.endpoint_config_name,
        model_name=deployment.model_name,
    )
    return {"endpoint_name": deployment.endpoint_name, "created": deployment.created}


def score(uc: StageContext, inputs: Any, endpoint_name: str | None = None) -> aws.ScoreResult:
    """One scoring of ``inputs`` through the endpoint, in the use case's request format;
    the result's predictions are :class:`~mlmonitor_lib.usecase.port.Prediction`."""
    runtime = uc.signature.aws_runtime
    return aws.invoke_endpoint(
        uc.session, endpoint_name or uc.state.endpoint_name or "", inputs,
        encode=uc.profile.request_body, decode=uc.profile.read_answer,
        content_type=runtime.content_type, accept=runtime.accept,
        request_hint=uc.profile.request_hint)


def score_model(uc: StageContext, num_samples: int, offset: int) -> dict[str, Any]:
    """One request of test examples: the endpoint's answer as ``fields`` and ``values``, each
    prediction's class and class probabilities, and the response time."""
    batch = uc.test_set().take(offset, num_samples)
    say(uc.stream, f"INFO - EndpointName used for inference: {uc.state.endpoint_name}")
    result = score(uc, batch.inputs)
    say(uc.stream, f"response_time {result.response_time_ms:.0f}ms")
    sig = uc.signature.signature
    predictions: list[Prediction] = result.predictions
    return {"fields": [sig.prediction_field, sig.probability_fields[0]],
            "values": [list(p.answered) for p in predictions],
            "classes": [p.label for p in predictions],
            "probabilities": [list(p.probabilities) for p in predictions],
            "response_time_ms": result.response_time_ms}


def invoke_raw(
    uc: StageContext, body: bytes, content_type: str, endpoint_name: str | None
) -> bytes:
    """Send a body as it is (no validation on our side)."""
    from mlmonitor_lib.aws.scoring import invoke_raw as send

    runtime = aws.make_client(uc.session, "sagemaker-runtime")
    payload, _ = send(runtime, endpoint_name or uc.state.endpoint_name or "", body,
                      content_type=content_type, request_hint=uc.profile.request_hint)
    return payload


def describe_endpoint(uc: StageContext) -> dict[str, Any]:
    """SageMaker's description of the use case's endpoint."""
    return aws.make_client(uc.session, "sagemaker").describe_endpoint(
        EndpointName=uc.state.endpoint_name
    )


def require_endpoint(uc: StageContext, step: str) -> None:
    """The state says deployed; make sure SageMaker agrees before building on it.

    A ``Deleting`` endpoint is as gone as a missing one (SageMaker deletes asynchronously:
    it stays listed as ``Deleting`` for a while); a ``Failed`` one serves nothing either.
    """
    from botocore.exceptions import ClientError

    from mlmonitor_lib.aws.errors import error_text, is_not_found
    from mlmonitor_lib.errors import ServiceError

    name = uc.state.endpoint_name
    try:
        status = describe_endpoint(uc)["EndpointStatus"]
    except ClientError as exc:
        if not is_not_found(exc):
            raise ServiceError(
                f"SageMaker: DescribeEndpoint for {name!r} failed "
                f"({error_text(exc)}); retry {step}() when SageMaker answers again"
            ) from exc
        status = None
    if status in (None, "Deleting", "OutOfService"):
        uc.store.update(deployed=False)
        being = "" if status is None else f" (it is {status})"
        raise LifecycleError(
            f"{step}() needs endpoint {name!r}, which no longer exists in SageMaker"
            f"{being} (deleted outside this run?): run deploy() again first"
        )
    if status == "Failed":
        uc.store.update(deployed=False)
        raise LifecycleError(
            f"{step}() needs endpoint {name!r}, which is Failed in SageMaker: run cleanup() "
            "and deploy() again first"
        )


def score_batches(
    uc: StageContext, inputs: Any, batch_size: int = 10
) -> tuple[list[Prediction], list[float]]:
    """Score through the endpoint in batches: the predictions and, per input, the response
    time of the request that carried it (ms)."""
    predictions: list[Prediction] = []
    times: list[float] = []
    for start in range(0, len(inputs), batch_size):
        result = score(uc, inputs[start : start + batch_size])
        predictions += result.predictions
        times += [result.response_time_ms] * len(result.predictions)
    return predictions, times


def scoring_url(uc: StageContext) -> str:
    """The endpoint's invocation URL, as OpenScale and Factsheets record it."""
    region = uc.settings.aws_default_region
    return (f"https://runtime.sagemaker.{region}.amazonaws.com/endpoints/"
            f"{uc.state.endpoint_name}/invocations")


# SageMaker's describe operation and name parameter for each serving resource of the ledger.
_DESCRIBE = {"endpoint": ("describe_endpoint", "EndpointName"),
             "endpoint-config": ("describe_endpoint_config", "EndpointConfigName"),
             "model": ("describe_model", "ModelName")}


def still_existing(uc: StageContext) -> list[str]:
    """The serving resources of the ledger SageMaker still describes."""
    from botocore.exceptions import ClientError

    from mlmonitor_lib.aws.errors import is_not_found

    sagemaker = aws.make_client(uc.session, "sagemaker")
    found: list[str] = []
    serving = dict.fromkeys((r.kind, r.id) for r in uc.state.resources if r.service == "serving")
    for kind, resource_id in serving:  # once each, though a redeploy records it again
        operation, key = _DESCRIBE[kind]
        try:
            getattr(sagemaker, operation)(**{key: resource_id})
        except ClientError as exc:
            if is_not_found(exc):
                continue
            raise
        found.append(f"serving {kind} {resource_id}")
    return found


def cleanup(uc: StageContext) -> int:
    """Delete the endpoint, its config and models the ledger lists alive; deployments deleted."""
    endpoints = uc.store.alive("serving", "endpoint")
    configs = uc.store.alive("serving", "endpoint-config")
    models = uc.store.alive("serving", "model")
    say(uc.stream, f"INFO - deleting [aws] resources for [{uc.state.endpoint_name}]...")
    try:
        aws.delete_endpoint_resources(
            uc.session,
            endpoint_name=endpoints[0].id if endpoints else None,
            endpoint_config_name=configs[0].id if configs else None,
            model_names=[m.id for m in models] or None,
            ledger=uc.store,
            policy=aws.wait_policy(uc.settings, aws.ENDPOINT_DELETED),
            out=uc.stream,
        )
    except CleanupIncomplete as incomplete:  # a deployment counts once its endpoint is gone
        gone = bool(endpoints) and not uc.store.alive("serving", "endpoint")
        raise CleanupIncomplete(incomplete.failures, {"serving": int(gone)}) from None
    return len(endpoints) or int(bool(configs or models))
