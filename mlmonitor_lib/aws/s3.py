"""Small S3 helpers shared by the adapter modules: URI parsing and reading one tar member."""

from __future__ import annotations

import io
import tarfile
from typing import Any
from urllib.parse import urlparse


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key/part`` -> ``("bucket", "key/part")``."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an S3 URI: {uri!r} (expected s3://bucket/key)")
    return parsed.netloc, parsed.path.lstrip("/")


def read_tar_member(s3: Any, uri: str, member: str) -> bytes | None:
    """The bytes of ``member`` (also matched as ``./member``) inside the tar.gz at ``uri``;
    None if the archive or the member does not exist."""
    bucket, key = parse_s3_uri(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as archive:
        for info in archive.getmembers():
            if info.isfile() and info.name.removeprefix("./") == member:
                extracted = archive.extractfile(info)
                return extracted.read() if extracted else None
    return None
