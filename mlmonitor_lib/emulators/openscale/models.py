"""State of the emulated Watson OpenScale: one backend, id-keyed dicts per resource type.

Resources are the documents the API returns (``{"metadata", "entity"}``); records live in a
:class:`~.records.RecordStore` (SQLite). Secrets posted with a service provider are kept apart
in ``credentials`` and replaced by ``{"secret_id"}`` in every document, so no reply can echo
them. Every operation runs under one lock: the loopback server is threaded.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from mlmonitor_lib.emulators.openscale import payloads
from mlmonitor_lib.emulators.openscale.definitions import QUALITY, monitor_definitions
from mlmonitor_lib.emulators.openscale.exceptions import BadRequest, Conflict, ResourceNotFound
from mlmonitor_lib.emulators.openscale.quality import quality_from_counts, violations
from mlmonitor_lib.emulators.openscale.records import RecordStore

DEFAULT_INSTANCE_ID = "7b2d4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f"
CP4D_INSTANCE_ID = "00000000-0000-0000-0000-000000000000"
DEFAULT_MIN_FEEDBACK = 100
KINDS = ("data_marts", "service_providers", "subscriptions", "data_sets", "monitor_instances")


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def get_path(doc: dict[str, Any], dotted: str) -> Any:
    """``entity``'s value at a dotted path (``target.target_id``), ``None`` if absent."""
    node: Any = doc["entity"]
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


