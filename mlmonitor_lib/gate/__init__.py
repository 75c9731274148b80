"""The release gate: pass, fail or "not enough evidence", and the evidence a release rests on.

The numbers:

- :mod:`.intervals`: Wilson and bootstrap intervals, and how many records would decide;
- :mod:`.metrics`: OpenScale's quality metrics recomputed from the gate records;
- :mod:`.fairness`: fairness groups and disparate impact recomputed from the payload records;
- :mod:`.paired`: the challenger minus the champion on the same records (Newcombe, McNemar,
  paired bootstrap).

The judgement:

- :mod:`.decision`: what the gate decides, one three-way verdict per threshold and the decision
  over them, with the lines the CLI, the error and the report print;
- :mod:`.verdicts`: the judges that give the verdicts from the gate records (quality, fairness,
  champion), and the decision over them.

The evidence:

- :mod:`.records`: the gate records the library keeps;
- :mod:`.digests`: SHA-256 of files, folders and S3 objects;
- :mod:`.evidence`: the evidence pack's model, built, written and read;
- :mod:`.verify`: a pack verified item by item, and its decision judged again from its records;
- :mod:`.printing`: a recorded decision's headline, lines and exit code, from its dict.

Importing this package imports nothing (numpy, pydantic and scipy load with the modules that use
them), so ``import mlmonitor_lib`` stays cheap.
"""
