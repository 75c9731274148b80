"""The onboarding report: a tiny pytest-bdd feature run through ``pytester`` with the report plugin
must produce the HTML a model-risk officer reads (title, metrics against thresholds with the
breach marked, confusion matrix, samples, resources, factsheet, verdict, steps), PNGs that are
real images, no secret, and a cucumber JSON listing the scenarios; plus unit tests of
:mod:`mlmonitor_lib.report` without pytest in the loop.
"""

from __future__ import annotations

import base64
import html as html_lib
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlmonitor_lib.report import html, html_cloud, html_metrics, html_model, secrets
from mlmonitor_lib.report.evidence import Evidence
from mlmonitor_lib.report.figures import PNG_SIGNATURE, confusion_matrix_png, data_uri, gray_png
from mlmonitor_lib.report.tables import per_class_accuracy, threshold_rows

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
PLANTED_SECRET = "planted-5ecret-7f3a9c1e"
TITLE = "Model onboarding acceptance report"

DEMO_FEATURE = """\
Feature: Report demo
  Background:
    Given a trained model

  Scenario: The gate decides on measured evidence
    When the model is evaluated
    Then the release gate verdict is recorded

  Scenario: A broken step stops the scenario
    When something breaks
    Then this step never runs
"""

DEMO_STEPS = '''
import os
from datetime import datetime, timedelta, timezone

import numpy as np
from pytest_bdd import given, scenarios, then, when

from mlmonitor_lib.ibm.factsheets import AssetSummary
from mlmonitor_lib.ibm.openscale import EvaluationResult
from mlmonitor_lib.thresholds import violations_of
from mlmonitor_lib.state import Resource

scenarios("demo.feature")


@given("a trained model")
def trained(evidence):
    evidence.training({"loss": 0.0812, "accuracy": 0.9731, "epochs": 1})


@when("the model is evaluated")
def evaluated(evidence):
    # a leaky SDK that logs its credentials: the report must still not show them
    print("sdk debug: authenticating with apikey=" + os.environ["MLMONITOR_DEMO_API_KEY"])
    metrics = {"accuracy": 0.95, "weighted_false_positive_rate": 0.12, "weighted_recall": 0.9}
    thresholds = [
        {"metric_id": "accuracy", "type": "lower_limit", "value": 0.8},
        {"metric_id": "weighted_false_positive_rate", "type": "upper_limit", "value": 0.05},
    ]
    result = EvaluationResult(
        subscription_id="sub-1", monitor_instance_id="mon-1", run_id="run-1", records=30,
        metrics=metrics, thresholds=thresholds, violations=violations_of(metrics, thresholds),
        confusion_matrix={"labels": [0, 1, 2], "values": [[9, 1, 0], [0, 8, 2], [1, 0, 9]]},
    )
    evidence.metrics(result)
    images = np.zeros((20, 28, 28, 1))  # MNIST-like: a white stroke on black
    images[:, 4:24, 12:16] = 1.0
    evidence.samples(images, list(range(20)), [i % 7 for i in range(20)])
    now = datetime.now(timezone.utc)
    evidence.resources([
        Resource(service="serving", kind="endpoint", id="mnist-ep-<x>", created_at=now,
                 deleted_at=now + timedelta(minutes=5)),
        Resource(service="wos", kind="subscription", id="sub-1", created_at=now),
    ])
    evidence.factsheet(AssetSummary(
        asset_id="asset-1", name="mnist-cnn", description="MNIST <CNN>", catalog_id="cat-1",
        asset_type="model_stub", model_identifier="mnist-ep", model_entry_id="entry-9",
        model_entry_catalog_id="cat-9", version="1",
        deployments=[{"name": "mnist-ep", "type": "online"}],
        hyperparameters={"epochs": "1"}, metrics={"accuracy": 0.97},
    ))


@then("the release gate verdict is recorded")
def verdict(evidence):
    evidence.verdict(False, ["weighted_false_positive_rate 0.1200 is above the upper limit 0.05"])


@when("something breaks")
def breaks():
    raise RuntimeError("the endpoint refused the request")


@then("this step never runs")
def never():
    pass
'''


