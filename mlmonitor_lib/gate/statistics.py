"""The gate's numbers: metrics recomputed from the gate records, their intervals, and how many
records would decide.

Why intervals: 100 feedback records measuring an accuracy of 0.83 are as consistent with a true
accuracy of 0.75 as of 0.89, so a threshold of 0.80 cannot be judged on the point estimate. Every
number the gate judges therefore comes with an interval at the signature's confidence level:

- **Wilson score interval** (E. B. Wilson, "Probable inference, the law of succession, and
  statistical inference", JASA 22, 1927) for a proportion with a known denominator (accuracy,
  true positive rate, false positive rate, precision). It keeps close to its nominal coverage
  down to tens of records and near 0 or 1, where the textbook Wald interval does not (Brown, Cai
  and DasGupta, Statistical Science 16, 2001). Computed here from its closed form, so that
  :func:`records_to_decide` can evaluate it at any size; equal to
  ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.
- **Percentile bootstrap** (Efron and Tibshirani, "An Introduction to the Bootstrap", 1993, ch.
  13) for every other metric (area under ROC and PR, F1, log loss, the weighted multiclass
  metrics) and for disparate impact: the records are resampled with replacement, the metric is
  recomputed on each resample, and the interval is the ``(1 - level) / 2`` and
  ``(1 + level) / 2`` quantiles of those values. Seeded (``numpy.random.default_rng(seed)``): the
  same records, level, resamples and seed give the same interval, bit for bit.
- **Newcombe's paired interval** (R. G. Newcombe, "Improved confidence intervals for the
  difference between binomial proportions based on paired data", Statistics in Medicine 17,
  1998, method 10: square-and-add of two Wilson intervals with a continuity-corrected correlation)
  for the difference of two models' accuracies on the same records, with the **exact McNemar
  test** (McNemar, Psychometrika 12, 1947; a two-sided binomial test on the discordant pairs) as
  its p-value. Other paired metrics use a paired bootstrap (both models' records resampled
  together).

The metrics are OpenScale's, recomputed from records (:class:`CodedRecords`): the same
definitions, conventions (a zero denominator gives 0.0) and tie handling as the OpenScale
emulator reproduces from recorded runs, so the gate's estimate is the number OpenScale reports.
Pure functions on numpy arrays, no I/O; scipy is imported only by the McNemar test.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

from mlmonitor_lib.signature import QUALITY_METRICS_BY_PROBLEM
from mlmonitor_lib.thresholds import METRIC_ALIASES

Method = Literal["wilson", "bootstrap", "newcombe"]

MULTICLASS_ONLY = frozenset(QUALITY_METRICS_BY_PROBLEM["multiclass"]) - {"accuracy"}
BINARY_ONLY = frozenset(QUALITY_METRICS_BY_PROBLEM["binary"]) - {"accuracy"}
# the metrics judged with a Wilson interval: a proportion of a count of records
PROPORTIONS = frozenset({"accuracy", "true_positive_rate", "recall", "false_positive_rate",
                         "precision"})
# where a smaller value is the better model (a champion comparison turns these around)
LOWER_IS_BETTER = frozenset({"false_positive_rate", "weighted_false_positive_rate", "log_loss",
                             "brier_score"})
# what a proportion counts, for the lines that print it
DENOMINATORS = {"accuracy": "records", "true_positive_rate": "positives", "recall": "positives",
                "false_positive_rate": "negatives", "precision": "predicted positives"}
LOG_LOSS_CLIP = 1e-15  # as OpenScale (and scikit-learn's log_loss before 1.5) clip


@dataclass(frozen=True)
class Interval:
    """A confidence interval: ``low`` and ``high`` at ``level`` (0.95), by ``method``. NaN
    bounds mean the data cannot give one (no records, or most bootstrap resamples undefined).
    A bootstrap interval also says how many resamples it drew and how many it dropped."""

    low: float
    high: float
    level: float
    method: Method
    resamples: int | None = None
    dropped: int = 0

    @property
    def defined(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))

    def contains(self, value: float) -> bool:
        return self.defined and self.low <= value <= self.high


def z_of(level: float) -> float:
    """The standard normal quantile of a two-sided ``level`` (1.959964 for 0.95)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"a confidence level is between 0 and 1 (exclusive), not {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson_bounds(proportion: float, trials: float, level: float) -> tuple[float, float]:
    """Wilson's score interval around an observed ``proportion`` of ``trials``: the
    proportions p whose score test ``|proportion - p| <= z sqrt(p (1 - p) / trials)`` does not
    reject. Defined for any positive ``trials`` (not only whole counts), which is what lets
    :func:`records_to_decide` ask how the interval would look with more records."""
    if trials <= 0 or math.isnan(proportion):
        return math.nan, math.nan
    z = z_of(level)
    z2 = z * z
    scale = 1.0 + z2 / trials
    centre = (proportion + z2 / (2 * trials)) / scale
    spread = z * math.sqrt(proportion * (1 - proportion) / trials + z2 / (4 * trials * trials))
    half = spread / scale
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion_interval(successes: int, trials: int, level: float) -> Interval:
    """The Wilson score interval of ``successes`` out of ``trials`` (NaN bounds for none)."""
    if trials <= 0:
        return Interval(math.nan, math.nan, level, "wilson")
    low, high = wilson_bounds(successes / trials, trials, level)
    return Interval(low, high, level, "wilson")


