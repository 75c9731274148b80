"""AI Factsheets (watsonx.governance) emulated, for the real ``ibm-aigov-facts-client``.

Hosts and routers, for composing a mock world:

* IBM Cloud (``saas_routers``): the SDK hard-codes its hosts, so the emulator must answer there:
  ``https://api.dataplatform.cloud.ibm.com`` -> :func:`make_router`,
  ``https://resource-controller.cloud.ibm.com`` -> :func:`make_resource_controller_router`, and
  ``https://iam.cloud.ibm.com`` -> the IAM emulator's router (token + API-key introspection).
  IAM is shared with OpenScale: mount it once (``include_iam=True`` only if nobody else does;
  two ``responses`` registrations for one URL consume each other).
* CP4D (``cp4d_router``): one cluster URL serves login (``/icp4d-api/v1/authorize``) and
  Factsheets; combine further with OpenScale's router when both share the cluster.

Pre-seed what a user creates in the UI before onboarding with
``backend.add_model_use_case(catalog_id, model_entry_id, name)``.
"""

from __future__ import annotations

from mlmonitor_lib.emulators import iam
from mlmonitor_lib.emulators.factsheets.models import (
    DEFAULT_APPROACH_ID,
    FactsheetsBackend,
)
from mlmonitor_lib.emulators.factsheets.urls import make_resource_controller_router, make_router
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.routing import Router

SAAS_FACTSHEETS_URL = "https://api.dataplatform.cloud.ibm.com"
SAAS_RESOURCE_CONTROLLER_URL = "https://resource-controller.cloud.ibm.com"
SAAS_IAM_URL = "https://iam.cloud.ibm.com"


def saas_routers(backend: FactsheetsBackend, iam_backend: IamBackend,
                 include_iam: bool = False) -> dict[str, Router]:
    """Base URL -> router for every IBM Cloud host the SDK calls, IAM only if asked."""
    routers = {
        SAAS_FACTSHEETS_URL: make_router(backend, iam_backend),
        SAAS_RESOURCE_CONTROLLER_URL: make_resource_controller_router(backend, iam_backend),
    }
    if include_iam:
        routers[SAAS_IAM_URL] = iam.make_router(iam_backend)
    return routers


def cp4d_router(backend: FactsheetsBackend, iam_backend: IamBackend) -> Router:
    """A CP4D cluster as Factsheets sees it: login and Factsheets under one URL."""
    return Router.combine("cp4d", iam.make_router(iam_backend), make_router(backend, iam_backend))


__all__ = [
    "DEFAULT_APPROACH_ID",
    "SAAS_FACTSHEETS_URL",
    "SAAS_IAM_URL",
    "SAAS_RESOURCE_CONTROLLER_URL",
    "FactsheetsBackend",
    "cp4d_router",
    "make_resource_controller_router",
    "make_router",
    "saas_routers",
]
