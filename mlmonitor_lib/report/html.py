"""HTML fragments of the onboarding report. Every value is escaped (ids, metric names and step
texts come from services and feature files), and styles are inline so a fragment looks the same
in pytest-html's page, in a forwarded e-mail and in a unit test, without external CSS or fonts.
Class names (``breach``, ``gate-verdict``...) are stable hooks for tests and custom CSS.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from mlmonitor_lib.report.tables import ClassAccuracy, FairnessRow, ThresholdRow, field

GREEN, GREEN_BG = "#1e6b30", "#e3f3e6"
RED, RED_BG = "#a4161a", "#fbe3e4"
AMBER_BG = "#fff4d6"
GREY, GREY_BG = "#444", "#eeeeee"
TABLE = 'style="border-collapse:collapse;margin:4px 0 10px 0;font-size:13px"'
CELL = 'style="border:1px solid #ccc;padding:3px 8px;text-align:left"'
NUM = 'style="border:1px solid #ccc;padding:3px 8px;text-align:right"'


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not measured"
    return f"{value:.{digits}f}"


def _when(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    return str(value)


def section(title: str, body: str, css_class: str) -> str:
    """A titled block; one per kind of evidence, so a reader can scan the headings."""
    return (
        f'<section class="mlmonitor-evidence {_e(css_class)}" '
        'style="margin:8px 0 14px 0;color:#222">'
        f'<h3 style="margin:6px 0;font-size:15px">{_e(title)}</h3>{body}</section>'
    )


def _table(header: Sequence[str], rows: Iterable[str], css_class: str) -> str:
    head = "".join(f"<th {CELL}>{_e(h)}</th>" for h in header)
    return (
        f'<table class="{_e(css_class)}" {TABLE}><thead><tr style="background:#f4f4f4">{head}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
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
            f'<li class="bdd-step step-{_e(status.replace(" ", "-"))}" style="margin:2px 0">'
            f"<b>{_e(step.get('keyword', ''))}</b> {_e(step.get('name', ''))} "
            f'<span class="step-status" style="color:{colour};font-weight:bold">{label}</span>'
            f"{took}</li>"
        )
    feature = scenario.get("feature") or ""
    heading = f"<p style=\"margin:2px 0\"><b>Feature:</b> {_e(feature)}<br/>" if feature else "<p>"
    keyword = scenario.get("keyword") or "Scenario"
    heading += f"<b>{_e(keyword)}:</b> {_e(scenario.get('name', ''))}</p>"
    return section(
        "Scenario steps",
        heading + f'<ol class="bdd-steps" style="margin:4px 0 0 0">{"".join(items)}</ol>',
        "steps",
    )


def metrics_table(
    rows: Sequence[ThresholdRow], title: str = "Quality metrics against thresholds"
) -> str:
    """Measured metrics next to their limits; a breached row is red and says BREACH in words
    (colour alone does not survive printing or colour blindness)."""
    body = []
    for row in rows:
        if row.kind is None:
            limit, status, style, cls = "", "no threshold", "", "no-threshold"
        else:
            word = "at least" if row.kind == "lower_limit" else "at most"
            limit = f"{word} {_fmt(row.limit)}"
            if row.breached:
                status = "\u2718 BREACH"
                style = f' style="background:{RED_BG};color:{RED};font-weight:bold"'
                cls = "breach"
            else:
                status, style, cls = "\u2714 within", f' style="color:{GREEN}"', "within"
        body.append(
            f'<tr class="{cls}"{style}><td {CELL}>{_e(row.metric)}</td>'
            f"<td {NUM}>{_e(_fmt(row.measured))}</td><td {CELL}>{_e(limit)}</td>"
            f"<td {CELL}>{_e(status)}</td></tr>"
        )
    breaches = sum(r.breached for r in rows)
    note = (
        f'<p class="breach-count" style="color:{RED};font-weight:bold">{breaches} threshold(s) '
        "breached</p>" if breaches else
        f'<p class="breach-count" style="color:{GREEN}">Every threshold is met</p>'
    )
    table = _table(["Metric", "Measured", "Threshold", "Status"], body, "metrics-table")
    return section(title, table + note, "metrics")


def _ratio(value: float | None) -> str:
    """A disparate impact as a ratio and as OpenScale's percent: ``0.50 (50.0 %)``."""
    if value is None:
        return "not measured"
    return f"{value:.2f} ({100 * value:.1f} %)"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


