"""HTML of what the model does: confusion matrix, sample predictions, training metrics.

The confusion matrix comes with per-class accuracy (the weakest class highlighted); sample
predictions are tabular rows or images, wrong ones marked red.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlmonitor_lib.report.html_base import (
    AMBER_BG,
    CELL,
    GREEN,
    NUM,
    RED,
    esc,
    measured,
    section,
    tabulate,
)
from mlmonitor_lib.report.tables import ClassAccuracy


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
            f'<tr class="{"weakest" if weakest else ""}"{style}><td {CELL}>{esc(c.label)}</td>'
            f"<td {NUM}>{c.correct}</td><td {NUM}>{c.total}</td><td {NUM}>{esc(accuracy)}</td></tr>"
        )
    table = tabulate(["Class", "Correct", "Images", "Accuracy"], rows, "per-class-accuracy")
    image = (
        f'<img class="confusion-matrix" alt="Confusion matrix" src="{esc(png_uri)}" '
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
        cells = "".join(f"<td {CELL}>{esc(v)}</td>" for v in row)
        body.append(f'<tr class="sample {"correct" if right else "wrong"}">{cells}'
                    f'<td {CELL}><b style="color:{colour}">{mark} {esc(prediction)}</b></td>'
                    f"<td {CELL}>{esc(label)}</td></tr>")
    wrong = sum(str(label) != str(p) for label, p in zip(labels, predictions, strict=False))
    shown = f"{len(rows)} of {total}" if total > len(rows) else f"{len(rows)}"
    note = f"<p>{shown} examples shown; {wrong} misclassified among them.</p>"
    table = tabulate([*fields, "predicted", "true"], body, "samples")
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
            f'<img alt="test image labelled {esc(label)}" src="{esc(uri)}" width="84" height="84" '
            'style="image-rendering:pixelated;display:block;margin:auto"/>'
            f'<figcaption style="font-size:12px;color:{colour}">{mark} predicted '
            f"<b>{esc(prediction)}</b><br/>true <b>{esc(label)}</b></figcaption></figure>"
        )
    wrong = sum(str(label) != str(pred) for _, label, pred in samples)
    shown = f"{len(samples)} of {total}" if total > len(samples) else f"{len(samples)}"
    note = f"<p>{shown} images shown; {wrong} misclassified among them.</p>"
    grid = (
        '<div class="samples" style="display:flex;flex-wrap:wrap;gap:8px">'
        + "".join(cells) + "</div>"
    )
    return section("Sample predictions", note + grid, "samples")


def training_table(metrics: Mapping[str, Any]) -> str:
    """What training reported (loss, accuracy...), as recorded with the job."""
    rows = [
        f"<tr><td {CELL}>{esc(k)}</td><td {NUM}>"
        f"{esc(measured(v) if isinstance(v, float) else v)}</td></tr>"
        for k, v in sorted(metrics.items())
    ]
    table = tabulate(["Metric", "Value"], rows, "training-table")
    return section("Training metrics", table, "training")
