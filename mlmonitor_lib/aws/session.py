"""One ``boto3.Session`` per run, and the one client configuration every client uses.

Why one session: the mock mode's local data plane (:mod:`mlmonitor_lib.emulators.sagemaker_local`)
is a set of botocore event hooks registered on a session; every client made from that session,
the SageMaker SDK's included, then gets them. Why one ``Config``: throttling and transient 5xx
from SageMaker are retried the same way by every call (botocore's ``standard``/``adaptive`` retry
modes), instead of each call site inventing its own loop.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TYPE_CHECKING, Any, Literal, TextIO

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mlmonitor_lib.settings import Settings

RetryMode = Literal["standard", "adaptive", "legacy"]

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_MODE: RetryMode = "standard"


def client_config(
    max_attempts: int = DEFAULT_MAX_ATTEMPTS, mode: RetryMode = DEFAULT_RETRY_MODE
) -> Config:
    """The botocore ``Config`` applied to every client this package creates.

    ``max_attempts`` counts the first call too (botocore's ``total_max_attempts``).
    """
    return Config(retries={"total_max_attempts": max_attempts, "mode": mode})


def boto3_session(
    settings: Settings,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    retry_mode: RetryMode = DEFAULT_RETRY_MODE,
) -> boto3.Session:
    """Build the run's session from :class:`Settings`: explicit keys when set, otherwise
    botocore's own chain (``AWS_PROFILE``, instance role, ...); region from the settings.

    The retry ``Config`` also becomes the session's default client config, so clients the
    SageMaker SDK creates from this session retry the same way as ours. ``aws_endpoint_url``
    points every client of the session at that URL (:class:`EndpointSession`).
    """
    kwargs: dict[str, Any] = {"region_name": settings.aws_default_region}
    if settings.aws_access_key_id and settings.aws_secret_access_key:
        kwargs["aws_access_key_id"] = settings.aws_access_key_id.get_secret_value()
        kwargs["aws_secret_access_key"] = settings.aws_secret_access_key.get_secret_value()
        if settings.aws_session_token:
            kwargs["aws_session_token"] = settings.aws_session_token.get_secret_value()
    if settings.aws_endpoint_url:
        session: boto3.Session = EndpointSession(settings.aws_endpoint_url, **kwargs)
    else:
        session = boto3.Session(**kwargs)
    session._session.set_default_client_config(client_config(max_attempts, retry_mode))
    redact_botocore_request_logs()
    return session


_CREDENTIALS_IN_HEADERS = [
    (re.compile(r"Credential=[^/\s'\"]+/"), "Credential=**********/"),
    (re.compile(r"Signature=[0-9a-f]+"), "Signature=**********"),
    (re.compile(r"(X-Amz-Security-Token'?\"?:\s*b?['\"])[^'\"]+"), r"\1**********"),
]


class _RedactCredentials(logging.Filter):
    """botocore logs every request's headers at DEBUG (``Sending http request: ...``): the
    signing access key id, the signature and a session token would reach any DEBUG log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern, replacement in _CREDENTIALS_IN_HEADERS:
            redacted = pattern.sub(replacement, redacted)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def redact_botocore_request_logs() -> None:
    """Install :class:`_RedactCredentials` once on the logger botocore sends headers to."""
    target = logging.getLogger("botocore.endpoint")
    if not any(isinstance(f, _RedactCredentials) for f in target.filters):
        target.addFilter(_RedactCredentials())


class EndpointSession(boto3.Session):
    """A session whose clients default to one endpoint URL (``AWS_ENDPOINT_URL`` in the
    settings: a local server in rehearsal mode).

    Why a session and not the environment variable: botocore reads ``AWS_ENDPOINT_URL`` only
    from ``os.environ``, which would redirect every other session of the process too; and
    clients the SageMaker SDK makes from this session must reach the same server as ours. An
    ``endpoint_url`` given explicitly to :meth:`client` still wins.
    """

    def __init__(self, endpoint_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint_url = endpoint_url

    def client(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if len(args) < 6 and kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = self.endpoint_url
        return super().client(*args, **kwargs)


def make_client(
    session: boto3.Session,
    service: str,
    *,
    config: Config | None = None,
    endpoint_url: str | None = None,
) -> Any:
    """A client of ``service`` from ``session`` with the shared retry ``config``.

    ``endpoint_url`` is only for pointing at a local server (rehearsal mode); ``None`` lets
    botocore resolve it, which also honours ``AWS_ENDPOINT_URL``.
    """
    return session.client(
        service,
        config=config or client_config(),
        endpoint_url=endpoint_url,
    )


class Stdout:
    """Marker for "print to whatever ``sys.stdout`` is when the call runs" (pytest's capture
    and redirect_stdout replace it after import, so a default bound at import would miss them)."""


STDOUT = Stdout()


def output_stream(out: TextIO | None | Stdout) -> TextIO | None:
    """Resolve a progress-output argument: a stream, ``None`` (silent) or :data:`STDOUT`."""
    return sys.stdout if isinstance(out, Stdout) else out
