"""The gate's numbers: Wilson intervals (against scipy and the formula, and their coverage),
the seeded bootstrap, how many records decide, OpenScale's metrics recomputed from records (against
the OpenScale emulator and scikit-learn), disparate impact, Newcombe's paired interval and the
exact McNemar test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlmonitor_lib.emulators.openscale import fairness as emulated_fairness
from mlmonitor_lib.emulators.openscale.quality import binary_quality, quality_metrics
from mlmonitor_lib.gate.fairness import disparate_impact
from mlmonitor_lib.gate.intervals import (
    Interval,
    bootstrap_interval,
    proportion_interval,
    records_to_decide,
    wilson_bounds,
)
from mlmonitor_lib.gate.metrics import CodedRecords, quality_metric
from mlmonitor_lib.gate.paired import mcnemar_exact_p, newcombe_paired_interval, paired_difference
from mlmonitor_lib.signature import QUALITY_METRICS_BY_PROBLEM

Z95 = 1.959963984540054


# Wilson ------------------------------------------------------------------------------------
def test_wilson_of_83_in_100_equals_scipy_and_the_textbook_formula():
    from scipy.stats import binomtest

    found = proportion_interval(83, 100, 0.95)
    expected = binomtest(83, 100).proportion_ci(confidence_level=0.95, method="wilson")
    assert (found.low, found.high) == pytest.approx((expected.low, expected.high), abs=1e-12)
    # (k + z²/2 ± z sqrt(k (n - k) / n + z²/4)) / (n + z²)
    k, n, z = 83, 100, Z95
    half = z * math.sqrt(k * (n - k) / n + z * z / 4)
    assert found.low == pytest.approx((k + z * z / 2 - half) / (n + z * z), abs=1e-12)
    assert found.high == pytest.approx((k + z * z / 2 + half) / (n + z * z), abs=1e-12)
    assert (round(found.low, 4), round(found.high, 4)) == (0.7445, 0.8911)
    assert (found.level, found.method) == (0.95, "wilson")


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("n", [1, 7, 10, 100])
def test_wilson_equals_scipy_at_every_count(n, level):
    from scipy.stats import binomtest

    for k in range(n + 1):
        found = proportion_interval(k, n, level)
        ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
        assert (found.low, found.high) == pytest.approx((ci.low, ci.high), abs=1e-12), (k, n)


def test_wilson_without_trials_is_nan_and_a_level_outside_0_1_is_refused():
    assert not proportion_interval(0, 0, 0.95).defined
    with pytest.raises(ValueError, match="between 0 and 1"):
        proportion_interval(5, 10, 95)


@pytest.mark.parametrize(("p", "n"), [(0.83, 100), (0.9, 20), (0.5, 10)])
def test_wilson_intervals_hold_the_true_proportion_about_95_in_100_times(p, n):
    """Coverage by simulation: 4,000 feedback sets; the Monte-Carlo standard error is about
    0.0035, and Wilson's coverage oscillates within a point or two of 95 % (a Wald interval
    gives 0.87 at p = 0.9, n = 20 and fails this)."""
    rng = np.random.default_rng(17)
    successes = rng.binomial(n, p, 4000)
    bounds = {k: wilson_bounds(k / n, n, 0.95) for k in range(n + 1)}
    held = np.mean([bounds[k][0] <= p <= bounds[k][1] for k in successes])
    assert 0.925 <= held <= 0.985, held


# bootstrap ----------------------------------------------------------------------------------
def _mean_of(values):
    return lambda indices: float(np.mean(values[indices]))


def test_bootstrap_is_reproducible_bit_for_bit_and_the_seed_matters():
    values = np.random.default_rng(3).normal(size=200)
    first = bootstrap_interval(_mean_of(values), 200, 0.95, 500, seed=11)
    again = bootstrap_interval(_mean_of(values), 200, 0.95, 500, seed=11)
    other = bootstrap_interval(_mean_of(values), 200, 0.95, 500, seed=12)
    assert (first.low, first.high) == (again.low, again.high)
    assert (first.low, first.high) != (other.low, other.high)
    assert (first.method, first.resamples, first.dropped) == ("bootstrap", 500, 0)


def test_bootstrap_of_a_mean_is_close_to_the_normal_interval():
    values = np.random.default_rng(5).normal(10.0, 2.0, 400)
    found = bootstrap_interval(_mean_of(values), 400, 0.95, 4000, seed=1)
    half = Z95 * values.std() / math.sqrt(400)
    assert found.low == pytest.approx(values.mean() - half, abs=0.03)
    assert found.high == pytest.approx(values.mean() + half, abs=0.03)
    assert found.contains(values.mean())


def test_bootstrap_drops_undefined_resamples_and_gives_up_past_half():
    calls = iter(range(10_000))

    def a_third_undefined(indices):
        return math.nan if next(calls) % 3 == 0 else float(indices.mean())

    kept = bootstrap_interval(a_third_undefined, 50, 0.9, 300, seed=1)
    assert kept.defined and kept.dropped == 100
    calls = iter(range(10_000))

    def two_thirds_undefined(indices):
        return float(indices.mean()) if next(calls) % 3 == 0 else math.nan

    lost = bootstrap_interval(two_thirds_undefined, 50, 0.9, 300, seed=1)
    assert not lost.defined and lost.dropped == 200
    assert not bootstrap_interval(lambda i: 1.0, 0, 0.95, 10, seed=1).defined


# records to decide --------------------------------------------------------------------------
def test_83_percent_against_80_needs_683_records_to_decide():
    """The issue's example: 100 records at 0.83 against a lower limit of 0.80 are inconclusive;
    683 records at 0.83 give a Wilson interval that just excludes 0.80, 682 do not."""
    interval = proportion_interval(83, 100, 0.95)
    assert interval.contains(0.80)
    needed = records_to_decide(0.83, interval, 100, 0.80)
    assert needed == 683
    assert wilson_bounds(0.83, needed, 0.95)[0] > 0.80
    assert wilson_bounds(0.83, needed - 1, 0.95)[0] < 0.80


def test_records_to_decide_below_the_threshold_and_for_a_share_of_the_records():
    interval = proportion_interval(75, 100, 0.95)
    needed = records_to_decide(0.75, interval, 100, 0.80)
    assert wilson_bounds(0.75, needed, 0.95)[1] < 0.80 <= wilson_bounds(0.75, needed - 1,
                                                                        0.95)[1]
    # recall over 25 positives of 100 records: positives needed, scaled to records
    recall = proportion_interval(20, 25, 0.95)
    positives = records_to_decide(0.8, recall, 25, 0.7)
    assert records_to_decide(0.8, recall, 25, 0.7, records=100) == math.ceil(positives * 4)


def test_records_to_decide_for_a_bootstrap_scales_with_the_width_on_the_thresholds_side():
    interval = Interval(0.6, 0.85, 0.95, "bootstrap", 2000)
    assert records_to_decide(0.8, interval, 100, 0.7) == 400  # width 0.2, gap 0.1
    assert records_to_decide(0.8, interval, 100, 0.82) == 625  # width 0.05, gap 0.02
    assert records_to_decide(0.8, interval, 100, 0.8) is None
    assert records_to_decide(0.8, Interval(math.nan, math.nan, 0.95, "bootstrap"), 100,
                             0.7) is None
    assert records_to_decide(0.8, proportion_interval(8, 10, 0.95), 10, 0.8) is None


# OpenScale's quality metrics -----------------------------------------------------------------
def _random_binary(seed: int, n: int = 300, *, tied: bool = True):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0.0, 1.0)
    if tied:
        scores = np.round(scores, 1)  # many tied scores, as a coarse model gives
    predictions = (scores >= 0.5).astype(int)
    return labels.tolist(), predictions.tolist(), scores.tolist()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_binary_metric_equals_the_openscale_emulators_with_tied_scores(seed):
    labels, predictions, scores = _random_binary(seed)
    emulated = binary_quality(labels, predictions, scores).metrics
    for metric in QUALITY_METRICS_BY_PROBLEM["binary"]:
        ours = quality_metric(metric, labels, predictions, scores, [0, 1])
        assert abs(ours - emulated[metric]) <= 1e-9, metric


def test_binary_metrics_without_scores_and_with_float_labels_equal_the_emulators():
    labels, predictions, _ = _random_binary(4)
    as_read = [float(v) for v in labels]  # labels read from CSV
    emulated = binary_quality(as_read, predictions, [None] * len(labels)).metrics
    for metric in QUALITY_METRICS_BY_PROBLEM["binary"]:
        ours = quality_metric(metric, as_read, predictions, None, [0, 1])
        if emulated[metric] is None:
            assert math.isnan(ours), metric
        else:
            assert abs(ours - emulated[metric]) <= 1e-9, metric


def test_binary_metrics_of_string_classes_take_the_second_class_as_positive():
    labels, predictions, scores = _random_binary(5)
    names = ["No Risk", "Risk"]
    emulated = binary_quality(labels, predictions, scores).metrics
    for metric in ("precision", "recall", "area_under_roc", "f1_measure"):
        ours = quality_metric(metric, [names[v] for v in labels],
                              [names[v] for v in predictions], scores, names)
        assert abs(ours - emulated[metric]) <= 1e-9, metric


@pytest.mark.parametrize("seed", [1, 2])
def test_every_multiclass_metric_equals_the_openscale_emulators(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 6, 500)
    # class 5 is never predicted; class 6 is predicted but never a label
    predictions = np.where(rng.random(500) < 0.7, labels, rng.integers(0, 7, 500))
    predictions[predictions == 5] = 4
    emulated = quality_metrics([str(v) for v in labels], [str(v) for v in predictions]).metrics
    for metric in QUALITY_METRICS_BY_PROBLEM["multiclass"]:
        ours = quality_metric(metric, labels.tolist(), predictions.tolist(), None,
                              list(range(6)))
        expected = emulated["weighted_f_measure" if metric == "weighted_f1_measure" else metric]
        assert abs(ours - expected) <= 1e-9, metric


def test_metrics_agree_with_scikit_learn():
    from sklearn import metrics as sk

    labels, predictions, scores = _random_binary(6)
    assert quality_metric("area_under_roc", labels, predictions, scores, [0, 1]) == \
        pytest.approx(sk.roc_auc_score(labels, scores), abs=1e-12)
    assert quality_metric("matthews_correlation_coefficient", labels, predictions, scores,
                          [0, 1]) == pytest.approx(sk.matthews_corrcoef(labels, predictions))
    assert quality_metric("brier_score", labels, predictions, scores, [0, 1]) == \
        pytest.approx(sk.brier_score_loss(labels, scores))
    rng = np.random.default_rng(8)
    y = rng.integers(0, 4, 400)
    yhat = np.where(rng.random(400) < 0.6, y, rng.integers(0, 4, 400))
    assert quality_metric("weighted_f_measure", y, yhat, None, range(4)) == pytest.approx(
        sk.f1_score(y, yhat, average="weighted"))
    assert quality_metric("weighted_precision", y, yhat, None, range(4)) == pytest.approx(
        sk.precision_score(y, yhat, average="weighted"))


def test_strict_metrics_are_undefined_where_openscale_reports_zero():
    coded = CodedRecords.of([0, 0, 0], [0, 0, 1], [0.1, 0.2, 0.6], [0, 1])
    assert coded.metric("area_under_roc") == 0.0  # OpenScale's value with one class
    assert math.isnan(coded.metric("area_under_roc", strict=True))
    assert math.isnan(coded.metric("recall", strict=True))
    assert coded.metric("false_positive_rate", strict=True) == pytest.approx(1 / 3)
    assert coded.counts("precision") == (0, 1)


def test_an_unknown_metric_or_a_third_class_in_a_binary_model_is_refused():
    with pytest.raises(ValueError, match="'f1_score' is not a quality metric"):
        quality_metric("f1_score", [0, 1], [0, 1], None, [0, 1])
    with pytest.raises(ValueError, match="exactly 2 classes"):
        quality_metric("precision", [0, 1, 2], [0, 1, 1], None, [0, 1])


# disparate impact ------------------------------------------------------------------------------
def test_disparate_impact_equals_the_openscale_emulators():
    rng = np.random.default_rng(9)
    rows = [{"sex": str(rng.choice(["female", "male", "other"])),
             "age": int(rng.integers(18, 80)), "label": int(rng.random() < 0.6)}
            for _ in range(600)]
    parameters = {"features": [
        {"feature": "sex", "majority": ["male"], "minority": ["female", "other"],
         "threshold": 0.8},
        {"feature": "age", "majority": [[26, 100]], "minority": [[18, 25], [20, 30]],
         "threshold": 0.8}], "favourable_class": [1], "unfavourable_class": [0]}
    emulated = {f.feature: f for f in emulated_fairness.disparate_impact(rows, "label",
                                                                         parameters)}
    for spec in parameters["features"]:
        ours = disparate_impact([r[spec["feature"]] for r in rows], [r["label"] for r in rows],
                                spec["minority"], spec["majority"], [1])
        expected = min(emulated[spec["feature"]].ratios().values())
        assert abs(ours - expected) <= 1e-12
        assert round(100 * ours, 3) == emulated[spec["feature"]].value


def test_disparate_impact_is_nan_without_a_group_or_a_favourable_reference():
    values, predictions = ["m", "m", "f"], [0, 0, 1]
    assert math.isnan(disparate_impact(values, predictions, ["f"], ["m"], [1]))
    assert math.isnan(disparate_impact(values, predictions, ["x"], ["m"], [0]))
    assert disparate_impact(values, predictions, ["f"], ["m"], [0]) == 0.0


# champion and challenger --------------------------------------------------------------------------
def test_newcombe_paired_interval_equals_contingencytables():
    """Cavo et al. (2012) as in Fagerland, Lydersen and Laake's contingencytables (chapter 8):
    estimate -0.0621, 95 % CI -0.1186 to -0.0046."""
    found = newcombe_paired_interval(59, 6, 16, 80, 0.95)
    assert (round(found.low, 4), round(found.high, 4)) == (-0.1186, -0.0046)
    assert found.method == "newcombe"


def test_mcnemar_exact_p_is_the_two_sided_binomial_on_discordant_pairs():
    expected = 2 * sum(math.comb(22, i) for i in range(7)) / 2 ** 22
    assert mcnemar_exact_p(6, 16) == pytest.approx(expected, rel=1e-12)
    assert mcnemar_exact_p(16, 6) == pytest.approx(expected, rel=1e-12)
    assert mcnemar_exact_p(0, 0) == 1.0


def test_paired_difference_of_accuracy_and_of_a_bootstrapped_metric():
    labels, predictions, scores = _random_binary(10)
    rng = np.random.default_rng(10)
    other = [p if rng.random() < 0.9 else 1 - p for p in predictions]
    other_scores = [min(1.0, s + 0.1) for s in scores]
    new = CodedRecords.of(labels, predictions, scores, [0, 1])
    old = CodedRecords.of(labels, other, other_scores, [0, 1])
    accuracy = paired_difference("accuracy", new, old, 0.95, 100, seed=1)
    assert accuracy.estimate == pytest.approx(new.metric("accuracy") - old.metric("accuracy"))
    assert accuracy.interval.method == "newcombe" and accuracy.interval.contains(
        accuracy.estimate)
    assert accuracy.mcnemar_p == mcnemar_exact_p(accuracy.challenger_only,
                                                 accuracy.champion_only)
    auc = paired_difference("area_under_roc", new, old, 0.95, 300, seed=1)
    again = paired_difference("area_under_roc", new, old, 0.95, 300, seed=1)
    assert auc.interval == again.interval and auc.mcnemar_p is None
    assert auc.estimate == pytest.approx(new.metric("area_under_roc")
                                         - old.metric("area_under_roc"))
    same = paired_difference("area_under_roc", new, new, 0.95, 50, seed=1)
    assert (same.estimate, same.interval.low, same.interval.high) == (0.0, 0.0, 0.0)
