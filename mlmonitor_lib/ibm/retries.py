"""One retry policy for both IBM SDKs, and a way to give it to the one that has none.

Why: ibm-cloud-sdk-core (Watson OpenScale) retries 429 and 5xx itself once ``enable_retries`` is
called, with urllib3's ``Retry`` (``Retry-After`` honoured on 429/503, exponential backoff capped
at the retry interval otherwise). The AI Factsheets SDK has no retry at all: every call goes
through module-level ``requests.get/post/...``, each in a fresh ``requests.Session``, and it
exposes no session to configure (its ``retry_session`` helper is never used). So while an
adapter session runs, :func:`retrying_requests` gives those module-level calls a session with the
same ``Retry`` mounted, exactly what sdk-core mounts on its own session.

In mock mode ``responses`` applies the adapter's ``Retry`` without sleeping between attempts, so
mock runs never wait; over a real socket (rehearsal, live) urllib3 sleeps as configured.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRY_METHODS = ("HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST", "PATCH")


def retry_policy(max_retries: int, retry_interval: float) -> Any:
    """urllib3 ``Retry`` as ibm-cloud-sdk-core's ``enable_retries`` builds it (plus PATCH,
    which Factsheets uses to write facts)."""
    from urllib3.util.retry import Retry

    return Retry(total=max_retries, backoff_factor=1.0, backoff_max=retry_interval,
                 status_forcelist=list(RETRY_STATUSES), allowed_methods=list(RETRY_METHODS))


@contextlib.contextmanager
def retrying_requests(max_retries: int, retry_interval: float) -> Iterator[None]:
    """Make ``requests.get/post/.../request`` retry with :func:`retry_policy` inside the block.

    Process-wide while it lasts (like the Factsheets adapter's other containment: cwd,
    stdout, environment), restored afterwards; nesting restores the previous function.
    """
    import requests
    import requests.api
    from requests.adapters import HTTPAdapter

    policy = retry_policy(max_retries, retry_interval)
    previous_api, previous_top = requests.api.request, requests.request

    def request(method: str, url: str, **kwargs: Any) -> requests.Response:
        with requests.sessions.Session() as session:
            adapter = HTTPAdapter(max_retries=policy)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            return session.request(method=method, url=url, **kwargs)

    requests.api.request = request  # requests.get/post/... look it up at each call
    requests.request = request  # type: ignore[assignment]
    try:
        yield
    finally:
        requests.api.request = previous_api
        requests.request = previous_top  # type: ignore[assignment]


def exhausted_status(exc: BaseException) -> int | None:
    """The HTTP status that made urllib3 give up (``RetryError``: "too many 503 error
    responses"), so an error can name it instead of blaming the network."""
    found = re.search(r"too many (\d{3}) error responses", str(exc))
    return int(found.group(1)) if found else None


def retry_token_requests(authenticator: Any, max_retries: int, retry_interval: float) -> Any:
    """Give an sdk-core authenticator's token requests the same retries as service calls.

    Why: ``enable_retries`` mounts the ``Retry`` on the service's own session only; the token
    manager (IAM ``/identity/token``, CP4D ``/icp4d-api/v1/authorize``) posts through the
    module-level ``requests.request``, so one 503 from IAM at login or at a token refresh
    would fail an onboarding the service calls would have survived. The manager's ``_request``
    is wrapped on this instance only; a 401 (wrong API key) is not retried.
    """
    manager = authenticator.token_manager
    plain_request = manager._request

    def _request(*args: Any, **kwargs: Any) -> Any:
        with retrying_requests(max_retries, retry_interval):
            return plain_request(*args, **kwargs)

    manager._request = _request
    return authenticator
