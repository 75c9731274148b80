"""The local SageMaker data plane on the scikit-learn image (sagemaker-scikit-learn:1.9-0-cpu-py3).

A tiny classifier (eight rows, two features) is trained as a script-mode job in the image's
Python, deployed from the job's artifact with the code the SDK's ``SKLearnModel`` points at
(``SAGEMAKER_PROGRAM`` + ``SAGEMAKER_SUBMIT_DIRECTORY``) and scored through the container's
contract: the user's ``model_fn`` and the container's default ``input_fn``/``predict_fn``/
``output_fn``, or the user's own.
"""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError

from mlmonitor_harness.emulated_services import ACCOUNT_ID, REGION, ROLE_NAME
from mlmonitor_harness.world import MockWorld
from mlmonitor_lib.emulators.sagemaker_local import LocalSageMaker

BUCKET = "sagemaker-sklearn-tests"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}"
IMAGE = "341280168497.dkr.ecr.ca-central-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"
ROWS = [[0, 0.1, 0.2], [0, 0.2, 0.1], [0, 0.3, 0.3], [0, 0.1, 0.4],
        [1, 0.9, 0.8], [1, 0.8, 0.9], [1, 0.7, 0.9], [1, 0.9, 0.6]]  # label, two features
# One script for both sides, as SageMaker's scikit-learn examples write it: training under
# __main__, model_fn for the serving container (which supplies the other three functions).
SCRIPT = """
import argparse, os
import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0)
    args = parser.parse_args()
    data = np.loadtxt(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv"), delimiter=",")
    model = LogisticRegression(C=args.C).fit(data[:, 1:], data[:, 0].astype(int))
    joblib.dump(model, os.path.join(os.environ["SM_MODEL_DIR"], "model.joblib"))
    print(f"train_accuracy={model.score(data[:, 1:], data[:, 0].astype(int))};")
"""
CUSTOM_HANDLER = """
import json, os
import joblib
import numpy as np


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    if content_type != "application/json":
        raise ValueError(f"unsupported content type {content_type!r}")
    return np.asarray(json.loads(body)["instances"], dtype=float)


def predict_fn(data, model):
    return model.predict(data), model.predict_proba(data).max(axis=1)


def output_fn(prediction, accept):
    labels, scores = prediction
    rows = [{"predicted_label": int(l), "score": float(s)} for l, s in zip(labels, scores)]
    return json.dumps({"predictions": rows}), "application/json"
"""


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMaker]:
    """The harness's mock world (moto and the local data plane) with one bucket."""
    with MockWorld(workdir=tmp_path_factory.mktemp("sm-sklearn")) as world:
        world.session.client("s3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield world.local_sagemaker


@pytest.fixture(scope="module")
def clients(local: LocalSageMaker) -> tuple[Any, Any, Any]:
    """(sagemaker, s3, sagemaker-runtime) clients of the world's hooked session."""
    return tuple(local.session.client(name) for name in ("sagemaker", "s3", "sagemaker-runtime"))


@pytest.fixture(scope="module")
def sm(clients: tuple[Any, Any, Any]) -> Any:
    return clients[0]


@pytest.fixture(scope="module")
def s3(clients: tuple[Any, Any, Any]) -> Any:
    return clients[1]


@pytest.fixture(scope="module")
def runtime(clients: tuple[Any, Any, Any]) -> Any:
    return clients[2]


def tar_gz(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in files.items():
            raw = data.encode() if isinstance(data, str) else data
            member = tarfile.TarInfo(path)
            member.size = len(raw)
            archive.addfile(member, io.BytesIO(raw))
    return buffer.getvalue()


def put(s3: Any, key: str, body: bytes | str) -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key}"


def train(sm: Any, s3: Any, name: str, script: str) -> dict[str, Any]:
    """A legacy script-mode job as the SDK's SKLearn estimator submits it: the entry point in
    ``sourcedir.tar.gz``, named by the ``sagemaker_program``/``sagemaker_submit_directory``
    hyperparameters; one ``train`` channel."""
    source = put(s3, f"{name}/source/sourcedir.tar.gz",
                 tar_gz({"credit.py": textwrap.dedent(script)}))
    put(s3, f"{name}/data/train.csv", "\n".join(",".join(map(str, r)) for r in ROWS))
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File",
                                "MetricDefinitions": [{"Name": "train_accuracy",
                                                       "Regex": "train_accuracy=([0-9.]+);"}]},
        RoleArn=ROLE,
        HyperParameters={"C": "10.0", "sagemaker_program": json.dumps("credit.py"),
                         "sagemaker_submit_directory": json.dumps(source)},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{name}/data/"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 120},
    )
    deadline = time.monotonic() + 120
    while True:
        desc = sm.describe_training_job(TrainingJobName=name)
        if desc["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            desc["source"] = source
            return desc
        assert time.monotonic() < deadline, f"job {name} still running"
        time.sleep(0.05)


def deploy(sm: Any, name: str, model_data: str, environment: dict[str, str]) -> dict[str, Any]:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": IMAGE, "ModelDataUrl": model_data, "Environment": environment})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    deadline = time.monotonic() + 120
    while True:
        desc = sm.describe_endpoint(EndpointName=name)
        if desc["EndpointStatus"] != "Creating" or time.monotonic() > deadline:
            return desc
        time.sleep(0.05)


def repacked(s3: Any, trained: dict[str, Any], name: str, code: dict[str, str]) -> str:
    """The job's ``model.joblib`` with ``code/`` beside it, as the SDK repacks a model."""
    bucket, key = trained["ModelArtifacts"]["S3ModelArtifacts"][5:].split("/", 1)
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                      ) as archive:
        model = archive.extractfile("model.joblib").read()  # type: ignore[union-attr]
    return put(s3, f"models/{name}/model.tar.gz",
               tar_gz({"model.joblib": model, **{f"code/{p}": t for p, t in code.items()}}))


