"""Monitoring steps: subscription, payload and feedback logging, evaluation, release gate."""

from __future__ import annotations

import numpy as np
import pytest
from pytest_bdd import given, parsers, then, when

from mlmonitor_lib.errors import EvaluationError, NotEnoughFeedback, ReleaseRefused
from mlmonitor_lib.usecase import ModelUseCase


@when("the model is monitored", target_fixture="subscription")
def _(use_case: ModelUseCase) -> dict:
    return use_case.monitor()


@given("the model is monitored with a quality monitor")
def _(use_case: ModelUseCase) -> None:
    use_case.monitor()
    assert "quality" in use_case.configure_quality_monitor()


@then("the subscription is active")
def _(use_case: ModelUseCase, subscription: dict) -> None:
    assert subscription["state"] == "active"
    assert use_case.wos.subscription_state() == "active"


@when(parsers.parse("{count:d} test images are scored and logged as payload"))
def _(use_case: ModelUseCase, count: int) -> None:
    assert use_case.log_payload(num_samples=count) == count


@then(parsers.parse("the payload data set holds {count:d} records"))
def _(use_case: ModelUseCase, count: int) -> None:
    assert use_case.wos.payload_record_count() == count


@when("the quality monitor is configured", target_fixture="monitor_ids")
def _(use_case: ModelUseCase) -> dict:
    return use_case.configure_quality_monitor()


@then("the quality monitor's thresholds are the signature's")
def _(use_case: ModelUseCase, monitor_ids: dict) -> None:
    expected = [t.model_dump() for t in use_case.signature.quality_monitor.thresholds]
    actual = [{"metric_id": t["metric_id"], "type": t["type"], "value": t["value"]}
              for t in use_case.wos.monitor_thresholds()]
    assert actual == expected


@when(parsers.parse("{count:d} test images are logged as feedback with their true labels"),
      target_fixture="feedback")
def _(use_case: ModelUseCase, count: int) -> dict:
    return use_case.log_feedback(num_samples=count)


@when(parsers.parse("{count:d} test images are logged as feedback with wrong labels"),
      target_fixture="feedback")
def _(use_case: ModelUseCase, count: int) -> dict:
    true_labels = use_case.test_set()[1][:count]
    return use_case.log_feedback(num_samples=count, labels=(true_labels + 1) % 10)


@when("the model is evaluated", target_fixture="evaluation")
def _(use_case: ModelUseCase, evidence):
    try:
        result = use_case.evaluate()
    except EvaluationError as refused:
        return refused
    evidence.metrics(result)
    return result


@then("the evaluated accuracy equals the accuracy of the logged predictions against the labels")
def _(evaluation, feedback: dict) -> None:
    independent = np.mean(np.array(feedback["predictions"]) == np.array(feedback["labels"]))
    assert evaluation.metrics["accuracy"] == pytest.approx(independent, abs=1e-9)


@then("the evaluation passes")
def _(evaluation) -> None:
    assert evaluation.passed, evaluation.violations


@then("the evaluation reports the accuracy threshold as violated")
def _(evaluation) -> None:
    assert not evaluation.passed
    assert [v.metric_id for v in evaluation.violations] == ["accuracy"]


@then("the release gate refuses the release naming accuracy, its value and its threshold")
def _(use_case: ModelUseCase, evaluation, evidence) -> None:
    with pytest.raises(ReleaseRefused) as refused:
        use_case.release_gate()
    evidence.verdict(False, str(refused.value).splitlines()[1:])
    measured = evaluation.metrics["accuracy"]
    assert f"accuracy: {measured:.4f} < lower_limit 0.8000" in str(refused.value)


@then(parsers.parse(
    "the evaluation is refused saying {missing:d} more feedback records are needed"
))
def _(evaluation, missing: int) -> None:
    assert isinstance(evaluation, NotEnoughFeedback), evaluation
    assert evaluation.missing == missing


@then(parsers.parse("the cleanup reports {count:d} subscription deleted"))
def _(cleanup_counts: dict, count: int) -> None:
    assert cleanup_counts["wos"] == count


@then("no subscription, monitor or service provider we created remains")
def _(use_case: ModelUseCase, subscription: dict) -> None:
    assert use_case.store.alive("wos") == []
    assert [found for found in use_case.still_existing() if found.startswith("wos")] == []


@then("the release gate approves the release")
def _(use_case: ModelUseCase, evaluation, evidence) -> None:
    assert use_case.release_gate().passed
    evidence.verdict(True, ["every quality threshold met"])
