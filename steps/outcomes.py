"""What the steps share that is not a step: the outcome a When step publishes, and what
scoring sent and got back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlmonitor_lib.errors import MlMonitorError

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True)
class Outcome:
    """What a When step's action produced: its result, or the library's refusal."""

    value: Any = None
    error: MlMonitorError | None = None

    def result(self) -> Any:
        """The result; an unexpected refusal fails the Then step as the library raised it."""
        if self.error is not None:
            raise self.error
        return self.value


def attempt(action: Callable[[], Any]) -> Outcome:
    """Run ``action`` once and keep its result or the library's refusal (other errors are
    bugs and propagate)."""
    try:
        return Outcome(value=action())
    except MlMonitorError as refused:
        return Outcome(error=refused)


def refusal(outcome: Outcome) -> MlMonitorError:
    """The refusal a Then step judges; fails when the action went through."""
    assert outcome.error is not None, f"expected a refusal, the action returned {outcome.value!r}"
    return outcome.error


@dataclass
class Scoring:
    """What scoring answered, and what went over the wire to get it."""

    fields: list[str]
    values: list[Any]
    response_time_ms: float  # what the library measured and reports
    wall_ms: float  # the whole call, timed by the step
    request_bytes: list[int] = field(default_factory=list)  # one entry per InvokeEndpoint
    classes: list[Any] = field(default_factory=list)  # each prediction's class
    probabilities: list[list[float]] = field(default_factory=list)  # per class, each


class InvokeRequests:
    """Counts the InvokeEndpoint requests a boto3 session sends, and their body sizes
    (botocore's ``before-call`` event: client side, so it counts in every mode)."""

    EVENT = "before-call.sagemaker-runtime.InvokeEndpoint"

    def __init__(self, session: Any) -> None:
        self.events = session.events if hasattr(session, "events") else session._session
        self.sizes: list[int] = []

    def _seen(self, params: dict, **_: Any) -> None:
        self.sizes.append(len(params.get("body") or b""))

    def __enter__(self) -> InvokeRequests:
        self.events.register(self.EVENT, self._seen, unique_id=f"count-invokes-{id(self)}")
        return self

    def __exit__(self, *_: Any) -> None:
        self.events.unregister(self.EVENT, unique_id=f"count-invokes-{id(self)}")
