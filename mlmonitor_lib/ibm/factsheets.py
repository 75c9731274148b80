"""AI Factsheets adapter around the real ``ibm-aigov-facts-client`` SDK, with its side effects
kept out of the user's process.

What the SDK does to its host process, and what this module does about it:

* importing it creates ``./logs``, and manual logging creates ``./mlruns``, in the *current*
  directory: every SDK call runs from a private scratch directory, removed afterwards;
* it sets process environment variables (``FACTS_CLIENT_ENV``, ``MLFLOW_*``) and MLflow's global
  tracking URI and active experiment: all restored after each session;
* when it is imported before MLflow, its ``mlflow.tracking_store`` entry point replaces MLflow's
  ``file`` store with one that ignores the tracking URI and writes to ``./mlruns`` of the cwd:
  the ``file`` store MLflow had before the session is put back;
* it removes the root logger's last handler (it breaks pytest's ``caplog``), logs to stdout on
  its own logger and ``print``s banners: root handlers and level are restored, its logger is
  made to propagate like any library's, stdout is captured and re-logged at DEBUG;
* ``enable_autolog=True`` (its default) calls ``mlflow.autolog()`` globally, replacing
  ``keras.Model.fit``: we always pass ``enable_autolog=False``;
* starting a trace ends the caller's active MLflow run: MLflow keeps the run stack per thread,
  so every session runs in a thread of its own;
* its configuration lives on class attributes, so a second client overwrites the first: a
  session builds a fresh client and nothing outlives it. Sessions are serialized by a lock.

Not contained: importing the SDK runs ``logging.config.dictConfig``, which closes every logging
handler that exists at that moment (stream handlers keep working, a ``FileHandler`` in mode
``"w"`` stops writing): import it early (``with sdk_sandbox(): pass``) if that matters. While a
session runs, its cwd, ``sys.stdout`` and environment are process-wide, as are MLflow (~2.5 s to
import) and the SDK's own module state once imported.

The SDK often only logs a failed request and carries on; every step here checks the result and
raises :class:`~mlmonitor_lib.errors.ServiceError` naming the operation and the fix. The SDK and
MLflow are imported inside the functions that need them (``import`` costs ~2.5 s).
"""

from __future__ import annotations

import contextlib
import io
import logging
import logging.config
import os
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from mlmonitor_lib.errors import (
    CleanupFailure,
    CleanupIncomplete,
    MlMonitorError,
    ServiceError,
    SettingsError,
)
from mlmonitor_lib.settings import FACTSHEETS_REGION_URLS, Settings

if TYPE_CHECKING:
    from mlmonitor_lib.state import Ledger, Service

SERVICE: Service = "factsheets"
DISPLAY_NAME = "AI Factsheets"  # how errors name the service
SDK_LOGGER = "ibm_aigov_facts_client"
# the SDK's region on CP4D (any value but Dallas would switch its IBM Cloud hosts); on IBM Cloud
# FACTSHEETS_REGION chooses. Unset, the SDK makes useless calls.
CP4D_REGION = "dallas"
_log = logging.getLogger(__name__)
_SESSION_LOCK = threading.Lock()
T = TypeVar("T")


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
# containment of the SDK's side effects
# ------------------------------------------------------------------------------------------------
class _ProcessState:
    """The process-wide state the SDK changes, captured before a session and put back after."""

    def __init__(self) -> None:
        root = logging.getLogger()
        self.cwd = os.getcwd()
        self.environ = dict(os.environ)
        self.root_handlers = list(root.handlers)
        self.root_level = root.level
        self.mlflow = self._mlflow_globals()

    @staticmethod
    def _mlflow_globals() -> tuple[Any, Any, Any] | None:
        """Tracking URI, active experiment, and the ``file`` store builder: the SDK installs an
        MLflow ``file`` store plugin that ignores the URI and writes to ``./mlruns``."""
        if "mlflow" not in sys.modules:
            return None
        from mlflow.tracking import fluent
        from mlflow.tracking._tracking_service import utils

        return (getattr(utils, "_tracking_uri", None),
                getattr(fluent, "_active_experiment_id", None),
                utils._tracking_store_registry._registry.get("file"))

    def restore(self) -> None:
        os.chdir(self.cwd)
        if "mlflow" in sys.modules:  # before the environment: MLflow writes env vars too
            import mlflow
            from mlflow.tracking import fluent
            from mlflow.tracking._tracking_service import utils

            uri, experiment, file_store = self.mlflow or (None, None, utils._get_file_store)
            mlflow.set_tracking_uri(uri)
            fluent._active_experiment_id = experiment
            registry = utils._tracking_store_registry
            if registry._registry.get("file") is not file_store:
                registry.register("file", file_store)
                registry._get_store_with_resolved_uri.cache_clear()
        for key in set(os.environ) - set(self.environ):
            del os.environ[key]
        for key, value in self.environ.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
        root = logging.getLogger()
        root.handlers[:] = self.root_handlers
        root.setLevel(self.root_level)


