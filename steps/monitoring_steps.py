"""The steps of monitoring and of the release gate that several features share.

Monitoring (subscribe, log payload and feedback, configure the monitors, evaluate) and the
release gate (decide, and read its three-way verdicts) are spoken by the onboarding,
monitoring, fairness, gate and resilience features alike. Written as ``steps/common_steps.py``
says steps are written: Given via fixtures, When publishes its outcome, Then only asserts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from pytest_bdd import given, parsers, then, when

from steps.outcomes import Outcome, attempt, refusal

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase


# --- monitoring --------------------------------------------------------------------------------
@when("the model is monitored", target_fixture="outcome")
def monitor_model(use_case: ModelUseCase) -> Outcome:
    """Subscribe the endpoint in Watson OpenScale; publishes its `outcome`."""
    return attempt(use_case.monitor)


@then("its monitoring is active")
def monitoring_active(use_case: ModelUseCase, outcome: Outcome) -> None:
    """The subscription is active, as published and as OpenScale reads it now."""
    assert outcome.result()["state"] == "active"
    assert use_case.wos.subscription_state() == "active"


@when(parsers.parse("{count:d} test examples are scored and logged for monitoring"),
      target_fixture="payload_logged")
def log_scored_payload(use_case: ModelUseCase, count: int) -> int:
    """Score test examples and log them as payload; publishes how many were stored."""
    return use_case.log_payload(num_samples=count)


@then(parsers.parse("the monitoring service holds {count:d} scored requests"))
def payload_records_held(use_case: ModelUseCase, payload_logged: int, count: int) -> None:
    """OpenScale counts exactly that many payload records."""
    assert payload_logged == count
    assert use_case.wos.payload_record_count() == count


@when("the model's monitors are configured", target_fixture="monitor_ids")
def configure_monitors(use_case: ModelUseCase) -> dict:
    """Create every monitor the signature enables, with its thresholds; publishes the ids."""
    return use_case.configure_monitors()


@then("the monitors hold the thresholds of the model's signature")
def monitors_hold_signature_thresholds(use_case: ModelUseCase, monitor_ids: dict) -> None:
    """OpenScale's quality monitor holds the signature's thresholds, in order; its fairness
    monitor (when the signature enables one) each feature's groups and, in percent, its
    lowest accepted disparate impact."""
    assert "quality" in monitor_ids
    expected = [t.model_dump() for t in use_case.signature.quality_monitor.thresholds]
    actual = [{"metric_id": t["metric_id"], "type": t["type"], "value": t["value"]}
              for t in use_case.wos.monitor_thresholds()]
    assert actual == expected
    if not use_case.signature.monitors_fairness:
        assert "fairness" not in monitor_ids
        return
    assert "fairness" in monitor_ids
    held = use_case.wos.fairness_configuration()
    wanted = use_case.signature.fairness_monitor.parameters.features
    assert [f["feature"] for f in held["parameters"]["features"]] == [f.feature for f in wanted]
    from mlmonitor_lib.ibm.openscale.fairness import feature_limit

    for feature in wanted:
        limit = feature_limit(held["thresholds"], feature.feature)
        assert limit == pytest.approx(100 * feature.threshold), (feature, held)


@when(parsers.parse("{count:d} test examples are logged as feedback with their true labels"),
      target_fixture="feedback")
def log_true_feedback(use_case: ModelUseCase, count: int) -> dict:
    """Score test examples and log them with their true labels; publishes `feedback`."""
    return use_case.log_feedback(num_samples=count)


@when(parsers.parse("{count:d} more test examples are logged as feedback with their true "
                    "labels"), target_fixture="feedback")
def log_more_true_feedback(use_case: ModelUseCase, count: int) -> dict:
    """The next test examples, after those already logged, with their true labels."""
    return use_case.log_feedback(num_samples=count, offset=len(use_case.state.feedback_records))


@given("the model is monitored with a quality monitor")
def monitor_with_quality_monitor(use_case: ModelUseCase) -> None:
    use_case.monitor()
    use_case.configure_quality_monitor()


FEEDBACK_SIZE = 100  # one record is one point of accuracy


def accuracy_threshold(use_case: ModelUseCase) -> float:
    """The signature's lower limit on accuracy: what the gate must hold the model to."""
    (limit,) = [t.value for t in use_case.signature.quality_monitor.thresholds
                if t.metric_id == "accuracy" and t.type == "lower_limit"]
    return limit


@when(parsers.re(r"feedback is logged on which the model's accuracy is (?P<points>just|\d+ "
                 r"points) (?P<side>under|over) its threshold"), target_fixture="feedback")
def log_feedback_near_threshold(use_case: ModelUseCase, points: str, side: str) -> dict:
    """Feedback on which the model is right for exactly the records needed to land that many
    points ("just": one) under or over the signature's accuracy threshold: the model's own
    answers are learnt first, then the labels agree with them on that many examples and
    disagree on the rest."""
    limit = accuracy_threshold(use_case)
    distance = 1 if points == "just" else int(points.split()[0])
    right = round(limit * FEEDBACK_SIZE) + (-distance if side == "under" else distance)
    classes = list(use_case.signature.signature.class_labels)
    predicted = use_case.score_model(num_samples=FEEDBACK_SIZE)["classes"]
    other = {str(c): classes[(i + 1) % len(classes)] for i, c in enumerate(classes)}
    labels = [p if i < right else other[str(p)] for i, p in enumerate(predicted)]
    logged = use_case.log_feedback(num_samples=FEEDBACK_SIZE, labels=labels)
    return {**logged, "intended_accuracy": right / FEEDBACK_SIZE, "threshold": limit}


