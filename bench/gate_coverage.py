"""Benchmark: how often the release gate's intervals hold the truth, by simulation.

The gate (``mlmonitor_lib.gate``) judges every threshold on a confidence interval, nominally
95 %. This measures the actual share, by running the gate's own judges on simulated sets of
records whose true value is known:

* accuracy (Wilson score interval): sets of feedback records, each predicted right with
  probability 0.83, at 10 (the signature's ``min_feedback_data_size``), 100 (the onboarding
  story) and 1,000 records;
* area under ROC (percentile bootstrap): a binormal score model, positives' scores N(d, 1) and
  negatives' N(0, 1) with 30 % positives, whose population AUC is Phi(d / sqrt 2) = 0.80; the
  scores are passed through a logistic as probabilities;
* disparate impact (percentile bootstrap): payload records, 40 % in the monitored group with a
  favourable rate of 0.50 against 0.70 for the reference group, a true disparate impact of
  0.714.

For each: the coverage (share of intervals holding the true value) with its Monte-Carlo standard
error sqrt(c (1 - c) / sets), the share of misses below and above, the mean width, and the share
of pass / inconclusive / fail verdicts against the use case's thresholds (accuracy 0.80, AUC 0.70,
disparate impact 0.80), that is how often the gate decides and how often it decides wrongly.

The bootstrap uses ``--resamples`` (default 1,000, half the gate's default of 2,000) so that the
default run (1,000 sets each) takes about 1.5 minutes on one core; the resample count moves the
interval's quantiles only by their own Monte-Carlo error, not its coverage. Every set's bootstrap
is seeded with the gate's default seed, as a release would be. Saves
``bench/results/gate_coverage.json``.

    python bench/gate_coverage.py [--sets 1000] [--records 100] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlmonitor_lib.gate.decision import ThresholdVerdict  # noqa: E402
from mlmonitor_lib.gate.verdicts import (  # noqa: E402
    DEFAULT_SEED,
    judge_fairness,
    judge_quality,
)

RESULTS = ROOT / "bench" / "results" / "gate_coverage.json"
LEVEL = 0.95
TRUE_ACCURACY, ACCURACY_LIMIT = 0.83, 0.80
TRUE_AUC, AUC_LIMIT, PREVALENCE = 0.80, 0.70, 0.30
GROUP_SHARE, GROUP_RATE, REFERENCE_RATE, DI_LIMIT = 0.40, 0.50, 0.70, 0.80
FAIRNESS = {"features": [{"feature": "sex", "majority": ["male"], "minority": ["female"],
                          "threshold": DI_LIMIT}], "favourable_class": [1]}


def accuracy_set(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    labels = rng.integers(0, 2, n)
    right = rng.random(n) < TRUE_ACCURACY
    return [{"id": str(i), "label": int(y), "prediction": int(y if r else 1 - y),
             "score": None} for i, (y, r) in enumerate(zip(labels, right, strict=True))]


def auc_set(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    shift = math.sqrt(2) * NormalDist().inv_cdf(TRUE_AUC)  # AUC = Phi(shift / sqrt 2)
    labels = (rng.random(n) < PREVALENCE).astype(int)
    probability = 1 / (1 + np.exp(-rng.normal(shift * labels, 1.0)))
    return [{"id": str(i), "label": int(y), "prediction": int(p >= 0.5), "score": float(p)}
            for i, (y, p) in enumerate(zip(labels, probability, strict=True))]


def payload_set(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    in_group = rng.random(n) < GROUP_SHARE
    favoured = rng.random(n) < np.where(in_group, GROUP_RATE, REFERENCE_RATE)
    return [{"id": str(i), "features": {"sex": "female" if g else "male"},
             "prediction": int(f)} for i, (g, f) in enumerate(zip(in_group, favoured,
                                                                    strict=True))]


def simulate(name: str, truth: float, sets: int, seed: int,
             judge: Callable[[np.random.Generator], ThresholdVerdict]) -> dict[str, Any]:
    """``sets`` verdicts of one judge on fresh simulated records: coverage and decisions."""
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    verdicts = [judge(rng) for _ in range(sets)]
    seconds = time.perf_counter() - start
    low = np.array([v.low for v in verdicts])
    high = np.array([v.high for v in verdicts])
    defined = ~(np.isnan(low) | np.isnan(high))
    held = defined & (low <= truth) & (truth <= high)
    coverage = float(held.mean())
    shares = {k: sum(v.verdict == k for v in verdicts) / sets
              for k in ("pass", "inconclusive", "fail")}
    found = {
        "name": name, "true_value": round(truth, 6), "sets": sets,
        "records": verdicts[0].records,
        "method": verdicts[0].method, "threshold": verdicts[0].threshold,
        "coverage": round(coverage, 4),
        "monte_carlo_se": round(math.sqrt(coverage * (1 - coverage) / sets), 4),
        "missed_below": round(float((defined & (high < truth)).mean()), 4),
        "missed_above": round(float((defined & (low > truth)).mean()), 4),
        "undefined": int((~defined).sum()),
        "mean_width": round(float(np.mean((high - low)[defined])), 4),
        "verdicts": {k: round(v, 4) for k, v in shares.items()},
        "seconds": round(seconds, 1),
    }
    print(f"{name:<34} {found['method']:<9} truth {truth:.3f}  coverage {coverage:.3f} "
          f"± {found['monte_carlo_se']:.3f}  (miss below {found['missed_below']:.3f}, above "
          f"{found['missed_above']:.3f})  width {found['mean_width']:.3f}  vs "
          f"{found['threshold']:.2f}: pass {shares['pass']:.2f} / inconclusive "
          f"{shares['inconclusive']:.2f} / fail {shares['fail']:.2f}  [{seconds:.0f} s]",
          flush=True)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=1000, help="simulated sets per case")
    parser.add_argument("--records", type=int, default=100,
                        help="records per set for AUC and disparate impact")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=17, help="seed of the simulated records")
    args = parser.parse_args(argv)
    accuracy = [{"metric_id": "accuracy", "type": "lower_limit", "value": ACCURACY_LIMIT}]
    auc = [{"metric_id": "area_under_roc", "type": "lower_limit", "value": AUC_LIMIT}]
    options = {"level": LEVEL, "resamples": args.resamples, "seed": DEFAULT_SEED}
    print(f"{args.sets} simulated sets per case, {LEVEL:.0%} intervals, bootstrap "
          f"{args.resamples} resamples seeded {DEFAULT_SEED}")
    cases = []
    for n in (10, 100, 1000):
        cases.append(simulate(
            f"accuracy, {n} feedback records", TRUE_ACCURACY, args.sets, args.seed + n,
            lambda rng, n=n: judge_quality(accuracy_set(rng, n), accuracy, [0, 1],
                                           **options)[0]))
    cases.append(simulate(
        f"area under ROC, {args.records} records", TRUE_AUC, args.sets, args.seed + 1,
        lambda rng: judge_quality(auc_set(rng, args.records), auc, [0, 1], **options)[0]))
    cases.append(simulate(
        f"disparate impact, {args.records} payload", GROUP_RATE / REFERENCE_RATE, args.sets,
        args.seed + 2,
        lambda rng: judge_fairness(payload_set(rng, args.records), FAIRNESS, **options)[0]))
    summary = {
        "level": LEVEL, "sets": args.sets, "resamples": args.resamples,
        "bootstrap_seed": DEFAULT_SEED, "data_seed": args.seed, "cases": cases,
        "machine": {"python": platform.python_version(),
                    "cpu": platform.processor() or platform.machine(),
                    "numpy": np.__version__},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2))
    print(f"saved {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
