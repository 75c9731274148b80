"""Live mode with missing settings stops at start and lists them: never a silent skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTING_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ROLE", "BUCKET_NAME",
                 "API_KEY", "WOS_INSTANCE_ID", "CATALOG_ID", "MODEL_ENTRY_ID",
                 "MONITOR_CONFIG_FILE", "AWS_PROFILE", "ENV", "MLMONITOR_MODE")


def test_live_run_without_settings_stops_before_any_test(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env["API_KEY"] = "sk-should-never-print-42"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--mode", "live", "-p", "no:cacheprovider",
         str(ROOT / "features" / "onboarding.feature")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 4, output
    assert "live mode needs these settings" in output
    for name in ("AWS_ROLE", "BUCKET_NAME", "WOS_INSTANCE_ID", "CATALOG_ID", "MODEL_ENTRY_ID"):
        assert name in output
    assert "API_KEY\n" not in output  # it is set
    assert "sk-should-never-print-42" not in output
    assert " passed" not in output and " skipped" not in output