def bootstrap_interval(statistic: Callable[[np.ndarray], float], n: int, level: float,
                       resamples: int, seed: int) -> Interval:
    """Percentile bootstrap interval of ``statistic`` over ``n`` records.

    ``statistic(indices)`` gets one resample's record positions (``n`` draws with replacement
    from ``0..n-1``) and returns the metric on those records. A resample whose statistic is
    undefined (NaN: one class only, an empty group) is dropped, since no value of the metric
    exists for it; when more than half are dropped the records cannot support an interval and
    it is ``(nan, nan)``. Resamples are drawn one after the other from
    ``numpy.random.default_rng(seed)``, so memory stays at one resample and the result depends
    only on the inputs and the seed.
    """
    if resamples < 1:
        raise ValueError(f"a bootstrap needs at least one resample, not {resamples}")
    if n <= 0:
        return Interval(math.nan, math.nan, level, "bootstrap", resamples, resamples)
    z_of(level)  # refuses a level outside (0, 1)
    rng = np.random.default_rng(seed)
    values = np.empty(resamples, dtype=float)
    for i in range(resamples):
        values[i] = statistic(rng.integers(0, n, n))
    finite = values[~np.isnan(values)]
    dropped = resamples - finite.size
    if 2 * dropped > resamples:
        return Interval(math.nan, math.nan, level, "bootstrap", resamples, dropped)
    low, high = np.quantile(finite, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(low), float(high), level, "bootstrap", resamples, dropped)


def records_to_decide(estimate: float, interval: Interval, trials: int, threshold: float, *,
                      records: int | None = None) -> int | None:
    """How many records in total would make an interval of the same method, around the same
    estimate, exclude ``threshold`` (so the verdict would be pass or fail, not inconclusive).

    - Wilson: the smallest number of trials whose Wilson interval at ``estimate`` lies wholly
      on one side of the threshold (an exponential then a binary search: the bounds move
      monotonically towards the estimate as trials grow). When the proportion's denominator is
      not every record (recall counts positives), ``records`` is the total, and the answer is
      scaled by ``records / trials``: the records that bring that many positives.
    - bootstrap and Newcombe: an interval's width shrinks as one over the square root of the
      records, so ``records * (width / gap) ** 2`` rounded up, where ``width`` is the distance
      from the estimate to the bound on the threshold's side (the percentile interval need not
      be symmetric) and ``gap`` the distance from the estimate to the threshold.

    ``None`` when no number of records decides (the estimate equals the threshold), or when
    nothing is known (NaN estimate or interval, no trials).
    """
    total = trials if records is None else records
    if math.isnan(estimate) or math.isnan(threshold) or estimate == threshold or trials <= 0:
        return None
    if interval.method == "wilson":
        needed = _wilson_trials_to_exclude(estimate, threshold, interval.level)
        if needed is None:
            return None
        return math.ceil(needed * total / trials) if total != trials else needed
    if not interval.defined:
        return None
    gap = abs(estimate - threshold)
    width = estimate - interval.low if threshold < estimate else interval.high - estimate
    width = max(width, 0.0)
    # less a hair, so that a ratio of exactly 6.25 is not rounded up by its float error
    return max(1, math.ceil(total * (width / gap) ** 2 - 1e-9))


