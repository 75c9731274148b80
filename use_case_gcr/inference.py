"""Serving handlers of the German Credit Risk model for the SageMaker scikit-learn container.

The training job copies this file and ``gcr_features.py`` to ``<model_dir>/code/``; the model
is deployed with ``SAGEMAKER_PROGRAM=inference.py`` and
``SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code`` (the layout the SageMaker SDK's repack
produces). The container (``sagemaker-scikit-learn:1.9-0-cpu-py3``) calls ``model_fn`` once,
then ``input_fn`` -> ``predict_fn`` -> ``output_fn`` for each request.

Requests (a ``; charset=...`` parameter is ignored):

* ``text/csv``: rows of the 9 feature values in ``FEATURE_COLUMNS`` order, no header, no
  label, e.g. ``male,2,own,not_known,little,1169,6,radio/TV,67`` (what Watson OpenScale sends
  when it scores feedback rows itself);
* ``application/json``: ``{"instances": [{"features": [9 values]}, ...]}``.

Answer (``application/json``)::

    {"predictions": [{"predicted_label": 1, "score": 0.83}, ...]}

``predicted_label`` is 0 (bad credit) or 1 (good credit). ``score`` is the probability of class
1, good credit, whatever the predicted label: OpenScale's binary quality metrics (area under
ROC, log loss...) need the positive class's probability. (The original project answered the
probability of the predicted class instead.)

A bad request raises ``ValueError`` with what is wrong and what is accepted. The container
wraps every exception of these functions in its ``ClientError``, so any refusal, an unsupported
content type included, is an HTTP 500 (``InvokeEndpoint``: ``ModelError``, status 424) and the
message is in the endpoint's CloudWatch log; the container's own 415/406 answers only come from
its default handlers, which these replace.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any

import joblib
import pandas as pd
from gcr_features import FEATURE_COLUMNS, POSITIVE_CLASS, features_frame

MODEL_FILE = "model.joblib"
CSV = "text/csv"
JSON = "application/json"
_JSON_FORM = '{"instances": [{"features": [9 values]}, ...]}'


def model_fn(model_dir: str) -> Any:
    """The fitted scikit-learn pipeline saved by ``train_gcr.py``."""
    return joblib.load(os.path.join(model_dir, MODEL_FILE))


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def input_fn(request_body: str | bytes, request_content_type: str) -> pd.DataFrame:
    """The request's rows as the table the model reads (see the module docstring)."""
    if isinstance(request_body, bytes):
        request_body = request_body.decode("utf-8")
    media_type = _media_type(request_content_type)
    if media_type == CSV:
        rows = [row for row in csv.reader(io.StringIO(request_body)) if row]
    elif media_type == JSON:
        try:
            rows = [instance["features"] for instance in json.loads(request_body)["instances"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"an application/json request is {_JSON_FORM} "
                             f"({type(exc).__name__}: {exc})") from None
    else:
        raise ValueError(f"content type {request_content_type!r} is not supported: send text/csv "
                         f"(rows of {', '.join(FEATURE_COLUMNS)}; no header) or "
                         f"application/json {_JSON_FORM}")
    return features_frame(rows)


def predict_fn(input_data: pd.DataFrame, model: Any) -> list[dict[str, Any]]:
    """One ``{"predicted_label", "score"}`` per row; score = probability of class 1."""
    positive = list(model.classes_).index(POSITIVE_CLASS)
    scores = model.predict_proba(input_data)[:, positive]
    labels = model.predict(input_data)
    return [{"predicted_label": int(label), "score": float(score)}
            for label, score in zip(labels, scores, strict=True)]


def output_fn(prediction: list[dict[str, Any]], accept: str) -> tuple[str, str]:
    """``{"predictions": [...]}`` as JSON (the container defaults a missing Accept to JSON)."""
    if _media_type(accept) not in (JSON, "*/*", ""):
        raise ValueError(f"accept {accept!r} is not supported: this endpoint answers {JSON}")
    return json.dumps({"predictions": prediction}), JSON
