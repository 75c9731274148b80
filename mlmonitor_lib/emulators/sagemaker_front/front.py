"""Which request goes where: the SageMaker front's router.

* ``X-Amz-Target: SageMaker.<Op>`` (the ``sagemaker`` client, AWS JSON 1.1): replayed on the
  server-side client, whose :class:`~mlmonitor_lib.emulators.sagemaker_local.LocalSageMaker`
  hooks run training jobs and load endpoints and also drop the empty ``{}`` structs moto returns
  where AWS omits the member. Every SageMaker operation goes this way, so a hook-less client
  sees exactly what a mock-mode client sees.
* ``POST /endpoints/<name>/invocations`` (``sagemaker-runtime`` InvokeEndpoint, REST-JSON):
  answered by the endpoint's local container through the same server-side client.
* anything else (S3, IAM, STS, other runtime paths): forwarded to moto unchanged.

Both AWS clients resolve to the same ``AWS_ENDPOINT_URL``, hence routing by target and path.
Like every emulator router this one knows nothing about sockets: ``handle`` is the whole
interface :class:`~mlmonitor_lib.emulators.transport.LoopbackServer` needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from mlmonitor_lib.emulators.sagemaker_front import protocol

_INVOKE = re.compile(r"^/endpoints/(?P<EndpointName>[^/]+)/invocations$")
_TARGET_PREFIX = "SageMaker."
# The server-side client must not retry: a throttle or 5xx (injected faults included) goes back
# to the real client, whose own retry policy is what a rehearsal exercises.
_NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                   read_timeout=300, connect_timeout=10)

Forward = Callable[[str, str, dict[str, str], bytes], protocol.Reply]


class SageMakerFront:
    """Routes one HTTP request; ``session`` carries the LocalSageMaker hooks and reaches moto,
    ``forward`` sends everything else to moto as is."""

    name = "sagemaker-front"

    def __init__(self, session: Any, forward: Forward) -> None:
        self._sagemaker = session.client("sagemaker", config=_NO_RETRY)
        self._runtime = session.client("sagemaker-runtime", config=_NO_RETRY)
        self._forward = forward

    def handle(self, method: str, url: str, headers: dict[str, str],
               body: bytes | str | None) -> protocol.Reply:
        """Answer like AWS would; never raises."""
        raw = body.encode() if isinstance(body, str) else (body or b"")
        target = _header(headers, "X-Amz-Target")
        if method == "POST" and target.startswith(_TARGET_PREFIX):
            operation = target[len(_TARGET_PREFIX):]
            if operation in self._sagemaker.meta.service_model.operation_names:
                return self._sagemaker_call(operation, raw)
        found = _INVOKE.match(urlsplit(url).path)
        if method == "POST" and found and not target:
            return self._invoke({"EndpointName": unquote(found["EndpointName"])}, headers, raw)
        return self._forward(method, url, headers, raw)

    def _sagemaker_call(self, operation: str, body: bytes) -> protocol.Reply:
        model = self._sagemaker.meta.service_model.operation_model(operation)
        try:
            params = protocol.json_params(model, body)
        except (ValueError, TypeError, AttributeError) as exc:
            return protocol.error_reply(400, "SerializationException",
                                        f"cannot read the {operation} request: {exc}")
        return _call(lambda: protocol.json_reply(
            model, getattr(self._sagemaker, xform_name(operation))(**params)))

    def _invoke(self, uri: dict[str, str], headers: dict[str, str],
                body: bytes) -> protocol.Reply:
        model = self._runtime.meta.service_model.operation_model("InvokeEndpoint")
        params = protocol.rest_params(model, uri, headers, body)
        return _call(lambda: protocol.rest_reply(
            model, self._runtime.invoke_endpoint(**params)))


def _call(attempt: Callable[[], protocol.Reply]) -> protocol.Reply:
    """Run the server-side call, turning what botocore raises into AWS's error replies."""
    try:
        return attempt()
    except ClientError as exc:
        return protocol.client_error_reply(exc.response)
    except ParamValidationError as exc:
        return protocol.error_reply(400, "ValidationException", str(exc))
    except (BotoCoreError, json.JSONDecodeError) as exc:
        return protocol.error_reply(500, "InternalFailure", f"{type(exc).__name__}: {exc}")


def _header(headers: dict[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")
