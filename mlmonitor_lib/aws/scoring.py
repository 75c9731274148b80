"""Scoring an endpoint, timed; SDK errors become :class:`ScoringError`.

The body and the reading of the answer are the use case's (its profile's ``request_body`` and
``read_answer``, :mod:`mlmonitor_lib.usecase.port`); this module sends them, splits a batch
whose body would exceed SageMaker's invoke limit, and names the fix when SageMaker refuses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from mlmonitor_lib.aws.session import make_client
from mlmonitor_lib.errors import ScoringError

JSON = "application/json"
MAX_PAYLOAD_BYTES = 6 * 2**20  # SageMaker real-time InvokeEndpoint request limit


@dataclass(frozen=True)
class ScoreResult:
    """What ``decode`` read from the answers, in input order, and the time the requests took."""

    predictions: list[Any]
    response_time_ms: float
    endpoint_name: str


def invoke_raw(
    runtime: Any, endpoint_name: str, body: bytes, *, content_type: str = JSON,
    accept: str = JSON, request_hint: str = "",
) -> tuple[bytes, float]:
    """One InvokeEndpoint call; returns the response body and the round trip in ms.

    ``runtime`` is a ``sagemaker-runtime`` client (pass one in for repeated calls).
    """
    if len(body) > MAX_PAYLOAD_BYTES:
        raise ScoringError(
            f"request body for endpoint {endpoint_name!r} is {len(body) / 2**20:.1f} MiB, over "
            f"SageMaker's {MAX_PAYLOAD_BYTES // 2**20} MiB invoke limit: send fewer inputs per "
            "request (score_model and invoke_endpoint split batches for you)"
        )
    started = time.perf_counter()
    try:
        response = runtime.invoke_endpoint(
            EndpointName=endpoint_name, Body=body, ContentType=content_type, Accept=accept
        )
        payload = response["Body"].read()
    except ClientError as exc:
        raise _scoring_error(endpoint_name, exc, request_hint) from exc
    except BotoCoreError as exc:
        raise ScoringError(
            f"could not reach endpoint {endpoint_name!r} ({exc}); check the network, the region "
            "and AWS_ENDPOINT_URL, then retry"
        ) from exc
    return payload, (time.perf_counter() - started) * 1000.0


def invoke_endpoint(
    session: boto3.Session,
    endpoint_name: str,
    inputs: Any,
    *,
    encode: Callable[[Any], bytes],
    decode: Callable[[str, bytes], list[Any]],
    content_type: str = JSON,
    accept: str = JSON,
    request_hint: str = "",
    runtime: Any = None,
) -> ScoreResult:
    """Score ``inputs`` (a sliceable batch): ``encode`` writes the body, ``decode`` reads the
    answer into one item per input.

    A batch whose body would exceed SageMaker's 6 MB invoke limit is split into requests that
    fit; the predictions come back in order and the response time is the sum of the requests'.
    ``request_hint`` says what a request must look like, for the error when the model refuses.
    """
    runtime = runtime or make_client(session, "sagemaker-runtime")
    body = encode(inputs)
    if len(body) > MAX_PAYLOAD_BYTES and len(inputs) > 1:
        half = len(inputs) // 2
        parts = [invoke_endpoint(session, endpoint_name, part, encode=encode, decode=decode,
                                 content_type=content_type, accept=accept,
                                 request_hint=request_hint, runtime=runtime)
                 for part in (inputs[:half], inputs[half:])]
        return ScoreResult(parts[0].predictions + parts[1].predictions,
                           parts[0].response_time_ms + parts[1].response_time_ms, endpoint_name)
    payload, elapsed_ms = invoke_raw(runtime, endpoint_name, body, content_type=content_type,
                                     accept=accept, request_hint=request_hint)
    predictions = decode(endpoint_name, payload)
    if len(predictions) != len(inputs):
        raise ScoringError(f"endpoint {endpoint_name!r} answered {len(predictions)} predictions "
                           f"for {len(inputs)} inputs: check the model's output handler")
    return ScoreResult(list(predictions), elapsed_ms, endpoint_name)


def _scoring_error(endpoint_name: str, exc: ClientError, request_hint: str) -> ScoringError:
    error = exc.response.get("Error", {})
    code, message = error.get("Code", "?"), error.get("Message", "")
    if code == "ModelError":
        fix = "the model's handler rejected the request" + (
            f": {request_hint}" if request_hint else "")
    elif code in ("ValidationError", "ValidationException"):
        fix = "check the endpoint name and that it is InService (run deploy() first)"
    elif code in ("ThrottlingException", "ServiceUnavailable", "InternalFailure"):
        fix = "SageMaker kept refusing after the configured retries: retry later"
    else:
        fix = "see the message above"
    return ScoringError(f"scoring endpoint {endpoint_name!r} failed ({code}: {message}); {fix}")
