"""IAM routing table: data only."""

from __future__ import annotations

from mlmonitor_lib.emulators.iam.models import IamBackend
from mlmonitor_lib.emulators.iam.responses import IamResponses
from mlmonitor_lib.emulators.routing import Route, Router


def make_router(backend: IamBackend) -> Router:
    """Routes of IBM Cloud IAM and of CP4D's login, served from one backend."""
    r = IamResponses(backend)
    return Router(
        "iam",
        [
            Route("POST", "/identity/token", r.token),
            Route("POST", "/identity/introspect", r.introspect),
            Route("GET", "/identity/introspect", r.introspect),
            Route("POST", "/icp4d-api/v1/authorize", r.authorize),
            Route("POST", "/v1/authorize", r.authorize),
        ],
    )
