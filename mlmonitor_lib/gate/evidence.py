"""The evidence pack's model, and building, writing and reading one (``reports/evidence/``).

A pack is what one evaluated run approved or refused, and on what evidence, in one JSON file
(``reports/evidence/<run>.json``) an auditor can check months later. It names the model, data
and code by their SHA-256 (:mod:`.digests`), holds every id the run created, the gate's records,
parameters and decision, package versions and times, and its own digest (``pack_sha256``: the
SHA-256 of the canonical JSON of everything else), so an edit to the file shows. :mod:`.verify`
recomputes what it can reach and says, item by item, what still matches (``python -m
mlmonitor_lib evidence verify FILE`` prints it); :mod:`.printing` words the decision it holds.

Writing: :func:`build_pack` digests the files and reads the artifact from S3; :func:`write_pack`
stamps the time and the pack's digest and writes the file atomically. The pack depends on no
class of the gate (its decision is the ``GateDecision``'s dump), so it reads without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlmonitor_lib.errors import MlMonitorError
from mlmonitor_lib.gate.digests import (
    ObjectUnavailable,
    file_sha256,
    folder_digest,
    s3_object_sha256,
)

FORMAT = 1
DEFAULT_DIR = Path("reports") / "evidence"
# Distributions whose versions a pack records when installed (read from their metadata: no
# import, so recording costs nothing and loads no SDK).
PACKAGES = (
    "mlmonitor-onboarding-suite", "numpy", "scipy", "scikit-learn", "boto3", "sagemaker",
    "ibm-watson-openscale", "ibm-aigov-facts-client", "tensorflow", "tensorflow-cpu",
)
DataRole = Literal["training", "test", "source"]
ROLE_NAMES = {"training": "training data", "test": "test data", "source": "source data"}


class EvidenceError(MlMonitorError):
    """A file is not an evidence pack this version reads, or a pack cannot be built."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataFile(_Strict):
    """One governed data file: where (relative to the pack's root when under it), its role."""

    path: str
    role: DataRole
    sha256: str


class SourceFolder(_Strict):
    """The use-case folder as shipped: each file's digest and the folder's (see
    :func:`~mlmonitor_lib.gate.digests.folder_digest`)."""

    sha256: str
    files: dict[str, str]


class SignatureFile(_Strict):
    path: str
    sha256: str


class Artifact(_Strict):
    """The model artifact as stored in S3; ``sha256`` is None when it could not be read when
    the pack was written (``note`` says why)."""

    uri: str
    sha256: str | None = None
    note: str = ""


class ChampionRef(_Strict):
    """The released model the run was compared with, by its own pack."""

    pack: str
    run_id: str
    pack_sha256: str


class EvidencePack(_Strict):
    """Everything one evaluated run's release decision rests on (format 1).

    Paths are relative to ``root`` (the project folder when the pack was written) when they
    lie under it; :func:`~mlmonitor_lib.gate.verify.verify_pack` resolves them against the
    current folder when ``root`` no longer exists (an auditor's clone). ``gate_parameters``
    holds what the judges were called with: the signature's ``release_gate`` section
    (``confidence_level``, ``inconclusive``, ``bootstrap_resamples``, ``seed``,
    ``champion_thresholds``), the ``class_labels``, the ``quality_thresholds`` evaluated and the
    ``fairness`` parameters, so the decision can be judged again from the pack alone
    (:func:`~mlmonitor_lib.gate.verify.rejudge`).
    """

    format: Literal[1] = FORMAT
    run_id: str
    use_case: str
    use_case_path: str
    root: str = ""
    evaluated_at: datetime | None = None
    written_at: datetime | None = None
    data: list[DataFile] = Field(default_factory=list)
    source: SourceFolder
    signature: SignatureFile
    artifact: Artifact | None = None
    ids: dict[str, str] = Field(default_factory=dict)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    gate_parameters: dict[str, Any] = Field(default_factory=dict)
    gate_records: list[dict[str, Any]] = Field(default_factory=list)
    payload_samples: list[dict[str, Any]] = Field(default_factory=list)
    decision: dict[str, Any] | None = None
    champion: ChampionRef | None = None
    packages: dict[str, str] = Field(default_factory=dict)
    pack_sha256: str = ""

    def content(self) -> dict[str, Any]:
        """The pack as its file holds it (NaN written as null), as plain JSON values."""
        return json.loads(self.model_dump_json())

    def computed_sha256(self) -> str:
        """The digest of everything but ``pack_sha256``, as :func:`pack_digest` defines it."""
        return pack_digest(self.content())


