"""The SageMaker front: an HTTP server in front of a moto server that gives it a data plane.

In rehearsal mode the client's ``boto3.Session`` carries no hooks (exactly as live); it only
has ``AWS_ENDPOINT_URL`` pointing here. This front forwards every request to moto unchanged,
except SageMaker's control-plane calls and ``InvokeEndpoint``, which it answers through a
server-side client carrying :class:`~mlmonitor_lib.emulators.sagemaker_local.LocalSageMaker`'s
hooks: training really runs, endpoints really serve, errors have AWS's wire shape.

* :mod:`.front`: the router (which request goes where);
* :mod:`.protocol`: request/reply conversion between the wire and boto3, driven by botocore's
  service model;
* :mod:`.forward`: the raw pass-through to moto.

Serve a :class:`SageMakerFront` with :class:`~mlmonitor_lib.emulators.transport.LoopbackServer`.
"""

from __future__ import annotations

from mlmonitor_lib.emulators.sagemaker_front.forward import Forwarder
from mlmonitor_lib.emulators.sagemaker_front.front import SageMakerFront

__all__ = ["Forwarder", "SageMakerFront"]