def fairness_table(
    rows: Sequence[FairnessRow], title: str = "Fairness: disparate impact against thresholds"
) -> str:
    """Per monitored feature, its reference group and each monitored group: how often each got
    the favourable class, the monitored groups' disparate impact and the threshold; a breached
    or unmeasured group is red and says so in words."""
    body = []
    for row in rows:
        if row.role == "reference":
            status, style, cls, limit = "reference group", "", "reference", ""
        else:
            limit = "" if row.threshold is None else f"at least {_ratio(row.threshold)}"
            if row.breached is None:
                status, style, cls = "not reported per group", "", "not-reported"
            elif row.breached:
                word = "\u2718 BREACH" if row.disparate_impact is not None else (
                    "\u2718 NOT MEASURED")
                status = word + (f": {row.note}" if row.note else "")
                style = f' style="background:{RED_BG};color:{RED};font-weight:bold"'
                cls = "breach"
            else:
                status, style, cls = "\u2714 met", f' style="color:{GREEN}"', "within"
        records = "" if row.records is None else str(row.records)
        impact = "" if row.role == "reference" else _ratio(row.disparate_impact)
        body.append(
            f'<tr class="{cls}"{style}><td {CELL}>{_e(row.feature)}</td>'
            f"<td {CELL}>{_e(row.group)}</td><td {CELL}>{_e(row.role)}</td>"
            f"<td {NUM}>{_e(records)}</td><td {NUM}>{_e(_rate(row.favourable_rate))}</td>"
            f"<td {NUM}>{_e(impact)}</td><td {CELL}>{_e(limit)}</td>"
            f"<td {CELL}>{_e(status)}</td></tr>"
        )
    breached = sorted({r.feature for r in rows if r.breached})
    note = (
        f'<p class="breach-count" style="color:{RED};font-weight:bold">{len(breached)} '
        f"feature(s) breach their fairness threshold: {_e(', '.join(breached))}</p>"
        if breached else
        f'<p class="breach-count" style="color:{GREEN}">Every fairness threshold is met</p>'
    )
    table = _table(["Feature", "Group", "Role", "Records", "Favourable rate",
                    "Disparate impact", "Threshold", "Status"], body, "fairness-table")
    return section(title, table + note, "fairness")


def confusion_section(png_uri: str | None, classes: Sequence[ClassAccuracy]) -> str:
    """The confusion matrix image beside per-class accuracy, the weakest class highlighted."""
    measured = [c.accuracy for c in classes if c.accuracy is not None]
    worst = min(measured) if measured else None
    rows = []
    for c in classes:
        weakest = c.accuracy is not None and c.accuracy == worst and len(measured) > 1
        style = f' style="background:{AMBER_BG}"' if weakest else ""
        accuracy = "no images" if c.accuracy is None else f"{100 * c.accuracy:.1f}%"
        rows.append(
            f'<tr class="{"weakest" if weakest else ""}"{style}><td {CELL}>{_e(c.label)}</td>'
            f"<td {NUM}>{c.correct}</td><td {NUM}>{c.total}</td><td {NUM}>{_e(accuracy)}</td></tr>"
        )
    table = _table(["Class", "Correct", "Images", "Accuracy"], rows, "per-class-accuracy")
    image = (
        f'<img class="confusion-matrix" alt="Confusion matrix" src="{_e(png_uri)}" '
        'style="max-width:520px;border:1px solid #ddd"/>' if png_uri else ""
    )
    body = (
        f'<div style="display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start">'
        f"<div>{image}</div><div>{table}</div></div>"
    )
    return section("Confusion matrix and per-class accuracy", body, "confusion")


