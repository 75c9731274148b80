"""One handler per OpenScale API operation: read the request, call the backend, shape the reply.

Handlers are named after the SDK's operation ids (``data_marts_add``, ``records_list``...).
Authentication and the service-instance check happen once, in :meth:`guard`, before any handler.
"""

from __future__ import annotations

from typing import Any

from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.openscale.exceptions import (
    BadRequest,
    InstanceNotFound,
    NotEmulated,
)
from mlmonitor_lib.emulators.openscale.models import OpenScaleBackend
from mlmonitor_lib.emulators.openscale.payloads import metric_groups, parse_time
from mlmonitor_lib.emulators.routing import Handler, Request, Response, json_response

MAX_RECORDS_PAGE = 1000
LIST_FILTERS = {
    "data_marts": (),
    "service_providers": ("service_type", "operational_space_id", "deployment_space_id"),
    "subscriptions": (
        "data_mart_id",
        "service_provider_id",
        "asset.asset_id",
        "deployment.deployment_id",
    ),
    "data_sets": ("target.target_id", "target.target_type", "type", "managed_by"),
    "monitor_instances": (
        "data_mart_id",
        "monitor_definition_id",
        "target.target_id",
        "target.target_type",
    ),
}


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    try:
        return default if raw in (None, "") else int(raw)
    except ValueError:
        raise BadRequest(f"Query parameter '{name}' must be an integer, not '{raw}'.") from None


