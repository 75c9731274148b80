"""Wire <-> boto3 conversion for the two protocols the front answers, driven by botocore's model.

* ``sagemaker`` is AWS JSON 1.1: ``POST /`` with ``X-Amz-Target: SageMaker.<Op>``, the input
  structure as the JSON body; the reply is the output structure as JSON (timestamps as epoch
  seconds, blobs as base64).
* ``sagemaker-runtime`` is REST-JSON: members bound to the URI, headers or the raw body (the
  ``payload``); the reply likewise.
* Errors in both: the status, ``x-amzn-ErrorType: <code>`` and ``{"__type", "message", ...}``
  (botocore reads the code from either and the modeled fields from the body).

Why model-driven: the front replays a client's call on a server-side client and serialises the
parsed result back; walking the shapes (rather than guessing from Python types) keeps every
timestamp, blob and renamed member exactly as botocore expects to parse it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from botocore.model import OperationModel, Shape

AMZ_JSON = "application/x-amz-json-1.1"
REQUEST_ID = "x-amzn-RequestId"

Reply = tuple[int, dict[str, str], bytes]


# values -----------------------------------------------------------------------------------------
def from_wire(shape: Shape, value: Any) -> Any:
    """A JSON wire value -> the parameter a boto3 call takes."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure":
        params = {}
        for name, member in shape.members.items():
            wire_name = member.serialization.get("name", name)
            if wire_name in value:
                params[name] = from_wire(member, value[wire_name])
        return params
    if kind == "list":
        return [from_wire(shape.member, item) for item in value]
    if kind == "map":
        return {key: from_wire(shape.value, item) for key, item in value.items()}
    if kind == "blob":
        return base64.b64decode(value)
    if kind == "timestamp" and isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    return value


def to_wire(shape: Shape, value: Any) -> Any:
    """A parsed boto3 result value -> its JSON wire form."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            if name in value:
                out[member.serialization.get("name", name)] = to_wire(member, value[name])
        return out
    if kind == "list":
        return [to_wire(shape.member, item) for item in value]
    if kind == "map":
        return {key: to_wire(shape.value, item) for key, item in value.items()}
    if kind == "blob":
        raw = value if isinstance(value, bytes) else str(value).encode()
        return base64.b64encode(raw).decode()
    if kind == "timestamp" and isinstance(value, dt.datetime):
        return value.timestamp()
    return value


# AWS JSON 1.1 -----------------------------------------------------------------------------------
def json_params(operation: OperationModel, body: bytes) -> dict[str, Any]:
    """The boto3 parameters of an AWS JSON 1.1 request body."""
    if operation.input_shape is None or not body:
        return {}
    return from_wire(operation.input_shape, json.loads(body))


def json_reply(operation: OperationModel, parsed: dict[str, Any]) -> Reply:
    """A successful AWS JSON 1.1 reply from a parsed boto3 result."""
    payload = {} if operation.output_shape is None else to_wire(operation.output_shape, parsed)
    headers = {"Content-Type": AMZ_JSON, REQUEST_ID: _request_id(parsed)}
    return 200, headers, json.dumps(payload).encode()


# REST-JSON (sagemaker-runtime) ------------------------------------------------------------------
def rest_params(operation: OperationModel, uri: dict[str, str], headers: dict[str, str],
                body: bytes) -> dict[str, Any]:
    """The boto3 parameters of a REST-JSON request: URI labels, headers and the raw payload."""
    shape = operation.input_shape
    if shape is None:
        return {}
    lowered = {k.lower(): v for k, v in headers.items()}
    payload = shape.serialization.get("payload")
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if name == payload:
            params[name] = body
        elif location == "uri" and wire_name in uri:
            params[name] = uri[wire_name]
        elif location == "header" and wire_name.lower() in lowered:
            params[name] = _header_value(member, lowered[wire_name.lower()])
    return params


def rest_reply(operation: OperationModel, parsed: dict[str, Any]) -> Reply:
    """A successful REST-JSON reply whose body is the output's raw payload (InvokeEndpoint)."""
    shape = operation.output_shape
    headers = {REQUEST_ID: _request_id(parsed)}
    body = b""
    if shape is not None:
        payload = shape.serialization.get("payload")
        for name, member in shape.members.items():
            if name not in parsed:
                continue
            value = parsed[name]
            if name == payload:
                body = value.read() if hasattr(value, "read") else value
            elif member.serialization.get("location") == "header":
                text = str(value).lower() if isinstance(value, bool) else str(value)
                headers[member.serialization.get("name", name)] = text
    return 200, headers, body


def _header_value(member: Shape, text: str) -> Any:
    if member.type_name in ("integer", "long"):
        return int(text)
    if member.type_name == "boolean":
        return text.lower() == "true"
    return text


# errors -----------------------------------------------------------------------------------------
def error_reply(status: int, code: str, message: str, **extra: Any) -> Reply:
    """An error in both JSON protocols: code in ``x-amzn-ErrorType`` and ``__type``."""
    body = json.dumps({"__type": code, "message": message, **extra}, default=str).encode()
    headers = {"Content-Type": AMZ_JSON, "x-amzn-ErrorType": code,
               REQUEST_ID: "00000000-0000-0000-0000-0000000f7047"}
    return status, headers, body


def client_error_reply(response: dict[str, Any]) -> Reply:
    """The wire form of a botocore ``ClientError.response``, modeled extra fields included
    (``ModelError`` carries ``OriginalStatusCode``, ``OriginalMessage``, ``LogStreamArn``)."""
    error = response.get("Error", {})
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
    extra = {k: v for k, v in response.items() if k not in ("Error", "ResponseMetadata")}
    return error_reply(status, error.get("Code") or "InternalFailure",
                       error.get("Message") or "", **extra)


def _request_id(parsed: dict[str, Any]) -> str:
    metadata = parsed.get("ResponseMetadata") or {}
    return metadata.get("RequestId") or "00000000-0000-0000-0000-0000000f7047"
