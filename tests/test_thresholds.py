"""The one threshold judge: every breach, one line each, and the emulator's independent rule
agreeing with it."""

from __future__ import annotations

import math

import pytest

from mlmonitor_lib.emulators.openscale.quality import violations
from mlmonitor_lib.errors import SettingsError
from mlmonitor_lib.thresholds import (
    fairness_violations,
    judge,
    normalise_thresholds,
    violations_of,
)

THRESHOLDS = [
    {"metric_id": "accuracy", "type": "lower_limit", "value": 0.8},
    {"metric_id": "weighted_false_positive_rate", "type": "upper_limit", "value": 0.1},
    {"metric_id": "log_loss", "type": "upper_limit", "value": 0.5},
]


@pytest.mark.parametrize(("metrics", "breached"), [
    ({"accuracy": 0.8, "weighted_false_positive_rate": 0.1, "log_loss": 0.5}, []),
    ({"accuracy": 0.79, "weighted_false_positive_rate": 0.1, "log_loss": 0.2}, ["accuracy"]),
    ({"accuracy": 0.9, "weighted_false_positive_rate": 0.11, "log_loss": None},
     ["weighted_false_positive_rate", "log_loss"]),
    ({"accuracy": float("nan")}, ["accuracy", "weighted_false_positive_rate", "log_loss"]),
])
def test_every_breach_is_reported_and_an_unmeasured_metric_is_one(metrics, breached):
    verdicts = judge(metrics, THRESHOLDS)
    assert [v.metric_id for v in verdicts] == [t["metric_id"] for t in THRESHOLDS]
    assert [v.metric_id for v in verdicts if v.breached] == breached
    assert [v.metric_id for v in violations_of(metrics, THRESHOLDS)] == breached


def test_the_emulator_judges_a_missing_metric_as_the_library_does():
    """The emulator computes its violations independently (it is the service, not us), with
    the same rule: a thresholded metric the run did not measure is a breach."""
    metrics = {"accuracy": 0.9, "weighted_false_positive_rate": 0.2, "log_loss": None}
    ours = [v.metric_id for v in violations_of(metrics, THRESHOLDS)]
    theirs = [v["metric_id"] for v in violations(metrics, THRESHOLDS)]
    assert ours == theirs == ["weighted_false_positive_rate", "log_loss"]


def test_an_unmeasured_breach_prints_as_nan_not_as_a_number():
    (violation,) = violations_of({}, THRESHOLDS[:1])
    assert math.isnan(violation.value) and violation.limit == 0.8


def test_thresholds_are_checked_once_when_normalised():
    assert normalise_thresholds([{"metric_id": "weighted_f1_measure", "type": "lower_limit",
                                  "lower_limit": 0.7}]) == [
        {"metric_id": "weighted_f_measure", "type": "lower_limit", "value": 0.7}]
    with pytest.raises(SettingsError, match="no value"):
        normalise_thresholds([{"metric_id": "accuracy", "type": "lower_limit"}])
    with pytest.raises(SettingsError, match="lower_limit or upper_limit"):
        normalise_thresholds([{"metric_id": "accuracy", "type": "at_least", "value": 1}])


# fairness: each monitored feature's disparate impact, judged by the same judge -----------------
def _feature(impact, threshold=0.8, **extra):
    return {"feature": "sex", "group": "female", "monitored": ["female"], "reference": ["male"],
            "disparate_impact": impact, "threshold": threshold, "records": 120,
            "min_records": 100, **extra}


@pytest.mark.parametrize(("impact", "breached"), [
    (0.8, False), (1.3, False), (0.7999, True), (None, True), (float("nan"), True)])
def test_a_disparate_impact_below_its_threshold_or_unmeasured_is_a_breach(impact, breached):
    assert bool(fairness_violations([_feature(impact)])) is breached


def test_a_fairness_breach_names_feature_groups_value_and_threshold():
    (violation,) = fairness_violations([_feature(0.62)])
    assert (violation.metric_id, violation.value, violation.limit) == ("disparate_impact", 0.62,
                                                                      0.8)
    assert str(violation) == ("fairness of sex: disparate impact of female vs male is 0.62, "
                              "below the threshold 0.80")
    (close,) = fairness_violations([_feature(0.7951)])  # 0.80 vs 0.80 would say nothing
    assert str(close).endswith("is 0.7951, below the threshold 0.8000")


def test_an_unmeasured_disparate_impact_says_how_many_payload_records_are_needed():
    (few,) = fairness_violations([_feature(None, records=4)])
    assert math.isnan(few.value)
    assert str(few) == ("fairness of sex: disparate impact of female vs male not measured: "
                        "OpenScale needs at least 100 payload records and has 4: store 96 more")
    (enough,) = fairness_violations([_feature(None, group=None, monitored=["b", "d"])])
    assert str(enough).startswith("fairness of sex: disparate impact of b, d vs male not "
                                  "measured from 120 payload records: OpenScale computed none")


def test_fairness_breaches_read_objects_as_well_as_dicts():
    from types import SimpleNamespace

    (violation,) = fairness_violations([SimpleNamespace(**_feature(0.5))])
    assert violation.feature == "sex" and violation.reference == "male"
    assert str(violations_of({"accuracy": 0.5}, THRESHOLDS[:1])[0]) == (
        "accuracy: 0.5000 < lower_limit 0.8000")  # quality lines unchanged
