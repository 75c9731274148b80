"""Shapes of what the emulated OpenScale stores and answers, kept apart from its state.

Payload records arrive as ``{request, response, scoring_id, scoring_timestamp, response_time}``
and are exploded into one row per scoring, as the service does; feedback arrives as
``[{fields, values}]`` or as plain dicts (shapes and sources: :mod:`.record_shapes`). Each row
is stored with its values as sent, plus the two keys a quality run needs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mlmonitor_lib.emulators.openscale import fairness, record_shapes
from mlmonitor_lib.emulators.openscale.exceptions import BadRequest
from mlmonitor_lib.emulators.openscale.fairness import FeatureFairness
from mlmonitor_lib.emulators.openscale.quality import QualityResult
from mlmonitor_lib.emulators.openscale.records import Row, scalar_key

ORIGINAL_PREDICTION = "_original_prediction"
Secret = Callable[[dict[str, Any] | None], dict[str, str] | None]


# subscriptions and data sets ---------------------------------------------------------------
def scrub_subscription(body: dict[str, Any], secret: Secret) -> dict[str, Any]:
    """The subscription entity to keep: secrets (scoring credentials, training data
    reference) replaced by ``{secret_id}``."""
    entity = json.loads(json.dumps(body))
    endpoint = entity.get("deployment", {}).get("scoring_endpoint") or {}
    if endpoint.get("credentials"):
        endpoint["credentials"] = secret(endpoint["credentials"])
    properties = entity.setdefault("asset_properties", {})
    if properties.get("training_data_reference"):
        properties["training_data_reference"] = secret(properties["training_data_reference"])
    return entity


def _field(name: str, kind: Any, nullable: bool = True, role: str | None = None) -> dict[str, Any]:
    metadata = {"modeling_role": role} if role else {}
    return {"name": name, "type": kind, "nullable": nullable, "metadata": metadata}


def _schema(entity: dict[str, Any], data_set_type: str) -> list[dict[str, Any]]:
    props = entity.get("asset_properties") or {}
    inputs = (props.get("input_data_schema") or {}).get("fields") or [
        _field("scoring_input", "binary", role="feature")
    ]
    prediction = props.get("prediction_field", "prediction")
    probabilities = props.get("probability_fields") or ["probability"]
    array = {"type": "array", "elementType": "double", "containsNull": True}
    if data_set_type == "feedback":
        return [
            *inputs,
            _field(props.get("label_column", "target"), "integer", role="target"),
            _field(ORIGINAL_PREDICTION, "integer"),
            *[_field(f"_original_{p}", array) for p in probabilities],
        ]
    return [
        _field("scoring_id", "string", False),
        _field("scoring_timestamp", "timestamp", False),
        _field("deployment_id", "string", False),
        _field("asset_revision", "string"),
        *inputs,
        _field(prediction, "integer", role="prediction"),
        *[_field(p, array, role="probability") for p in probabilities],
        _field("prediction_probability", "double"),
    ]


def initial_output_schema() -> dict[str, Any]:
    """A new subscription's ``asset_properties.output_data_schema``: the four record columns,
    as ``subscriptions.get`` shows one before any payload in IBM's SageMaker notebook."""
    return {"type": "struct", "fields": [
        {"name": "scoring_id", "type": "string", "nullable": False,
         "metadata": {"modeling_role": "record-id", "primary_key": True}},
        {"name": "scoring_timestamp", "type": "timestamp", "nullable": False,
         "metadata": {"modeling_role": "record-timestamp"}},
        {"name": "deployment_id", "type": "string", "nullable": False, "metadata": {}},
        {"name": "asset_revision", "type": "string", "nullable": True, "metadata": {}},
    ]}


def _spark_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, list):
        return {"type": "array", "elementType": "double", "containsNull": True}
    return "string"


def learn_output_schema(entity: dict[str, Any], row: dict[str, Any]) -> None:
    """Add the prediction and probability columns to the subscription's output schema from
    the first payload row that carries them: OpenScale generates the output schema of a
    SageMaker subscription from its payload (the notebook subscribes with
    ``output_data_schema=None``). The column types are read from the values."""
    props = entity.setdefault("asset_properties", {})
    schema = props.setdefault("output_data_schema", initial_output_schema())
    known = {f["name"] for f in schema["fields"]}
    roles = {props.get("prediction_field", "prediction"): "prediction",
             **{p: "probability" for p in props.get("probability_fields") or []}}
    for name, role in roles.items():
        if name in row and name not in known and row[name] is not None:
            schema["fields"].append({"name": name, "type": _spark_type(row[name]),
                                     "nullable": True, "metadata": {"modeling_role": role}})