def run_demo(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Run the demo feature with the report plugin; returns (html, cucumber json) paths."""
    monkeypatch.setenv("MLMONITOR_DEMO_API_KEY", PLANTED_SECRET)
    # pytest-metadata copies CI variables such as GIT_URL into the environment table
    monkeypatch.setenv("GIT_URL", f"https://ci:{PLANTED_SECRET}@git.example.invalid/repo.git")
    monkeypatch.setenv("MLMONITOR_MODE", "mock")
    pytester.syspathinsert(ROOT)
    pytester.makefile(".feature", demo=DEMO_FEATURE)
    pytester.makepyfile(test_demo=DEMO_STEPS)
    report = pytester.path / "reports" / "onboarding.html"
    cucumber = pytester.path / "reports" / "cucumber.json"
    result = pytester.runpytest(
        "-p", "steps.report", "-p", "no:cacheprovider", f"--html={report}",
        "--self-contained-html", f"--cucumberjson={cucumber}",
    )
    result.assert_outcomes(passed=1, failed=1)
    return report, cucumber


def report_data(page: str) -> dict[str, Any]:
    """pytest-html's test data: a JSON blob in an HTML attribute, which its script renders."""
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    assert blob, "no data-jsonblob in the report"
    return json.loads(html_lib.unescape(blob.group(1)))


def extras_html(data: dict[str, Any], fragment: str) -> str:
    """The HTML extras of the (first) test whose id contains ``fragment``."""
    for test_id, runs in data["tests"].items():
        if fragment in test_id:
            return "".join(e["content"] for r in runs for e in r["extras"]
                           if e["format_type"] == "html")
    raise AssertionError(f"no test {fragment!r} in {list(data['tests'])}")


def png_data_uris(text: str) -> list[bytes]:
    found = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text)
    return [base64.b64decode(m) for m in found]


def assert_png(raw: bytes) -> tuple[int, int]:
    """Decode fully (not just the signature) and return the image size."""
    from PIL import Image

    assert raw.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(raw)) as image:
        image.load()
        return image.size


# --- end to end through pytester ------------------------------------------------------------
def check_report_has_title_environment_and_gate_banner(page: str, cucumber: Path) -> None:
    assert f"<title id=\"head-title\">{TITLE}</title>" in page
    data = report_data(page)
    assert data["title"] == TITLE
    assert data["environment"]["Mode"] == "mock"
    assert "Platform" in data["environment"]
    assert not any(secrets.is_secret_name(k) for k in data["environment"])
    assert "GIT_URL" not in data["environment"]
    # the verdict sits in the summary pytest-html renders server-side, above the folded tests
    summary = page[: page.index('id="results-table"')]
    assert 'class="gate-verdict gate-failed"' in summary
    assert "Release gate: <span class=\"gate-word\">FAILED</span>" in summary
    assert "1 of 2 scenario(s) passed; 1 failed" in summary


def check_report_shows_metrics_with_breach_and_the_evidence(page: str, cucumber: Path) -> None:
    evidence = extras_html(report_data(page), "gate_decides")
    table = re.search(r'<table class="metrics-table".*?</table>', evidence, re.S).group(0)
    breach = re.findall(r'<tr class="breach"[^>]*>(.*?)</tr>', table, re.S)
    assert len(breach) == 1 and "weighted_false_positive_rate" in breach[0]
    assert "0.1200" in breach[0] and "at most 0.0500" in breach[0] and "BREACH" in breach[0]
    assert re.search(r'<tr class="within"[^>]*><td[^>]*>accuracy</td>', table)
    assert "weighted_recall" in table  # measured without a threshold: still shown
    assert 'class="per-class-accuracy"' in evidence and "90.0%" in evidence
    assert evidence.count('<figure class="sample') == 16
    assert "16 of 20 images shown" in evidence
    assert "mnist-ep-&lt;x&gt;" in evidence and "MNIST &lt;CNN&gt;" in evidence  # escaped
    assert "<x>" not in evidence
    assert "still exist" in evidence and "yes (entry-9)" in evidence
    assert 'class="gate-verdict gate-failed"' in evidence
    assert "training-table" in evidence and "0.9731" in evidence


def check_report_images_are_valid_pngs(page: str, cucumber: Path) -> None:
    data = report_data(page)
    inline = png_data_uris(extras_html(data, "gate_decides"))
    assert len(inline) == 17  # the confusion matrix + 16 samples
    sizes = [assert_png(raw) for raw in inline]
    assert sizes.count((28, 28)) == 16
    (width, height), = [size for size in sizes if size != (28, 28)]
    assert width > 200 and height > 200
    viewer = [e for runs in data["tests"].values() for r in runs for e in r["extras"]
              if e["format_type"] == "image"]
    assert viewer == []  # pytest-html's viewer would replace the first sample image


