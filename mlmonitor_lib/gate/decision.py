"""What the gate decides: a three-way verdict per threshold, and the decision over them.

:class:`ThresholdVerdict` is one threshold judged on its interval; :class:`GateDecision` is every
verdict, the worst of them and whether the release goes ahead.

Why three: a gate that compares a point estimate with a threshold "passes" a model whose
accuracy, measured on 100 records at 0.83, could truly be 0.75. Here every threshold is judged on
its interval (:mod:`.verdicts` judges them): *pass* when the whole interval meets the threshold,
*fail* when the whole interval breaches it, *inconclusive* otherwise, with the number of records
that would decide. The decision is the worst verdict (fail, then inconclusive, then pass); what
an inconclusive verdict does to a release is the signature's choice
(``release_gate.inconclusive``: ``refuse`` by default, or ``warn``), and the decision line says
which rule applied.

Both are pydantic models, so an evidence pack keeps them as JSON; :meth:`ThresholdVerdict.line`
and :meth:`GateDecision.lines` are what the CLI, the error and the report print (every threshold
evaluated, then one decision, as MLflow's threshold validation reports). Nothing but pydantic is
imported: reading a decision loads none of the gate's numbers.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

Verdict = Literal["pass", "fail", "inconclusive"]
Rule = Literal["refuse", "warn"]
Kind = Literal["quality", "fairness", "champion"]
LimitType = Literal["lower_limit", "upper_limit"]

DEFAULT_LEVEL = 0.95
SEVERITY: dict[str, int] = {"pass": 0, "inconclusive": 1, "fail": 2}
METHOD_NAMES = {"wilson": "Wilson", "bootstrap": "bootstrap", "newcombe": "Newcombe paired",
                "none": "no interval"}


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
        if self.detail.get("reason"):  # why nothing (or nothing certain) was measured
            text += f"; {self.detail['reason']}"
        if self.verdict == "inconclusive" and self.records_to_decide is not None:
            text += f"; about {self.records_to_decide} records would decide"
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

