"""Evidence packs as attachments of the Cucumber JSON pytest-bdd writes (``--cucumberjson``), so
CI dashboards that read Cucumber JSON show the pack on the step that put the release to the gate.

pytest-bdd writes one element per scenario run, identified by the feature file (``uri``), the
test's name (``id``) and each step's line. A pack recorded during a step carries those three
(:attr:`mlmonitor_lib.report.evidence.Evidence.step`); :func:`attach_packs` adds it to that
step as a Cucumber embedding: ``{"mime_type": "application/json", "data": <base64 of the pack>,
"name": "evidence pack <run>"}``.

Under pytest-xdist, pytest-bdd 9 writes an empty Cucumber JSON (its scenario records stay in
the workers); the packs still reach the writing process and the HTML report shows them, and
:func:`attach_packs` says why none was attached.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MIME_TYPE = "application/json"


def embedding(record: Mapping[str, Any]) -> dict[str, str]:
    """The Cucumber embedding of one recorded pack (``Evidence.packs`` entry)."""
    run = (record.get("pack") or {}).get("run_id", "")
    return {"mime_type": MIME_TYPE,
            "data": base64.b64encode(str(record["json"]).encode("utf-8")).decode("ascii"),
            "name": f"evidence pack {run}".strip()}


def _step_of(features: list[dict[str, Any]], where: Mapping[str, Any]) -> dict[str, Any] | None:
    """The step the pack was recorded at: last run of that scenario, same line and text."""
    for feature in features:
        if feature.get("uri") != where.get("feature"):
            continue
        for element in reversed(feature.get("elements", [])):
            if element.get("id") != where.get("scenario"):
                continue
            for step in element.get("steps", []):
                if step.get("line") == where.get("line") and step.get("name") == where.get("name"):
                    return step
    return None


def attach_packs(path: Path, records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Attach each recorded pack to its step in the Cucumber JSON file at ``path`` (rewritten
    in place); return one line per pack that could not be attached, saying why."""
    records = list(records)
    if not records or not path.is_file():
        return []
    features = json.loads(path.read_text(encoding="utf-8"))
    if not features:
        return [f"{len(records)} evidence pack(s) not attached: the Cucumber JSON holds no "
                "scenario (pytest-bdd writes none from xdist workers: run without -n for it)"]
    problems = []
    for record in records:
        run = (record.get("pack") or {}).get("run_id", "?")
        where = record.get("step")
        if not where:
            problems.append(f"evidence pack {run} not attached: recorded outside a scenario step")
            continue
        step = _step_of(features, where)
        if step is None:
            problems.append(f"evidence pack {run} not attached: no step {where.get('name')!r} "
                            f"(line {where.get('line')}) of {where.get('scenario')} in "
                            f"{where.get('feature')} in the Cucumber JSON")
            continue
        step.setdefault("embeddings", []).append(embedding(record))
    path.write_text(json.dumps(features), encoding="utf-8")
    return problems
