"""Binds features/governance.feature, with the steps only governance speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bdd import parsers, scenarios, then

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase

scenarios("governance.feature")


@then("the model inventory holds an asset for the deployed model")
def asset_for_deployed_model(use_case: ModelUseCase, governance: dict) -> None:
    summary = use_case.factsheet()
    assert summary.asset_id == governance["asset_id"]
    assert summary.model_identifier == use_case.state.endpoint_name


@then("the asset records the training's hyperparameters and test accuracy")
def asset_records_training_facts(use_case: ModelUseCase) -> None:
    summary = use_case.factsheet()
    assert summary.metrics["test_accuracy"] == use_case.state.training_metrics["test_accuracy"]
    assert use_case.hyperparameters
    for name, value in use_case.hyperparameters.items():
        assert summary.hyperparameters[name] == str(value), name


@then("no model asset or link remains in the model inventory")
def no_asset_or_link_remains(use_case: ModelUseCase) -> None:
    assert use_case.store.alive("factsheets") == []
    assert [found for found in use_case.still_existing() if found.startswith("factsheets")] == []


@then(parsers.parse("the model inventory holds {count:d} asset for the endpoint"))
def inventory_holds_assets(use_case: ModelUseCase, ibm_services, count: int) -> None:
    assert len(ibm_services.factsheets_assets_for(use_case.state.model_entry_id)) == count
