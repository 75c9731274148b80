"""Binds features/onboarding.feature, with the steps only the whole onboarding speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pytest_bdd import given, scenarios, then

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase

scenarios("onboarding.feature")


@given("the model's entry in our model inventory")
def model_inventory_entry(use_case: ModelUseCase) -> None:
    """The catalog and model entry the asset is linked to come from the settings; a run
    without them cannot onboard, so it stops here saying what to set."""
    if not (use_case.state.catalog_id and use_case.state.model_entry_id):
        pytest.fail("set CATALOG_ID and MODEL_ENTRY_ID (see README, Configuration)",
                    pytrace=False)


@then("nothing the onboarding created is left running")
def nothing_left_running(use_case: ModelUseCase) -> None:
    leftovers = [f"{r.service}/{r.kind}/{r.id}" for r in use_case.store.alive()
                 if r.service in ("serving", "wos", "factsheets")]
    assert leftovers == []
    assert use_case.still_existing() == []
