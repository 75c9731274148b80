"""The gate's judges: each threshold's verdict from the gate records, and the decision over them.

Every threshold is judged on its interval (:mod:`.intervals`) by the three-way rule of
:func:`verdict_of` (the verdicts and the decision are :mod:`.decision`'s models). Three judges
make the verdicts, all seeded and reproducible:

- :func:`judge_quality`: the quality thresholds on the gate's feedback records;
- :func:`judge_fairness`: each monitored feature's disparate impact on the payload records;
- :func:`judge_champion`: the challenger against the released model, paired on the records both
  were evaluated on.

:func:`decide` makes the gate's decision of their verdicts, under the signature's rule for an
inconclusive one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mlmonitor_lib.gate.decision import (
    DEFAULT_LEVEL,
    GateDecision,
    Rule,
    ThresholdVerdict,
    Verdict,
)
from mlmonitor_lib.gate.fairness import FairnessGroups, group_label
from mlmonitor_lib.gate.intervals import (
    Interval,
    bootstrap_interval,
    proportion_interval,
    records_to_decide,
)
from mlmonitor_lib.gate.metrics import DENOMINATORS, PROPORTIONS, CodedRecords, canonical_metric
from mlmonitor_lib.gate.paired import LOWER_IS_BETTER, paired_difference
from mlmonitor_lib.thresholds import measured_number, normalise_thresholds

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20261207


def verdict_of(low: float, high: float, threshold: float, type: str) -> Verdict:
    """The three-way rule: a lower limit passes when the whole interval is at or above it
    (``low >= threshold``) and fails when the whole interval is below it (``high <
    threshold``); an upper limit is the mirror image. An interval that straddles the threshold,
    or has a NaN bound, is inconclusive."""
    if math.isnan(low) or math.isnan(high) or math.isnan(threshold):
        return "inconclusive"
    if type == "lower_limit":
        return "pass" if low >= threshold else "fail" if high < threshold else "inconclusive"
    if type == "upper_limit":
        return "pass" if high <= threshold else "fail" if low > threshold else "inconclusive"
    raise ValueError(f"threshold type '{type}' is neither lower_limit nor upper_limit")


def decide(verdicts: Iterable[ThresholdVerdict], rule: Rule = "refuse",
           level: float = DEFAULT_LEVEL) -> GateDecision:
    """The decision over every verdict, under the signature's rule for inconclusive ones."""
    if rule not in ("refuse", "warn"):
        raise ValueError(f"release_gate.inconclusive is 'refuse' or 'warn', not {rule!r}")
    return GateDecision(verdicts=list(verdicts), rule=rule, level=level)


# judges ----------------------------------------------------------------------------------------
def _field(record: Any, name: str) -> Any:
    if isinstance(record, Mapping):
        return record.get(name)
    return getattr(record, name, None)


def _score(record: Any, classes: Sequence[Any]) -> float | None:
    """The positive class's probability: the record's ``score``, else the second entry of a
    two-class ``probabilities`` vector (in ``classes`` order)."""
    score = _field(record, "score")
    if score is not None:
        return float(score)
    probabilities = _field(record, "probabilities")
    if isinstance(probabilities, Sequence) and len(probabilities) == 2 == len(classes):
        return float(probabilities[1])
    return None


def code_records(records: Sequence[Any], classes: Sequence[Any]) -> CodedRecords:
    """Gate records (``{"id", "label", "prediction", "score", "probabilities"}`` dicts or
    objects with those attributes) coded for :mod:`.metrics`."""
    return CodedRecords.of([_field(r, "label") for r in records],
                           [_field(r, "prediction") for r in records],
                           [_score(r, classes) for r in records], classes)


def _decided(estimate: float, interval: Interval, trials: int, threshold: float,
             records: int, verdict: Verdict) -> int | None:
    if verdict != "inconclusive":
        return None
    needed = records_to_decide(estimate, interval, trials, threshold, records=records)
    return None if needed is None else max(needed, records + 1)


def _undefined_reason(metric: str, coded: CodedRecords, interval: Interval) -> str | None:
    if len(coded) == 0:
        return "no records to judge"
    if interval.method == "wilson":
        return f"no {DENOMINATORS[metric]} among the records"
    if interval.resamples:
        return (f"{metric} is undefined on {interval.dropped} of {interval.resamples} "
                "resamples (too few records of a class)")
    return None


