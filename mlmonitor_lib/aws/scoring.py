"""Scoring an endpoint with the seed's payload, timed; SDK errors become :class:`ScoringError`.

The body is the Watson OpenScale scoring payload the seed sends,
``{"input_data": [{"values": images}]}``, so what OpenScale later logs is exactly what the
endpoint answered.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import boto3
import orjson
from botocore.exceptions import BotoCoreError, ClientError

from mlmonitor_lib.aws.jsonarray import dumps_array
from mlmonitor_lib.aws.session import make_client
from mlmonitor_lib.errors import ScoringError

JSON = "application/json"
MAX_PAYLOAD_BYTES = 6 * 2**20  # SageMaker real-time InvokeEndpoint request limit
MNIST_IMAGE_SHAPE = (28, 28, 1)


@dataclass(frozen=True)
class ScoreResult:
    """``predictions`` is ``{"fields": ["prediction", "probability"], "values": [...]}``."""

    predictions: dict[str, Any]
    response_time_ms: float
    endpoint_name: str


def scoring_body(images: Any) -> bytes:
    """The seed's JSON body for a batch of images (numpy array or nested lists).

    A numpy batch of N×28×28×1 images is written as N×28×28, which the model's handler reads
    as the same images: one pair of brackets per pixel is a quarter of the body. Any other
    shape is sent as it is, so the endpoint's error names the shape the caller passed.
    """
    if hasattr(images, "tolist"):  # numpy: orjson, in one pass (aws/jsonarray.py)
        if images.shape[1:] == MNIST_IMAGE_SHAPE:
            images = images[..., 0]
        return dumps_array(images, _payload)
    return json.dumps(_payload(images)).encode()


def _payload(images: Any) -> dict[str, Any]:
    return {"input_data": [{"values": images}]}


def invoke_raw(
    runtime: Any, endpoint_name: str, body: bytes, *, content_type: str = JSON, accept: str = JSON
) -> tuple[bytes, float]:
    """One InvokeEndpoint call; returns the response body and the round trip in ms.

    ``runtime`` is a ``sagemaker-runtime`` client (pass one in for repeated calls).
    """
    if len(body) > MAX_PAYLOAD_BYTES:
        raise ScoringError(
            f"request body for endpoint {endpoint_name!r} is {len(body) / 2**20:.1f} MiB, over "
            f"SageMaker's {MAX_PAYLOAD_BYTES // 2**20} MiB invoke limit: send fewer images per "
            "request (score_model and invoke_endpoint split batches for you)"
        )
    started = time.perf_counter()
    try:
        response = runtime.invoke_endpoint(
            EndpointName=endpoint_name, Body=body, ContentType=content_type, Accept=accept
        )
        payload = response["Body"].read()
    except ClientError as exc:
        raise _scoring_error(endpoint_name, exc) from exc
    except BotoCoreError as exc:
        raise ScoringError(
            f"could not reach endpoint {endpoint_name!r} ({exc}); check the network, the region "
            "and AWS_ENDPOINT_URL, then retry"
        ) from exc
    return payload, (time.perf_counter() - started) * 1000.0


def invoke_endpoint(
    session: boto3.Session,
    endpoint_name: str,
    images: Any,
    *,
    content_type: str = JSON,
    runtime: Any = None,
) -> ScoreResult:
    """Score ``images`` (N×28×28×1 pixels in [0, 1]) and return predictions plus response time.

    A batch whose body would exceed SageMaker's 6 MB invoke limit is split into requests that
    fit; the predictions come back in order and the response time is the sum of the requests'.
    """
    runtime = runtime or make_client(session, "sagemaker-runtime")
    body = scoring_body(images)
    if len(body) > MAX_PAYLOAD_BYTES and len(images) > 1:
        half = len(images) // 2
        first = invoke_endpoint(session, endpoint_name, images[:half], runtime=runtime)
        second = invoke_endpoint(session, endpoint_name, images[half:], runtime=runtime)
        merged = {**first.predictions,
                  "values": first.predictions["values"] + second.predictions["values"]}
        return ScoreResult(merged, first.response_time_ms + second.response_time_ms,
                           endpoint_name)
    payload, elapsed_ms = invoke_raw(runtime, endpoint_name, body, content_type=content_type)
    return ScoreResult(parse_predictions(endpoint_name, payload), elapsed_ms, endpoint_name)


def parse_predictions(endpoint_name: str, payload: bytes) -> dict[str, Any]:
    """Unwrap ``{"predictions": [{"fields", "values"}]}`` (what the handler answers) into
    ``{"fields", "values"}``."""
    try:
        body = orjson.loads(payload)
    except ValueError as exc:  # orjson.JSONDecodeError is one
        raise ScoringError(
            f"endpoint {endpoint_name!r} answered a body that is not JSON: {payload[:200]!r}"
        ) from exc
    if isinstance(body, dict) and isinstance(body.get("predictions"), list) and body["predictions"]:
        body = body["predictions"][0]
    if not (isinstance(body, dict) and "fields" in body and "values" in body):
        raise ScoringError(
            f"endpoint {endpoint_name!r} answered without fields/values: {str(body)[:200]}; "
            "is code/inference.py's output_handler in the model artifact?"
        )
    return {"fields": body["fields"], "values": body["values"]}


def _scoring_error(endpoint_name: str, exc: ClientError) -> ScoringError:
    error = exc.response.get("Error", {})
    code, message = error.get("Code", "?"), error.get("Message", "")
    if code == "ModelError":
        fix = ("the model's handler rejected the request: send images shaped Nx28x28x1 with "
               "pixels in [0, 1] as application/json")
    elif code in ("ValidationError", "ValidationException"):
        fix = "check the endpoint name and that it is InService (run deploy() first)"
    elif code in ("ThrottlingException", "ServiceUnavailable", "InternalFailure"):
        fix = "SageMaker kept refusing after the configured retries: retry later"
    else:
        fix = "see the message above"
    return ScoringError(f"scoring endpoint {endpoint_name!r} failed ({code}: {message}); {fix}")
