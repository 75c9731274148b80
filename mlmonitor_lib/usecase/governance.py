"""Governance stage: register the deployed model as an AI Factsheets asset, and remove it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlmonitor_lib.usecase.context import StageContext
from mlmonitor_lib.usecase.display import say

if TYPE_CHECKING:
    from mlmonitor_lib.ibm.factsheets import AssetSummary, FactsheetsAdapter


def factsheets(uc: StageContext) -> FactsheetsAdapter:
    """The AI Factsheets adapter, its scratch folder next to the state file (lazy import keeps
    the SDK out of import time)."""
    from mlmonitor_lib.ibm.factsheets import FactsheetsAdapter

    return FactsheetsAdapter(uc.settings, scratch_parent=uc.store.path.parent)


def govern(uc: StageContext) -> dict[str, Any]:
    """The external model asset with its deployment and training facts, once."""
    if uc.state.governed:
        say(uc.stream, f"model already governed as asset {uc.state.ids.get('model_asset')}")
        return {"asset_id": uc.state.ids.get("model_asset")}
    runtime = uc.signature.aws_runtime
    name = uc.state.endpoint_name or runtime.job_name
    result = factsheets(uc).govern(
        model_identifier=name, name=name, ledger=uc.store,
        description=uc.signature.description,
        deployment_details={
            "identifier": name, "name": name, "deployment_type": "online",
            "scoring_endpoint": uc.scoring_url,
            "description": f"SageMaker endpoint serving training job {uc.state.job_name}",
        },
        hyperparameters=uc.hyperparameters,
        metrics={k: float(v) for k, v in uc.state.training_metrics.items()
                 if isinstance(v, int | float) and not isinstance(v, bool)},
        catalog_id=uc.state.catalog_id, model_entry_id=uc.state.model_entry_id,
    )
    uc.store.update(governed=True, ids={**uc.state.ids, "model_asset": result.asset_id})
    say(uc.stream, f"INFO : External model asset saved successfully under asset_id "
              f"{result.asset_id} and catalog {result.catalog_id}")
    say(uc.stream, f"INFO : Successfully finished linking Model {result.asset_id} to Model "
              f"Entry {result.model_entry_id}")
    return {"asset_id": result.asset_id, "catalog_id": result.catalog_id,
            "model_entry_id": result.model_entry_id, "version": result.version}


def factsheet(uc: StageContext) -> AssetSummary:
    """What AI Factsheets holds about the governed model (asset, link, facts)."""
    return factsheets(uc).asset_summary(uc.state.ids["model_asset"], uc.state.catalog_id)


def still_existing(uc: StageContext) -> list[str]:
    """The assets of the ledger (model asset, training facts) AI Factsheets still holds."""
    assets = sorted({r.id for r in uc.state.resources if r.service == "factsheets"
                     and r.kind in ("model_asset", "notebook_experiment")})
    return [f"factsheets asset {asset}" for asset in
            factsheets(uc).existing(assets, uc.state.catalog_id)]


def cleanup(uc: StageContext) -> int:
    """Delete the assets the ledger lists alive; model assets deleted."""
    return factsheets(uc).cleanup(uc.store)
