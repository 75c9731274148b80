"""Train the MNIST CNN locally, as the seed's ``test_train.py`` did (a script, not a pytest test).

    python use_case_mnist_tf/test_train.py --catalog-id <catalog id> --model-entry-id <entry id>
        [--epochs N] [--train-samples N] [--batch-size N] [--learning-rate X] [--seed N]

Runs the very entry point SageMaker runs (``tf_cnn_train.main``) with local paths instead of
the container's ``SM_*`` variables: data from ``<repo>/datasets/mnist`` (or
``$MLMONITOR_DATA_DIR``), artefacts into ``<repo>/models/`` laid out exactly like the job's
``model.tar.gz``: ``models/1/`` (SavedModel; the seed called it ``000000001``, TF Serving reads
both as version 1), ``models/code/inference.py``, ``models/mnist_cnn_aws.keras`` (the seed's
``.h5`` is a legacy format in Keras 3) and ``models/metrics.json``.

AI Factsheets logging is not done from here: the catalog and model entry ids are recorded in
``metrics.json`` and the onboarding library attaches the facts to the model use case.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main(argv: list[str] | None = None) -> int:
    """Parse the seed's flags and delegate to the training entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog-id", required=True)
    parser.add_argument("--model-entry-id", required=True)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--train-samples", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("MLMONITOR_DATA_DIR",
                                                    REPO / "datasets" / "mnist")))
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    import tf_cnn_model
    import tf_cnn_train

    forwarded = [
        "--catalog-id", args.catalog_id,
        "--model-entry-id", args.model_entry_id,
        "--train", str(args.data_dir),
        "--test", str(args.data_dir),
        "--model-dir", str(args.model_dir),
        "--output-data-dir", str(args.model_dir),
        "--verbose", "1",
    ]
    for flag in ("epochs", "train_samples", "batch_size", "learning_rate", "seed"):
        value = getattr(args, flag)
        if value is not None:
            forwarded += [f"--{flag.replace('_', '-')}", str(value)]
    status = tf_cnn_train.main(forwarded)
    if status == 0:
        print(f"models trained locally are stored in {args.model_dir / tf_cnn_model.KERAS_FILE} "
              f"and {args.model_dir / tf_cnn_model.SAVED_MODEL_VERSION}")
    return status


if __name__ == "__main__":
    sys.exit(main())
