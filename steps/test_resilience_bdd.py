"""Binds features/resilience.feature, with its steps: injected faults, crashes right after each
resource, cleanup from the state file.

Faults exist only in the emulated worlds (mock and rehearsal): the scenarios that inject them
are tagged ``@emulated`` and left out of live runs. The feature speaks of a service being
briefly unavailable while we subscribe; the tables below say what that is on the wire.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, scenarios, then, when

from mlmonitor_harness.crash import (
    CREATION_POINTS_BY_NAME,
    cleanup_in_new_process,
    crash_after,
    fail_everything,
    lift_faults,
    run_lifecycle,
)
from mlmonitor_lib import aws
from mlmonitor_lib.errors import CleanupIncomplete
from steps.outcomes import Outcome, attempt, refusal

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase

scenarios("resilience.feature")

RESOURCES = CREATION_POINTS_BY_NAME  # the harness's one list of crash points

# --- the wire behind the feature's words ---------------------------------------------------------
IBM_PLANS = {"Watson OpenScale": "openscale", "AI Factsheets": "factsheets",
             "the IBM login service": "iam"}
# the operation each moment of the onboarding calls: an API route for IBM, an action for AWS
MOMENTS = {
    ("Watson OpenScale", "while we subscribe"): "POST /v2/subscriptions",
    ("Watson OpenScale", "while we create the quality monitor"): "POST /v2/monitor_instances",
    ("AI Factsheets", "while we record the model asset"): "PUT /model_stub",
    ("SageMaker", "while we create the endpoint"): "CreateEndpoint",
    ("SageMaker", "while we score"): "InvokeEndpoint",
    ("the IBM login service", "while we log in"): "its token request",
}
# "its token request": IAM's on IBM Cloud, the cluster's on Cloud Pak for Data
TOKEN_REQUESTS = {"saas": "POST /identity/token", "prem": "POST /icp4d-api/v1/authorize"}
# how each trouble answers: an HTTP status from IBM, an error code from AWS
TROUBLES = {
    "briefly unavailable": {"IBM": "503", "SageMaker": "ServiceUnavailable"},
    "unavailable": {"IBM": "503", "SageMaker": "ServiceUnavailable"},
    "failing": {"IBM": "500", "SageMaker": "InternalFailure"},
    "throttling us": {"IBM": "429", "SageMaker": "ThrottlingException"},
}
# How each service refuses a delete: AccessDenied-style, not retried by any SDK.
REFUSED_DELETES = {
    "model asset": ("AI Factsheets", "factsheets", "DELETE", "/v2/assets/{asset_id}"),
    "subscription": ("Watson OpenScale", "openscale", "DELETE", "/v2/subscriptions/{id}"),
    "serving model": ("SageMaker", None, "DeleteModel", None),
}


def wire_fault(service: str, trouble: str, moment: str, platform: str) -> tuple[str, str]:
    """The operation and the fault that the feature's words stand for."""
    operation = MOMENTS[(service, moment)]
    if operation == "its token request":
        operation = TOKEN_REQUESTS[platform]
    return operation, TROUBLES[trouble]["SageMaker" if service == "SageMaker" else "IBM"]


def inject(world, service: str, trouble: str, moment: str, tries: int, platform: str) -> None:
    """Turn away the next ``tries`` requests (-1: all of them) of that moment."""
    operation, fault = wire_fault(service, trouble, moment, platform)
    if service == "SageMaker":
        world.local_sagemaker.faults.inject(operation, fault, times=tries)
        return
    method, path = operation.split(" ", 1)
    plan = world.ibm.faults(IBM_PLANS[service])
    if fault == "429":
        plan.throttle(method, path, retry_after=0, times=tries)
    else:
        plan.fail_next(method, path, status=int(fault), times=tries)


def injected(world, service: str) -> int:
    if service == "SageMaker":
        return world.local_sagemaker.faults.injected
    return world.ibm.faults(IBM_PLANS[service]).total_injected


# --- crashes -----------------------------------------------------------------------------------
@given(parsers.parse("every service goes down right after the {resource} is created"),
       target_fixture="crash_marker")
def crash_after_creating(use_case: ModelUseCase, world, ibm_services, resource: str
                         ) -> list[str]:
    """Publishes a list that holds the resource's id once it was created (and the crash
    came)."""
    return crash_after(use_case, RESOURCES[resource], lambda: fail_everything(world))


@when("the model is onboarded up to its evaluation", target_fixture="outcome")
@when("the model is onboarded up to its evaluation again", target_fixture="outcome")
def onboard_up_to_evaluation(use_case: ModelUseCase) -> Outcome:
    return attempt(lambda: run_lifecycle(use_case))


@then(parsers.parse("the onboarding stopped right after creating the {resource}"))
def stopped_after_creating(crash_marker: list[str], outcome: Outcome, resource: str) -> None:
    refusal(outcome)
    assert crash_marker, f"the {resource} was never created"


@when("the services recover and a new process cleans up from the state file",
      target_fixture="outcome")
def recover_and_clean_up_elsewhere(use_case: ModelUseCase, world) -> Outcome:
    lift_faults(world)
    counts = cleanup_in_new_process(use_case.state_file, world.open_to_other_processes())
    use_case.reload()
    return Outcome(value=counts)


