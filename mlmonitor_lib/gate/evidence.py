"""The evidence pack: what one evaluated run approved or refused, and on what evidence, in one
JSON file an auditor can check months later (``reports/evidence/<run>.json``).

A pack names the model, data and code by their SHA-256 (:mod:`.digests`), holds every id the
run created, the gate's records, parameters and decision, package versions and times, and its
own digest (``pack_sha256``: the SHA-256 of the canonical JSON of everything else), so an edit
to the file shows. :func:`verify_pack` recomputes what it can reach and says, item by item,
what still matches; ``python -m mlmonitor_lib evidence verify FILE`` prints it.

Writing: :func:`build_pack` digests the files and reads the artifact from S3; :func:`write_pack`
stamps the time and the pack's digest and writes the file atomically. The pack depends on no
class of the gate (its decision is the ``GateDecision``'s dump), so it reads without it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
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
Status = Literal["matches", "changed", "missing", "unreachable", "not checked"]
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
    lie under it; :func:`verify_pack` resolves them against the current folder when ``root``
    no longer exists (an auditor's clone). ``gate_parameters`` holds what the judges were
    called with: the signature's ``release_gate`` section (``confidence_level``,
    ``inconclusive``, ``bootstrap_resamples``, ``seed``, ``champion_thresholds``), the
    ``class_labels``, the ``quality_thresholds`` evaluated and the ``fairness`` parameters, so
    the decision can be judged again from the pack alone (:func:`rejudge`).
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


def _jsonable(value: Any) -> Any:
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
        hyperparameters=_jsonable(dict(hyperparameters or {})),
        gate_parameters=_jsonable(dict(gate_parameters or {})),
        gate_records=_jsonable(list(gate_records)),
        payload_samples=_jsonable(list(payload_samples)),
        decision=None if decision is None else _jsonable(decision),
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


def _load_json(path: Path) -> dict[str, Any]:
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
    pack's own digest is not checked here (:func:`verify_pack` reports it)."""
    path = Path(path)
    try:
        return EvidencePack.model_validate(_load_json(path))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}"
            for e in exc.errors(include_input=False)
        )
        raise EvidenceError(f"{path} is not a valid evidence pack: {problems}") from None


# --- verifying --------------------------------------------------------------------------------
STATUS_WORDS = {"matches": "matches", "changed": "CHANGED", "missing": "MISSING",
                "unreachable": "unreachable", "not checked": "not checked"}
WORD_WIDTH = max(map(len, STATUS_WORDS.values()))


@dataclass(frozen=True)
class ItemCheck:
    """What :func:`verify_pack` found for one item: ``changed`` and ``missing`` fail the
    verification; ``unreachable`` (could not be asked) and ``not checked`` do not."""

    item: str
    status: Status
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("changed", "missing")

    def line(self) -> str:
        word = STATUS_WORDS[self.status].ljust(WORD_WIDTH)
        return f"{word}  {self.item}" + (f" ({self.detail})" if self.detail else "")


def short(digest: str | None) -> str:
    """The first 12 hex digits of a digest, as the report and the CLI show it."""
    return f"{digest[:12]}..." if digest else "none"


def _compare(item: str, recorded: str, path: Path) -> ItemCheck:
    if not path.is_file():
        return ItemCheck(item, "missing", f"no file at {path}")
    now = file_sha256(path)
    if now == recorded:
        return ItemCheck(item, "matches")
    return ItemCheck(item, "changed", f"pack {short(recorded)}, now {short(now)}")


def _resolve(path: str, root: Path) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else root / candidate


