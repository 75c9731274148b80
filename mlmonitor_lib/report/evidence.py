"""What one scenario shows in the report: steps record evidence as they go, the report plugin
renders it once the test's phase ends.

Recording is cheap (values are copied, nothing is drawn), so steps can call it unconditionally;
drawing happens in :meth:`Evidence.render` only when a report is being written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from mlmonitor_lib.report import html, html_cloud, html_metrics, html_model, html_pack
from mlmonitor_lib.report.figures import confusion_matrix_png, data_uri, gray_png
from mlmonitor_lib.report.tables import (
    fairness_rows,
    field,
    per_class_accuracy,
    threshold_rows,
)

MAX_SAMPLES = 16


@dataclass(frozen=True)
class Extra:
    """One rendered piece of the report: an HTML fragment, or a PNG (base64) for pytest-html's
    image viewer."""

    kind: Literal["html", "png"]
    content: str
    name: str = ""


def _plain(value: Any) -> Any:
    """A JSON-friendly copy: pydantic models and dataclasses as dicts, so later changes to the
    caller's objects do not alter what was recorded."""
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


class Evidence:
    """Evidence recorded by one scenario, in the order its steps recorded it."""

    def __init__(self) -> None:
        self._items: list[tuple[str, Any]] = []
        self._rendered = 0
        self.verdicts: list[dict[str, Any]] = []
        # evidence packs recorded, each with the step that recorded it (the Cucumber JSON
        # attaches the pack to that step)
        self.packs: list[dict[str, Any]] = []
        # the scenario step running now, set by the report plugin: {"feature" (the feature
        # file as pytest-bdd names it), "scenario" (the test's name), "keyword", "name",
        # "line"}; None outside a step
        self.step: dict[str, Any] | None = None

    def __len__(self) -> int:
        return len(self._items)

    # what steps call -------------------------------------------------------------------------
    def metrics(self, result: Any, title: str = "Quality metrics against thresholds") -> None:
        """An OpenScale ``EvaluationResult`` (or its dict): metrics, thresholds, violations,
        confusion matrix ``{labels, values}`` and, when a fairness monitor was evaluated, its
        per-feature results (shown as a fairness table)."""
        plain = _plain(result)
        self._items.append((
            "metrics",
            {
                "title": title,
                "metrics": dict(field(plain, "metrics") or {}),
                "thresholds": [_plain(t) for t in field(plain, "thresholds") or []],
                "violations": [_plain(v) for v in field(plain, "violations") or []],
                "confusion_matrix": field(plain, "confusion_matrix"),
                "fairness": [_plain(f) for f in field(plain, "fairness") or []],
            },
        ))

    def samples(
        self, inputs: Any, labels: Sequence[Any], predictions: Sequence[Any],
        fields: Sequence[str] | None = None,
    ) -> None:
        """Test examples with true labels and predicted classes; the first
        :data:`MAX_SAMPLES` are shown: images (N×H×W×1, floats in [0, 1]) as pictures, or,
        when ``fields`` names the columns, rows as a table."""
        n = min(len(inputs), len(labels), len(predictions))
        common = {"labels": [_scalar(v) for v in list(labels)[:MAX_SAMPLES]],
                  "predictions": [_scalar(v) for v in list(predictions)[:MAX_SAMPLES]],
                  "total": n}
        if fields is not None:
            rows = [[_scalar(v) for v in row] for row in list(inputs)[:MAX_SAMPLES]]
            self._items.append(("rows", {"fields": list(fields), "rows": rows, **common}))
            return
        self._items.append(("samples", {"images": np.array(inputs[:MAX_SAMPLES], copy=True),
                                        **common}))

    def resources(self, resources: Sequence[Any]) -> None:
        """The ledger's resources (``mlmonitor_lib.state.Resource`` or dicts): service, kind,
        id, created_at, deleted_at."""
        self._items.append(("resources", [_plain(r) for r in resources]))

    def factsheet(self, summary: Any) -> None:
        """An AI Factsheets ``AssetSummary`` (or its dict)."""
        self._items.append(("factsheet", _plain(summary)))

    def verdict(self, passed: bool, lines: Sequence[str]) -> None:
        """The release gate's decision and the reasons a reader needs to trust it."""
        verdict = {"passed": bool(passed), "lines": [str(line) for line in lines]}
        self.verdicts.append(verdict)
        self._items.append(("verdict", verdict))

    def evidence_pack(self, pack: Any, path: str | Path | None = None) -> None:
        """The release's evidence pack (an ``EvidencePack`` or its dict) and where it was
        written: shown as a summary, and attached to the step running now (the gate step) in
        the Cucumber JSON, as the file's bytes when ``path`` exists."""
        content = json.loads(pack.model_dump_json()) if hasattr(pack, "model_dump_json") \
            else json.loads(json.dumps(pack, default=str))
        file = Path(path) if path is not None else None
        text = (file.read_text(encoding="utf-8") if file is not None and file.is_file()
                else json.dumps(content, indent=2))
        record = {"pack": content, "path": None if file is None else str(file),
                  "json": text, "step": None if self.step is None else dict(self.step)}
        self.packs.append(record)
        self._items.append(("evidence_pack", record))

    def training(self, metrics: Mapping[str, Any]) -> None:
        """Metrics the training job reported."""
        self._items.append(("training", {str(k): _scalar(v) for k, v in metrics.items()}))

    # what the report plugin calls ----------------------------------------------------------
    def render_new(self) -> list[Extra]:
        """Render what was recorded since the last call (a scenario's teardown can add the
        resources its cleanup deleted after the call phase was already reported)."""
        new = self._items[self._rendered:]
        self._rendered = len(self._items)
        extras: list[Extra] = []
        for kind, data in new:
            extras += getattr(self, f"_render_{kind}")(data)
        return extras

    def _render_metrics(self, data: dict[str, Any]) -> list[Extra]:
        out = []
        fairness = data.get("fairness") or []
        if data["metrics"] or data["thresholds"] or not fairness:  # not for fairness alone
            quality = [v for v in data["violations"] if field(v, "feature") is None]
            rows = threshold_rows(data["metrics"], data["thresholds"], quality)
            out.append(Extra("html", html_metrics.metrics_table(rows, data["title"])))
        if fairness:
            out.append(Extra("html", html_metrics.fairness_table(fairness_rows(fairness))))
        matrix = data["confusion_matrix"]
        if matrix and field(matrix, "labels") and field(matrix, "values"):
            labels, values = field(matrix, "labels"), field(matrix, "values")
            png = confusion_matrix_png(labels, values)
            out.append(Extra("html", html_model.confusion_section(
                data_uri(png), per_class_accuracy(labels, values))))
            # No pytest-html image extra as well: its media viewer swaps the first <img> of the
            # extras (a sample digit) for its own image.
        return out

    def _render_samples(self, data: dict[str, Any]) -> list[Extra]:
        shown = [
            (data_uri(gray_png(image)), label, prediction)
            for image, label, prediction in zip(
                data["images"], data["labels"], data["predictions"], strict=False
            )
        ]
        return [Extra("html", html_model.samples_grid(shown, data["total"]))]

    def _render_rows(self, data: dict[str, Any]) -> list[Extra]:
        return [Extra("html", html_model.samples_table(data["fields"], data["rows"],
                                                       data["labels"], data["predictions"],
                                                       data["total"]))]

    def _render_resources(self, data: list[Any]) -> list[Extra]:
        return [Extra("html", html_cloud.resources_table(data))]

    def _render_factsheet(self, data: Any) -> list[Extra]:
        return [Extra("html", html_cloud.factsheet_section(data))]

    def _render_verdict(self, data: dict[str, Any]) -> list[Extra]:
        return [Extra("html", html.verdict_banner(data["passed"], data["lines"]))]

    def _render_evidence_pack(self, data: dict[str, Any]) -> list[Extra]:
        return [Extra("html", html_pack.evidence_pack_section(data["pack"], data["path"]))]

    def _render_training(self, data: dict[str, Any]) -> list[Extra]:
        return [Extra("html", html_model.training_table(data))]


def _scalar(value: Any) -> Any:
    """numpy scalars as Python ones (they print as ``np.int64(7)`` otherwise)."""
    return value.item() if isinstance(value, np.generic) else value
