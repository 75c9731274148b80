"""Faults over a real socket: the loopback server hangs up on a ``drop`` and answers 429/503,
and urllib3 (under ibm-cloud-sdk-core's ``enable_retries``) really sleeps and reconnects.

A module of its own: the in-process tests' MockWorld refuses every host it does not emulate,
127.0.0.1 included, while it is alive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from mlmonitor_harness.emulated_services import CP4D_URL, IbmServices, wait_settings
from mlmonitor_harness.sdk_clock import instant_sdk_waits
from mlmonitor_lib.emulators.openscale.discovery import sagemaker_from_session, seed_endpoint
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.emulators.transport import LoopbackServer
from mlmonitor_lib.ibm.openscale import OpenScaleMonitor
from mlmonitor_lib.settings import Settings
from mlmonitor_lib.state import LifecycleState, StateStore

ENDPOINT = "sm-mnist-faults-endpoint"
SUBSCRIPTIONS = "/v2/subscriptions"


@pytest.fixture
def ledger(tmp_path: Path) -> StateStore:
    return StateStore.create(tmp_path / "state.json", LifecycleState(run_id="t", source_dir="."))


@pytest.fixture
def loopback(tmp_path: Path) -> Iterator[tuple[IbmServices, Settings]]:
    with mock_aws():  # the SageMaker OpenScale asks for the provider's deployments
        session = boto3.Session(region_name="ca-central-1", aws_access_key_id="test-access-key",
                                aws_secret_access_key="not-a-secret")
        seed_endpoint(session, ENDPOINT)
        services = IbmServices.create(tmp_path, sagemaker=sagemaker_from_session(session))
        yield from _served(services)


def _served(services: IbmServices) -> Iterator[tuple[IbmServices, Settings]]:
    (router,) = services.routers("prem").values()
    with LoopbackServer(router) as server, instant_sdk_waits():
        yield services, Settings(
            _env_file=None, aws_access_key_id="test-access-key",
            aws_secret_access_key="not-a-secret",
            ibm_retry_interval=0.05, **wait_settings(Pace("instant")),
            **services.settings("prem", {CP4D_URL: server.url}))


def test_over_http_drops_and_503s_are_retried_and_survived(
    loopback: tuple[IbmServices, Settings], ledger: StateStore
) -> None:
    services, settings = loopback
    services.faults("openscale").drop("GET", "/v2/data_marts")
    services.faults("openscale").fail_next("POST", SUBSCRIPTIONS, status=503, times=1)
    services.faults("openscale").throttle("POST", SUBSCRIPTIONS, retry_after=0)
    monitor = OpenScaleMonitor(settings, ledger)
    monitor.subscribe(ENDPOINT)
    assert len(services.openscale.resources["subscriptions"]) == 1
    assert services.faults("openscale").injected == {"drop": 1, "503": 1, "429": 1}
    monitor.cleanup()