IN_CODE = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}


@pytest.fixture(scope="module")
def trained(sm: Any, s3: Any) -> dict[str, Any]:
    desc = train(sm, s3, "sklearn-job", SCRIPT)
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    return desc


@pytest.fixture(scope="module")
def endpoint(sm: Any, trained: dict[str, Any]) -> str:
    """The job's own artifact, the code from its sourcedir.tar.gz (no repack)."""
    desc = deploy(sm, "sklearn-endpoint", trained["ModelArtifacts"]["S3ModelArtifacts"], {
        "SAGEMAKER_PROGRAM": "credit.py", "SAGEMAKER_SUBMIT_DIRECTORY": trained["source"]})
    assert desc["EndpointStatus"] == "InService", desc.get("FailureReason")
    return "sklearn-endpoint"


def local_model(s3: Any, trained: dict[str, Any]) -> Any:
    import joblib

    bucket, key = trained["ModelArtifacts"]["S3ModelArtifacts"][5:].split("/", 1)
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                      ) as archive:
        return joblib.load(archive.extractfile("model.joblib"))  # type: ignore[arg-type]


def invoke(runtime: Any, endpoint: str, body: str | bytes, content_type: str,
           accept: str | None = None) -> tuple[bytes, str]:
    extra = {"Accept": accept} if accept else {}
    answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType=content_type,
                                     **extra)
    return answer["Body"].read(), answer["ContentType"]


SAMPLES = [[0.15, 0.2], [0.85, 0.9], [0.2, 0.3]]


# --------------------------------------------------------------------------- training
def test_the_job_trains_in_the_scikit_learn_image_with_the_training_contract(trained, s3):
    assert trained["FinalMetricDataList"][0]["MetricName"] == "train_accuracy"
    assert trained["FinalMetricDataList"][0]["Value"] == 1.0
    assert local_model(s3, trained).C == 10.0  # the hyperparameter reached the script


@pytest.mark.parametrize(("module", "status"), [
    ("tensorflow", "Failed"), ("orjson", "Failed"), ("pandas", "Completed")])
def test_a_training_script_imports_only_what_the_scikit_learn_image_holds(sm, s3, module, status):
    desc = train(sm, s3, f"sklearn-imports-{module}", f"import {module}\nimport sklearn\n")
    assert desc["TrainingJobStatus"] == status, desc.get("FailureReason")
    if status == "Failed":
        assert f"ModuleNotFoundError: No module named '{module}'" in desc["FailureReason"]


# --------------------------------------------------------------------------- serving, defaults
def test_csv_is_scored_by_the_default_handlers(runtime, endpoint, s3, trained):
    body = "\n".join(",".join(map(str, row)) for row in SAMPLES)
    data, content_type = invoke(runtime, endpoint, body, "text/csv", "text/csv")
    expected = local_model(s3, trained).predict(np.array(SAMPLES, dtype=np.float32))
    assert content_type == "text/csv; charset=utf-8"  # Flask's mimetype for text/*
    assert data.decode() == "".join(f"{label}\n" for label in expected)


