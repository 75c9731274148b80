"""The local SageMaker data plane over moto: real training processes, a real TF Serving path.

Training is exercised with tiny entry points (no TensorFlow in the subprocess, so each job takes
well under a second); serving with a tiny SavedModel built here in the layout the training job
writes (``1/`` + ``code/inference.py``). The full ModelTrainer + CNN path is in
``test_aws_adapter.py``.
"""

from __future__ import annotations

import io
import json
import re
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

from mlmonitor_harness.fakes import fake_aws_environment
from mlmonitor_lib.emulators.sagemaker_local import LocalSageMaker, moto_config
from mlmonitor_lib.emulators.sagemaker_local.fastjson import parse_numeric_request

REGION = "ca-central-1"
ACCOUNT = "123456789012"
BUCKET = "sagemaker-local-tests"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerRole"
REPO = Path(__file__).resolve().parents[1]
IMAGE = "763104351884.dkr.ecr.ca-central-1.amazonaws.com/tensorflow-training:2.19-cpu-py312"
SERVING_IMAGE = "763104351884.dkr.ecr.ca-central-1.amazonaws.com/tensorflow-inference:2.19-cpu"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMaker]:
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp, REGION)
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
           metric_definitions: list[dict[str, str]] | None = None, image: str = IMAGE,
           code: dict[str, str] | None = None) -> str:
    """A script-mode job laid out as ModelTrainer lays it out: ``code`` + ``sm_drivers``."""
    prefix = f"jobs/{name}"
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/code/train.py", Body=textwrap.dedent(script))
    for path, text in (code or {}).items():
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/code/{path}", Body=text)
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/sm_drivers/sourcecode.json",
                  Body=json.dumps({"entry_script": "train.py"}))
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/data/numbers.txt", Body=b"1 2 3")

    def channel(channel_name: str, key: str) -> dict[str, Any]:
        return {"ChannelName": channel_name, "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{prefix}/{key}/"}}}

    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File",
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


def test_a_script_importing_a_module_outside_the_training_image_fails(sm, s3):
    """orjson is installed here but not in tensorflow-training:2.19-cpu-py312: the job fails
    as the real container would, naming the module."""
    _, desc = wait_job(sm, submit(sm, s3, "job-outside-image", "import orjson\n"))
    assert desc["TrainingJobStatus"] == "Failed"
    assert desc["FailureReason"].startswith("AlgorithmError: ExecuteUserScriptError: exit code 1")
    assert "ModuleNotFoundError: No module named 'orjson'" in desc["FailureReason"]


def test_a_script_sees_the_image_packages_and_its_code_directory(sm, s3):
    """requests is in the training image; a module next to the entry point is importable."""
    name = submit(sm, s3, "job-in-image", "import requests, helpers\n",
                  code={"helpers.py": "VALUE = 1\n"})
    _, desc = wait_job(sm, name)
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")


def test_a_training_image_without_a_manifest_fails_the_job(sm, s3):
    name = "job-unknown-image"
    submit(sm, s3, name, "print('never runs')\n",
           image="763104351884.dkr.ecr.ca-central-1.amazonaws.com/pytorch-training:2.5-cpu-py311")
    _, desc = wait_job(sm, name)
    assert desc["TrainingJobStatus"] == "Failed"
    assert "no package manifest for image" in desc["FailureReason"]
    assert "tensorflow-training:2.19-cpu-py312" in desc["FailureReason"]


def test_injected_training_failure(sm, s3, local):
    local.faults.fail_next_training_job("AlgorithmError: injected")
    _, desc = wait_job(sm, submit(sm, s3, "job-injected", GOOD_SCRIPT))
    assert desc["TrainingJobStatus"] == "Failed"
    assert desc["FailureReason"] == "AlgorithmError: injected"


def test_stop_training_job(local, sm, s3):
    """Stopped while its script runs (the emulator says when the script started: no sleep)."""
    name = submit(sm, s3, "job-stop", "import time\ntime.sleep(30)\n")
    assert local.jobs[name].running.wait(30)
    sm.stop_training_job(TrainingJobName=name)
    assert local.jobs[name].done.wait(10)
    _, desc = wait_job(sm, name, timeout=10)
    assert desc["TrainingJobStatus"] == "Stopped"