def _check_source(pack: EvidencePack, root: Path) -> list[ItemCheck]:
    folder = _resolve(pack.use_case_path, root)
    name = pack.use_case_path.rstrip("/") + "/"
    if not folder.is_dir():
        return [ItemCheck(f"use-case source {name}", "missing", f"no folder at {folder}")]
    now = folder_digest(folder)
    if now.sha256 == pack.source.sha256:
        return [ItemCheck(f"use-case source {name} ({len(now.files)} files)", "matches")]
    checks = [ItemCheck(f"use-case source {name}", "changed",
                        f"pack {short(pack.source.sha256)}, now {short(now.sha256)}")]
    for file in sorted(set(pack.source.files) | set(now.files)):
        recorded, current = pack.source.files.get(file), now.files.get(file)
        item = f"use-case source {name}{file}"
        if current is None:
            checks.append(ItemCheck(item, "missing", "deleted since the pack was written"))
        elif recorded is None:
            checks.append(ItemCheck(item, "changed", "added since the pack was written"))
        elif current != recorded:
            checks.append(ItemCheck(item, "changed",
                                    f"pack {short(recorded)}, now {short(current)}"))
    return checks


def _check_artifact(artifact: Artifact, session: Any, why_no_session: str) -> ItemCheck:
    item = f"model artifact {artifact.uri}"
    if artifact.sha256 is None:
        return ItemCheck(item, "not checked",
                         f"the pack holds no digest of it: {artifact.note or 'not read'}")
    if session is None:
        return ItemCheck(item, "unreachable", why_no_session)
    try:
        now = s3_object_sha256(session, artifact.uri)
    except ObjectUnavailable as exc:
        return ItemCheck(item, "missing" if exc.missing else "unreachable", exc.reason)
    if now == artifact.sha256:
        return ItemCheck(item, "matches")
    return ItemCheck(item, "changed", f"pack {short(artifact.sha256)}, now {short(now)}")


def _check_champion(champion: ChampionRef, root: Path) -> tuple[ItemCheck, EvidencePack | None]:
    item = f"champion pack {champion.pack} (run {champion.run_id})"
    path = _resolve(champion.pack, root)
    try:
        content = _load_json(path)
    except EvidenceError as exc:
        status: Status = "missing" if not path.exists() else "changed"
        return ItemCheck(item, status, str(exc)), None
    now = pack_digest(content)
    if now != champion.pack_sha256 or content.get("pack_sha256") != champion.pack_sha256:
        return ItemCheck(item, "changed", f"pack {short(champion.pack_sha256)}, now "
                                          f"{short(now)}"), None
    return ItemCheck(item, "matches"), read_pack(path)


def verify_pack(
    pack_path: Path | str, session: Any = None, *, root: Path | str | None = None,
    why_no_session: str = "not checked: no AWS session was given",
) -> list[ItemCheck]:
    """Recompute what can be reached and compare it with the pack, item by item: the pack's
    own digest, every data file, the use-case source (per file when it differs), the
    signature, the artifact in S3 (through ``session``, a ``boto3.Session``; without one it
    is listed unreachable, ``why_no_session`` saying why), the champion's pack, and the
    decision judged again from the pack's own records (when the gate's judges are installed).

    Relative paths resolve against ``root``; by default the pack's own ``root`` when that
    folder exists, else the current folder.
    """
    pack_path = Path(pack_path)
    content = _load_json(pack_path)
    pack = read_pack(pack_path)
    if root is None:
        root = Path(pack.root) if pack.root and Path(pack.root).is_dir() else Path.cwd()
    root = Path(root)
    now = pack_digest(content)
    checks = [ItemCheck(f"evidence pack {pack_path}", "matches") if now == pack.pack_sha256
              else ItemCheck(f"evidence pack {pack_path}", "changed",
                             f"pack {short(pack.pack_sha256)}, now {short(now)}: edited after "
                             "it was written")]
    for file in pack.data:
        checks.append(_compare(f"{ROLE_NAMES[file.role]} {file.path}", file.sha256,
                               _resolve(file.path, root)))
    checks += _check_source(pack, root)
    checks.append(_compare(f"signature {pack.signature.path}", pack.signature.sha256,
                           _resolve(pack.signature.path, root)))
    if pack.artifact is not None:
        checks.append(_check_artifact(pack.artifact, session, why_no_session))
    champion = None
    if pack.champion is not None:
        check, champion = _check_champion(pack.champion, root)
        checks.append(check)
    checks.append(recheck_decision(pack, champion))
    return checks