def data_set_entity(subscription: dict[str, Any], data_set_type: str) -> dict[str, Any]:
    """The payload logging or feedback data set created with a subscription."""
    sub_id, entity = subscription["metadata"]["id"], subscription["entity"]
    return {
        "data_mart_id": entity["data_mart_id"],
        "name": f"{data_set_type} of subscription {sub_id}",
        "type": data_set_type,
        "target": {"target_id": sub_id, "target_type": "subscription"},
        "data_schema": {"type": "struct", "fields": _schema(entity, data_set_type)},
        "managed_by": "system",
    }


# records -----------------------------------------------------------------------------------
def _probability(row: dict[str, Any], fields: list[str]) -> None:
    vector = next((row[f] for f in fields if isinstance(row.get(f), list)), None)
    if vector and all(isinstance(x, int | float) for x in vector):
        row.setdefault("prediction_probability", max(vector))


def rows(body: Any, data_set_type: str, entity: dict[str, Any]) -> list[Row]:
    """Validate a records request and turn it into rows for the store (shapes, their
    sources and the checks, switchable in ``record_shapes.RULES``: :mod:`.record_shapes`)."""
    props = entity.get("asset_properties") or {}
    prediction = props.get("prediction_field", "prediction")
    label = props.get("label_column", "target")
    probabilities = props.get("probability_fields") or ["probability"]
    prefix, created = uuid.uuid4().hex[:24], datetime.now().astimezone().isoformat()
    stored: list[Row] = []
    for i, row in enumerate(record_shapes.record_rows(body, data_set_type, entity)):
        if data_set_type == "feedback":
            keys = (
                scalar_key(row.get(label)),
                scalar_key(row.get(ORIGINAL_PREDICTION, row.get(prediction))),
            )
        else:
            _probability(row, probabilities)
            keys = (None, scalar_key(row.get(prediction)))
        record_id = str(row.get("scoring_id") or f"{prefix}{i:08x}")
        stored.append((record_id, created, *keys, json.dumps(row)))
    return stored


# runs and measurements -----------------------------------------------------------------------
def run_error(code: str, message: str) -> dict[str, Any]:
    """Status fields of a failed run, in the shape the SDK prints ("Reason: ...")."""
    failure = {"trace": uuid.uuid4().hex, "errors": [{"code": code, "message": message}]}
    return {"state": "error", "message": message, "failure": failure}


def not_enough_feedback(have: int, minimum: int, data_set_id: str) -> str:
    return (
        f"The quality evaluation needs at least {minimum} feedback records, but feedback data "
        f"set '{data_set_id}' holds {have}: store {minimum - have} more feedback records, "
        "then run the evaluation again."
    )


def run_message(records: int, breaches: list[dict[str, Any]]) -> str:
    if not breaches:
        return f"Evaluated {records} feedback records; no threshold violated."
    lines = [
        f"{b['metric_id']} not measured" if b["value"] is None else
        f"{b['metric_id']} {b['value']:.4f} {'<' if b['type'] == 'lower_limit' else '>'} "
        f"{b['type'].replace('_', ' ')} {b['limit']}"
        for b in breaches
    ]
    return f"Evaluated {records} feedback records; {len(breaches)} violated: " + "; ".join(lines)


def _limits(thresholds: list[dict[str, Any]], metric_id: str) -> dict[str, float]:
    return {
        t["type"]: t["value"]
        for t in thresholds
        if t.get("metric_id") == metric_id and t.get("value") is not None
    }


def measurement(
    instance: dict[str, Any],
    run_id: str,
    result: QualityResult,
    breaches: list[dict[str, Any]],
    stamp: str,
) -> dict[str, Any]:
    """The measurement a quality run records: metrics with their limits, the confusion
    matrix as a source, and one issue per breached threshold."""
    entity, instance_id = instance["entity"], instance["metadata"]["id"]
    metrics = [  # a metric without a value (log loss without probabilities) is not measured
        {"id": m, "value": v, **_limits(entity["thresholds"], m)}
        for m, v in result.metrics.items() if v is not None
    ]
    mid = str(uuid.uuid4())
    return {
        "metadata": {
            "id": mid,
            "url": f"/v2/monitor_instances/{instance_id}/measurements/{mid}",
            "created_at": stamp,
        },
        "entity": {
            "timestamp": stamp,
            "run_id": run_id,
            "issue_count": len(breaches),
            "values": [{"metrics": metrics, "tags": []}],
            "target": entity["target"],
            "monitor_instance_id": instance_id,
            "monitor_definition_id": entity["monitor_definition_id"],
            "sources": [
                {
                    "id": "confusion_matrix",
                    "type": "confusion_matrix",
                    "data": {"labels": result.labels, "values": result.confusion_matrix},
                },
                {"id": "records", "type": "record_count", "data": {"count": result.records}},
            ],
        },
    }


