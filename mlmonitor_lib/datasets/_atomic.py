"""Atomic file replacement for data files.

A fetch can be interrupted (Ctrl-C, full disk, killed CI job). Writing to a temporary file in the
destination directory, fsyncing it and renaming it over the target with :func:`os.replace` means a
reader only ever sees the old file or the complete new one, never half a file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

TMP_SUFFIX = ".partial"


def atomic_write_bytes(path: Path, data: bytes, *, backup: Path | None = None) -> None:
    """Write ``data`` to ``path`` so that ``path`` is never observed half-written.

    If ``backup`` is given and ``path`` already exists, the old content is preserved at ``backup``
    before the new file takes its place (hard link when possible, so there is no moment without a
    file at ``path``). On any failure the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; data files are meant to be shared
        if backup is not None and path.exists():
            _preserve(path, backup)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def remove_stale_partials(directory: Path) -> list[Path]:
    """Delete temporary files left by a writer that was killed before it could clean up."""
    removed = []
    for leftover in Path(directory).glob(f".*{TMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            removed.append(leftover)
    return removed


def unique_backup_path(path: Path, suffix: str = ".bad") -> Path:
    """Return ``<path><suffix>``, or ``<path><suffix>.N`` if that exists: never clobber a backup."""
    candidate = path.with_name(path.name + suffix)
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}{suffix}.{n}")
        n += 1
    return candidate


def _preserve(path: Path, backup: Path) -> None:
    try:
        os.link(path, backup)
    except OSError:  # file systems without hard links: a copy keeps the file in place too
        shutil.copy2(path, backup)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; best effort because not every platform can open directories."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
