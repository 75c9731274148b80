"""The OpenScale emulator's subscriptions, their data sets, and the records posted to them.

Nothing is instantly ready (sources in :mod:`.lifecycles`): subscriptions are ``preparing``,
data sets appear after their subscription, records are counted after a delay.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from mlmonitor_lib.emulators.openscale import payloads
from mlmonitor_lib.emulators.openscale.exceptions import (
    BadRequest,
    DeploymentNotReported,
    ResourceNotFound,
)
from mlmonitor_lib.emulators.openscale.lifecycles import ACTIVE, HIDDEN, LAGGING, PREPARING, VISIBLE
from mlmonitor_lib.emulators.openscale.providers import Providers
from mlmonitor_lib.emulators.openscale.resources import SAGEMAKER, get_path


class Subscriptions(Providers):
    """Subscriptions (with their payload logging and feedback data sets) and records."""

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
