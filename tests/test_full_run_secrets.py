"""No secret in anything a full run of the onboarding feature leaves: the HTML report, the
cucumber JSON, the run's stdout and stderr, and every file under its temporary directories
(state files, the OpenScale database, model artifacts), plus the emulators' state and S3.

The run is the one a user makes (``pytest features/onboarding.feature --html ...
--cucumberjson ...``) in a separate process, with the test-only plugin
``tests/plugins/secret_witness.py`` reporting which secret values that run's emulated world
used. ``tests/test_secrets.py`` does the same search in-process for the library alone, with
every log record at DEBUG; this one adds what the pytest plugins write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlmonitor_harness import leaks
from mlmonitor_lib.report.secrets import MASK

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = Path(__file__).resolve().parent / "plugins"

pytestmark = pytest.mark.slow


def test_a_full_onboarding_run_writes_no_secret_into_its_report_or_files(tmp_path: Path) -> None:
    witness, basetemp, logs = tmp_path / "witness", tmp_path / "run", tmp_path / "logs"
    witness.mkdir()
    html, cucumber = tmp_path / "reports" / "onboarding.html", tmp_path / "reports" / "c.json"
    env = {**os.environ, "SECRET_WITNESS_DIR": str(witness), "MLMONITOR_MODE": "mock",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGINS),
                                                       os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "features/onboarding.feature", "-p", "secret_witness",
         "-p", "no:cacheprovider", f"--basetemp={basetemp}", f"--html={html}",
         "--self-contained-html", f"--cucumberjson={cucumber}", "-o", "log_level=DEBUG",
         "--log-file", str(logs / "run.log"), "--log-file-level=DEBUG", "-rA"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout

    secrets = json.loads((witness / "secrets.json").read_text(encoding="utf-8"))
    assert set(secrets) >= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "API_KEY",
                            "CP4D_PASSWORD"}
    state = witness / "state"
    sources: dict[str, bytes | str] = {
        "stdout": done.stdout, "stderr": done.stderr,
        **dict(leaks.files_under(html.parent, basetemp, logs)),
        **{(state / f"{p.name}.name").read_text(encoding="utf-8"): p.read_bytes()
           for p in state.iterdir() if not p.name.endswith(".name")},
    }
    assert {str(html), str(cucumber), str(logs / "run.log")} <= set(sources)
    assert any(name.endswith("openscale.sqlite") for name in sources)
    assert len(sources) > 20  # the run's state, artifacts and emulator state were all found

    # the search does find these values where they are (the witness's own file)...
    assert leaks.scan({"witness": (witness / "secrets.json").read_bytes()}, secrets)
    # ...and nowhere in the run
    assert leaks.scan(sources, secrets) == {}
    # and the report's last-line scrubber had nothing of ours to mask
    assert MASK not in html.read_text(encoding="utf-8")
