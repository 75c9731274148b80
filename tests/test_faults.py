"""Fault injection in the IBM emulators, and the library riding it out through the SDKs' own
retries: transient 429/500/503 are survived, persistent ones and dropped connections stop with
an error naming service, operation and status. In-process on ``responses`` (a MockWorld, no
training); over a real socket in ``test_faults_http.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from mlmonitor_harness.emulated_services import CP4D_URL, REGION, IbmServices
from mlmonitor_harness.world import MockWorld
from mlmonitor_lib.emulators.faults import ConnectionDropped, FaultPlan
from mlmonitor_lib.emulators.openscale.discovery import seed_endpoint
from mlmonitor_lib.emulators.routing import Route, Router, json_response
from mlmonitor_lib.errors import ServiceError
from mlmonitor_lib.ibm.factsheets import FactsheetsAdapter
from mlmonitor_lib.ibm.openscale import OpenScaleMonitor
from mlmonitor_lib.state import LifecycleState, StateStore

ENDPOINT = "sm-mnist-faults-endpoint"
SCORING_URL = f"https://runtime.sagemaker.ca-central-1.amazonaws.com/endpoints/{ENDPOINT}/x"
SUBSCRIPTIONS = "/v2/subscriptions"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockWorld]:
    """A mock world of this module's own (no training is needed here): the endpoint the
    tests subscribe is seeded InService in moto, for OpenScale's deployment discovery."""
    with MockWorld(workdir=tmp_path_factory.mktemp("faults-world")) as started:
        seed_endpoint(boto3.Session(region_name=REGION, aws_access_key_id="faults-access-key",
                                    aws_secret_access_key="faults-secret"), ENDPOINT)
        yield started


@pytest.fixture
def ibm(world: MockWorld) -> Iterator[IbmServices]:
    assert world.ibm is not None
    yield world.ibm
    world.ibm.reset()  # emulator state, planned faults and counts


@pytest.fixture
def ledger(tmp_path: Path) -> StateStore:
    return StateStore.create(tmp_path / "state.json", LifecycleState(run_id="t", source_dir="."))


def subscriptions(ibm: IbmServices) -> int:
    return len(ibm.openscale.resources["subscriptions"])


# the plan and the router, without any SDK ---------------------------------------------------
def _router(plan: FaultPlan) -> Router:
    def subscriptions_add(request: Any) -> Any:
        return json_response(201, {"ok": True})

    return Router("svc", [Route("POST", "/openscale/{instance}/v2/subscriptions",
                                subscriptions_add)]).with_faults(plan)


def test_a_path_pattern_matches_the_end_of_the_path_at_a_segment_boundary() -> None:
    plan = FaultPlan("svc")
    plan.fail_next("POST", SUBSCRIPTIONS, status=500, times=1)
    router = _router(plan)
    status, headers, body = router.handle("POST", "https://h/openscale/i-1/v2/subscriptions", {},
                                          b"")
    assert status == 500 and b'"internal_server_error"' in body
    assert headers["Content-Type"] == "application/json"
    assert router.handle("POST", "https://h/openscale/i-1/v2/subscriptions", {}, b"")[0] == 201
    assert plan.injected == {"500": 1} and plan.pending == 0


def test_a_429_carries_retry_after_and_an_operation_name_selects_the_handler() -> None:
    plan = FaultPlan("svc")
    plan.throttle(operation="subscriptions_add", retry_after=2)
    status, headers, body = _router(plan).handle("POST", "https://h/openscale/i/v2/subscriptions",
                                                 {}, b"")
    assert (status, headers["Retry-After"]) == (429, "2") and b"too_many_requests" in body


def test_other_methods_and_paths_are_not_failed() -> None:
    plan = FaultPlan("svc")
    plan.fail_next("GET", SUBSCRIPTIONS, times=-1)
    plan.fail_next("POST", "/v2/subscriptions/{id}", times=-1)
    assert _router(plan).handle("POST", "https://h/openscale/i/v2/subscriptions", {}, b"")[0] \
        == 201
    assert plan.total_injected == 0 and plan.pending == 2


def test_a_drop_raises_for_the_transport_to_hang_up() -> None:
    plan = FaultPlan("svc")
    plan.drop("POST", SUBSCRIPTIONS)
    with pytest.raises(ConnectionDropped):
        _router(plan).handle("POST", "https://h/openscale/i/v2/subscriptions", {}, b"")
    assert plan.injected == {"drop": 1}


def test_combined_routers_fail_only_the_planned_services_routes(ibm: IbmServices) -> None:
    (cluster,) = ibm.routers("prem").values()
    ibm.faults("factsheets").fail_next("*", "*", times=-1)
    status, _, _ = cluster.handle("POST", f"{CP4D_URL}/icp4d-api/v1/authorize", {},
                                  b'{"username": "admin", "password": "x"}')
    assert status == 401  # IAM answered (wrong password), the Factsheets plan did not fire
    assert ibm.faults_injected() == {"factsheets": 0, "iam": 0, "openscale": 0}


# Watson OpenScale through the real SDK --------------------------------------------------------
@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_faults_on_subscribing_are_retried_by_the_sdk(
    world: MockWorld, ibm: IbmServices, ledger: StateStore, status: int
) -> None:
    ibm.faults("openscale").fail_next("POST", SUBSCRIPTIONS, status=status, times=2)
    monitor = OpenScaleMonitor(world.settings, ledger)
    monitor.subscribe(ENDPOINT, class_labels=range(10))
    assert subscriptions(ibm) == 1
    assert ibm.faults("openscale").injected == {str(status): 2}
    monitor.cleanup()


@pytest.mark.parametrize(("flavour", "token_path"), [("saas", "/identity/token"),
                                                     ("prem", "/icp4d-api/v1/authorize")])