class _ErrorLog(logging.Handler):
    """Keeps the SDK's error records: it often logs a failure instead of raising one."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().splitlines()[0][:300])

    def tail(self) -> str:
        return f" (SDK logged: {' | '.join(self.messages[-2:])})" if self.messages else ""


_DALLAS_CONFIG: dict[str, Any] = {}


def _reset_region_config() -> None:
    """The SDK switches region by updating its module-level ``prod_config`` in place (utils/
    config.py ``ensure_sydney_override``), which outlives the client: put Dallas's values back
    before each client, so a region never leaks into the next session."""
    from ibm_aigov_facts_client.utils import config

    if not _DALLAS_CONFIG:
        _DALLAS_CONFIG.update(config.prod_config)
    config.prod_config.clear()
    config.prod_config.update(_DALLAS_CONFIG)


def _import_sdk() -> Any:
    """Import the SDK (it makes ``./logs`` in the cwd, so call from the scratch directory) and
    make its logger an ordinary library logger: no stdout handler, propagating to the root."""
    first = SDK_LOGGER not in sys.modules
    if first:
        _drop_half_imported_sdk()
    mlflow_level = logging.getLogger("mlflow").level
    # Its import runs logging.config.dictConfig, which closes every handler the process ever
    # made (pytest's capture handlers, a user's log files): keep them open across the import.
    clear_handlers = logging.config._clearExistingHandlers
    logging.config._clearExistingHandlers = lambda: None
    try:
        with warnings.catch_warnings():  # its import silences urllib3 warnings globally
            import ibm_aigov_facts_client as sdk
            from ibm_aigov_facts_client.utils.logging_utils import FACTS_LOGGING_STREAM
    finally:
        logging.config._clearExistingHandlers = clear_handlers
    if first:  # it sets MLflow's logger to CRITICAL on import
        logging.getLogger("mlflow").setLevel(mlflow_level)
    sdk_logger = logging.getLogger(SDK_LOGGER)
    for handler in list(sdk_logger.handlers):
        if getattr(handler, "stream", None) is FACTS_LOGGING_STREAM:
            sdk_logger.removeHandler(handler)
            sdk_logger.propagate = True
            sdk_logger.setLevel(logging.NOTSET)
    return sdk


def _drop_half_imported_sdk() -> None:
    """Forget SDK modules left by a failed import. Importing MLflow before the SDK makes MLflow
    load the SDK's store plugin, which fails on a circular import and leaves submodules bound to
    a dead, half-initialized ``fact_trace``: imported again on top of them, the SDK breaks
    ("fact_trace has no attribute FactsClientAdapter")."""
    for name in [m for m in sys.modules if m.startswith(SDK_LOGGER + ".")]:
        del sys.modules[name]


def _run_in_own_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a fresh thread: MLflow's active-run stack is per thread, so the SDK's
    ``start_trace`` (which ends any active run) cannot end the caller's run."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed back to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="factsheets-sdk", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@dataclass
class _Session:
    """One SDK session: its scratch directory, the SDK's captured error records, and the
    secrets to mask in any message built from them."""

    scratch: Path
    errors: _ErrorLog
    secrets: list[str]

    def fail(self, operation: str, fix: str, detail: str = "") -> ServiceError:
        message = f"AI Factsheets: {operation} failed{detail}{self.errors.tail()}. {fix}"
        for secret in self.secrets:
            message = message.replace(secret, "**********")
        return ServiceError(message)

    @contextlib.contextmanager
    def step(self, operation: str, fix: str) -> Iterator[None]:
        """Translate whatever the SDK raises during ``operation`` into a ServiceError."""
        try:
            yield
        except MlMonitorError:
            raise
        except Exception as exc:  # the SDK raises bare Exception, ClientError, requests errors
            raise self.fail(operation, fix, f": {type(exc).__name__}: {exc}") from None


@contextlib.contextmanager
def _contained(secrets: list[str], scratch_parent: Path | None = None) -> Iterator[_Session]:
    """Everything the SDK does happens inside this: private cwd, captured stdout and errors,
    process state restored afterwards."""
    with _SESSION_LOCK:
        saved = _ProcessState()
        scratch = Path(tempfile.mkdtemp(prefix="mlmonitor-factsheets-", dir=scratch_parent))
        errors = _ErrorLog()
        sdk_logger = logging.getLogger(SDK_LOGGER)
        sdk_logger.addHandler(errors)
        out = io.StringIO()
        try:
            os.chdir(scratch)
            with warnings.catch_warnings(), contextlib.redirect_stdout(out):
                warnings.simplefilter("ignore", DeprecationWarning)
                yield _Session(scratch, errors, secrets)
        finally:
            sdk_logger.removeHandler(errors)
            saved.restore()
            shutil.rmtree(scratch, ignore_errors=True)
            if out.getvalue().strip():
                _log.debug("AI Factsheets SDK output:\n%s", out.getvalue().rstrip())


@contextlib.contextmanager
def sdk_sandbox(scratch_parent: Path | None = None) -> Iterator[Any]:
    """The imported ``ibm_aigov_facts_client`` module, for code that calls the SDK directly,
    with the same containment as the adapter's own calls (scratch cwd, restored environment,
    root logger and MLflow globals). Unlike the adapter it runs in the caller's thread, so a
    trace started inside still ends the caller's active MLflow run."""
    with _contained([], scratch_parent):
        yield _import_sdk()


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
