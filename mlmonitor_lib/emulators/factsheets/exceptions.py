"""The Factsheets emulator's wire errors, in the shape of the catalog (CAMS) API."""

from __future__ import annotations

from mlmonitor_lib.emulators.routing import HttpError


class NotFound(HttpError):
    """404 in the shape of the catalog (CAMS) API, naming what was looked for."""

    def __init__(self, kind: str, resource_id: str, where: str = "") -> None:
        suffix = f" in {where}" if where else ""
        super().__init__(404, "not_found", f"{kind} {resource_id} was not found{suffix}.")


def bad_request(message: str, code: str = "invalid_parameter") -> HttpError:
    return HttpError(400, code, message)
