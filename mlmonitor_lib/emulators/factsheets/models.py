"""State of the emulated AI Factsheets: catalogs, model use cases, model assets, experiments.

Everything is id-keyed and guarded by one lock, so the same backend can be served in-process on
``responses`` and over HTTP from a threaded loopback server at once. Each resource knows its
wire shape (``to_wire``), as moto's models do; the handlers in :mod:`.responses` only pick the
resource and the status code. Shapes follow what ``ibm-aigov-facts-client`` 1.0.107 reads; the
model-entry listing and ``relatemodels`` also follow what IBM/mlmonitor sends and reads
(``mlmonitor/src/factsheets/utils.py``), with the physical-model row it recorded from the service
(``mlmonitor/src/model/use_case_aws.py``).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlmonitor_lib.emulators.routing import HttpError

# The resource id (service plan family) the SDK accepts as a watsonx.governance instance.
WX_GOV_RESOURCE_ID = "2ad019f3-0fd6-4c25-966d-f3952481a870"
# Every model use case starts with this approach, as in the product.
DEFAULT_APPROACH_ID = "00000000-0000-0000-0000-000000000000"
# A model's deployment as the model-entry listing shows it before any evaluation (the row
# IBM/mlmonitor recorded from the service, mlmonitor/src/model/use_case_aws.py).
PENDING_EVALUATION = "Pending Evaluation"
# Heartbeat version: >= 4.8.3 so the SDK takes its current code paths (it compares strings).
DEFAULT_VERSION = "5.2.0"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id() -> str:
    return str(uuid.uuid4())


class NotFound(HttpError):
    """404 in the shape of the catalog (CAMS) API, naming what was looked for."""

    def __init__(self, kind: str, resource_id: str, where: str = "") -> None:
        suffix = f" in {where}" if where else ""
        super().__init__(404, "not_found", f"{kind} {resource_id} was not found{suffix}.")


def bad_request(message: str, code: str = "invalid_parameter") -> HttpError:
    return HttpError(400, code, message)


@dataclass
class Catalog:
    id: str
    name: str
    bss_account_id: str
    is_platform_asset_catalog: bool = False
    created_at: str = field(default_factory=_now)

    def to_wire(self) -> dict[str, Any]:
        return {
            "metadata": {
                "guid": self.id,
                "url": f"/v2/catalogs/{self.id}",
                "creator_id": "emulator",
                "create_time": self.created_at,
            },
            "entity": {
                "name": self.name,
                "description": "",
                "bss_account_id": self.bss_account_id,
                "is_governed": False,
                "uid": "ibm-global-catalog" if self.is_platform_asset_catalog else self.id,
                "generator": "Default-Catalog" if self.is_platform_asset_catalog else "emulator",
            },
        }


@dataclass
class Approach:
    id: str
    name: str
    description: str = ""
    icon: str = "Packages"
    icon_color: str = "Gray"
    versions: list[dict[str, Any]] = field(default_factory=list)  # newest first

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "icon": self.icon,
            "icon_color": self.icon_color,
            "versions": [dict(v) for v in self.versions],
        }


@dataclass
class ModelUseCase:
    """A model use case (formerly "model entry"); created in the UI before onboarding."""

    id: str
    catalog_id: str
    name: str
    description: str = ""
    approaches: dict[str, Approach] = field(default_factory=dict)
    created_at: str = field(default_factory=_now)

    def to_wire(self) -> dict[str, Any]:
        return {
            "metadata": _asset_metadata(self.id, self.catalog_id, self.name, self.description,
                                        "model_entry", self.created_at),
            "entity": {
                "model_entry": {"data_model": "mastercopy1.0", "status": "draft"},
                "model_entry_user": {},
            },
            "href": f"/v2/assets/{self.id}?catalog_id={self.catalog_id}",
        }


@dataclass
class Tracking:
    """The link between a model asset and a use case (approach + version)."""

    model_entry_id: str
    model_entry_catalog_id: str
    model_entry_name: str
    approach_id: str
    version_number: str
    version_comment: str = ""
    tracked_at: str = field(default_factory=_now)

    def to_wire(self) -> dict[str, Any]:
        return {
            "lmid": f"{self.model_entry_catalog_id}:{self.model_entry_id}",
            "model_entry_id": self.model_entry_id,
            "model_entry_catalog_id": self.model_entry_catalog_id,
            "model_entry_name": self.model_entry_name,
            "model_entry_approach_id": self.approach_id,
            "model_entry_version_number": self.version_number,
            "model_entry_version_comment": self.version_comment,
            "tracked_at": self.tracked_at,
        }


@dataclass
class NotebookExperiment:
    """Training facts posted before the model asset exists; claimed by the model stub whose
    ``experiment_name`` matches, after which they live on that asset."""

    id: str
    catalog_id: str
    name: str
    experiment_id: str
    runs: list[dict[str, Any]]
    model_asset_id: str | None = None
    created_at: str = field(default_factory=_now)

    def facts(self) -> dict[str, Any]:
        return {"experiment_id": self.experiment_id, "name": self.name,
                "runs": [dict(r) for r in self.runs]}

    def to_wire(self) -> dict[str, Any]:
        return {
            "metadata": _asset_metadata(self.id, self.catalog_id, self.name, "",
                                        "notebook_experiment", self.created_at),
            "entity": {"notebook_experiment": self.facts()},
            "href": f"/v2/assets/{self.id}?catalog_id={self.catalog_id}",
        }


@dataclass
class ModelAsset:
    """An external model ("model stub") asset in a catalog."""

    id: str
    catalog_id: str
    name: str
    description: str
    model_id: str  # md5 of the provider's identifier, as the SDK sends it
    external_identifier: str
    deployments: list[dict[str, Any]] = field(default_factory=list)
    schemas: dict[str, Any] = field(default_factory=dict)
    training_data_references: list[dict[str, Any]] = field(default_factory=list)
    notebook_experiment: dict[str, Any] | None = None
    tracking: Tracking | None = None
    # The row the model shares with others in its use case: starts as its own hashed identifier
    # (``model_id``); ``relatemodels`` sets it to the reference model's. Source: the recorded row
    # in mlmonitor/src/model/use_case_aws.py, whose master_id is md5(training job name) = the
    # md5 of the reference model's identifier = its related deployment's id.
    master_id: str = ""
    environment: str = "development"  # deployment_space_type; set_environment_type moves it
    created_at: str = field(default_factory=_now)

    def __post_init__(self) -> None:
        self.master_id = self.master_id or self.model_id

    def to_wire(self) -> dict[str, Any]:
        system: dict[str, Any] = {"deployments": [dict(d) for d in self.deployments]}
        if self.tracking is not None:
            system["modelentry_information"] = self.tracking.to_wire()
        entity: dict[str, Any] = {
            "model_stub": {
                "model_id": self.model_id,
                "external_model_identifier": self.external_identifier,
                "schemas": self.schemas,
                "training_data_references": self.training_data_references,
            },
            "modelfacts_system": system,
            "modelfacts_user": {},
        }
        if self.notebook_experiment is not None:
            entity["notebook_experiment"] = self.notebook_experiment
        return {
            "metadata": _asset_metadata(self.id, self.catalog_id, self.name, self.description,
                                        "model_stub", self.created_at),
            "entity": entity,
            "href": f"/v2/assets/{self.id}?catalog_id={self.catalog_id}",
        }

    def physical_model(self, catalog_name: str) -> dict[str, Any]:
        """One ``physical_models`` row of ``GET .../model_entries/<use case>/models``: the fields
        and values of the row IBM/mlmonitor recorded from the service for an external model
        (mlmonitor/src/model/use_case_aws.py); the SDK's ``get_tracked_models`` returns these
        rows and mlmonitor reads ``id``, ``name``, ``deployment_space_type``,
        ``deployments[].name``, ``container_id`` and ``container_type``."""
        return {
            "id": self.id,
            "name": self.name,
            "type": "external_model",
            "container_id": self.catalog_id,
            "container_name": catalog_name,
            "container_type": "catalog",
            "is_deleted": False,
            "master_id": self.master_id,
            "source_asset_id": "",
            "algorithm": "",
            "deployment_space_type": self.environment,
            "deployments": [{"id": d.get("id"), "status": PENDING_EVALUATION,
                             "name": d.get("name")} for d in self.deployments],
            "openpages_details": {},
        }

    def search_row(self) -> dict[str, Any]:
        """One hit of ``POST /v3/search`` (global search) for this asset."""
        return {
            "artifact_id": self.id,
            "metadata": {"name": self.name, "artifact_type": "model_stub"},
            "entity": {"assets": {"catalog_id": self.catalog_id}},
            "custom_attributes": [
                {"attribute_name": "model_stub.model_id", "attribute_value": self.model_id}
            ],
        }


def _asset_metadata(asset_id: str, catalog_id: str, name: str, description: str,
                    asset_type: str, created_at: str) -> dict[str, Any]:
    return {
        "asset_id": asset_id,
        "name": name,
        "description": description,
        "asset_type": asset_type,
        "catalog_id": catalog_id,
        "created_at": created_at,
        "owner_id": "emulator",
        "rov": {"mode": 0},
        "asset_state": "available",
    }


Asset = ModelAsset | ModelUseCase | NotebookExperiment


class FactsheetsBackend:
    """All Factsheets state of one emulated account (or CP4D cluster).

    ``instance_id`` is the watsonx.governance instance the instance list reports as default;
    ``account_id`` is the account that owns the platform asset catalog.
    """

    def __init__(self, instance_id: str | None = None, account_id: str = "999",
                 version: str = DEFAULT_VERSION) -> None:
        self.instance_id = instance_id or _new_id()
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
            pac = Catalog(_new_id(), "Platform assets catalog", self.account_id, True)
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
            cid = catalog_id or _new_id()
            if cid not in self.catalogs:
                self.catalogs[cid] = Catalog(cid, name, self.account_id)
            return self.catalogs[cid]

    def add_model_use_case(self, catalog_id: str, model_entry_id: str | None = None,
                           name: str = "MNIST handwritten digits", description: str = ""
                           ) -> ModelUseCase:
        """Pre-seed what a user creates in the UI: a catalog holding a model use case with its
        default approach."""
        with self._lock:
            self.add_catalog(catalog_id)
            uc = ModelUseCase(model_entry_id or _new_id(), catalog_id, name, description)
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
                asset = ModelAsset(_new_id(), target, body["name"], body.get("description") or "",
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
            record = NotebookExperiment(_new_id(), self.pac_id, exp["name"],
                                        exp.get("experiment_id") or _new_id(),
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
            approach = Approach(_new_id(), body["name"], body.get("description") or "",
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
