"""The evidence pack: digests of a file, a folder as shipped and an S3 object; a pack written,
read back and verified item by item; every kind of change detected (a data file, a source file,
the signature, the pack itself, the model artifact in moto's S3), an unreachable artifact listed
without failing, and the decision judged again from the pack's own records by the gate's own
judges."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mlmonitor_lib.gate import digests
from mlmonitor_lib.gate.evidence import (
    EvidenceError,
    EvidencePack,
    build_pack,
    pack_digest,
    read_pack,
    write_pack,
)
from mlmonitor_lib.gate.verify import ItemCheck, verify_pack

pytest_plugins = ["pytester"]

REGION = "ca-central-1"
BUCKET = "evidence-pack-tests"
ARTIFACT = f"s3://{BUCKET}/models/run-1/output/model.tar.gz"
ARTIFACT_BYTES = b"model weights" * 1000
USE_CASE = "use_case_demo"
RECORDS = [{"id": f"{i:016x}", "label": i % 2, "prediction": i % 2 if i < 9 else 1 - i % 2,
            "score": 0.9, "probabilities": [0.1, 0.9]} for i in range(10)]
DECISION = {
    "verdicts": [{
        "name": "accuracy", "kind": "quality", "metric_id": "accuracy", "type": "lower_limit",
        "threshold": 0.8, "estimate": 0.9, "measured": 0.9, "low": 0.596, "high": 0.982,
        "level": 0.95, "method": "wilson", "records": 10, "records_to_decide": 120,
        "verdict": "inconclusive", "detail": {},
    }],
    "overall": "inconclusive", "rule": "refuse", "approved": False, "level": 0.95,
}
# as the release gate records them (mlmonitor_lib.usecase.gate.write_evidence)
PARAMETERS = {"confidence_level": 0.95, "inconclusive": "refuse", "bootstrap_resamples": 200,
              "seed": 7, "champion_thresholds": [], "class_labels": [0, 1],
              "quality_thresholds": [{"metric_id": "accuracy", "type": "lower_limit",
                                      "value": 0.8}],
              "fairness": None}


def make_project(root: Path) -> dict[str, Path]:
    """A use-case folder as shipped (with what is not shipped beside it) and its data."""
    folder = root / USE_CASE
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "model_signature.json").write_text('{"signature": "demo"}\n')
    (folder / "train.py").write_text("print('train')\n")
    (folder / "lib").mkdir()
    (folder / "lib" / "features.py").write_text("FEATURES = ['a']\n")
    (folder / "__pycache__" / "train.cpython-312.pyc").write_bytes(b"\0bytecode")
    (folder / "stale.pyc").write_bytes(b"\0bytecode")
    (folder / ".env").write_text("SECRET=1\n")
    data = root / "datasets" / "demo"
    data.mkdir(parents=True)
    (data / "train.csv").write_text("a,label\n1,0\n2,1\n")
    (data / "test.csv").write_text("a,label\n3,1\n")
    return {"folder": folder, "train": data / "train.csv", "test": data / "test.csv"}


def new_pack(root: Path, session: Any = None, **overrides: Any) -> EvidencePack:
    files = make_project(root) if not (root / USE_CASE).exists() else {
        "folder": root / USE_CASE, "train": root / "datasets/demo/train.csv",
        "test": root / "datasets/demo/test.csv"}
    arguments: dict[str, Any] = dict(
        run_id="run-1", use_case_dir=files["folder"],
        data=[(files["train"], "training"), (files["test"], "test")],
        artifact_uri=ARTIFACT, session=session,
        ids={"training_job": "job-1", "endpoint": "ep-1", "subscription": "sub-1",
             "quality_run": None},
        hyperparameters={"epochs": 1}, gate_parameters=PARAMETERS, gate_records=RECORDS,
        payload_samples=[{"id": "00", "features": {"sex": "female"}, "prediction": 1}],
        decision=DECISION, root=root)
    return build_pack(**{**arguments, **overrides})


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """moto's S3 holding the model artifact."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        client = session.client("s3")
        client.create_bucket(Bucket=BUCKET,
                             CreateBucketConfiguration={"LocationConstraint": REGION})
        client.put_object(Bucket=BUCKET, Key=ARTIFACT.split(f"{BUCKET}/", 1)[1],
                          Body=ARTIFACT_BYTES)
        yield session


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> boto3.Session:
    """A session botocore finds no credentials for (and does not ask an instance role)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    return boto3.Session(region_name=REGION)


@pytest.fixture
def written(tmp_path: Path, s3: boto3.Session) -> Path:
    return write_pack(tmp_path / "reports" / "evidence", new_pack(tmp_path, s3))


def by_status(checks: list[ItemCheck]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for check in checks:
        found.setdefault(check.status, []).append(check.item)
    return found


def reseal(path: Path, edit: Any) -> None:
    """Edit a pack's content and recompute its digest, as someone covering their tracks would."""
    content = json.loads(path.read_text())
    edit(content)
    content["pack_sha256"] = pack_digest(content)
    path.write_text(json.dumps(content))


