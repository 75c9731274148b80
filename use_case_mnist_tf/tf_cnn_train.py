"""Train the MNIST CNN: the entry point a SageMaker TensorFlow training job runs.

Contract (the SageMaker training container's, so the same script runs on AWS, in the local
emulator and by hand):

* inputs: ``SM_CHANNEL_TRAINING`` (``--train``) holds ``train-images-idx3-ubyte.gz`` and
  ``train-labels-idx1-ubyte.gz``; ``SM_CHANNEL_TESTING`` (``--test``, defaults to the training
  channel) holds ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``. Uncompressed
  IDX files (same names without ``.gz``) are accepted too.
* hyperparameters (SageMaker passes them as ``--key value`` strings): ``--batch-size``,
  ``--epochs``, ``--learning-rate``, ``--label-smoothing``, ``--train-samples`` (first N
  training images, 0 = all), ``--seed``, plus the seed's ``--catalog-id`` /
  ``--model-entry-id`` (recorded in metrics.json for AI Factsheets). Unknown hyperparameters
  (``--ibm-key-name``...) are logged and ignored.
* outputs in ``SM_MODEL_DIR`` (``--model-dir``), i.e. the content of ``model.tar.gz``::

      1/saved_model.pb, 1/variables/...   TF Serving SavedModel, signature "serving_default",
                                          input "image" (N, 28, 28, 1) float32 in [0, 1],
                                          output "output_0" (N, 10) softmax
      code/inference.py                   the TF Serving container's pre/post-processing handlers
      mnist_cnn_aws.keras                 the Keras model (Keras 3 native format: the seed's
                                          .h5 is a legacy format Keras 3 warns about and cannot
                                          round-trip every object in)

* ``metrics.json`` in ``SM_OUTPUT_DATA_DIR`` (``--output-data-dir``; defaults to the model dir
  when neither is given) and one ``name=value;`` line per metric on stdout, which SageMaker
  metric definitions (``METRIC_DEFINITIONS``) scrape, e.g. ``test_accuracy=([0-9.]+);``.
* on failure: the reason is written to ``$SM_OUTPUT_DIR/failure`` (SageMaker reads
  ``/opt/ml/output/failure`` into the job's ``FailureReason``) and the exit status is 1.

The entry point parses the contract and reports; its sibling modules in the same code
directory (``source_dir``, which the training image puts on ``sys.path``) hold the rest:
``tf_cnn_data.py`` (IDX channels -> arrays) and ``tf_cnn_model.py`` (the CNN, its training
recipe and its artefacts). None imports ``mlmonitor_lib``: it is not in the training image.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

# The training container runs this script from its code directory, which is on ``sys.path``;
# a loader that imports it by file path (tests, benchmarks) finds its siblings the same way.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from tf_cnn_data import TrainingError, load_data  # noqa: E402
from tf_cnn_model import (  # noqa: E402
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_LABEL_SMOOTHING,
    DEFAULT_LEARNING_RATE,
    DEFAULT_SEED,
    build_model,
    compile_model,
    configure_determinism,
    evaluate,
    save_artifacts,
    steps_per_epoch,
    train,
)

METRICS_FILE = "metrics.json"
FAILURE_FILE = "failure"

_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
METRIC_DEFINITIONS: list[dict[str, str]] = [
    {"Name": name, "Regex": f"{name}={_NUMBER};"}
    for name in (
        "test_accuracy",
        "test_loss",
        "train_accuracy",
        "train_loss",
        "epoch_seconds",
        "images_per_second",
    )
]


# --------------------------------------------------------------------------- arguments


class _ArgumentParser(argparse.ArgumentParser):
    """Raise instead of ``sys.exit(2)`` so a bad hyperparameter also lands in the failure file."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise TrainingError(f"invalid hyperparameter: {message}")


def _env_path(name: str) -> str | None:
    value = os.environ.get(name)
    return value or None