@when("the model's quality is evaluated", target_fixture="outcome")
def evaluate_quality(use_case: ModelUseCase, evidence) -> Outcome:
    """Run the quality monitor; publishes its `outcome` (the result, or a refusal)."""
    evaluated = attempt(use_case.evaluate)
    if evaluated.error is None:
        evidence.metrics(evaluated.value)
    return evaluated


@then("the evaluated accuracy is the share of the logged predictions that match their labels")
def evaluated_accuracy_is_independent_accuracy(outcome: Outcome, feedback: dict) -> None:
    """OpenScale's accuracy equals ours, computed from the logged records."""
    independent = np.mean([str(p) == str(label) for p, label in
                           zip(feedback["predictions"], feedback["labels"], strict=True)])
    assert outcome.result().metrics["accuracy"] == pytest.approx(independent, abs=1e-9)


@then("every threshold of the model's signature is met")
def every_threshold_met(use_case: ModelUseCase, outcome: Outcome) -> None:
    """At least one threshold was judged and none is breached (quality, and fairness when
    the signature monitors it)."""
    evaluation = outcome.result()
    assert evaluation.passed, evaluation.violations
    assert evaluation.thresholds, "nothing was judged"
    fairness = use_case.signature.fairness_monitor
    wanted = [f.feature for f in fairness.parameters.features] if (
        fairness is not None and fairness.enabled) else []
    assert [f.feature for f in evaluation.fairness] == wanted, evaluation.fairness
    assert all(f.disparate_impact is not None and f.met for f in evaluation.fairness)


# --- the release gate --------------------------------------------------------------------------
@when("the release is put to the gate", target_fixture="outcome")
def put_release_to_gate(use_case: ModelUseCase, evidence) -> Outcome:
    """Ask the release gate; publishes its `outcome` and records the decision."""
    verdict = attempt(use_case.release_gate)
    record_gate(evidence, use_case, verdict)
    return verdict


def record_gate(evidence, use_case: ModelUseCase, outcome: Outcome) -> None:
    """The gate's decision, one line per threshold, and the run's evidence pack, for the
    report."""
    decision = outcome.value if outcome.error is None else getattr(outcome.error, "decision",
                                                                   None)
    if decision is None:
        evidence.verdict(False, [str(outcome.error)])
        return
    evidence.verdict(decision.approved, decision.lines())
    if use_case.state.evidence_pack:
        from mlmonitor_lib.gate.evidence import read_pack

        evidence.evidence_pack(read_pack(use_case.state.evidence_pack),
                               use_case.state.evidence_pack)


def decision_of(outcome: Outcome) -> Any:
    """The gate's decision, whether it approved (the result) or refused (the error's)."""
    if outcome.error is None:
        return outcome.result()
    from mlmonitor_lib.errors import ReleaseRefused

    refused = refusal(outcome)
    assert isinstance(refused, ReleaseRefused), repr(refused)
    assert refused.decision is not None, "a refusal of the gate carries its decision"
    return refused.decision


def verdict_on(decision: Any, kind: str, metric_id: str) -> Any:
    (verdict,) = [v for v in decision.verdicts if v.kind == kind and v.metric_id == metric_id]
    return verdict


@then("the gate finds the accuracy threshold undecided, saying how many feedback records would "
      "decide")
def accuracy_undecided(outcome: Outcome) -> None:
    """The interval straddles the threshold; the gate says how many records in all would
    decide at this accuracy, more than it has, and its line says so."""
    decision = decision_of(outcome)
    accuracy = verdict_on(decision, "quality", "accuracy")
    assert accuracy.verdict == "inconclusive", accuracy
    assert accuracy.low < accuracy.threshold <= accuracy.high, accuracy
    assert accuracy.records_to_decide is not None
    assert accuracy.records_to_decide > accuracy.records, accuracy
    assert str(accuracy.records_to_decide) in accuracy.line(), accuracy.line()
    assert decision.overall != "pass"


@then("the undecided release is refused or approved as the signature's rule says, naming the "
      "rule")
def undecided_follows_the_rule(use_case: ModelUseCase, outcome: Outcome) -> None:
    """``release_gate.inconclusive``: refuse (the default) or warn; either way the gate says
    which rule it applied. The rule decides only when nothing failed: feedback chosen to put
    accuracy near its threshold can put another metric (area under ROC) surely under its own,
    and a certain breach refuses the release whatever the rule."""
    from mlmonitor_lib.errors import ReleaseRefused, ReleaseUndecided

    rule = use_case.signature.release_gate.inconclusive
    decision = decision_of(outcome)
    assert decision.rule == rule
    if decision.overall == "fail":
        failed = [v.name for v in decision.verdicts if v.verdict == "fail"]
        assert "accuracy" not in failed, failed
        assert isinstance(outcome.error, ReleaseRefused), repr(outcome.error)
        assert not isinstance(outcome.error, ReleaseUndecided)
        return
    assert decision.overall == "inconclusive"
    if rule == "refuse":
        assert isinstance(outcome.error, ReleaseUndecided), repr(outcome.error)
        text = str(outcome.error)
    else:
        assert outcome.error is None and decision.approved
        text = "\n".join(decision.lines())
    assert f"release_gate.inconclusive = {rule}" in text, text


@then("the release gate approves the release")
def gate_approves(outcome: Outcome) -> None:
    """The gate approved the release: every threshold passed (or, under the signature's
    ``warn`` rule, none failed)."""
    decision = outcome.result()
    assert decision.approved and decision.overall in ("pass", "inconclusive"), decision
