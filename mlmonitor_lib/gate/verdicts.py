"""Three verdicts per threshold, and the gate's decision.

Why three: a gate that compares a point estimate with a threshold "passes" a model whose
accuracy, measured on 100 records at 0.83, could truly be 0.75. Here every threshold is judged on
its interval (:mod:`.intervals`): *pass* when the whole interval meets the threshold, *fail*
when the whole interval breaches it, *inconclusive* otherwise, with the number of records that
would decide. The decision is the worst verdict (fail, then inconclusive, then pass); what an
inconclusive verdict does to a release is the signature's choice
(``release_gate.inconclusive``: ``refuse`` by default, or ``warn``), and the decision line says
which rule applied.

Three judges make the verdicts, all seeded and reproducible:

- :func:`judge_quality`: the quality thresholds on the gate's feedback records;
- :func:`judge_fairness`: each monitored feature's disparate impact on the payload records;
- :func:`judge_champion`: the challenger against the released model, paired on the records both
  were evaluated on.

:class:`ThresholdVerdict` and :class:`GateDecision` are pydantic models, so an evidence pack
keeps them as JSON; :meth:`ThresholdVerdict.line` and :meth:`GateDecision.lines` are what the
CLI, the error and the report print (every threshold evaluated, then one decision, as MLflow's
threshold validation reports).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

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

Verdict = Literal["pass", "fail", "inconclusive"]
Rule = Literal["refuse", "warn"]
Kind = Literal["quality", "fairness", "champion"]
LimitType = Literal["lower_limit", "upper_limit"]

DEFAULT_LEVEL = 0.95
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20261207
SEVERITY: dict[str, int] = {"pass": 0, "inconclusive": 1, "fail": 2}
METHOD_NAMES = {"wilson": "Wilson", "bootstrap": "bootstrap", "newcombe": "Newcombe paired",
                "none": "no interval"}


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


def _fmt(value: float, digits: int) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


class ThresholdVerdict(BaseModel):
    """One threshold judged on an interval.

    ``estimate`` is the metric recomputed from the gate records, the number the interval is
    around; ``measured`` is OpenScale's own value where there is one (kept for the record: the
    verdict comes from the records). ``records`` counts the records judged (payload records for
    fairness, paired records for a champion comparison); ``records_to_decide`` is set for an
    inconclusive verdict whose estimate is not on the threshold: about how many records in
    total would make the interval exclude it. NaN bounds (none computable) are written to JSON
    as null and read back as NaN.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Kind
    metric_id: str
    type: LimitType
    threshold: float
    estimate: float
    measured: float | None = None
    low: float
    high: float
    level: float
    method: str
    records: int
    records_to_decide: int | None = None
    verdict: Verdict
    detail: dict[str, Any] = Field(default_factory=dict)

    @field_validator("estimate", "low", "high", mode="before")
    @classmethod
    def _null_is_nan(cls, value: Any) -> Any:
        return math.nan if value is None else value

    def line(self) -> str:
        """One human line: ``accuracy 0.830 [0.745, 0.891] (95 %, Wilson, 100 records) vs
        lower_limit 0.800: inconclusive; about 683 records would decide``."""
        digits = self._digits()
        value = _fmt(self.estimate, digits)
        if self.measured is not None and not math.isnan(self.estimate) and (
                f"{self.measured:.{digits}f}" != value):
            value += f" (OpenScale: {self.measured:.{digits}f})"
        interval = ("[n/a]" if math.isnan(self.low) or math.isnan(self.high)
                    else f"[{_fmt(self.low, digits)}, {_fmt(self.high, digits)}]")
        method = METHOD_NAMES.get(self.method, self.method)
        if self.kind == "champion" and self.method == "bootstrap":
            method = "paired bootstrap"
        against = (f"max drop {self.detail['max_drop']:.{digits}f}"
                   if self.kind == "champion" and "max_drop" in self.detail
                   else f"{self.type} {self.threshold:.{digits}f}")
        text = (f"{self.name} {value} {interval} ({self.level * 100:g} %, {method}, "
                f"{self._records_phrase()}) vs {against}: {self.verdict}")
        if self.verdict == "inconclusive":
            if self.records_to_decide is not None:
                text += f"; about {self.records_to_decide} records would decide"
            elif self.detail.get("reason"):
                text += f"; {self.detail['reason']}"
        elif self.detail.get("reason"):
            text += f"; {self.detail['reason']}"
        if self.detail.get("mcnemar_p") is not None:
            text += f"; exact McNemar p = {self.detail['mcnemar_p']:.3g}"
        return text

    def _digits(self) -> int:
        """3 decimals, 4 when 3 would print a bound equal to a threshold it is not equal to
        (0.7996 against 0.800)."""
        shown = f"{self.threshold:.3f}"
        for v in (self.estimate, self.low, self.high):
            if not math.isnan(v) and v != self.threshold and f"{v:.3f}" == shown:
                return 4
        return 3

    def _records_phrase(self) -> str:
        records = f"{self.records} {'record' if self.records == 1 else 'records'}"
        if self.kind == "fairness":
            return f"{self.records} payload {'record' if self.records == 1 else 'records'}"
        if self.kind == "champion":
            return f"{self.records} paired {'record' if self.records == 1 else 'records'}"
        denominator = self.detail.get("denominator")
        if self.method == "wilson" and denominator not in (None, "records"):
            return f"{records}, {self.detail.get('trials')} {denominator}"
        return records


