"""Search everything a mock run leaves behind for secret values: the proof behind "no secret is
ever shown" (captured logs and output, state files, the emulators' databases and stored state,
files under the work directory, compressed artifacts included).

Why detection here and not in the report: the report scrubs what it shows; this says whether
anything needed scrubbing. Secrets are named (``{"API_KEY": value}``) so a finding can be
reported without printing the value.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

MAX_FILE_BYTES = 200_000_000


def spellings(secret: str) -> set[bytes]:
    """How a value can appear: raw, JSON-escaped, URL-encoded (form bodies, query strings)."""
    return {form.encode() for form in (secret, json.dumps(secret)[1:-1], quote(secret, safe=""),
                                      quote_plus(secret))}


def count(blob: bytes, secret: str) -> int:
    return sum(blob.count(form) for form in spellings(secret))


def scan(sources: Mapping[str, bytes | str], secrets: Mapping[str, str]
         ) -> dict[str, dict[str, int]]:
    """``{source: {secret name: occurrences}}`` for every non-zero finding."""
    found: dict[str, dict[str, int]] = {}
    for source, blob in sources.items():
        data = blob.encode("utf-8", "replace") if isinstance(blob, str) else blob
        hits = {name: n for name, value in secrets.items() if value and (n := count(data, value))}
        if hits:
            found[source] = hits
    return found


def total(findings: Mapping[str, Mapping[str, int]]) -> int:
    return sum(sum(hits.values()) for hits in findings.values())


def files_under(*roots: Path) -> Iterator[tuple[str, bytes]]:
    """``(path, content)`` of every file under ``roots``; a ``.tar.gz`` or ``.gz`` is also
    opened, each member as ``path!member`` (model artifacts, uploaded data sets)."""
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
            yield str(path), data
            yield from _unpacked(str(path), data)


def _unpacked(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    if name.endswith((".tar.gz", ".tgz")):
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
                for member in archive.getmembers():
                    handle = archive.extractfile(member) if member.isfile() else None
                    if handle is not None:
                        yield f"{name}!{member.name}", handle.read()
        except (tarfile.TarError, OSError, EOFError):
            return
    elif name.endswith(".gz"):
        try:
            yield f"{name}!", gzip.decompress(data)
        except (OSError, EOFError):
            return


def serialized(value: Any) -> bytes:
    """An object graph as text: dataclasses and plain objects through ``vars``."""
    def default(obj: Any) -> Any:
        if hasattr(obj, "__dict__"):
            return {k: v for k, v in vars(obj).items() if not k.startswith("_lock")}
        return repr(obj)

    return json.dumps(value, default=default, sort_keys=True).encode()


def emulator_state(ibm: Any) -> dict[str, bytes]:
    """What the OpenScale and Factsheets emulators hold, serialized. IAM is left out on
    purpose: it is the identity provider, knowing the API key and password is its job."""
    return {
        "openscale.resources": serialized(ibm.openscale.resources),
        "openscale.credentials": serialized(ibm.openscale.credentials),
        "openscale.requests": serialized(ibm.openscale.requests),
        "factsheets.state": serialized({k: v for k, v in vars(ibm.factsheets).items()
                                        if not k.startswith("_")}),
    }


def s3_objects(session: Any) -> Iterator[tuple[str, bytes]]:
    """Every object moto's S3 holds (data sets, model artifacts, training output)."""
    from mlmonitor_lib.aws import make_client

    s3 = make_client(session, "s3")
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for obj in page.get("Contents", []):
                name = f"s3://{bucket['Name']}/{obj['Key']}"
                data = s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
                yield name, data
                yield from _unpacked(name, data)


def named_secrets(settings: Any, extra: Mapping[str, str] | None = None,
                  names: Iterable[str] = ()) -> dict[str, str]:
    """Settings' secrets by field name, plus ``extra`` (e.g. the emulated CP4D password)."""
    from pydantic import SecretStr

    found = {}
    for name in names or type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr) and value.get_secret_value():
            found[name.upper()] = value.get_secret_value()
    return {**found, **(extra or {})}
