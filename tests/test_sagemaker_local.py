"""The local SageMaker data plane over moto: real training processes, a real TF Serving path.

Training is exercised with tiny entry points (no TensorFlow in the subprocess, so each job takes
well under a second); serving with a tiny SavedModel built here in the layout the training job
writes (``1/`` + ``code/inference.py``). The full ModelTrainer + CNN path is in
``test_aws_adapter.py``.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import re
import shutil
import sys
import tarfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from mlmonitor_lib.emulators.sagemaker_local import LocalSageMaker, moto_config
from mlmonitor_lib.emulators.sagemaker_local.fastjson import (
    parse_binary_request,
    parse_numeric_request,
)

REGION = "ca-central-1"
ACCOUNT = "123456789012"
BUCKET = "sagemaker-local-tests"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerRole"
REPO = Path(__file__).resolve().parents[1]
IMAGE = "763104351884.dkr.ecr.ca-central-1.amazonaws.com/tensorflow-training:2.19-cpu-py312"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMaker]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": REGION}.items():
            mp.setenv(name, value)
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            mp.delenv(name, raising=False)
        with mock_aws(config=moto_config()):  # moto first: clients must be created inside it
            session = boto3.Session(region_name=REGION)
            emulator = LocalSageMaker(session, tmp_path_factory.mktemp("sm-local")).install()
            session.client("s3").create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            yield emulator
            emulator.uninstall()


@pytest.fixture(scope="module")
def sm(local: LocalSageMaker) -> Any:
    return local.session.client("sagemaker")


@pytest.fixture(scope="module")
def s3(local: LocalSageMaker) -> Any:
    return local.session.client("s3")


@pytest.fixture(scope="module")
def runtime(local: LocalSageMaker) -> Any:
    retries = Config(retries={"mode": "standard", "total_max_attempts": 3})
    return local.session.client("sagemaker-runtime", config=retries)


# --------------------------------------------------------------------------- training helpers
def submit(sm: Any, s3: Any, name: str, script: str, hyperparameters: dict[str, str] | None = None,
           metric_definitions: list[dict[str, str]] | None = None) -> str:
    """A script-mode job laid out as ModelTrainer lays it out: ``code`` + ``sm_drivers``."""
    prefix = f"jobs/{name}"
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/code/train.py", Body=textwrap.dedent(script))
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/sm_drivers/sourcecode.json",
                  Body=json.dumps({"entry_script": "train.py"}))
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/data/numbers.txt", Body=b"1 2 3")

    def channel(channel_name: str, key: str) -> dict[str, Any]:
        return {"ChannelName": channel_name, "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{prefix}/{key}/"}}}

    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File",
                                "MetricDefinitions": metric_definitions or []},
        RoleArn=ROLE,
        HyperParameters=hyperparameters or {},
        InputDataConfig=[channel("code", "code"), channel("sm_drivers", "sm_drivers"),
                         channel("training", "data")],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.c5.xlarge", "InstanceCount": 1,
                        "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 60},
    )
    return name


def wait_job(sm: Any, name: str, timeout: float = 60) -> tuple[list[str], dict[str, Any]]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        desc = sm.describe_training_job(TrainingJobName=name)
        if not seen or seen[-1] != desc["TrainingJobStatus"]:
            seen.append(desc["TrainingJobStatus"])
        if desc["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return seen, desc
        assert time.monotonic() < deadline, f"job {name} still {seen[-1]}"
        time.sleep(0.05)


def tar_members(s3: Any, uri: str) -> dict[str, bytes]:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}


GOOD_SCRIPT = """
    import json, os, sys, time
    time.sleep(0.3)
    model_dir = os.environ["SM_MODEL_DIR"]
    with open(os.path.join(model_dir, "env.json"), "w") as f:
        json.dump({"argv": sys.argv[1:], "env": {k: v for k, v in os.environ.items()
                                                  if k.startswith("SM_")}}, f)
    data = open(os.path.join(os.environ["SM_CHANNEL_TRAINING"], "numbers.txt")).read()
    with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "metrics.json"), "w") as f:
        json.dump({"test_accuracy": 0.5, "data": data}, f)
    print("test_accuracy=0.25;")
    print("test_accuracy=0.5;")
