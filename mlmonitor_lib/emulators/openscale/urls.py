"""Routing table of the emulated Watson OpenScale: data only.

Paths are the SDK's, under ``<service_url>/openscale/<instance>/v2``; entitlements are checked
at ``<service_url>/v1/entitlements`` (IBM Cloud only). ``{resource_id}`` is the one id a CRUD
route names. A provider's deployments are listed at ``<host>/v1/ml_instances/<provider>/
deployments``, outside the instance path: the SDK builds that URL from the host alone
(``service_providers.list_assets``). The reset route serves tests and rehearsals (as moto's
``/moto-api/reset``).
"""

from __future__ import annotations

from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.openscale.models import OpenScaleBackend
from mlmonitor_lib.emulators.openscale.responses import OpenScaleResponses
from mlmonitor_lib.emulators.routing import Handler, Route, Router

V2 = "/openscale/{instance}/v2"
RESET_PATH = "/__emulator/openscale/reset"
CRUD_KINDS = ("data_marts", "service_providers", "subscriptions", "data_sets", "monitor_instances")
MI = V2 + "/monitor_instances/{resource_id}"

# (method, path, handler name) for the operations that are not plain CRUD
OPERATIONS = (
    ("GET", "/v1/entitlements", "entitlements"),
    ("GET", V2 + "/monitor_definitions", "monitor_definitions_list"),
    ("GET", V2 + "/monitor_definitions/{resource_id}", "monitor_definitions_get"),
    ("POST", V2 + "/data_marts", "data_marts_add"),
    ("POST", V2 + "/service_providers", "service_providers_add"),
    ("GET", "/v1/ml_instances/{resource_id}/deployments", "ml_instances_deployments_list"),
    ("POST", V2 + "/subscriptions", "subscriptions_add"),
    ("DELETE", V2 + "/subscriptions/{resource_id}", "subscriptions_delete"),
    ("POST", V2 + "/data_sets/{resource_id}/records", "records_add"),
    ("GET", V2 + "/data_sets/{resource_id}/records", "records_list"),
    ("GET", V2 + "/data_sets/{resource_id}/requests/{request_id}", "requests_get"),
    ("POST", V2 + "/monitor_instances", "monitor_instances_add"),
    ("PATCH", MI, "monitor_instances_patch"),
    ("DELETE", MI, "monitor_instances_delete"),
    ("POST", MI + "/runs", "runs_add"),
    ("GET", MI + "/runs", "runs_list"),
    ("GET", MI + "/runs/{run_id}", "runs_get"),
    ("GET", MI + "/measurements", "measurements_list"),
    ("GET", MI + "/measurements/{measurement_id}", "measurements_get"),
    ("GET", MI + "/metrics", "metrics_list"),
)


# routes of monitors the emulator does not compute (the any-model issue brings them): refused
# with a 501 that names what, never faked. Paths: the SDK's (explanation_tasks_add/get/list,
# drift_archive_post).
NOT_EMULATED = (
    ("POST", V2 + "/explanation_tasks", "explanations (explainability monitors)"),
    ("GET", V2 + "/explanation_tasks", "explanations (explainability monitors)"),
    ("GET", V2 + "/explanation_tasks/{resource_id}", "explanations (explainability monitors)"),
    ("POST", V2 + "/monitoring_services/drift/data_marts/{resource_id}/subscriptions/"
     "{subscription_id}/archives", "drift models (drift monitors)"),
)


def _crud_routes(r: OpenScaleResponses) -> list[tuple[str, str, Handler]]:
    """list/get/delete for every kind; specific operations above take precedence."""
    routes = []
    for kind in CRUD_KINDS:
        routes += [
            ("GET", f"{V2}/{kind}", r.lister(kind)),
            ("GET", f"{V2}/{kind}/{{resource_id}}", r.getter(kind)),
            ("DELETE", f"{V2}/{kind}/{{resource_id}}", r.deleter(kind)),
        ]
    return routes


def make_router(backend: OpenScaleBackend, iam_backend: IamBackend) -> Router:
    """The OpenScale router; every route but the reset requires a bearer token ``iam_backend``
    issued."""
    r = OpenScaleResponses(backend, iam_backend)
    table = [(m, p, getattr(r, name)) for m, p, name in OPERATIONS] + _crud_routes(r)
    table += [(m, p, r.not_emulated(what)) for m, p, what in NOT_EMULATED]
    routes = [Route(m, p, r.guard(h)) for m, p, h in table]
    return Router("openscale", [*routes, Route("POST", RESET_PATH, r.reset)])
