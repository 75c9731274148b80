"""Contract tests of ``use_case_mnist_tf/tf_cnn_train.py`` as the SageMaker container runs it.

The entry point runs as a subprocess with only the ``SM_*`` environment the training container
sets (no CLI paths), on a small subset so the whole module stays around half a minute on 2
cores: one module-scoped training run, many checks on what it left behind.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from collections import namedtuple
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
USE_CASE_DIR = REPO / "use_case_mnist_tf"
TRAIN_SCRIPT = USE_CASE_DIR / "tf_cnn_train.py"
DATA_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
TRAIN_SAMPLES = 2000

Context = namedtuple(
    "Context",
    "model_name model_version method rest_uri grpc_port channel custom_attributes "
    "request_content_type accept_header content_length",
)


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def data_dir() -> Path:
    path = Path(os.environ.get("MLMONITOR_DATA_DIR", REPO / "datasets" / "mnist"))
    missing = [name for name in DATA_FILES if not (path / name).is_file()]
    if missing:
        pytest.fail(f"MNIST files {missing} missing in {path}: run "
                    "`python -m mlmonitor_lib data fetch --use-case use_case_mnist_tf` (or set "
                    "MLMONITOR_DATA_DIR)")
    return path


def container_env(root: Path, train: Path, test: Path | None = None) -> dict[str, str]:
    """The variables the SageMaker training toolkit sets, rooted in a temp /opt/ml."""
    (root / "model").mkdir(parents=True, exist_ok=True)  # the platform creates /opt/ml/model
    env = {k: v for k, v in os.environ.items() if not k.startswith("SM_")}
    env.update(
        SM_MODEL_DIR=str(root / "model"),
        SM_OUTPUT_DIR=str(root / "output"),
        SM_OUTPUT_DATA_DIR=str(root / "output" / "data"),
        SM_CHANNEL_TRAINING=str(train),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    if test is not None:
        env["SM_CHANNEL_TESTING"] = str(test)
    return env


def run_entry_point(env: dict[str, str], *args: str,
                    timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TRAIN_SCRIPT), *args], env=env, cwd=env.get(
        "SM_MODEL_DIR", "."), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """One real run: 2,000 images, one epoch, hyperparameters as SageMaker passes them."""
    root = tmp_path_factory.mktemp("opt_ml")
    data = data_dir()
    env = container_env(root, data, data)
    result = run_entry_point(
        env, "--batch-size", "128", "--epochs", "1", "--train-samples", str(TRAIN_SAMPLES),
        "--seed", "7", "--catalog-id", "cat-1", "--model-entry-id", "entry-1",
        "--ibm-key-name", "IBM_API_KEY_MLOPS",
    )
    assert result.returncode == 0, f"training failed:\n{result.stdout}\n{result.stderr}"
    return SimpleNamespace(root=root, model_dir=root / "model", stdout=result.stdout,
                           metrics=json.loads((root / "output" / "data" / "metrics.json")
                                              .read_text()))


@pytest.mark.slow
def test_model_dir_layout(trained: SimpleNamespace) -> None:
    model_dir = trained.model_dir
    assert (model_dir / "1" / "saved_model.pb").is_file()
    assert (model_dir / "1" / "variables" / "variables.index").is_file()
    assert (model_dir / "mnist_cnn_aws.keras").is_file()
    shipped = (model_dir / "code" / "inference.py").read_text()
    assert shipped == (USE_CASE_DIR / "inference.py").read_text()
    assert not (trained.root / "output" / "failure").exists()


@pytest.mark.slow
def test_metrics_json(trained: SimpleNamespace) -> None:
    metrics = trained.metrics
    assert metrics["epochs"] == 1
    assert metrics["train_samples"] == TRAIN_SAMPLES
    assert metrics["test_samples"] == 10_000
    assert metrics["parameters"] == 1_199_882
    assert 0.5 < metrics["test_accuracy"] <= 1.0  # 2,000 images, 1 epoch: ~0.85
    assert metrics["test_loss"] > 0
    assert metrics["train_seconds"] > 0 and metrics["images_per_second"] > 0
    assert [h["epoch"] for h in metrics["history"]] == [1]
    assert set(metrics["history"][0]) >= {"loss", "accuracy", "seconds", "learning_rate"}
    defaults = json.loads((USE_CASE_DIR / "model_signature.json").read_text())[
        "hyperparameters"]
    assert metrics["hyperparameters"] == {"batch-size": 128, "epochs": 1,
                                          "learning-rate": defaults["learning-rate"],
                                          "label-smoothing": defaults["label-smoothing"],
                                          "train-samples": TRAIN_SAMPLES, "seed": 7,
                                          "deterministic-ops": 0}
    assert (metrics["catalog_id"], metrics["model_entry_id"]) == ("cat-1", "entry-1")


@pytest.mark.slow
def test_metric_lines_match_the_metric_definitions(trained: SimpleNamespace) -> None:
    train_module = _load("tf_cnn_train_under_test", TRAIN_SCRIPT)
    signature = json.loads((USE_CASE_DIR / "model_signature.json").read_text())
    definitions = signature["aws_runtime"]["metric_definitions"]
    assert {d["Name"] for d in definitions} <= {d["Name"] for d in
                                                train_module.METRIC_DEFINITIONS}
    for definition in train_module.METRIC_DEFINITIONS:
        if definition["Name"] in ("epoch_seconds",):
            continue
        found = re.findall(definition["Regex"], trained.stdout)
        assert found, f"no line matches {definition['Regex']}"
    (accuracy,) = re.findall(r"^test_accuracy=([0-9.]+);$", trained.stdout, re.M)
    assert float(accuracy) == pytest.approx(trained.metrics["test_accuracy"], abs=1e-6)
    assert "ignoring unknown hyperparameters: --ibm-key-name IBM_API_KEY_MLOPS" in trained.stdout
    assert "1,199,882" in trained.stdout  # the model summary


@pytest.mark.slow
def test_saved_model_serves_through_the_handlers(trained: SimpleNamespace) -> None:
    """input_handler -> serving_default (what TF Serving runs for its request) ->
    output_handler, as the TF Serving container chains them."""
    import tensorflow as tf

    inference = _load("shipped_inference", trained.model_dir / "code" / "inference.py")
    train_module = _load("tf_cnn_data_under_test", USE_CASE_DIR / "tf_cnn_data.py")
    data = train_module.load_split(data_dir(), "t10k-images-idx3-ubyte.gz",
                                   "t10k-labels-idx1-ubyte.gz")
    x, y = data[0][:8], data[1][:8]
    context = Context("model", "1", "predict", "", 0, None, None, "application/json",
                      "application/json", 0)
    body = json.dumps({"input_data": [{"values": x.reshape(8, 784).tolist()}]}).encode()

    request = json.loads(inference.input_handler(io.BytesIO(body), context))
    assert list(request) == ["instances"]
    serving_default = tf.saved_model.load(str(trained.model_dir / "1")).signatures[
        "serving_default"]
    outputs = serving_default(image=tf.constant(request["instances"], dtype=tf.float32))
    predictions = next(iter(outputs.values())).numpy()
    response = SimpleNamespace(status_code=200,  # TF Serving's answer to a row-format request
                               content=json.dumps({"predictions": predictions.tolist()}).encode())
    out_body, content_type = inference.output_handler(response, context)

    assert content_type == "application/json"
    values = json.loads(out_body)["predictions"][0]["values"]
    assert len(values) == 8
    for label, probabilities in values:
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
        assert label == int(np.argmax(probabilities))
    assert sum(label == truth for (label, _), truth in zip(values, y, strict=True)) >= 5


def test_missing_data_channel_fails_with_reason(tmp_path: Path) -> None:
    env = container_env(tmp_path, tmp_path / "input" / "data" / "training")
    result = run_entry_point(env)
    assert result.returncode != 0
    failure = (tmp_path / "output" / "failure").read_text()
    assert "data channel" in failure and "training" in failure
    assert "does not exist" in failure
    assert "Traceback" not in failure


def test_channel_without_files_names_the_missing_file(tmp_path: Path) -> None:
    channel = tmp_path / "input" / "data" / "training"
    channel.mkdir(parents=True)
    (channel / "readme.txt").write_text("not mnist")
    env = container_env(tmp_path, channel)
    result = run_entry_point(env)
    assert result.returncode == 1
    failure = (tmp_path / "output" / "failure").read_text()
    assert "has no train-images-idx3-ubyte.gz" in failure and "readme.txt" in failure


def test_bad_hyperparameter_fails_with_reason(tmp_path: Path) -> None:
    env = container_env(tmp_path, data_dir())
    result = run_entry_point(env, "--epochs", "zero", timeout=60)
    assert result.returncode == 1
    failure = (tmp_path / "output" / "failure").read_text()
    assert "invalid hyperparameter" in failure and "--epochs" in failure


def test_label_smoothing_out_of_range_fails_with_reason(tmp_path: Path) -> None:
    """Smoothing 1 would make every target uniform: refused before any training starts."""
    env = container_env(tmp_path, data_dir())
    result = run_entry_point(env, "--label-smoothing", "1", timeout=60)
    assert result.returncode == 1
    failure = (tmp_path / "output" / "failure").read_text()
    assert "--label-smoothing must be in [0, 1) (got 1.0)" in failure


def test_corrupt_idx_file_fails_with_reason(tmp_path: Path) -> None:
    channel = tmp_path / "training"
    channel.mkdir()
    for name in DATA_FILES:
        (channel / name.removesuffix(".gz")).write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 8)
    env = container_env(tmp_path, channel)
    result = run_entry_point(env, timeout=60)
    assert result.returncode == 1
    assert "truncated" in (tmp_path / "output" / "failure").read_text()

