"""Verifying an evidence pack: what still matches it, item by item, and its decision judged again.

:func:`verify_pack` recomputes what it can reach (the pack's own digest, every data file, the
use-case source, the signature, the model artifact in S3, the champion's pack) and compares it
with the pack; :func:`recheck_decision` judges the decision again from the pack's own records
with the gate's judges, when they are installed. ``python -m mlmonitor_lib evidence verify
FILE`` prints the :class:`ItemCheck` lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlmonitor_lib.gate.digests import (
    ObjectUnavailable,
    file_sha256,
    folder_digest,
    s3_object_sha256,
)
from mlmonitor_lib.gate.evidence import (
    ROLE_NAMES,
    Artifact,
    ChampionRef,
    EvidenceError,
    EvidencePack,
    jsonable,
    load_content,
    pack_digest,
    read_pack,
)

Status = Literal["matches", "changed", "missing", "unreachable", "not checked"]
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
        content = load_content(path)
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
    content = load_content(pack_path)
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
    release gate judged them (``mlmonitor_lib.usecase.gate.decide``), as dicts."""
    from mlmonitor_lib.gate import verdicts
    from mlmonitor_lib.signature import ChampionThreshold, FairnessParameters

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
    return [jsonable(v) for v in found]


WORST = ("pass", "inconclusive", "fail")


def _without_records(verdict: Mapping[str, Any]) -> bool:
    """A verdict the gate gave for want of a measure (a monitor not evaluated, a feature
    OpenScale did not measure): its records cannot give it again, so it is taken as is."""
    return verdict.get("method") not in ("wilson", "bootstrap") or bool(
        (verdict.get("detail") or {}).get("reason"))


def recheck_decision(pack: EvidencePack, champion: EvidencePack | None = None) -> ItemCheck:
    """Whether the pack's decision is the one its own records give: ``changed`` naming each
    verdict that differs; ``not checked`` when the judges cannot be called on this pack (the
    reason is the detail)."""
    if not pack.decision:
        return ItemCheck(DECISION_ITEM, "not checked", "the pack holds no gate decision")
    if pack.champion is not None and champion is None:
        return ItemCheck(DECISION_ITEM, "not checked", "the champion's pack is not usable")
    try:
        again = rejudge(pack, champion)
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
