"""OpenScale scoring a SageMaker deployment itself, for feedback records sent without predictions.

IBM documents that for engines other than Watson Machine Learning ("Amazon SageMaker ML" among
them) "quality monitoring creates additional scoring requests on the monitored deployment"
(dataplatform.cloud.ibm.com/docs/content/wsj/model/wos-quality-overview.html), and IBM's
SageMaker notebook (IBM/watson-openscale-samples, ``IBM Cloud/AWS Sagemaker/notebooks/AI
OpenScale and SageMaker ML Engine.ipynb``) stores feedback with the label and features only,
then runs the quality monitor.

How the request is built is not public. What is known: the notebook's endpoint (a SageMaker
linear learner) takes ``text/csv`` rows of the subscription's ``feature_fields`` and answers
``{"predictions": [{"score": ..., "predicted_label": ...}]}`` (its recorded output). That is
what is sent here, in batches, with the provider's own keys: ``CONTENT_TYPE``, ``ACCEPT`` and
``BATCH_ROWS`` are the emulator's choice and configurable. An answer that is not one prediction
object per row, carrying the subscription's ``prediction_field``, fails the run with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

CONTENT_TYPE = "text/csv"
ACCEPT = "application/json"
BATCH_ROWS = 500  # well under InvokeEndpoint's 6 MB payload limit for tabular rows


class ScoringFailed(Exception):
    """The deployment could not score the feedback: why, in words for the run's status."""


def _cell(value: Any) -> str:
    if isinstance(value, bool | int | float):
        return repr(int(value)) if isinstance(value, bool) else repr(value)
    if isinstance(value, str) and not any(c in value for c in ',"\n'):
        return value
    return json.dumps(str(value))


def csv_rows(records: Sequence[dict[str, Any]], feature_fields: Sequence[str]) -> list[str]:
    """One CSV line per record, its features in the subscription's order."""
    lines = []
    for n, record in enumerate(records):
        missing = [f for f in feature_fields if f not in record]
        if missing:
            raise ScoringFailed(f"feedback record {n} has no value for feature "
                                f"'{missing[0]}', so the deployment cannot score it")
        lines.append(",".join(_cell(record[f]) for f in feature_fields))
    return lines


def read_predictions(answer: bytes, expected: int, prediction_field: str,
                     probability_fields: Sequence[str]) -> list[tuple[Any, Any]]:
    """(prediction, probability or ``None``) per row from the deployment's JSON answer."""
    try:
        document = json.loads(answer)
    except ValueError:
        raise ScoringFailed("the deployment's answer is not JSON") from None
    items = document.get("predictions") if isinstance(document, dict) else document
    if not isinstance(items, list) or len(items) != expected:
        count = len(items) if isinstance(items, list) else 0
        raise ScoringFailed(f"the deployment answered {count} predictions for {expected} rows")
    found = []
    for item in items:
        if not isinstance(item, dict) or prediction_field not in item:
            raise ScoringFailed(f"a prediction has no '{prediction_field}' field (the "
                                "subscription's prediction_field)")
        probability = next((item[f] for f in probability_fields if f in item), None)
        found.append((item[prediction_field], probability))
    return found


def score(runtime: Any, endpoint_name: str, records: Sequence[dict[str, Any]],
          properties: dict[str, Any]) -> list[tuple[Any, Any]]:
    """Score ``records`` on the SageMaker endpoint with a ``sagemaker-runtime`` client acting
    with the provider's keys; ``properties`` are the subscription's ``asset_properties``."""
    from botocore.exceptions import BotoCoreError, ClientError

    features = properties.get("feature_fields") or []
    if not features:
        raise ScoringFailed("the subscription names no feature_fields, so OpenScale cannot "
                            "build a scoring request: send feedback with its predictions")
    prediction_field = properties.get("prediction_field") or "prediction"
    probability_fields = properties.get("probability_fields") or []
    lines = csv_rows(records, features)
    found: list[tuple[Any, Any]] = []
    for start in range(0, len(lines), BATCH_ROWS):
        batch = lines[start:start + BATCH_ROWS]
        try:
            reply = runtime.invoke_endpoint(EndpointName=endpoint_name, ContentType=CONTENT_TYPE,
                                            Accept=ACCEPT, Body="\n".join(batch).encode())
        except (ClientError, BotoCoreError) as exc:
            raise ScoringFailed(f"scoring endpoint '{endpoint_name}' failed: {exc}") from None
        found += read_predictions(reply["Body"].read(), len(batch), prediction_field,
                                  probability_fields)
    return found
