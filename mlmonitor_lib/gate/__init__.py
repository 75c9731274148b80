"""The release gate: pass, fail or "not enough evidence", and the evidence a release rests on.

- :mod:`.statistics`: the numbers (metrics recomputed from the gate records as OpenScale defines
  them, Wilson and bootstrap intervals, paired champion differences, how many records decide);
- :mod:`.verdicts`: one three-way verdict per threshold and the gate's decision, with the lines
  the CLI, the error and the report print.

Importing this package imports nothing (numpy, pydantic and scipy load with the modules that use
them), so ``import mlmonitor_lib`` stays cheap.
"""
