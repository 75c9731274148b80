"""One short handler per AI Factsheets operation: read the request, call the backend method of
the same name, shape the reply with the exact status code the SDK checks (200, 201 or 204)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlmonitor_lib.emulators.factsheets.models import FactsheetsBackend
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.routing import Handler, Request, Response, json_response


def _no_content() -> Response:
    return Response(204, {}, b"")


def _find_key(node: Any, key: str) -> Any:
    """First value of ``key`` anywhere in a nested JSON document (search queries nest deeply)."""
    if isinstance(node, dict):
        if key in node:
            return node[key]
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found = _find_key(child, key)
            if found is not None:
                return found
    return None


class FactsheetsResponses:
    """Handlers bound to one backend; ``guard`` puts the IAM check in front of a handler."""

    def __init__(self, backend: FactsheetsBackend, iam: IamBackend) -> None:
        self.backend = backend
        self.iam = iam

    def guard(self, handler: Handler) -> Callable[[Request], Response]:
        """Reject a request without a bearer token this IAM issued (401), as the service does.
        Per handler, not per router, so a combined CP4D router still serves its login."""

        def checked(request: Request) -> Response:
            self.iam.verify(request.header("Authorization"))
            return handler(request)

        return checked

    # service level ------------------------------------------------------------------------
    def heartbeat(self, request: Request) -> Response:
        return json_response(200, self.backend.heartbeat())

    def instances(self, request: Request) -> Response:
        return json_response(200, {"resources": self.backend.instances()})

    def resource_instances(self, request: Request) -> Response:
        resources = self.backend.resource_instances()
        return json_response(200, {"rows_count": len(resources), "next_url": None,
                                   "resources": resources})

    # catalogs ---------------------------------------------------------------------------------
    def list_catalogs(self, request: Request) -> Response:
        catalogs = [c.to_wire() for c in self.backend.list_catalogs()]
        return json_response(200, {"catalogs": catalogs, "nextBookmark": None})

    def get_catalog(self, request: Request) -> Response:
        return json_response(200, self.backend.get_catalog(request.params["catalog_id"]).to_wire())

    # assets -----------------------------------------------------------------------------------
    def search(self, request: Request) -> Response:
        model_id = _find_key(request.json() or {}, "custom_attributes.attribute_value.keyword")
        rows = [a.search_row() for a in self.backend.search_model_stubs(model_id)]
        return json_response(200, {"size": len(rows), "rows": rows, "aggregations": {}})

    def put_model_stub(self, request: Request) -> Response:
        asset = self.backend.put_model_stub(request.json() or {}, request.query.get("catalog_id"),
                                            request.query.get("experiment_name"))
        return json_response(200, asset.to_wire())

    def get_asset(self, request: Request) -> Response:
        asset = self.backend.get_asset(request.params["asset_id"], request.query.get("catalog_id"))
        return json_response(200, asset.to_wire())

    def delete_asset(self, request: Request) -> Response:
        self.backend.delete_asset(request.params["asset_id"], request.query.get("catalog_id"))
        return _no_content()

    def get_asset_type(self, request: Request) -> Response:
        return json_response(200, self.backend.asset_type(request.params["type_name"]))

    # notebook experiments (training facts) -----------------------------------------------------
    def add_notebook_experiment(self, request: Request) -> Response:
        exp = self.backend.add_notebook_experiment(request.json() or {})
        return json_response(201, {"metadata": {"asset_id": exp.id, "catalog_id": exp.catalog_id,
                                                "name": exp.name}})

    # model use cases, approaches, tracking --------------------------------------------------------
    def tracked_model_versions(self, request: Request) -> Response:
        approaches = self.backend.tracked_model_versions(request.params["use_case_id"],
                                                         request.query.get("catalog_id", ""))
        return json_response(200, {"approaches": [a.to_wire() for a in approaches]})

    def create_approach(self, request: Request) -> Response:
        approach = self.backend.create_approach(request.params["use_case_id"],
                                                request.query.get("catalog_id", ""),
                                                request.json() or {})
        return json_response(200, approach.to_wire())

    def models_of_use_case(self, request: Request) -> Response:
        """``physical_models``: the key the SDK's ``get_tracked_models`` and IBM/mlmonitor's
        ``get_model_id_by_*`` read."""
        rows = self.backend.physical_models(request.params["use_case_id"],
                                            request.query.get("catalog_id", ""))
        return json_response(200, {"physical_models": rows})

    def relate_models(self, request: Request) -> Response:
        """Exactly 200, which the SDK's ``relate_models`` checks; IBM/mlmonitor reads the reply
        as JSON. Its body is not documented where we could read it: we answer the use case's
        listing, which shows the new shared ``master_id``."""
        use_case_id, catalog_id = request.params["use_case_id"], request.query.get("catalog_id", "")
        self.backend.relate_models(use_case_id, catalog_id, request.json() or {})
        return json_response(200, {"physical_models": self.backend.physical_models(use_case_id,
                                                                                 catalog_id)})

    def track(self, request: Request) -> Response:
        asset_id = request.params["asset_id"]
        tracking = self.backend.track(asset_id, request.query.get("catalog_id"),
                                      request.json() or {})
        return json_response(200, {"model_asset_id": asset_id, **tracking.to_wire()})

    def untrack(self, request: Request) -> Response:
        self.backend.untrack(request.params["asset_id"], request.query.get("catalog_id"))
        return _no_content()