def check_report_lists_each_scenario_s_steps(page: str, cucumber: Path) -> None:
    data = report_data(page)
    passed = extras_html(data, "gate_decides")
    steps = re.findall(r'<li class="bdd-step step-([\w-]+)"[^>]*><b>(\w+)</b> (.*?) <span', passed)
    assert steps == [
        ("passed", "Given", "a trained model"),
        ("passed", "When", "the model is evaluated"),
        ("passed", "Then", "the release gate verdict is recorded"),
    ]
    failed = extras_html(data, "broken_step")
    steps = re.findall(r'<li class="bdd-step step-([\w-]+)"[^>]*><b>(\w+)</b> (.*?) <span', failed)
    assert steps == [
        ("passed", "Given", "a trained model"),
        ("failed", "When", "something breaks"),
        ("failed", "Then", "this step never runs"),  # pytest-bdd marks the rest failed
    ]
    assert "Report demo" in passed


def check_report_holds_no_secret(page: str, cucumber: Path) -> None:
    assert PLANTED_SECRET not in page
    assert PLANTED_SECRET not in html_lib.unescape(page)
    assert PLANTED_SECRET not in json.dumps(report_data(page))
    assert PLANTED_SECRET not in cucumber.read_text(encoding="utf-8")
    assert "sdk debug: authenticating with apikey=" + secrets.MASK in html_lib.unescape(page)


def check_cucumber_json_lists_the_scenarios(page: str, cucumber: Path) -> None:
    features = json.loads(cucumber.read_text(encoding="utf-8"))
    assert [f["name"] for f in features] == ["Report demo"]
    scenarios = {e["name"]: e for e in features[0]["elements"]}
    assert set(scenarios) == {
        "The gate decides on measured evidence", "A broken step stops the scenario"}
    broken = scenarios["A broken step stops the scenario"]["steps"]
    statuses = [s["result"]["status"] for s in broken]
    assert statuses[:2] == ["passed", "failed"]