# --- digests -------------------------------------------------------------------------------
def test_file_digest_is_sha256sum(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * (digests.CHUNK + 5))
    assert digests.file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_folder_digest_covers_what_is_shipped_only(tmp_path: Path) -> None:
    folder = make_project(tmp_path)["folder"]
    found = digests.folder_digest(folder)
    assert list(found.files) == ["lib/features.py", "model_signature.json", "train.py"]
    assert found.files["train.py"] == digests.file_sha256(folder / "train.py")
    (folder / "__pycache__" / "other.pyc").write_bytes(b"more")
    (folder / ".cache").mkdir()
    (folder / ".cache" / "x").write_text("y")
    assert digests.folder_digest(folder) == found  # left out: nothing changes
    (folder / "train.py").rename(folder / "train2.py")  # same bytes, another name
    assert digests.folder_digest(folder).sha256 != found.sha256


@pytest.mark.skipif(shutil.which("sha256sum") is None or sys.platform == "darwin",
                    reason="needs GNU coreutils")
def test_folder_digest_is_what_the_documented_shell_line_prints(tmp_path: Path) -> None:
    folder = make_project(tmp_path)["folder"]
    line = ("find . -type f ! -path '*/__pycache__/*' ! -name '*.pyc' ! -path '*/.*' "
            "| sed 's|^\\./||' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum")
    out = subprocess.run(["sh", "-c", line], cwd=folder, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split()[0] == digests.folder_digest(folder).sha256


def test_s3_object_digest_streams_the_object(s3: boto3.Session) -> None:
    assert digests.s3_object_sha256(s3, ARTIFACT) == hashlib.sha256(ARTIFACT_BYTES).hexdigest()
    with pytest.raises(digests.ObjectUnavailable, match="no such object") as missing:
        digests.s3_object_sha256(s3, f"s3://{BUCKET}/absent.tar.gz")
    assert missing.value.missing
    with pytest.raises(digests.ObjectUnavailable, match="no such bucket") as gone:
        digests.s3_object_sha256(s3, "s3://no-such-bucket-here/model.tar.gz")
    assert gone.value.missing


def test_s3_without_credentials_is_unreachable_not_missing(no_credentials: Any) -> None:
    with pytest.raises(digests.ObjectUnavailable, match="no AWS credentials") as caught:
        digests.s3_object_sha256(no_credentials, ARTIFACT)
    assert not caught.value.missing


# --- writing and reading ---------------------------------------------------------------------
def test_pack_round_trip(tmp_path: Path, s3: boto3.Session) -> None:
    pack = new_pack(tmp_path, s3)
    path = write_pack(tmp_path / "reports" / "evidence", pack)
    assert path == tmp_path / "reports" / "evidence" / "run-1.json"
    assert not list(path.parent.glob(".*"))  # no temporary file left behind
    again = read_pack(path)
    assert again == pack
    assert again.pack_sha256 == pack.computed_sha256() == pack_digest(json.loads(path.read_text()))
    assert again.use_case == USE_CASE and again.use_case_path == USE_CASE
    assert [(d.path, d.role) for d in again.data] == [
        ("datasets/demo/train.csv", "training"), ("datasets/demo/test.csv", "test")]
    assert again.signature.path == f"{USE_CASE}/model_signature.json"
    assert again.artifact.sha256 == hashlib.sha256(ARTIFACT_BYTES).hexdigest()
    assert again.ids == {"training_job": "job-1", "endpoint": "ep-1", "subscription": "sub-1"}
    assert again.decision == DECISION and again.gate_records == RECORDS
    assert again.packages["numpy"] and "mlmonitor-onboarding-suite" in again.packages
    assert again.written_at is not None


def test_nan_in_the_decision_is_written_as_null_and_the_digest_still_holds(
        tmp_path: Path) -> None:
    undecided = {**DECISION, "verdicts": [{**DECISION["verdicts"][0], "low": float("nan")}]}
    path = write_pack(tmp_path, new_pack(tmp_path, decision=undecided))
    assert json.loads(path.read_text())["decision"]["verdicts"][0]["low"] is None
    assert verify_pack(path)[0].status == "matches"


def test_without_a_session_the_pack_says_why_the_artifact_has_no_digest(tmp_path: Path) -> None:
    pack = new_pack(tmp_path)
    assert pack.artifact.sha256 is None and "no AWS session" in pack.artifact.note


@pytest.mark.parametrize("text, problem", [
    ("not json", "not JSON"),
    ('{"run_id": "x"}', 'no "format" field'),
    ('{"format": 2}', "format 2"),
    ('{"format": 1, "run_id": "x"}', "use_case: Field required"),
    ('[1, 2]', 'no "format" field'),
])
def test_read_refuses_what_is_not_a_pack(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(EvidenceError, match=problem):
        read_pack(path)
    with pytest.raises(EvidenceError, match="no evidence pack at"):
        read_pack(tmp_path / "absent.json")


def test_a_run_id_that_is_no_file_name_is_refused(tmp_path: Path) -> None:
    pack = new_pack(tmp_path, run_id="../escape")
    with pytest.raises(EvidenceError, match="cannot name a file"):
        write_pack(tmp_path, pack)


# --- verifying -------------------------------------------------------------------------------
def test_an_untouched_pack_matches_item_by_item(written: Path, s3: boto3.Session) -> None:
    checks = verify_pack(written, s3)
    assert [c.status for c in checks] == ["matches"] * 7
    assert [c.item for c in checks] == [
        f"evidence pack {written}", "training data datasets/demo/train.csv",
        "test data datasets/demo/test.csv", f"use-case source {USE_CASE}/ (3 files)",
        f"signature {USE_CASE}/model_signature.json", f"model artifact {ARTIFACT}",
        "gate decision, judged again from the pack's records"]
    assert checks[-1].detail == "1 verdict(s) from 10 record(s)"
    assert not any(c.failed for c in checks)


def test_a_changed_data_file_is_detected(written: Path, s3: boto3.Session,
                                         tmp_path: Path) -> None:
    (tmp_path / "datasets/demo/test.csv").write_text("a,label\n3,0\n")
    (tmp_path / "datasets/demo/train.csv").unlink()
    found = {c.item: c for c in verify_pack(written, s3)}
    changed = found["test data datasets/demo/test.csv"]
    assert changed.status == "changed" and changed.failed
    assert changed.detail.startswith("pack ") and ", now " in changed.detail
    assert found["training data datasets/demo/train.csv"].status == "missing"


def test_a_changed_source_file_is_named(written: Path, s3: boto3.Session, tmp_path: Path) -> None:
    folder = tmp_path / USE_CASE
    (folder / "lib" / "features.py").write_text("FEATURES = ['a', 'b']\n")
    (folder / "extra.py").write_text("")
    (folder / "train.py").unlink()
    (folder / "__pycache__" / "new.pyc").write_bytes(b"ignored")
    statuses = by_status(verify_pack(written, s3))
    assert statuses["changed"] == [
        f"use-case source {USE_CASE}/", f"use-case source {USE_CASE}/extra.py",
        f"use-case source {USE_CASE}/lib/features.py"]
    assert statuses["missing"] == [f"use-case source {USE_CASE}/train.py"]


def test_a_changed_signature_is_detected(written: Path, s3: boto3.Session, tmp_path: Path) -> None:
    (tmp_path / USE_CASE / "model_signature.json").write_text('{"signature": "edited"}\n')
    statuses = by_status(verify_pack(written, s3))
    assert f"signature {USE_CASE}/model_signature.json" in statuses["changed"]
    assert f"use-case source {USE_CASE}/model_signature.json" in statuses["changed"]


def test_an_edited_pack_is_detected(written: Path, s3: boto3.Session) -> None:
    content = json.loads(written.read_text())
    content["decision"]["verdicts"][0]["verdict"] = "pass"
    written.write_text(json.dumps(content, indent=2))
    first = verify_pack(written, s3)[0]
    assert first.status == "changed" and "edited after it was written" in first.detail


def test_a_replaced_artifact_is_detected(written: Path, s3: boto3.Session) -> None:
    s3.client("s3").put_object(Bucket=BUCKET, Key=ARTIFACT.split(f"{BUCKET}/", 1)[1],
                               Body=b"other weights")
    artifact = verify_pack(written, s3)[5]
    assert artifact.item == f"model artifact {ARTIFACT}"
    assert artifact.status == "changed" and artifact.failed
    assert artifact.detail == (
        f"pack {hashlib.sha256(ARTIFACT_BYTES).hexdigest()[:12]}..., now "
        f"{hashlib.sha256(b'other weights').hexdigest()[:12]}...")
    s3.client("s3").delete_object(Bucket=BUCKET, Key=ARTIFACT.split(f"{BUCKET}/", 1)[1])
    assert verify_pack(written, s3)[5].status == "missing"


def test_an_unreachable_artifact_is_listed_not_failed(written: Path,
                                                      no_credentials: Any) -> None:
    checks = verify_pack(written, no_credentials)
    assert checks[5].status == "unreachable" and "no AWS credentials" in checks[5].detail
    assert not checks[5].failed
    without = verify_pack(written, why_no_session="not checked: --no-artifact")[5]
    assert (without.status, without.detail) == ("unreachable", "not checked: --no-artifact")


def test_paths_resolve_against_the_current_folder_when_the_root_is_gone(
        tmp_path: Path, s3: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """An auditor's clone: the pack and the project moved elsewhere."""
    first = tmp_path / "ci-workspace"
    path = write_pack(first / "reports" / "evidence", new_pack(first, s3))
    clone = tmp_path / "auditor-clone"
    shutil.move(first, clone)
    monkeypatch.chdir(clone)
    checks = verify_pack(clone / "reports" / "evidence" / path.name, s3)
    assert not any(c.failed for c in checks), [c.line() for c in checks]


def test_check_lines_read_as_the_cli_prints_them() -> None:
    assert ItemCheck("training data a.gz", "matches").line() == "matches      training data a.gz"
    assert ItemCheck("model artifact s3://b/k", "changed", "pack 1a2b..., now 9f8e...").line() \
        == "CHANGED      model artifact s3://b/k (pack 1a2b..., now 9f8e...)"


# --- the decision judged again ---------------------------------------------------------------
def stand_in_judges() -> types.ModuleType:
    """The shape of mlmonitor_lib.gate.verdicts the recheck calls, as the release gate calls
    it (accuracy on point estimates only: enough to tell a decision its records do not
    give)."""
    module = types.ModuleType("mlmonitor_lib.gate.verdicts")

    def judge_quality(records: list[dict[str, Any]], thresholds: list[dict], classes: list,
                      *, measured: dict, level: float, resamples: int, seed: int) -> list[dict]:
        assert classes == [0, 1] and measured == {"accuracy": 0.9}
        assert (level, resamples, seed) == (0.95, 200, 7)
        right = sum(r["label"] == r["prediction"] for r in records) / len(records)
        return [{"name": t["metric_id"], "method": "wilson",
                 "verdict": "inconclusive" if right >= t["value"] else "fail"}
                for t in thresholds]

    module.judge_quality = judge_quality  # type: ignore[attr-defined]
    return module


def test_the_decision_is_judged_again_from_the_pack(
        written: Path, s3: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlmonitor_lib.gate.verdicts", stand_in_judges())
    check = verify_pack(written, s3)[-1]
    assert check.status == "matches" and check.detail == "1 verdict(s) from 10 record(s)"
    # records rewritten to fail, the digest recomputed: the pack's digest matches, its
    # decision no longer follows from its records
    reseal(written, lambda c: [r.update(prediction=1 - r["label"]) for r in c["gate_records"]])
    checks = verify_pack(written, s3)
    assert checks[0].status == "matches"
    assert checks[-1].status == "changed" and checks[-1].failed
    assert "accuracy: pack inconclusive, now fail" in checks[-1].detail
    assert "overall: pack inconclusive, now fail" in checks[-1].detail


def test_judges_that_cannot_be_called_leave_the_decision_not_checked(
        written: Path, s3: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlmonitor_lib.gate import verdicts

    def broken(*args: object, **kwargs: object) -> list[object]:
        raise TypeError("judge_quality() takes 2 arguments")

    monkeypatch.setattr(verdicts, "judge_quality", broken)
    check = verify_pack(written, s3)[-1]
    assert check.status == "not checked" and "TypeError" in check.detail


def test_a_champion_pack_is_verified_too(tmp_path: Path, s3: boto3.Session) -> None:
    evidence = tmp_path / "reports" / "evidence"
    champion = write_pack(evidence, new_pack(tmp_path, s3, run_id="champion-0"))
    challenger = write_pack(evidence, new_pack(tmp_path, s3, champion_pack=champion))
    pack = read_pack(challenger)
    assert (pack.champion.run_id, pack.champion.pack) == (
        "champion-0", "reports/evidence/champion-0.json")
    found = {c.item: c for c in verify_pack(challenger, s3)}
    item = "champion pack reports/evidence/champion-0.json (run champion-0)"
    assert found[item].status == "matches"
    reseal(champion, lambda c: c.update(hyperparameters={"epochs": 99}))
    assert {c.item: c for c in verify_pack(challenger, s3)}[item].status == "changed"
    champion.unlink()
    assert {c.item: c for c in verify_pack(challenger, s3)}[item].status == "missing"


# --- in the report -----------------------------------------------------------------------------
GATE_FEATURE = """\
Feature: Gate demo
  Background:
    Given a trained model

  Scenario: The release is refused for want of evidence
    When the release is put to the gate
    Then the decision is recorded

  Scenario: Another release
    When the release is put to the gate
    Then the decision is recorded

  Scenario: No gate here
    Then the decision is recorded
"""

GATE_STEPS = '''
import json
from pathlib import Path

from pytest_bdd import given, scenarios, then, when

from mlmonitor_lib.gate.evidence import EvidencePack, SignatureFile, SourceFolder, write_pack

scenarios("gate.feature")
DECISION = json.loads(DECISION_JSON)


@given("a trained model")
def trained(evidence):
    evidence.training({"accuracy": 0.9})


@when("the release is put to the gate")
def gate(evidence, request):
    run = "run-" + request.node.name[-7:]
    pack = EvidencePack(
        run_id=run, use_case="use_case_demo", use_case_path="use_case_demo",
        source=SourceFolder(sha256="ab" * 32, files={"train.py": "cd" * 32}),
        signature=SignatureFile(path="use_case_demo/model_signature.json", sha256="ef" * 32),
        ids={"endpoint": "ep-<1>"}, decision=DECISION)
    path = write_pack(Path("reports") / "evidence", pack)
    evidence.evidence_pack(pack, path)


@then("the decision is recorded")
def recorded():
    pass
'''.replace("DECISION_JSON", repr(json.dumps(DECISION)), 1)


def run_gate_demo(pytester: pytest.Pytester, *options: str
                  ) -> tuple[Path, list[dict], pytest.RunResult]:
    """Run the gate demo with the report plugin: the written HTML, the Cucumber JSON and the
    run. The plugin comes through a conftest, which xdist's workers load too."""
    root = str(Path(__file__).resolve().parents[1])
    pytester.makeconftest(f"import sys\nsys.path.insert(0, {root!r})\n"
                          'pytest_plugins = ["steps.report"]\n')
    pytester.makefile(".feature", gate=GATE_FEATURE)
    pytester.makepyfile(test_gate_demo=GATE_STEPS)
    report = pytester.path / "reports" / "onboarding.html"
    cucumber = pytester.path / "reports" / "cucumber.json"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--html={report}",
                                "--self-contained-html", f"--cucumberjson={cucumber}", *options)
    result.assert_outcomes(passed=3)
    return report, json.loads(cucumber.read_text(encoding="utf-8")), result


def attachments(features: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(scenario, step) -> embeddings, for every step that has some."""
    return {(element["name"], step["name"]): step["embeddings"]
            for feature in features for element in feature["elements"]
            for step in element["steps"] if step.get("embeddings")}


def test_the_cucumber_json_carries_the_pack_on_the_gate_step(pytester: pytest.Pytester) -> None:
    import base64

    _, features, _ = run_gate_demo(pytester)
    found = attachments(features)
    assert sorted(found) == [
        ("Another release", "the release is put to the gate"),
        ("The release is refused for want of evidence", "the release is put to the gate")]
    (embedding,) = found[("The release is refused for want of evidence",
                          "the release is put to the gate")]
    assert embedding["mime_type"] == "application/json"
    run = "run-" + "evidence"[-7:]
    pack_file = pytester.path / "reports" / "evidence" / f"{run}.json"
    assert embedding["name"] == f"evidence pack {run}"
    assert base64.b64decode(embedding["data"]) == pack_file.read_bytes()  # the file as written
    other = json.loads(base64.b64decode(
        found[("Another release", "the release is put to the gate")][0]["data"]))
    assert other["run_id"] == "run-release"


def test_under_xdist_the_packs_reach_the_report_and_the_run_says_why_none_is_attached(
        pytester: pytest.Pytester) -> None:
    report, features, result = run_gate_demo(pytester, "-p", "xdist", "-n", "1")
    assert features == []  # pytest-bdd's own limitation
    assert "evidence-pack" in report.read_text(encoding="utf-8")
    assert "cucumber.json: 2 evidence pack(s) not attached: the Cucumber JSON holds no " \
        "scenario" in result.stdout.str()


def test_the_html_report_shows_the_pack_summary(pytester: pytest.Pytester) -> None:
    import html as html_lib
    import re

    report, _, _ = run_gate_demo(pytester)
    blob = re.search(r'data-jsonblob="([^"]*)"', report.read_text(encoding="utf-8"))
    tests = json.loads(html_lib.unescape(blob.group(1)))["tests"]
    shown = {test_id: "".join(e["content"] for r in runs for e in r["extras"]
                              if e["format_type"] == "html") for test_id, runs in tests.items()}
    assert ['class="mlmonitor-evidence evidence-pack"' in page for page in shown.values()] \
        == [True, True, False]
    page = next(iter(shown.values()))
    section = html_lib.unescape(page[page.index('class="mlmonitor-evidence evidence-pack"'):])
    assert "Release gate decision: REFUSED: overall inconclusive" in section
    assert re.search(r'<tr class="verdict-inconclusive">.*?accuracy.*?0\.900.*?'
                     r"\[0\.596, 0\.982\] \(95 %, Wilson\).*?at least 0\.800.*?INCONCLUSIVE"
                     r".*?about 120</td>", section, re.S)
    assert "abababababab" in section and "ab" * 32 not in section  # digests shortened
    assert "reports/evidence/run-" in section


def test_a_pack_recorded_outside_a_step_is_shown_not_attached(tmp_path: Path) -> None:
    from mlmonitor_lib.report.cucumber import attach_packs
    from mlmonitor_lib.report.evidence import Evidence

    evidence = Evidence()
    evidence.evidence_pack({"run_id": "r", "decision": DECISION})
    (extra,) = evidence.render_new()
    assert "evidence-pack" in extra.content and "not written" in extra.content
    cucumber = tmp_path / "cucumber.json"
    cucumber.write_text(json.dumps([{"uri": "x.feature", "elements": [
        {"id": "test_x", "steps": [{"name": "gate", "line": 4}]}]}]))
    assert attach_packs(cucumber, evidence.packs) == [
        "evidence pack r not attached: recorded outside a scenario step"]
    evidence.step = {"feature": "x.feature", "scenario": "test_x", "name": "gate", "line": 3}
    evidence.evidence_pack({"run_id": "s"})
    problem = attach_packs(cucumber, evidence.packs[1:])
    assert problem == ["evidence pack s not attached: no step 'gate' (line 3) of test_x in "
                       "x.feature in the Cucumber JSON"]


def test_the_pack_summary_escapes_what_it_shows() -> None:
    from mlmonitor_lib.report import html_pack

    nasty = '<script>alert("x")</script>'
    fragment = html_pack.evidence_pack_section(
        {"run_id": nasty, "use_case": nasty, "ids": {nasty: nasty},
         "data": [{"path": nasty, "role": "test", "sha256": nasty}],
         "decision": {**DECISION, "verdicts": [{**DECISION["verdicts"][0], "name": nasty}]}},
        nasty)
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment


def test_a_verdict_given_for_want_of_a_measure_is_taken_as_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlmonitor_lib.gate.verdicts", stand_in_judges())
    unmeasured = {"name": "disparate impact of sex", "kind": "fairness", "method": "none",
                  "verdict": "inconclusive", "detail": {"reason": "not evaluated"}}
    decision = {**DECISION, "verdicts": [*DECISION["verdicts"], unmeasured]}
    check = verify_pack(write_pack(tmp_path, new_pack(tmp_path, decision=decision)))[-1]
    assert (check.status, check.detail) == (
        "matches", "1 verdict(s) from 10 record(s); 1 given for want of a measure, taken as is")


# --- with the gate's own judges ------------------------------------------------------------------
def real_decision(records: list[dict[str, Any]]) -> dict[str, Any]:
    from mlmonitor_lib.gate import verdicts

    found = verdicts.judge_quality(records, PARAMETERS["quality_thresholds"], [0, 1],
                                   measured={"accuracy": 0.83}, level=0.95, resamples=200,
                                   seed=7)
    return verdicts.decide(found, "refuse", 0.95).model_dump(mode="json")


def hundred_records(right: int) -> list[dict[str, Any]]:
    return [{"id": f"{i:016x}", "label": i % 2, "prediction": i % 2 if i < right else 1 - i % 2,
             "score": 0.8 if i % 2 else 0.2, "probabilities": [0.2, 0.8] if i % 2 else [0.8, 0.2]}
            for i in range(100)]


def test_the_gate_s_own_judges_give_the_pack_s_decision_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.delitem(sys.modules, "mlmonitor_lib.gate.verdicts")
    importlib.import_module("mlmonitor_lib.gate.verdicts")
    records = hundred_records(83)
    decision = real_decision(records)
    assert decision["overall"] == "inconclusive"
    path = write_pack(tmp_path, new_pack(tmp_path, decision=decision, gate_records=records))
    check = verify_pack(path)[-1]
    assert (check.status, check.detail) == ("matches", "1 verdict(s) from 100 record(s)")
    reseal(path, lambda c: c.update(gate_records=hundred_records(40)))
    check = verify_pack(path)[-1]
    assert check.status == "changed"
    assert check.detail == ("accuracy: pack inconclusive, now fail; "
                            "overall: pack inconclusive, now fail")
