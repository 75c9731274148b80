"""Stand-ins the tests share: a clock moved by hand and a fake AWS environment.

Why in the harness: the emulators' realistic pace and moto both need them in several test
modules, and the harness is where every clock that makes waiting instant lives.
"""

from __future__ import annotations

import pytest

REGION = "ca-central-1"


class FakeClock:
    """A monotonic clock the test moves by hand (the realistic pace without sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fake_aws_environment(mp: pytest.MonkeyPatch, region: str = REGION) -> None:
    """Test credentials and region, and none of the settings that would send boto3 elsewhere
    (an endpoint URL, a profile, a session token) from the developer's shell."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": region}.items():
        mp.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        mp.delenv(name, raising=False)