class OpenScaleBackend:
    """Everything one emulated OpenScale service holds; ``reset()`` empties it."""

    def __init__(
        self,
        db_path: str = ":memory:",
        instance_ids: tuple[str, ...] = (DEFAULT_INSTANCE_ID, CP4D_INSTANCE_ID),
        plan_name: str = "standard",
    ) -> None:
        self.instance_ids = tuple(instance_ids)
        self.plan_name = plan_name
        self.records = RecordStore(db_path)
        self.definitions = monitor_definitions()
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.resources: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
            self.credentials: dict[str, dict[str, Any]] = {}  # secret_id -> what was posted
            self.requests: dict[str, dict[str, Any]] = {}  # records request id -> status
            self.runs: dict[str, dict[str, dict[str, Any]]] = {}  # instance id -> run id -> run
            self.measurements: dict[str, list[dict[str, Any]]] = {}  # instance id -> list
            self.records.reset()

    # generic resource handling -----------------------------------------------------------
    def _create(self, kind: str, entity: dict[str, Any], state: str = "active") -> dict[str, Any]:
        rid = str(uuid.uuid4())
        stamp = now()
        doc = {
            "metadata": {
                "id": rid,
                "url": f"/v2/{kind}/{rid}",
                "created_at": stamp,
                "modified_at": stamp,
                "created_by": "emulator",
            },
            "entity": {**entity, "status": {"state": state}},
        }
        with self._lock:
            self.resources[kind][rid] = doc
        return doc

    def get(self, kind: str, rid: str) -> dict[str, Any]:
        with self._lock:
            doc = self.resources[kind].get(rid)
        if doc is None:
            raise ResourceNotFound(kind.rstrip("s").replace("_", " "), rid)
        return doc

    def list(self, kind: str, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Documents matching every filter; a filter value may be a comma-separated list."""
        wanted = {k: set(v.split(",")) for k, v in (filters or {}).items() if v}
        with self._lock:
            docs = list(self.resources[kind].values())
        return [d for d in docs if all(str(get_path(d, k)) in v for k, v in wanted.items())]

    def delete(self, kind: str, rid: str) -> dict[str, Any]:
        """Delete a document and the secrets it refers to: a posted credential must not
        outlive the provider or subscription it was given for."""
        doc = self.get(kind, rid)
        with self._lock:
            self.resources[kind].pop(rid, None)
            for secret_id in _secret_ids(doc):
                self.credentials.pop(secret_id, None)
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
    def add_data_mart(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.list("data_marts"):
            raise Conflict("A data mart already exists for this service instance.")
        entity = {k: v for k, v in body.items() if k != "database_configuration"}
        entity.setdefault("internal_database", True)
        config = body.get("database_configuration")
        if config:
            entity["database_configuration"] = {
                **{k: v for k, v in config.items() if k != "credentials"},
                "credentials": self._secret(config.get("credentials")),
            }
        return self._create("data_marts", entity)

    # service providers -------------------------------------------------------------------
    def add_service_provider(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if not name or not body.get("service_type"):
            raise BadRequest("A service provider needs a name and a service_type.")
        if any(get_path(d, "name") == name for d in self.list("service_providers")):
            raise Conflict(f"Service provider name '{name}' is already in use.")
        entity = {k: v for k, v in body.items() if k != "credentials"}
        entity["credentials"] = self._secret(body.get("credentials")) or {"secret_id": ""}
        return self._create("service_providers", entity)

    # subscriptions -----------------------------------------------------------------------
    def add_subscription(self, body: dict[str, Any]) -> dict[str, Any]:
        self.get("data_marts", body.get("data_mart_id") or "")
        self.get("service_providers", body.get("service_provider_id") or "")
        for required in ("asset", "deployment"):
            if not body.get(required):
                raise BadRequest(f"A subscription needs '{required}'.")
        entity = payloads.scrub_subscription(body, self._secret)
        doc = self._create("subscriptions", entity)
        for data_set_type in ("payload_logging", "feedback"):
            self._create("data_sets", payloads.data_set_entity(doc, data_set_type))
        return doc

    def delete_subscription(self, rid: str) -> dict[str, Any]:
        """Delete a subscription with its data sets (and records) and monitor instances."""
        doc = self.delete("subscriptions", rid)
        for data_set in self.list("data_sets", {"target.target_id": rid}):
            self.delete("data_sets", data_set["metadata"]["id"])
            self.records.delete(data_set["metadata"]["id"])
        for instance in self.list("monitor_instances", {"target.target_id": rid}):
            self.delete_monitor_instance(instance["metadata"]["id"])
        return doc

    # records -----------------------------------------------------------------------------
    def add_records(self, data_set_id: str, body: Any) -> str:
        """Store records synchronously; the id of the request whose status says so."""
        data_set = self.get("data_sets", data_set_id)
        subscription = self.get("subscriptions", data_set["entity"]["target"]["target_id"])
        rows = payloads.rows(body, data_set["entity"]["type"], subscription["entity"])
        stored = self.records.append(data_set_id, rows)
        request_id = str(uuid.uuid4())
        with self._lock:
            self.requests[request_id] = {"state": "active", "records": stored}
        return request_id

    def get_request(self, data_set_id: str, request_id: str) -> dict[str, Any]:
        self.get("data_sets", data_set_id)
        with self._lock:
            status = self.requests.get(request_id)
        if status is None:
            raise ResourceNotFound("records request", request_id)
        return {"state": status["state"]}

    def list_records(
        self, data_set_id: str, limit: int, offset: int, total: bool
    ) -> dict[str, Any]:
        self.get("data_sets", data_set_id)
        reply: dict[str, Any] = {"records": self.records.page(data_set_id, limit, offset)}
        if total:
            reply["total_count"] = self.records.count(data_set_id)
        return reply

    # monitor instances -------------------------------------------------------------------
    def add_monitor_instance(self, body: dict[str, Any]) -> dict[str, Any]:
        def_id = body.get("monitor_definition_id") or ""
        self.get_monitor_definition(def_id)
        target = body.get("target") or {}
        if target.get("target_type") == "subscription":
            self.get("subscriptions", target.get("target_id") or "")
        filters = {"monitor_definition_id": def_id, "target.target_id": target.get("target_id")}
        if self.list("monitor_instances", filters):
            raise Conflict(
                f"A '{def_id}' monitor instance already exists for target "
                f"'{target.get('target_id')}'."
            )
        self._check_thresholds(def_id, body.get("thresholds") or [])
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
        return self._create("monitor_instances", entity)

    def _check_thresholds(self, def_id: str, thresholds: list[dict[str, Any]]) -> None:
        """Refuse thresholds on metrics the monitor does not compute: they would never fire."""
        known = [m["id"] for m in self.definitions[def_id]["entity"]["metrics"]]
        for threshold in thresholds:
            if threshold.get("metric_id") not in known:
                raise BadRequest(
                    f"Metric '{threshold.get('metric_id')}' is not a metric of monitor "
                    f"'{def_id}'; known metrics: {', '.join(known)}."
                )
            if threshold.get("type") not in ("lower_limit", "upper_limit"):
                raise BadRequest(
                    f"Threshold type '{threshold.get('type')}' is not lower_limit or upper_limit."
                )

    def patch_monitor_instance(self, rid: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """JSON-patch ``replace``/``add`` of top-level entity fields (thresholds, parameters)."""
        doc = self.get("monitor_instances", rid)
        with self._lock:
            for op in operations:
                field = str(op.get("path", "")).strip("/")
                if op.get("op") not in ("replace", "add") or "/" in field or not field:
                    raise BadRequest(f"Unsupported patch operation {op!r}.")
                if field == "thresholds":
                    self._check_thresholds(doc["entity"]["monitor_definition_id"], op["value"])
                doc["entity"][field] = op.get("value")
            doc["metadata"]["modified_at"] = now()
        return doc

    def delete_monitor_instance(self, rid: str) -> dict[str, Any]:
        doc = self.delete("monitor_instances", rid)
        with self._lock:
            self.runs.pop(rid, None)
            self.measurements.pop(rid, None)
        return doc

    # runs and measurements ---------------------------------------------------------------
    def add_run(self, instance_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Run a monitor now; a quality run computes its metrics from the feedback records."""
        instance = self.get("monitor_instances", instance_id)
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
        return run

    def _quality_run(self, instance: dict[str, Any], run_id: str) -> dict[str, Any]:
        """Status fields of a quality run: finished with a measurement, or error with why."""
        subscription_id = instance["entity"]["target"]["target_id"]
        feedback = self.list("data_sets", {"type": "feedback", "target.target_id": subscription_id})
        if not feedback:
            return payloads.run_error(
                "AIQQS0001E",
                f"Subscription '{subscription_id}' has no "
                "feedback data set: create the subscription again.",
            )
        data_set_id = feedback[0]["metadata"]["id"]
        pair_counts = self.records.label_prediction_counts(data_set_id)
        labelled = sum(count for _, _, count in pair_counts)
        minimum = int(
            instance["entity"]["parameters"].get("min_feedback_data_size", DEFAULT_MIN_FEEDBACK)
        )
        if labelled < minimum:
            return payloads.run_error(
                "AIQQS0013E", payloads.not_enough_feedback(labelled, minimum, data_set_id)
            )
        result = quality_from_counts(pair_counts)
        breaches = violations(result.metrics, instance["entity"]["thresholds"])
        measurement = payloads.measurement(instance, run_id, result, breaches, now())
        with self._lock:
            self.measurements.setdefault(instance["metadata"]["id"], []).append(measurement)
        return {"message": payloads.run_message(result.records, breaches), "violations": breaches}

    def get_run(self, instance_id: str, run_id: str) -> dict[str, Any]:
        self.get("monitor_instances", instance_id)
        with self._lock:
            run = self.runs.get(instance_id, {}).get(run_id)
        if run is None:
            raise ResourceNotFound("monitoring run", run_id)
        return run

    def list_runs(self, instance_id: str) -> list[dict[str, Any]]:
        self.get("monitor_instances", instance_id)
        with self._lock:
            return list(self.runs.get(instance_id, {}).values())

    def list_measurements(
        self,
        instance_id: str,
        start: datetime | None,
        end: datetime | None,
        run_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Measurements of an instance taken in ``[start, end]``, optionally of some runs."""
        self.get("monitor_instances", instance_id)
        run_ids = set(run_id.split(",")) if run_id else None
        with self._lock:
            found = list(self.measurements.get(instance_id, []))
        return [
            m
            for m in found
            if payloads.in_window(m, start, end)
            and (run_ids is None or m["entity"]["run_id"] in run_ids)
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
