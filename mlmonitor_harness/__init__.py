"""The test harness: emulated worlds, crash injection, inventories of what is left, secret scans,
and clocks that make waiting instant. Tests, steps, benchmarks and ``emulators serve`` use it.

The lifecycle library (``mlmonitor_lib`` outside ``emulators``) never imports it, with one
exception: the CLI's ``emulators serve`` command, inside its handler (the import-linter
contracts in pyproject.toml allow exactly that import).
"""