def samples_table(fields: Sequence[str], rows: Sequence[Sequence[Any]], labels: Sequence[Any],
                  predictions: Sequence[Any], total: int) -> str:
    """Test examples of a tabular model, one row each, with what the model predicted and what
    they are; wrong ones marked red."""
    body = []
    for row, label, prediction in zip(rows, labels, predictions, strict=False):
        right = str(label) == str(prediction)
        colour, mark = (GREEN, "\u2714") if right else (RED, "\u2718")
        cells = "".join(f"<td {CELL}>{_e(v)}</td>" for v in row)
        body.append(f'<tr class="sample {"correct" if right else "wrong"}">{cells}'
                    f'<td {CELL}><b style="color:{colour}">{mark} {_e(prediction)}</b></td>'
                    f"<td {CELL}>{_e(label)}</td></tr>")
    wrong = sum(str(label) != str(p) for label, p in zip(labels, predictions, strict=False))
    shown = f"{len(rows)} of {total}" if total > len(rows) else f"{len(rows)}"
    note = f"<p>{shown} examples shown; {wrong} misclassified among them.</p>"
    table = _table([*fields, "predicted", "true"], body, "samples")
    return section("Sample predictions", note + table, "samples")


def samples_grid(samples: Sequence[tuple[str, Any, Any]], total: int) -> str:
    """Test images with what the model predicted and what they are; wrong ones framed red."""
    cells = []
    for uri, label, prediction in samples:
        right = str(label) == str(prediction)
        colour = GREEN if right else RED
        mark = "\u2714" if right else "\u2718"
        cells.append(
            f'<figure class="sample {"correct" if right else "wrong"}" style="margin:0;'
            f'text-align:center;border:2px solid {colour};padding:4px;width:96px">'
            f'<img alt="test image labelled {_e(label)}" src="{_e(uri)}" width="84" height="84" '
            'style="image-rendering:pixelated;display:block;margin:auto"/>'
            f'<figcaption style="font-size:12px;color:{colour}">{mark} predicted '
            f"<b>{_e(prediction)}</b><br/>true <b>{_e(label)}</b></figcaption></figure>"
        )
    wrong = sum(str(label) != str(pred) for _, label, pred in samples)
    shown = f"{len(samples)} of {total}" if total > len(samples) else f"{len(samples)}"
    note = f"<p>{shown} images shown; {wrong} misclassified among them.</p>"
    grid = (
        '<div class="samples" style="display:flex;flex-wrap:wrap;gap:8px">'
        + "".join(cells) + "</div>"
    )
    return section("Sample predictions", note + grid, "samples")


def resources_table(resources: Sequence[Any]) -> str:
    """Every cloud resource the run created and whether it was deleted; one still alive after
    cleanup is highlighted, since it costs money and holds data."""
    rows = []
    alive = 0
    for r in resources:
        deleted = field(r, "deleted_at")
        if deleted is None:
            alive += 1
        style = f' style="background:{AMBER_BG}"' if deleted is None else ""
        rows.append(
            f'<tr class="{"alive" if deleted is None else "deleted"}"{style}>'
            f"<td {CELL}>{_e(field(r, 'service', ''))}</td>"
            f"<td {CELL}>{_e(field(r, 'kind', ''))}</td>"
            f"<td {CELL}><code>{_e(field(r, 'id', ''))}</code></td>"
            f"<td {CELL}>{_e(_when(field(r, 'created_at')))}</td>"
            f"<td {CELL}>{_e(_when(deleted)) if deleted is not None else 'still exists'}</td></tr>"
        )
    note = (
        f"<p>{len(resources)} created, {len(resources) - alive} deleted, "
        f'<span class="resources-alive">{alive} still exist</span>.</p>'
    )
    table = _table(["Service", "Kind", "Id", "Created", "Deleted"], rows, "resources-table")
    return section("Cloud resources created and deleted", note + table, "resources")


