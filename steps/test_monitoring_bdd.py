"""Binds features/monitoring.feature, with the steps only monitoring speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pytest_bdd import parsers, scenarios, then

from mlmonitor_lib.errors import NotEnoughFeedback
from steps.outcomes import Outcome, refusal

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase

scenarios("monitoring.feature")

FINDINGS = {"breached": False, "met": True}  # the threshold is met


@then(parsers.parse("the evaluation finds the accuracy threshold {finding}"))
def accuracy_threshold_finding(outcome: Outcome, feedback: dict, finding: str) -> None:
    evaluation = outcome.result()
    assert evaluation.metrics["accuracy"] == pytest.approx(feedback["intended_accuracy"])
    assert abs(evaluation.metrics["accuracy"] - feedback["threshold"]) <= 0.01 + 1e-9
    breached = [v.metric_id for v in evaluation.violations if v.metric_id == "accuracy"]
    assert breached == ([] if FINDINGS[finding] else ["accuracy"]), evaluation.violations


@then(parsers.parse("the evaluation is refused, saying {missing:d} more feedback records are "
                    "needed"))
def evaluation_refused_for_missing_feedback(outcome: Outcome, missing: int) -> None:
    refused = refusal(outcome)
    assert isinstance(refused, NotEnoughFeedback), repr(refused)
    assert refused.missing == missing
    assert str(missing) in str(refused)


@then("no subscription, monitor or service provider we created remains")
def no_monitoring_resource_remains(use_case: ModelUseCase) -> None:
    assert use_case.store.alive("wos") == []
    assert [found for found in use_case.still_existing() if found.startswith("wos")] == []