def build_parser() -> argparse.ArgumentParser:
    """The CLI: SageMaker's ``SM_*`` variables provide the defaults, flags override them."""
    parser = _ArgumentParser(
        description="Train the MNIST CNN (SageMaker training-container contract).",
        allow_abbrev=False,  # "--epoch" must not silently mean "--epochs"
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--learning-rate", type=float, default=DEFAULT_LEARNING_RATE,
                        help="peak of the warm-up + cosine schedule")
    parser.add_argument("--label-smoothing", type=float, default=DEFAULT_LABEL_SMOOTHING,
                        help="cross-entropy label smoothing in [0, 1) (0 = none)")
    parser.add_argument("--train-samples", type=int, default=0,
                        help="use the first N training images (0 = all)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--catalog-id", default=None, help="AI Factsheets catalog id")
    parser.add_argument("--model-entry-id", default=None, help="AI Factsheets model use case id")
    parser.add_argument("--model-dir", default=_env_path("SM_MODEL_DIR"))
    parser.add_argument("--train", default=_env_path("SM_CHANNEL_TRAINING"))
    parser.add_argument("--test", default=_env_path("SM_CHANNEL_TESTING"))
    parser.add_argument("--output-data-dir", default=_env_path("SM_OUTPUT_DATA_DIR"))
    parser.add_argument("--deterministic-ops", type=int, default=0, choices=(0, 1),
                        help="1 = tf.config.experimental.enable_op_determinism (see "
                        "configure_determinism for why it is off by default)")
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2),
                        help="Keras fit verbosity (2 = one line per epoch, log friendly)")
    return parser


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    """Parse known flags; return the unknown ones (extra hyperparameters) separately."""
    args, unknown = build_parser().parse_known_args(argv)
    problems = []
    if args.batch_size < 1:
        problems.append(f"--batch-size must be >= 1 (got {args.batch_size})")
    if args.epochs < 1:
        problems.append(f"--epochs must be >= 1 (got {args.epochs})")
    if not args.learning_rate > 0:
        problems.append(f"--learning-rate must be > 0 (got {args.learning_rate})")
    if not 0 <= args.label_smoothing < 1:
        problems.append(f"--label-smoothing must be in [0, 1) (got {args.label_smoothing})")
    if args.train_samples < 0:
        problems.append(f"--train-samples must be >= 0 (got {args.train_samples})")
    if not args.model_dir:
        problems.append("no model directory: set SM_MODEL_DIR or pass --model-dir")
    if not args.train:
        problems.append("no training channel: set SM_CHANNEL_TRAINING or pass --train")
    if problems:
        raise TrainingError("invalid hyperparameter: " + "; ".join(problems))
    if not args.test:
        args.test = args.train
    if not args.output_data_dir:
        args.output_data_dir = args.model_dir
    return args, unknown


# --------------------------------------------------------------------------- reporting


def format_metric_lines(metrics: dict[str, Any]) -> list[str]:
    """``name=value;`` lines (plain decimals, no exponent) for SageMaker metric regexes."""
    lines = []
    for name in ("test_loss", "test_accuracy", "train_loss", "train_accuracy",
                 "train_seconds", "images_per_second"):
        value = metrics.get(name)
        if isinstance(value, int | float):
            lines.append(f"{name}={value:.6f};")
    return lines


def write_failure(reason: str) -> Path | None:
    """Write the reason where SageMaker looks for it ($SM_OUTPUT_DIR/failure), if set."""
    output_dir = os.environ.get("SM_OUTPUT_DIR")
    if not output_dir:
        return None
    path = Path(output_dir) / FAILURE_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(reason[:1024] + "\n", encoding="utf-8")  # FailureReason holds 1 KiB
    except OSError as exc:
        print(f"could not write the failure file {path}: {exc}", file=sys.stderr)
        return None
    return path


# --------------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Load, train, evaluate, save; return the metrics written to metrics.json."""
    data = load_data(args.train, args.test, args.train_samples)
    configure_determinism(args.seed, bool(args.deterministic_ops))
    model = build_model()
    model.summary()
    compile_model(model, args.learning_rate,
                  steps_per_epoch(len(data.x_train), args.batch_size), args.epochs,
                  label_smoothing=args.label_smoothing)
    result = train(model, data.x_train, data.y_train, epochs=args.epochs,
                   batch_size=args.batch_size, verbose=args.verbose)
    test_loss, test_accuracy = evaluate(model, data.x_test, data.y_test)
    artefacts = save_artifacts(model, args.model_dir)
    samples = len(data.x_train)
    last = result.history[-1] if result.history else {}
    metrics: dict[str, Any] = {
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "train_loss": last.get("loss"),
        "train_accuracy": last.get("accuracy"),
        "history": result.history,
        "train_seconds": result.train_seconds,
        "images_per_second": samples * args.epochs / result.train_seconds,
        "epochs": args.epochs,
        "train_samples": samples,
        "test_samples": len(data.x_test),
        "parameters": int(model.count_params()),
        "hyperparameters": {
            "batch-size": args.batch_size,
            "epochs": args.epochs,
            "learning-rate": args.learning_rate,
            "label-smoothing": args.label_smoothing,
            "train-samples": args.train_samples,
            "seed": args.seed,
            "deterministic-ops": args.deterministic_ops,
        },
        "catalog_id": args.catalog_id,
        "model_entry_id": args.model_entry_id,
        "artifacts": {name: os.path.relpath(path, args.model_dir)
                      for name, path in artefacts.items()},
    }
    output = Path(args.output_data_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    for line in format_metric_lines(metrics):
        print(line, flush=True)
    return metrics


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0 on success; 1 with the reason in the failure file otherwise."""
    try:
        args, unknown = parse_args(argv)
        if unknown:
            print(f"ignoring unknown hyperparameters: {' '.join(unknown)}", flush=True)
        run(args)
    except TrainingError as exc:
        reason = str(exc)
    except Exception as exc:  # any crash must reach the failure file
        traceback.print_exc()
        reason = f"{type(exc).__name__}: {exc}"
    else:
        return 0
    print(f"training failed: {reason}", file=sys.stderr, flush=True)
    write_failure(reason)
    return 1


if __name__ == "__main__":
    sys.exit(main())
