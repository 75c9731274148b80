"""pytest plugin behind ``reports/onboarding.html``: the report a model-risk officer opens.

Steps and fixtures record evidence through the function-scoped ``evidence`` fixture
(``evidence.metrics(result)``, ``.samples(images, labels, predictions)``, ``.resources(ledger)``,
``.factsheet(summary)``, ``.verdict(passed, lines)``, ``.training(metrics)``,
``.evidence_pack(pack, path)``); when a test phase ends this plugin renders it, with the
scenario's steps, as pytest-html extras of that test. The release gate verdicts also go to the
top of the report, since pytest-html folds passed tests. An evidence pack is also attached to the
step that recorded it in the Cucumber JSON (the plugin tells the scenario's ``evidence`` which
step is running, and the packs travel to the writing process on the test reports).
Rendering lives in :mod:`mlmonitor_lib.report`; this module only wires it into pytest.

Secrets never reach the report: secret-named metadata is dropped before pytest-html builds its
environment table, and the written HTML and cucumber JSON are scrubbed of known secret values.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from mlmonitor_lib.report import html
from mlmonitor_lib.report.cucumber import attach_packs
from mlmonitor_lib.report.evidence import Evidence, Extra
from mlmonitor_lib.report.secrets import scrub_file, scrub_metadata, secret_values

TITLE = "Model onboarding acceptance report"
EVIDENCE_KEY = pytest.StashKey[Evidence]()
VERDICTS_SENT_KEY = pytest.StashKey[int]()
PACKS_SENT_KEY = pytest.StashKey[int]()
STEP_KEY = pytest.StashKey[dict[str, Any]]()
STEPS_SHOWN_KEY = pytest.StashKey[bool]()


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Where a scenario's steps record what the report shows about it."""
    collected = Evidence()
    collected.step = request.node.stash.get(STEP_KEY, None)
    request.node.stash[EVIDENCE_KEY] = collected
    return collected


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                           step: Any, step_func: Any) -> None:
    """Tell the scenario's evidence which step runs, as the Cucumber JSON names it (feature
    file, test name, step line and text): a pack recorded now is attached to this step."""
    where = {"feature": feature.rel_filename, "scenario": request.node.name,
             "keyword": step.keyword, "name": step.name, "line": step.line_number}
    request.node.stash[STEP_KEY] = where
    collected = request.node.stash.get(EVIDENCE_KEY, None)
    if collected is not None:
        collected.step = where


# --- configuration -----------------------------------------------------------------------------
def _writes_html(config: pytest.Config) -> bool:
    return bool(config.getoption("htmlpath", default=None))


def _report_files(config: pytest.Config) -> list[Path]:
    paths = []
    for option in ("htmlpath", "cucumber_json_path"):
        value = config.getoption(option, default=None)
        if value:
            paths.append(Path(os.path.expandvars(value)).expanduser().absolute())
    return paths


