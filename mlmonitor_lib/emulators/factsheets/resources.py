"""The Factsheets emulator's resources, each with its wire shape: catalogs, use cases, model assets.

Each resource knows its wire shape (``to_wire``), as moto's models do. Shapes follow what
``ibm-aigov-facts-client`` 1.0.107 reads; the model-entry listing follows what IBM/mlmonitor
reads (``mlmonitor/src/factsheets/utils.py``), with the physical-model row it recorded from the
service (``mlmonitor/src/model/use_case_aws.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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


def new_id() -> str:
    return str(uuid.uuid4())


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