@then("no resource of the onboarding remains in any service")
def no_resource_remains(use_case: ModelUseCase, world, ibm_services) -> None:
    assert [r.id for r in use_case.store.alive() if r.service != "training"] == []
    assert use_case.still_existing() == []
    # What OpenScale made on its own for our subscriptions (data sets, default monitors)
    # and endpoints the local data plane still serves: only an emulated world can say.
    subscriptions = {r.id for r in use_case.state.resources if r.kind == "subscription"}
    assert [left for sub in subscriptions for left in ibm_services.openscale_leftovers(sub)] == []
    endpoints = {r.id for r in use_case.state.resources if r.kind == "endpoint"}
    assert endpoints.isdisjoint(world.local_sagemaker.endpoints)


# --- passing and lasting faults -------------------------------------------------------------------
@given(parsers.parse("{service} is {trouble} for our first {tries:d} tries {moment}"),
       target_fixture="faults_before")
def trouble_for_first_tries(world, ibm_services, use_case: ModelUseCase, service: str,
                            trouble: str, tries: int, moment: str) -> int:
    """Publishes how many faults the service had injected before (the world is the
    session's)."""
    before = injected(world, service)
    inject(world, service, trouble, moment, tries, use_case.settings.env)
    return before


@given(parsers.parse("{service} is {trouble} for every try {moment}"), target_fixture="outage")
def trouble_for_every_try(world, ibm_services, use_case: ModelUseCase, service: str,
                          trouble: str, moment: str) -> tuple[str, str]:
    """Publishes the service and what it answers."""
    inject(world, service, trouble, moment, -1, use_case.settings.env)
    return service, wire_fault(service, trouble, moment, use_case.settings.env)[1]


@then(parsers.parse("{service} turned away exactly {tries:d} of our tries"))
def turned_away_exactly(world, service: str, tries: int, faults_before: int) -> None:
    assert injected(world, service) - faults_before == tries


@then("the onboarding stopped with an error naming Watson OpenScale and its answer")
def stopped_naming_service_and_answer(outcome: Outcome, outage: tuple[str, str]) -> None:
    service, answer = outage
    message = str(refusal(outcome))
    assert service == "Watson OpenScale"
    assert service in message and answer in message, message


@then(parsers.parse("the services hold {endpoints:d} endpoint, {subscriptions:d} subscription "
                    "and {assets:d} model asset for the model"))
def services_hold(use_case: ModelUseCase, endpoints: int, subscriptions: int,
                  assets: int) -> None:
    created = {kind: [r.id for r in use_case.state.resources if r.kind == kind]
               for kind in ("endpoint", "subscription", "model_asset")}
    found = (len(created["endpoint"]), len(created["subscription"]),
             len(created["model_asset"]))
    assert found == (endpoints, subscriptions, assets)  # every creation is recorded at once
    existing = use_case.still_existing()  # ...and each still exists, asked of its service
    for kind, prefix in (("endpoint", "serving endpoint"), ("subscription", "wos subscription"),
                         ("model_asset", "factsheets asset")):
        assert all(f"{prefix} {rid}" in existing for rid in created[kind]), existing


# --- refused deletes ---------------------------------------------------------------------------
@given("the model has been onboarded up to its evaluation")
def onboarded_up_to_evaluation(use_case: ModelUseCase) -> None:
    run_lifecycle(use_case)


@given(parsers.parse("{service} refuses to delete the {resource}"))
def refuse_deletes(world, ibm_services, service: str, resource: str) -> None:
    named, plan, operation, path = REFUSED_DELETES[resource]
    if named != service:
        raise LookupError(f"{service} does not hold the {resource}: {named} does")
    if plan is None:
        world.local_sagemaker.faults.inject(operation, "AccessDeniedException", times=-1,
                                            status=400, message="injected refusal")
    else:
        world.ibm.faults(plan).fail_next(operation, path, status=403, times=-1)


@then(parsers.parse("the cleanup names the {resource} in {service} as not deleted"))
def cleanup_names_undeleted(outcome: Outcome, use_case: ModelUseCase, resource: str,
                            service: str) -> None:
    refused = refusal(outcome)
    assert isinstance(refused, CleanupIncomplete), repr(refused)
    _, kind, _ = RESOURCES[resource]
    alive = {r.id for r in use_case.store.alive() if r.kind == kind}
    named = {f.resource.split(" ", 1)[1] for f in refused.failures
             if f.service == service and f.resource.startswith(kind + " ")}
    assert alive and named == alive, (refused.failures, alive)
    assert {f.service for f in refused.failures} == {service}


@then("SageMaker no longer has the endpoint")
def sagemaker_endpoint_gone(use_case: ModelUseCase) -> None:
    assert use_case.store.alive("serving", "endpoint") == []
    endpoints = [r.id for r in use_case.state.resources if r.kind == "endpoint"]
    sagemaker = aws.make_client(use_case.session, "sagemaker")
    listed = [e["EndpointName"] for page in sagemaker.get_paginator("list_endpoints").paginate()
              for e in page["Endpoints"]]
    assert endpoints and not set(endpoints) & set(listed)


@then(parsers.parse(
    "the state file still lists the {resource} and nothing of the other services"))
def state_file_lists_only(use_case: ModelUseCase, resource: str) -> None:
    service, kind, _ = RESOURCES[resource]
    alive = {(r.service, r.kind) for r in use_case.store.alive() if r.service != "training"}
    assert (service, kind) in alive
    assert {svc for svc, _ in alive} == {service}


@when(parsers.parse("{service} accepts deletes again"))
def accept_deletes_again(world, service: str) -> None:
    lift_faults(world)
