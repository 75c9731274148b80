"""Paired champion comparisons: a metric's challenger minus champion on the same records.

:func:`paired_difference` gives the difference and its interval:

- **Newcombe's paired interval** (R. G. Newcombe, "Improved confidence intervals for the
  difference between binomial proportions based on paired data", Statistics in Medicine 17,
  1998, method 10: square-and-add of two Wilson intervals with a continuity-corrected correlation)
  for the difference of two models' accuracies on the same records, with the **exact McNemar
  test** (McNemar, Psychometrika 12, 1947; a two-sided binomial test on the discordant pairs) as
  its p-value.
- Other paired metrics use a paired bootstrap (both models' records resampled together, with the
  seeded percentile bootstrap of :mod:`.intervals`).

Pure functions on numpy arrays, no I/O; scipy is imported only by the McNemar test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlmonitor_lib.gate.intervals import Interval, bootstrap_interval, wilson_bounds
from mlmonitor_lib.gate.metrics import CodedRecords, canonical_metric

# where a smaller value is the better model (a champion comparison turns these around)
LOWER_IS_BETTER = frozenset({"false_positive_rate", "weighted_false_positive_rate", "log_loss",
                             "brier_score"})


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
