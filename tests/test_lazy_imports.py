"""The library and test collection stay fast: no heavy SDK is imported by accident."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("tensorflow", "keras", "sagemaker", "ibm_watson_openscale", "ibm_aigov_facts_client",
         "mlflow", "pandas")
MODULES = [
    "mlmonitor_lib",
    "mlmonitor_lib.settings",
    "mlmonitor_lib.state",
    "mlmonitor_lib.signature",
    "mlmonitor_lib.datasets",
    "mlmonitor_lib.datasets.mnist",
    "mlmonitor_lib.datasets.tabular",
    "mlmonitor_lib.usecase.profiles.mnist",
    "mlmonitor_lib.usecase.profiles.tabular",
    "mlmonitor_lib.emulators.iam",
]


@pytest.mark.parametrize("module", MODULES)
def test_import_does_not_pull_heavy_sdks(module):
    code = (
        f"import sys, {module}; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} imported {out.stdout.strip()}"


@pytest.mark.parametrize("module", ["mlmonitor_lib.cli", "mlmonitor_lib.settings"])
def test_the_library_loads_neither_emulators_nor_harness(module):
    """The CLI reaches the harness only inside ``emulators serve`` (the one import the layering
    contracts in pyproject.toml allow): loading the CLI for any other command loads neither."""
    code = (
        f"import sys, {module}; "
        "print(','.join(m for m in sys.modules "
        "if m.startswith(('mlmonitor_lib.emulators', 'mlmonitor_harness'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} loaded {out.stdout.strip()}"
