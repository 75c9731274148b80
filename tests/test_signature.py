"""model_signature.json loads as a validated model; every problem is named with its path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlmonitor_lib.errors import SignatureError
from mlmonitor_lib.signature import load_signature

USE_CASE = Path(__file__).resolve().parents[1] / "use_case_mnist_tf"


@pytest.fixture
def raw() -> dict:
    return json.loads((USE_CASE / "model_signature.json").read_text())


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "model_signature.json"
    path.write_text(content)
    return path


def test_shipped_signature_has_the_seed_sections():
    sig = load_signature(USE_CASE)
    assert sig.signature.problem_type == "multiclass"
    assert sig.signature.input_data_type == "unstructured_image"
    assert sig.quality_monitor.enabled
    threshold = sig.quality_monitor.thresholds[0]
    assert threshold.model_dump() == {"metric_id": "accuracy", "type": "lower_limit", "value": 0.8}
    assert sig.quality_monitor.min_feedback_data_size == 10
    assert sig.aws_runtime.train_script == "tf_cnn_train.py"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r["signature"].pop("problem_type"), "$.signature.problem_type: Field required"),
        (
            lambda r: r["quality_monitor"]["thresholds"][0].update(value=1.5),
            "$.quality_monitor.thresholds[0].value: Input should be less than or equal to 1",
        ),
        (
            lambda r: r["quality_monitor"]["thresholds"][0].update(metric_id="acuracy"),
            "$.quality_monitor.thresholds[0].metric_id",
        ),
        (lambda r: r["aws_runtime"].update(train_instance="c5"), "$.aws_runtime.train_instance"),
        (lambda r: r["signature"].update(image_shape=[28, 28]), "$.signature.image_shape"),
        (
            lambda r: r["quality_monitor"]["parameters"].update(min_feedback_data_size=0),
            "min_feedback_data_size must be a positive integer",
        ),
        (lambda r: r.update(unexpected=1), "$.unexpected: Extra inputs are not permitted"),
    ],
)
def test_each_problem_is_named_with_its_json_path(tmp_path, raw, mutate, expected):
    mutate(raw)
    with pytest.raises(SignatureError) as err:
        load_signature(write(tmp_path, json.dumps(raw)))
    assert expected in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_all_problems_are_reported_at_once(tmp_path, raw):
    raw["signature"].pop("problem_type")
    raw["aws_runtime"]["framework"] = "pytorch"
    with pytest.raises(SignatureError, match=r"\(2 problems\)") as err:
        load_signature(write(tmp_path, json.dumps(raw)))
    assert "$.aws_runtime.framework" in str(err.value)


def test_malformed_json_gives_line_and_column(tmp_path):
    with pytest.raises(SignatureError, match="not valid JSON: .* line 2, column"):
        load_signature(write(tmp_path, '{\n  "signature": ,\n}'))


def test_missing_file_says_what_is_needed(tmp_path):
    with pytest.raises(SignatureError, match="needs a model_signature.json"):
        load_signature(tmp_path)


def test_threshold_on_a_metric_of_another_problem_type_is_refused(tmp_path, raw):
    """OpenScale takes area under ROC for binary models only: refused before training."""
    raw["quality_monitor"]["thresholds"] = [
        {"metric_id": "area_under_roc", "type": "lower_limit", "value": 0.8}]
    with pytest.raises(SignatureError) as err:
        load_signature(write(tmp_path, json.dumps(raw)))
    assert "area_under_roc" in str(err.value) and "multiclass" in str(err.value)
    raw["signature"].update(problem_type="binary", class_labels=[0, 1])
    assert load_signature(write(tmp_path, json.dumps(raw))).quality_monitor.thresholds[0] \
        .metric_id == "area_under_roc"
