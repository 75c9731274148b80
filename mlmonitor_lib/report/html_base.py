"""The report's HTML building blocks: colours, inline styles, escaping, titled sections, tables.

Every value is escaped (ids, metric names and step texts come from services and feature files),
and styles are inline so a fragment looks the same in pytest-html's page, in a forwarded e-mail
and in a unit test, without external CSS or fonts. Class names (``breach``, ``gate-verdict``...)
are stable hooks for tests and custom CSS.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

GREEN, GREEN_BG = "#1e6b30", "#e3f3e6"
RED, RED_BG = "#a4161a", "#fbe3e4"
AMBER_BG = "#fff4d6"
GREY, GREY_BG = "#444", "#eeeeee"
TABLE = 'style="border-collapse:collapse;margin:4px 0 10px 0;font-size:13px"'
CELL = 'style="border:1px solid #ccc;padding:3px 8px;text-align:left"'
NUM = 'style="border:1px solid #ccc;padding:3px 8px;text-align:right"'


def esc(value: Any) -> str:
    """``value`` as text, HTML-escaped (quotes too, so it is safe in an attribute)."""
    return escape(str(value), quote=True)


def measured(value: float | None, digits: int = 4) -> str:
    """A measured number to ``digits`` decimals; "not measured" for none or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not measured"
    return f"{value:.{digits}f}"


def section(title: str, body: str, css_class: str) -> str:
    """A titled block; one per kind of evidence, so a reader can scan the headings."""
    return (
        f'<section class="mlmonitor-evidence {esc(css_class)}" '
        'style="margin:8px 0 14px 0;color:#222">'
        f'<h3 style="margin:6px 0;font-size:15px">{esc(title)}</h3>{body}</section>'
    )


def tabulate(header: Sequence[str], rows: Iterable[str], css_class: str) -> str:
    """A table with a header row; ``rows`` are ready ``<tr>`` elements."""
    head = "".join(f"<th {CELL}>{esc(h)}</th>" for h in header)
    return (
        f'<table class="{esc(css_class)}" {TABLE}><thead><tr style="background:#f4f4f4">{head}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def key_values(pairs: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of names and values."""
    rows = "".join(f"<tr><th {CELL}>{esc(k)}</th><td {CELL}>{esc(v)}</td></tr>" for k, v in pairs)
    return f'<table class="kv" {TABLE}>{rows}</table>'
