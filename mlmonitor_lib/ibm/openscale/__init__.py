"""Watson OpenScale adapter around the real ``ibm-watson-openscale`` SDK.

One code path for IBM Cloud (API key through IAM) and Cloud Pak for Data (user name with a
password or an API key); whether the services are real or emulated is decided by the URLs in
:class:`~mlmonitor_lib.settings.Settings`, never here. The SDK (about a second to import, mostly
pandas) is imported inside the functions that need it, so importing this module stays cheap.

Every resource created is reported to the :class:`~mlmonitor_lib.state.Ledger` at once and
forgotten when deleted; every SDK failure is translated at this boundary into a
:class:`~mlmonitor_lib.errors.ServiceError` (or :class:`EvaluationError`) naming the operation
and the fix.
"""

from mlmonitor_lib.ibm.openscale.fairness import FairnessGroup, FairnessResult
from mlmonitor_lib.ibm.openscale.monitor import OpenScaleMonitor
from mlmonitor_lib.ibm.openscale.quality import EvaluationResult

__all__ = ["EvaluationResult", "FairnessGroup", "FairnessResult", "OpenScaleMonitor"]
