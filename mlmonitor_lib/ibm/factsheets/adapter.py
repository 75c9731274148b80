"""The Factsheets adapter: govern a model (facts, asset, tracking in the model use case), read
what was governed, and clean it up, each step checked and its failure named.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mlmonitor_lib.errors import (
    CleanupFailure,
    CleanupIncomplete,
    ServiceError,
    SettingsError,
)
from mlmonitor_lib.ibm.factsheets.sandbox import (
    CP4D_REGION,
    DISPLAY_NAME,
    SERVICE,
    _contained,
    _import_sdk,
    _reset_region_config,
    _run_in_own_thread,
    _Session,
)
from mlmonitor_lib.settings import FACTSHEETS_REGION_URLS, Settings

if TYPE_CHECKING:
    from mlmonitor_lib.state import Ledger, Service


class ResourceLedger(Protocol):
    """The ledger cleanup reads: :class:`~mlmonitor_lib.state.StateStore` satisfies it."""

    def record(self, service: Service, kind: str, resource_id: str, **attrs: Any) -> None: ...

    def forget(self, service: Service, kind: str, resource_id: str) -> None: ...

    def alive(self, service: Service | None = None, kind: str | None = None) -> list[Any]: ...


@dataclass(frozen=True)
class GovernResult:
    """What ``govern`` created: the external model asset and its link to the model use case."""

    asset_id: str
    catalog_id: str
    model_entry_id: str
    model_entry_catalog_id: str
    approach_id: str
    version: str
    experiment_asset_id: str


@dataclass(frozen=True)
class AssetSummary:
    """What a model asset holds, for reports: identity, link, deployment and training facts."""

    asset_id: str
    name: str
    description: str
    catalog_id: str
    asset_type: str
    model_identifier: str | None
    model_entry_id: str | None
    model_entry_catalog_id: str | None
    version: str | None
    deployments: list[dict[str, Any]] = field(default_factory=list)
    hyperparameters: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def linked(self) -> bool:
        return self.model_entry_id is not None


# ------------------------------------------------------------------------------------------------
# the adapter
# ------------------------------------------------------------------------------------------------
class FactsheetsAdapter:
    """Governs SageMaker models in AI Factsheets on IBM Cloud (API key) or CP4D (username with
    password or API key), through the real SDK.

    ``scratch_parent`` is where the per-session scratch directories go (default: the system
    temp directory); they never outlive a call.
    """

    def __init__(self, settings: Settings, scratch_parent: Path | None = None) -> None:
        self.settings = settings
        self.scratch_parent = scratch_parent

    # client construction ----------------------------------------------------------------------
    def _credentials(self, sdk: Any) -> dict[str, Any]:
        """The SDK's one credential argument, from Settings; SettingsError names what is missing."""
        s = self.settings
        if s.env == "saas":
            if s.api_key is None:
                raise SettingsError("AI Factsheets on IBM Cloud needs API_KEY: set it in the "
                                    "environment, .env or the MONITOR_CONFIG_FILE")
            regional = FACTSHEETS_REGION_URLS[s.factsheets_region]
            if s.effective_factsheets_url != regional:
                raise SettingsError(
                    f"FACTSHEETS_URL={s.effective_factsheets_url} cannot be used on IBM Cloud: the "
                    f"SDK only talks to its region's host ({regional} for FACTSHEETS_REGION="
                    f"{s.factsheets_region}). Unset FACTSHEETS_URL and set FACTSHEETS_REGION, or "
                    "use ENV=prem with CP4D_URL for another host")
            return {"api_key": s.api_key.get_secret_value(), "region": s.factsheets_region,
                    "service_instance_id": s.factsheets_instance_id}
        missing = [name for name, value in (("CP4D_URL", s.cp4d_url or s.factsheets_url),
                                            ("CP4D_USERNAME", s.cp4d_username)) if not value]
        if not (s.cp4d_password or s.api_key):
            missing.append("CP4D_PASSWORD or API_KEY")
        if missing:
            raise SettingsError(f"AI Factsheets on CP4D needs {', '.join(missing)}")
        secret = {"password": s.cp4d_password.get_secret_value()} if s.cp4d_password else {
            "api_key": s.api_key.get_secret_value()}  # type: ignore[union-attr]
        config = sdk.CloudPakforDataConfig(service_url=s.effective_factsheets_url,
                                           username=s.cp4d_username, **secret)
        return {"cloud_pak_for_data_configs": config, "region": CP4D_REGION}

    def _client(self, session: _Session, experiment_name: str | None = None) -> Any:
        """A fresh client (class-level config: never reuse one across sessions). Without an
        experiment name, tracing is off and no ``./mlruns`` is made."""
        sdk = _import_sdk()
        tracing = ({"experiment_name": experiment_name} if experiment_name
                   else {"disable_tracing": True})
        _reset_region_config()
        with session.step("login", "check API_KEY, FACTSHEETS_REGION and FACTSHEETS_INSTANCE_ID "
                          "(IBM Cloud: the instance must exist in that region; unset, the "
                          "account's default one) or CP4D_URL, CP4D_USERNAME and "
                          "CP4D_PASSWORD/API_KEY, and that the service is reachable"):
            return sdk.AIGovFactsClient(**self._credentials(sdk), **tracing,
                                        enable_autolog=False, external_model=True)

    @contextlib.contextmanager
    def _session(self) -> Iterator[_Session]:
        """A contained SDK session whose HTTP calls retry 429/5xx like OpenScale's (the SDK
        has no retry of its own: :mod:`mlmonitor_lib.ibm.retries`)."""
        from mlmonitor_lib.ibm.retries import retrying_requests

        with _contained(self.settings.secret_values(), self.scratch_parent) as session, \
                retrying_requests(self.settings.ibm_max_retries,
                                  self.settings.ibm_retry_interval):
            yield session

    def _ids(self, catalog_id: str | None, model_entry_id: str | None) -> tuple[str, str]:
        catalog = catalog_id or self.settings.catalog_id
        entry = model_entry_id or self.settings.model_entry_id
        missing = [n for n, v in (("CATALOG_ID", catalog), ("MODEL_ENTRY_ID", entry)) if not v]
        if missing:
            raise SettingsError(f"governing a model needs {' and '.join(missing)}: the model use "
                                "case (and its catalog) created in watsonx.governance beforehand")
        return catalog, entry  # type: ignore[return-value]

    # operations ---------------------------------------------------------------------------------
    def govern(
        self,
        model_identifier: str,
        name: str,
        ledger: Ledger,
        description: str = "",
        deployment_details: Mapping[str, Any] | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        catalog_id: str | None = None,
        model_entry_id: str | None = None,
        version_number: str = "major",
    ) -> GovernResult:
        """Record training facts, save the external model asset for the SageMaker model
        (``model_identifier``) with its deployment, and track it in the model use case.

        ``deployment_details``: ``identifier`` (endpoint name), ``name``, ``deployment_type``
        (default ``online``), ``scoring_endpoint``, ``description``. ``version_number`` is a
        semantic version or ``major``/``minor``/``patch`` (increments the approach's latest).
        Every id goes into ``ledger`` the moment it exists.
        """
        catalog, entry = self._ids(catalog_id, model_entry_id)
        return _run_in_own_thread(lambda: self._govern(
            model_identifier, name, ledger, description, dict(deployment_details or {}),
            dict(hyperparameters or {}), dict(metrics or {}), catalog, entry, version_number))

    def _govern(self, model_identifier: str, name: str, ledger: Ledger, description: str,
                deployment: dict[str, Any], hyperparameters: dict[str, Any],
                metrics: dict[str, float], catalog: str, entry: str, version_number: str
                ) -> GovernResult:
        with self._session() as session:
            client = self._client(session, experiment_name=name)
            experiment_id = self._log_training_facts(session, client, ledger, hyperparameters,
                                                     metrics)
            asset_id, model = self._save_asset(session, client, ledger, model_identifier, name,
                                               description, deployment, catalog)
            ledger.forget(SERVICE, "notebook_experiment", experiment_id)  # now on the asset
            approach_id, version = self._track(session, client, model, catalog, entry,
                                               version_number)
            ledger.record(SERVICE, "model_link", asset_id, catalog_id=catalog,
                          model_entry_id=entry, model_entry_catalog_id=catalog)
        return GovernResult(asset_id, catalog, entry, catalog, approach_id, version,
                            experiment_id)

    def _log_training_facts(self, session: _Session, client: Any, ledger: Ledger,
                            hyperparameters: dict[str, Any], metrics: dict[str, float]) -> str:
        with session.step("recording training facts", "check the hyperparameters are "
                          "strings or numbers and the metrics numbers"):
            client.manual_log.start_trace()
            if hyperparameters:
                client.manual_log.log_params(hyperparameters)
            if metrics:
                client.manual_log.log_metrics({k: float(v) for k, v in metrics.items()})
            client.manual_log.end_trace()
        with session.step("exporting training facts (POST notebook_experiments)",
                          "check the credentials' access to watsonx.governance"):
            client.export_facts.export_payload_manual(client.manual_log.run_id)
        experiment_id = client.export_facts.asset_id
        if not experiment_id:
            raise session.fail("exporting training facts (POST notebook_experiments)",
                               "check the credentials' access to watsonx.governance")
        ledger.record(SERVICE, "notebook_experiment", experiment_id)
        return experiment_id

    def _save_asset(self, session: _Session, client: Any, ledger: Ledger, model_identifier: str,
                    name: str, description: str, deployment: dict[str, Any], catalog: str
                    ) -> tuple[str, Any]:
        sdk = _import_sdk()
        details = None
        if deployment:
            details = sdk.DeploymentDetails(
                identifier=deployment.get("identifier") or model_identifier,
                name=deployment.get("name") or deployment.get("identifier") or model_identifier,
                deployment_type=deployment.get("deployment_type", "online"),
                scoring_endpoint=deployment.get("scoring_endpoint"),
                description=deployment.get("description"))
        facts = client.external_model_facts
        operation = "saving the external model asset (PUT model_stub)"
        fix = f"check CATALOG_ID={catalog} exists and the credentials may write to it"
        try:
            with session.step(operation, fix):
                model = facts.save_external_model_asset(
                    model_identifier=model_identifier, name=name, description=description,
                    deployment_details=details, catalog_id=catalog)
        except ServiceError:
            if not facts.model_asset_id:  # the PUT failed (logged only), not a later GET
                raise session.fail(operation, fix) from None
            raise
        finally:  # recorded even when a follow-up call failed: cleanup must find it
            if facts.model_asset_id:
                ledger.record(SERVICE, "model_asset", facts.model_asset_id, catalog_id=catalog,
                              model_identifier=model_identifier, name=name)
        return facts.model_asset_id, model

    def _track(self, session: _Session, client: Any, model: Any, catalog: str, entry: str,
               version_number: str) -> tuple[str, str]:
        fix = (f"check MODEL_ENTRY_ID={entry} is a model use case in catalog {catalog} and the "
               "credentials may edit it")
        with session.step("tracking the model in its model use case", fix):
            usecase = client.assets.get_ai_usecase(ai_usecase_id=entry, catalog_id=catalog)
            approach = usecase.get_approaches()[0]
            model.track(usecase=usecase, approach=approach, version_number=version_number)
            version = approach.get_versions()[0]["number"]
        return approach.get_id(), version

    def asset_summary(self, asset_id: str, catalog_id: str | None = None) -> AssetSummary:
        """What the asset holds, read back through the SDK (for the report and the checks)."""
        catalog = catalog_id or self.settings.catalog_id
        return _run_in_own_thread(lambda: self._asset_summary(asset_id, catalog))

    def _asset_summary(self, asset_id: str, catalog: str | None) -> AssetSummary:
        with self._session() as session:
            client = self._client(session)
            with session.step(f"reading asset {asset_id}",
                              "check the asset id and its catalog (CATALOG_ID)"):
                model = client.assets.get_model(model_id=asset_id, container_type="catalog",
                                                container_id=catalog)
                document = model.get_all_facts()
        return _summarize(document)

    def existing(self, asset_ids: list[str], catalog_id: str | None = None) -> list[str]:
        """Which of these assets (model assets, training facts) the catalog still holds, read
        through the SDK: the independent check behind "nothing is left" (a link lives on its
        asset, so a gone asset has no link either)."""
        if not asset_ids:
            return []
        catalog = catalog_id or self.settings.catalog_id
        return _run_in_own_thread(lambda: self._existing(asset_ids, catalog))

    def _existing(self, asset_ids: list[str], catalog: str | None) -> list[str]:
        found = []
        with self._session() as session:
            client = self._client(session)
            for asset_id in asset_ids:
                with session.step(f"reading asset {asset_id}", "retry when the service answers"):
                    try:
                        client.assets.get_model(model_id=asset_id, container_type="catalog",
                                                container_id=catalog)
                    except Exception as exc:
                        if _is_not_found(exc):
                            continue
                        raise
                found.append(asset_id)
        return found

    def cleanup(self, ledger: ResourceLedger) -> int:
        """Untrack and delete every model asset (and orphaned training facts) the ledger lists;
        returns how many assets were deleted. Safe to repeat: gone is gone."""
        if not ledger.alive(SERVICE):
            return 0
        return _run_in_own_thread(lambda: self._cleanup(ledger))

    def _cleanup(self, ledger: ResourceLedger) -> int:
        """Links first (an asset tracked in a model use case is its inventory's), then assets
        and training facts; every resource is tried whatever fails before, and the refused
        ones end in one :class:`CleanupIncomplete` (the ledger still lists them)."""
        deleted = 0
        failures: list[CleanupFailure] = []
        with self._session() as session:
            client = self._client(session)
            for link in ledger.alive(SERVICE, "model_link"):
                try:
                    self._untrack(session, client, link.id, link.attrs.get("catalog_id"))
                except ServiceError as exc:
                    failures.append(CleanupFailure(DISPLAY_NAME, f"model_link {link.id}",
                                                   str(exc)))
                    continue
                ledger.forget(SERVICE, "model_link", link.id)
            for kind in ("model_asset", "notebook_experiment"):
                for res in ledger.alive(SERVICE, kind):
                    try:
                        deleted += self._delete(session, client, res.id,
                                                res.attrs.get("catalog_id"))
                    except ServiceError as exc:
                        failures.append(CleanupFailure(DISPLAY_NAME, f"{kind} {res.id}",
                                                       str(exc)))
                        continue
                    ledger.forget(SERVICE, kind, res.id)
        if failures:
            raise CleanupIncomplete(failures, {"factsheets": deleted})
        return deleted

    def _untrack(self, session: _Session, client: Any, asset_id: str, catalog: str | None
                 ) -> None:
        with session.step(f"untracking model {asset_id}", "retry cleanup; if it persists, "
                          "untrack the model in the model use case's UI"):
            try:
                model = client.assets.get_model(model_id=asset_id, container_type="catalog",
                                                container_id=catalog)
            except Exception as exc:
                if _is_not_found(exc):
                    return
                raise
            model.untrack()

    def _delete(self, session: _Session, client: Any, asset_id: str, catalog: str | None) -> int:
        with session.step(f"deleting asset {asset_id}", "retry cleanup; if it persists, delete "
                          "the asset in the catalog's UI"):
            try:
                client.assets.remove_asset(asset_id=asset_id, container_type="catalog",
                                           container_id=catalog)
            except Exception as exc:
                if _is_not_found(exc):
                    return 0
                raise
        return 1


def _is_not_found(exc: Exception) -> bool:
    return "ERROR 404" in str(exc)


def _summarize(document: dict[str, Any]) -> AssetSummary:
    metadata = document.get("metadata") or {}
    entity = document.get("entity") or {}
    system = entity.get("modelfacts_system") or {}
    link = system.get("modelentry_information") or {}
    lmid = str(link.get("lmid") or "")
    link_catalog, _, link_entry = lmid.partition(":")
    runs = (entity.get("notebook_experiment") or {}).get("runs") or []
    latest = runs[-1] if runs else {}
    return AssetSummary(
        asset_id=metadata.get("asset_id", ""),
        name=metadata.get("name", ""),
        description=metadata.get("description") or "",
        catalog_id=metadata.get("catalog_id", ""),
        asset_type=metadata.get("asset_type", ""),
        model_identifier=(entity.get("model_stub") or {}).get("external_model_identifier"),
        model_entry_id=link_entry or None,
        model_entry_catalog_id=link_catalog or None,
        version=link.get("model_entry_version_number"),
        deployments=list(system.get("deployments") or []),
        hyperparameters={p["key"]: p["value"] for p in latest.get("params", [])},
        metrics={m["key"]: float(m["value"]) for m in latest.get("metrics", [])},
    )
