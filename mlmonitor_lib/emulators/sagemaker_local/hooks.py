"""``LocalSageMaker``: botocore event hooks that give moto's SageMaker a working data plane.

moto stores SageMaker resources and runs nothing. Installed on ONE ``boto3.Session`` (before any
client is made from it: clients copy the session's event hooks when created), these hooks make
CreateTrainingJob run the entry point (:mod:`.training`), CreateEndpoint load the model like the
TF Serving container (:mod:`.endpoints`), Describe* report the real status, and InvokeEndpoint
answer with the model's predictions or AWS's error shapes. Hooks:

* ``before-parameter-build.sagemaker.<Op>``: keep the request (after-call hooks do not see it);
* ``after-call.sagemaker.<Op>``: act on the created resources, overlay descriptions, and drop
  the empty ``{}`` structs moto returns where AWS omits the member (the SDK's pydantic shapes
  reject them);
* ``before-send.sagemaker`` / ``before-send.sagemaker-runtime`` (registered first, ahead of
  moto): injected faults (:mod:`.faults`), duplicate endpoint names, StopTrainingJob (moto
  lacks it) and InvokeEndpoint. Answers
  given here are raw HTTP responses, so botocore parses and retries them as AWS's.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import boto3

from mlmonitor_lib.emulators.sagemaker_local import wire
from mlmonitor_lib.emulators.sagemaker_local.endpoints import LocalEndpoint
from mlmonitor_lib.emulators.sagemaker_local.faults import Faults
from mlmonitor_lib.emulators.sagemaker_local.training import LocalTrainingJob

_PARAMS = "sagemaker_local_params"
_STASHED = ("CreateTrainingJob", "CreateEndpoint", "DeleteEndpoint")
# moto answers requests it recognises even when an earlier before-send hook already answered;
# pointing a handled request at this host makes moto ignore it.
_HANDLED_URL = "https://sagemaker-local.invalid/handled"
_INSTALLED: weakref.WeakKeyDictionary[Any, LocalSageMaker] = weakref.WeakKeyDictionary()


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
    passthrough["urls"] = [*passthrough.get("urls", []), "^" + re.escape(_HANDLED_URL)]
    core["passthrough"] = passthrough
    return {"core": core}


class LocalSageMaker:
    """The local SageMaker data plane for one ``boto3.Session``.

    ``LocalSageMaker(session, workdir).install()`` registers the hooks once; ``uninstall()``
    (or leaving the ``with`` block) stops running jobs, unloads endpoints and removes them.
    ``faults`` plans failures (:class:`~.faults.Faults`).
    """

    def __init__(self, session: boto3.Session, workdir: Path | None = None) -> None:
        self.session = session
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sagemaker-local-"))
        self.faults = Faults()
        self.jobs: dict[str, LocalTrainingJob] = {}
        self.endpoints: dict[str, LocalEndpoint] = {}
        self._lock = threading.Lock()
        self._installed = False
        self._account: str | None = None
        self._handlers: list[tuple[str, Any, str]] = []

    # installation -------------------------------------------------------------------------
    def install(self) -> LocalSageMaker:
        """Register the hooks on the session (idempotent); returns ``self``."""
        if self._installed:
            return self
        emitter = self.session.events
        other = _INSTALLED.get(emitter)
        if other is not None and other is not self:
            raise RuntimeError("another LocalSageMaker is installed on this session: uninstall it")
        for op in _STASHED:
            self._register(f"before-parameter-build.sagemaker.{op}", self._stash)
        self._register("after-call.sagemaker", self._drop_empty_structs)
        self._register("after-call.sagemaker.CreateTrainingJob", self._on_create_training_job)
        self._register("after-call.sagemaker.DescribeTrainingJob", self._on_describe_training_job)
        self._register("after-call.sagemaker.CreateEndpoint", self._on_create_endpoint)
        self._register("after-call.sagemaker.DescribeEndpoint", self._on_describe_endpoint)
        self._register("after-call.sagemaker.DeleteEndpoint", self._on_delete_endpoint)
        self._register("before-send.sagemaker", self._before_send, first=True)
        self._register("before-send.sagemaker-runtime", self._before_send, first=True)
        _INSTALLED[emitter] = self
        # Created after registration so they carry the hooks (describe overlays).
        self._sagemaker = self.session.client("sagemaker")
        self._s3 = self.session.client("s3")
        self._sts = self.session.client("sts")
        self._region = self.session.region_name or "us-east-1"
        self._installed = True
        return self

    def uninstall(self) -> None:
        """Unregister the hooks, stop jobs, unload endpoints and remove the work directory."""
        if not self._installed:
            return
        emitter = self.session.events
        for event, handler, unique_id in self._handlers:
            emitter.unregister(event, handler, unique_id=unique_id)
        self._handlers.clear()
        _INSTALLED.pop(emitter, None)
        for job in list(self.jobs.values()):
            job.stop()
            job.join(30)
        for endpoint in list(self.endpoints.values()):
            endpoint.join(60)
            endpoint.discard()
        self.jobs.clear()
        self.endpoints.clear()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self._installed = False

    def __enter__(self) -> LocalSageMaker:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    def _register(self, event: str, handler: Any, first: bool = False) -> None:
        unique_id = f"mlmonitor-sagemaker-local:{event}"
        emitter = self.session.events
        if first:
            emitter.register_first(event, handler, unique_id=unique_id)
        else:
            emitter.register(event, handler, unique_id=unique_id)
        self._handlers.append((event, handler, unique_id))

    @property
    def account_id(self) -> str:
        if self._account is None:
            self._account = self._sts.get_caller_identity()["Account"]
        return self._account

    # request stash and moto shape fixes ---------------------------------------------------
    @staticmethod
    def _stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = dict(params)

    @staticmethod
    def _drop_empty_structs(parsed: dict[str, Any], **_: Any) -> None:
        for key in [k for k, v in parsed.items() if v == {} and k != "ResponseMetadata"]:
            del parsed[key]

    # training -----------------------------------------------------------------------------
    def _on_create_training_job(self, http_response: Any, context: dict[str, Any],
                                **_: Any) -> None:
        if http_response.status_code >= 300 or _PARAMS not in context:
            return
        request = context[_PARAMS]
        name = request["TrainingJobName"]
        job = LocalTrainingJob(name, request, self.workdir / "jobs" / name)
        with self._lock:
            self.jobs[name] = job
        job.start(self._s3, self.faults.take_training_failure())

    def _on_describe_training_job(self, http_response: Any, parsed: dict[str, Any],
                                  **_: Any) -> None:
        job = self.jobs.get(parsed.get("TrainingJobName", ""))
        if http_response.status_code < 300 and job is not None:
            job.overlay(parsed)

    def _stop_training_job(self, request: Any) -> Any:
        """moto lacks StopTrainingJob: answer it for the jobs we run."""
        job = self.jobs.get(json.loads(_body(request) or b"{}").get("TrainingJobName", ""))
        if job is None:
            return None
        job.stop()
        return wire.response(request.url, 200, b"{}",
                             {"Content-Type": "application/x-amz-json-1.1"})

    # endpoints ----------------------------------------------------------------------------
    def _on_create_endpoint(self, http_response: Any, context: dict[str, Any],
                            **_: Any) -> None:
        if http_response.status_code >= 300 or _PARAMS not in context:
            return
        request = context[_PARAMS]
        name = request["EndpointName"]
        endpoint = LocalEndpoint(name, request["EndpointConfigName"],
                                 self.workdir / "endpoints" / name)
        with self._lock:
            self.endpoints[name] = endpoint
        endpoint.start(self._sagemaker, self._s3)

    def _on_describe_endpoint(self, http_response: Any, parsed: dict[str, Any],
                              **_: Any) -> None:
        endpoint = self.endpoints.get(parsed.get("EndpointName", ""))
        if http_response.status_code < 300 and endpoint is not None:
            endpoint.overlay(parsed)

    def _on_delete_endpoint(self, http_response: Any, context: dict[str, Any],
                            **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        with self._lock:
            endpoint = self.endpoints.pop(context.get(_PARAMS, {}).get("EndpointName", ""), None)
        if endpoint is not None:
            endpoint.join(60)
            endpoint.discard()

    def endpoint(self, name: str) -> LocalEndpoint | None:
        """The local state of endpoint ``name`` (tests and benchmarks use its container)."""
        return self.endpoints.get(name)

    def job(self, name: str) -> LocalTrainingJob | None:
        """The local state of training job ``name`` (its log, its ``/opt/ml`` tree)."""
        return self.jobs.get(name)

    # HTTP layer ---------------------------------------------------------------------------
    def _before_send(self, request: Any, **kwargs: Any) -> Any:
        operation = _operation(request, kwargs.get("event_name", ""))
        fault = self.faults.take(operation)
        if fault is not None:
            response = wire.json_error(request.url, fault.status, fault.code, fault.message)
        elif operation == "InvokeEndpoint":
            response = self._invoke(request)
        elif operation == "CreateEndpoint":
            response = self._reject_duplicate_endpoint(request)
        elif operation == "StopTrainingJob":
            response = self._stop_training_job(request)
        else:
            response = None
        if response is not None:
            request.url = _HANDLED_URL
        return response

    def _reject_duplicate_endpoint(self, request: Any) -> Any:
        name = json.loads(_body(request) or b"{}").get("EndpointName", "")
        if name not in self.endpoints:
            return None
        arn = f"arn:aws:sagemaker:{self._region}:{self.account_id}:endpoint/{name.lower()}"
        return wire.json_error(request.url, 400, "ValidationException",
                               f'Cannot create already existing endpoint "{arn}".')

    def _invoke(self, request: Any) -> Any:
        path = urlparse(request.url).path
        name = unquote(path.split("/endpoints/", 1)[-1].rsplit("/invocations", 1)[0])
        endpoint = self.endpoints.get(name)
        if endpoint is None or endpoint.status != "InService" or endpoint.container is None:
            return wire.json_error(request.url, 400, "ValidationError",
                                   f"Endpoint {name} of account {self.account_id} not found.")
        headers = request.headers
        attributes = headers.get("X-Amzn-SageMaker-Custom-Attributes")
        status, body, content_type = endpoint.container.invoke(
            _body(request), _text(headers.get("Content-Type")), _text(headers.get("Accept")),
            _text(attributes),
        )
        if status >= 300:
            return wire.model_error(request.url, endpoint=name, region=self._region,
                                    account=self.account_id, container_status=status,
                                    container_body=body.decode("utf-8", errors="replace"))
        return wire.invoke_ok(request.url, body, content_type, endpoint.variant,
                              _text(attributes))


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
