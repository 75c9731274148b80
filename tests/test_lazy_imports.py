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
