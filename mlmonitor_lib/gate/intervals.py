"""Confidence intervals of the gate's numbers, and how many records would decide.

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

The metrics these intervals are of are :mod:`.metrics`' and :mod:`.fairness`'; the paired
interval of a champion comparison (Newcombe's) is :mod:`.paired`'s. Pure functions, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np

Method = Literal["wilson", "bootstrap", "newcombe"]


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
