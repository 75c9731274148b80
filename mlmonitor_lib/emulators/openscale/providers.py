"""The OpenScale emulator's data marts, service providers and their deployment discovery."""

from __future__ import annotations

import uuid
from typing import Any

from mlmonitor_lib.emulators.openscale.discovery import list_deployments
from mlmonitor_lib.emulators.openscale.exceptions import (
    BadRequest,
    Conflict,
    NotEmulated,
    ProviderUnreachable,
)
from mlmonitor_lib.emulators.openscale.resources import SAGEMAKER, ResourceStore, crn, get_path


class Providers(ResourceStore):
    """Data marts and service providers; a SageMaker provider's deployments, asked of SageMaker."""

    # data marts --------------------------------------------------------------------------
    def add_data_mart(self, body: dict[str, Any], instance_id: str | None = None
                      ) -> dict[str, Any]:
        """The instance's one data mart; its id is the service instance's id, as in IBM's
        SageMaker notebook (data mart ``80e6093f-...`` of instance ``80e6093f-...``)."""
        if self._docs("data_marts"):
            raise Conflict("A data mart already exists for this service instance.")
        instance_id = instance_id or self.instance_ids[0]
        entity = {k: v for k, v in body.items() if k != "database_configuration"}
        entity["service_instance_crn"] = crn(instance_id, "", "")
        entity.setdefault("internal_database", True)
        config = body.get("database_configuration")
        if config:
            entity["database_configuration"] = {
                **{k: v for k, v in config.items() if k != "credentials"},
                "credentials": self._secret(config.get("credentials")),
            }
        doc = self._create("data_marts", {**entity, "data_mart_id": instance_id}, rid=instance_id)
        del doc["entity"]["data_mart_id"]
        if not config and entity["internal_database"]:
            # the internal database as data_marts.get shows it in IBM's SageMaker notebook
            doc["entity"]["database_configuration"] = {
                "database_type": "postgresql",
                "credentials": {"secret_id": str(uuid.uuid4())},
                "location": {"schema_name": doc["metadata"]["id"]},
            }
        return doc

    # service providers -------------------------------------------------------------------
    def add_service_provider(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if not name or not body.get("service_type"):
            raise BadRequest("A service provider needs a name and a service_type.")
        if any(get_path(d, "name") == name for d in self._docs("service_providers")):
            raise Conflict(f"Service provider name '{name}' is already in use.")
        entity = {k: v for k, v in body.items() if k != "credentials"}
        entity["credentials"] = self._secret(body.get("credentials")) or {"secret_id": ""}
        return self._create("service_providers", entity)

    def list_ml_deployments(self, provider_id: str, data_mart_id: str) -> dict[str, Any]:
        """What ``GET /v1/ml_instances/<provider>/deployments`` answers: the deployments the
        provider's engine holds, asked with the provider's own credentials."""
        self._doc("data_marts", data_mart_id)
        provider = self._doc("service_providers", provider_id)
        if get_path(provider, "service_type") != SAGEMAKER:
            raise NotEmulated(f"deployment discovery for '{get_path(provider, 'service_type')}'"
                              " service providers (only amazon_sagemaker)")
        if self.sagemaker is None:
            raise NotEmulated("SageMaker here: the world gave this backend no SageMaker to ask")
        from botocore.exceptions import BotoCoreError, ClientError

        credentials = self._credentials(provider)
        try:
            found = list_deployments(self.sagemaker(credentials), self.listed_states)
        except ClientError as exc:
            raise ProviderUnreachable(provider_id, str(exc)) from None
        except BotoCoreError as exc:
            raise ProviderUnreachable(provider_id, str(exc)) from None
        return {"resources": found, "count": len(found)}
