"""Raw HTTP pass-through to the moto server: method, path, headers and body unchanged.

Why raw and not through a boto3 client: S3, IAM and STS need nothing from us, and forwarding the
bytes keeps signatures, checksums, multipart uploads and moto's exact replies intact. The
``Host`` header is kept, so the URLs moto builds (S3 ``Location``) name the front, which is
where the client must come back to.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import urllib3

# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection; the length is recomputed.
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "expect", "content-length",
})
# The front's HTTP server writes its own.
_SERVER_OWN = frozenset({"server", "date"})

Reply = tuple[int, dict[str, str], bytes]


class Forwarder:
    """Sends requests to ``base_url`` (the moto server) over a keep-alive connection pool."""

    def __init__(self, base_url: str, *, timeout_s: float = 300.0, pool_size: int = 16) -> None:
        parts = urlsplit(base_url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"forwarding needs http://host:port, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._pool = urllib3.HTTPConnectionPool(
            parts.hostname, parts.port, maxsize=pool_size, block=False,
            retries=False, timeout=urllib3.Timeout(connect=10.0, read=timeout_s),
        )

    def __call__(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        outgoing = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        response = self._pool.urlopen(
            method, target, body=body if body or method not in ("GET", "HEAD") else None,
            headers=outgoing, redirect=False, retries=False, assert_same_host=False,
            preload_content=True, decode_content=False,
        )
        # A HEAD reply's Content-Length is the resource's size (S3 HeadObject): keep it.
        dropped = (_HOP_BY_HOP - {"content-length"}) if method == "HEAD" else _HOP_BY_HOP
        reply = {
            key: response.headers[key] for key in response.headers
            if key.lower() not in dropped and key.lower() not in _SERVER_OWN
        }
        return response.status, reply, response.data

    def close(self) -> None:
        self._pool.close()