def fairness_measurement(instance: dict[str, Any], run_id: str,
                         results: Sequence[FeatureFairness], records: int,
                         breaches: list[dict[str, Any]], stamp: str) -> dict[str, Any]:
    """The measurement a fairness run records: one value per feature (``fairness_value`` with
    its limits, tagged by feature, metric type and monitored group), the group counts as the
    ``scoring_payload_data_distribution`` source and the payload bias summary."""
    entity, instance_id = instance["entity"], instance["metadata"]["id"]
    majority = {f["feature"]: ",".join(fairness.group_label(g) for g in f["majority"])
                for f in entity["parameters"]["features"]}
    distribution = [  # the recorded training_data_distributions shape, over the payload
        [r.feature, group, fav, total - fav, role]
        for r in results
        for group, role, (fav, total) in [(majority.get(r.feature, ""), "reference",
                                           r.reference),
                                          *((g, "monitored", c) for g, c in r.monitored.items())]
    ]
    mid = str(uuid.uuid4())
    summary = fairness.summary(results, records)
    return {
        "metadata": {"id": mid, "url": f"/v2/monitor_instances/{instance_id}/measurements/{mid}",
                     "created_at": stamp},
        "entity": {
            "timestamp": stamp, "run_id": run_id, "issue_count": len(breaches),
            "values": fairness.measured_values(results, entity["thresholds"]),
            "target": entity["target"], "monitor_instance_id": instance_id,
            "monitor_definition_id": entity["monitor_definition_id"],
            "sources": [
                {"id": "scoring_payload_data_distribution", "type": "data_distribution",
                 "data": {"fields": ["feature", "feature_value", "fav_count", "unfav_count",
                                     "group"], "values": distribution}},
                {"id": "bias_detection_summary", "type": "bias_detection_summary",
                 "data": summary},
            ],
        },
    }


def parse_time(value: str | None) -> datetime | None:
    """A query-string time: ISO 8601 or ``str(datetime)`` (``2026-01-01 10:00:00+00:00``),
    also when a literal ``+`` arrived decoded as a space."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 6 and text[-6] == " " and text[-3] == ":":
        text = text[:-6] + "+" + text[-5:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"'{value}' is not a date-time (use ISO 8601).") from None
    return parsed if parsed.tzinfo else parsed.astimezone()


def in_window(doc: dict[str, Any], start: datetime | None, end: datetime | None) -> bool:
    stamp = parse_time(doc["entity"]["timestamp"])
    return stamp is not None and (start is None or stamp >= start) and (end is None or stamp <= end)


AGGREGATIONS = {
    "last": lambda values: values[-1:],
    "first": lambda values: values[:1],
    "count": lambda values: [len(values)],
    "sum": lambda values: [sum(values)],
    "avg": lambda values: [sum(values) / len(values)],
    "min": lambda values: [min(values)],
    "max": lambda values: [max(values)],
}


def parse_aggregations(agg: str | None) -> list[tuple[str, str]]:
    """``agg`` as the SDK documents it ("a comma delimited function list constructed from
    metric name and function, e.g. ``agg=metric_name:count,:last``"): (metric or ``""`` for
    every metric, function) pairs; ``last`` when absent (``get_metrics``' default)."""
    pairs = []
    for part in (agg or "last").split(","):
        metric, _, function = part.strip().rpartition(":")
        if function not in AGGREGATIONS:
            raise BadRequest(f"Aggregation '{function}' in agg='{agg}' is not one of "
                             f"{', '.join(AGGREGATIONS)}.")
        pairs.append((metric, function))
    return pairs


def metric_groups(measurements: list[dict[str, Any]], agg: str | None = None
                  ) -> list[dict[str, Any]]:
    """Each metric's values over the measurements, aggregated as ``agg`` asks (the latest
    value by default), with its limits."""
    pairs = parse_aggregations(agg)
    series: dict[str, dict[str, Any]] = {}
    for m in sorted(measurements, key=lambda m: m["entity"]["timestamp"]):
        for value in m["entity"]["values"]:
            for metric in value["metrics"]:
                entry = series.setdefault(metric["id"], {"values": [], "ids": [], "limits": {}})
                entry["values"].append(metric["value"])
                entry["ids"].append(m["metadata"]["id"])
                entry["limits"] = {k: metric[k] for k in ("lower_limit", "upper_limit")
                                   if k in metric}
    metrics = []
    for metric_id, entry in series.items():
        item: dict[str, Any] = {"id": metric_id, **entry["limits"]}
        for wanted, function in pairs:
            if wanted in ("", metric_id):
                ids = entry["ids"][-1:] if function == "last" else (
                    entry["ids"][:1] if function == "first" else entry["ids"])
                item[function] = {"value": AGGREGATIONS[function](entry["values"]),
                                  "measurement_id": ids}
        metrics.append(item)
    return [{"tags": [], "metrics": metrics}] if metrics else []