class GateDecision(BaseModel):
    """The gate's decision: every verdict, the worst of them (``overall``), the rule for an
    inconclusive one (``rule``, the signature's ``release_gate.inconclusive``), and whether
    the release goes ahead (``approved``: everything passes, or the worst is inconclusive and
    the rule is ``warn``). ``overall`` and ``approved`` are computed from the verdicts, never
    stored apart from them, so a pack cannot carry a decision its verdicts do not support.
    No threshold at all passes (nothing breached), and its line says so."""

    model_config = ConfigDict(extra="ignore")

    verdicts: list[ThresholdVerdict] = Field(default_factory=list)
    rule: Rule = "refuse"
    level: float = DEFAULT_LEVEL

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overall(self) -> Verdict:
        worst: Verdict = "pass"
        for v in self.verdicts:
            if SEVERITY[v.verdict] > SEVERITY[worst]:
                worst = v.verdict
        return worst

    @computed_field  # type: ignore[prop-decorator]
    @property
    def approved(self) -> bool:
        return self.overall == "pass" or (self.overall == "inconclusive" and self.rule == "warn")

    @property
    def exit_code(self) -> int:
        """The CLI's exit status: 0 approved, 1 a threshold fails, 2 inconclusive refused."""
        if self.approved:
            return 0
        return 1 if self.overall == "fail" else 2

    def counts(self) -> dict[str, int]:
        found = {"fail": 0, "inconclusive": 0, "pass": 0}
        for v in self.verdicts:
            found[v.verdict] += 1
        return found

    def decision_line(self) -> str:
        """``gate: inconclusive (1 inconclusive, 1 pass): inconclusive refuses the release
        (signature: release_gate.inconclusive = refuse)``."""
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items() if n) or "no thresholds"
        head = f"gate: {self.overall} ({counts})"
        rule = f"(signature: release_gate.inconclusive = {self.rule})"
        if self.overall == "fail":
            return f"{head}: a certain breach refuses the release"
        if self.overall == "pass":
            return f"{head}: the release is approved" if self.verdicts else (
                f"{head}: nothing to judge, the release is approved")
        if self.rule == "warn":
            return f"{head}: inconclusive only warns, the release is approved {rule}"
        return f"{head}: inconclusive refuses the release {rule}"

    def lines(self) -> list[str]:
        """One line per threshold, then the decision line."""
        return [v.line() for v in self.verdicts] + [self.decision_line()]


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
