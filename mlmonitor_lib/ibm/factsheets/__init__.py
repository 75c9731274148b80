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

from mlmonitor_lib.ibm.factsheets.adapter import AssetSummary, FactsheetsAdapter, GovernResult
from mlmonitor_lib.ibm.factsheets.sandbox import sdk_sandbox

__all__ = ["AssetSummary", "FactsheetsAdapter", "GovernResult", "sdk_sandbox"]
