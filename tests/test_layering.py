"""The three rooms stay apart: the layering contracts in pyproject.toml hold, and they do catch
a forbidden import when one comes back.

Why a test besides ``make lint``: a contract written with the wrong wildcard passes forever
while checking nothing. Each case below builds a miniature of the house with one forbidden
import in it and runs ``lint-imports`` with the project's own contracts on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# The miniature: a library with a use case and the CLI's one allowed lazy import, emulators,
# and a harness that may import both.
HOUSE = {
    "mlmonitor_lib/__init__.py": "",
    "mlmonitor_lib/settings.py": "",
    "mlmonitor_lib/usecase.py": "from mlmonitor_lib import settings\n",
    "mlmonitor_lib/cli.py": "def serve():\n    from mlmonitor_harness import rehearsal\n",
    "mlmonitor_lib/emulators/__init__.py": "",
    "mlmonitor_lib/emulators/openscale.py": "from mlmonitor_lib.emulators import routing\n",
    "mlmonitor_lib/emulators/routing.py": "",
    "mlmonitor_harness/__init__.py": "",
    "mlmonitor_harness/rehearsal.py": (
        "from mlmonitor_lib import usecase\nfrom mlmonitor_lib.emulators import openscale\n"),
}


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-logo", "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def build_house(root: Path, extra: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    for name, text in {**HOUSE, **extra}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(path.read_text() + text if path.exists() else text)
    return root


def test_the_project_keeps_its_layering_contracts():
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_miniature_house_keeps_them(tmp_path):
    done = lint_imports(build_house(tmp_path, {}))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.parametrize(("extra", "broken"), [
    ({"mlmonitor_lib/usecase.py": "from mlmonitor_lib.emulators import openscale\n"},
     "The lifecycle library imports neither the emulators nor the test harness"),
    ({"mlmonitor_lib/settings.py": "import mlmonitor_harness\n"},
     "The lifecycle library imports neither the emulators nor the test harness"),
    ({"mlmonitor_lib/emulators/routing.py": "from mlmonitor_lib import usecase\n"},
     "The emulators stand alone: nothing of the library, nothing of the harness"),
    ({"mlmonitor_lib/emulators/routing.py": "from mlmonitor_harness import rehearsal\n"},
     "The emulators stand alone: nothing of the library, nothing of the harness"),
    ({"mlmonitor_lib/settings.py": "from mlmonitor_lib import usecase\n"},
     "No import circle between the modules of a package"),
    ({"mlmonitor_harness/world.py": "from mlmonitor_harness import rehearsal\n",
      "mlmonitor_harness/rehearsal.py": "from mlmonitor_harness import world\n"},
     "No import circle between the modules of a package"),
], ids=["library-imports-emulators", "library-imports-harness", "emulator-imports-library",
        "emulator-imports-harness", "circle-in-library", "circle-in-harness"])
def test_a_forbidden_import_breaks_a_contract(tmp_path, extra, broken):
    done = lint_imports(build_house(tmp_path, extra))
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{broken} BROKEN" in done.stdout
