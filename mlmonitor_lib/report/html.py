"""The report's narrative in HTML: each scenario's steps, the gate's banner, the run's summary.

The summary goes at the top of the report, where the reader lands; the steps and the banner go
with each scenario.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlmonitor_lib.report.html_base import (
    GREEN,
    GREEN_BG,
    GREY,
    GREY_BG,
    RED,
    RED_BG,
    esc,
    section,
)

STATUS_STYLE = {
    "passed": (GREEN, "\u2714 passed"),
    "failed": (RED, "\u2718 failed"),
    "skipped": (GREY, "\u2013 skipped"),
    "not run": (GREY, "\u2013 not run"),
}


def steps_list(scenario: Mapping[str, Any]) -> str:
    """The scenario as the feature file tells it, with each step's outcome: the narrative a
    model-risk officer reads before the numbers."""
    items = []
    for step in scenario.get("steps", []):
        status = str(step.get("status", "not run"))
        colour, label = STATUS_STYLE.get(status, (GREY, status))
        duration = step.get("duration")
        took = f" <small style=\"color:#777\">({duration:.2f} s)</small>" if duration else ""
        items.append(
            f'<li class="bdd-step step-{esc(status.replace(" ", "-"))}" style="margin:2px 0">'
            f"<b>{esc(step.get('keyword', ''))}</b> {esc(step.get('name', ''))} "
            f'<span class="step-status" style="color:{colour};font-weight:bold">{label}</span>'
            f"{took}</li>"
        )
    feature = scenario.get("feature") or ""
    heading = f"<p style=\"margin:2px 0\"><b>Feature:</b> {esc(feature)}<br/>" if feature else "<p>"
    keyword = scenario.get("keyword") or "Scenario"
    heading += f"<b>{esc(keyword)}:</b> {esc(scenario.get('name', ''))}</p>"
    return section(
        "Scenario steps",
        heading + f'<ol class="bdd-steps" style="margin:4px 0 0 0">{"".join(items)}</ol>',
        "steps",
    )


def verdict_banner(passed: bool, lines: Sequence[str], title: str = "Release gate") -> str:
    """The gate's decision in one coloured, worded banner, with the reasons under it."""
    colour, background = (GREEN, GREEN_BG) if passed else (RED, RED_BG)
    word = "PASSED" if passed else "FAILED"
    reasons = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return (
        f'<div class="gate-verdict {"gate-passed" if passed else "gate-failed"}" '
        f'style="border:2px solid {colour};background:{background};color:{colour};'
        f'padding:10px 14px;margin:8px 0;border-radius:4px">'
        f'<div style="font-size:20px;font-weight:bold">{esc(title)}: '
        f'<span class="gate-word">{word}</span></div>'
        f'<ul style="margin:6px 0 0 0">{reasons}</ul></div>'
    )


def gate_summary(verdicts: Sequence[Mapping[str, Any]], failed: int, total: int) -> str:
    """The run's verdicts at the top of the report, where the reader lands (pytest-html folds
    passed tests' details away)."""
    parts = []
    for verdict in verdicts:
        where = verdict.get("scenario") or verdict.get("test") or ""
        lines = list(verdict.get("lines", []))
        if where:
            lines.append(f"Scenario: {where}")
        parts.append(verdict_banner(bool(verdict.get("passed")), lines))
    if not verdicts:
        parts.append(
            f'<div class="gate-verdict gate-none" style="border:2px solid {GREY};'
            f'background:{GREY_BG};color:{GREY};padding:10px 14px;margin:8px 0">'
            '<div style="font-size:16px;font-weight:bold">Release gate: not evaluated in this run'
            "</div></div>"
        )
    colour = RED if failed else GREEN
    parts.append(
        f'<p class="scenario-count" style="color:{colour};font-weight:bold">'
        f"{total - failed} of {total} scenario(s) passed"
        + (f"; {failed} failed (details below)" if failed else "") + "</p>"
    )
    return '<div class="mlmonitor-summary">' + "".join(parts) + "</div>"
