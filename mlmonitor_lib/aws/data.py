"""Training data in S3: the use case's data directory uploaded once per content hash.

Why a content hash in the key: a re-run (or a parallel run) with the same files reuses the
upload instead of paying for it again, and a changed file can never be mistaken for the old
data, because it lands under a different prefix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from mlmonitor_lib.aws.errors import error_text
from mlmonitor_lib.aws.session import make_client
from mlmonitor_lib.errors import DatasetError, ServiceError
from mlmonitor_lib.state import Ledger

_CHUNK = 1 << 20


@dataclass(frozen=True)
class DatasetUpload:
    """Where a data directory lives in S3: ``s3_uri`` ends with ``/`` and is a training channel."""

    s3_uri: str
    bucket: str
    prefix: str
    content_hash: str
    files: tuple[str, ...]
    uploaded: bool  # False when an identical upload already existed


def content_hash(data_dir: Path) -> tuple[str, list[Path]]:
    """SHA-256 over the sorted relative names and bytes of every file under ``data_dir``."""
    files = sorted(
        p for p in Path(data_dir).rglob("*") if p.is_file() and not p.name.startswith(".")
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(data_dir).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest(), files


def ensure_bucket(
    session: boto3.Session, bucket: str, region: str, ledger: Ledger | None = None
) -> bool:
    """Create ``bucket`` unless it exists; returns True if it was created (and records it)."""
    s3 = make_client(session, "s3")
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise ServiceError(
                f"S3 bucket {bucket!r} is not reachable ({error_text(exc)}): check BUCKET_NAME and "
                "that the credentials may read it"
            ) from exc
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as exc:
        raise ServiceError(
            f"cannot create S3 bucket {bucket!r} in {region} ({error_text(exc)}): "
            "create it yourself or set BUCKET_NAME to a bucket you own"
        ) from exc
    if ledger is not None:
        ledger.record("storage", "bucket", bucket, region=region)
    return True


def upload_dataset(
    session: boto3.Session,
    bucket: str,
    data_dir: Path,
    *,
    key_prefix: str,
    ledger: Ledger | None = None,
) -> DatasetUpload:
    """Upload every file of ``data_dir`` to ``s3://bucket/<key_prefix>/<hash12>/`` unless that
    prefix already holds the same files (same names and sizes)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DatasetError(
            f"data directory {data_dir} does not exist: run `python -m mlmonitor_lib data fetch "
            "--use-case <folder>`"
        )
    digest, files = content_hash(data_dir)
    if not files:
        raise DatasetError(
            f"data directory {data_dir} is empty: run `python -m mlmonitor_lib data fetch "
            "--use-case <folder>`"
        )
    prefix = f"{key_prefix.strip('/')}/{digest[:12]}"
    names = tuple(p.relative_to(data_dir).as_posix() for p in files)
    s3 = make_client(session, "s3")
    try:
        existing = _sizes_under(s3, bucket, prefix + "/")
        wanted = {name: path.stat().st_size for name, path in zip(names, files, strict=True)}
        uploaded = any(existing.get(name) != size for name, size in wanted.items())
        if uploaded:
            for name, path in zip(names, files, strict=True):
                s3.upload_file(str(path), bucket, f"{prefix}/{name}")
    except ClientError as exc:
        raise ServiceError(
            f"uploading {data_dir} to s3://{bucket}/{prefix}/ failed ({error_text(exc)}): "
            f"check that bucket {bucket!r} exists and the credentials may write to it"
        ) from exc
    if uploaded and ledger is not None:
        ledger.record(
            "storage", "s3-prefix", f"s3://{bucket}/{prefix}/", bucket=bucket, prefix=prefix,
            content_hash=digest, files=list(names),
        )
    return DatasetUpload(f"s3://{bucket}/{prefix}/", bucket, prefix, digest, names, uploaded)


def _sizes_under(s3: Any, bucket: str, prefix: str) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            sizes[obj["Key"][len(prefix):]] = int(obj["Size"])
    return sizes
