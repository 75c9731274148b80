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

This file ships to a container where our library (``mlmonitor_lib``) is not installed, so it
carries its own minimal IDX reader instead of importing ``mlmonitor_lib.datasets``; the format
is a 4-byte magic, big-endian dimension sizes, then raw uint8 bytes, so a reader is 20 lines.

The functions (``load_data``, ``build_model``, ``compile_model``, ``train``...) are importable
without side effects so ``bench/train_mnist.py`` times exactly the code the job runs.
TensorFlow is imported inside the functions that need it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

# Defaults tuned for 3 epochs over all 60,000 images (bench/train_mnist.py; the target is
# >= 99.2 % t10k accuracy); model_signature.json repeats them as the job's budget. Measured
# (t10k accuracy, seed 42 / seed 43): batch 32 lr 0.002 -> 99.20 / 99.18 %; batch 64 lr 0.0025
# -> 99.18 %; + label smoothing 0.1 -> 99.19 / 99.21 %; batch 32 lr 0.003 -> 99.08 %; batch 16
# lr 0.0015 -> 99.16 %; weight EMA 0.999 -> 99.12 %; +-2 px shifts -> 99.14 %. This CNN lands at
# 99.19 +- 0.03 % in 3 epochs whatever the recipe: seed-to-seed noise is as large as any gain.
DEFAULT_BATCH_SIZE = 32
DEFAULT_EPOCHS = 3
DEFAULT_LEARNING_RATE = 0.002
DEFAULT_SEED = 42
# Label smoothing is available (--label-smoothing) but off: 0.1 measured +0.01 % test accuracy
# (within seed noise) while making the served probabilities softer (about 0.9 on the predicted
# class), which the monitored probabilities and the test loss would misreport as a regression.
DEFAULT_LABEL_SMOOTHING = 0.0
# Linear warm-up over the first steps, then cosine decay to zero: the high peak learns fast,
# the decay lands in a sharper minimum than a constant rate in a 3-epoch budget.
WARMUP_FRACTION = 0.05

INPUT_NAME = "image"
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
KERAS_FILE = "mnist_cnn_aws.keras"
SAVED_MODEL_VERSION = "1"
INFERENCE_SCRIPT = "inference.py"
METRICS_FILE = "metrics.json"
FAILURE_FILE = "failure"

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"

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

_IDX_MAGIC_UINT8 = 0x08


class TrainingError(Exception):
    """A failure the user can act on; its message becomes the job's FailureReason."""


class DataChannelError(TrainingError):
    """A data channel is missing, or a file in it is absent or not valid IDX."""


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


