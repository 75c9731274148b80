"""Wire errors of the emulated Watson OpenScale, one class per error code.

The reply shape is OpenScale's (``{"trace", "errors": [{"code", "message"}]}``, built by
:class:`~mlmonitor_lib.emulators.routing.HttpError`), so ``ibm_cloud_sdk_core.ApiException``
extracts the message the way it does from the real service. Messages are built from the
parameters, as moto builds them, so a test can assert on them.
"""

from __future__ import annotations

from mlmonitor_lib.emulators.routing import HttpError


class OpenScaleError(HttpError):
    """Base of every error the OpenScale emulator replies with."""


class ResourceNotFound(OpenScaleError):
    def __init__(self, kind: str, resource_id: str) -> None:
        super().__init__(404, "AIQCS0004E", f"{kind} with id '{resource_id}' was not found.")


class InstanceNotFound(OpenScaleError):
    def __init__(self, instance_id: str) -> None:
        super().__init__(
            404, "AIQCS0005E", f"Watson OpenScale service instance '{instance_id}' does not exist."
        )


class BadRequest(OpenScaleError):
    def __init__(self, message: str) -> None:
        super().__init__(400, "AIQCS0008E", message)


class Conflict(OpenScaleError):
    def __init__(self, message: str) -> None:
        super().__init__(409, "AIQCS0009E", message)