def _dl(pairs: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th {CELL}>{_e(k)}</th><td {CELL}>{_e(v)}</td></tr>" for k, v in pairs)
    return f'<table class="kv" {TABLE}>{rows}</table>'


def factsheet_section(summary: Any) -> str:
    """The AI Factsheets model asset: what is recorded about the model for governance."""
    entry = field(summary, "model_entry_id")
    pairs = [
        ("Asset name", field(summary, "name", "")),
        ("Description", field(summary, "description", "")),
        ("Asset id", field(summary, "asset_id", "")),
        ("Catalog id", field(summary, "catalog_id", "")),
        ("Asset type", field(summary, "asset_type", "")),
        ("Model identifier", field(summary, "model_identifier") or ""),
        ("Version", field(summary, "version") or ""),
        ("Linked to model use case", f"yes ({entry})" if entry else "NO"),
        ("Model use case catalog", field(summary, "model_entry_catalog_id") or ""),
    ]
    body = _dl(pairs)
    deployments = field(summary, "deployments") or []
    if deployments:
        keys = sorted({k for d in deployments for k in d})
        rows = [
            "<tr>" + "".join(f"<td {CELL}>{_e(d.get(k, ''))}</td>" for k in keys) + "</tr>"
            for d in deployments
        ]
        body += "<h4 style=\"margin:4px 0\">Deployments</h4>" + _table(keys, rows, "deployments")
    for title, mapping in (
        ("Hyperparameters", field(summary, "hyperparameters") or {}),
        ("Training metrics", field(summary, "metrics") or {}),
    ):
        if mapping:
            body += f'<h4 style="margin:4px 0">{_e(title)}</h4>' + _dl(sorted(mapping.items()))
    return section("AI Factsheets model asset", body, "factsheet")


def training_table(metrics: Mapping[str, Any]) -> str:
    """What training reported (loss, accuracy...), as recorded with the job."""
    rows = [
        f"<tr><td {CELL}>{_e(k)}</td><td {NUM}>"
        f"{_e(_fmt(v) if isinstance(v, float) else v)}</td></tr>"
        for k, v in sorted(metrics.items())
    ]
    table = _table(["Metric", "Value"], rows, "training-table")
    return section("Training metrics", table, "training")


def verdict_banner(passed: bool, lines: Sequence[str], title: str = "Release gate") -> str:
    """The gate's decision in one coloured, worded banner, with the reasons under it."""
    colour, background = (GREEN, GREEN_BG) if passed else (RED, RED_BG)
    word = "PASSED" if passed else "FAILED"
    reasons = "".join(f"<li>{_e(line)}</li>" for line in lines)
    return (
        f'<div class="gate-verdict {"gate-passed" if passed else "gate-failed"}" '
        f'style="border:2px solid {colour};background:{background};color:{colour};'
        f'padding:10px 14px;margin:8px 0;border-radius:4px">'
        f'<div style="font-size:20px;font-weight:bold">{_e(title)}: '
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


VERDICT_STYLE = {
    "pass": (GREEN, GREEN_BG, "\u2714 PASS"),
    "fail": (RED, RED_BG, "\u2718 FAIL"),
    "inconclusive": ("#7a5200", AMBER_BG, "? INCONCLUSIVE"),
}
METHOD_NAMES = {"wilson": "Wilson", "bootstrap": "bootstrap"}


def _num(value: Any, digits: int = 3) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return f"{value:.{digits}f}"


def _short(digest: Any) -> str:
    return f"{digest[:12]}\u2026" if digest else "not recorded"


def _verdict_row(v: Mapping[str, Any]) -> str:
    verdict = str(v.get("verdict", ""))
    colour, background, word = VERDICT_STYLE.get(verdict, (GREY, GREY_BG, verdict.upper()))
    low, high, level = _num(v.get("low")), _num(v.get("high")), v.get("level")
    interval = "no interval"
    if low is not None and high is not None:
        method = METHOD_NAMES.get(str(v.get("method")), str(v.get("method") or ""))
        share = f"{100 * level:g} %, " if isinstance(level, (int, float)) else ""
        interval = f"[{low}, {high}] ({share}{method})"
    kind, threshold = str(v.get("type", "")), _num(v.get("threshold"))
    limit = {"lower_limit": "at least", "upper_limit": "at most"}.get(kind, kind)
    more = v.get("records_to_decide")
    decide = (f"about {more}" if more is not None else
              "none decides" if verdict == "inconclusive" else "")
    return (
        f'<tr class="verdict-{_e(verdict)}"><td {CELL}>{_e(v.get("name", ""))}</td>'
        f"<td {NUM}>{_e(_num(v.get('estimate')) or 'n/a')}</td><td {CELL}>{_e(interval)}</td>"
        f"<td {CELL}>{_e(f'{limit} {threshold}' if threshold else limit)}</td>"
        f'<td {CELL} style="background:{background};color:{colour};font-weight:bold">'
        f"{_e(word)}</td><td {NUM}>{_e(v.get('records', ''))}</td>"
        f"<td {NUM}>{_e(decide)}</td></tr>"
    )


def evidence_pack_section(pack: Mapping[str, Any], path: str | None = None) -> str:
    """An evidence pack's summary: the decision and the rule applied, one row per verdict
    (estimate, interval, threshold, verdict, records, records that would decide), the
    digests of what was approved (shortened; the pack holds them whole) and where the pack
    is, so a reader can run ``python -m mlmonitor_lib evidence verify`` on it."""
    from mlmonitor_lib.gate.printing import decision_headline

    decision = pack.get("decision") or {}
    overall, approved = decision.get("overall"), bool(decision.get("approved"))
    colour, background = (GREEN, GREEN_BG) if approved else (RED, RED_BG)
    if approved and overall == "inconclusive":
        colour, background = "#7a5200", AMBER_BG
    state = "approved" if approved else "refused"
    headline = decision_headline(decision) if decision else "no gate decision in the pack"
    head = (
        f'<div class="pack-decision pack-{state}" style="border:2px solid {colour};'
        f'background:{background};color:{colour};padding:6px 10px;margin:4px 0;'
        f'font-weight:bold">Release gate decision: {_e(headline)}</div>'
    )
    verdicts = _table(["Measure", "Estimate", "Interval", "Threshold value", "Verdict",
                       "Records", "Records to decide"],
                      [_verdict_row(v) for v in decision.get("verdicts", [])], "pack-verdicts")
    digests: list[tuple[str, str, str]] = []
    artifact = pack.get("artifact")
    if artifact:
        digests.append(("model artifact", artifact.get("uri", ""),
                        _short(artifact.get("sha256")) if artifact.get("sha256")
                        else artifact.get("note") or "not read"))
    for item in pack.get("data", []):
        digests.append((f"{item.get('role', '')} data", item.get("path", ""),
                        _short(item.get("sha256"))))
    source = pack.get("source") or {}
    digests.append(("use-case source",
                    f"{pack.get('use_case_path', '')}/ ({len(source.get('files', {}))} file(s))",
                    _short(source.get("sha256"))))
    signature = pack.get("signature") or {}
    digests.append(("signature", signature.get("path", ""), _short(signature.get("sha256"))))
    champion = pack.get("champion")
    if champion:
        digests.append((f"champion pack (run {champion.get('run_id', '')})",
                        champion.get("pack", ""), _short(champion.get("pack_sha256"))))
    digests.append(("this evidence pack", path or "not written", _short(pack.get("pack_sha256"))))
    rows = [f"<tr><td {CELL}>{_e(what)}</td><td {CELL}><code>{_e(where)}</code></td>"
            f"<td {CELL}><code>{_e(sha)}</code></td></tr>" for what, where, sha in digests]
    body = (head + verdicts + '<h4 style="margin:4px 0">What was judged (SHA-256)</h4>'
            + _table(["Item", "Where", "SHA-256"], rows, "pack-digests"))
    ids = pack.get("ids") or {}
    if ids:
        body += '<h4 style="margin:4px 0">Ids</h4>' + _dl(sorted(ids.items()))
    body += (f'<p class="pack-path">Run {_e(pack.get("run_id", ""))}, use case '
             f"{_e(pack.get('use_case', ''))}. "
             + (f"<code>python -m mlmonitor_lib evidence verify {_e(path)}</code> checks the "
                "pack item by item.</p>" if path else "The pack was not written.</p>"))
    return section("Evidence pack", body, "evidence-pack")
