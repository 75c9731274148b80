"""A recorded gate decision as the CLI and the report print it, from its dict alone.

The decision comes from an evidence pack or a state file as JSON (a ``GateDecision``'s dump).
Its ``overall``, ``approved`` and lines are the :mod:`.decision` model's when that reads the
dict; otherwise they are worded from the dict as it is.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

METHOD_NAMES = {"wilson": "Wilson", "bootstrap": "bootstrap"}


def _number(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return "n/a"
    return f"{value:.{digits}f}"


def verdict_line(verdict: Mapping[str, Any]) -> str:
    """One threshold's verdict from its dict (a ``ThresholdVerdict``'s dump), worded as
    ``ThresholdVerdict.line()``: ``accuracy 0.830 [0.744, 0.891] (95 %, Wilson, 100
    records) vs lower_limit 0.800: inconclusive; about 640 records would decide``."""
    v = verdict
    level = v.get("level")
    level_text = f"{100 * level:g} %" if isinstance(level, (int, float)) else "n/a"
    method = METHOD_NAMES.get(str(v.get("method")), str(v.get("method") or "no interval"))
    line = (f"{v.get('name', v.get('metric_id', '?'))} {_number(v.get('estimate'))} "
            f"[{_number(v.get('low'))}, {_number(v.get('high'))}] ({level_text}, {method}, "
            f"{v.get('records', '?')} records) vs {v.get('type', '')} "
            f"{_number(v.get('threshold'))}: {v.get('verdict', '?')}")
    if v.get("verdict") == "inconclusive":
        more = v.get("records_to_decide")
        line += (f"; about {more} records would decide" if more is not None
                 else "; no number of records decides (the estimate is on the threshold)")
    return line


def settled(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The decision with ``overall`` and ``approved`` as the gate computes them from its
    verdicts (when :mod:`mlmonitor_lib.gate.decision` loads and reads the dict), else as the
    dict has them."""
    try:
        models = importlib.import_module("mlmonitor_lib.gate.decision")
        model = models.GateDecision.model_validate(decision)
    except (ImportError, AttributeError, ValidationError):
        return dict(decision)
    return {**decision, "overall": model.overall, "approved": model.approved}


def decision_headline(decision: Mapping[str, Any]) -> str:
    """The decision in one line: approved or refused, the overall verdict and the rule."""
    decision = settled(decision)
    overall, rule = decision.get("overall", "?"), decision.get("rule", "refuse")
    approved = bool(decision.get("approved"))
    level = decision.get("level")
    word = "APPROVED" if approved else "REFUSED"
    if approved and overall == "inconclusive":
        word = "APPROVED WITH A WARNING"
    meaning = {"refuse": "an inconclusive verdict refuses the release",
               "warn": "an inconclusive verdict only warns"}.get(str(rule), "")
    interval = f"; {100 * level:g} % intervals" if isinstance(level, (int, float)) else ""
    return f"{word}: overall {overall}; rule \"{rule}\" ({meaning}){interval}"


def decision_lines(decision: Mapping[str, Any]) -> list[str]:
    """One line per threshold (then the gate's decision line): the ``GateDecision``'s own
    ``lines()`` when :mod:`mlmonitor_lib.gate.decision` loads and reads the dict, else worded
    from the dict."""
    try:
        models = importlib.import_module("mlmonitor_lib.gate.decision")
        return [str(line) for line in models.GateDecision.model_validate(decision).lines()]
    except (ImportError, AttributeError, ValidationError):
        return [verdict_line(v) for v in decision.get("verdicts", [])]


def decision_exit_code(decision: Mapping[str, Any]) -> int:
    """0 approved, 1 a threshold fails, 2 inconclusive under the rule "refuse"."""
    decision = settled(decision)
    if decision.get("approved"):
        return 0
    return 1 if decision.get("overall") == "fail" else 2