"""


# --------------------------------------------------------------------------- training
def test_create_training_job_runs_the_entry_point_with_the_container_contract(sm, s3, local):
    name = submit(sm, s3, "job-ok", GOOD_SCRIPT, {"epochs": "2", "catalog-id": "abc"},
                  [{"Name": "test_accuracy", "Regex": "test_accuracy=([0-9.]+);"}])
    seen, desc = wait_job(sm, name)
    assert seen == ["InProgress", "Completed"]
    artifact = desc["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == f"s3://{BUCKET}/output/{name}/output/model.tar.gz"
    recorded = json.loads(tar_members(s3, artifact)["env.json"])
    assert recorded["argv"] == ["--epochs", "2", "--catalog-id", "abc"]
    env = recorded["env"]
    assert env["SM_HP_EPOCHS"] == "2" and env["SM_HP_CATALOG_ID"] == "abc"
    assert json.loads(env["SM_HPS"]) == {"epochs": 2, "catalog-id": "abc"}
    assert json.loads(env["SM_TRAINING_ENV"])["job_name"] == name
    assert set(json.loads(env["SM_CHANNELS"])) == {"code", "sm_drivers", "training"}
    output = tar_members(s3, f"s3://{BUCKET}/output/{name}/output/output.tar.gz")
    assert json.loads(output["metrics.json"]) == {"test_accuracy": 0.5, "data": "1 2 3"}
    assert desc["FinalMetricDataList"][0]["MetricName"] == "test_accuracy"
    assert desc["FinalMetricDataList"][0]["Value"] == 0.5
    assert "test_accuracy=0.5;" in local.job(name).log_path.read_text()


def test_failed_job_reports_the_failure_file(sm, s3):
    name = submit(sm, s3, "job-failure-file", """
        import os, sys
        open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w").write(
            "no training channel: set SM_CHANNEL_TRAINING")
        sys.exit(1)
    """)
    seen, desc = wait_job(sm, name)
    assert seen[-1] == "Failed"
    assert desc["FailureReason"] == (
        "AlgorithmError: no training channel: set SM_CHANNEL_TRAINING")
    assert "ModelArtifacts" not in desc


def test_failed_job_without_failure_file_reports_the_log_tail(sm, s3):
    name = submit(sm, s3, "job-crash", "raise RuntimeError('boom from the entry point')\n")
    _, desc = wait_job(sm, name)
    assert desc["TrainingJobStatus"] == "Failed"
    assert "exit code 1" in desc["FailureReason"]
    assert "RuntimeError: boom from the entry point" in desc["FailureReason"]


def test_injected_training_failure(sm, s3, local):
    local.faults.fail_next_training_job("AlgorithmError: injected")
    _, desc = wait_job(sm, submit(sm, s3, "job-injected", GOOD_SCRIPT))
    assert desc["TrainingJobStatus"] == "Failed"
    assert desc["FailureReason"] == "AlgorithmError: injected"


def test_stop_training_job(sm, s3):
    name = submit(sm, s3, "job-stop", "import time\ntime.sleep(30)\n")
    time.sleep(0.5)
    sm.stop_training_job(TrainingJobName=name)
    _, desc = wait_job(sm, name, timeout=10)
    assert desc["TrainingJobStatus"] == "Stopped"


# --------------------------------------------------------------------------- serving
@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, s3: Any) -> tuple[str, Any]:
    """A SavedModel with the CNN's signatures (image N×28×28×1 -> output_0 N×10 softmax, and
    the same from binary images, as tf_cnn_train.py exports them) plus the use case's real
    inference.py, uploaded as model.tar.gz; returns (S3 URI, direct signature)."""
    import tensorflow as tf

    spec = importlib.util.spec_from_file_location(
        "tf_cnn_train_signatures", REPO / "use_case_mnist_tf" / "tf_cnn_train.py")
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = train  # its dataclasses look the module up there
    spec.loader.exec_module(train)

    class Tiny(tf.Module):
        def __init__(self) -> None:
            rng = np.random.default_rng(0)
            self.w = tf.Variable((rng.normal(size=(784, 10)) * 0.1).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32, name="image")])
        def serve(self, image: Any) -> dict[str, Any]:
            return {"output_0": tf.nn.softmax(tf.matmul(tf.reshape(image, [-1, 784]), self.w))}

    root = tmp_path_factory.mktemp("tiny-model")
    module = Tiny()
    tf.saved_model.save(module, str(root / "1"), signatures={
        "serving_default": module.serve,
        train.BYTES_SIGNATURE: train.bytes_signature(module.serve)})
    (root / "code").mkdir()
    shutil.copy(REPO / "use_case_mnist_tf" / "inference.py", root / "code" / "inference.py")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(root / "1", arcname="1")
        archive.add(root / "code", arcname="code")
    s3.put_object(Bucket=BUCKET, Key="models/tiny/model.tar.gz", Body=buffer.getvalue())
    direct = tf.saved_model.load(str(root / "1")).signatures["serving_default"]
    return f"s3://{BUCKET}/models/tiny/model.tar.gz", direct


def create_endpoint(sm: Any, name: str, model_data: str) -> dict[str, Any]:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": "tfs", "ModelDataUrl": model_data})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": "ml.c5.xlarge"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    statuses = []
    deadline = time.monotonic() + 120
    while True:
        desc = sm.describe_endpoint(EndpointName=name)
        statuses.append(desc["EndpointStatus"])
        if desc["EndpointStatus"] != "Creating" or time.monotonic() > deadline:
            desc["seen"] = statuses
            return desc
        time.sleep(0.05)


@pytest.fixture(scope="module")
def endpoint(sm: Any, tiny_model: tuple[str, Any]) -> str:
    desc = create_endpoint(sm, "tiny-endpoint", tiny_model[0])
    assert desc["EndpointStatus"] == "InService", desc.get("FailureReason")
    assert desc["seen"][0] in ("Creating", "InService")
    return "tiny-endpoint"


def images(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28, 1)) / 255.0


def invoke(runtime: Any, endpoint: str, body: Any, content_type: str = "application/json"
           ) -> dict[str, Any]:
    if not isinstance(body, (bytes, str)):
        body = json.dumps({"input_data": [{"values": body.tolist()}]})
    response = runtime.invoke_endpoint(EndpointName=endpoint, Body=body,
                                       ContentType=content_type, Accept="application/json")
    return {"body": json.loads(response["Body"].read()), "content_type": response["ContentType"],
            "variant": response["InvokedProductionVariant"]}


def test_invoke_answers_the_saved_model_predictions(runtime, endpoint, tiny_model):
    batch = images(5)
    answer = invoke(runtime, endpoint, batch)
    assert answer["content_type"] == "application/json" and answer["variant"] == "AllTraffic"
    result = answer["body"]["predictions"][0]
    assert result["fields"] == ["prediction", "probability"]
    direct = tiny_model[1](image=batch.astype(np.float32))["output_0"].numpy()
    probabilities = np.array([row[1] for row in result["values"]])
    # TF Serving writes float32 outputs in at most 9 digits: exact once read back as float32
    np.testing.assert_array_equal(probabilities.astype(np.float32), direct)
    assert [row[0] for row in result["values"]] == direct.argmax(axis=1).tolist()


def test_unknown_endpoint_is_a_validation_error(runtime, endpoint):
    with pytest.raises(ClientError) as caught:
        invoke(runtime, "no-such-endpoint", images(1))
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"] == f"Endpoint no-such-endpoint of account {ACCOUNT} not found."


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (b"{not json", "application/json", "request body is not valid JSON"),
    (b"a,b", "text/csv", "unsupported content type 'text/csv'"),
    (json.dumps({"input_data": [{"values": images(1)[:, :27].tolist()}]}), "application/json",
     "images have shape [1, 27, 28, 1]"),
])
def test_handler_errors_are_model_errors_with_the_handler_message(
        runtime, endpoint, body, content_type, message):
    with pytest.raises(ClientError) as caught:
        invoke(runtime, endpoint, body, content_type)
    response = caught.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["Error"]["Message"].startswith("Received server error (500) from primary")
    assert message in response["Error"]["Message"]
    assert response["OriginalStatusCode"] == 500
    assert len(invoke(runtime, endpoint, images(2))["body"]["predictions"][0]["values"]) == 2


def test_tf_serving_rest_formats_and_errors(local, endpoint):
    serving = local.endpoint(endpoint).container.tf_serving
    batch = images(2).tolist()
    rows = json.loads(serving.predict(json.dumps({"instances": batch})).content)["predictions"]
    cols = json.loads(serving.predict(json.dumps({"inputs": {"image": batch}})).content)["outputs"]
    assert np.allclose(rows, cols) and np.array(rows).shape == (2, 10)
    bad = serving.predict(json.dumps({"instances": [[1, 2, 3]]}))
    assert bad.status_code == 400 and "shape" in json.loads(bad.content)["error"]
    assert serving.predict(b"[1]").status_code == 400
    unknown = json.dumps({"signature_name": "x", "instances": batch})
    assert serving.predict(unknown).status_code == 400


def test_tf_serving_reads_binary_strings_as_tf_serving_does(local, endpoint, tiny_model):
    """{"b64": ...} strings reach a string input as bytes; the handler's request for a batch
    answers what serving_default answers for it; bad base64 is a 400 naming it."""
    container = local.endpoint(endpoint).container
    batch = images(3)
    request = container.handlers.serving_request(batch)
    signature, tensors, row_format = container.tf_serving.parse_request(request)
    assert signature.name == "serving_bytes" and not row_format
    assert [len(item) for item in tensors["image_bytes"]] == [3 * 784 * 4]
    rows = json.loads(container.tf_serving.predict(request).content)["outputs"]
    direct = tiny_model[1](image=batch.astype(np.float32))["output_0"].numpy()
    np.testing.assert_array_equal(np.array(rows, dtype=np.float32), direct)
    bad = container.tf_serving.predict(
        json.dumps({"signature_name": "serving_bytes", "inputs": [{"b64": "%%%"}]}))
    assert bad.status_code == 400 and "base64" in json.loads(bad.content)["error"]
    two_floats = base64.b64encode(b"\0" * 8).decode()
    short = container.tf_serving.predict(
        json.dumps({"signature_name": "serving_bytes", "inputs": [{"b64": two_floats}]}))
    assert short.status_code == 400
    assert json.loads(short.content)["error"].startswith("Input to reshape is a tensor with 2 ")
    two_strings = container.tf_serving.predict(json.dumps(
        {"signature_name": "serving_bytes", "inputs": [{"b64": two_floats}] * 2}))
    assert two_strings.status_code == 400 and "shape" in json.loads(two_strings.content)["error"]


def test_moto_passes_handled_requests_through_and_keeps_its_own_settings(local, endpoint):
    """Under ``moto_config()`` moto skips its URL scan for what the hooks answered, and only
    that: its other settings stay its defaults (moto still answers the fixture's S3 and
    SageMaker calls), and InvokeEndpoint still answers."""
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.core.config import default_user_config, mock_credentials

    from mlmonitor_lib.emulators.sagemaker_local.hooks import _HANDLED_URL

    class Request:
        method, headers, body = "POST", {}, b""

        def __init__(self, url: str) -> None:
            self.url = url

    stub = BotocoreStubber()
    assert stub.process_request(Request(_HANDLED_URL)) is None
    assert default_user_config["core"]["passthrough"]["urls"] == ["^" + re.escape(_HANDLED_URL)]
    assert mock_credentials() and default_user_config["core"]["reset_boto3_session"]
    predictions = local.session.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, Body=json.dumps({"instances": images(1).tolist()}),
        ContentType="application/json")["Body"].read()
    assert json.loads(predictions)["predictions"][0]["fields"] == ["prediction", "probability"]


def test_unloadable_artifact_makes_the_endpoint_failed(sm, s3):
    s3.put_object(Bucket=BUCKET, Key="models/broken/model.tar.gz", Body=b"not a tarball")
    desc = create_endpoint(sm, "broken-endpoint", f"s3://{BUCKET}/models/broken/model.tar.gz")
    assert desc["EndpointStatus"] == "Failed"
    assert "did not pass the ping health check" in desc["FailureReason"]
    assert "models/broken/model.tar.gz" in desc["FailureReason"]


def test_duplicate_endpoint_name_is_rejected_as_on_aws(sm, endpoint):
    with pytest.raises(ClientError) as caught:
        sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Cannot create already existing endpoint" in caught.value.response["Error"]["Message"]


def test_injected_throttling_is_retried_by_botocore(runtime, endpoint, local):
    local.faults.inject("InvokeEndpoint", "ThrottlingException", times=2)
    answer = invoke(runtime, endpoint, images(1))  # 3 attempts allowed: the third succeeds
    assert len(answer["body"]["predictions"][0]["values"]) == 1
    local.faults.inject("InvokeEndpoint", "ServiceUnavailable", times=-1)
    try:
        with pytest.raises(ClientError) as caught:
            invoke(runtime, endpoint, images(1))
        assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
        assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    finally:
        local.faults.clear()


def test_delete_endpoint_unloads_it(sm, runtime, tiny_model, local):
    create_endpoint(sm, "short-lived", tiny_model[0])
    sm.delete_endpoint(EndpointName="short-lived")
    assert local.endpoint("short-lived") is None
    with pytest.raises(ClientError, match="not found"):
        invoke(runtime, "short-lived", images(1))


# --------------------------------------------------------------------------- fast JSON path
@pytest.mark.parametrize("shape", [(1, 28, 28, 1), (7, 784), (3, 28, 28), (4,)])
def test_fast_parser_equals_json_loads(shape):
    values = np.random.default_rng(3).integers(0, 256, shape) / 255.0
    for separators in ((", ", ": "), (",", ":")):
        body = json.dumps({"instances": values.tolist()}, separators=separators)
        parsed = parse_numeric_request(body)
        assert parsed is not None and list(parsed) == ["instances"]
        np.testing.assert_array_equal(parsed["instances"],
                                      np.asarray(json.loads(body)["instances"]))


def test_fast_parser_reads_a_named_signature_and_columnar_inputs():
    body = '{"signature_name": "serving_pixels", "inputs": [0.5, 1, 0.25]}'
    parsed = parse_numeric_request(body)
    assert parsed is not None and parsed["signature_name"] == "serving_pixels"
    np.testing.assert_array_equal(parsed["inputs"], [0.5, 1.0, 0.25])


_PIXELS = base64.b64encode(np.arange(6, dtype="<f4").tobytes()).decode()


@pytest.mark.parametrize("body", [
    json.dumps({"signature_name": "serving_bytes", "inputs": [{"b64": _PIXELS}]}),
    json.dumps({"signature_name": "serving_bytes", "instances": [{"b64": _PIXELS}]}),
    json.dumps({"inputs": [{"b64": _PIXELS}]}, separators=(",", ":")),
    f'\n{{ "signature_name" : "serving_bytes" ,\n "inputs" : [ {{ "b64" : "{_PIXELS}" }} ] }}\n',
])
def test_binary_fast_path_reads_what_the_full_parse_reads(body):
    parsed = parse_binary_request(body)
    assert parsed is not None
    request = json.loads(body)
    key = "inputs" if "inputs" in request else "instances"
    assert parsed == (request.get("signature_name"), key,
                      base64.b64decode(request[key][0]["b64"]))


@pytest.mark.parametrize("body", [
    '{"inputs": [{"b64": "AAAA"}, {"b64": "AAAA"}]}', '{"inputs": [{"b64": "AA\\u0041A"}]}',
    '{"inputs": [{"b64": "AA AA"}]}', '{"inputs": [{"b64": "AAA"}]}',
    '{"inputs": [{"b64": "AAAA"}], "x": 1}', '{"inputs": [{"b64": "AAAA", "x": 1}]}',
    '{"inputs": {"b64": "AAAA"}}', '{"inputs": ["AAAA"]}', '{"inputs": [{"b64": "AAAA"}]',
])
def test_binary_fast_path_defers_anything_else(body):
    assert parse_binary_request(body) is None


def test_tf_serving_answers_a_binary_request_as_the_full_parse_does(local, endpoint):
    """The same tensors with and without the fast path, and the same errors."""
    serving = local.endpoint(endpoint).container.tf_serving
    request = local.endpoint(endpoint).container.handlers.serving_request(images(2))
    fast = serving.parse_request(request)
    spaced = serving.parse_request(request.replace(b'"b64": "', b'"b64":  "'))  # same request
    assert parse_binary_request(request) is not None
    assert fast[0] is spaced[0] and fast[2] == spaced[2] is False
    np.testing.assert_array_equal(fast[1]["image_bytes"], spaced[1]["image_bytes"])
    escaped = request.replace(b'"b64": "', b'"b64": "\\u0041')
    assert parse_binary_request(escaped) is None  # an escape: the full parse reads it
    for body in (json.dumps({"signature_name": "nope", "inputs": [{"b64": _PIXELS}]}),
                 json.dumps({"signature_name": "serving_bytes", "inputs": [{"b64": "A"}]})):
        answer = serving.predict(body)
        assert answer.status_code == 400
    partial = json.dumps({"signature_name": "serving_bytes", "inputs": [{"b64": _PIXELS}]})
    assert serving.predict(partial).status_code == 400  # 6 floats are not whole images
    with_default = json.dumps({"inputs": [{"b64": _PIXELS}]})  # serving_default takes floats
    assert "image" in json.loads(serving.predict(with_default).content)["error"]


@pytest.mark.parametrize("body", [
    '{"instances": [[1, 2], [3]]}', '{"instances": [[1, 2], [3], [4, 5, 6]]}',
    '{"instances": []}', '{"instances": [[1, 2], []]}', '{"instances": [1, "a"]}',
    '{"instances": [[1, 2], 3]}', '{"instances": [1, 2], "signature_name": "x"}',
    '{"instances": [NaN]}', '{"instances": [1 2]}', '{"instances": [1,, 2]}',
    '{"instances": [1, 2,]}', '{"instances": [[1] [2]]}', '{"instances": [1, 2]]}',
    '{"signature_name": "a\\"b", "inputs": [1]}', '{"inputs": [1], "instances": [2]}',
    '{"instances": [[[0.5]], [[1], []]]}',
    '{"instances": [1e400]}', '{"instances": [100000000000000000000]}', '{"instances": [1-2]}',
])
def test_fast_parser_defers_anything_it_cannot_prove(body):
    assert parse_numeric_request(body) is None
    # and the shared parser is still usable afterwards
    np.testing.assert_array_equal(parse_numeric_request('{"instances": [[0.5]]}')["instances"],
                                  [[0.5]])
