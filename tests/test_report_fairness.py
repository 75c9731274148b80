"""The report's fairness table: one row per group of each monitored feature (favourable rate,
disparate impact as a ratio and as OpenScale's percent, threshold, met or breached), judged by
the gate's own judge; shown with an evaluation that has fairness, absent from one without.
"""

from __future__ import annotations

from mlmonitor_lib.ibm.openscale import EvaluationResult, FairnessGroup, FairnessResult
from mlmonitor_lib.report import html_metrics
from mlmonitor_lib.report.evidence import Evidence
from mlmonitor_lib.report.tables import fairness_rows
from mlmonitor_lib.thresholds import fairness_violations, violations_of

RUN = {"monitor_instance_id": "fair-1", "run_id": "run-9"}


def sex(impact: float | None = 0.5, **extra) -> FairnessResult:
    return FairnessResult(
        feature="sex", monitored=["female"], reference=["male"], group="female",
        disparate_impact=impact, threshold=0.8, records=40, min_records=20,
        reference_favourable_rate=0.8, reference_records=20,
        groups=[FairnessGroup(group="female", favourable_rate=0.4, disparate_impact=impact,
                              records=20)], **RUN, **extra)


def age() -> FairnessResult:
    return FairnessResult(
        feature="age", monitored=["18-25", "76-99"], reference=["26-75"], group="18-25",
        disparate_impact=0.9, threshold=0.8, records=40, min_records=20,
        groups=[FairnessGroup(group="18-25", favourable_rate=0.54, disparate_impact=0.9)],
        **RUN)


def evaluation(fairness: list[FairnessResult], metrics: dict | None = None) -> EvaluationResult:
    thresholds = [{"metric_id": "accuracy", "type": "lower_limit", "value": 0.8}] if metrics \
        else []
    return EvaluationResult(
        subscription_id="sub-1", metrics=metrics or {}, thresholds=thresholds,
        violations=violations_of(metrics or {}, thresholds) + fairness_violations(fairness),
        fairness=fairness, **(RUN if metrics else {}))


def test_rows_show_the_reference_then_each_monitored_group_judged_like_the_gate():
    rows = fairness_rows(evaluation([sex(), age()]).model_dump(mode="json")["fairness"])
    assert [(r.feature, r.group, r.role, r.breached) for r in rows] == [
        ("sex", "male", "reference", None), ("sex", "female", "monitored", True),
        ("age", "26-75", "reference", None), ("age", "18-25", "monitored", False),
        ("age", "76-99", "monitored", None)]  # measured feature, group not reported on its own
    female = rows[1]
    assert (female.favourable_rate, female.disparate_impact, female.threshold, female.records) \
        == (0.4, 0.5, 0.8, 20)


def test_the_table_says_ratio_percent_threshold_and_breach_in_words():
    page = html_metrics.fairness_table(fairness_rows([sex(), age()]))
    assert 'class="fairness-table"' in page
    assert "0.50 (50.0 %)" in page and "at least 0.80 (80.0 %)" in page
    assert "40.0 %" in page and "80.0 %" in page  # the groups' favourable rates
    assert "\u2718 BREACH" in page and "\u2714 met" in page
    assert "1 feature(s) breach their fairness threshold: sex" in page


def test_an_unmeasured_feature_is_a_breach_that_says_why():
    why = "Payload logging table rows 4 are less than the minimum rows 20"
    page = html_metrics.fairness_table(fairness_rows([sex(None, message=why)]))
    assert f"\u2718 NOT MEASURED: {why}" in page and "not measured" in page


def test_names_from_the_service_are_escaped():
    renamed = sex().model_copy(update={"feature": "<b>x"})
    page = html_metrics.fairness_table(fairness_rows([renamed]))
    assert "<b>x" not in page and "&lt;b&gt;x" in page


def test_evidence_shows_fairness_with_an_evaluation_and_not_without():
    only_quality, both, only_fairness = Evidence(), Evidence(), Evidence()
    only_quality.metrics(evaluation([], {"accuracy": 0.9}))
    both.metrics(evaluation([sex()], {"accuracy": 0.9}))
    only_fairness.metrics(evaluation([sex()]).model_dump(mode="json"))  # as the state keeps it
    shown = [[e.content for e in ev.render_new()] for ev in (only_quality, both, only_fairness)]
    assert ["metrics-table" in s for s in shown[0]] == [True]
    assert not any("fairness-table" in s for s in shown[0])
    assert ["metrics-table" in s for s in shown[1]] == [True, False]
    assert "fairness-table" in shown[1][1] and "Every threshold is met" in shown[1][0]
    assert len(shown[2]) == 1 and "fairness-table" in shown[2][0]  # no empty quality table
