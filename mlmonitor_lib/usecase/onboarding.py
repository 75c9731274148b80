"""The onboarding order as data: the lifecycle's steps, in the order the seed runs them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mlmonitor_lib.usecase.lifecycle import ModelUseCase

StageName = Literal["training", "serving", "governance", "monitoring"]


@dataclass(frozen=True)
class Step:
    """One call of the onboarding: a :class:`ModelUseCase` method and the stage it belongs to.

    ``samples``: the method takes ``num_samples`` (how many test images it scores).
    """

    stage: StageName
    method: str
    samples: bool = False

    def run(self, use_case: ModelUseCase, samples: int = 100) -> Any:
        """Call the step on ``use_case``; returns what the method returns."""
        call = getattr(use_case, self.method)
        return call(num_samples=samples) if self.samples else call()


ONBOARDING: tuple[Step, ...] = (
    Step("training", "train"),
    Step("serving", "deploy"),
    Step("governance", "govern"),
    Step("monitoring", "monitor"),
    Step("monitoring", "log_payload", samples=True),
    Step("monitoring", "configure_quality_monitor"),
    Step("monitoring", "log_feedback", samples=True),
    Step("monitoring", "evaluate"),
)


def steps_after(method: str, steps: tuple[Step, ...] = ONBOARDING) -> tuple[Step, ...]:
    """The steps that follow ``method`` (e.g. everything after ``train``, for an attached job)."""
    names = [step.method for step in steps]
    if method not in names:
        raise ValueError(f"{method!r} is not an onboarding step: one of {', '.join(names)}")
    return steps[names.index(method) + 1 :]


def onboard(use_case: ModelUseCase, steps: Iterable[Step] = ONBOARDING, samples: int = 100) -> Any:
    """Run ``steps`` in order on ``use_case``; returns the last one's answer (the evaluation)."""
    result = None
    for step in steps:
        result = step.run(use_case, samples)
    return result
