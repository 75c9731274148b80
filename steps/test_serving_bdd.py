"""Binds features/serving.feature, with the steps only serving speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pytest_bdd import parsers, scenarios, then

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase
    from steps.outcomes import Scoring

scenarios("serving.feature")

# AWS: a model container must answer an invocation within 60 seconds, or SageMaker gives up.
SAGEMAKER_INVOCATION_LIMIT_S = 60


@then(parsers.parse("the answer came within {seconds:d} seconds, a thirtieth of the "
                    "{limit:d} seconds SageMaker allows"))
def answer_within(scoring: Scoring, seconds: int, limit: int) -> None:
    assert limit == SAGEMAKER_INVOCATION_LIMIT_S and seconds * 30 == limit
    # what the library reports is a measure of this very call (it fits in the call's span)...
    assert 0 < scoring.response_time_ms <= scoring.wall_ms
    # ...and it is well inside what SageMaker itself would tolerate
    assert scoring.response_time_ms < seconds * 1000, scoring.response_time_ms


@then("the predicted classes match the true labels at least as often as the model's "
      "accuracy threshold requires")
def predicted_classes_match(use_case: ModelUseCase, scoring: Scoring) -> None:
    (limit,) = [t.value for t in use_case.signature.quality_monitor.thresholds
                if t.metric_id == "accuracy" and t.type == "lower_limit"]
    labels = use_case.test_set().labels[: len(scoring.classes)]
    matches = [str(p) == str(label) for p, label in zip(scoring.classes, labels, strict=True)]
    assert np.mean(matches) >= limit, (np.mean(matches), limit)


@then("no endpoint, endpoint configuration or model remains")
def no_serving_resource_remains(use_case: ModelUseCase) -> None:
    assert use_case.store.alive("serving") == []
    assert [found for found in use_case.still_existing() if found.startswith("serving")] == []