def _excludes(estimate: float, trials: int, threshold: float, level: float) -> bool:
    low, high = wilson_bounds(estimate, trials, level)
    return threshold < low or threshold > high


def _wilson_trials_to_exclude(estimate: float, threshold: float, level: float,
                              limit: int = 1 << 40) -> int | None:
    high = 1
    while not _excludes(estimate, high, threshold, level):
        high *= 2
        if high > limit:
            return None
    low = high // 2  # does not exclude (or is 0)
    while high - low > 1:
        middle = (low + high) // 2
        if _excludes(estimate, middle, threshold, level):
            high = middle
        else:
            low = middle
    return high


# metrics -------------------------------------------------------------------------------------
def class_value(value: Any) -> Any:
    """``1.0`` and ``1`` are one class (a label read from CSV as a float, a prediction as an
    int), as OpenScale's record keys make them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _natural(value: Any) -> tuple[int, Any]:
    """Numbers numerically, then strings: the order OpenScale lists classes in."""
    if isinstance(value, bool | int | float):
        return (0, float(value))
    return (1, str(value))


def canonical_metric(metric_id: str) -> str:
    """The OpenScale id of a metric (``weighted_f1_measure`` is ``weighted_f_measure``)."""
    return METRIC_ALIASES.get(metric_id, metric_id)


@dataclass(frozen=True)
class CodedRecords:
    """Labels, predictions and scores of a set of records, coded once so that a metric is
    quick to recompute on any resample of them.

    ``classes`` are the model's classes (the signature's ``class_labels``) followed by any other
    class the records hold, in natural order; ``label`` and ``prediction`` are indices into
    them. A binary model's positive class is ``classes[1]``. ``scores`` are the positive class's
    probabilities, or ``None`` when any record lacks one: then, as OpenScale does, the
    predictions rank the records for the curves and log loss and Brier score are not defined.
    """

    classes: tuple[Any, ...]
    label: np.ndarray
    prediction: np.ndarray
    scores: np.ndarray | None
    given: int  # how many of ``classes`` the model declares

    @classmethod
    def of(cls, labels: Sequence[Any], predictions: Sequence[Any],
           scores: Sequence[float | None] | None, classes: Sequence[Any]) -> CodedRecords:
        if len(labels) != len(predictions):
            raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")
        declared = list(dict.fromkeys(class_value(c) for c in classes))
        labels = [class_value(v) for v in labels]
        predictions = [class_value(v) for v in predictions]
        known = set(declared)
        extra = sorted({v for v in [*labels, *predictions] if v not in known}, key=_natural)
        order = {c: i for i, c in enumerate([*declared, *extra])}
        scored = scores is not None and len(scores) == len(labels) and all(
            s is not None and not (isinstance(s, float) and math.isnan(s)) for s in scores)
        return cls(
            classes=tuple([*declared, *extra]),
            label=np.fromiter((order[v] for v in labels), dtype=np.int64, count=len(labels)),
            prediction=np.fromiter((order[v] for v in predictions), dtype=np.int64,
                                   count=len(predictions)),
            scores=np.asarray(scores, dtype=float) if scored else None,
            given=len(declared))

    def __len__(self) -> int:
        return int(self.label.size)

    # the two families of metrics ------------------------------------------------------------
    def metric(self, metric_id: str, indices: np.ndarray | None = None, *,
               strict: bool = False) -> float:
        """``metric_id`` on these records (or on the records at ``indices``: a resample).

        With ``strict`` a metric whose denominator is zero is NaN (undefined: a bootstrap drops
        that resample) rather than OpenScale's 0.0; no records give NaN either way."""
        metric = canonical_metric(metric_id)
        label = self.label if indices is None else self.label[indices]
        prediction = self.prediction if indices is None else self.prediction[indices]
        if label.size == 0:
            return math.nan
        if metric == "accuracy":
            return float(np.count_nonzero(label == prediction) / label.size)
        if metric in MULTICLASS_ONLY:
            return _weighted(metric, label, prediction, len(self.classes))
        if metric in BINARY_ONLY:
            self._check_binary()
            scores = None if self.scores is None else (
                self.scores if indices is None else self.scores[indices])
            return _binary(metric, label == 1, prediction == 1, scores, strict)
        raise ValueError(f"'{metric_id}' is not a quality metric OpenScale computes; known: "
                         f"{', '.join(sorted(MULTICLASS_ONLY | BINARY_ONLY | {'accuracy'}))}")

    def counts(self, metric_id: str, indices: np.ndarray | None = None) -> tuple[int, int]:
        """``(successes, trials)`` of a proportion metric (:data:`PROPORTIONS`): correct of all
        records, true positives of positives (recall), false positives of negatives, true
        positives of predicted positives (precision)."""
        metric = canonical_metric(metric_id)
        label = self.label if indices is None else self.label[indices]
        prediction = self.prediction if indices is None else self.prediction[indices]
        if metric == "accuracy":
            return int(np.count_nonzero(label == prediction)), int(label.size)
        self._check_binary()
        y, yhat = label == 1, prediction == 1
        if metric in ("true_positive_rate", "recall"):
            return int(np.count_nonzero(y & yhat)), int(np.count_nonzero(y))
        if metric == "false_positive_rate":
            return int(np.count_nonzero(~y & yhat)), int(np.count_nonzero(~y))
        if metric == "precision":
            return int(np.count_nonzero(y & yhat)), int(np.count_nonzero(yhat))
        raise ValueError(f"'{metric_id}' is not a proportion: one of {sorted(PROPORTIONS)}")

    def _check_binary(self) -> None:
        if self.given != 2 or len(self.classes) != 2:
            raise ValueError(f"binary metrics need a model of exactly 2 classes; the model "
                             f"declares {list(self.classes[:self.given])} and its records hold "
                             f"{list(self.classes)}")


