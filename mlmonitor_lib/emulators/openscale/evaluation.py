"""One quality evaluation: the counted feedback of a subscription, scored where it must be.

Feedback records carry a label and, optionally, the model's prediction and probabilities
(``_original_prediction`` and ``_original_<probability field>``, or the subscription's own
field names). Records without a prediction are scored on the deployment (:mod:`.scoring`), as
OpenScale does for SageMaker, at every run: nothing the run computes is written back into the
records. A multiclass run over fully predicted feedback reads only the (label, prediction)
counts; a binary run also reads each record's positive-class probability, for the curves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from mlmonitor_lib.emulators.openscale.definitions import BINARY
from mlmonitor_lib.emulators.openscale.quality import (
    QualityResult,
    binary_quality,
    quality_from_counts,
    quality_metrics,
)
from mlmonitor_lib.emulators.openscale.records import RecordStore, scalar_key
from mlmonitor_lib.emulators.openscale.scoring import ScoringFailed

# unscored feedback records -> (prediction, probability) per record
Scorer = Callable[[Sequence[dict[str, Any]]], list[tuple[Any, Any]]]


def positive_probability(value: Any) -> float | None:
    """A binary model's positive-class probability from a probability field: a number (a
    SageMaker linear learner's ``score``) or a two-class vector in class order."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list) and len(value) == 2 and all(
            isinstance(x, int | float) for x in value):
        return float(value[1])
    return None


def _record_probability(record: dict[str, Any], fields: Sequence[str]) -> float | None:
    for field in fields:
        for name in (f"_original_{field}", field):
            if name in record:
                return positive_probability(record[name])
    return None


def evaluate(records: RecordStore, data_set_id: str, subscription: dict[str, Any],
             scorer: Scorer | None) -> QualityResult:
    """The quality of the subscription's model over the data set's counted labelled records.
    Raises :class:`ScoringFailed` when records lack predictions and cannot be scored."""
    entity = subscription["entity"]
    problem = (entity.get("asset") or {}).get("problem_type")
    probability_fields = (entity.get("asset_properties") or {}).get("probability_fields") or []
    all_predicted = records.labelled(data_set_id) == records.count(data_set_id, labelled=True)
    if problem != BINARY and all_predicted:
        return quality_from_counts(records.label_prediction_counts(data_set_id))
    rows = records.labelled_rows(data_set_id)
    unscored = [record for _, prediction, record in rows if prediction is None]
    if unscored and scorer is None:
        raise ScoringFailed("feedback records without predictions can be scored only on an "
                            "Amazon SageMaker deployment: send them with _original_prediction")
    scored = iter(scorer(unscored) if unscored and scorer else [])
    labels, predictions, probabilities = [], [], []
    for label, prediction, record in rows:
        if prediction is None:
            predicted, probability = next(scored)
            prediction, probability = scalar_key(predicted), positive_probability(probability)
            if prediction is None:
                raise ScoringFailed(f"the deployment predicted {predicted!r}, not a class")
        else:
            probability = _record_probability(record, probability_fields)
        labels.append(label)
        predictions.append(prediction)
        probabilities.append(probability)
    if problem == BINARY:
        return binary_quality([json.loads(v) for v in labels],
                              [json.loads(v) for v in predictions], probabilities)
    return quality_metrics(labels, predictions)
