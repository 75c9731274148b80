"""Fixtures behind the Given steps: which services a scenario runs against, per ``--mode``.

Given steps are backed by these fixtures (no global context dict); When steps publish their
outcome with ``target_fixture``; Then steps only assert.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def mode(pytestconfig: pytest.Config) -> str:
    """The mode this run uses: mock, rehearsal or live."""
    return pytestconfig.getoption("--mode")


@pytest.fixture(scope="session")
def keep_resources(pytestconfig: pytest.Config) -> bool:
    """``--keep``: leave cloud resources for debugging instead of cleaning up."""
    return bool(pytestconfig.getoption("--keep"))