def quality_metric(metric_id: str, labels: Sequence[Any], predictions: Sequence[Any],
                   scores: Sequence[float | None] | None, classes: Sequence[Any]) -> float:
    """One OpenScale quality metric recomputed from records (every id of
    :data:`mlmonitor_lib.signature.QUALITY_METRICS_BY_PROBLEM`).

    Multiclass (support-weighted over the classes, as OpenScale's quality monitor): accuracy,
    weighted precision, recall (= true positive rate), F1 and false positive rate. Binary, of the
    positive class ``classes[1]``: accuracy, precision, recall (= true positive rate), F1, false
    positive rate, areas under ROC and PR (trapezoids over the distinct scores, tied scores one
    point, as Spark's BinaryClassificationMetrics which OpenScale runs on; PR starts at recall 0
    with the first point's precision), Gini (2 AUC - 1), label skew, Matthews correlation, and,
    when every record has a score, log loss and Brier score (NaN otherwise). A zero denominator
    gives 0.0, as OpenScale reports it. ``scores`` are the positive class's probabilities
    (binary) or ``None``.
    """
    return CodedRecords.of(labels, predictions, scores, classes).metric(metric_id)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros_like(numerator, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _weighted(metric: str, label: np.ndarray, prediction: np.ndarray, k: int) -> float:
    """A support-weighted multiclass metric; a class never predicted has precision 0."""
    matrix = np.bincount(label * k + prediction, minlength=k * k).reshape(k, k)
    total = float(label.size)
    tp = np.diag(matrix).astype(float)
    support = matrix.sum(axis=1).astype(float)
    predicted = matrix.sum(axis=0).astype(float)
    weights = support / total
    recall = _safe_divide(tp, support)
    if metric in ("weighted_true_positive_rate", "weighted_recall"):
        return float(weights @ recall)
    precision = _safe_divide(tp, predicted)
    if metric == "weighted_precision":
        return float(weights @ precision)
    if metric == "weighted_f_measure":
        return float(weights @ _safe_divide(2 * precision * recall, precision + recall))
    # weighted_false_positive_rate
    return float(weights @ _safe_divide(predicted - tp, total - support))


def _trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def _curves(positive: np.ndarray, scores: np.ndarray) -> tuple[float, float, bool, bool]:
    """Areas under ROC and PR over the distinct score thresholds, highest first, and whether
    each is defined (ROC needs both classes, PR a positive). The same arithmetic as the
    OpenScale emulator's, with plain concatenations (``np.r_`` costs more than the sums on a
    bootstrap's small resamples)."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], positive[order].astype(float)
    last_of_tie = np.append(np.flatnonzero(ranked[1:] != ranked[:-1]), len(ranked) - 1)
    tp = np.cumsum(hits)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    pos = hits.sum()
    neg = len(hits) - pos
    zero = np.zeros(1)
    roc = 0.0
    if pos and neg:
        roc = _trapezoid(np.concatenate((zero, fp / neg)), np.concatenate((zero, tp / pos)))
    pr = 0.0
    if pos:
        precision = tp / (tp + fp)
        pr = _trapezoid(np.concatenate((zero, tp / pos)),
                        np.concatenate((precision[:1], precision)))
    return roc, pr, bool(pos and neg), bool(pos)


def _binary(metric: str, y: np.ndarray, yhat: np.ndarray, scores: np.ndarray | None,
            strict: bool) -> float:
    """One binary metric of the positive class; ``y`` and ``yhat`` are booleans."""
    undefined = math.nan if strict else 0.0
    if metric in ("area_under_roc", "area_under_pr", "gini_coefficient"):
        roc, pr, roc_defined, pr_defined = _curves(y, yhat.astype(float) if scores is None
                                                   else scores)
        if metric == "area_under_pr":
            return pr if pr_defined else undefined
        if not roc_defined:
            return undefined if metric == "area_under_roc" else (
                math.nan if strict else 2 * roc - 1)
        return roc if metric == "area_under_roc" else 2 * roc - 1
    if metric in ("log_loss", "brier_score"):
        if scores is None:
            return math.nan  # OpenScale reports none without every record's probability
        if metric == "brier_score":
            return float(np.mean((scores - y) ** 2))
        clipped = np.clip(scores, LOG_LOSS_CLIP, 1 - LOG_LOSS_CLIP)
        return float(-np.mean(y * np.log(clipped) + ~y * np.log(1 - clipped)))
    tp, fp = float(np.count_nonzero(y & yhat)), float(np.count_nonzero(~y & yhat))
    fn, tn = float(np.count_nonzero(y & ~yhat)), float(np.count_nonzero(~y & ~yhat))
    precision = tp / (tp + fp) if tp + fp else undefined
    recall = tp / (tp + fn) if tp + fn else undefined
    if metric in ("true_positive_rate", "recall"):
        return recall
    if metric == "precision":
        return precision
    if metric == "f1_measure":
        if math.isnan(precision) or math.isnan(recall):
            return math.nan
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if metric == "false_positive_rate":
        return fp / (fp + tn) if fp + tn else undefined
    if metric == "label_skew":
        share = float(np.mean(y))
        return float((1 - 2 * share) / math.sqrt(share * (1 - share))) if 0 < share < 1 \
            else undefined
    if metric == "matthews_correlation_coefficient":
        denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        return (tp * tn - fp * fn) / denominator if denominator else undefined
    raise ValueError(f"'{metric}' is not a binary metric")


# fairness ------------------------------------------------------------------------------------
def _key(value: Any) -> str | None:
    """A category as OpenScale keys it: ``7`` and ``"7"`` distinct, ``7.0`` is ``7``."""
    if value is None or isinstance(value, list | dict):
        return None
    return json.dumps(class_value(value))


def _is_range(item: Any) -> bool:
    return (isinstance(item, list | tuple) and len(item) == 2 and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in item)
        and item[0] <= item[1])


def group_label(item: Any) -> str:
    """How OpenScale names a group: ``18-25`` for a range, the category itself otherwise."""
    return f"{item[0]}-{item[1]}" if _is_range(item) else str(item)


def _members(values: Sequence[Any], item: Any) -> np.ndarray:
    if _is_range(item):
        numbers = np.array([math.nan if isinstance(v, bool) or not isinstance(v, int | float)
                            else float(v) for v in values], dtype=float)
        with np.errstate(invalid="ignore"):
            return (numbers >= item[0]) & (numbers <= item[1])
    wanted = _key(item)
    return np.array([_key(v) == wanted for v in values], dtype=bool)


@dataclass(frozen=True)
class FairnessGroups:
    """One monitored feature's records coded once: which predictions are favourable, which
    records are in the reference (``majority``) groups combined, and, per monitored
    (``minority``) group, its records outside the reference groups, as OpenScale counts them."""

    favourable: np.ndarray
    reference: np.ndarray
    groups: dict[str, np.ndarray]

    @classmethod
    def of(cls, values: Sequence[Any], predictions: Sequence[Any], minority: Sequence[Any],
           majority: Sequence[Any], favourable: Sequence[Any]) -> FairnessGroups:
        if len(values) != len(predictions):
            raise ValueError(f"{len(values)} feature values but {len(predictions)} predictions")
        wanted = {_key(c) for c in favourable}
        reference = np.zeros(len(values), dtype=bool)
        for item in majority:
            reference |= _members(values, item)
        return cls(
            favourable=np.array([_key(p) in wanted for p in predictions], dtype=bool),
            reference=reference,
            groups={group_label(item): _members(values, item) & ~reference
                    for item in minority})

    def counts(self, indices: np.ndarray | None = None) -> tuple[tuple[int, int],
                                                                   dict[str, tuple[int, int]]]:
        """``(favourable, records)`` of the reference groups and of each monitored group."""
        fav = self.favourable if indices is None else self.favourable[indices]
        ref = self.reference if indices is None else self.reference[indices]
        groups = {}
        for name, members in self.groups.items():
            m = members if indices is None else members[indices]
            groups[name] = (int(np.count_nonzero(fav & m)), int(np.count_nonzero(m)))
        return (int(np.count_nonzero(fav & ref)), int(np.count_nonzero(ref))), groups

    def ratios(self, indices: np.ndarray | None = None) -> dict[str, float]:
        """Each monitored group's disparate impact (groups without records left out); empty
        when the reference groups have no record or no favourable outcome."""
        (fav_ref, n_ref), groups = self.counts(indices)
        if not n_ref or not fav_ref:
            return {}
        return {g: (fav / n) / (fav_ref / n_ref) for g, (fav, n) in groups.items() if n}

    def value(self, indices: np.ndarray | None = None) -> float:
        """The feature's disparate impact: the lowest of its monitored groups' (the one
        OpenScale reports as ``fairness_value``); NaN when none is defined."""
        ratios = self.ratios(indices)
        return min(ratios.values()) if ratios else math.nan


def disparate_impact(values: Sequence[Any], predictions: Sequence[Any], minority: Sequence[Any],
                     majority: Sequence[Any], favourable: Sequence[Any]) -> float:
    """Disparate impact of the predictions over one feature's ``values``: the favourable rate
    of a monitored group over that of the reference groups combined (IBM, "Disparate impact in
    Watson OpenScale fairness metrics"), for the monitored group where it is lowest, as a ratio
    (OpenScale's ``fairness_value`` is this times 100).

    Groups are as in the signature: categories (``["female"]``) or inclusive numeric ranges
    (``[[18, 25]]``); a record in a reference group is not counted in a monitored one; records in
    neither are left out. NaN when no monitored group has records or the reference groups have
    no favourable outcome.
    """
    return FairnessGroups.of(values, predictions, minority, majority, favourable).value()


# champion and challenger -----------------------------------------------------------------------
@dataclass(frozen=True)
class PairedDifference:
    """Challenger minus champion on the same records: the difference, its interval, and for
    accuracy the exact McNemar p-value with the discordant pairs it rests on
    (``challenger_only``: records only the challenger gets right; ``champion_only``: the
    reverse)."""

    metric_id: str
    estimate: float
    interval: Interval
    records: int
    mcnemar_p: float | None = None
    challenger_only: int | None = None
    champion_only: int | None = None


def newcombe_paired_interval(both: int, challenger_only: int, champion_only: int, neither: int,
                             level: float) -> Interval:
    """Newcombe's (1998) method 10 for the difference of two paired proportions, first minus
    second: the Wilson intervals of both proportions combined by square-and-add, with their
    correlation estimated by the continuity-corrected phi coefficient (0 when a margin is empty
    or the association is below n/2). Equal to ``Newcombe_square_and_add_CI_paired_2x2`` of
    the R package contingencytables (Fagerland, Lydersen and Laake, 2017)."""
    n = both + challenger_only + champion_only + neither
    if n <= 0:
        return Interval(math.nan, math.nan, level, "newcombe")
    first, second = both + challenger_only, both + champion_only
    p1, p2 = first / n, second / n
    l1, u1 = wilson_bounds(p1, n, level)
    l2, u2 = wilson_bounds(p2, n, level)
    margins = (first, n - first, second, n - second)
    phi = 0.0
    if all(margins):
        association = both * neither - challenger_only * champion_only
        if association > n / 2:
            phi = (association - n / 2) / math.sqrt(math.prod(margins))
        elif association < 0:
            phi = association / math.sqrt(math.prod(margins))
    estimate = p1 - p2
    low = estimate - math.sqrt(max(0.0, (p1 - l1) ** 2 + (u2 - p2) ** 2
                                   - 2 * phi * (p1 - l1) * (u2 - p2)))
    high = estimate + math.sqrt(max(0.0, (p2 - l2) ** 2 + (u1 - p1) ** 2
                                    - 2 * phi * (p2 - l2) * (u1 - p1)))
    return Interval(max(-1.0, low), min(1.0, high), level, "newcombe")


def mcnemar_exact_p(challenger_only: int, champion_only: int) -> float:
    """Two-sided exact McNemar test: under "both models are equally accurate" each discordant
    pair is equally likely to favour either, so the challenger's wins are Binomial(b + c, 1/2).
    1.0 when no pair is discordant."""
    discordant = challenger_only + champion_only
    if discordant == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(challenger_only, discordant, 0.5).pvalue)


def paired_difference(metric_id: str, challenger: CodedRecords, champion: CodedRecords,
                      level: float, resamples: int, seed: int) -> PairedDifference:
    """The challenger's metric minus the champion's on the same records (``challenger`` and
    ``champion`` hold the same records in the same order, with the same labels).

    Accuracy: Newcombe's paired interval and the exact McNemar test, both from the 2x2 table of
    who got each record right. Every other metric: a paired percentile bootstrap, both models'
    records resampled with the same indices, so that what the records share cancels out.
    """
    if len(challenger) != len(champion):
        raise ValueError(f"paired records differ in number: {len(challenger)} challenger, "
                         f"{len(champion)} champion")
    metric = canonical_metric(metric_id)
    n = len(challenger)
    if metric == "accuracy":
        right_new = challenger.label == challenger.prediction
        right_old = champion.label == champion.prediction
        both = int(np.count_nonzero(right_new & right_old))
        new_only = int(np.count_nonzero(right_new & ~right_old))
        old_only = int(np.count_nonzero(~right_new & right_old))
        neither = n - both - new_only - old_only
        estimate = (new_only - old_only) / n if n else math.nan
        return PairedDifference(
            metric, estimate, newcombe_paired_interval(both, new_only, old_only, neither, level),
            n, mcnemar_exact_p(new_only, old_only) if n else None, new_only, old_only)

    def difference(indices: np.ndarray | None) -> float:
        return (challenger.metric(metric, indices, strict=True)
                - champion.metric(metric, indices, strict=True))

    estimate = challenger.metric(metric) - champion.metric(metric)
    return PairedDifference(metric, estimate,
                            bootstrap_interval(difference, n, level, resamples, seed), n)
