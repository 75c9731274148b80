"""SHA-256 digests of what a release is made of: a file, a folder as shipped, an S3 object.

Every digest is the lowercase hex SHA-256 a standard tool gives, so an auditor can check one
without this library:

- a file: ``sha256sum FILE``;
- a folder as shipped (:func:`folder_digest`): every regular file under it except
  ``__pycache__`` folders, ``*.pyc`` files and anything whose name starts with a dot, each
  with its own SHA-256; the folder's digest is the SHA-256 of ``sha256sum``'s listing of those
  files, by relative POSIX name in byte order, so it covers both the names and the bytes::

      cd FOLDER && find . -type f ! -path '*/__pycache__/*' ! -name '*.pyc' ! -path '*/.*' \\
        | sed 's|^\\./||' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum

- an S3 object (:func:`s3_object_sha256`): the SHA-256 of its bytes, streamed (a model
  artifact can be large), equal to ``aws s3 cp s3://bucket/key - | sha256sum``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlmonitor_lib.errors import MlMonitorError

CHUNK = 1 << 20  # 1 MiB reads: memory stays flat whatever the size


class ObjectUnavailable(MlMonitorError):
    """An S3 object could not be read. ``missing`` is True when S3 answered that it does not
    exist (bucket or key); False when S3 could not be asked (no credentials, no network,
    access denied), so nothing is known about the object."""

    def __init__(self, uri: str, reason: str, *, missing: bool) -> None:
        self.uri, self.reason, self.missing = uri, reason, missing
        super().__init__(f"{uri}: {reason}")


def file_sha256(path: Path) -> str:
    """The SHA-256 of one file's bytes (``sha256sum FILE``)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _shipped(relative: Path) -> bool:
    """Whether a file under a use-case folder is part of what is shipped."""
    return not (
        any(part == "__pycache__" or part.startswith(".") for part in relative.parts)
        or relative.suffix == ".pyc"
    )


def shipped_files(folder: Path) -> list[str]:
    """The relative POSIX names of the files :func:`folder_digest` covers, in byte order."""
    folder = Path(folder)
    names = [
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and _shipped(path.relative_to(folder))
    ]
    return sorted(names, key=lambda name: name.encode("utf-8"))


def listing_sha256(files: Iterable[tuple[str, str]]) -> str:
    """The folder digest from ``(relative name, sha256)`` pairs: the SHA-256 of the
    ``sha256sum`` listing (``<sha256>  <name>\\n`` per file) in byte order of the names."""
    ordered = sorted(files, key=lambda pair: pair[0].encode("utf-8"))
    listing = "".join(f"{sha}  {name}\n" for name, sha in ordered)
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FolderDigest:
    """A folder as shipped: each file's SHA-256 (relative POSIX name -> digest) and the
    folder's own digest over all of them (:func:`listing_sha256`)."""

    sha256: str
    files: dict[str, str]


def folder_digest(folder: Path) -> FolderDigest:
    """Digest every shipped file of ``folder`` (see the module docstring for what is left out)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MlMonitorError(f"{folder} is not a folder: pass the use-case folder to digest")
    files = {name: file_sha256(folder / name) for name in shipped_files(folder)}
    return FolderDigest(listing_sha256(files.items()), files)


# S3 error codes that mean "S3 answered: it is not there" (the rest: it could not be asked)
_MISSING_CODES = {"NoSuchKey", "NoSuchBucket", "404", "NotFound"}


def s3_object_sha256(session: Any, uri: str) -> str:
    """The SHA-256 of the S3 object at ``uri``, streamed through a client of ``session`` (a
    ``boto3.Session``: the run's, so a rehearsal's endpoint URL applies too).

    Raises :class:`ObjectUnavailable` saying why the object could not be read: ``missing``
    when the bucket or key does not exist, otherwise (no credentials, no network, access
    denied) not.
    """
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from mlmonitor_lib.aws import make_client
    from mlmonitor_lib.aws.s3 import parse_s3_uri

    try:
        bucket, key = parse_s3_uri(uri)
    except ValueError as exc:
        raise ObjectUnavailable(uri, str(exc), missing=True) from None
    try:
        s3 = make_client(session, "s3")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        digest = hashlib.sha256()
        for chunk in body.iter_chunks(CHUNK):
            digest.update(chunk)
        return digest.hexdigest()
    except NoCredentialsError:
        raise ObjectUnavailable(
            uri, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a "
            "profile) to check the artifact", missing=False) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in _MISSING_CODES:
            what = "bucket" if code == "NoSuchBucket" else "object"
            raise ObjectUnavailable(
                uri, f"no such {what} ({code}): S3 no longer holds it", missing=True) from None
        raise ObjectUnavailable(
            uri, f"S3 refused the read: {code or 'error'}: {error.get('Message', exc)}",
            missing=False) from None
    except BotoCoreError as exc:  # endpoint unreachable, bad region, read timeout...
        raise ObjectUnavailable(uri, f"S3 could not be reached: {exc}", missing=False) from None
