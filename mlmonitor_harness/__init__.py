"""The test harness: emulated worlds, crash injection, inventories of what is left, and clocks
that make waiting instant. Tests, steps, benchmarks and ``emulators serve`` use it; the
lifecycle library (``mlmonitor_lib`` outside ``emulators``) never imports it.
"""
