"""``python -m mlmonitor_lib evidence verify FILE`` and ``python -m mlmonitor_lib gate FILE``:
what they print and the exit codes CI relies on (verify: 0 nothing changed or missing, 1
otherwise; gate: 0 approved, 1 a threshold fails, 2 inconclusive refused)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from test_evidence_pack import (  # the same small project, pack and moto S3
    ARTIFACT,
    BUCKET,
    DECISION,
    new_pack,
    reseal,
    s3,  # noqa: F401  (fixture)
)

from mlmonitor_lib import cli
from mlmonitor_lib.gate.evidence import write_pack

ROOT = Path(__file__).resolve().parents[1]

PASS = {**DECISION, "overall": "pass", "approved": True,
        "verdicts": [{**DECISION["verdicts"][0], "low": 0.85, "high": 0.95, "verdict": "pass",
                      "records_to_decide": None, "records": 400, "estimate": 0.9}]}
FAIL = {**DECISION, "overall": "fail", "approved": False,
        "verdicts": [{**DECISION["verdicts"][0], "low": 0.55, "high": 0.7, "verdict": "fail",
                      "records_to_decide": None, "estimate": 0.62}]}
WARN = {**DECISION, "rule": "warn", "approved": True}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, (captured.out + captured.err).splitlines()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                 s3: boto3.Session) -> None:  # noqa: F811
    """AWS settings the CLI reads (moto's S3 answers them); no .env or credentials file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG_FILE", raising=False)


def pack_file(tmp_path: Path, decision: dict[str, Any] | None = DECISION,
              **overrides: Any) -> Path:
    return write_pack(tmp_path / "reports" / "evidence",
                      new_pack(tmp_path, decision=decision, **overrides))


def state_file(tmp_path: Path, decision: dict[str, Any] | None, pack: str | None = None) -> Path:
    path = tmp_path / ".mlmonitor" / "run-1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    last = {"metrics": {"accuracy": 0.9}} | ({"gate": decision} if decision else {})
    path.write_text(json.dumps({"run_id": "run-1", "source_dir": "use_case_demo",
                                "evaluated": True, "last_evaluation": last,
                                "evidence_pack": pack}))
    return path


# --- evidence verify ---------------------------------------------------------------------------
def test_verify_prints_each_item_and_exits_0_when_all_match(
        tmp_path: Path, settings_env: None, s3: boto3.Session,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    path = pack_file(tmp_path, session=s3)
    status, lines = run(capsys, "evidence", "verify", str(path))
    assert status == 0, lines
    assert lines[0].startswith(f"evidence pack {path}: run run-1, use case use_case_demo, "
                               "written 20")
    assert "matches      training data datasets/demo/train.csv" in lines
    assert f"matches      model artifact {ARTIFACT}" in lines
    assert lines[-1] == "verified (7 match): nothing the pack names has changed"


def test_verify_exits_1_on_a_changed_artifact_or_data_file(
        tmp_path: Path, settings_env: None, s3: boto3.Session,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    path = pack_file(tmp_path, session=s3)
    s3.client("s3").put_object(Bucket=BUCKET, Key=ARTIFACT.split(f"{BUCKET}/", 1)[1],
                               Body=b"retrained")
    (tmp_path / "datasets/demo/train.csv").write_text("a,label\n1,1\n")
    status, lines = run(capsys, "evidence", "verify", str(path))
    assert status == 1
    changed = [line for line in lines if line.startswith("CHANGED")]
    assert changed[0].startswith("CHANGED      training data datasets/demo/train.csv (pack ")
    assert changed[1].startswith(f"CHANGED      model artifact {ARTIFACT} (pack ")
    assert lines[-1] == ("NOT VERIFIED (5 match, 2 changed): 2 item(s) no "
                         "longer match the pack")


def test_verify_lists_an_unreachable_artifact_and_exits_0(
        tmp_path: Path, s3: boto3.Session, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    path = pack_file(tmp_path, session=s3)
    status, lines = run(capsys, "evidence", "verify", str(path), "--no-artifact")
    assert status == 0
    assert f"unreachable  model artifact {ARTIFACT} (not checked: --no-artifact)" in lines
    assert lines[-1].endswith("(unreachable items were not compared)")
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL", "MONITOR_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    status, lines = run(capsys, "evidence", "verify", str(path))
    assert status == 0
    assert any(line.startswith("unreachable  model artifact") and "no AWS settings" in line
               for line in lines)


def test_verify_exits_1_on_an_edited_pack_and_on_a_file_that_is_no_pack(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = pack_file(tmp_path)
    content = json.loads(path.read_text())
    content["ids"]["endpoint"] = "another-endpoint"
    path.write_text(json.dumps(content))
    status, lines = run(capsys, "evidence", "verify", str(path), "--no-artifact")
    assert status == 1
    assert lines[1].startswith(f"CHANGED      evidence pack {path} (pack ")
    other = tmp_path / "other.json"
    other.write_text("{}")
    status, lines = run(capsys, "evidence", "verify", str(other))
    assert status == 1 and lines == [
        f'error: {other} is not an evidence pack: no "format" field (a pack is written by an '
        "evaluated run under reports/evidence/<run>.json)"]


# --- gate ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("decision, code, headline", [
    (PASS, 0, 'APPROVED: overall pass; rule "refuse" (an inconclusive verdict refuses the '
              'release); 95 % intervals'),
    (FAIL, 1, 'REFUSED: overall fail; rule "refuse" (an inconclusive verdict refuses the '
              'release); 95 % intervals'),
    (DECISION, 2, 'REFUSED: overall inconclusive; rule "refuse" (an inconclusive verdict '
                  'refuses the release); 95 % intervals'),
    (WARN, 0, 'APPROVED WITH A WARNING: overall inconclusive; rule "warn" (an inconclusive '
              'verdict only warns); 95 % intervals'),
])
def test_gate_on_a_pack_exits_with_the_decision(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], decision: dict[str, Any], code: int,
        headline: str) -> None:
    path = pack_file(tmp_path, decision)
    status, lines = run(capsys, "gate", str(path))
    assert status == code
    assert lines[:2] == [f"release gate of run run-1 (evidence pack {path})", headline]
    assert lines[2].startswith("  accuracy ")


def test_gate_lines_say_interval_threshold_and_records_to_decide(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run(capsys, "gate", str(pack_file(tmp_path)))
    assert lines[2] == ("  accuracy 0.900 [0.596, 0.982] (95 %, Wilson, 10 records) vs "
                        "lower_limit 0.800: inconclusive; about 120 records would decide")


def test_gate_on_a_state_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = state_file(tmp_path, FAIL, "reports/evidence/run-1.json")
    status, lines = run(capsys, "gate", str(path))
    assert status == 1
    assert lines[0] == (f"release gate of run run-1 (state file {path}, evidence pack "
                        "reports/evidence/run-1.json)")
    assert "fail" in lines[2]
    status, lines = run(capsys, "gate", str(state_file(tmp_path, None)))
    assert status == 1 and "holds no gate decision" in lines[-1]


def test_gate_refuses_an_edited_pack_and_a_file_that_is_neither(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = pack_file(tmp_path, FAIL)
    content = json.loads(path.read_text())
    content["decision"] = PASS
    path.write_text(json.dumps(content))
    status, lines = run(capsys, "gate", str(path))
    assert status == 1 and "was edited after it was written" in lines[-1]
    reseal(path, lambda c: None)  # sealed again: read as it is
    assert run(capsys, "gate", str(path))[0] == 0
    other = tmp_path / "x.json"
    other.write_text('{"hello": 1}')
    status, lines = run(capsys, "gate", str(other))
    assert status == 1 and lines == [f"error: {other} is neither a state file nor an evidence pack"]
    status, lines = run(capsys, "gate", str(tmp_path / "absent.json"))
    assert status == 1 and "does not exist" in lines[-1]


def test_gate_with_a_champion_says_what_the_comparison_needs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    champion = write_pack(tmp_path / "released", new_pack(tmp_path, run_id="champion-0"))
    status, lines = run(capsys, "gate", str(pack_file(tmp_path, PASS)), "--champion",
                        str(champion))
    assert status == 0
    assert lines[-1].startswith("note: this decision holds no comparison with a champion; "
                                "comparing with run champion-0")
    assert "ModelUseCase.release_gate(champion=...)" in lines[-1]


def test_the_commands_run_as_a_module(tmp_path: Path) -> None:
    path = pack_file(tmp_path, FAIL)
    done = subprocess.run([sys.executable, "-m", "mlmonitor_lib", "gate", str(path)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "REFUSED: overall fail" in done.stdout



def test_gate_prints_the_gate_s_own_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    from test_evidence_pack import hundred_records, real_decision

    monkeypatch.delitem(sys.modules, "mlmonitor_lib.gate.verdicts")
    importlib.import_module("mlmonitor_lib.gate.verdicts")
    from mlmonitor_lib.gate.decision import GateDecision

    decision = real_decision(hundred_records(83))
    status, lines = run(capsys, "gate", str(pack_file(tmp_path, decision)))
    assert status == 2
    assert lines[2:] == [f"  {line}" for line in GateDecision.model_validate(decision).lines()]
    assert lines[2].startswith("  accuracy 0.830 [0.74")
    assert lines[-1].endswith("(signature: release_gate.inconclusive = refuse)")
