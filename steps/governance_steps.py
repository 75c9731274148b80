"""Governance steps: the model asset in AI Factsheets and its link to the model use case."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from mlmonitor_lib.usecase import ModelUseCase

PLATFORMS = {"IBM Cloud": "saas", "Cloud Pak for Data": "prem"}


@given(parsers.parse("the IBM services of {platform}"), target_fixture="ibm_flavour")
def _(platform: str) -> str:
    return PLATFORMS[platform]


@when("the model is governed", target_fixture="governance")
@when("the model is governed again", target_fixture="governance")
def _(use_case: ModelUseCase) -> dict:
    return use_case.govern()


@then("a model asset exists for the endpoint")
def _(use_case: ModelUseCase, governance: dict) -> None:
    summary = use_case.factsheet()
    assert summary.asset_id == governance["asset_id"]
    assert summary.model_identifier == use_case.state.endpoint_name


@then("the asset is linked to the model entry")
def _(use_case: ModelUseCase, evidence) -> None:
    summary = use_case.factsheet()
    evidence.factsheet(summary)
    assert summary.linked
    assert summary.model_entry_id == use_case.state.model_entry_id


@then("the asset holds the training hyperparameters and test accuracy")
def _(use_case: ModelUseCase) -> None:
    summary = use_case.factsheet()
    assert summary.metrics["test_accuracy"] == use_case.state.training_metrics["test_accuracy"]
    assert summary.hyperparameters["batch-size"] == str(use_case.hyperparameters["batch-size"])


@then(parsers.parse("the cleanup reports {count:d} model asset deleted"))
def _(cleanup_counts: dict, count: int) -> None:
    assert cleanup_counts["factsheets"] == count


@then("no model asset or link remains in the model inventory")
def _(use_case: ModelUseCase, governance: dict) -> None:
    assert use_case.store.alive("factsheets") == []
    assert [found for found in use_case.still_existing() if found.startswith("factsheets")] == []


@then(parsers.parse("the model inventory holds {count:d} asset for the endpoint"))
def _(use_case: ModelUseCase, ibm_services, count: int) -> None:
    assert len(ibm_services.factsheets_assets_for(use_case.state.model_entry_id)) == count
