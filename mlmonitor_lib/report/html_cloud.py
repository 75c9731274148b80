"""HTML of what the run left in the cloud: its resources, and its AI Factsheets model asset.

The resources are every one the run created, with whether it was deleted; the model asset is
what AI Factsheets records about the model for governance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mlmonitor_lib.report.html_base import AMBER_BG, CELL, esc, key_values, section, tabulate
from mlmonitor_lib.report.tables import field


def _when(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    return str(value)


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
            f"<td {CELL}>{esc(field(r, 'service', ''))}</td>"
            f"<td {CELL}>{esc(field(r, 'kind', ''))}</td>"
            f"<td {CELL}><code>{esc(field(r, 'id', ''))}</code></td>"
            f"<td {CELL}>{esc(_when(field(r, 'created_at')))}</td>"
            f"<td {CELL}>{esc(_when(deleted)) if deleted is not None else 'still exists'}</td></tr>"
        )
    note = (
        f"<p>{len(resources)} created, {len(resources) - alive} deleted, "
        f'<span class="resources-alive">{alive} still exist</span>.</p>'
    )
    table = tabulate(["Service", "Kind", "Id", "Created", "Deleted"], rows, "resources-table")
    return section("Cloud resources created and deleted", note + table, "resources")


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
    body = key_values(pairs)
    deployments = field(summary, "deployments") or []
    if deployments:
        keys = sorted({k for d in deployments for k in d})
        rows = [
            "<tr>" + "".join(f"<td {CELL}>{esc(d.get(k, ''))}</td>" for k in keys) + "</tr>"
            for d in deployments
        ]
        body += "<h4 style=\"margin:4px 0\">Deployments</h4>" + tabulate(keys, rows, "deployments")
    for title, mapping in (
        ("Hyperparameters", field(summary, "hyperparameters") or {}),
        ("Training metrics", field(summary, "metrics") or {}),
    ):
        if mapping:
            body += (f'<h4 style="margin:4px 0">{esc(title)}</h4>'
                     + key_values(sorted(mapping.items())))
    return section("AI Factsheets model asset", body, "factsheet")
