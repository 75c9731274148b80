"""State of the emulated Watson OpenScale: one backend, id-keyed dicts per resource type.

Resources are the documents the API returns (``{"metadata", "entity"}``); records live in a
:class:`~.records.RecordStore` (SQLite). Secrets posted with a service provider are kept apart
in ``credentials`` and replaced by ``{"secret_id"}`` in every document, so no reply can echo
them. Every operation runs under one lock: the loopback server is threaded.

Nothing is instantly ready (sources in :mod:`.lifecycles`): subscriptions and monitor instances
are ``preparing``, data sets appear after their subscription, records are counted after a delay,
runs are ``running`` first. :meth:`OpenScaleBackend.get` and :meth:`~OpenScaleBackend.list` are
what the API reads (each read is an observation that moves an ``instant`` walk on); the
emulator's own checks use ``_doc``/``_docs`` and never move a walk.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mlmonitor_lib.emulators.openscale import payloads
from mlmonitor_lib.emulators.openscale.definitions import (
    COMPUTED,
    QUALITY,
    monitor_definitions,
    quality_metric_ids,
)
from mlmonitor_lib.emulators.openscale.discovery import (
    LISTED_STATES,
    SageMakerFactory,
    list_deployments,
)
from mlmonitor_lib.emulators.openscale.evaluation import Scorer, evaluate
from mlmonitor_lib.emulators.openscale.exceptions import (
    BadRequest,
    Conflict,
    DeploymentNotReported,
    NotEmulated,
    ProviderUnreachable,
    ResourceNotFound,
)
from mlmonitor_lib.emulators.openscale.lifecycles import (
    ACTIVE,
    HIDDEN,
    LAGGING,
    PREPARING,
    RUNNING,
    VISIBLE,
    WAITING,
    Delays,
    Lifecycles,
)
from mlmonitor_lib.emulators.openscale.quality import violations
from mlmonitor_lib.emulators.openscale.records import RecordStore
from mlmonitor_lib.emulators.openscale.scoring import ScoringFailed, score
from mlmonitor_lib.emulators.pace import Pace

DEFAULT_INSTANCE_ID = "7b2d4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f"
CP4D_INSTANCE_ID = "00000000-0000-0000-0000-000000000000"
DEFAULT_MIN_FEEDBACK = 100
SAGEMAKER = "amazon_sagemaker"  # ServiceTypes.AMAZON_SAGEMAKER
ACCOUNT = "e1a7ed0ea5c0ffee0123456789abcdef"  # the emulated IBM Cloud account in CRNs
KINDS = ("data_marts", "service_providers", "subscriptions", "data_sets", "monitor_instances")


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def crn(instance_id: str, kind: str, resource_id: str) -> str:
    """A resource's CRN in the recorded form ``crn:v1:bluemix:public:aiopenscale:us-south:
    a/<account>:<instance>:<kind>:<id>`` (the service instance's own ends ``::``)."""
    return f"crn:v1:bluemix:public:aiopenscale:us-south:a/{ACCOUNT}:{instance_id}:{kind}:" \
        f"{resource_id}"


def get_path(doc: dict[str, Any], dotted: str) -> Any:
    """``entity``'s value at a dotted path (``target.target_id``), ``None`` if absent."""
    node: Any = doc["entity"]
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


class OpenScaleBackend:
    """Everything one emulated OpenScale service holds; ``reset()`` empties it.

    ``pace`` (default: ``MLMONITOR_PACE``) drives every state machine; ``delays`` are the real
    service's seconds per state; ``clock`` is injectable so tests of the realistic pace never
    sleep.

    ``sagemaker`` makes a SageMaker client from a provider's posted credentials (the world
    gives :func:`~.discovery.sagemaker_from_session` of its session): OpenScale itself calls
    SageMaker to list a provider's deployments. ``listed_states`` are the endpoint states
    listed (see :mod:`.discovery` for why only ``InService`` by default).
    """

    def __init__(
        self,
        db_path: str = ":memory:",
        pace: Pace | None = None,
        instance_ids: tuple[str, ...] = (DEFAULT_INSTANCE_ID, CP4D_INSTANCE_ID),
        plan_name: str = "standard",
        *,
        delays: Delays | None = None,
        clock: Callable[[], float] = time.monotonic,
        sagemaker: SageMakerFactory | None = None,
        listed_states: tuple[str, ...] = LISTED_STATES,
    ) -> None:
        self.sagemaker = sagemaker
        self.listed_states = tuple(listed_states)
        self.instance_ids = tuple(instance_ids)
        self.plan_name = plan_name
        self.records = RecordStore(db_path)
        self.definitions = monitor_definitions()
        self.lifecycles = Lifecycles(pace or Pace.from_env(), delays or Delays(), clock)
        self._lock = threading.RLock()
        self.reset()

    @property
    def pace(self) -> Pace:
        return self.lifecycles.pace

    def reset(self) -> None:
        with self._lock:
            self.resources: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
            self.credentials: dict[str, dict[str, Any]] = {}  # secret_id -> what was posted
            self.requests: dict[str, dict[str, Any]] = {}  # records request id -> its rows
            self.runs: dict[str, dict[str, dict[str, Any]]] = {}  # instance id -> run id -> run
            self.measurements: dict[str, list[dict[str, Any]]] = {}  # instance id -> list
            self.records.reset()
            self.lifecycles.reset()

    # generic resource handling -----------------------------------------------------------
    def _create(self, kind: str, entity: dict[str, Any], state: str = "active",
                rid: str | None = None) -> dict[str, Any]:
        rid = rid or str(uuid.uuid4())
        stamp = now()
        doc = {
            "metadata": {
                "id": rid,
                "crn": crn(self._instance_of(entity), kind.rstrip("s"), rid),
                "url": f"/v2/{kind}/{rid}",
                "created_at": stamp,
                "created_by": "emulator",
                "modified_at": stamp,
                "modified_by": "emulator",
            },
            "entity": {**entity, "status": {"state": state}},
        }
        with self._lock:
            self.resources[kind][rid] = doc
        return doc

    def _instance_of(self, entity: dict[str, Any]) -> str:
        """The service instance a resource belongs to: its data mart's id is the instance's
        (as in every recorded CRN), else the default instance."""
        return str(entity.get("data_mart_id") or self.instance_ids[0])

    def _doc(self, kind: str, rid: str, *, shown: bool = False) -> dict[str, Any]:
        """The stored document; with ``shown``, 404 also for a data set still being created."""
        with self._lock:
            doc = self.resources[kind].get(rid)
        if doc is None or (shown and self._hidden(rid)):
            raise ResourceNotFound(kind.rstrip("s").replace("_", " "), rid)
        return doc

    def _hidden(self, rid: str) -> bool:
        return self.lifecycles.peek(rid) in (WAITING, HIDDEN)

    def _docs(self, kind: str, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Stored documents matching every filter (a value may be a comma-separated list)."""
        wanted = {k: set(v.split(",")) for k, v in (filters or {}).items() if v}
        with self._lock:
            docs = list(self.resources[kind].values())
        return [d for d in docs if all(str(get_path(d, k)) in v for k, v in wanted.items())]

    def _view(self, doc: dict[str, Any], observe: bool = True) -> dict[str, Any] | None:
        """The document as a read sees it now: its current state, or ``None`` while a data set
        is still being created. ``observe`` counts the read (an API read does)."""
        rid = doc["metadata"]["id"]
        state = self.lifecycles.observe(rid) if observe else self.lifecycles.peek(rid)
        if state is None:
            return doc
        if state in (WAITING, HIDDEN):
            return None
        entity = doc["entity"]
        return {**doc, "entity": {**entity, "status": {**entity["status"], "state": state}}}

    def get(self, kind: str, rid: str) -> dict[str, Any]:
        """What ``GET /v2/<kind>/<id>`` answers (an observation)."""
        found = self._view(self._doc(kind, rid))
        if found is None:
            raise ResourceNotFound(kind.rstrip("s").replace("_", " "), rid)
        return found

    def list(self, kind: str, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """What ``GET /v2/<kind>`` answers: one observation of every matching document."""
        return [v for v in (self._view(d) for d in self._docs(kind, filters)) if v is not None]

    def delete(self, kind: str, rid: str) -> dict[str, Any]:
        """Delete a document and the secrets it refers to: a posted credential must not
        outlive the provider or subscription it was given for."""
        doc = self._doc(kind, rid, shown=True)
        if kind == "data_sets":  # its records and pending requests go with it
            self._delete_data_set(doc)
            return doc
        return self._remove(kind, doc)

    def _remove(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        rid = doc["metadata"]["id"]
        with self._lock:
            self.resources[kind].pop(rid, None)
            for secret_id in _secret_ids(doc):
                self.credentials.pop(secret_id, None)
        self.lifecycles.forget(rid)
        return doc

    def _secret(self, value: dict[str, Any] | None) -> dict[str, str] | None:
        """Keep a posted secret; what documents carry instead of it."""
        if not value:
            return None
        secret_id = str(uuid.uuid4())
        with self._lock:
            self.credentials[secret_id] = dict(value)
        return {"secret_id": secret_id}

    # entitlements and definitions --------------------------------------------------------
    def entitlements(self) -> dict[str, Any]:
        instances = [
            {"id": i, "name": f"openscale-{i[:8]}", "plan_name": self.plan_name}
            for i in self.instance_ids
        ]
        return {"entitlements": {"ai_openscale": instances}}

    def get_monitor_definition(self, def_id: str) -> dict[str, Any]:
        if def_id not in self.definitions:
            raise ResourceNotFound("monitor definition", def_id)
        return self.definitions[def_id]

    # data marts --------------------------------------------------------------------------
    def add_data_mart(self, body: dict[str, Any], instance_id: str | None = None
                      ) -> dict[str, Any]:
        """The instance's one data mart; its id is the service instance's id, as in IBM's
        SageMaker notebook (data mart ``80e6093f-...`` of instance ``80e6093f-...``)."""
        if self._docs("data_marts"):
            raise Conflict("A data mart already exists for this service instance.")
        instance_id = instance_id or self.instance_ids[0]
        entity = {k: v for k, v in body.items() if k != "database_configuration"}
        entity["service_instance_crn"] = crn(instance_id, "", "")
        entity.setdefault("internal_database", True)
        config = body.get("database_configuration")
        if config:
            entity["database_configuration"] = {
                **{k: v for k, v in config.items() if k != "credentials"},
                "credentials": self._secret(config.get("credentials")),
            }
        doc = self._create("data_marts", {**entity, "data_mart_id": instance_id}, rid=instance_id)
        del doc["entity"]["data_mart_id"]
        if not config and entity["internal_database"]:
            # the internal database as data_marts.get shows it in IBM's SageMaker notebook
            doc["entity"]["database_configuration"] = {
                "database_type": "postgresql",
                "credentials": {"secret_id": str(uuid.uuid4())},
                "location": {"schema_name": doc["metadata"]["id"]},
            }
        return doc

    # service providers -------------------------------------------------------------------
    def add_service_provider(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if not name or not body.get("service_type"):
            raise BadRequest("A service provider needs a name and a service_type.")
        if any(get_path(d, "name") == name for d in self._docs("service_providers")):
            raise Conflict(f"Service provider name '{name}' is already in use.")
        entity = {k: v for k, v in body.items() if k != "credentials"}
        entity["credentials"] = self._secret(body.get("credentials")) or {"secret_id": ""}
        return self._create("service_providers", entity)

    def list_ml_deployments(self, provider_id: str, data_mart_id: str) -> dict[str, Any]:
        """What ``GET /v1/ml_instances/<provider>/deployments`` answers: the deployments the
        provider's engine holds, asked with the provider's own credentials."""
        self._doc("data_marts", data_mart_id)
        provider = self._doc("service_providers", provider_id)
        if get_path(provider, "service_type") != SAGEMAKER:
            raise NotEmulated(f"deployment discovery for '{get_path(provider, 'service_type')}'"
                              " service providers (only amazon_sagemaker)")
        if self.sagemaker is None:
            raise NotEmulated("SageMaker here: the world gave this backend no SageMaker to ask")
        from botocore.exceptions import BotoCoreError, ClientError

        with self._lock:
            credentials = dict(self.credentials.get(
                (get_path(provider, "credentials") or {}).get("secret_id", ""), {}))
        try:
            found = list_deployments(self.sagemaker(credentials), self.listed_states)
        except ClientError as exc:
            raise ProviderUnreachable(provider_id, str(exc)) from None
        except BotoCoreError as exc:
            raise ProviderUnreachable(provider_id, str(exc)) from None
        return {"resources": found, "count": len(found)}

    # subscriptions -----------------------------------------------------------------------
    def add_subscription(self, body: dict[str, Any]) -> dict[str, Any]:
        """A ``preparing`` subscription; its payload logging and feedback data sets appear
        once it is active and some seconds have passed (OpenScale creates them itself).

        For a SageMaker provider the deployment must be one the provider reports (asked at
        once, as the listing is): IBM's flow subscribes only to discovered deployments."""
        self._doc("data_marts", body.get("data_mart_id") or "")
        provider = self._doc("service_providers", body.get("service_provider_id") or "")
        for required in ("asset", "deployment"):
            if not body.get(required):
                raise BadRequest(f"A subscription needs '{required}'.")
        if get_path(provider, "service_type") == SAGEMAKER:
            self._check_reported(body, provider["metadata"]["id"])
        entity = payloads.scrub_subscription(body, self._secret)
        properties = entity["asset_properties"]
        if not properties.get("output_data_schema"):
            properties["output_data_schema"] = payloads.initial_output_schema()
        doc = self._create("subscriptions", entity, PREPARING)
        delays = self.lifecycles.delays
        walk = self.lifecycles.start(
            doc["metadata"]["id"], [(PREPARING, delays.subscription_preparing_s)], ACTIVE
        )
        for data_set_type, seconds in (
            ("payload_logging", delays.payload_data_set_s),
            ("feedback", delays.feedback_data_set_s),
        ):
            data_set = self._create("data_sets", payloads.data_set_entity(doc, data_set_type))
            self.lifecycles.start(data_set["metadata"]["id"], [(HIDDEN, seconds)], ACTIVE,
                                  after=walk)
        return self._view(doc, observe=False) or doc

    def _check_reported(self, body: dict[str, Any], provider_id: str) -> None:
        deployment_id = str((body.get("deployment") or {}).get("deployment_id") or "")
        listing = self.list_ml_deployments(provider_id, body["data_mart_id"])
        if deployment_id not in {r["metadata"]["guid"] for r in listing["resources"]}:
            raise DeploymentNotReported(deployment_id, provider_id)

    def delete_subscription(self, rid: str) -> dict[str, Any]:
        """Delete a subscription with its data sets (and records) and monitor instances."""
        doc = self.delete("subscriptions", rid)
        for data_set in self._docs("data_sets", {"target.target_id": rid}):
            self._delete_data_set(data_set)
        for instance in self._docs("monitor_instances", {"target.target_id": rid}):
            self.delete_monitor_instance(instance["metadata"]["id"])
        return doc

    def _delete_data_set(self, data_set: dict[str, Any]) -> None:
        data_set_id = data_set["metadata"]["id"]
        self._remove("data_sets", data_set)
        self.records.delete(data_set_id)
        with self._lock:
            gone = [r for r, req in self.requests.items() if req["data_set_id"] == data_set_id]
            for request_id in gone:
                del self.requests[request_id]
        self.lifecycles.forget(*gone, *(f"{r}/count" for r in gone))

    # records -----------------------------------------------------------------------------
    def add_records(self, data_set_id: str, body: Any) -> str:
        """Accept records; the id of the request whose status says when they are stored.

        The request is ``preparing``, then ``active``; its records are counted (and listed,
        and evaluated) only a delay after that: the real service counts them asynchronously.
        """
        data_set = self._doc("data_sets", data_set_id, shown=True)
        subscription = self._doc("subscriptions", data_set["entity"]["target"]["target_id"])
        rows = payloads.rows(body, data_set["entity"]["type"], subscription["entity"])
        stored, first, last = self.records.stage(data_set_id, rows)
        if data_set["entity"]["type"] == "payload_logging" and rows:
            with self._lock:
                payloads.learn_output_schema(subscription["entity"], json.loads(rows[0][-1]))
        request_id = str(uuid.uuid4())
        with self._lock:
            self.requests[request_id] = {
                "data_set_id": data_set_id, "records": stored, "seq": [first, last],
                "counted": False,
            }
        delays = self.lifecycles.delays
        walk = self.lifecycles.start(request_id, [(PREPARING, delays.records_request_s)], ACTIVE)
        self.lifecycles.start(f"{request_id}/count", [(LAGGING, delays.records_count_lag_s)],
                              VISIBLE, after=walk)
        return request_id

    def get_request(self, data_set_id: str, request_id: str) -> dict[str, Any]:
        self._doc("data_sets", data_set_id, shown=True)
        with self._lock:
            known = request_id in self.requests
        if not known:
            raise ResourceNotFound("records request", request_id)
        return {"state": self.lifecycles.observe(request_id) or ACTIVE}

    def list_records(
        self, data_set_id: str, limit: int, offset: int, total: bool
    ) -> dict[str, Any]:
        """A page of the counted records (a read: it observes the pending requests)."""
        self._doc("data_sets", data_set_id, shown=True)
        self._count_stored(data_set_id, observe=True)
        reply: dict[str, Any] = {"records": self.records.page(data_set_id, limit, offset)}
        if total:
            reply["total_count"] = self.records.count(data_set_id)
        return reply

    def _count_stored(self, data_set_id: str, observe: bool) -> None:
        """Reveal the rows of every request of the data set whose count delay has passed."""
        with self._lock:
            pending = [(r, req) for r, req in self.requests.items()
                       if req["data_set_id"] == data_set_id and not req["counted"]]
        for request_id, request in pending:
            key = f"{request_id}/count"
            state = self.lifecycles.observe(key) if observe else self.lifecycles.peek(key)
            if state in (None, VISIBLE):
                self.records.reveal(*request["seq"])
                request["counted"] = True

    # monitor instances -------------------------------------------------------------------
    def add_monitor_instance(self, body: dict[str, Any]) -> dict[str, Any]:
        def_id = body.get("monitor_definition_id") or ""
        self.get_monitor_definition(def_id)
        if def_id not in COMPUTED:
            raise NotEmulated(f"'{def_id}' monitors (their metrics are not computed here, so "
                              "an instance would never measure anything)")
        target = body.get("target") or {}
        problem = None
        if target.get("target_type") == "subscription":
            subscription = self._doc("subscriptions", target.get("target_id") or "")
            problem = get_path(subscription, "asset.problem_type")
        if def_id == QUALITY and problem not in ("binary", "multiclass"):
            raise NotEmulated(f"quality monitors of '{problem}' models (binary and multiclass "
                              "classification only)")
        filters = {"monitor_definition_id": def_id, "target.target_id": target.get("target_id")}
        if self._docs("monitor_instances", filters):
            raise Conflict(
                f"A '{def_id}' monitor instance already exists for target "
                f"'{target.get('target_id')}'."
            )
        self._check_thresholds(def_id, body.get("thresholds") or [], problem)
        entity = {
            k: body[k]
            for k in (
                "data_mart_id",
                "monitor_definition_id",
                "target",
                "parameters",
                "thresholds",
                "schedule",
                "managed_by",
            )
            if body.get(k) is not None
        }
        entity.setdefault("parameters", {})
        entity.setdefault("thresholds", [])
        doc = self._create("monitor_instances", entity, PREPARING)
        seconds = self.lifecycles.delays.monitor_preparing_s
        self.lifecycles.start(doc["metadata"]["id"], [(PREPARING, seconds)], ACTIVE)
        return self._view(doc, observe=False) or doc

    def _check_thresholds(self, def_id: str, thresholds: list[dict[str, Any]],
                          problem: str | None) -> None:
        """Refuse thresholds on metrics the monitor does not compute for the model's problem
        type: they would never fire."""
        if def_id == QUALITY and problem:
            known = quality_metric_ids(problem)
        else:
            known = [m["id"] for m in self.definitions[def_id]["entity"]["metrics"]]
        for threshold in thresholds:
            if threshold.get("metric_id") not in known:
                raise BadRequest(
                    f"Metric '{threshold.get('metric_id')}' is not a metric of monitor "
                    f"'{def_id}' for {problem or 'this'} models; known metrics: "
                    f"{', '.join(known)}."
                )
            if threshold.get("type") not in ("lower_limit", "upper_limit"):
                raise BadRequest(
                    f"Threshold type '{threshold.get('type')}' is not lower_limit or upper_limit."
                )

    def patch_monitor_instance(self, rid: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """JSON-patch ``replace``/``add`` of top-level entity fields (thresholds, parameters)."""
        doc = self._doc("monitor_instances", rid)
        with self._lock:
            for op in operations:
                field = str(op.get("path", "")).strip("/")
                if op.get("op") not in ("replace", "add") or "/" in field or not field:
                    raise BadRequest(f"Unsupported patch operation {op!r}.")
                if field == "thresholds":
                    self._check_thresholds(doc["entity"]["monitor_definition_id"], op["value"],
                                           self._problem_type(doc))
                doc["entity"][field] = op.get("value")
            doc["metadata"]["modified_at"] = now()
        return self._view(doc, observe=False) or doc

    def delete_monitor_instance(self, rid: str) -> dict[str, Any]:
        doc = self.delete("monitor_instances", rid)
        with self._lock:
            runs = self.runs.pop(rid, {})
            self.measurements.pop(rid, None)
        self.lifecycles.forget(*runs)
        return doc

    # runs and measurements ---------------------------------------------------------------
    def add_run(self, instance_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Run a monitor: ``running``, then ``finished`` (or ``error``). A quality run computes
        its metrics from the feedback records counted when it starts; its measurement is
        listed once the run has finished."""
        instance = self._doc("monitor_instances", instance_id)
        run_id = str(uuid.uuid4())
        started = now()
        status: dict[str, Any] = {"state": "finished", "queued_at": started, "started_at": started}
        if instance["entity"]["monitor_definition_id"] == QUALITY:
            status.update(self._quality_run(instance, run_id))
        status["completed_at"] = status["updated_at"] = now()
        run = {
            "metadata": {
                "id": run_id,
                "url": f"/v2/monitor_instances/{instance_id}/runs/{run_id}",
                "created_at": started,
            },
            "entity": {
                "triggered_by": body.get("triggered_by", "user"),
                "parameters": body.get("parameters") or {},
                "status": status,
            },
        }
        with self._lock:
            self.runs.setdefault(instance_id, {})[run_id] = run
        self.lifecycles.start(run_id, [(RUNNING, self.lifecycles.delays.run_s)], status["state"])
        return self._run_view(run, observe=False)

    def _run_view(self, run: dict[str, Any], observe: bool = True) -> dict[str, Any]:
        """A run as a read sees it: while ``running`` without its outcome."""
        run_id = run["metadata"]["id"]
        state = self.lifecycles.observe(run_id) if observe else self.lifecycles.peek(run_id)
        if state != RUNNING:
            return run
        status = run["entity"]["status"]
        running = {"state": RUNNING, "queued_at": status["queued_at"],
                   "started_at": status["started_at"]}
        return {**run, "entity": {**run["entity"], "status": running}}

    def _quality_run(self, instance: dict[str, Any], run_id: str) -> dict[str, Any]:
        """Status fields of a quality run: finished with a measurement, or error with why."""
        subscription_id = instance["entity"]["target"]["target_id"]
        wanted = {"type": "feedback", "target.target_id": subscription_id}
        feedback = self._docs("data_sets", wanted)
        if not feedback:
            return payloads.run_error(
                "AIQQS0001E",
                f"Subscription '{subscription_id}' has no "
                "feedback data set: create the subscription again.",
            )
        data_set_id = feedback[0]["metadata"]["id"]
        self._count_stored(data_set_id, observe=False)
        labelled = self.records.labelled(data_set_id)
        minimum = int(
            instance["entity"]["parameters"].get("min_feedback_data_size", DEFAULT_MIN_FEEDBACK)
        )
        if labelled < minimum:
            return payloads.run_error(
                "AIQQS0013E", payloads.not_enough_feedback(labelled, minimum, data_set_id)
            )
        subscription = self._doc("subscriptions", subscription_id)
        try:
            result = evaluate(self.records, data_set_id, subscription,
                              self._scorer(subscription))
        except (ScoringFailed, ValueError) as exc:
            # no public code for this failure: AIQQS0015E is the emulator's
            return payloads.run_error("AIQQS0015E", f"The quality evaluation failed: {exc}.")
        breaches = violations(result.metrics, instance["entity"]["thresholds"])
        measurement = payloads.measurement(instance, run_id, result, breaches, now())
        with self._lock:
            self.measurements.setdefault(instance["metadata"]["id"], []).append(measurement)
        return {"message": payloads.run_message(result.records, breaches), "violations": breaches}

    def _scorer(self, subscription: dict[str, Any]) -> Scorer | None:
        """How OpenScale scores feedback without predictions: on the SageMaker endpoint, with
        the provider's keys (``None`` for other providers: not emulated)."""
        provider = self._doc("service_providers", get_path(subscription, "service_provider_id"))
        if get_path(provider, "service_type") != SAGEMAKER or self.sagemaker is None:
            return None
        with self._lock:
            credentials = dict(self.credentials.get(
                (get_path(provider, "credentials") or {}).get("secret_id", ""), {}))
        deployment = get_path(subscription, "deployment") or {}
        endpoint = (deployment.get("scoring_endpoint") or {}).get("url") or deployment.get("name")
        properties = get_path(subscription, "asset_properties") or {}
        factory = self.sagemaker

        def scorer(records: Any) -> list[tuple[Any, Any]]:
            return score(factory(credentials, "sagemaker-runtime"), endpoint, records, properties)

        return scorer

    def _problem_type(self, instance: dict[str, Any]) -> str | None:
        target = get_path(instance, "target") or {}
        if target.get("target_type") != "subscription":
            return None
        with self._lock:
            subscription = self.resources["subscriptions"].get(target.get("target_id"))
        return get_path(subscription, "asset.problem_type") if subscription else None

    def get_run(self, instance_id: str, run_id: str) -> dict[str, Any]:
        self._doc("monitor_instances", instance_id)
        with self._lock:
            run = self.runs.get(instance_id, {}).get(run_id)
        if run is None:
            raise ResourceNotFound("monitoring run", run_id)
        return self._run_view(run)

    def list_runs(self, instance_id: str) -> list[dict[str, Any]]:
        self._doc("monitor_instances", instance_id)
        with self._lock:
            runs = list(self.runs.get(instance_id, {}).values())
        return [self._run_view(run) for run in runs]

    def list_measurements(
        self,
        instance_id: str,
        start: datetime | None,
        end: datetime | None,
        run_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Measurements of finished runs of an instance taken in ``[start, end]``, optionally
        of some runs only."""
        self._doc("monitor_instances", instance_id)
        run_ids = set(run_id.split(",")) if run_id else None
        with self._lock:
            found = list(self.measurements.get(instance_id, []))
        return [
            m
            for m in found
            if payloads.in_window(m, start, end)
            and (run_ids is None or m["entity"]["run_id"] in run_ids)
            and self.lifecycles.done(m["entity"]["run_id"])
        ]

    def get_measurement(self, instance_id: str, measurement_id: str) -> dict[str, Any]:
        """One measurement with its sources (the confusion matrix of a quality run)."""
        for found in self.list_measurements(instance_id, None, None):
            if found["metadata"]["id"] == measurement_id:
                return found
        raise ResourceNotFound("measurement", measurement_id)


def _secret_ids(value: Any) -> list[str]:
    """Every ``secret_id`` anywhere in a document."""
    if isinstance(value, dict):
        found = [str(value["secret_id"])] if value.get("secret_id") else []
        return found + [s for v in value.values() for s in _secret_ids(v)]
    if isinstance(value, list):
        return [s for v in value for s in _secret_ids(v)]
    return []
