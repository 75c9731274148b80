"""The records OpenScale accepts on ``POST /v2/data_sets/<id>/records``, read into table rows.

Every shape accepted here names the public client that sends it; everything else is refused
with a 400 naming the record, the field and the problem (``records[0].request.values[2] has 3
values for 5 fields``), never a crash. Values are stored as sent: an image stays the nested
array it was, a probability vector stays a vector; nothing is truncated or converted.

Sources (read at their default branches):

* IBM/watson-openscale-samples, ``IBM Cloud/AWS Sagemaker/notebooks/AI OpenScale and SageMaker
  ML Engine.ipynb`` ("the SageMaker notebook"): cell 59 sends a payload record whose request is
  ``{"fields": feature_columns, "values": [0.0, 1.0, ...]}`` (a FLAT list: one scoring) and whose
  response is ``{"fields": ["score", "predicted_label"], "values": [[0.199, 0]]}``; the recorded
  count afterwards is 1. Cell 74 sends feedback as ``[{"fields": [...], "values": [[...], ...]}]``
  (196 rows counted).
* IBM/mlmonitor ``mlmonitor/src/wos/run_payload_logging.py``: structured payload
  ``{"fields": [...], "values": [[...], ...]}`` with response ``{"fields": [prediction,
  probability], "values": [[p, [..]], ...]}``; image payload ``{"values": samples.tolist()}``
  (no fields: each element is one whole image, n x 28 x 28 x 1) with the endpoint's
  ``predictions[0]`` as response; it then expects the count to grow by n.
  ``mlmonitor/src/wos/run_feedback_logging.py``: feedback ``{"fields": [...features, target],
  "values": rows}`` without predictions, ``+ ["_original_prediction", "_original_probability"]``
  with them; images as ``{"fields": ["scoring_input", "target"(, "_original_prediction",
  "_original_probability")], "values": [[image, label(, prediction, probabilities)], ...]}``.
* IBM/watson-openscale-samples, ``IBM Cloud/WML/notebooks/unstructured_image/keras/Watson
  OpenScale Explanation for Image Multiclass.ipynb`` cell 72: feedback as plain objects
  ``[{"scoring_input": image, "target": 3}, ...]``; the text notebook's cell 67: plain objects read
  from a CSV. The SDK's ``data_sets.store_records`` docstring: plain objects too.
* The SDK's ``PayloadRecord.to_json`` (ibm-watson-openscale 3.1): ``request``, ``response``,
  ``scoring_id``, ``scoring_timestamp``, ``response_time`` (int), ``asset_revision``,
  ``multiple_records``, ``user_id``. IBM's payload logging page (docs SSQNUZ 3.5/4.0,
  wos-payload-logging): a request may carry ``meta: {fields, values}``, one meta row per scoring.

Not public: which malformed records the real service refuses, and with which code. The
emulator refuses what it cannot store faithfully, with OpenScale's error shape and its generic
bad-request code; the two checks no source settles either way are switches in
:class:`RecordRules`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlmonitor_lib.emulators.openscale.exceptions import BadRequest

SCORING_INPUT = "scoring_input"  # the field OpenScale names an unstructured model's input
PAYLOAD_KEYS = ("request", "response")


@dataclass(frozen=True)
class RecordRules:
    """Checks no public source confirms the real service makes (the emulator is stricter)."""

    # a row of a {fields, values} table must hold exactly one value per field
    row_length_must_match_fields: bool = True
    # a payload record's request and response must describe the same number of scorings
    request_and_response_rows_must_match: bool = True


RULES = RecordRules()  # replace (record_shapes.RULES = RecordRules(...)) to relax a check


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def _fields(part: dict[str, Any], where: str) -> list[str] | None:
    fields = part.get("fields")
    if fields is None:
        return None
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise BadRequest(f"{where}.fields must be a non-empty array of field names (strings), "
                         f"not {_kind(fields)}.")
    repeated = sorted({f for f in fields if fields.count(f) > 1})
    if repeated:
        raise BadRequest(f"{where}.fields names {', '.join(repeated)} more than once.")
    return fields


def table(part: Any, where: str, default_name: str, rules: RecordRules,
          image: bool = False) -> list[dict[str, Any]]:
    """The rows of one ``{fields, values}`` table, values kept as sent.

    * ``fields`` + an array of rows: one row per element (every sample and client).
    * ``fields`` + a flat array (no element is itself an array... or not all are): ONE row, the
      SageMaker notebook's request (cell 59).
    * no ``fields``: each element is one scoring's whole input under ``default_name`` (an
      image, IBM/mlmonitor's image payload); with ``image`` each element must be an array.
    """
    if not isinstance(part, dict):
        raise BadRequest(f"{where} must be an object with fields and values, not {_kind(part)}.")
    if "values" not in part:
        raise BadRequest(f"{where} has no values: send {{\"fields\": [...], \"values\": "
                         "[[...], ...]}.")
    values = part["values"]
    if not isinstance(values, list):
        raise BadRequest(f"{where}.values must be an array, not {_kind(values)}.")
    if not values:
        raise BadRequest(f"{where}.values is empty: send at least one row.")
    fields = _fields(part, where)
    if fields is None:
        if image:
            for i, value in enumerate(values):
                if not isinstance(value, list):
                    raise BadRequest(f"{where}.values[{i}] must be an image (a nested array), "
                                     f"not {_kind(value)}.")
        return [{default_name: value} for value in values]
    if not all(isinstance(v, list) for v in values):  # a flat array: one row
        if len(values) != len(fields):
            raise BadRequest(
                f"{where}.values is a single row (not an array of rows) of {len(values)} "
                f"values for {len(fields)} fields: send one value per field, or an array of rows."
            )
        return [dict(zip(fields, values, strict=True))]
    rows = []
    for i, row in enumerate(values):
        if len(row) != len(fields) and rules.row_length_must_match_fields:
            raise BadRequest(f"{where}.values[{i}] has {len(row)} values for {len(fields)} "
                             f"fields ({_names(fields)}).")
        rows.append(dict(zip(fields, row, strict=False)))
    return rows


def _names(fields: list[str]) -> str:
    shown = ", ".join(fields[:6])
    return shown + (f", ... ({len(fields)} in all)" if len(fields) > 6 else "")


def _side(part: Any, where: str, default_name: str, rules: RecordRules,
          image: bool = False) -> list[dict[str, Any]]:
    """One side of a scoring: a ``{fields, values}`` table or SageMaker's ``instances`` /
    ``predictions`` arrays (a JSON endpoint's own request and response)."""
    if isinstance(part, dict) and "values" not in part:
        for key in ("instances", "predictions"):
            if key in part:
                items = part[key]
                if not isinstance(items, list) or not items:
                    raise BadRequest(f"{where}.{key} must be a non-empty array, not "
                                     f"{_kind(items)}.")
                return [v if isinstance(v, dict) else {default_name: v} for v in items]
    return table(part, where, default_name, rules, image)


def _check_metadata(record: dict[str, Any], where: str) -> None:
    for key in ("scoring_id", "scoring_timestamp", "asset_revision", "user_id"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise BadRequest(f"{where}.{key} must be a string, not {_kind(record[key])}.")
    elapsed = record.get("response_time")
    if elapsed is not None and (
        isinstance(elapsed, bool) or not isinstance(elapsed, int | float)
        or not math.isfinite(elapsed) or elapsed < 0
    ):
        raise BadRequest(f"{where}.response_time must be a number of milliseconds (>= 0), "
                         f"not {elapsed!r}.")


def payload_rows(record: dict[str, Any], where: str, entity: dict[str, Any],
                 rules: RecordRules) -> Iterator[dict[str, Any]]:
    """One payload record: a row per scoring, its input and output values as sent."""
    missing = [k for k in PAYLOAD_KEYS if record.get(k) is None]
    if missing:
        raise BadRequest(f"{where} has no {missing[0]}: a payload record needs both request "
                         "and response.")
    _check_metadata(record, where)
    asset = entity.get("asset") or {}
    image = asset.get("input_data_type") == "unstructured_image"
    inputs = _side(record["request"], f"{where}.request", SCORING_INPUT, rules, image)
    prediction = (entity.get("asset_properties") or {}).get("prediction_field", "prediction")
    outputs = _side(record["response"], f"{where}.response", prediction, rules)
    if len(inputs) != len(outputs) and rules.request_and_response_rows_must_match:
        raise BadRequest(f"{where}.request holds {len(inputs)} scorings but {where}.response "
                         f"holds {len(outputs)}: send one response row per request row.")
    meta = record["request"].get("meta") if isinstance(record["request"], dict) else None
    metas = table(meta, f"{where}.request.meta", "meta", rules) if meta is not None else []
    if metas and len(metas) != len(inputs):
        raise BadRequest(f"{where}.request.meta holds {len(metas)} rows for {len(inputs)} "
                         "scorings.")
    count = max(len(inputs), len(outputs))
    scoring_id = record.get("scoring_id") or uuid.uuid4().hex
    for i in range(count):
        yield {
            "scoring_id": scoring_id if count == 1 else f"{scoring_id}-{i + 1}",
            "scoring_timestamp": record.get("scoring_timestamp"),
            "deployment_id": (entity.get("deployment") or {}).get("deployment_id"),
            "asset_revision": record.get("asset_revision"),
            "response_time": record.get("response_time"),
            **(metas[i] if i < len(metas) else {}),
            **(inputs[i] if i < len(inputs) else {}),
            **(outputs[i] if i < len(outputs) else {}),
        }


def _is_table(item: dict[str, Any]) -> bool:
    return "fields" in item or (set(item) == {"values"})


def record_rows(body: Any, data_set_type: str, entity: dict[str, Any],
                rules: RecordRules | None = None) -> Iterator[dict[str, Any]]:
    """Every row of a records request, validated; raises :class:`BadRequest` naming the
    first problem (nothing is stored then)."""
    rules = rules or RULES
    if not isinstance(body, list) or not body:
        raise BadRequest("The records request body must be a non-empty JSON array.")
    for n, item in enumerate(body):
        where = f"records[{n}]"
        if not isinstance(item, dict):
            raise BadRequest(f"{where} must be a JSON object, not {_kind(item)}.")
        if any(k in item for k in PAYLOAD_KEYS):
            if data_set_type != "payload_logging":
                raise BadRequest(f"{where} is a payload record (request and response), but "
                                 f"data set type is '{data_set_type}': send feedback as "
                                 "{\"fields\": [...], \"values\": [...]} or plain objects.")
            yield from payload_rows(item, where, entity, rules)
        elif _is_table(item):
            if item.get("fields") is None and data_set_type == "feedback":
                raise BadRequest(f"{where} has values but no fields: name each feedback "
                                 "column (features, label, and _original_prediction if sent).")
            yield from table(item, where, SCORING_INPUT, rules)
        elif not item:
            raise BadRequest(f"{where} is an empty object.")
        else:
            yield item  # a plain object: one row, as sent
