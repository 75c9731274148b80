"""LocalSageMaker's HTTP layer: the requests it answers itself, before moto sees them.

Registered on ``before-send.sagemaker`` and ``before-send.sagemaker-runtime`` ahead of moto:
injected faults (:mod:`.faults`), duplicate endpoint names, DeleteEndpoint (moto deletes at
once; AWS shows ``Deleting`` first), StopTrainingJob (moto lacks it) and InvokeEndpoint.
Answers given here are raw HTTP responses (:mod:`.wire`), so botocore parses and retries them
as AWS's.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlparse

from mlmonitor_lib.emulators.sagemaker_local import wire
from mlmonitor_lib.emulators.sagemaker_local.endpoints import GONE, LocalEndpoint
from mlmonitor_lib.emulators.sagemaker_local.faults import Faults
from mlmonitor_lib.emulators.sagemaker_local.training import LocalTrainingJob

# moto answers requests it recognises even when an earlier before-send hook already answered;
# pointing a handled request at this host makes moto ignore it.
HANDLED_URL = "https://sagemaker-local.invalid/handled"


def moto_config() -> dict[str, Any]:
    """moto's own settings for a mock the local data plane runs on: ``mock_aws(config=...)``.

    Why: moto's stub still sees every request the hooks have answered (botocore calls every
    ``before-send`` handler) and, for each, scans the URL patterns of all its services, which
    a handled request never matches. Declaring the handled URL a passthrough URL lets moto skip
    the scan (a per-request cost in every InvokeEndpoint); nothing else changes.
    """
    from moto.core.config import default_user_config

    core = dict(default_user_config.get("core", {}))
    passthrough = dict(core.get("passthrough", {}))
    passthrough["urls"] = [*passthrough.get("urls", []), "^" + re.escape(HANDLED_URL)]
    core["passthrough"] = passthrough
    return {"core": core}


class HttpLayer:
    """The ``before-send`` half of :class:`~.hooks.LocalSageMaker` (a mixin on its state)."""

    faults: Faults
    jobs: dict[str, LocalTrainingJob]
    endpoints: dict[str, LocalEndpoint]
    _region: str

    def _before_send(self, request: Any, **kwargs: Any) -> Any:
        if self._is_internal():
            return None
        operation = _operation(request, kwargs.get("event_name", ""))
        fault = self.faults.take(operation)
        if fault is not None:
            response = wire.json_error(request.url, fault.status, fault.code, fault.message)
        elif operation == "InvokeEndpoint":
            response = self._invoke(request)
        elif operation == "CreateEndpoint":
            response = self._reject_duplicate_endpoint(request)
        elif operation == "DeleteEndpoint":
            response = self._begin_delete(request)
        elif operation == "StopTrainingJob":
            response = self._stop_training_job(request)
        else:
            response = None
        if response is not None:
            request.url = HANDLED_URL
        return response

    def _reject_duplicate_endpoint(self, request: Any) -> Any:
        """An endpoint name is taken until the endpoint is gone, ``Deleting`` included (moto
        would silently overwrite it; AWS refuses)."""
        name = json.loads(_body(request) or b"{}").get("EndpointName", "")
        if name not in self.endpoints:
            return None
        return wire.json_error(request.url, 400, "ValidationException",
                               f'Cannot create already existing endpoint "'
                               f'{self._endpoint_arn(name)}".')

    def _endpoint_arn(self, name: str) -> str:
        return f"arn:aws:sagemaker:{self._region}:{self.account_id}:endpoint/{name.lower()}"

    def _invoke(self, request: Any) -> Any:
        path = urlparse(request.url).path
        name = unquote(path.split("/endpoints/", 1)[-1].rsplit("/invocations", 1)[0])
        endpoint = self.endpoints.get(name)
        # Only an InService endpoint serves (CreateEndpoint's documentation: "After it creates
        # the endpoint, it sets the status to InService. SageMaker can then process incoming
        # requests"); any other is answered as a missing one (no public source gives another).
        container = endpoint.container if endpoint is not None else None
        if endpoint is None or endpoint.status != "InService" or container is None:
            return wire.json_error(request.url, 400, "ValidationError",
                                   f"Endpoint {name} of account {self.account_id} not found.")
        headers = request.headers
        attributes = headers.get("X-Amzn-SageMaker-Custom-Attributes")
        status, body, content_type = container.invoke(
            _body(request), _text(headers.get("Content-Type")), _text(headers.get("Accept")),
            _text(attributes),
        )
        if status >= 300:
            return wire.model_error(request.url, endpoint=name, region=self._region,
                                    account=self.account_id, container_status=status,
                                    container_body=body.decode("utf-8", errors="replace"))
        return wire.invoke_ok(request.url, body, content_type, endpoint.variant,
                              _text(attributes))


    def _stop_training_job(self, request: Any) -> Any:
        """moto lacks StopTrainingJob: answer it for the jobs we run."""
        job = self.jobs.get(json.loads(_body(request) or b"{}").get("TrainingJobName", ""))
        if job is None:
            return None
        job.stop()
        return wire.response(request.url, 200, b"{}",
                             {"Content-Type": "application/x-amz-json-1.1"})

    def _begin_delete(self, request: Any) -> Any:
        """DeleteEndpoint: AWS answers at once and deletes asynchronously (DeleteEndpoint's
        documentation; botocore's ``EndpointDeleted`` waiter polls for it to finish), so the
        endpoint stays listed and described as ``Deleting`` until its walk ends; moto, which
        deletes at once, is only told then.

        A ``Creating`` (or ``Updating``) endpoint is refused: SageMaker cannot delete an
        endpoint while it is being created or updated (reported by users, e.g.
        awslabs/stable-diffusion-aws-extension#342; not in the API reference, so kept at
        least as strict as reported). A second delete of a ``Deleting`` endpoint is refused
        too (no public source says either way; the stricter choice).
        """
        name = json.loads(_body(request) or b"{}").get("EndpointName", "")
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            return None  # moto answers: "Could not find endpoint" (or deletes its own record)
        state = endpoint.status
        if state == GONE:
            self._delete_from_moto(name)
            return None
        if state in ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"):
            return wire.json_error(
                request.url, 400, "ValidationException",
                f'Cannot delete endpoint "{self._endpoint_arn(name)}" while its status is '
                f"{state}.")
        endpoint.begin_delete()
        return wire.response(request.url, 200, b"{}",
                             {"Content-Type": "application/x-amz-json-1.1"})


def _operation(request: Any, event_name: str) -> str:
    if event_name.count(".") >= 2:
        return event_name.rsplit(".", 1)[-1]
    target = request.headers.get("X-Amz-Target")
    return _text(target).rsplit(".", 1)[-1] if target else ""


def _body(request: Any) -> bytes:
    body = request.body
    if body is None:
        return b""
    if hasattr(body, "read"):
        position = body.tell() if hasattr(body, "tell") else None
        data = body.read()
        if position is not None:
            body.seek(position)
        return data if isinstance(data, bytes) else data.encode()
    return body if isinstance(body, bytes) else str(body).encode()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
