"""Watson OpenScale v2, emulated: the real ``ibm-watson-openscale`` SDK runs unchanged.

Split as moto splits a service: ``models`` (state, records in SQLite), ``responses`` (one handler
per operation), ``urls`` (the routing table), ``exceptions`` (wire errors); ``payloads`` and
``quality`` hold the record shapes and the numpy metrics a quality run computes.
"""

from mlmonitor_lib.emulators.openscale.models import OpenScaleBackend
from mlmonitor_lib.emulators.openscale.resources import (
    CP4D_INSTANCE_ID,
    DEFAULT_INSTANCE_ID,
)
from mlmonitor_lib.emulators.openscale.urls import RESET_PATH, make_router

__all__ = [
    "CP4D_INSTANCE_ID",
    "DEFAULT_INSTANCE_ID",
    "RESET_PATH",
    "OpenScaleBackend",
    "make_router",
]
