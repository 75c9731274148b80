"""Resilience steps: injected faults, crashes after each resource, cleanup from the state file.

Faults exist only in the emulated worlds (mock and rehearsal); in live mode these scenarios
are skipped with that reason by the ``ibm_services`` fixture.
"""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from mlmonitor_harness.crash import (
    CREATION_POINTS_BY_NAME,
    cleanup_in_new_process,
    crash_after,
    fail_everything,
    lift_faults,
    run_lifecycle,
)
from mlmonitor_lib import aws
from mlmonitor_lib.errors import CleanupIncomplete, MlMonitorError
from mlmonitor_lib.usecase import ModelUseCase

RESOURCES = CREATION_POINTS_BY_NAME  # the harness's one list of crash points
# How each service refuses a delete: AccessDenied-style, not retried by any SDK.
REFUSED_DELETES = {
    "model asset": ("AI Factsheets", "factsheets", "DELETE", "/v2/assets/{asset_id}"),
    "subscription": ("Watson OpenScale", "openscale", "DELETE", "/v2/subscriptions/{id}"),
    "serving model": ("SageMaker", None, "DeleteModel", None),
}
IBM_PLANS = {"Watson OpenScale": "openscale", "AI Factsheets": "factsheets",
             "the IBM login service": "iam"}
# "its token request": IAM's on IBM Cloud, the cluster's on Cloud Pak for Data
TOKEN_REQUESTS = {"saas": "POST /identity/token", "prem": "POST /icp4d-api/v1/authorize"}


def _inject(world, service: str, operation: str, fault: str, times: int,
            platform: str) -> None:
    """One planned fault, in the words of the feature: an HTTP status for IBM, an AWS error
    code for SageMaker."""
    if service == "SageMaker":
        world.local_sagemaker.faults.inject(operation, fault, times=times)
        return
    if operation == "its token request":
        operation = TOKEN_REQUESTS[platform]
    method, path = operation.split(" ", 1)
    plan = world.ibm.faults(IBM_PLANS[service])
    if fault == "429":
        plan.throttle(method, path, retry_after=0, times=times)
    else:
        plan.fail_next(method, path, status=int(fault), times=times)


def _injected(world, service: str) -> int:
    if service == "SageMaker":
        return world.local_sagemaker.faults.injected
    return world.ibm.faults(IBM_PLANS[service]).total_injected


@given(parsers.parse("every service fails right after the {resource} is created"),
       target_fixture="crash_marker")
def _(use_case: ModelUseCase, world, ibm_services, resource: str) -> list[str]:
    return crash_after(use_case, RESOURCES[resource], lambda: fail_everything(world))


@when("the onboarding runs until it fails", target_fixture="refusal")
def _(use_case: ModelUseCase) -> Exception:
    with pytest.raises(Exception) as failed:  # noqa: PT011 - the Then steps judge the error
        run_lifecycle(use_case)
    return failed.value


@then(parsers.parse("it stopped right after creating the {resource}"))
def _(crash_marker: list[str], refusal: Exception, resource: str) -> None:
    assert crash_marker, f"the {resource} was never created"
    assert isinstance(refusal, MlMonitorError), repr(refusal)


@when("the services recover and a new process cleans up from the state file",
      target_fixture="cleanup_counts")
def _(use_case: ModelUseCase, world) -> dict[str, int]:
    lift_faults(world)
    counts = cleanup_in_new_process(use_case.state_file, world.open_to_other_processes())
    use_case.reload()
    return counts


@then("no resource of the onboarding remains in any service")
def _(use_case: ModelUseCase, world, ibm_services) -> None:
    assert [r.id for r in use_case.store.alive() if r.service != "training"] == []
    assert use_case.still_existing() == []
    # What OpenScale made on its own for our subscriptions (data sets, default monitors)
    # and endpoints the local data plane still serves: only an emulated world can say.
    subscriptions = {r.id for r in use_case.state.resources if r.kind == "subscription"}
    assert [left for sub in subscriptions for left in ibm_services.openscale_leftovers(sub)] == []
    endpoints = {r.id for r in use_case.state.resources if r.kind == "endpoint"}
    assert endpoints.isdisjoint(world.local_sagemaker.endpoints)


@then("cleaning up again deletes nothing")
def _(use_case: ModelUseCase) -> None:
    assert use_case.cleanup() == {"serving": 0, "wos": 0, "factsheets": 0}


@given(parsers.parse("{service} answers the next {times:d} requests to {operation} with {fault}"),
       target_fixture="faults_before")