def test_onboarding_report_end_to_end(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One pytester run (a run costs seconds), every check a reader relies on."""
    report, cucumber = run_demo(pytester, monkeypatch)
    page = report.read_text(encoding="utf-8")
    check_report_has_title_environment_and_gate_banner(page, cucumber)
    check_report_shows_metrics_with_breach_and_the_evidence(page, cucumber)
    check_report_images_are_valid_pngs(page, cucumber)
    check_report_lists_each_scenario_s_steps(page, cucumber)
    check_report_holds_no_secret(page, cucumber)
    check_cucumber_json_lists_the_scenarios(page, cucumber)


def test_without_html_the_evidence_is_collected_but_not_drawn(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLMONITOR_DEMO_API_KEY", PLANTED_SECRET)
    pytester.syspathinsert(ROOT)
    pytester.makefile(".feature", demo=DEMO_FEATURE)
    pytester.makepyfile(test_demo=DEMO_STEPS)
    pytester.runpytest("-p", "steps.report", "-p", "no:cacheprovider").assert_outcomes(
        passed=1, failed=1)


# --- units ---------------------------------------------------------------------------------
def test_threshold_rows_judge_like_the_gate() -> None:
    rows = threshold_rows(
        {"accuracy": 0.79, "fpr": 0.01, "extra": 1.0},
        [
            {"metric_id": "accuracy", "type": "lower_limit", "value": 0.8},
            {"metric_id": "fpr", "type": "upper_limit", "value": 0.05},
            {"metric_id": "missing", "type": "lower_limit", "value": 0.5},
        ],
    )
    assert [(r.metric, r.breached) for r in rows] == [
        ("accuracy", True), ("fpr", False), ("missing", True), ("extra", False)]
    assert rows[2].measured is None and rows[3].kind is None


def test_threshold_rows_honour_violations_openscale_reported() -> None:
    rows = threshold_rows({"accuracy": 0.9}, [], [{"metric_id": "accuracy"}])
    assert rows[0].breached


def test_per_class_accuracy_reads_rows_as_true_labels() -> None:
    classes = per_class_accuracy([0, 1], [[3, 1], [0, 0]])
    assert [(c.label, c.correct, c.total, c.accuracy) for c in classes] == [
        ("0", 3, 4, 0.75), ("1", 0, 0, None)]


def test_gray_png_round_trips_pixels() -> None:
    from PIL import Image

    image = np.linspace(0, 1, 28 * 28).reshape(28, 28, 1)
    with Image.open(io.BytesIO(gray_png(image))) as decoded:
        pixels = np.asarray(decoded)
    assert decoded.mode == "L" and pixels.shape == (28, 28)
    assert pixels[0, 0] == 0 and pixels[-1, -1] == 255
    with pytest.raises(ValueError, match="H×W"):
        gray_png(np.zeros((2, 28, 28)))


def test_confusion_matrix_png_is_a_readable_chart() -> None:
    raw = confusion_matrix_png(list(range(10)), np.eye(10, dtype=int) * 90 + 1)
    width, height = assert_png(raw)
    assert width > 300 and height > 300
    assert data_uri(raw).startswith("data:image/png;base64,iVBOR")


def test_importing_the_report_package_does_not_import_matplotlib() -> None:
    code = (
        "import sys, mlmonitor_lib.report.evidence, mlmonitor_lib.report.html;"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'"
    )
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_fragments_escape_everything() -> None:
    nasty = '<script>alert("x")</script>'
    rows = threshold_rows({nasty: 1.0}, [])
    fragments = [
        html_metrics.metrics_table(rows),
        html.steps_list({"feature": nasty, "name": nasty,
                         "steps": [{"keyword": "Given", "name": nasty, "status": "passed"}]}),
        html_cloud.resources_table([{"service": nasty, "kind": nasty, "id": nasty,
                                     "created_at": datetime.now(UTC), "deleted_at": None}]),
        html_cloud.factsheet_section({"name": nasty, "deployments": [{nasty: nasty}],
                                      "hyperparameters": {nasty: nasty}}),
        html.verdict_banner(True, [nasty]),
        html_model.training_table({nasty: nasty}),
        html_model.samples_grid([("data:image/png;base64,AAAA", nasty, nasty)], 1),
        html.gate_summary([{"passed": False, "lines": [nasty], "scenario": nasty}], 0, 1),
    ]
    for fragment in fragments:
        assert "<script>" not in fragment
        assert "&lt;script&gt;" in fragment


def test_verdict_banner_says_the_decision_in_words() -> None:
    passed, failed = html.verdict_banner(True, []), html.verdict_banner(False, [])
    assert "gate-passed" in passed and "PASSED" in passed
    assert "gate-failed" in failed and "FAILED" in failed
    assert "not evaluated" in html.gate_summary([], 0, 3)


def test_evidence_renders_only_what_is_new() -> None:
    evidence = Evidence()
    evidence.training({"loss": np.float32(0.5)})
    evidence.verdict(True, ["all thresholds met"])
    first = evidence.render_new()
    assert [e.kind for e in first] == ["html", "html"]
    assert evidence.render_new() == []
    evidence.resources([])
    assert len(evidence.render_new()) == 1
    assert evidence.verdicts == [{"passed": True, "lines": ["all thresholds met"]}]


def test_evidence_copies_what_it_records() -> None:
    evidence = Evidence()
    images = np.zeros((2, 28, 28, 1))
    labels = [1, 2]
    evidence.samples(images, labels, np.array([1, 3]))
    images[:] = 1.0
    labels.append(3)
    (extra,) = evidence.render_new()
    assert "misclassified" in extra.content and "2 images shown; 1 misclassified" in extra.content


def test_metrics_accept_a_plain_dict_and_skip_a_missing_matrix() -> None:
    evidence = Evidence()
    evidence.metrics({"metrics": {"accuracy": 0.9}, "thresholds": [], "violations": []})
    (extra,) = evidence.render_new()
    assert "metrics-table" in extra.content and "Every threshold is met" in extra.content


def test_secret_names_and_metadata_scrubbing() -> None:
    assert secrets.is_secret_name("AWS_SECRET_ACCESS_KEY")
    assert secrets.is_secret_name("api_key") and secrets.is_secret_name("CP4D_PASSWORD")
    assert secrets.is_secret_name("AWS_SESSION_TOKEN")
    assert not secrets.is_secret_name("Platform")
    env = {"IBM_API_KEY": "abcdef123456", "SHORT_TOKEN": "x", "HOME": "/root"}
    found = secrets.secret_values(env, settings=False)
    assert found == {"abcdef123456"}
    metadata = {
        "Python": "3.12", "MY_TOKEN": "t", "CI_URL": "https://u:abcdef123456@host",
        "Plugins": {"html": "4.2", "leak": "abcdef123456"},
    }
    removed = secrets.scrub_metadata(metadata, found)
    assert metadata == {"Python": "3.12", "Plugins": {"html": "4.2"}}
    assert set(removed) == {"MY_TOKEN", "CI_URL", "Plugins.leak"}


def test_scrub_text_masks_every_spelling(tmp_path: Path) -> None:
    secret = 'p&ss"word<1>'
    text = " ".join([
        secret, html_lib.escape(secret), json.dumps(secret),
        html_lib.escape(json.dumps(html_lib.escape(secret))),
    ])
    cleaned, count = secrets.scrub_text(text, [secret])
    assert count == 4 and "ss" not in cleaned.replace(secrets.MASK, "")
    path = tmp_path / "r.html"
    path.write_text(f"before {secret} after", encoding="utf-8")
    assert secrets.scrub_file(path, [secret]) == 1
    assert path.read_text(encoding="utf-8") == f"before {secrets.MASK} after"
    assert secrets.scrub_file(tmp_path / "absent.html", [secret]) == 0
