"""What the OpenScale contract replays share: the emulators served to the SDK in process or over
HTTP, and the few SDK helpers both replays use.

Why one module: IBM's SageMaker notebook and the original project's OpenScale flow are replayed
the same way (the emulators at the realistic pace on a hand-moved clock, the SDK's waits and the
client's own sleeps moving that clock), so they share one way to serve them.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import responses

from mlmonitor_harness.fakes import FakeClock
from mlmonitor_harness.sdk_clock import instant_sdk_waits
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.iam import make_router as iam_router
from mlmonitor_lib.emulators.openscale import OpenScaleBackend, make_router
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.emulators.transport import LoopbackServer, mount

IAM = "https://iam.emulated.test"
WOS = "https://wos.emulated.test"
REALISTIC = Pace("realistic")
TRANSPORTS = ("mock", "rehearsal")


@dataclass(frozen=True)
class Transport:
    """Where the SDK finds IAM and OpenScale, and how the replayed client's sleeps pass."""

    name: str
    iam_url: str
    wos_url: str
    clock: FakeClock

    def sleep(self, seconds: float) -> None:
        """The client's ``time.sleep``: the emulators' clock moves, nobody waits."""
        self.clock.advance(REALISTIC.seconds(seconds))


@contextlib.contextmanager
def served(kind: str, iam: IamBackend, backend: OpenScaleBackend, clock: FakeClock
           ) -> Iterator[Transport]:
    """mock: the emulators in process through ``responses``; rehearsal: over HTTP on
    127.0.0.1. Either way the SDK's waits move the emulators' clock instead of sleeping."""
    waits = instant_sdk_waits(REALISTIC, sleep=clock.advance)
    if kind == "mock":
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, waits:
            mount(mock, IAM, iam_router(iam))
            mount(mock, WOS, make_router(backend, iam))
            yield Transport("mock", IAM, WOS, clock)
    else:
        with LoopbackServer(iam_router(iam)) as iam_server, \
                LoopbackServer(make_router(backend, iam)) as wos_server, waits:
            yield Transport("rehearsal", iam_server.url, wos_server.url, clock)


def sdk_modules() -> tuple[Any, Any]:
    """The SDK's request classes and enums (imported when a replay runs, not at collection)."""
    from ibm_watson_openscale.base_classes import watson_open_scale_v2 as v2
    from ibm_watson_openscale.supporting_classes import enums

    return v2, enums


def printed(show: Callable[[], Any]) -> str:
    """What a ``show``/``print`` call of the SDK printed (the clients display it)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        show()
    return out.getvalue()


def deployments(wos: Any, data_mart_id: str, provider_id: str, deployment_id: str | None = None
                ) -> dict[str, Any]:
    """``service_providers.list_assets`` / ``get_deployment_asset``. Those SDK methods rewrite
    the URL to ``https://<host>/v1/ml_instances/...`` whatever the service URL's scheme, so
    over the rehearsal's plain-HTTP loopback they would speak TLS to an HTTP port: there the
    same request is built by the SDK client's own ``prepare_request`` and sent by its ``send``
    (same path, query, headers and token), only the scheme kept."""
    from urllib.parse import urlsplit

    from ibm_watson_openscale.base_classes.watson_open_scale_v2 import get_sdk_headers

    providers = wos.service_providers
    if urlsplit(wos.service_url).scheme == "https":
        if deployment_id is None:
            return providers.list_assets(data_mart_id=data_mart_id,
                                         service_provider_id=provider_id,
                                         deployment_space_id=None).result
        return providers.get_deployment_asset(data_mart_id=data_mart_id,
                                              service_provider_id=provider_id,
                                              deployment_id=deployment_id,
                                              deployment_space_id=None)
    service = providers.watson_open_scale
    path = f"/v1/ml_instances/{provider_id}/deployments?datamart_id={data_mart_id}&limit=1000"
    if deployment_id is not None:
        path += f"&deployment_id={deployment_id}"
    headers = get_sdk_headers(service_name=service.DEFAULT_SERVICE_NAME, service_version="V1",
                              operation_id="get_asset_and_deployments_details")
    request = service.prepare_request(method="GET", url=path, headers=headers)
    built = urlsplit(request["url"])
    request["url"] = f"{built.scheme}://{built.netloc}{path}"
    return service.send(request).result
