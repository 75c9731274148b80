"""Resource names that never collide across runs, within SageMaker's length limits.

Why a random suffix and not only a timestamp: parallel runs (pytest-xdist workers, two CI jobs)
start in the same second; SageMaker rejects a second resource with the same name (moto silently
overwrites it, which would hide the collision in mock mode).
"""

from __future__ import annotations

import re
import secrets
import time

# SageMaker names (training job, model, endpoint config, endpoint): ^[a-zA-Z0-9](-*[a-zA-Z0-9])*
MAX_NAME_LENGTH = 63
_INVALID = re.compile(r"[^a-zA-Z0-9-]+")


def unique_suffix(nbytes: int = 3) -> str:
    """A short random hex suffix (6 characters by default)."""
    return secrets.token_hex(nbytes)


def unique_name(base: str, *, timestamp: bool = True, max_length: int = MAX_NAME_LENGTH) -> str:
    """``<base>-<YYYYMMDD-HHMMSS>-<random>``, trimmed from the base so the unique tail survives.

    Invalid characters become ``-`` so any job name can seed an endpoint name.
    """
    tail = unique_suffix()
    if timestamp:
        tail = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{tail}"
    clean = _INVALID.sub("-", base).strip("-") or "mlmonitor"
    room = max_length - len(tail) - 1
    head = clean[:room].rstrip("-")
    return f"{head}-{tail}"


def derived_name(base: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """A name for a resource made from another one (endpoint after its job): the base plus a
    fresh random suffix, no second timestamp."""
    return unique_name(base, timestamp=False, max_length=max_length)
