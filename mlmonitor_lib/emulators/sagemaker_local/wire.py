"""HTTP responses shaped exactly as AWS sends them, for ``before-send`` hooks to return.

Why raw responses instead of pre-parsed dicts: botocore then parses them with its own parsers,
runs its retry handler on them and raises the same modeled exceptions it raises for AWS, so a
caller cannot tell the local data plane from the service.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse


class RawBody(io.BytesIO):
    """The ``raw`` botocore expects: readable, and ``stream()`` for ``AWSResponse.content``."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def response(url: str, status: int, body: bytes, headers: dict[str, str]) -> AWSResponse:
    """An :class:`AWSResponse` with ``Content-Length`` and a request id set."""
    merged = {"x-amzn-RequestId": "00000000-0000-0000-0000-00000000l0ca", **headers}
    merged["Content-Length"] = str(len(body))
    return AWSResponse(url, status, merged, RawBody(body))


def json_error(url: str, status: int, code: str, message: str, **extra: Any) -> AWSResponse:
    """An error in the JSON protocols (``sagemaker`` awsJson1.1, ``sagemaker-runtime``
    rest-json): the code in ``x-amzn-ErrorType`` and ``__type``, the message in ``message``."""
    body = json.dumps({"__type": code, "message": message, **extra}).encode()
    return response(url, status, body, {
        "Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code,
    })


def invoke_ok(url: str, body: bytes, content_type: str, variant: str,
              custom_attributes: str | None = None) -> AWSResponse:
    """A successful InvokeEndpoint: the container's body and content type, the variant."""
    headers = {"Content-Type": content_type, "x-Amzn-Invoked-Production-Variant": variant}
    if custom_attributes:
        headers["X-Amzn-SageMaker-Custom-Attributes"] = custom_attributes
    return response(url, 200, body, headers)


def model_error(url: str, *, endpoint: str, region: str, account: str,
                container_status: int, container_body: str) -> AWSResponse:
    """What InvokeEndpoint answers when the container returns an error status: HTTP 424
    ``ModelError`` embedding the container's status and body, as AWS words it."""
    kind = "client" if 400 <= container_status < 500 else "server"
    log_group = f"/aws/sagemaker/Endpoints/{endpoint}"
    message = (
        f"Received {kind} error ({container_status}) from primary with message "
        f'"{container_body}". See https://{region}.console.aws.amazon.com/cloudwatch/home?'
        f"region={region}#logEventViewer:group={log_group} in account {account} for more "
        "information."
    )
    return json_error(
        url, 424, "ModelError", message,
        OriginalStatusCode=container_status, OriginalMessage=container_body,
        LogStreamArn=f"arn:aws:logs:{region}:{account}:log-group:{log_group}",
    )


def parsed_error(url: str, status: int, code: str, message: str) -> tuple[AWSResponse, dict]:
    """What a ``before-call`` hook returns to answer an operation with an error: botocore
    raises the modeled exception of ``code`` from it, as from AWS's reply."""
    parsed = {"Error": {"Code": code, "Message": message},
              "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}}}
    return json_error(url, status, code, message), parsed
