"""Binds features/monitoring.feature, with the steps only monitoring speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from mlmonitor_lib.errors import NotEnoughFeedback, ReleaseRefused
from steps.outcomes import Outcome, refusal

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase

scenarios("monitoring.feature")

FEEDBACK_SIZE = 100  # one record is one point of accuracy
FINDINGS = {"breached": False, "met": True}  # the threshold is met


def accuracy_threshold(use_case: ModelUseCase) -> float:
    """The signature's lower limit on accuracy: what the gate must hold the model to."""
    (limit,) = [t.value for t in use_case.signature.quality_monitor.thresholds
                if t.metric_id == "accuracy" and t.type == "lower_limit"]
    return limit


@given("the model is monitored with a quality monitor")
def monitor_with_quality_monitor(use_case: ModelUseCase) -> None:
    use_case.monitor()
    use_case.configure_quality_monitor()


@when(parsers.parse("feedback is logged on which the model's accuracy is just {side} its "
                    "threshold"), target_fixture="feedback")
def log_feedback_near_threshold(use_case: ModelUseCase, side: str) -> dict:
    """Feedback on which the model is right for exactly the records needed to land one point
    under (or over) the signature's accuracy threshold: the model's own answers are learnt
    first, then the labels agree with them on that many images and disagree on the rest."""
    limit = accuracy_threshold(use_case)
    right = round(limit * FEEDBACK_SIZE) + (-1 if side == "under" else 1)
    classes = list(use_case.signature.signature.class_labels)
    predicted = use_case.score_model(num_samples=FEEDBACK_SIZE)["classes"]
    other = {str(c): classes[(i + 1) % len(classes)] for i, c in enumerate(classes)}
    labels = [p if i < right else other[str(p)] for i, p in enumerate(predicted)]
    logged = use_case.log_feedback(num_samples=FEEDBACK_SIZE, labels=labels)
    return {**logged, "intended_accuracy": right / FEEDBACK_SIZE, "threshold": limit}


@then(parsers.parse("the evaluation finds the accuracy threshold {finding}"))
def accuracy_threshold_finding(outcome: Outcome, feedback: dict, finding: str) -> None:
    evaluation = outcome.result()
    assert evaluation.metrics["accuracy"] == pytest.approx(feedback["intended_accuracy"])
    assert abs(evaluation.metrics["accuracy"] - feedback["threshold"]) <= 0.01 + 1e-9
    breached = [v.metric_id for v in evaluation.violations if v.metric_id == "accuracy"]
    assert breached == ([] if FINDINGS[finding] else ["accuracy"]), evaluation.violations


@then("the release gate refuses the release, naming accuracy, its value and its threshold")
def gate_refuses_naming_accuracy(use_case: ModelUseCase, outcome: Outcome) -> None:
    refused = refusal(outcome)
    assert isinstance(refused, ReleaseRefused), repr(refused)
    violations = use_case.state.last_evaluation["violations"]
    (violation,) = [v for v in violations if v["metric_id"] == "accuracy"]
    assert violation["limit"] == accuracy_threshold(use_case)
    # one line per breach: the metric, the measured value and the limit
    breach_lines = str(refused).splitlines()[1:]
    assert len(breach_lines) == len(violations)
    (line,) = [line for line in breach_lines if line.strip().startswith("accuracy:")]
    assert f"{violation['value']:.4f}" in line
    assert f"{violation['limit']:.4f}" in line


@then("the release gate does not refuse the release for accuracy")
def gate_not_refusing_for_accuracy(use_case: ModelUseCase, outcome: Outcome) -> None:
    """Approved, or refused for other thresholds only (the labels that put accuracy just
    over its threshold may breach another metric of the model, such as area under ROC)."""
    if outcome.error is None:
        assert outcome.result().passed
        return
    refused = refusal(outcome)
    assert isinstance(refused, ReleaseRefused), repr(refused)
    breached = [v["metric_id"] for v in use_case.state.last_evaluation["violations"]]
    assert breached and "accuracy" not in breached, breached


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