# --- digests of the pack itself ---------------------------------------------------------------
def canonical_json(content: Mapping[str, Any]) -> bytes:
    """The bytes the pack's digest covers: ``content`` without ``pack_sha256``, keys sorted,
    no whitespace, UTF-8 (``jq -cS 'del(.pack_sha256)' FILE`` prints the same text)."""
    rest = {k: v for k, v in content.items() if k != "pack_sha256"}
    return json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def pack_digest(content: Mapping[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(canonical_json(content)).hexdigest()


# --- building, writing, reading ---------------------------------------------------------------
def installed_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Versions of the installed distributions among ``names`` (absent ones are left out)."""
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def jsonable(value: Any) -> Any:
    """Plain JSON values from pydantic models, dataclasses, numpy values, paths and times."""

    def default(obj: Any) -> Any:
        if hasattr(obj, "model_dump"):
            return obj.model_dump(mode="json")
        if is_dataclass(obj) and not isinstance(obj, type):
            return asdict(obj)
        if hasattr(obj, "tolist"):  # numpy arrays and scalars
            return obj.tolist()
        if isinstance(obj, datetime):
            return obj.isoformat()
        if isinstance(obj, (Path, set, frozenset, tuple)):
            return str(obj) if isinstance(obj, Path) else list(obj)
        raise TypeError(f"cannot record a {type(obj).__name__} in an evidence pack")

    return json.loads(json.dumps(value, default=default))


def _relative(path: Path | str, root: Path) -> str:
    """``path`` relative to ``root`` when under it (POSIX), else absolute."""
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def build_pack(
    *,
    run_id: str,
    use_case_dir: Path | str,
    data: Iterable[tuple[Path | str, DataRole]],
    signature_path: Path | str | None = None,
    artifact_uri: str | None = None,
    session: Any = None,
    ids: Mapping[str, Any] | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    gate_parameters: Mapping[str, Any] | None = None,
    gate_records: Iterable[Any] = (),
    payload_samples: Iterable[Any] = (),
    decision: Any = None,
    champion_pack: Path | str | None = None,
    evaluated_at: datetime | None = None,
    root: Path | str | None = None,
) -> EvidencePack:
    """Digest a run's files and collect its evidence into a pack (not yet written).

    ``data``: ``(path, role)`` of each governed data file; ``signature_path`` defaults to the
    use case's ``model_signature.json``; the artifact is read through ``session`` (a
    ``boto3.Session``): without one, or when S3 does not answer, the pack keeps its URI with
    no digest and a note saying why. Records, samples and the decision may be pydantic models
    or dicts; ``champion_pack`` is the pack of the model compared with. Paths are recorded
    relative to ``root`` (default: the current folder).
    """
    from mlmonitor_lib.signature import SIGNATURE_FILE

    base = Path(root or Path.cwd()).resolve()
    folder = Path(use_case_dir).resolve()
    if not folder.is_dir():
        raise EvidenceError(f"use-case folder {folder} does not exist: pass the folder that "
                            "holds model_signature.json")
    signature = Path(signature_path) if signature_path else folder / SIGNATURE_FILE
    files = []
    for path, role in data:
        if not Path(path).is_file():
            raise EvidenceError(f"{ROLE_NAMES.get(role, role)} file {path} does not exist: the "
                                "pack names only files it has digested")
        files.append(DataFile(path=_relative(path, base), role=role, sha256=file_sha256(path)))
    shipped = folder_digest(folder)
    artifact = None
    if artifact_uri:
        artifact = Artifact(uri=artifact_uri, note="not read: no AWS session was given")
        if session is not None:
            try:
                digest = s3_object_sha256(session, artifact_uri)
                artifact = Artifact(uri=artifact_uri, sha256=digest)
            except ObjectUnavailable as exc:
                artifact = Artifact(uri=artifact_uri, note=f"not read: {exc.reason}")
    champion = None
    if champion_pack is not None:
        released = read_pack(champion_pack)
        champion = ChampionRef(pack=_relative(champion_pack, base), run_id=released.run_id,
                               pack_sha256=released.pack_sha256)
    return EvidencePack(
        run_id=run_id, use_case=folder.name, use_case_path=_relative(folder, base),
        root=base.as_posix(), evaluated_at=evaluated_at, data=files,
        source=SourceFolder(sha256=shipped.sha256, files=shipped.files),
        signature=SignatureFile(path=_relative(signature, base), sha256=file_sha256(signature)),
        artifact=artifact,
        ids={str(k): str(v) for k, v in (ids or {}).items() if v is not None},
        hyperparameters=jsonable(dict(hyperparameters or {})),
        gate_parameters=jsonable(dict(gate_parameters or {})),
        gate_records=jsonable(list(gate_records)),
        payload_samples=jsonable(list(payload_samples)),
        decision=None if decision is None else jsonable(decision),
        champion=champion, packages=installed_versions(),
    )


def write_pack(directory: Path | str, pack: EvidencePack) -> Path:
    """Seal ``pack`` (stamp ``written_at`` and ``pack_sha256`` on it, in place) and write it
    to ``<directory>/<run_id>.json`` atomically: a reader sees the old file or the new one."""
    from mlmonitor_lib.datasets._atomic import atomic_write_bytes

    if not pack.run_id or any(c in pack.run_id for c in "/\\") or pack.run_id in (".", ".."):
        raise EvidenceError(f"run id {pack.run_id!r} cannot name a file: the pack is written "
                            "as <run id>.json")
    pack.written_at = datetime.now(UTC)
    pack.pack_sha256 = pack.computed_sha256()
    target = Path(directory) / f"{pack.run_id}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, pack.model_dump_json(indent=2).encode("utf-8") + b"\n")
    return target


def load_content(path: Path) -> dict[str, Any]:
    """A pack file's JSON content, refused (:class:`EvidenceError`) when it is not a pack of
    this format; neither validated nor its digest checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvidenceError(f"no evidence pack at {path}: runs write theirs under "
                            f"{DEFAULT_DIR}/<run>.json") from None
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise EvidenceError(f"{path} is not an evidence pack: {exc}") from None
    try:
        content = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"{path} is not an evidence pack: not JSON ({exc})") from None
    if not isinstance(content, dict) or "format" not in content:
        raise EvidenceError(f"{path} is not an evidence pack: no \"format\" field (a pack is "
                            f"written by an evaluated run under {DEFAULT_DIR}/<run>.json)")
    if content["format"] != FORMAT:
        raise EvidenceError(f"{path} is an evidence pack of format {content['format']!r}; "
                            f"this version reads format {FORMAT}")
    return content


def read_pack(path: Path | str) -> EvidencePack:
    """Read and validate a pack; refuse a file that is not one, naming every problem. The
    pack's own digest is not checked here (:func:`~mlmonitor_lib.gate.verify.verify_pack`
    reports it)."""
    path = Path(path)
    try:
        return EvidencePack.model_validate(load_content(path))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}"
            for e in exc.errors(include_input=False)
        )
        raise EvidenceError(f"{path} is not a valid evidence pack: {problems}") from None
