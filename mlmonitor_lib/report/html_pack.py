"""HTML of an evidence pack's summary: the decision, its verdicts, and what was judged.

What was judged is listed with its SHA-256 (shortened; the pack holds them whole), followed by
the command that verifies the pack.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlmonitor_lib.report.html_base import (
    AMBER_BG,
    CELL,
    GREEN,
    GREEN_BG,
    GREY,
    GREY_BG,
    NUM,
    RED,
    RED_BG,
    esc,
    key_values,
    section,
    tabulate,
)

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
        f'<tr class="verdict-{esc(verdict)}"><td {CELL}>{esc(v.get("name", ""))}</td>'
        f"<td {NUM}>{esc(_num(v.get('estimate')) or 'n/a')}</td><td {CELL}>{esc(interval)}</td>"
        f"<td {CELL}>{esc(f'{limit} {threshold}' if threshold else limit)}</td>"
        f'<td {CELL} style="background:{background};color:{colour};font-weight:bold">'
        f"{esc(word)}</td><td {NUM}>{esc(v.get('records', ''))}</td>"
        f"<td {NUM}>{esc(decide)}</td></tr>"
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
        f'font-weight:bold">Release gate decision: {esc(headline)}</div>'
    )
    verdicts = tabulate(["Measure", "Estimate", "Interval", "Threshold value", "Verdict",
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
    rows = [f"<tr><td {CELL}>{esc(what)}</td><td {CELL}><code>{esc(where)}</code></td>"
            f"<td {CELL}><code>{esc(sha)}</code></td></tr>" for what, where, sha in digests]
    body = (head + verdicts + '<h4 style="margin:4px 0">What was judged (SHA-256)</h4>'
            + tabulate(["Item", "Where", "SHA-256"], rows, "pack-digests"))
    ids = pack.get("ids") or {}
    if ids:
        body += '<h4 style="margin:4px 0">Ids</h4>' + key_values(sorted(ids.items()))
    body += (f'<p class="pack-path">Run {esc(pack.get("run_id", ""))}, use case '
             f"{esc(pack.get('use_case', ''))}. "
             + (f"<code>python -m mlmonitor_lib evidence verify {esc(path)}</code> checks the "
                "pack item by item.</p>" if path else "The pack was not written.</p>"))
    return section("Evidence pack", body, "evidence-pack")
