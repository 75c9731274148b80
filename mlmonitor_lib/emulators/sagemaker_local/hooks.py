"""``LocalSageMaker``: botocore event hooks that give moto's SageMaker a working data plane.

moto stores SageMaker resources and runs nothing. Installed on ONE ``boto3.Session`` (before any
client is made from it: clients copy the session's event hooks when created), these hooks make
CreateTrainingJob run the entry point (:mod:`.training`), CreateEndpoint load the model like the
TF Serving container (:mod:`.endpoints`), Describe* report the real status, and InvokeEndpoint
answer with the model's predictions or AWS's error shapes. Hooks:

* ``before-parameter-build.sagemaker.<Op>``: keep the request (after-call hooks do not see it);
* ``before-call.sagemaker.<Op>``: one DescribeEndpoint is one observation of the endpoint's
  status walk (:mod:`.endpoints`); an endpoint whose ``Deleting`` walk has ended is deleted
  from moto first, so moto answers "Could not find endpoint" exactly as AWS does (botocore's
  ``EndpointDeleted`` waiter succeeds on that ``ValidationException``);
* ``after-call.sagemaker.<Op>``: act on the created resources, overlay descriptions and list
  summaries with the observed states, cut List pages as AWS does (:mod:`.listing`), and drop
  the empty ``{}`` structs moto returns where AWS omits the member (the SDK's pydantic shapes
  reject them);
* ``before-send.sagemaker`` / ``before-send.sagemaker-runtime`` (registered first, ahead of
  moto): the requests answered here, not by moto (:mod:`.http_layer`).

Every state walk runs at one :class:`~mlmonitor_lib.emulators.pace.Pace`, the world's.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.emulators.sagemaker_local import listing, wire
from mlmonitor_lib.emulators.sagemaker_local.endpoints import GONE, LocalEndpoint
from mlmonitor_lib.emulators.sagemaker_local.faults import Faults
from mlmonitor_lib.emulators.sagemaker_local.http_layer import HANDLED_URL, HttpLayer
from mlmonitor_lib.emulators.sagemaker_local.training import LocalTrainingJob

_PARAMS = "sagemaker_local_params"
_OBSERVED = "sagemaker_local_observed"
_QUERY = "sagemaker_local_query"
_STASHED = ("CreateTrainingJob", "CreateEndpoint", "DescribeEndpoint", "CreateModel")
_INSTALLED: weakref.WeakKeyDictionary[Any, LocalSageMaker] = weakref.WeakKeyDictionary()


class LocalSageMaker(HttpLayer):
    """The local SageMaker data plane for one ``boto3.Session``.

    ``LocalSageMaker(session, workdir).install()`` registers the hooks once; ``uninstall()``
    (or leaving the ``with`` block) stops running jobs, unloads endpoints and removes them.
    ``faults`` plans failures (:class:`~.faults.Faults`). ``pace`` sets how fast endpoints and
    training jobs walk through their states (default: ``MLMONITOR_PACE``, else instant);
    ``clock`` is injectable so tests walk realistic pace without sleeping.
    """

    def __init__(self, session: boto3.Session, workdir: Path | None = None, *,
                 pace: Pace | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.pace = pace or Pace.from_env()
        self.clock = clock
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sagemaker-local-"))
        self.faults = Faults()
        self.jobs: dict[str, LocalTrainingJob] = {}
        self.endpoints: dict[str, LocalEndpoint] = {}
        self.network_isolation: dict[str, bool] = {}  # model name -> EnableNetworkIsolation
        self._lock = threading.Lock()
        self._installed = False
        self._account: str | None = None
        self._handlers: list[tuple[str, Any, str]] = []
        self._gone_lock = threading.Lock()
        self._internal = threading.local()  # our own calls to moto pass every hook untouched

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
        self._register("after-call.sagemaker.CreateModel", self._on_create_model)
        self._register("after-call.sagemaker.DescribeModel", self._on_describe_model)
        self._register("after-call.sagemaker.DescribeTrainingJob", self._on_describe_training_job)
        self._register("after-call.sagemaker.CreateEndpoint", self._on_create_endpoint)
        self._register("before-call.sagemaker.DescribeEndpoint", self._observe_endpoint)
        self._register("after-call.sagemaker.DescribeEndpoint", self._on_describe_endpoint)
        for op in listing.OPERATIONS:
            self._register(f"before-parameter-build.sagemaker.{op}", self._prepare_list)
            self._register(f"before-call.sagemaker.{op}", self._refuse_bad_list)
            self._register(f"after-call.sagemaker.{op}", self._on_list)
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
        job = LocalTrainingJob(name, request, self.workdir / "jobs" / name, pace=self.pace,
                               clock=self.clock)
        with self._lock:
            self.jobs[name] = job
        job.start(self._s3, self.faults.take_training_failure())

    def _on_describe_training_job(self, http_response: Any, parsed: dict[str, Any],
                                  **_: Any) -> None:
        job = self.jobs.get(parsed.get("TrainingJobName", ""))
        if http_response.status_code < 300 and job is not None:
            job.overlay(parsed)

    # models ---------------------------------------------------------------------------------
    def _on_create_model(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        """moto describes every model with ``EnableNetworkIsolation`` False: keep the request's
        (the serving container cannot pip-install requirements.txt without network)."""
        if http_response.status_code < 300 and _PARAMS in context:
            request = context[_PARAMS]
            self.network_isolation[request["ModelName"]] = bool(
                request.get("EnableNetworkIsolation"))

    def _on_describe_model(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        name = parsed.get("ModelName", "")
        if http_response.status_code < 300 and name in self.network_isolation:
            parsed["EnableNetworkIsolation"] = self.network_isolation[name]

    # endpoints ----------------------------------------------------------------------------
    def _on_create_endpoint(self, http_response: Any, context: dict[str, Any],
                            **_: Any) -> None:
        if http_response.status_code >= 300 or _PARAMS not in context:
            return
        request = context[_PARAMS]
        name = request["EndpointName"]
        endpoint = LocalEndpoint(name, request["EndpointConfigName"],
                                 self.workdir / "endpoints" / name, pace=self.pace,
                                 clock=self.clock)
        with self._lock:
            self.endpoints[name] = endpoint
        endpoint.start(self._sagemaker, self._s3)

    def _observe_endpoint(self, context: dict[str, Any], **_: Any) -> None:
        """DescribeEndpoint observes the walk before moto answers: a walk that has ended is
        deleted from moto first, so moto answers "Could not find endpoint"."""
        if self._is_internal():
            return
        name = context.get(_PARAMS, {}).get("EndpointName", "")
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            return
        state = endpoint.observe()
        if state == GONE:
            self._delete_from_moto(name)
        else:
            context[_OBSERVED] = state

    def _on_describe_endpoint(self, http_response: Any, parsed: dict[str, Any],
                              context: dict[str, Any], **_: Any) -> None:
        endpoint = self.endpoints.get(parsed.get("EndpointName", ""))
        if http_response.status_code < 300 and endpoint is not None:
            endpoint.overlay(parsed, context.get(_OBSERVED))
    def _delete_from_moto(self, name: str) -> None:
        """The end of a ``Deleting`` walk: forget the endpoint and delete moto's record."""
        with self._gone_lock:  # until moto forgot it too: no Describe may still find it
            endpoint = self.endpoints.pop(name, None)
            if endpoint is None:
                return
            self._internal.active = True
            try:
                self._sagemaker.delete_endpoint(EndpointName=name)
            except ClientError:
                pass  # already gone from moto
            finally:
                self._internal.active = False
            endpoint.join(60)
            endpoint.discard()

    def _is_internal(self) -> bool:
        return bool(getattr(self._internal, "active", False))

    # lists --------------------------------------------------------------------------------
    def _prepare_list(self, params: dict[str, Any], context: dict[str, Any],
                      event_name: str = "", **_: Any) -> None:
        if not self._is_internal():
            context[_QUERY] = listing.prepare(event_name.rsplit(".", 1)[-1], params)

    def _refuse_bad_list(self, context: dict[str, Any], **_: Any) -> Any:
        query = context.get(_QUERY)
        if query is None or query.error is None:
            return None
        return wire.parsed_error(HANDLED_URL, 400, "ValidationException", query.error)

    def _on_list(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any],
                 **_: Any) -> None:
        """Overlay each listed resource with its observed state (a List is an observation),
        drop endpoints whose ``Deleting`` walk ended, then cut the caller's page."""
        query = context.get(_QUERY)
        if query is None or http_response.status_code >= 300:
            return
        items = []
        for item in parsed.get(query.result_key, []):
            if query.operation == "ListEndpoints" and item["EndpointName"] in self.endpoints:
                state = self.endpoints[item["EndpointName"]].observe()
                if state == GONE:
                    self._delete_from_moto(item["EndpointName"])
                    continue
                item["EndpointStatus"] = state
            elif query.operation == "ListTrainingJobs" and item["TrainingJobName"] in self.jobs:
                self.jobs[item["TrainingJobName"]].summary_overlay(item)
            items.append(item)
        parsed[query.result_key], token = listing.page(query, items)
        if token:
            parsed["NextToken"] = token
        else:
            parsed.pop("NextToken", None)

    def endpoint(self, name: str) -> LocalEndpoint | None:
        """The local state of endpoint ``name`` (tests and benchmarks use its container)."""
        return self.endpoints.get(name)

    def job(self, name: str) -> LocalTrainingJob | None:
        """The local state of training job ``name`` (its log, its ``/opt/ml`` tree)."""
        return self.jobs.get(name)
