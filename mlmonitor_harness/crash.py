"""Make a mock run crash right after a chosen resource is created, to prove that a use case
resumed from the state file alone can clean up (tests, steps and ``bench/resilience.py``).

Why through the ledger: every resource is recorded the moment it exists, so an observer of the
ledger (``StateStore.observe``) is the one seam that sees each creation point of every service.
When the chosen one is recorded, every service starts failing every call (SageMaker through
``LocalSageMaker``'s faults, IBM through the emulators' fault plans): the lifecycle's next call,
whatever it is, fails, as if the process had died there. The steps run are the library's own
onboarding order (``mlmonitor_lib.usecase.onboarding``), not a copy of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

IBM_SERVICES = ("openscale", "factsheets", "iam")
CreationPoint = tuple[str, str, str | None]  # (service, kind, monitor) as the ledger records
# The one list of crash points: every resource an onboarding creates, in the order it creates
# them, by the name the features give it ("a crash right after the <resource> is created").
CREATION_POINTS_BY_NAME: dict[str, CreationPoint] = {
    "serving model": ("serving", "model", None),
    "endpoint configuration": ("serving", "endpoint-config", None),
    "endpoint": ("serving", "endpoint", None),
    "training facts": ("factsheets", "notebook_experiment", None),
    "model asset": ("factsheets", "model_asset", None),
    "model use case link": ("factsheets", "model_link", None),
    "data mart": ("wos", "data_mart", None),
    "service provider": ("wos", "service_provider", None),
    "subscription": ("wos", "subscription", None),
    "quality monitor": ("wos", "monitor_instance", "quality"),
}
CREATION_POINTS: list[CreationPoint] = list(CREATION_POINTS_BY_NAME.values())


def point_id(point: CreationPoint) -> str:
    service, kind, monitor = point
    return f"{service}-{kind}" + (f"-{monitor}" if monitor else "")


def fail_everything(world: Any) -> None:
    """From now on every SageMaker call fails at once (a non-retryable code) and every IBM
    request gets a 500 (retried by the SDKs, then given up)."""
    world.local_sagemaker.faults.inject("*", "InjectedCrash", times=-1, status=400,
                                        message="injected crash")
    for service in IBM_SERVICES:
        world.ibm.faults(service).fail_next("*", "*", status=500, times=-1)


def lift_faults(world: Any) -> None:
    """Clear every planned fault (SageMaker and IBM); counts of injected ones stay."""
    world.local_sagemaker.faults.clear()
    for service in IBM_SERVICES:
        world.ibm.faults(service).clear()


def crash_after(use_case: Any, point: CreationPoint, crash: Callable[[], None]) -> list[str]:
    """Make ``crash`` run right after ``point`` is first recorded in the use case's ledger;
    returns a list that holds the recorded id once that happened."""
    service, kind, monitor = point
    fired: list[str] = []

    def crash_at_point(resource: Any) -> None:
        if (resource.service, resource.kind) == (service, kind) and not fired \
                and monitor in (None, resource.attrs.get("monitor")):
            fired.append(resource.id)
            crash()

    use_case.store.observe(crash_at_point)
    return fired


def run_lifecycle(use_case: Any, samples: int = 20) -> Any:
    """Every step of an onboarding after training, in the library's own order; returns the
    evaluation."""
    from mlmonitor_lib.usecase.onboarding import onboard, steps_after

    return onboard(use_case, steps_after("train"), samples=samples)


def environment_reaching(settings: Any) -> dict[str, str]:
    """This process's environment with every setting replaced by ``settings``' own, secrets
    included (the child must log in): nothing of the user's shell configuration leaks in."""
    from mlmonitor_lib.settings import Settings

    ours = {name.upper() for name in Settings.model_fields} | {"MONITOR_CONFIG_FILE"}
    env = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    return env | settings.environment(secrets=True)


# The CLI's own main, run as ``python -m mlmonitor_lib`` runs it, with the OpenScale SDK's waits
# made instant as in the world itself: each synchronous delete otherwise sleeps the SDK's fixed
# 5 s before its first status check, about 25 s per cleanup of a monitored use case.
_CLI_WITH_INSTANT_SDK_WAITS = """
import sys
from mlmonitor_lib.cli import main
from mlmonitor_harness.sdk_clock import instant_sdk_waits
with instant_sdk_waits():
    status = main(sys.argv[1:])
raise SystemExit(status)
"""


def cleanup_in_new_process(state_file: Path, settings: Any, timeout_s: float = 600) -> dict:
    """Run the CLI's ``state cleanup STATE_FILE`` in a new process reaching the world through
    ``settings`` (see ``open_to_other_processes``); return its deleted counts.

    The child starts in the state file's folder, so no ``.env`` of the caller's is read.
    """
    done = subprocess.run(
        [sys.executable, "-c", _CLI_WITH_INSTANT_SDK_WAITS, "state", "cleanup", "--json",
         str(state_file)],
        env=environment_reaching(settings), cwd=Path(state_file).parent, capture_output=True,
        text=True, timeout=timeout_s, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the cleanup process exited with {done.returncode}:\n"
                           f"{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
