"""State of the emulated AI Factsheets: one backend holding catalogs, use cases and assets.

Everything is id-keyed and guarded by one lock, so the same backend can be served in-process on
``responses`` and over HTTP from a threaded loopback server at once. The resources and their
wire shapes are in :mod:`.resources`; the handlers in :mod:`.responses` only pick the resource
and the status code. ``relatemodels`` follows what IBM/mlmonitor sends
(``mlmonitor/src/factsheets/utils.py``).
"""

from __future__ import annotations

import threading
from typing import Any

from mlmonitor_lib.emulators.factsheets.exceptions import NotFound, bad_request
from mlmonitor_lib.emulators.factsheets.resources import (
    DEFAULT_APPROACH_ID,
    DEFAULT_VERSION,
    WX_GOV_RESOURCE_ID,
    Approach,
    Asset,
    Catalog,
    ModelAsset,
    ModelUseCase,
    NotebookExperiment,
    Tracking,
    new_id,
)

__all__ = ["DEFAULT_APPROACH_ID", "FactsheetsBackend"]


class FactsheetsBackend:
    """All Factsheets state of one emulated account (or CP4D cluster).

    ``instance_id`` is the watsonx.governance instance the instance list reports as default;
    ``account_id`` is the account that owns the platform asset catalog.
    """

    def __init__(self, instance_id: str | None = None, account_id: str = "999",
                 version: str = DEFAULT_VERSION) -> None:
        self.instance_id = instance_id or new_id()
        self.account_id = account_id
        self.version = version
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget everything except the platform asset catalog (every account has one)."""
        with self._lock:
            self.catalogs: dict[str, Catalog] = {}
            self.use_cases: dict[str, ModelUseCase] = {}
            self.assets: dict[str, ModelAsset] = {}
            self.experiments: dict[str, NotebookExperiment] = {}
            pac = Catalog(new_id(), "Platform assets catalog", self.account_id, True)
            self.catalogs[pac.id] = pac
            self.pac_id = pac.id

    # service level ------------------------------------------------------------------------
    def heartbeat(self) -> dict[str, Any]:
        return {"version": self.version, "status": "ok"}

    def instances(self) -> list[dict[str, Any]]:
        return [{"guid": self.instance_id, "name": "watsonx.governance (emulated)",
                 "isDefaultInstance": True, "region_id": "us-south"}]

    def resource_instances(self) -> list[dict[str, Any]]:
        return [{"guid": self.instance_id, "id": f"crn:v1:emulated::{self.instance_id}::",
                 "name": "watsonx.governance (emulated)", "resource_id": WX_GOV_RESOURCE_ID,
                 "state": "active", "region_id": "us-south"}]

    # catalogs and use cases (set up in the UI by a real user) -------------------------------
    def add_catalog(self, catalog_id: str | None = None, name: str = "Model inventory") -> Catalog:
        with self._lock:
            cid = catalog_id or new_id()
            if cid not in self.catalogs:
                self.catalogs[cid] = Catalog(cid, name, self.account_id)
            return self.catalogs[cid]

    def add_model_use_case(self, catalog_id: str, model_entry_id: str | None = None,
                           name: str = "Model use case", description: str = ""
                           ) -> ModelUseCase:
        """Pre-seed what a user creates in the UI: a catalog holding a model use case with its
        default approach."""
        with self._lock:
            self.add_catalog(catalog_id)
            uc = ModelUseCase(model_entry_id or new_id(), catalog_id, name, description)
            uc.approaches[DEFAULT_APPROACH_ID] = Approach(DEFAULT_APPROACH_ID, "Default approach",
                                                          "Created with the use case")
            self.use_cases[uc.id] = uc
            return uc

    def get_catalog(self, catalog_id: str) -> Catalog:
        with self._lock:
            if catalog_id == "ibm-global-catalog":
                return self.catalogs[self.pac_id]
            if catalog_id not in self.catalogs:
                raise NotFound("catalog", catalog_id)
            return self.catalogs[catalog_id]

    def list_catalogs(self) -> list[Catalog]:
        with self._lock:
            return list(self.catalogs.values())

    def get_use_case(self, use_case_id: str, catalog_id: str) -> ModelUseCase:
        with self._lock:
            uc = self.use_cases.get(use_case_id)
            if uc is None or uc.catalog_id != catalog_id:
                raise NotFound("model use case", use_case_id, f"catalog {catalog_id}")
            return uc

    # assets ---------------------------------------------------------------------------------
    def get_asset(self, asset_id: str, catalog_id: str | None) -> Asset:
        with self._lock:
            found: Asset | None = (self.assets.get(asset_id) or self.use_cases.get(asset_id)
                                   or self.experiments.get(asset_id))
            if found is None or (catalog_id and found.catalog_id != catalog_id):
                raise NotFound("asset", asset_id, f"catalog {catalog_id}" if catalog_id else "")
            return found

    def get_model_asset(self, asset_id: str, catalog_id: str | None) -> ModelAsset:
        asset = self.get_asset(asset_id, catalog_id)
        if not isinstance(asset, ModelAsset):
            raise bad_request(f"asset {asset_id} is not a model asset")
        return asset

    def delete_asset(self, asset_id: str, catalog_id: str | None) -> None:
        """Delete a model asset (with the training facts it claimed), a use case or a pending
        experiment. Deleting a tracked model also removes it from its use case."""
        with self._lock:
            asset = self.get_asset(asset_id, catalog_id)
            if isinstance(asset, ModelAsset):
                uc = asset.tracking and self.use_cases.get(asset.tracking.model_entry_id)
                if uc:  # no longer listed, linked, nor a version of its approach
                    self._drop_versions_of(asset_id, uc)
                del self.assets[asset_id]
                for exp_id in [e.id for e in self.experiments.values()
                               if e.model_asset_id == asset_id]:
                    del self.experiments[exp_id]
            elif isinstance(asset, ModelUseCase):
                if any(a.tracking and a.tracking.model_entry_id == asset_id
                       for a in self.assets.values()):
                    raise bad_request(f"model use case {asset_id} still tracks models: untrack "
                                      "them first", "asset_in_use")
                del self.use_cases[asset_id]
            else:
                del self.experiments[asset_id]

    def search_model_stubs(self, model_id: str | None) -> list[ModelAsset]:
        with self._lock:
            return [a for a in self.assets.values() if model_id is None or a.model_id == model_id]

    def put_model_stub(self, body: dict[str, Any], catalog_id: str | None,
                       experiment_name: str | None) -> ModelAsset:
        """Create or update (keyed by ``model_id`` in the catalog) an external model asset and
        attach the pending training facts of ``experiment_name``."""
        for required in ("model_id", "name"):
            if not body.get(required):
                raise bad_request(f"{required} is required", "missing_property")
        with self._lock:
            target = self.get_catalog(catalog_id).id if catalog_id else self.pac_id
            asset = next((a for a in self.assets.values()
                          if a.model_id == body["model_id"] and a.catalog_id == target), None)
            if asset is None:
                asset = ModelAsset(new_id(), target, body["name"], body.get("description") or "",
                                   body["model_id"],
                                   body.get("external_model_identifier") or body["model_id"])
                self.assets[asset.id] = asset
            asset.name = body["name"]
            asset.description = body.get("description") or asset.description
            asset.schemas = body.get("schemas") or asset.schemas
            asset.training_data_references = (body.get("training_data_references")
                                              or asset.training_data_references)
            deployment = body.get("deployment_details")
            if deployment:
                asset.deployments = [d for d in asset.deployments
                                     if d.get("id") != deployment.get("id")] + [dict(deployment)]
            if experiment_name:
                self._claim_experiment(asset, experiment_name)
            return asset

    def _claim_experiment(self, asset: ModelAsset, experiment_name: str) -> None:
        pending = [e for e in self.experiments.values()
                   if e.name == experiment_name and e.model_asset_id in (None, asset.id)]
        if not pending:
            return
        runs = [run for e in pending for run in e.runs]
        asset.notebook_experiment = {"experiment_id": pending[-1].experiment_id,
                                     "name": experiment_name, "runs": runs}
        for e in pending:
            e.model_asset_id = asset.id

    def asset_type(self, name: str) -> dict[str, Any]:
        known = {"modelfacts_user", "modelfacts_user_op", "model_entry_user",
                 "modelfacts_global", "modelfacts_system", "notebook_experiment"}
        if name not in known:
            raise NotFound("asset type", name)
        return {"name": name, "description": f"The {name} asset type (emulated)",
                "fields": [], "relationships": [], "properties": {},
                "global_search_searchable": [], "localized_metadata_attributes": {}}

    # notebook experiments ---------------------------------------------------------------------
    def add_notebook_experiment(self, payload: dict[str, Any]) -> NotebookExperiment:
        exp = payload.get("notebook_experiment")
        if not isinstance(exp, dict) or not exp.get("name"):
            raise bad_request("notebook_experiment with a name is required", "missing_property")
        with self._lock:
            record = NotebookExperiment(new_id(), self.pac_id, exp["name"],
                                        exp.get("experiment_id") or new_id(),
                                        list(exp.get("runs") or []))
            self.experiments[record.id] = record
            return record

    # approaches and tracking ------------------------------------------------------------------
    def tracked_model_versions(self, use_case_id: str, catalog_id: str) -> list[Approach]:
        with self._lock:
            return list(self.get_use_case(use_case_id, catalog_id).approaches.values())

    def create_approach(self, use_case_id: str, catalog_id: str, body: dict[str, Any]
                        ) -> Approach:
        if not body.get("name"):
            raise bad_request("approach name is required", "missing_property")
        with self._lock:
            uc = self.get_use_case(use_case_id, catalog_id)
            approach = Approach(new_id(), body["name"], body.get("description") or "",
                                body.get("icon") or "Packages", body.get("icon_color") or "Gray")
            uc.approaches[approach.id] = approach
            return approach

    def track(self, asset_id: str, catalog_id: str | None, body: dict[str, Any]) -> Tracking:
        """``POST .../models/<asset>/model_entry``: link to an existing use case (by id) or a
        new one (by name), in an approach with a version number."""
        with self._lock:
            asset = self.get_model_asset(asset_id, catalog_id)
            uc_catalog = body.get("model_entry_catalog_id") or self.pac_id
            if body.get("model_entry_asset_id"):
                uc = self.get_use_case(body["model_entry_asset_id"], uc_catalog)
            elif body.get("model_entry_name"):
                uc = self.add_model_use_case(uc_catalog, None, body["model_entry_name"],
                                             body.get("model_entry_description") or "")
            else:
                raise bad_request("model_entry_asset_id or model_entry_name is required",
                                  "missing_property")
            details = body.get("version_details") or {}
            approach_id = details.get("approach_id") or DEFAULT_APPROACH_ID
            approach = uc.approaches.get(approach_id)
            if approach is None:
                raise NotFound("approach", approach_id, f"model use case {uc.id}")
            number = details.get("number") or "1.0.0"
            comment = details.get("comment") or ""
            if asset.tracking is not None and asset.tracking.model_entry_id != uc.id:
                raise bad_request(f"model {asset_id} is already tracked by use case "
                                  f"{asset.tracking.model_entry_id}: untrack it first",
                                  "already_tracked")
            self._drop_versions_of(asset_id, uc)  # re-tracking replaces the model's version
            approach.versions.insert(0, {"number": number, "comment": comment,
                                         "model_asset_id": asset_id})
            asset.tracking = Tracking(uc.id, uc.catalog_id, uc.name, approach.id, number, comment)
            return asset.tracking

    def untrack(self, asset_id: str, catalog_id: str | None) -> None:
        with self._lock:
            asset = self.get_model_asset(asset_id, catalog_id)
            if asset.tracking is None:
                raise bad_request(f"model {asset_id} is not tracked by any model use case",
                                  "not_tracked")
            uc = self.use_cases.get(asset.tracking.model_entry_id)
            if uc is not None:
                self._drop_versions_of(asset_id, uc)
            asset.tracking = None

    @staticmethod
    def _drop_versions_of(asset_id: str, uc: ModelUseCase) -> None:
        for approach in uc.approaches.values():
            approach.versions = [v for v in approach.versions
                                 if v.get("model_asset_id") != asset_id]

    def models_of_use_case(self, use_case_id: str, catalog_id: str) -> list[ModelAsset]:
        with self._lock:
            self.get_use_case(use_case_id, catalog_id)
            return [a for a in self.assets.values()
                    if a.tracking and a.tracking.model_entry_id == use_case_id]

    def physical_models(self, use_case_id: str, catalog_id: str) -> list[dict[str, Any]]:
        """The ``physical_models`` rows of the models a use case tracks, oldest first."""
        with self._lock:
            return [m.physical_model(self.catalogs[m.catalog_id].name)
                    for m in self.models_of_use_case(use_case_id, catalog_id)]

    def relate_models(self, use_case_id: str, catalog_id: str, body: dict[str, Any]
                      ) -> ModelAsset:
        """``PATCH .../model_entries/<use case>/relatemodels`` (the SDK's
        ``relate_models``: "Relates two models by updating the master_id, placing them in the
        same row"): ``model_id`` takes ``reference_model_id``'s master_id. Both must be models
        the use case tracks."""
        for required in ("reference_model_id", "model_id"):
            if not isinstance(body.get(required), str) or not body[required]:
                raise bad_request(f"{required} is required", "missing_property")
        with self._lock:
            tracked = {m.id: m for m in self.models_of_use_case(use_case_id, catalog_id)}
            for required in ("reference_model_id", "model_id"):
                if body[required] not in tracked:
                    raise NotFound("model", body[required], f"model use case {use_case_id}")
            model = tracked[body["model_id"]]
            model.master_id = tracked[body["reference_model_id"]].master_id
            return model