def _(world, ibm_services, use_case: ModelUseCase, service: str, times: int, operation: str,
      fault: str) -> int:
    before = _injected(world, service)  # the world is shared by the session's scenarios
    _inject(world, service, operation, fault, times, use_case.settings.env)
    return before


@given(parsers.parse("{service} answers every request to {operation} with {fault}"))
def _(world, ibm_services, use_case: ModelUseCase, service: str, operation: str,
      fault: str) -> None:
    _inject(world, service, operation, fault, -1, use_case.settings.env)


@when("the model is onboarded up to its evaluation", target_fixture="evaluation")
@when("the model is onboarded up to its evaluation again", target_fixture="evaluation")
def _(use_case: ModelUseCase):
    return run_lifecycle(use_case)


@then(parsers.parse("{service} injected {times:d} faults"))
def _(world, service: str, times: int, faults_before: int) -> None:
    assert _injected(world, service) - faults_before == times


@then(parsers.parse("the services hold {endpoints:d} endpoint, {subscriptions:d} subscription "
                    "and {assets:d} model asset for the model"))
def _(use_case: ModelUseCase, endpoints: int, subscriptions: int, assets: int) -> None:
    created = {kind: [r.id for r in use_case.state.resources if r.kind == kind]
               for kind in ("endpoint", "subscription", "model_asset")}
    found = (len(created["endpoint"]), len(created["subscription"]),
             len(created["model_asset"]))
    assert found == (endpoints, subscriptions, assets)  # every creation is recorded at once
    existing = use_case.still_existing()  # ...and each still exists, asked of its service
    for kind, prefix in (("endpoint", "serving endpoint"), ("subscription", "wos subscription"),
                         ("model_asset", "factsheets asset")):
        assert all(f"{prefix} {rid}" in existing for rid in created[kind]), existing


@given("the model has been onboarded up to its evaluation")
def _(use_case: ModelUseCase) -> None:
    run_lifecycle(use_case)


@given(parsers.parse("{service} refuses to delete the {resource}"))
def _(world, ibm_services, service: str, resource: str) -> None:
    named, plan, operation, path = REFUSED_DELETES[resource]
    assert named == service, f"{service} does not hold the {resource}"
    if plan is None:
        world.local_sagemaker.faults.inject(operation, "AccessDeniedException", times=-1,
                                            status=400, message="injected refusal")
    else:
        world.ibm.faults(plan).fail_next(operation, path, status=403, times=-1)


@when("the use case is cleaned up despite the refusal", target_fixture="refusal")
def _(use_case: ModelUseCase) -> CleanupIncomplete:
    with pytest.raises(CleanupIncomplete) as refused:
        use_case.cleanup()
    return refused.value


@then(parsers.parse("the cleanup names the {resource} in {service} as not deleted"))
def _(refusal: CleanupIncomplete, use_case: ModelUseCase, resource: str, service: str) -> None:
    _, kind, _ = RESOURCES[resource]
    alive = {r.id for r in use_case.store.alive() if r.kind == kind}
    named = {f.resource.split(" ", 1)[1] for f in refusal.failures
             if f.service == service and f.resource.startswith(kind + " ")}
    assert alive and named == alive, (refusal.failures, alive)
    assert {f.service for f in refusal.failures} == {service}


@then("SageMaker no longer has the endpoint")
def _(use_case: ModelUseCase) -> None:
    assert use_case.store.alive("serving", "endpoint") == []
    endpoints = [r.id for r in use_case.state.resources if r.kind == "endpoint"]
    sagemaker = aws.make_client(use_case.session, "sagemaker")
    listed = [e["EndpointName"] for page in sagemaker.get_paginator("list_endpoints").paginate()
              for e in page["Endpoints"]]
    assert endpoints and not set(endpoints) & set(listed)


@then(parsers.parse(
    "the state file still lists the {resource} and nothing of the other services"))
def _(use_case: ModelUseCase, resource: str) -> None:
    service, kind, _ = RESOURCES[resource]
    alive = {(r.service, r.kind) for r in use_case.store.alive() if r.service != "training"}
    assert (service, kind) in alive
    assert {svc for svc, _ in alive} == {service}


@when(parsers.parse("{service} accepts deletes again and the use case is cleaned up again"),
      target_fixture="cleanup_counts")
def _(use_case: ModelUseCase, world, service: str) -> dict[str, int]:
    lift_faults(world)
    return use_case.cleanup()