class RunSummary:
    """Gate verdicts and scenario outcomes seen by the process that writes the report (under
    xdist, the controller: verdicts travel on the test reports), for the top of the report."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        # Resolved now: a test may chdir before the files are scrubbed at the end.
        self.files = _report_files(config)
        cucumber = config.getoption("cucumber_json_path", default=None)
        self.cucumber = (Path(os.path.expandvars(cucumber)).expanduser().absolute()
                         if cucumber else None)
        self.verdicts: list[dict[str, Any]] = []
        self.packs: list[dict[str, Any]] = []
        self.outcomes: dict[str, bool] = {}  # nodeid -> failed

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.verdicts += getattr(report, "mlmonitor_verdicts", None) or []
        self.packs += getattr(report, "mlmonitor_packs", None) or []
        if report.when == "call" or report.failed:
            self.outcomes[report.nodeid] = self.outcomes.get(report.nodeid, False) or report.failed

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        failed = sum(self.outcomes.values())
        prefix.append(html.gate_summary(self.verdicts, failed, len(self.outcomes)))


PLUGIN_NAME = "mlmonitor-onboarding-report"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(RunSummary(config), PLUGIN_NAME)


def _mode(config: pytest.Config) -> str:
    return str(config.getoption("mode", default=None) or os.environ.get("MLMONITOR_MODE", "mock"))


@pytest.hookimpl(optionalhook=True)
def pytest_metadata(metadata: dict[str, Any], config: pytest.Config) -> None:
    """Mode and platform for the environment table; nothing secret."""
    metadata["Mode"] = _mode(config)
    metadata["Platform"] = platform.platform()
    metadata["Python"] = platform.python_version()
    scrub_metadata(metadata, secret_values())


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Scrub again just before pytest-html reads the metadata: other plugins may have added
    entries after the ``pytest_metadata`` hook ran."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    metadata = session.config.stash.get(metadata_key, None)
    if metadata is not None:
        metadata["Use case"] = str(session.config.getoption("--use-case", default=""))
        scrub_metadata(metadata, secret_values())


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    report.title = TITLE


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The last line of defence: mask any known secret value the report files still contain
    (e.g. one a library printed into a captured log)."""
    run = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if run is None:
        return
    config.pluginmanager.unregister(run)
    if hasattr(config, "workerinput"):
        return
    if run.cucumber is not None:
        for problem in attach_packs(run.cucumber, run.packs):
            config.get_terminal_writer().line(f"{run.cucumber.name}: {problem}")
    secrets = secret_values()
    for path in run.files:
        masked = scrub_file(path, secrets)
        if masked:
            config.get_terminal_writer().line(
                f"{path.name}: masked {masked} secret value(s) found in the report"
            )


# --- per test --------------------------------------------------------------------------------
def _scenario(item: pytest.Item) -> dict[str, Any] | None:
    """The scenario's steps with their outcome, from pytest-bdd's per-item record (steps that
    never ran because an earlier one stopped the scenario are listed as not run)."""
    try:
        from pytest_bdd.reporting import scenario_reports_registry
    except ImportError:
        return None
    record = scenario_reports_registry.get(item)
    if record is None:
        return None
    steps = []
    for step_report in record.step_reports:
        if step_report.failed:
            status = "failed"
        elif step_report.stopped is not None:
            status = "passed"
        else:
            status = "skipped"
        steps.append({
            "keyword": step_report.step.keyword, "name": step_report.step.name,
            "status": status, "duration": step_report.duration,
        })
    for step in record.scenario.steps[len(record.step_reports):]:
        steps.append({"keyword": step.keyword, "name": step.name, "status": "not run"})
    scenario = record.scenario
    return {
        "feature": scenario.feature.name, "keyword": scenario.keyword,
        "name": scenario.name, "steps": steps,
    }


def _as_pytest_html(extras: list[Extra]) -> list[dict[str, Any]]:
    from pytest_html import extras as pytest_html_extras

    return [
        pytest_html_extras.html(e.content) if e.kind == "html"
        else pytest_html_extras.png(e.content, e.name or "Image")
        for e in extras
    ]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    collected = item.stash.get(EVIDENCE_KEY, None)
    if collected is not None:
        sent = item.stash.get(VERDICTS_SENT_KEY, 0)
        if len(collected.verdicts) > sent:
            scenario = _scenario(item)
            name = scenario["name"] if scenario else item.name
            report.mlmonitor_verdicts = [  # type: ignore[attr-defined]
                {**v, "scenario": name} for v in collected.verdicts[sent:]
            ]
            item.stash[VERDICTS_SENT_KEY] = len(collected.verdicts)
        packs_sent = item.stash.get(PACKS_SENT_KEY, 0)
        if len(collected.packs) > packs_sent:
            report.mlmonitor_packs = collected.packs[packs_sent:]  # type: ignore[attr-defined]
            item.stash[PACKS_SENT_KEY] = len(collected.packs)
    if not _writes_html(item.config):
        return
    rendered: list[Extra] = []
    # Steps once, on the call phase (or at teardown when setup stopped the test before it).
    if report.when == "call" or (report.when == "teardown" and STEPS_SHOWN_KEY not in item.stash):
        item.stash[STEPS_SHOWN_KEY] = True
        scenario = _scenario(item)
        if scenario is not None:
            rendered.append(Extra("html", html.steps_list(scenario)))
    if collected is not None:
        rendered += collected.render_new()
    if rendered:
        report.extras = list(getattr(report, "extras", [])) + _as_pytest_html(rendered)