# --------------------------------------------------------------------------- data


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) of unsigned bytes into an array of its shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError) as exc:
        raise DataChannelError(f"cannot read {path}: {exc}") from None
    if len(raw) < 4:
        raise DataChannelError(f"{path} is not an IDX file: only {len(raw)} bytes")
    zero, zero2, dtype, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero or zero2 or dtype != _IDX_MAGIC_UINT8 or ndim not in (1, 3):
        raise DataChannelError(
            f"{path} is not an IDX file of unsigned bytes (magic {raw[:4].hex()}, expected "
            "00000801 for labels or 00000803 for images)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataChannelError(f"{path} is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataChannelError(
            f"{path} holds {len(raw) - header} data bytes, its header announces {expected} "
            f"(shape {list(shape)}): the file is truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _channel_file(channel: Path, name: str) -> Path:
    if not channel.is_dir():
        raise DataChannelError(
            f"data channel {channel} does not exist or is not a directory; it must hold the "
            f"MNIST IDX files ({TRAIN_IMAGES}, {TRAIN_LABELS}, {TEST_IMAGES}, {TEST_LABELS})"
        )
    for candidate in (channel / name, channel / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    present = sorted(p.name for p in channel.iterdir())
    raise DataChannelError(
        f"data channel {channel} has no {name}; it holds {present or 'nothing'}. "
        "Fetch the data set with `python -m mlmonitor_lib data fetch`."
    )


def normalise(images: np.ndarray) -> np.ndarray:
    """uint8 N×28×28 -> float32 N×28×28×1 in [0, 1], the scaling inference.py also enforces."""
    return (images.astype(np.float32) / np.float32(255.0)).reshape(-1, *IMAGE_SHAPE)


def load_split(channel: Path, images_name: str, labels_name: str,
               limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One split as (float32 N×28×28×1 images, int64 labels), the first ``limit`` if > 0."""
    images = read_idx(_channel_file(channel, images_name))
    labels = read_idx(_channel_file(channel, labels_name))
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE[:2]:
        raise DataChannelError(f"{images_name} holds images of shape {list(images.shape[1:])}, "
                               "expected 28x28")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataChannelError(
            f"{images_name} has {images.shape[0]} images but {labels_name} has "
            f"{labels.shape[0]} labels"
        )
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        raise DataChannelError(f"{labels_name} has label {int(labels.max())}, expected 0-9")
    if limit:
        if limit > images.shape[0]:
            raise TrainingError(
                f"--train-samples {limit} exceeds the {images.shape[0]} images in {images_name}"
            )
        images, labels = images[:limit], labels[:limit]
    return normalise(images), labels.astype(np.int64)


@dataclass
class MnistData:
    """Normalised training and test arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_data(train_dir: str | Path, test_dir: str | Path | None = None,
              train_samples: int = 0) -> MnistData:
    """Read the two channels (the test files may sit in the training channel)."""
    train_channel = Path(train_dir)
    test_channel = Path(test_dir) if test_dir else train_channel
    x_train, y_train = load_split(train_channel, TRAIN_IMAGES, TRAIN_LABELS, train_samples)
    x_test, y_test = load_split(test_channel, TEST_IMAGES, TEST_LABELS)
    return MnistData(x_train, y_train, x_test, y_test)


# --------------------------------------------------------------------------- model


def configure_determinism(seed: int, deterministic_ops: bool = False) -> None:
    """Same seed + same data -> same weights -> same test accuracy.

    ``set_random_seed`` seeds Python, numpy and TF (initialisers, dropout, fit's shuffling).
    On CPU that alone already repeats a run bit for bit (verified: two runs with the same seed
    gave identical loss, accuracy and weights). ``enable_op_determinism`` would also pin the
    few kernels that are nondeterministic on GPU, but measured on 2 CPU cores it made each
    epoch ~35 % slower, so it is opt-in (``--deterministic-ops 1``), e.g. for GPU instances.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()


def build_model() -> keras.Model:
    """The seed's CNN, layer for layer (1,199,882 parameters); the input is named ``image``."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE, name=INPUT_NAME),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="mnist_cnn",
    )


def learning_rate_schedule(peak: float, steps_per_epoch: int, epochs: int) -> Any:
    """Warm up linearly to ``peak`` over the first 5 % of steps, then cosine-decay to 0."""
    import keras

    total = max(1, steps_per_epoch * epochs)
    warmup = int(total * WARMUP_FRACTION)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 10 if warmup else peak,
        decay_steps=total - warmup,
        alpha=0.0,
        warmup_target=peak if warmup else None,
        warmup_steps=warmup,
    )


def compile_model(model: keras.Model, learning_rate: float, steps_per_epoch: int,
                  epochs: int, *,
                  label_smoothing: float = DEFAULT_LABEL_SMOOTHING) -> keras.Model:
    """Adam on the warm-up + cosine schedule, label-smoothed cross-entropy, accuracy.

    The loss is Keras' own ``CategoricalCrossentropy`` on one-hot targets (``train`` one-hots
    the labels) rather than a custom sparse loss with smoothing, which Keras lacks: a built-in
    loss keeps ``mnist_cnn_aws.keras`` loadable, compiled, without this module.
    """
    import keras

    optimizer = keras.optimizers.Adam(
        learning_rate=learning_rate_schedule(learning_rate, steps_per_epoch, epochs)
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        metrics=["accuracy"],
    )
    return model


def one_hot(labels: np.ndarray) -> np.ndarray:
    """int labels -> float32 N×10 targets, the form the (label-smoothed) loss expects."""
    return np.eye(NUM_CLASSES, dtype=np.float32)[labels]


def steps_per_epoch(samples: int, batch_size: int) -> int:
    """Batches per epoch as Keras counts them (the last partial batch included)."""
    return -(-samples // batch_size)


@dataclass
class TrainResult:
    """What ``train`` measured: per-epoch history and wall-clock timings."""

    history: list[dict[str, float]] = field(default_factory=list)
    train_seconds: float = 0.0
    # Seconds from the call of train() to the end of each epoch: epoch 1 includes fit's set-up
    # and graph tracing, the figure to compare with a bare ``model.fit(epochs=1)`` timed whole.
    elapsed_at_epoch_end: list[float] = field(default_factory=list)
    # Same, in CPU seconds of this process (all threads): unlike wall time it does not grow
    # when other processes share the cores, so overhead comparisons stay meaningful there.
    cpu_at_epoch_end: list[float] = field(default_factory=list)


def _timing_callback(result: TrainResult, started: float, cpu_started: float,
                     verbose: int) -> Any:
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Record per-epoch wall time, loss, accuracy and learning rate; print scrape lines."""

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self._begin = time.perf_counter()
            self._cpu_begin = time.process_time()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            now, cpu_now = time.perf_counter(), time.process_time()
            logs = logs or {}
            optimizer = self.model.optimizer
            rate = optimizer.learning_rate
            entry = {
                "epoch": epoch + 1,
                "loss": float(logs.get("loss", float("nan"))),
                "accuracy": float(logs.get("accuracy", float("nan"))),
                "seconds": now - self._begin,
                "cpu_seconds": cpu_now - self._cpu_begin,
                "learning_rate": float(np.asarray(rate)),  # at the end of the epoch
            }
            result.history.append(entry)
            result.elapsed_at_epoch_end.append(now - started)
            result.cpu_at_epoch_end.append(cpu_now - cpu_started)
            # verbose=1's progress bar leaves its line open: start ours on a fresh line
            print(
                ("\n" if verbose == 1 else "")
                + f"epoch={entry['epoch']}; train_loss={entry['loss']:.6f}; "
                f"train_accuracy={entry['accuracy']:.6f}; epoch_seconds={entry['seconds']:.3f};",
                flush=True,
            )

    return EpochTimer()


def train(model: keras.Model, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int,
          verbose: int = 2) -> TrainResult:
    """``model.fit`` plus a per-epoch timer; nothing else, so it costs what a bare fit costs.

    ``y`` holds int labels; they are one-hot encoded here for the categorical loss (2.4 MB for
    60,000 images, once). The ``loss`` in the history is the training loss, smoothed labels
    included. No per-epoch validation on purpose: evaluating 10,000 test images every epoch
    would add ~6 % to each epoch; the test set is evaluated once, after training.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    result = TrainResult()
    model.fit(
        x,
        one_hot(y),
        batch_size=batch_size,
        epochs=epochs,
        shuffle=True,
        verbose=verbose,
        callbacks=[_timing_callback(result, started, cpu_started, verbose)],
    )
    result.train_seconds = time.perf_counter() - started
    return result


def evaluate(model: keras.Model, x: np.ndarray, y: np.ndarray,
             batch_size: int = 1000) -> tuple[float, float]:
    """(loss, accuracy) on the given split, ``y`` being int labels.

    Computed from the predicted probabilities rather than ``model.evaluate``: the loss is the
    plain cross-entropy of the true class (clipped like Keras' at 1e-7), so ``test_loss`` means
    the same whatever label smoothing the training used and compares across runs.
    """
    probabilities = model.predict(x, batch_size=batch_size, verbose=0)
    true_class = probabilities[np.arange(len(y)), y]
    loss = -np.mean(np.log(np.clip(true_class, 1e-7, 1.0)))
    accuracy = np.mean(np.argmax(probabilities, axis=1) == y)
    return float(loss), float(accuracy)


# --------------------------------------------------------------------------- artefacts


def export_saved_model(model: keras.Model, path: str | Path) -> None:
    """The TF Serving SavedModel: ``serving_default``, the Keras model on float32 N×28×28×1
    images, returning ``output_0``."""
    import tensorflow as tf

    model.export(str(path), format="tf_saved_model", verbose=False, input_signature=[
        tf.TensorSpec([None, *IMAGE_SHAPE], tf.float32, name=INPUT_NAME)])


def save_artifacts(model: keras.Model, model_dir: str | Path) -> dict[str, str]:
    """Write the SavedModel ``1/``, ``code/inference.py`` and the Keras file into model_dir."""
    root = Path(model_dir)
    root.mkdir(parents=True, exist_ok=True)
    saved_model = root / SAVED_MODEL_VERSION
    if saved_model.exists():  # a re-run into the same local folder replaces the version
        shutil.rmtree(saved_model)
    export_saved_model(model, saved_model)
    code = root / "code"
    code.mkdir(exist_ok=True)
    source = Path(__file__).resolve().with_name(INFERENCE_SCRIPT)
    shutil.copyfile(source, code / INFERENCE_SCRIPT)
    keras_file = root / KERAS_FILE
    model.save(keras_file)
    return {
        "saved_model": str(saved_model),
        "inference_script": str(code / INFERENCE_SCRIPT),
        "keras_model": str(keras_file),
    }


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