def judge_quality(records: Sequence[Any], thresholds: Sequence[Any], classes: Sequence[Any],
                  measured: Mapping[str, Any] | None = None, level: float = DEFAULT_LEVEL,
                  resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
                  ) -> list[ThresholdVerdict]:
    """Every quality threshold judged on the gate's feedback records, in order.

    ``thresholds`` are in OpenScale's form (``{metric_id, type, value}`` dicts or the
    signature's models); ``classes`` the signature's ``class_labels``; ``measured`` OpenScale's
    metrics of the same run (kept in each verdict, not judged). Accuracy, true positive rate
    (recall), false positive rate and precision get a Wilson interval on their own denominator;
    every other metric a percentile bootstrap of ``resamples`` seeded with ``seed``.

    A metric that cannot be computed from these records at all (log loss or Brier score when a
    record has no probability) fails, as the library's judge has it: a release cannot pass on
    a number nobody can produce, and more records would not produce it.
    """
    coded = code_records(records, classes)
    n = len(coded)
    verdicts = []
    for threshold in normalise_thresholds(thresholds):
        metric, kind, limit = threshold["metric_id"], threshold["type"], threshold["value"]
        given = measured_number((measured or {}).get(metric))
        estimate = coded.metric(metric)
        detail: dict[str, Any] = {}
        if metric in ("log_loss", "brier_score") and coded.scores is None and n:
            verdicts.append(ThresholdVerdict(
                name=metric, kind="quality", metric_id=metric, type=kind, threshold=limit,
                estimate=math.nan, measured=given, low=math.nan, high=math.nan, level=level,
                method="bootstrap", records=n, verdict="fail",
                detail={"reason": f"not measurable: {metric} needs every record's probability"}))
            continue
        if metric in PROPORTIONS:
            successes, trials = coded.counts(metric)
            interval = proportion_interval(successes, trials, level)
            detail.update(successes=successes, trials=trials, denominator=DENOMINATORS[metric])
        else:
            def statistic(indices, metric=metric):
                return coded.metric(metric, indices, strict=True)
            interval = bootstrap_interval(statistic, n, level, resamples, seed)
            trials = n
            detail.update(resamples=resamples, dropped=interval.dropped, seed=seed)
        verdict = verdict_of(interval.low, interval.high, limit, kind)
        if not interval.defined:
            detail["reason"] = _undefined_reason(metric, coded, interval)
        verdicts.append(ThresholdVerdict(
            name=metric, kind="quality", metric_id=metric, type=kind, threshold=limit,
            estimate=estimate, measured=given, low=interval.low, high=interval.high, level=level,
            method=interval.method, records=n,
            records_to_decide=_decided(estimate, interval, trials, limit, n, verdict),
            verdict=verdict, detail=detail))
    return verdicts


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def judge_fairness(payload_records: Sequence[Any], fairness_parameters: Any,
                   level: float = DEFAULT_LEVEL, resamples: int = DEFAULT_RESAMPLES,
                   seed: int = DEFAULT_SEED, measured: Mapping[str, Any] | None = None
                   ) -> list[ThresholdVerdict]:
    """Each monitored feature's disparate impact judged on the payload records, in the
    signature's order.

    ``payload_records`` are ``{"id", "features": {name: value}, "prediction"}`` dicts (or
    objects with those attributes); ``fairness_parameters`` the signature's
    ``FairnessParameters`` (or its dict): per feature ``feature``, ``majority`` (reference
    groups), ``minority`` (monitored groups) and ``threshold`` (the lowest disparate impact
    accepted), and ``favourable_class``. ``measured`` optionally maps a feature to OpenScale's
    disparate impact as a ratio (its ``fairness_value`` / 100), kept in the verdict.

    The interval is a seeded percentile bootstrap over the payload records. A feature whose
    monitored groups have no records, or whose reference groups have no favourable outcome,
    has no disparate impact: its interval is (nan, nan), its verdict inconclusive, and
    ``detail["reason"]`` says which.
    """
    favourable = list(_get(fairness_parameters, "favourable_class") or [])
    predictions = [_field(r, "prediction") for r in payload_records]
    n = len(payload_records)
    verdicts = []
    for spec in _get(fairness_parameters, "features") or []:
        feature = _get(spec, "feature")
        minority, majority = list(_get(spec, "minority")), list(_get(spec, "majority"))
        limit = float(_get(spec, "threshold", 0.8))
        values = [(_field(r, "features") or {}).get(feature) for r in payload_records]
        groups = FairnessGroups.of(values, predictions, minority, majority, favourable)
        monitored = [group_label(g) for g in minority]
        reference = [group_label(g) for g in majority]
        (fav_ref, n_ref), counts = groups.counts()
        estimate = groups.value()
        ratios = groups.ratios()
        detail: dict[str, Any] = {
            "feature": feature, "groups": monitored, "reference": reference,
            "favourable_class": favourable,
            "group": min(ratios, key=ratios.__getitem__) if ratios else None,
            "reference_counts": [fav_ref, n_ref],
            "group_counts": {g: list(c) for g, c in counts.items()},
            "resamples": resamples, "seed": seed}
        reason = None
        if not any(c[1] for c in counts.values()):
            reason = f"no payload record is in the monitored group {', '.join(monitored)}"
        elif not n_ref:
            reason = f"no payload record is in the reference group {', '.join(reference)}"
        elif not fav_ref:
            reason = (f"no payload record of the reference group {', '.join(reference)} has a "
                      "favourable outcome")
        if reason:
            interval = Interval(math.nan, math.nan, level, "bootstrap", resamples, resamples)
            detail["reason"] = reason
        else:
            interval = bootstrap_interval(groups.value, n, level, resamples, seed)
            detail["dropped"] = interval.dropped
            if not interval.defined:
                detail["reason"] = (f"disparate impact is undefined on {interval.dropped} of "
                                    f"{resamples} resamples (too few records in a group)")
        verdict = verdict_of(interval.low, interval.high, limit, "lower_limit")
        verdicts.append(ThresholdVerdict(
            name=f"disparate impact of {feature} ({', '.join(monitored)} vs "
                 f"{', '.join(reference)})",
            kind="fairness", metric_id="disparate_impact", type="lower_limit", threshold=limit,
            estimate=estimate, measured=measured_number((measured or {}).get(feature)),
            low=interval.low, high=interval.high, level=level, method="bootstrap", records=n,
            records_to_decide=_decided(estimate, interval, n, limit, n, verdict),
            verdict=verdict, detail=detail))
    return verdicts


