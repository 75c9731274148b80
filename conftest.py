"""Suite-wide options and the services each mode runs against.

``--mode mock`` (default): moto + the local SageMaker data plane + IBM emulators mounted on
``responses``; any host nobody emulates is refused, so no test can reach a network.
``--mode rehearsal``: the same emulators served over HTTP on 127.0.0.1, reached through the
settings a live run uses. ``--mode live``: real accounts; missing settings stop the run at start.
``--pace instant|realistic`` sets how fast the emulators' resources change state (endpoints
``Creating`` then ``InService``, subscriptions ``preparing`` then ``active``...): ``instant``
(default) shows each intermediate state to one observation, ``realistic`` holds each for a
compressed share of the real service's time so the library's waiting really runs.

Feature files are the specification people read, so ``pytest features/x.feature`` runs the
scenarios of that feature: the path is mapped to the module that binds it (``steps/test_x_bdd.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
MODES = ("mock", "rehearsal", "live")
PACES = ("instant", "realistic")  # mlmonitor_lib.emulators.pace.PACES (not imported: startup)
pytest_plugins = [
    "steps.fixtures",
    "steps.lifecycle_steps",
    "steps.training_steps",
    "steps.serving_steps",
    "steps.governance_steps",
    "steps.monitoring_steps",
    "steps.bad_input_steps",
    "steps.resilience_steps",
    "steps.report",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlmonitor", "MNIST onboarding suite")
    group.addoption(
        "--mode",
        choices=MODES,
        default=os.environ.get("MLMONITOR_MODE", "mock"),
        help="mock (default; emulated services), rehearsal (emulators over real HTTP) or live "
        "(real AWS and IBM accounts). Also MLMONITOR_MODE.",
    )
    group.addoption(
        "--pace",
        choices=PACES,
        default=os.environ.get("MLMONITOR_PACE") or "instant",
        help="how fast emulated resources change state: instant (default; each intermediate "
        "state seen once) or realistic (compressed real durations). Also MLMONITOR_PACE. "
        "Ignored in live mode.",
    )
    group.addoption(
        "--keep",
        action="store_true",
        default=False,
        help="leave the cloud resources a scenario created (for debugging); cleanup is skipped",
    )


def _binding_module(arg: str) -> str:
    """``features/training.feature[:...]`` -> ``steps/test_training_bdd.py``."""
    path, sep, rest = arg.partition("::")
    candidate = Path(path)
    if candidate.suffix == ".feature":
        binding = ROOT / "steps" / f"test_{candidate.stem}_bdd.py"
        if binding.exists():
            return str(binding) + sep + rest
    elif candidate.resolve() == ROOT / "features":
        return str(ROOT / "steps")
    return arg


def pytest_configure(config: pytest.Config) -> None:
    config.args[:] = [_binding_module(arg) for arg in config.args]
    mode = config.getoption("--mode")
    if mode not in MODES:
        raise pytest.UsageError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "live" and not hasattr(config, "workerinput"):
        from mlmonitor_lib.errors import MlMonitorError
        from mlmonitor_lib.settings import Settings

        try:
            Settings.load().require_live()
        except MlMonitorError as missing:
            pytest.exit(str(missing), returncode=4)
