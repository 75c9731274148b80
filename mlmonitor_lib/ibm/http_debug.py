"""Keep the IBM SDKs from switching on ``http.client``'s debug printing for the whole process.

``ibm-cloud-sdk-core``'s ``BaseService.__init__`` (base_service.py), when its logger is at
DEBUG, sets ``http.client.HTTPConnection.debuglevel = 1`` and replaces ``http.client.print`` with
``lambda *args: logger.debug(... " ".join(args))``, process-wide and for good. From then on every
HTTP client in the process (boto3's included) prints each response's headers through that
lambda, which fails on the list ``http.client`` passes ("sequence item 1: expected str instance,
list found"): a SageMaker call fails because somebody turned on DEBUG logging and built an IBM
client. Every SDK client is built inside :func:`http_client_untouched`, which puts both back.
"""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator

_MISSING = object()


@contextlib.contextmanager
def http_client_untouched() -> Iterator[None]:
    """Restore ``http.client``'s debug level and its module-level ``print`` afterwards."""
    level = http.client.HTTPConnection.debuglevel
    printer = vars(http.client).get("print", _MISSING)
    try:
        yield
    finally:
        http.client.HTTPConnection.debuglevel = level
        if printer is _MISSING:
            vars(http.client).pop("print", None)
        else:
            http.client.print = printer  # type: ignore[attr-defined]