# --------------------------------------------------------------------------- serving
@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A SavedModel with the CNN's serving signature (image N×28×28×1 -> output_0 N×10
    softmax, as tf_cnn_train.py exports it): (its version directory ``1``, the signature)."""
    import tensorflow as tf

    class Tiny(tf.Module):
        def __init__(self) -> None:
            rng = np.random.default_rng(0)
            self.w = tf.Variable((rng.normal(size=(784, 10)) * 0.1).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32, name="image")])
        def serve(self, image: Any) -> dict[str, Any]:
            return {"output_0": tf.nn.softmax(tf.matmul(tf.reshape(image, [-1, 784]), self.w))}

    version = tmp_path_factory.mktemp("tiny-model") / "1"
    module = Tiny()
    tf.saved_model.save(module, str(version), signatures={"serving_default": module.serve})
    return version, tf.saved_model.load(str(version)).signatures["serving_default"]


def upload_model(s3: Any, name: str, version: Path, code: dict[str, str]) -> str:
    """``model.tar.gz`` as the training job writes it: ``1/`` plus ``code/<path>`` files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(version, arcname="1")
        for path, text in code.items():
            data = text.encode()
            member = tarfile.TarInfo(f"code/{path}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    s3.put_object(Bucket=BUCKET, Key=f"models/{name}/model.tar.gz", Body=buffer.getvalue())
    return f"s3://{BUCKET}/models/{name}/model.tar.gz"


SHIPPED_HANDLER = (REPO / "use_case_mnist_tf" / "inference.py").read_text()


@pytest.fixture(scope="module")
def tiny_model(saved_model: tuple[Path, Any], s3: Any) -> tuple[str, Any]:
    """The tiny SavedModel with the use case's inference.py exactly as it ships:
    (S3 URI, direct signature)."""
    version, direct = saved_model
    return upload_model(s3, "tiny", version, {"inference.py": SHIPPED_HANDLER}), direct


def create_endpoint(sm: Any, name: str, model_data: str, image: str = SERVING_IMAGE,
                    network_isolation: bool = False) -> dict[str, Any]:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": image, "ModelDataUrl": model_data},
                    EnableNetworkIsolation=network_isolation)
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


def test_moto_passes_handled_requests_through_and_keeps_its_own_settings(local, endpoint):
    """Under ``moto_config()`` moto skips its URL scan for what the hooks answered, and only
    that: its other settings stay its defaults (moto still answers the fixture's S3 and
    SageMaker calls), and InvokeEndpoint still answers."""
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.core.config import default_user_config, mock_credentials

    from mlmonitor_lib.emulators.sagemaker_local.http_layer import HANDLED_URL as _HANDLED_URL

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
    assert local.endpoint("short-lived").container is None  # Deleting: it serves no more
    with pytest.raises(ClientError, match="not found"):
        invoke(runtime, "short-lived", images(1))


# --------------------------------------------------------------------------- image-true serving
# The serving container imports code/inference.py in the tensorflow-inference image's Python:
# standard library, the image's packages, code/ and code/lib, or requirements.txt's packages.
NUMPY_HANDLER = """
import json
import numpy as np

def input_handler(data, context):
    images = np.asarray(json.loads(data.read())["instances"], dtype="float32")
    return json.dumps({"instances": images.reshape(-1, 28, 28, 1).tolist()})

def output_handler(response, context):
    return response.content, "application/json"
"""
LIB_HANDLER = """
import json
from mnist_extras import nhwc

def input_handler(data, context):
    return json.dumps({"instances": nhwc(json.loads(data.read())["instances"])})

def output_handler(response, context):
    return response.content, "application/json"
"""
MNIST_EXTRAS = """
def nhwc(images):
    return [[[[p] for p in image[r:r + 28]] for r in range(0, 784, 28)] for image in images]
"""


