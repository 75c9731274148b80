"""Containment of the Factsheets SDK's side effects: every SDK call runs in a session that gives
the host process back as it found it (see the package docstring for what the SDK does).
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mlmonitor_lib.errors import (
    MlMonitorError,
    ServiceError,
)
from mlmonitor_lib.ibm.http_debug import http_client_untouched

if TYPE_CHECKING:
    from mlmonitor_lib.state import Service

SERVICE: Service = "factsheets"
DISPLAY_NAME = "AI Factsheets"  # how errors name the service
SDK_LOGGER = "ibm_aigov_facts_client"
# the SDK's region on CP4D (any value but Dallas would switch its IBM Cloud hosts); on IBM Cloud
# FACTSHEETS_REGION chooses. Unset, the SDK makes useless calls.
CP4D_REGION = "dallas"
_log = logging.getLogger(__name__)
_SESSION_LOCK = threading.Lock()
T = TypeVar("T")


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
            with warnings.catch_warnings(), contextlib.redirect_stdout(out), \
                    http_client_untouched():
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
