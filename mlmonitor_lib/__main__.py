"""``python -m mlmonitor_lib ...``: see :mod:`mlmonitor_lib.cli`."""

from __future__ import annotations

from mlmonitor_lib.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
