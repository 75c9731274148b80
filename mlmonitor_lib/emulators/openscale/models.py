"""The emulated Watson OpenScale's backend: every area's operations on one shared state.

Assembled from one mixin per area on the shared resource core (:mod:`.resources`: id-keyed
documents, secrets, reads, deletes): :mod:`.providers` (data marts, service providers,
deployment discovery), :mod:`.subscriptions` (subscriptions, data sets, records),
:mod:`.monitors` (monitor instances and their thresholds), :mod:`.runs` (runs and
measurements). Nothing is instantly ready (sources in :mod:`.lifecycles`).
"""

from __future__ import annotations

from mlmonitor_lib.emulators.openscale.resources import (
    CP4D_INSTANCE_ID,
    DEFAULT_INSTANCE_ID,
)
from mlmonitor_lib.emulators.openscale.runs import Runs

__all__ = ["CP4D_INSTANCE_ID", "DEFAULT_INSTANCE_ID", "OpenScaleBackend"]


class OpenScaleBackend(Runs):
    """Everything one emulated OpenScale service holds; ``reset()`` empties it.

    Constructed as :class:`~.resources.ResourceStore` documents (pace, delays, clock,
    SageMaker factory, listed endpoint states); every API operation is a method of one area's
    mixin.
    """
