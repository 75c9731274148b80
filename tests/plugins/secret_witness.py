"""Test-only pytest plugin for ``tests/test_full_run_secrets.py``: a full run's witness.

A mock run's secrets (the emulated world's API key, CP4D password, AWS keys) are made inside
the run and die with it, as does the in-process emulator state. Loaded with
``-p secret_witness`` into a run of the real features, this writes both to
``$SECRET_WITNESS_DIR`` at the end of the session, so the test can search the run's report,
cucumber JSON, output and files for those exact values. Nothing here changes the run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlmonitor_harness import leaks


@pytest.fixture(scope="session", autouse=True)
def _secret_witness(world: Any) -> Iterator[None]:
    yield
    if getattr(world, "ibm", None) is None:
        return
    target = Path(os.environ["SECRET_WITNESS_DIR"])
    secrets = leaks.named_secrets(world.settings, {"CP4D_PASSWORD": world.ibm.password})
    (target / "secrets.json").write_text(json.dumps(secrets), encoding="utf-8")
    state = target / "state"
    state.mkdir(exist_ok=True)
    sources = {**leaks.emulator_state(world.ibm), **dict(leaks.s3_objects(world.session))}
    for number, (name, blob) in enumerate(sources.items()):
        (state / f"{number:04d}").write_bytes(blob)
        (state / f"{number:04d}.name").write_text(name, encoding="utf-8")
