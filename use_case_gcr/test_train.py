"""Train the German Credit Risk model locally (a script, not a pytest test).

    python use_case_gcr/test_train.py [--catalog-id ID --model-entry-id ID] [--C X]
        [--max-iter N] [--seed N]

Runs the very entry point SageMaker runs (``train_gcr.main``) with local paths instead of the
container's ``SM_*`` variables: data from ``<repo>/datasets/german_credit`` (or
``$MLMONITOR_DATA_DIR``; ``train.csv`` and ``test.csv``, which ``python -m mlmonitor_lib data
fetch`` writes), artefacts into ``<repo>/models/gcr/`` laid out exactly like the job's
``model.tar.gz`` (``model.joblib``, ``code/inference.py``, ``code/gcr_features.py``), with
``metrics.json`` beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main(argv: list[str] | None = None) -> int:
    """Parse the flags and delegate to the training entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog-id", default=None)
    parser.add_argument("--model-entry-id", default=None)
    parser.add_argument("--C", type=float, default=None)
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("MLMONITOR_DATA_DIR",
                                                    REPO / "datasets" / "german_credit")))
    parser.add_argument("--model-dir", type=Path, default=REPO / "models" / "gcr")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    import train_gcr

    forwarded = ["--train", str(args.data_dir), "--test", str(args.data_dir),
                 "--model-dir", str(args.model_dir), "--output-data-dir", str(args.model_dir)]
    for flag in ("catalog_id", "model_entry_id", "C", "max_iter", "seed"):
        value = getattr(args, flag)
        if value is not None:
            forwarded += [f"--{flag.replace('_', '-')}", str(value)]
    status = train_gcr.main(forwarded)
    if status == 0:
        print(f"model trained locally is stored in {args.model_dir / train_gcr.MODEL_FILE}")
    return status


if __name__ == "__main__":
    sys.exit(main())
