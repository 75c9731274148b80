"""Reading botocore's ``ClientError`` in one place, so every message built from one reads alike."""

from __future__ import annotations

from botocore.exceptions import ClientError

_NOT_FOUND = ("ValidationException", "ValidationError", "ResourceNotFound")


def error_text(exc: ClientError) -> str:
    """``Code: Message`` of an AWS error, as our messages quote it."""
    error = exc.response.get("Error", {})
    return f"{error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": ")


def is_not_found(exc: ClientError) -> bool:
    """SageMaker says "no such resource" with a validation code and a message saying so;
    other validation errors (a bad name, a bad state) are real failures."""
    error = exc.response.get("Error", {})
    message = str(error.get("Message", ""))
    return error.get("Code") in _NOT_FOUND and (
        "Could not find" in message or "not found" in message.lower()
        or "does not exist" in message
    )
