"""Binds features/fairness.feature, with the steps only fairness speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pytest_bdd import given, scenarios, then, when

from mlmonitor_lib.errors import ReleaseRefused
from mlmonitor_lib.gate.fairness import in_groups
from steps.monitoring_steps import decision_of
from steps.outcomes import Outcome, refusal

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase

scenarios("fairness.feature")


@given("the model is monitored")
def model_monitored(use_case: ModelUseCase) -> None:
    use_case.monitor()


@given("the model's monitors are configured")
def monitors_configured(use_case: ModelUseCase) -> None:
    use_case.configure_monitors()


@when("requests are logged on which the model gives the first monitored group the "
      "favourable outcome half as often as its reference group", target_fixture="population")
def log_biased_population(use_case: ModelUseCase) -> dict:
    """A population of test examples chosen from the model's own answers: every example of
    the reference group, and of the monitored group as many favourable and unfavourable
    decisions as make its favourable rate half the reference group's. The model's answers
    are its own: only who asks is chosen."""
    params = use_case.signature.fairness_monitor.parameters
    feature = params.features[0]
    column = use_case.signature.signature.feature_columns.index(feature.feature)
    favourable = {str(c) for c in params.favourable_class}
    test = use_case.test_set()
    classes = use_case.score_model(num_samples=len(test))["classes"]
    values = [x[column] for x in test.inputs]
    in_reference = in_groups(values, feature.majority)
    in_monitored = in_groups(values, feature.minority) & ~in_reference
    reference = [x for x, inside in zip(test.inputs, in_reference, strict=True) if inside]
    rate = sum(str(c) in favourable for c, inside in zip(classes, in_reference, strict=True)
               if inside) / len(reference)
    monitored = [(x, str(c) in favourable)
                 for x, c, inside in zip(test.inputs, classes, in_monitored, strict=True)
                 if inside]
    granted = [x for x, ok in monitored if ok]
    refused = [x for x, ok in monitored if not ok]
    # favourable / (favourable + unfavourable) = rate / 2, keeping every refused example
    keep = round(len(refused) * (rate / 2) / (1 - rate / 2))
    assert 0 < keep <= len(granted), (keep, len(granted), len(refused))
    chosen = reference + granted[:keep] + refused
    use_case.log_payload(inputs=chosen)
    intended = (keep / (keep + len(refused))) / rate
    return {"feature": feature, "intended": intended}


@then("the evaluation shows, for each monitored feature, how often each group gets the "
      "favourable outcome")
def fairness_per_group_shown(use_case: ModelUseCase, outcome: Outcome) -> None:
    evaluation = outcome.result()
    wanted = [f.feature for f in use_case.signature.fairness_monitor.parameters.features]
    assert [f.feature for f in evaluation.fairness] == wanted
    for result in evaluation.fairness:
        assert result.disparate_impact is not None, result
        assert result.reference_favourable_rate is not None, result
        assert result.groups and all(g.favourable_rate is not None for g in result.groups)


@then("the evaluation finds the first monitored feature's disparate impact at about 0.5, "
      "under its threshold")
def disparate_impact_about_half(outcome: Outcome, population: dict) -> None:
    evaluation = outcome.result()
    feature = population["feature"]
    (result,) = [f for f in evaluation.fairness if f.feature == feature.feature]
    assert result.disparate_impact == pytest.approx(population["intended"], abs=1e-3)
    assert result.disparate_impact == pytest.approx(0.5, abs=0.05)
    assert result.threshold == feature.threshold and not result.met


@then("the release gate refuses the release, naming the feature, both groups, the measured "
      "disparate impact and the threshold")
def gate_refuses_for_fairness(outcome: Outcome, population: dict) -> None:
    """A certain breach: the whole interval of the disparate impact is under the threshold;
    the refusal's line for the feature names both groups, the measure and the threshold."""
    refused = refusal(outcome)
    assert isinstance(refused, ReleaseRefused), repr(refused)
    feature = population["feature"]
    (verdict,) = [v for v in refused.decision.verdicts
                  if v.kind == "fairness" and v.detail.get("feature") == feature.feature]
    assert verdict.verdict == "fail" and verdict.high < feature.threshold, verdict
    (line,) = [line for line in str(refused).splitlines() if line.strip() == verdict.line()]
    for group in (*feature.minority, *feature.majority):
        assert str(group) in line, line
    assert f"{verdict.estimate:.3f}" in line and f"{feature.threshold:.3f}" in line, line


@then("the gate finds fairness undecided, saying how many requests it needs")
def fairness_undecided_for_too_few_requests(outcome: Outcome, use_case: ModelUseCase) -> None:
    """OpenScale measures no disparate impact below ``min_records``: no evidence is not a pass,
    and the gate says how many payload records it needs."""
    decision = decision_of(outcome)
    needed = use_case.signature.fairness_monitor.parameters.min_records
    fairness = [v for v in decision.verdicts if v.kind == "fairness"]
    assert fairness and all(v.verdict == "inconclusive" for v in fairness), fairness
    assert all(v.records_to_decide == needed for v in fairness), fairness
    assert all(f"about {needed} records would decide" in v.line() for v in fairness)
