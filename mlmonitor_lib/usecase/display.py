"""What the use case prints: progress lines and the seed's ``display_states()`` table."""

from __future__ import annotations

from typing import TextIO


def say(stream: TextIO, text: str) -> None:
    """One progress line (or block), flushed at once so that it interleaves with the SDKs'."""
    print(text, file=stream, flush=True)


def states_table(states: dict[str, bool]) -> str:
    """The lifecycle flags exactly as the original project's ``display_states()`` prints them."""
    lines = [f"              - {flag + ':':<10} [{value}]" for flag, value in states.items()]
    return "\n" + "\n".join(lines) + "\n"
