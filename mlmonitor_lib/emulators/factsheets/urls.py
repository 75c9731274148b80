"""AI Factsheets routing tables: data only.

The SDK reaches three hosts on IBM Cloud (the Factsheets/catalog API, the resource controller,
IAM) and one on CP4D (the cluster URL, which also serves the login). IAM is the IAM emulator's
router; the other two tables are here.
"""

from __future__ import annotations

from mlmonitor_lib.emulators.factsheets.models import FactsheetsBackend
from mlmonitor_lib.emulators.factsheets.responses import FactsheetsResponses
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.routing import Route, Router

INVENTORY = "/v1/aigov/model_inventory"
USE_CASE = INVENTORY + "/model_usecases/{use_case_id}"


def make_router(backend: FactsheetsBackend, iam_backend: IamBackend) -> Router:
    """The Factsheets and catalog API (``api.dataplatform.cloud.ibm.com`` or a CP4D URL).
    Every route except the heartbeat requires a bearer token ``iam_backend`` issued."""
    r = FactsheetsResponses(backend, iam_backend)
    g = r.guard
    return Router(
        "factsheets",
        [
            Route("GET", "/v1/aigov/factsheet/heartbeat", r.heartbeat),
            Route("GET", "/v1/aigov/factsheet/instances", g(r.instances)),
            Route("POST", "/v1/aigov/factsheet/notebook_experiments",
                  g(r.add_notebook_experiment)),
            Route("GET", "/v2/catalogs", g(r.list_catalogs)),
            Route("GET", "/v2/catalogs/{catalog_id}", g(r.get_catalog)),
            Route("POST", "/v3/search", g(r.search)),
            Route("PUT", INVENTORY + "/model_stub", g(r.put_model_stub)),
            Route("GET", "/v2/assets/{asset_id}", g(r.get_asset)),
            Route("DELETE", "/v2/assets/{asset_id}", g(r.delete_asset)),
            Route("GET", "/v2/asset_types/{type_name}", g(r.get_asset_type)),
            Route("GET", USE_CASE + "/tracked_model_versions", g(r.tracked_model_versions)),
            Route("POST", USE_CASE + "/version_approach", g(r.create_approach)),
            # SDK: asset_utils_me.py get_tracked_models (GET, reads physical_models) and
            # relate_models (PATCH, expects 200); IBM/mlmonitor src/factsheets/utils.py
            # get_models and relatemodels send the same requests.
            Route("GET", INVENTORY + "/model_entries/{use_case_id}/models",
                  g(r.models_of_use_case)),
            Route("PATCH", INVENTORY + "/model_entries/{use_case_id}/relatemodels",
                  g(r.relate_models)),
            Route("POST", INVENTORY + "/models/{asset_id}/model_entry", g(r.track)),
            Route("DELETE", INVENTORY + "/models/{asset_id}/model_entry", g(r.untrack)),
        ],
    )


def make_resource_controller_router(backend: FactsheetsBackend, iam_backend: IamBackend
                                    ) -> Router:
    """``resource-controller.cloud.ibm.com``: the SDK checks the account has an instance."""
    r = FactsheetsResponses(backend, iam_backend)
    return Router(
        "resource-controller",
        [Route("GET", "/v2/resource_instances", r.guard(r.resource_instances))],
    )