def test_json_is_scored_by_the_default_handlers_and_answers_json_by_default(
        runtime, endpoint, s3, trained):
    data, content_type = invoke(runtime, endpoint, json.dumps(SAMPLES), "application/json")
    expected = local_model(s3, trained).predict(np.array(SAMPLES, dtype=np.float32))
    assert content_type == "application/json"
    assert json.loads(data) == expected.tolist() == [0, 1, 0]


def test_npy_is_decoded_and_encoded_by_the_defaults(runtime, endpoint):
    buffer = io.BytesIO()
    np.save(buffer, np.array(SAMPLES))
    data, content_type = invoke(runtime, endpoint, buffer.getvalue(), "application/x-npy",
                                "application/x-npy")
    assert content_type == "application/x-npy"
    assert np.load(io.BytesIO(data)).tolist() == [0, 1, 0]


@pytest.mark.parametrize(("content_type", "accept", "logged"), [
    ("application/x-image", None, "Content type application/x-image is not supported"),
    ("application/json", "text/plain", "Content type text/plain is not supported"),
    ("text/csv", "text/csv", "X has 3 features, but LogisticRegression is expecting 2"),
])
def test_unsupported_types_and_user_errors_are_flask_500s(
        runtime, endpoint, local, content_type, accept, logged):
    """The container wraps its own default input_fn/output_fn in ClientError, so an unsupported
    type is not the toolkit's 415/406 but an unhandled error: Flask answers 500 with its page,
    SageMaker a 424 ModelError carrying it; the log names the error."""
    body = "1,2,3\n4,5,6" if content_type == "text/csv" else json.dumps(SAMPLES)
    with pytest.raises(ClientError) as caught:
        invoke(runtime, endpoint, body, content_type, accept)
    response = caught.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["OriginalStatusCode"] == 500
    assert "<title>500 Internal Server Error</title>" in response["OriginalMessage"]
    log = local.endpoint(endpoint).container.log_path.read_text()
    assert "Exception on /invocations [POST]" in log
    assert f"sagemaker_containers._errors.ClientError: {logged}" in log


# --------------------------------------------------------------------------- serving, user code
def test_the_users_four_functions_from_the_code_in_the_archive(sm, s3, runtime, trained):
    model = repacked(s3, trained, "custom", {"inference.py": CUSTOM_HANDLER})
    desc = deploy(sm, "sklearn-custom", model, IN_CODE)
    assert desc["EndpointStatus"] == "InService", desc.get("FailureReason")
    data, content_type = invoke(runtime, "sklearn-custom", json.dumps({"instances": SAMPLES}),
                                "application/json")
    rows = json.loads(data)["predictions"]
    assert content_type == "application/json"
    assert [r["predicted_label"] for r in rows] == [0, 1, 0]
    assert all(0.5 < r["score"] <= 1 for r in rows)
    with pytest.raises(ClientError) as caught:  # the user's input_fn refuses: a 500
        invoke(runtime, "sklearn-custom", "1,2", "text/csv")
    assert caught.value.response["OriginalStatusCode"] == 500


def test_a_handler_importing_a_package_the_image_lacks_fails_the_endpoint(sm, s3, trained):
    model = repacked(s3, trained, "needs-orjson", {"inference.py": "import orjson\n"
                                                   + CUSTOM_HANDLER})
    desc = deploy(sm, "sklearn-needs-orjson", model, IN_CODE)
    assert desc["EndpointStatus"] == "Failed"
    assert desc["FailureReason"] == (
        "The primary container for production variant AllTraffic did not pass the ping health "
        "check. Please check CloudWatch logs for this endpoint. (container log: "
        "sagemaker_containers._errors.ImportModuleError: No module named 'orjson')")


def test_without_sagemaker_program_the_container_cannot_start(sm, s3, trained):
    model = repacked(s3, trained, "no-program", {"inference.py": CUSTOM_HANDLER})
    desc = deploy(sm, "sklearn-no-program", model,
                  {"SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"})
    assert desc["EndpointStatus"] == "Failed"
    assert desc["FailureReason"].endswith(
        "(container log: AttributeError: 'NoneType' object has no attribute 'startswith')")