def judge_champion(records: Sequence[Any], champion_records: Sequence[Any],
                   champion_thresholds: Sequence[Any], classes: Sequence[Any],
                   level: float = DEFAULT_LEVEL, resamples: int = DEFAULT_RESAMPLES,
                   seed: int = DEFAULT_SEED, champion: str | None = None
                   ) -> list[ThresholdVerdict]:
    """The challenger (``records``) against the released model (``champion_records``, from its
    evidence pack), one verdict per champion threshold (``{"metric_id", "max_drop"}``).

    Paired on the record ids both hold (records only one side holds are left out, and counted
    in ``detail``); labels are the challenger's. The judged difference is oriented so that
    positive means the challenger is better: challenger minus champion, or champion minus
    challenger for a metric where lower is better (false positive rate, log loss, Brier score).
    It passes when its whole interval is at or above ``-max_drop``, fails when the whole
    interval is below, and is inconclusive otherwise. Accuracy: Newcombe's paired interval, and
    the exact McNemar p-value in ``detail``; other metrics: a paired bootstrap. No record in
    common: inconclusive, saying so. ``champion`` names the champion (its run or pack) in the
    detail.
    """
    mine = _by_id(records)
    theirs = _by_id(champion_records)
    common = [i for i in mine if i in theirs]
    paired_new = [mine[i] for i in common]
    paired_old = [{"label": _field(mine[i], "label"),
                   "prediction": _field(theirs[i], "prediction"),
                   "score": _score(theirs[i], classes)} for i in common]
    label_differs = sum(1 for i in common
                        if str(_field(mine[i], "label")) != str(_field(theirs[i], "label")))
    new, old = code_records(paired_new, classes), code_records(paired_old, classes)
    n = len(common)
    verdicts = []
    for spec in champion_thresholds:
        metric = canonical_metric(_get(spec, "metric_id"))
        max_drop = float(_get(spec, "max_drop"))
        lower_better = metric in LOWER_IS_BETTER
        detail: dict[str, Any] = {
            "champion": champion, "max_drop": max_drop, "paired": n,
            "challenger_only_records": len(mine) - n, "champion_only_records": len(theirs) - n,
            "difference": "champion - challenger" if lower_better else "challenger - champion"}
        if label_differs:
            detail["labels_differ"] = label_differs
        if n == 0:
            interval = Interval(math.nan, math.nan, level,
                                "newcombe" if metric == "accuracy" else "bootstrap")
            estimate = math.nan
            detail["reason"] = (f"no record in common: the champion's evidence holds "
                                f"{len(theirs)} records, this run {len(mine)}, none with the "
                                "same id")
        else:
            found = paired_difference(metric, new, old, level, resamples, seed)
            estimate, interval = found.estimate, found.interval
            if lower_better:
                estimate = -estimate
                interval = Interval(-interval.high, -interval.low, interval.level,
                                    interval.method, interval.resamples, interval.dropped)
            if found.mcnemar_p is not None:
                detail.update(mcnemar_p=found.mcnemar_p,
                              challenger_only_right=found.challenger_only,
                              champion_only_right=found.champion_only)
            if interval.resamples:
                detail.update(resamples=resamples, dropped=interval.dropped, seed=seed)
            if not interval.defined:
                detail["reason"] = (f"{metric} is undefined on most resamples (too few records "
                                    "of a class)")
        verdict = verdict_of(interval.low, interval.high, -max_drop, "lower_limit")
        verdicts.append(ThresholdVerdict(
            name=f"{metric} vs champion", kind="champion", metric_id=metric, type="lower_limit",
            threshold=-max_drop, estimate=estimate, low=interval.low, high=interval.high,
            level=level, method=interval.method, records=n,
            records_to_decide=_decided(estimate, interval, n, -max_drop, n, verdict),
            verdict=verdict, detail=detail))
    return verdicts


def _by_id(records: Sequence[Any]) -> dict[str, Any]:
    """Records by id, the first of any repeated id kept (the same input twice)."""
    found: dict[str, Any] = {}
    for record in records:
        found.setdefault(str(_field(record, "id")), record)
    return found

