"""A recorded gate decision as the CLI and the report print it.

The decision comes from an evidence pack or a state file as JSON (a ``GateDecision``'s dump);
it is read back into the :mod:`.decision` model, which recomputes ``overall`` and ``approved``
from the verdicts (an edited "approved" does not survive) and words every line, so the CLI and
the report print exactly what the gate printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from mlmonitor_lib.errors import MlMonitorError
from mlmonitor_lib.gate.decision import GateDecision


def read_decision(decision: Mapping[str, Any]) -> GateDecision:
    """The recorded decision as the model; a dict the gate did not write is refused."""
    try:
        return GateDecision.model_validate(decision)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors(include_url=False))
        raise MlMonitorError(f"the recorded gate decision is not one the gate writes "
                             f"({problems})") from None


def decision_headline(decision: Mapping[str, Any]) -> str:
    """The decision in one line: approved or refused, the overall verdict and the rule."""
    model = read_decision(decision)
    word = "APPROVED" if model.approved else "REFUSED"
    if model.approved and model.overall == "inconclusive":
        word = "APPROVED WITH A WARNING"
    meaning = {"refuse": "an inconclusive verdict refuses the release",
               "warn": "an inconclusive verdict only warns"}[model.rule]
    return (f"{word}: overall {model.overall}; rule \"{model.rule}\" ({meaning}); "
            f"{100 * model.level:g} % intervals")


def decision_lines(decision: Mapping[str, Any]) -> list[str]:
    """One line per threshold, then the gate's decision line."""
    return read_decision(decision).lines()


def decision_exit_code(decision: Mapping[str, Any]) -> int:
    """0 approved, 1 a threshold fails, 2 inconclusive under the rule "refuse"."""
    return read_decision(decision).exit_code
