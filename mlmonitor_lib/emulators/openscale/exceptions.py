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


class DeploymentNotReported(OpenScaleError):
    """A subscription to a deployment the service provider does not report.

    No public source gives the real service's code for this refusal; the stricter answer is
    kept: 400 (the request names something the provider does not have: change it, do not
    retry it), in the service's error shape.
    """

    def __init__(self, deployment_id: str, provider_id: str) -> None:
        super().__init__(
            400, "AIQCS0010E",
            f"Deployment '{deployment_id}' is not one of the deployments service provider "
            f"'{provider_id}' reports: list them with GET /v1/ml_instances/{provider_id}"
            "/deployments and subscribe with a reported deployment.")


class ProviderUnreachable(OpenScaleError):
    """The provider's machine-learning engine refused OpenScale's call (keys, region)."""

    def __init__(self, provider_id: str, reason: str) -> None:
        super().__init__(
            400, "AIQCS0011E",
            f"Service provider '{provider_id}' could not list its deployments: {reason}")


class NotEmulated(OpenScaleError):
    def __init__(self, what: str) -> None:
        super().__init__(501, "AIQCS0012E", f"The emulator does not serve {what}.")