def test_a_transient_fault_on_the_token_request_is_retried(
    world: MockWorld, ibm: IbmServices, ledger: StateStore, flavour: str, token_path: str
) -> None:
    """sdk-core retries service calls only; the token request gets the same policy from us."""
    ibm.faults("iam").fail_next("POST", token_path, status=503, times=2)
    monitor = OpenScaleMonitor(world.settings_for(flavour), ledger)
    monitor.subscribe(ENDPOINT, class_labels=range(10))
    assert ibm.faults("iam").injected == {"503": 2}
    assert subscriptions(ibm) == 1
    monitor.cleanup()


def test_a_lasting_token_outage_names_the_login(
    world: MockWorld, ibm: IbmServices, ledger: StateStore
) -> None:
    ibm.faults("iam").fail_next("POST", "/identity/token", status=503, times=-1)
    monitor = OpenScaleMonitor(world.settings, ledger)
    with pytest.raises(ServiceError, match=r"Watson OpenScale: login failed with HTTP 503"):
        monitor.subscribe(ENDPOINT)
    assert ibm.faults("iam").injected == {"503": 1 + world.settings.ibm_max_retries}
    assert subscriptions(ibm) == 0


def test_a_persistent_fault_names_service_operation_and_status(
    world: MockWorld, ibm: IbmServices, ledger: StateStore
) -> None:
    ibm.faults("openscale").fail_next("POST", SUBSCRIPTIONS, status=503, times=-1)
    monitor = OpenScaleMonitor(world.settings, ledger)
    with pytest.raises(ServiceError, match=rf"Watson OpenScale: subscribing endpoint {ENDPOINT} "
                       r"failed with HTTP 503 on every retry"):
        monitor.subscribe(ENDPOINT)
    assert subscriptions(ibm) == 0
    assert ibm.faults("openscale").injected == {"503": 1 + world.settings.ibm_max_retries}
    ibm.faults("openscale").clear()
    monitor.cleanup()  # the provider and data mart it made are still in the ledger
    assert ledger.alive("wos") == []


def test_a_dropped_connection_in_process_is_reported_as_unreachable(
    world: MockWorld, ibm: IbmServices, ledger: StateStore
) -> None:
    ibm.faults("openscale").drop("GET", "/v2/data_marts")
    with pytest.raises(ServiceError, match=r"Watson OpenScale: listing data marts could not "
                       r"reach the service \(ConnectionError\)"):
        OpenScaleMonitor(world.settings, ledger).ensure_data_mart()


def test_latency_delays_without_failing(world: MockWorld, ibm: IbmServices,
                                        ledger: StateStore) -> None:
    ibm.faults("openscale").delay("GET", "/v2/data_marts", seconds=0.05, times=1)
    assert OpenScaleMonitor(world.settings, ledger).ensure_data_mart()
    assert ibm.faults("openscale").injected == {"latency": 1}


# AI Factsheets through the real SDK (no retry of its own: the adapter adds one) ---------------
def govern(world: MockWorld, ledger: StateStore) -> Any:
    assert world.settings is not None
    return FactsheetsAdapter(world.settings, scratch_parent=ledger.path.parent).govern(
        model_identifier=ENDPOINT, name=ENDPOINT, ledger=ledger,
        deployment_details={"identifier": ENDPOINT, "scoring_endpoint": SCORING_URL},
        hyperparameters={"epochs": 1}, metrics={"test_accuracy": 0.9})


@pytest.mark.parametrize(("method", "path"), [("PUT", "/model_inventory/model_stub"),
                                              ("POST", "/factsheet/notebook_experiments"),
                                              ("GET", "/v2/assets/{asset_id}")])
def test_transient_factsheets_faults_are_retried(world: MockWorld, ibm: IbmServices,
                                                  ledger: StateStore, method: str,
                                                  path: str) -> None:
    ibm.faults("factsheets").fail_next(method, path, status=503, times=2)
    ibm.faults("factsheets").throttle(method, path, times=1)
    result = govern(world, ledger)
    assert result.asset_id in ibm.factsheets.assets
    assert ibm.faults("factsheets").injected == {"503": 2, "429": 1}
    assert FactsheetsAdapter(world.settings).cleanup(ledger) == 1


def test_a_persistent_factsheets_fault_names_the_operation(world: MockWorld, ibm: IbmServices,
                                                           ledger: StateStore) -> None:
    ibm.faults("factsheets").fail_next("PUT", "/model_stub", status=500, times=-1)
    with pytest.raises(ServiceError, match=r"AI Factsheets: saving the external model asset "
                       r"\(PUT model_stub\) failed"):
        govern(world, ledger)
    ibm.faults("factsheets").clear()
    FactsheetsAdapter(world.settings).cleanup(ledger)
    assert ledger.alive("factsheets") == [] and ibm.factsheets.assets == {}


def test_a_subscription_created_before_a_persistent_fault_is_still_ledgered(
    world: MockWorld, ibm: IbmServices, ledger: StateStore
) -> None:
    """The SDK's ``subscriptions.add`` creates the subscription, then its default monitors:
    when those keep failing, the subscription exists although ``add`` raised."""
    ibm.faults("openscale").throttle("POST", "/v2/monitor_instances", times=-1)
    monitor = OpenScaleMonitor(world.settings, ledger)
    with pytest.raises(ServiceError, match=r"subscribing endpoint .* HTTP 429"):
        monitor.subscribe(ENDPOINT)
    assert subscriptions(ibm) == 1
    assert [r.kind for r in ledger.alive("wos")][0] == "subscription"
    ibm.faults("openscale").clear()
    OpenScaleMonitor.resume(world.settings, ledger, ledger.alive("wos")).cleanup()
    assert {k: len(v) for k, v in ibm.openscale.resources.items() if v} == {}
