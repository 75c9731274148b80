"""A call-by-call ledger of a replayed client flow: served as the real service served it, refused
as not emulated, or missed (and why).

Why: a contract test that replays someone else's client (IBM's notebook, the original project)
must not stop at the first call the emulator gets wrong, nor pass silently when it does. Each
call goes through :meth:`Ledger.call`; a call whose input came from a call that was not served is
recorded as missed without being made, and the replay goes on. The test then compares the whole
ledger with the one it expects and prints the counts (``pytest -rA -s`` collects them).
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

SERVED = "served"
NOT_EMULATED = "not emulated"  # the emulator's 501 AIQCS0012E: issue #16 brings these monitors
MISSED = "missed"
NOT_EMULATED_CODE = "AIQCS0012E"

T = TypeVar("T")


@dataclass(frozen=True)
class Entry:
    """One call of the flow and how the emulator answered it."""

    call: str
    outcome: str
    why: str = ""


def _error_code(exc: Exception) -> str | None:
    """The service's error code (``errors[0].code``) of an ``ApiException``, if it has one."""
    response = getattr(exc, "http_response", None)
    try:
        return response.json()["errors"][0]["code"]
    except Exception:  # noqa: BLE001 - no body, not JSON, another shape: no code
        return None


def _describe(exc: BaseException) -> str:
    """A one-line reason: HTTP status and message for the SDK's errors, else type and text."""
    status = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" (at {where.name}:{where.lineno})" if where and not status else ""
    prefix = f"HTTP {status}: " if isinstance(status, int) else f"{type(exc).__name__}: "
    return (prefix + " ".join(str(message).split()))[:400] + place


class Ledger:
    """The outcome of every call of one replayed flow, in the order the flow made them."""

    def __init__(self, flow: str) -> None:
        self.flow = flow
        self.entries: list[Entry] = []

    def _record(self, call: str, outcome: str, why: str = "") -> None:
        if any(e.call == call for e in self.entries):
            raise ValueError(f"call {call!r} recorded twice: give each call its own name")
        self.entries.append(Entry(call, outcome, why))

    def failed(self, call: str) -> bool:
        """True if ``call`` was made and not served (or never recorded)."""
        return self.outcomes().get(call) != SERVED

    def call(self, call: str, make: Callable[[], T], check: Callable[[T], None] | None = None,
             needs: Iterable[str] = ()) -> T | None:
        """Make one call of the flow and record how it was answered.

        ``make`` makes the call (as the flow makes it); ``check`` asserts the answer matches the
        recorded output (an ``AssertionError`` makes the call missed, with its message);
        ``needs`` names the earlier calls whose results this call's input is built from.
        Returns the call's result, or ``None`` when it was not served.
        """
        for needed in needs:
            if self.failed(needed):
                self._record(call, MISSED, f"because {needed} failed")
                return None
        try:
            result = make()
        except Exception as exc:  # noqa: BLE001 - every failure is a ledger line, not a crash
            if getattr(exc, "code", None) == 501 and _error_code(exc) == NOT_EMULATED_CODE:
                self._record(call, NOT_EMULATED, _describe(exc))
            else:
                self._record(call, MISSED, _describe(exc))
            return None
        if check is not None:
            try:
                check(result)
            except Exception as exc:  # noqa: BLE001 - a failed check is a difference
                self._record(call, MISSED, f"answer differs from the recording: {_describe(exc)}")
                return None
        self._record(call, SERVED)
        return result

    def outcomes(self) -> dict[str, str]:
        return {e.call: e.outcome for e in self.entries}

    def counts(self) -> dict[str, int]:
        found = Counter(e.outcome for e in self.entries)
        return {k: found.get(k, 0) for k in (SERVED, NOT_EMULATED, MISSED)}

    def summary(self, transport: str) -> str:
        """The counts line, then one line per call not served (for the closing note)."""
        counts = self.counts()
        lines = [f"CONTRACT {self.flow} [{transport}]: {len(self.entries)} calls, "
                 f"{counts[SERVED]} served, {counts[NOT_EMULATED]} not emulated, "
                 f"{counts[MISSED]} missed"]
        lines += [f"  {e.outcome:12} {e.call}: {e.why}" for e in self.entries
                  if e.outcome != SERVED]
        return "\n".join(lines)

    def assert_matches(self, expected: Mapping[str, str]) -> None:
        """Fail once, listing every call whose outcome differs from ``expected`` (and every
        call expected but not made, or made but not expected)."""
        actual = self.outcomes()
        whys = {e.call: e.why for e in self.entries}
        problems = []
        for call, outcome in expected.items():
            if call not in actual:
                problems.append(f"- {call}: expected {outcome}, never made")
            elif actual[call] != outcome:
                why = f" ({whys[call]})" if whys[call] else ""
                problems.append(f"- {call}: expected {outcome}, was {actual[call]}{why}")
        problems += [f"- {call}: made ({outcome}) but not expected" for call, outcome
                     in actual.items() if call not in expected]
        assert not problems, (f"{self.flow}: {len(problems)} calls differ from the expected "
                              "ledger:\n" + "\n".join(problems))


def expected_ledger(calls: Iterable[str], not_emulated: Mapping[str, str],
                    missed: Mapping[str, str]) -> dict[str, str]:
    """Every call served, but those refused as not emulated and those expected to miss (each
    with why, in the test's own named dicts)."""
    return {c: NOT_EMULATED if c in not_emulated else MISSED if c in missed else SERVED
            for c in calls}


def shape(value: Any) -> Any:
    """The keys of a document, recursively, with the type of each leaf (values ignored; a list
    of objects is its items' keys merged under ``[]``, a list of scalars ``list[<types>]``):
    what 'the same answer' means without ids and timestamps."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        objects = [item for item in value if isinstance(item, dict)]
        if objects:
            merged: dict[str, Any] = {}
            for item in objects:
                merged.update(shape(item))
            return {"[]": merged}
        return f"list[{','.join(sorted({shape(item) for item in value}))}]"
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, int | float) else type(value).__name__


def shape_differences(actual: Any, recorded: Any, path: str = "") -> list[str]:
    """Every place ``actual``'s shape differs from ``recorded``'s, one line each (JSON path)."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        found = [f"{path}.{k} missing" for k in recorded if k not in actual]
        found += [f"{path}.{k} not in the recording" for k in actual if k not in recorded]
        for k in recorded:
            if k in actual:
                found += shape_differences(actual[k], recorded[k], f"{path}.{k}")
        return found
    return [] if actual == recorded else [f"{path} is {actual}, recorded {recorded}"]


def assert_same_shape(actual: Any, recorded: Any) -> None:
    """Assert two documents have the same keys and leaf types, listing every difference."""
    found = shape_differences(shape(actual), shape(recorded))
    assert not found, "; ".join(found)