# --- the decision, judged again ---------------------------------------------------------------
DECISION_ITEM = "gate decision, judged again from the pack's records"


def rejudge(pack: EvidencePack, champion: EvidencePack | None = None) -> list[dict[str, Any]]:
    """The pack's verdicts judged again from its records and ``gate_parameters``, as the
    release gate judged them (``mlmonitor_lib.usecase.gate.decide``), as dicts. Needs
    :mod:`mlmonitor_lib.gate.verdicts` (ImportError otherwise)."""
    from mlmonitor_lib.signature import ChampionThreshold, FairnessParameters

    verdicts = importlib.import_module("mlmonitor_lib.gate.verdicts")
    p = pack.gate_parameters
    options = {"level": p["confidence_level"], "resamples": p["bootstrap_resamples"],
               "seed": p["seed"]}
    classes = p["class_labels"]
    before = (pack.decision or {}).get("verdicts", [])
    found = []
    if p.get("quality_thresholds"):
        measured = {v.get("metric_id"): v.get("measured") for v in before
                    if v.get("kind") == "quality"}
        found += verdicts.judge_quality(pack.gate_records, p["quality_thresholds"], classes,
                                        measured=measured, **options)
    if p.get("fairness"):
        measured = {(v.get("detail") or {}).get("feature"): v.get("measured") for v in before
                    if v.get("kind") == "fairness"}
        found += verdicts.judge_fairness(
            pack.payload_samples, FairnessParameters.model_validate(p["fairness"]),
            measured=measured, **options)
    if champion is not None and p.get("champion_thresholds"):
        found += verdicts.judge_champion(
            pack.gate_records, champion.gate_records,
            [ChampionThreshold.model_validate(t) for t in p["champion_thresholds"]], classes,
            champion=champion.run_id, **options)
    return [_jsonable(v) for v in found]


WORST = ("pass", "inconclusive", "fail")


def _without_records(verdict: Mapping[str, Any]) -> bool:
    """A verdict the gate gave for want of a measure (a monitor not evaluated, a feature
    OpenScale did not measure): its records cannot give it again, so it is taken as is."""
    return verdict.get("method") not in ("wilson", "bootstrap") or bool(
        (verdict.get("detail") or {}).get("reason"))


def recheck_decision(pack: EvidencePack, champion: EvidencePack | None = None) -> ItemCheck:
    """Whether the pack's decision is the one its own records give: ``changed`` naming each
    verdict that differs; ``not checked`` when the judges are not installed or cannot be
    called on this pack (the reason is the detail)."""
    if not pack.decision:
        return ItemCheck(DECISION_ITEM, "not checked", "the pack holds no gate decision")
    if pack.champion is not None and champion is None:
        return ItemCheck(DECISION_ITEM, "not checked", "the champion's pack is not usable")
    try:
        again = rejudge(pack, champion)
    except ImportError as exc:
        return ItemCheck(DECISION_ITEM, "not checked",
                         f"the gate's judges are not installed ({exc})")
    except Exception as exc:  # any failure to judge again is reported, not raised
        return ItemCheck(DECISION_ITEM, "not checked",
                         f"could not judge again: {type(exc).__name__}: {exc}")
    recorded = pack.decision.get("verdicts", [])
    kept = {v.get("name"): v.get("verdict") for v in recorded if _without_records(v)}
    before = {v.get("name"): v.get("verdict") for v in recorded if not _without_records(v)}
    after = {v.get("name"): v.get("verdict") for v in again if v.get("name") not in kept}
    differ = [f"{name}: pack {before.get(name) or 'absent'}, now {after.get(name) or 'absent'}"
              for name in sorted(set(before) | set(after), key=str)
              if before.get(name) != after.get(name)]
    words = [*after.values(), *kept.values()]
    overall = max(words, key=lambda w: WORST.index(w) if w in WORST else 1) if words else "pass"
    if differ and pack.decision.get("overall") != overall:
        differ.append(f"overall: pack {pack.decision.get('overall')}, now {overall}")
    if differ:
        return ItemCheck(DECISION_ITEM, "changed", "; ".join(differ))
    note = f"; {len(kept)} given for want of a measure, taken as is" if kept else ""
    return ItemCheck(DECISION_ITEM, "matches",
                     f"{len(after)} verdict(s) from {len(pack.gate_records)} record(s){note}")