class OpenScaleResponses:
    def __init__(self, backend: OpenScaleBackend, iam: IamBackend) -> None:
        self.backend = backend
        self.iam = iam

    def guard(self, handler: Handler) -> Handler:
        """Reject a request without a valid bearer token (401) or for an unknown instance."""

        def guarded(request: Request) -> Response:
            self.iam.verify(request.header("Authorization"))
            instance = request.params.get("instance")
            if instance is not None and instance not in self.backend.instance_ids:
                raise InstanceNotFound(instance)
            return handler(request)

        guarded.__name__ = getattr(handler, "__name__", "handler")
        return guarded

    # generic CRUD, bound per kind in urls.py -------------------------------------------------
    def _list(self, kind: str, request: Request) -> Response:
        filters = {k: request.query.get(k, "") for k in LIST_FILTERS[kind]}
        return json_response(200, {kind: self.backend.list(kind, filters)})

    def _get(self, kind: str, request: Request) -> Response:
        return json_response(200, self.backend.get(kind, request.params["resource_id"]))

    def _delete(self, kind: str, request: Request) -> Response:
        self.backend.delete(kind, request.params["resource_id"])
        return json_response(202, None)

    def lister(self, kind: str) -> Handler:
        return lambda request: self._list(kind, request)

    def getter(self, kind: str) -> Handler:
        return lambda request: self._get(kind, request)

    def deleter(self, kind: str) -> Handler:
        return lambda request: self._delete(kind, request)

    # entitlements, definitions ---------------------------------------------------------------
    def entitlements(self, request: Request) -> Response:
        return json_response(200, self.backend.entitlements())

    def monitor_definitions_list(self, request: Request) -> Response:
        definitions = list(self.backend.definitions.values())
        return json_response(200, {"monitor_definitions": definitions})

    def monitor_definitions_get(self, request: Request) -> Response:
        definition = self.backend.get_monitor_definition(request.params["resource_id"])
        return json_response(200, definition)

    # creates -----------------------------------------------------------------------------------
    def data_marts_add(self, request: Request) -> Response:
        data_mart = self.backend.add_data_mart(_body(request), request.params.get("instance"))
        return json_response(201, data_mart)

    def service_providers_add(self, request: Request) -> Response:
        return json_response(201, self.backend.add_service_provider(_body(request)))

    def ml_instances_deployments_list(self, request: Request) -> Response:
        data_mart_id = request.query.get("datamart_id")
        if not data_mart_id:
            raise BadRequest("Query parameter 'datamart_id' is required.")
        found = self.backend.list_ml_deployments(request.params["resource_id"], data_mart_id)
        return json_response(200, found)

    def subscriptions_add(self, request: Request) -> Response:
        return json_response(201, self.backend.add_subscription(_body(request)))

    def subscriptions_delete(self, request: Request) -> Response:
        self.backend.delete_subscription(request.params["resource_id"])
        return json_response(202, None)

    # records -----------------------------------------------------------------------------------
    def records_add(self, request: Request) -> Response:
        data_set_id = request.params["resource_id"]
        request_id = self.backend.add_records(data_set_id, request.json())
        location = f"{request.url.split('?')[0].rsplit('/records', 1)[0]}/requests/{request_id}"
        return json_response(202, {"state": "pending"}, {"Location": location})

    def requests_get(self, request: Request) -> Response:
        params = request.params
        return json_response(
            200, self.backend.get_request(params["resource_id"], params["request_id"])
        )

    def records_list(self, request: Request) -> Response:
        limit = min(max(_int(request, "limit", 100), 0), MAX_RECORDS_PAGE)
        offset = max(_int(request, "offset", 0), 0)
        total = request.query.get("include_total_count", "").lower() == "true"
        reply = self.backend.list_records(request.params["resource_id"], limit, offset, total)
        return json_response(200, reply)

    # monitor instances, runs, measurements, metrics --------------------------------------------
    def monitor_instances_add(self, request: Request) -> Response:
        return json_response(202, self.backend.add_monitor_instance(_body(request)))

    def monitor_instances_patch(self, request: Request) -> Response:
        operations = request.json()
        if not isinstance(operations, list):
            raise BadRequest("A patch body must be a JSON array of operations.")
        return json_response(
            200, self.backend.patch_monitor_instance(request.params["resource_id"], operations)
        )

    def monitor_instances_delete(self, request: Request) -> Response:
        self.backend.delete_monitor_instance(request.params["resource_id"])
        return json_response(202, None)

    def runs_add(self, request: Request) -> Response:
        run = self.backend.add_run(request.params["resource_id"], _body(request))
        return json_response(201, run)

    def runs_list(self, request: Request) -> Response:
        return json_response(200, {"runs": self.backend.list_runs(request.params["resource_id"])})

    def runs_get(self, request: Request) -> Response:
        run = self.backend.get_run(request.params["resource_id"], request.params["run_id"])
        return json_response(200, run)

    def measurements_list(self, request: Request) -> Response:
        start, end = (parse_time(request.query.get(k)) for k in ("start", "end"))
        found = self.backend.list_measurements(
            request.params["resource_id"], start, end, request.query.get("run_id")
        )
        window = {"start": request.query.get("start"), "end": request.query.get("end")}
        return json_response(
            200, {**window, "limit": len(found), "offset": 0, "measurements": found}
        )

    def measurements_get(self, request: Request) -> Response:
        params = request.params
        found = self.backend.get_measurement(params["resource_id"], params["measurement_id"])
        return json_response(200, found)

    def metrics_list(self, request: Request) -> Response:
        start, end = (parse_time(request.query.get(k)) for k in ("start", "end"))
        found = self.backend.list_measurements(request.params["resource_id"], start, end)
        instance = self.backend.get("monitor_instances", request.params["resource_id"])
        return json_response(
            200,
            {
                "monitor_definition_id": instance["entity"]["monitor_definition_id"],
                "groups": metric_groups(found, request.query.get("agg")),
            },
        )

    def not_emulated(self, what: str) -> Handler:
        """A route the SDK calls for a monitor the emulator does not compute: a clear 501."""

        def refuse(request: Request) -> Response:
            raise NotEmulated(what)

        return refuse

    # emulator control ----------------------------------------------------------------------------
    def reset(self, request: Request) -> Response:
        self.backend.reset()
        return json_response(200, {"reset": True})


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body
