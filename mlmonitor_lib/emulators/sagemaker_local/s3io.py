"""Moving job data between S3 and the local ``/opt/ml``-like tree, as the platform does."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def split_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def download_prefix(s3: Any, uri: str, dest: Path) -> int:
    """Copy every object under ``uri`` (an S3Prefix) into ``dest``; returns the count.

    A URI naming one object copies that object, like SageMaker's S3Prefix matching does.
    """
    bucket, prefix = split_uri(uri)
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith("/"):
                continue
            relative = key[len(prefix):].lstrip("/") or key.rsplit("/", 1)[-1]
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
            count += 1
    return count


def tar_gz(directory: Path) -> bytes:
    """The content of ``directory`` as a tar.gz with relative member names."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(directory.rglob("*")):
            archive.add(path, arcname=path.relative_to(directory).as_posix(), recursive=False)
    return buffer.getvalue()


def upload_bytes(s3: Any, uri: str, data: bytes) -> None:
    bucket, key = split_uri(uri)
    s3.put_object(Bucket=bucket, Key=key, Body=data)


def download_and_extract(s3: Any, uri: str, dest: Path) -> None:
    """Fetch a tar.gz from S3 and unpack it into ``dest`` (refusing paths that escape it)."""
    bucket, key = split_uri(uri)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as archive:
        archive.extractall(dest, filter="data")