# --- the decision as the CLI prints it --------------------------------------------------------
METHOD_NAMES = {"wilson": "Wilson", "bootstrap": "bootstrap"}


def _number(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return "n/a"
    return f"{value:.{digits}f}"


def verdict_line(verdict: Mapping[str, Any]) -> str:
    """One threshold's verdict from its dict (a ``ThresholdVerdict``'s dump), worded as
    ``ThresholdVerdict.line()``: ``accuracy 0.830 [0.744, 0.891] (95 %, Wilson, 100
    records) vs lower_limit 0.800: inconclusive; about 640 records would decide``."""
    v = verdict
    level = v.get("level")
    level_text = f"{100 * level:g} %" if isinstance(level, (int, float)) else "n/a"
    method = METHOD_NAMES.get(str(v.get("method")), str(v.get("method") or "no interval"))
    line = (f"{v.get('name', v.get('metric_id', '?'))} {_number(v.get('estimate'))} "
            f"[{_number(v.get('low'))}, {_number(v.get('high'))}] ({level_text}, {method}, "
            f"{v.get('records', '?')} records) vs {v.get('type', '')} "
            f"{_number(v.get('threshold'))}: {v.get('verdict', '?')}")
    if v.get("verdict") == "inconclusive":
        more = v.get("records_to_decide")
        line += (f"; about {more} records would decide" if more is not None
                 else "; no number of records decides (the estimate is on the threshold)")
    return line


def settled(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The decision with ``overall`` and ``approved`` as the gate computes them from its
    verdicts (when :mod:`mlmonitor_lib.gate.decision` loads and reads the dict), else as the
    dict has them."""
    try:
        models = importlib.import_module("mlmonitor_lib.gate.decision")
        model = models.GateDecision.model_validate(decision)
    except (ImportError, AttributeError, ValidationError):
        return dict(decision)
    return {**decision, "overall": model.overall, "approved": model.approved}


def decision_headline(decision: Mapping[str, Any]) -> str:
    """The decision in one line: approved or refused, the overall verdict and the rule."""
    decision = settled(decision)
    overall, rule = decision.get("overall", "?"), decision.get("rule", "refuse")
    approved = bool(decision.get("approved"))
    level = decision.get("level")
    word = "APPROVED" if approved else "REFUSED"
    if approved and overall == "inconclusive":
        word = "APPROVED WITH A WARNING"
    meaning = {"refuse": "an inconclusive verdict refuses the release",
               "warn": "an inconclusive verdict only warns"}.get(str(rule), "")
    interval = f"; {100 * level:g} % intervals" if isinstance(level, (int, float)) else ""
    return f"{word}: overall {overall}; rule \"{rule}\" ({meaning}){interval}"


def decision_lines(decision: Mapping[str, Any]) -> list[str]:
    """One line per threshold (then the gate's decision line): the ``GateDecision``'s own
    ``lines()`` when :mod:`mlmonitor_lib.gate.decision` loads and reads the dict, else worded
    from the dict."""
    try:
        models = importlib.import_module("mlmonitor_lib.gate.decision")
        return [str(line) for line in models.GateDecision.model_validate(decision).lines()]
    except (ImportError, AttributeError, ValidationError):
        return [verdict_line(v) for v in decision.get("verdicts", [])]


def decision_exit_code(decision: Mapping[str, Any]) -> int:
    """0 approved, 1 a threshold fails, 2 inconclusive under the rule "refuse"."""
    decision = settled(decision)
    if decision.get("approved"):
        return 0
    return 1 if decision.get("overall") == "fail" else 2
