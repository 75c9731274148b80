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
    "steps.common_steps",  # the generic steps; each area's own sit in steps/test_<area>_bdd.py
    "steps.monitoring_steps",  # monitoring and release-gate steps several features share
    "steps.report",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlmonitor", "model onboarding suite")
    group.addoption(
        "--use-case",
        default=os.environ.get("MLMONITOR_USE_CASE") or "use_case_mnist_tf",
        metavar="FOLDER",
        help="the model use case the features onboard: a folder with a model_signature.json "
        "(default: use_case_mnist_tf). Also MLMONITOR_USE_CASE.",
    )
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
    # One pace for the whole run: processes the run starts (the crash-cleanup child, the
    # CLI) read it from MLMONITOR_PACE as the worlds read --pace.
    os.environ["MLMONITOR_PACE"] = config.getoption("--pace")
    if mode == "live" and not hasattr(config, "workerinput"):
        from mlmonitor_lib.errors import MlMonitorError
        from mlmonitor_lib.settings import Settings

        try:
            Settings.load().require_live()
        except MlMonitorError as missing:
            pytest.exit(str(missing), returncode=4)


# Scenarios a mode cannot run are left out at collection with the reason, never skipped
# halfway (a gate that skips after creating resources is a gate that lies).
LEFT_OUT = pytest.StashKey[dict]()
EMULATED_ONLY = ("needs an emulated world: it injects faults or crashes, or reads emulator "
                 "state that no real service exposes")
OTHER_PLATFORM = ("needs IBM {platform}, and the live account is ENV={env}: run again with that "
                  "platform's settings")
PLATFORM_ENV = {"ibm_cloud": "saas", "cloud_pak_for_data": "prem"}


PROFILES = ("mnist", "tabular")  # mlmonitor_lib.usecase.profiles (tags of a profile's scenarios)
OTHER_PROFILE = ("written for a {tag} model (its data and requests are that kind of model's); "
                 "the use case under test, {use_case}, is {profile}")
NO_FAIRNESS = ("judges fairness, and the signature of {use_case} monitors none "
               "(fairness_monitor.enabled)")
NO_ACCURACY = ("judges the accuracy threshold, and the signature of {use_case} sets none")


def _why_left_out_for_use_case(marks: set[str], config: pytest.Config) -> str | None:
    """A scenario that needs what the use case under test does not have is left out."""
    if not marks & {*PROFILES, "fairness", "accuracy_threshold"}:
        return None
    use_case, signature, profile = _use_case_under_test(config)
    for tag in marks & set(PROFILES):
        if tag != profile:
            return OTHER_PROFILE.format(tag=tag, use_case=use_case, profile=profile)
    if "fairness" in marks and not signature.monitors_fairness:
        return NO_FAIRNESS.format(use_case=use_case)
    thresholds = {t.metric_id for t in signature.quality_monitor.thresholds}
    if "accuracy_threshold" in marks and "accuracy" not in thresholds:
        return NO_ACCURACY.format(use_case=use_case)
    return None


def _use_case_under_test(config: pytest.Config) -> tuple[str, object, str]:
    """``--use-case``'s folder name, signature and profile name (read once per run)."""
    from mlmonitor_lib.signature import load_signature
    from mlmonitor_lib.usecase.lifecycle import resolve_source_dir
    from mlmonitor_lib.usecase.profiles import profile_for

    folder = resolve_source_dir(config.getoption("--use-case"))
    signature = load_signature(folder)
    return folder.name, signature, profile_for(signature, folder).name


def _why_left_out(item: pytest.Item, mode: str, live_env: str | None) -> str | None:
    marks = {mark.name for mark in item.iter_markers()}
    if mode == "live" and "emulated" in marks:
        return EMULATED_ONLY
    for_use_case = _why_left_out_for_use_case(marks, item.config)
    if for_use_case is not None:
        return for_use_case
    if mode == "rehearsal" and "ibm_cloud" in marks:
        from mlmonitor_harness.rehearsal import SAAS_UNAVAILABLE

        return SAAS_UNAVAILABLE
    if mode == "live":
        for mark, env in PLATFORM_ENV.items():
            if mark in marks and env != live_env:
                return OTHER_PLATFORM.format(platform=mark.replace("_", " "), env=live_env)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mode = config.getoption("--mode")
    live_env = None
    if mode == "live":
        from mlmonitor_lib.settings import Settings

        live_env = Settings.load().env
    kept, left_out, reasons = [], [], {}
    for item in items:
        reason = _why_left_out(item, mode, live_env)
        if reason is None:
            kept.append(item)
        else:
            left_out.append(item)
            reasons[reason] = reasons.get(reason, 0) + 1
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
    config.stash[LEFT_OUT] = reasons


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Say what this mode left out and why (a live run's reader must see it)."""
    mode = config.getoption("--mode")
    for reason, count in config.stash.get(LEFT_OUT, {}).items():
        terminalreporter.write_line(f"{count} test(s) left out of this {mode} run: {reason}")
