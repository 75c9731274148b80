"""HTML tables of what was measured against thresholds: quality metrics and disparate impact.

Disparate impact is shown per monitored group, next to its reference group. A breached row is
red and says so in words (colour alone does not survive printing or colour blindness).
"""

from __future__ import annotations

from collections.abc import Sequence

from mlmonitor_lib.report.html_base import (
    CELL,
    GREEN,
    NUM,
    RED,
    RED_BG,
    esc,
    measured,
    section,
    tabulate,
)
from mlmonitor_lib.report.tables import FairnessRow, ThresholdRow


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
            limit = f"{word} {measured(row.limit)}"
            if row.breached:
                status = "\u2718 BREACH"
                style = f' style="background:{RED_BG};color:{RED};font-weight:bold"'
                cls = "breach"
            else:
                status, style, cls = "\u2714 within", f' style="color:{GREEN}"', "within"
        body.append(
            f'<tr class="{cls}"{style}><td {CELL}>{esc(row.metric)}</td>'
            f"<td {NUM}>{esc(measured(row.measured))}</td><td {CELL}>{esc(limit)}</td>"
            f"<td {CELL}>{esc(status)}</td></tr>"
        )
    breaches = sum(r.breached for r in rows)
    note = (
        f'<p class="breach-count" style="color:{RED};font-weight:bold">{breaches} threshold(s) '
        "breached</p>" if breaches else
        f'<p class="breach-count" style="color:{GREEN}">Every threshold is met</p>'
    )
    table = tabulate(["Metric", "Measured", "Threshold", "Status"], body, "metrics-table")
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
            f'<tr class="{cls}"{style}><td {CELL}>{esc(row.feature)}</td>'
            f"<td {CELL}>{esc(row.group)}</td><td {CELL}>{esc(row.role)}</td>"
            f"<td {NUM}>{esc(records)}</td><td {NUM}>{esc(_rate(row.favourable_rate))}</td>"
            f"<td {NUM}>{esc(impact)}</td><td {CELL}>{esc(limit)}</td>"
            f"<td {CELL}>{esc(status)}</td></tr>"
        )
    breached = sorted({r.feature for r in rows if r.breached})
    note = (
        f'<p class="breach-count" style="color:{RED};font-weight:bold">{len(breached)} '
        f"feature(s) breach their fairness threshold: {esc(', '.join(breached))}</p>"
        if breached else
        f'<p class="breach-count" style="color:{GREEN}">Every fairness threshold is met</p>'
    )
    table = tabulate(["Feature", "Group", "Role", "Records", "Favourable rate",
                      "Disparate impact", "Threshold", "Status"], body, "fairness-table")
    return section(title, table + note, "fairness")
