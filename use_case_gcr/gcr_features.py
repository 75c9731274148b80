"""The German Credit Risk model's inputs: its columns, and rows of values turned into the table
the model reads.

Shared by the training script (``train_gcr.py``) and the serving handlers (``inference.py``),
so a row is typed the same way when the model learns from it and when it scores it. The
training job copies this file beside ``inference.py`` into ``<model_dir>/code/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

LABEL_COLUMN = "risk"  # 1 = good credit (the favourable outcome), 0 = bad
POSITIVE_CLASS = 1
# In the order of the data set's header (and of a scoring row); model_signature.json lists them.
FEATURE_COLUMNS = ["sex", "job", "housing", "saving_accounts", "checking_account",
                   "credit_amount", "duration", "purpose", "age"]
# Strings, one-hot encoded. ``job`` is not among them: it is an ordered skill level (0 unskilled
# non-resident, 1 unskilled resident, 2 skilled, 3 highly skilled), kept as a number.
CATEGORICAL_COLUMNS = ["sex", "housing", "saving_accounts", "checking_account", "purpose"]
NUMERIC_COLUMNS = [c for c in FEATURE_COLUMNS if c not in CATEGORICAL_COLUMNS]


def features_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Rows of the 9 feature values (``FEATURE_COLUMNS`` order) as a table: numeric columns as
    numbers, categorical ones as strings. Raises ``ValueError`` naming the row and column of
    the first problem."""
    if len(rows) == 0:
        raise ValueError(f"no rows to score: send rows of {len(FEATURE_COLUMNS)} values "
                         f"({', '.join(FEATURE_COLUMNS)})")
    for number, row in enumerate(rows, start=1):
        if len(row) != len(FEATURE_COLUMNS):
            raise ValueError(f"row {number} has {len(row)} values, expected "
                             f"{len(FEATURE_COLUMNS)}: {', '.join(FEATURE_COLUMNS)}")
    frame = pd.DataFrame([list(row) for row in rows], columns=FEATURE_COLUMNS)
    for column in NUMERIC_COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce")
        missing = values.isna()
        if missing.any():
            number = int(missing.to_numpy().argmax())
            raise ValueError(f"row {number + 1}: {column} must be a number, got "
                             f"{frame[column].iloc[number]!r} (rows carry no header)")
        frame[column] = values
    for column in CATEGORICAL_COLUMNS:
        frame[column] = frame[column].astype(str)
    return frame
