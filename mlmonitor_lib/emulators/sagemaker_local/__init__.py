"""Local SageMaker data plane over moto: training really runs, endpoints really serve.

Usage (moto already started, with ``mock_aws(config=moto_config())``; fake credentials and
region set)::

    session = boto3.Session(region_name="ca-central-1")
    local = LocalSageMaker(session).install()   # before any client is made from `session`
    ...                                         # train, deploy, invoke through `session`
    local.uninstall()

TensorFlow is imported only when an endpoint loads a SavedModel. The model's image chooses the
serving contract: TF Serving (:mod:`.container`) or scikit-learn (:mod:`.sklearn_container`).
"""

from __future__ import annotations

from mlmonitor_lib.emulators.sagemaker_local.faults import Faults
from mlmonitor_lib.emulators.sagemaker_local.hooks import LocalSageMaker
from mlmonitor_lib.emulators.sagemaker_local.http_layer import moto_config

__all__ = ["Faults", "LocalSageMaker", "moto_config"]
