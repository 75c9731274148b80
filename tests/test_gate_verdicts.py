"""Three-way verdicts and the gate's decision: the interval rule at its boundaries, the issue's
inconclusive example and its lines, worst-of, refuse versus warn, fairness per feature, and the
champion comparison paired on record ids."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from mlmonitor_lib.gate.decision import GateDecision, ThresholdVerdict
from mlmonitor_lib.gate.fairness import disparate_impact
from mlmonitor_lib.gate.intervals import wilson_bounds
from mlmonitor_lib.gate.verdicts import (
    decide,
    judge_champion,
    judge_fairness,
    judge_quality,
    verdict_of,
)
from mlmonitor_lib.signature import FairnessParameters

ACCURACY_80 = {"metric_id": "accuracy", "type": "lower_limit", "value": 0.80}
SEX = {"feature": "sex", "majority": ["male"], "minority": ["female"], "threshold": 0.8}


def _records(n: int, correct: int, *, prefix: str = "r") -> list[dict]:
    """``n`` binary feedback records, the first ``correct`` predicted right."""
    return [{"id": f"{prefix}{i}", "label": i % 2, "prediction": i % 2 if i < correct
             else 1 - i % 2, "score": None, "probabilities": None} for i in range(n)]


def _verdict(name: str, verdict: str) -> ThresholdVerdict:
    return ThresholdVerdict(name=name, kind="quality", metric_id=name, type="lower_limit",
                            threshold=0.8, estimate=0.8, low=0.7, high=0.9, level=0.95,
                            method="wilson", records=100, verdict=verdict)


# the rule ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("low", "high", "expected"), [
    (0.80, 0.90, "pass"), (0.81, 0.90, "pass"), (0.79, 0.90, "inconclusive"),
    (0.70, 0.80, "inconclusive"), (0.70, 0.7999, "fail"), (math.nan, 0.9, "inconclusive")])
def test_a_lower_limit_passes_when_the_whole_interval_meets_it(low, high, expected):
    assert verdict_of(low, high, 0.80, "lower_limit") == expected


@pytest.mark.parametrize(("low", "high", "expected"), [
    (0.1, 0.2, "pass"), (0.1, 0.2001, "inconclusive"), (0.2, 0.3, "inconclusive"),
    (0.2001, 0.3, "fail"), (0.1, math.nan, "inconclusive")])
def test_an_upper_limit_is_the_mirror_image(low, high, expected):
    assert verdict_of(low, high, 0.2, "upper_limit") == expected


def test_an_unknown_limit_type_is_refused():
    with pytest.raises(ValueError, match="neither lower_limit nor upper_limit"):
        verdict_of(0.1, 0.2, 0.3, "limit")


# quality --------------------------------------------------------------------------------------
def test_83_of_100_against_80_is_inconclusive_and_says_683_records_would_decide():
    [found] = judge_quality(_records(100, 83), [ACCURACY_80], [0, 1],
                            measured={"accuracy": 0.83})
    assert (found.verdict, found.estimate, found.measured) == ("inconclusive", 0.83, 0.83)
    assert found.records_to_decide == 683
    assert found.line() == ("accuracy 0.830 [0.745, 0.891] (95 %, Wilson, 100 records) vs "
                            "lower_limit 0.800: inconclusive; about 683 records would decide")
    decision = decide([found])
    assert decision.lines()[-1] == (
        "gate: inconclusive (1 inconclusive): inconclusive refuses the release (signature: "
        "release_gate.inconclusive = refuse)")
    assert (decision.approved, decision.exit_code) == (False, 2)


def test_the_same_accuracy_on_the_records_that_decide_passes():
    n = 700  # 581 / 700 = 0.83, at least the 683 records the inconclusive verdict asked for
    [found] = judge_quality(_records(n, 581), [ACCURACY_80], [0, 1])
    assert found.estimate == pytest.approx(0.83)
    assert (found.verdict, found.records_to_decide) == ("pass", None)
    assert found.low == pytest.approx(wilson_bounds(581 / 700, 700, 0.95)[0])


def test_a_certain_breach_fails_and_the_signatures_10_records_decide_nothing():
    [breach] = judge_quality(_records(100, 60), [ACCURACY_80], [0, 1])
    assert breach.verdict == "fail" and breach.high < 0.80
    assert breach.line().endswith("vs lower_limit 0.800: fail")
    [few] = judge_quality(_records(10, 9), [ACCURACY_80], [0, 1])
    assert few.verdict == "inconclusive" and few.records_to_decide > 10


def test_recall_uses_wilson_on_the_positives_and_auc_a_seeded_bootstrap():
    rng = np.random.default_rng(2)
    records = []
    for i in range(300):
        label = int(rng.random() < 0.3)
        score = float(np.clip(rng.normal(0.35 + 0.3 * label, 0.2), 0, 1))
        records.append({"id": str(i), "label": label, "prediction": int(score >= 0.5),
                        "score": None, "probabilities": [1 - score, score]})
    thresholds = [{"metric_id": "recall", "type": "lower_limit", "value": 0.5},
                  {"metric_id": "area_under_roc", "type": "lower_limit", "value": 0.7},
                  {"metric_id": "log_loss", "type": "upper_limit", "value": 0.9}]
    recall, auc, log_loss = judge_quality(records, thresholds, [0, 1], resamples=400, seed=5)
    positives = sum(r["label"] for r in records)
    assert (recall.method, recall.detail["trials"]) == ("wilson", positives)
    assert f"300 records, {positives} positives" in recall.line()
    assert auc.method == "bootstrap" and auc.detail["resamples"] == 400
    assert auc.low < auc.estimate < auc.high
    again = judge_quality(records, thresholds[1:2], [0, 1], resamples=400, seed=5)[0]
    other = judge_quality(records, thresholds[1:2], [0, 1], resamples=400, seed=6)[0]
    assert (again.low, again.high) == (auc.low, auc.high)
    assert (other.low, other.high) != (auc.low, auc.high)
    assert log_loss.verdict == "pass" and log_loss.type == "upper_limit"


def test_a_metric_the_records_cannot_give_fails_and_says_why():
    thresholds = [{"metric_id": "log_loss", "type": "upper_limit", "value": 0.5}]
    [found] = judge_quality(_records(50, 40), thresholds, [0, 1])
    assert found.verdict == "fail" and math.isnan(found.estimate)
    assert found.line().endswith("fail; not measurable: log_loss needs every record's "
                                 "probability")


def test_no_records_are_inconclusive_and_a_signature_threshold_and_alias_are_taken():
    from mlmonitor_lib.signature import Threshold

    thresholds = [Threshold(metric_id="accuracy", type="lower_limit", value=0.8),
                  {"metric_id": "weighted_f1_measure", "type": "lower_limit", "value": 0.5}]
    none = judge_quality([], thresholds[:1], [0, 1, 2])
    assert none[0].verdict == "inconclusive" and none[0].records_to_decide is None
    assert none[0].detail["reason"] == "no records to judge"
    assert none[0].line().endswith("inconclusive; no records to judge")
    records = [{"id": str(i), "label": i % 3, "prediction": i % 3, "score": None,
                "probabilities": None} for i in range(60)]
    accuracy, f1 = judge_quality(records, thresholds, [0, 1, 2], resamples=100,
                                 measured={"weighted_f_measure": 0.97})
    assert accuracy.verdict == "pass"
    assert (f1.metric_id, f1.estimate, f1.measured) == ("weighted_f_measure", 1.0, 0.97)
    assert "1.000 (OpenScale: 0.970)" in f1.line()


def test_records_may_be_objects_with_the_fields_as_attributes():
    @dataclass
    class GateRecord:
        id: str
        label: int
        prediction: int
        score: float | None
        probabilities: list[float] | None

    objects = [GateRecord(**r) for r in _records(100, 83)]
    assert judge_quality(objects, [ACCURACY_80], [0, 1]) == judge_quality(
        _records(100, 83), [ACCURACY_80], [0, 1])


# decision --------------------------------------------------------------------------------------
def test_the_overall_verdict_is_the_worst_and_its_exit_code():
    passed, unsure, failed = (_verdict("a", "pass"), _verdict("b", "inconclusive"),
                              _verdict("c", "fail"))
    assert decide([passed, passed]).overall == "pass"
    assert decide([passed, unsure]).overall == "inconclusive"
    assert decide([unsure, failed, passed]).overall == "fail"
    assert [decide(v).exit_code for v in ([passed], [passed, unsure], [unsure, failed])] == [
        0, 2, 1]
    assert decide([]).lines() == ["gate: pass (no thresholds): nothing to judge, the release "
                                  "is approved"]


def test_warn_lets_an_inconclusive_release_through_but_never_a_failure():
    passed, unsure, failed = (_verdict("a", "pass"), _verdict("b", "inconclusive"),
                              _verdict("c", "fail"))
    warned = decide([passed, unsure], rule="warn")
    assert (warned.approved, warned.exit_code) == (True, 0)
    assert warned.lines()[-1] == (
        "gate: inconclusive (1 inconclusive, 1 pass): inconclusive only warns, the release is "
        "approved (signature: release_gate.inconclusive = warn)")
    refused = decide([unsure, failed], rule="warn")
    assert (refused.approved, refused.exit_code) == (False, 1)
    assert refused.lines()[-1] == ("gate: fail (1 fail, 1 inconclusive): a certain breach "
                                   "refuses the release")
    assert decide([passed]).lines()[-1] == "gate: pass (1 pass): the release is approved"
    with pytest.raises(ValueError, match="'refuse' or 'warn'"):
        decide([passed], rule="allow")


def test_a_decision_round_trips_through_json_with_nan_bounds_and_recomputes_its_verdict():
    [found] = judge_fairness([], {"features": [SEX], "favourable_class": [1]})
    decision = decide([found, _verdict("accuracy", "pass")], rule="warn")
    text = decision.model_dump_json()
    back = GateDecision.model_validate_json(text)
    assert math.isnan(back.verdicts[0].low) and back.verdicts[1] == decision.verdicts[1]
    assert (back.overall, back.approved, back.rule) == ("inconclusive", True, "warn")
    tampered = text.replace('"approved":true', '"approved":false').replace(
        '"rule":"warn"', '"rule":"refuse"')
    assert GateDecision.model_validate_json(tampered).approved is False  # follows the rule


# fairness --------------------------------------------------------------------------------------
def _payload(n: int, seed: int, female_rate: float, male_rate: float) -> list[dict]:
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(n):
        sex = "female" if rng.random() < 0.4 else "male"
        rate = female_rate if sex == "female" else male_rate
        samples.append({"id": str(i), "features": {"sex": sex, "age": int(rng.integers(18, 70))},
                        "prediction": int(rng.random() < rate)})
    return samples


def test_disparate_impact_per_feature_with_a_reproducible_bootstrap():
    payload = _payload(400, 1, 0.5, 0.7)
    params = FairnessParameters(
        features=[SEX, {"feature": "age", "majority": [[26, 100]], "minority": [[18, 25]],
                        "threshold": 0.8}], favourable_class=[1], unfavourable_class=[0])
    sex, age = judge_fairness(payload, params, resamples=500, seed=3)
    values = [s["features"]["sex"] for s in payload]
    predictions = [s["prediction"] for s in payload]
    assert sex.estimate == disparate_impact(values, predictions, ["female"], ["male"], [1])
    assert sex.name == "disparate impact of sex (female vs male)"
    assert age.name == "disparate impact of age (18-25 vs 26-100)"
    assert (sex.kind, sex.type, sex.threshold, sex.method) == (
        "fairness", "lower_limit", 0.8, "bootstrap")
    assert sex.low < sex.estimate < sex.high and sex.detail["group"] == "female"
    again = judge_fairness(payload, params, resamples=500, seed=3)[0]
    assert (again.low, again.high) == (sex.low, sex.high)
    assert "400 payload records" in sex.line()


def test_a_biased_model_on_many_records_fails_and_a_fair_one_passes():
    biased = judge_fairness(_payload(3000, 2, 0.35, 0.7), {"features": [SEX],
                                                            "favourable_class": [1]},
                            resamples=300)[0]
    assert biased.verdict == "fail" and biased.high < 0.8
    fair = judge_fairness(_payload(3000, 3, 0.7, 0.7), {"features": [SEX],
                                                         "favourable_class": [1]},
                          resamples=300)[0]
    assert fair.verdict == "pass" and fair.low >= 0.8


def test_a_feature_without_its_group_or_a_favourable_reference_is_inconclusive_saying_why():
    only_men = [s for s in _payload(200, 4, 0.5, 0.7) if s["features"]["sex"] == "male"]
    [no_group] = judge_fairness(only_men, {"features": [SEX], "favourable_class": [1]})
    assert no_group.verdict == "inconclusive" and math.isnan(no_group.low)
    assert no_group.detail["reason"] == "no payload record is in the monitored group female"
    assert no_group.line().endswith("inconclusive; no payload record is in the monitored "
                                    "group female")
    never_favoured = [dict(s, prediction=0 if s["features"]["sex"] == "male" else 1)
                      for s in _payload(200, 5, 0.5, 0.7)]
    [no_reference] = judge_fairness(never_favoured, {"features": [SEX],
                                                     "favourable_class": [1]})
    assert (no_reference.verdict, no_reference.records_to_decide) == ("inconclusive", None)
    assert "reference group male has a favourable outcome" in no_reference.detail["reason"]


# champion ------------------------------------------------------------------------------------
def _pair(n: int, new_right: float, old_right: float, seed: int) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    new, old = [], []
    for i in range(n):
        label = int(rng.random() < 0.5)
        right_new, right_old = rng.random() < new_right, rng.random() < old_right
        new.append({"id": f"x{i}", "label": label,
                    "prediction": label if right_new else 1 - label, "score": None})
        old.append({"id": f"x{i}", "label": label,
                    "prediction": label if right_old else 1 - label, "score": None})
    return new, old


def test_a_worse_challenger_fails_against_its_champion_with_mcnemar_in_the_line():
    new, old = _pair(1000, 0.75, 0.85, 6)
    [found] = judge_champion(new, old, [{"metric_id": "accuracy", "max_drop": 0.01}], [0, 1],
                             champion="gcr-run-1")
    assert found.verdict == "fail" and found.high < -0.01
    assert (found.kind, found.method, found.threshold) == ("champion", "newcombe", -0.01)
    assert found.detail["champion"] == "gcr-run-1" and found.detail["mcnemar_p"] < 1e-4
    assert found.name == "accuracy vs champion"
    assert " (95 %, Newcombe paired, 1000 paired records) vs max drop 0.010: fail; exact " \
           "McNemar p = " in found.line()


def test_an_equal_challenger_is_inconclusive_on_few_records_and_passes_on_many():
    new, old = _pair(100, 0.85, 0.85, 7)
    [few] = judge_champion(new, new, [{"metric_id": "accuracy", "max_drop": 0.01}], [0, 1])
    assert (few.estimate, few.verdict) == (0.0, "inconclusive")  # the interval is not 0
    assert few.detail["mcnemar_p"] == 1.0
    identical = judge_champion(new, new, [{"metric_id": "precision", "max_drop": 0.01}],
                               [0, 1], resamples=100)[0]
    assert (identical.low, identical.high, identical.verdict) == (0.0, 0.0, "pass")
    new, old = _pair(4000, 0.90, 0.85, 8)
    [many] = judge_champion(new, old, [{"metric_id": "accuracy", "max_drop": 0.01}], [0, 1])
    assert many.verdict == "pass" and many.low > 0


def test_records_are_paired_on_the_ids_both_runs_hold():
    new, old = _pair(300, 0.8, 0.8, 9)
    extra = [dict(r, id=f"only-new-{i}") for i, r in enumerate(new[:20])]
    [found] = judge_champion(new + extra, old[50:], [{"metric_id": "accuracy",
                                                     "max_drop": 0.05}], [0, 1])
    assert found.records == 250
    assert (found.detail["paired"], found.detail["challenger_only_records"],
            found.detail["champion_only_records"]) == (250, 70, 0)
    [alone] = judge_champion(new, [dict(r, id="z" + r["id"]) for r in old],
                             [{"metric_id": "accuracy", "max_drop": 0.01}], [0, 1])
    assert alone.verdict == "inconclusive" and alone.records == 0
    assert alone.line().endswith("inconclusive; no record in common: the champion's evidence "
                                 "holds 300 records, this run 300, none with the same id")


def test_a_lower_is_better_metric_is_turned_so_that_a_worse_challenger_fails():
    rng = np.random.default_rng(11)
    new, old = [], []
    for i in range(500):
        label = int(rng.random() < 0.5)
        good = float(np.clip(0.75 if label else 0.25 + rng.normal(0, 0.05), 0.01, 0.99))
        bad = float(np.clip(0.55 if label else 0.45 + rng.normal(0, 0.05), 0.01, 0.99))
        old.append({"id": str(i), "label": label, "prediction": int(good >= 0.5),
                    "score": good})
        new.append({"id": str(i), "label": label, "prediction": int(bad >= 0.5),
                    "score": bad})
    [found] = judge_champion(new, old, [{"metric_id": "log_loss", "max_drop": 0.01}], [0, 1],
                             resamples=300)
    assert found.detail["difference"] == "champion - challenger"
    assert found.estimate < 0 and found.verdict == "fail"