def test_handler_importing_a_package_the_image_lacks_fails_the_endpoint(sm, s3, saved_model):
    """numpy is not in tensorflow-inference:2.19: the real container cannot import the handler,
    /ping fails, the endpoint ends Failed; the reason names the module."""
    model = upload_model(s3, "needs-numpy", saved_model[0], {"inference.py": NUMPY_HANDLER})
    desc = create_endpoint(sm, "needs-numpy", model)
    assert desc["EndpointStatus"] == "Failed"
    assert desc["FailureReason"] == (
        "The primary container for production variant AllTraffic did not pass the ping health "
        "check. Please check CloudWatch logs for this endpoint. (container log: "
        "ModuleNotFoundError: No module named 'numpy')")


def test_a_module_shipped_in_code_lib_is_importable(sm, s3, saved_model, runtime):
    without = upload_model(s3, "lib-missing", saved_model[0], {"inference.py": LIB_HANDLER})
    desc = create_endpoint(sm, "lib-missing", without)
    assert desc["EndpointStatus"] == "Failed"
    assert desc["FailureReason"].endswith("No module named 'mnist_extras')")
    shipped = upload_model(s3, "lib-shipped", saved_model[0], {
        "inference.py": LIB_HANDLER, "lib/mnist_extras.py": MNIST_EXTRAS})
    desc = create_endpoint(sm, "lib-shipped", shipped)
    assert desc["EndpointStatus"] == "InService", desc.get("FailureReason")
    body = json.dumps({"instances": images(3).reshape(3, 784).tolist()})
    answer = runtime.invoke_endpoint(EndpointName="lib-shipped", Body=body,
                                     ContentType="application/json")
    assert np.array(json.loads(answer["Body"].read())["predictions"]).shape == (3, 10)


@pytest.mark.parametrize(("isolated", "status"), [(False, "InService"), (True, "Failed")])
def test_requirements_txt_needs_the_network_unless_the_image_has_them(
        sm, s3, saved_model, runtime, isolated, status):
    """requirements.txt is pip-installed at start: numpy needs PyPI, which an endpoint with
    network isolation cannot reach; requests is already in the image (no download)."""
    name = f"requirements-{'isolated' if isolated else 'open'}"
    model = upload_model(s3, name, saved_model[0], {
        "inference.py": NUMPY_HANDLER, "requirements.txt": "requests\nnumpy>=1.23  # pixels\n"})
    desc = create_endpoint(sm, name, model, network_isolation=isolated)
    assert desc["EndpointStatus"] == status, desc.get("FailureReason")
    if isolated:
        assert "failed to install required packages" in desc["FailureReason"]
        assert "'numpy'" in desc["FailureReason"]
    else:
        body = json.dumps({"instances": images(2).reshape(2, 784).tolist()})
        answer = runtime.invoke_endpoint(EndpointName=name, Body=body,
                                         ContentType="application/json")
        assert len(json.loads(answer["Body"].read())["predictions"]) == 2


def test_handler_without_handlers_fails_as_the_real_service(sm, s3, saved_model):
    model = upload_model(s3, "no-handlers", saved_model[0], {"inference.py": "X = 1\n"})
    desc = create_endpoint(sm, "no-handlers", model)
    assert desc["EndpointStatus"] == "Failed"
    assert desc["FailureReason"].endswith(
        "(container log: NotImplementedError: Handlers are not implemented correctly in user "
        "script.)")


def test_an_image_without_a_manifest_is_refused_naming_those_that_exist(sm, tiny_model):
    image = "763104351884.dkr.ecr.ca-central-1.amazonaws.com/pytorch-inference:2.5-cpu-py311"
    desc = create_endpoint(sm, "unknown-image", tiny_model[0], image=image)
    assert desc["EndpointStatus"] == "Failed"
    assert desc["FailureReason"].startswith(
        f"ClientError: the local SageMaker emulator has no package manifest for image {image!r}")
    assert "tensorflow-inference:2.19-cpu" in desc["FailureReason"]


def test_the_container_process_stops_with_its_endpoint(sm, tiny_model, local):
    create_endpoint(sm, "process-check", tiny_model[0])
    service = local.endpoint("process-check").container._service
    assert service is not None and service.poll() is None
    sm.delete_endpoint(EndpointName="process-check")
    assert service.wait(10) == 0  # its stdin closed: it exited by itself


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
