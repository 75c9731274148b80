"""The SageMaker adapter end to end on moto + the local data plane: the real ModelTrainer runs
the real ``tf_cnn_train.py`` (small data, one epoch), then deploy, score and cleanup."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws

from mlmonitor_lib import aws
from mlmonitor_lib.aws.jsonarray import dumps_array
from mlmonitor_lib.datasets.idx import encode_idx, gzip_bytes
from mlmonitor_lib.emulators.sagemaker_local import LocalSageMaker
from mlmonitor_lib.errors import DeploymentFailed, ScoringError, TrainingFailed
from mlmonitor_lib.settings import Settings
from mlmonitor_lib.signature import load_signature
from mlmonitor_lib.usecase.profiles.mnist import MnistProfile, fields_and_values, images_body
from mlmonitor_lib.waiting import WaitPolicy

REGION = "ca-central-1"
BUCKET = "sagemaker-adapter-tests"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
REPO = Path(__file__).resolve().parents[1]
JOB_BASE = "sm-mnist-cnn-tf-keras"
USE_CASE = REPO / "use_case_mnist_tf"
PROFILE = MnistProfile(load_signature(USE_CASE), USE_CASE)
# What the use case's serving stage passes for TF Serving: the inference image of the
# signature's framework and the handler the image's Python service loads.
IMAGE = aws.framework_image("tensorflow", "inference", REGION, "2.19", None, "ml.c5.xlarge")
TF_SERVING_ENV = {"SAGEMAKER_PROGRAM": "inference.py"}
# Short pauses: the emulator's walks advance per observation; the real work (a training
# process, a model load) is what the polls wait for.
POLL = WaitPolicy(0.01, 0.1, 600)


class MemoryLedger:
    """The :class:`~mlmonitor_lib.state.Ledger` protocol, in memory."""

    def __init__(self) -> None:
        self.alive: dict[tuple[str, str, str], dict[str, Any]] = {}

    def record(self, service: str, kind: str, resource_id: str, **attrs: Any) -> None:
        self.alive.setdefault((service, kind, resource_id), {}).update(attrs)

    def forget(self, service: str, kind: str, resource_id: str) -> None:
        self.alive.pop((service, kind, resource_id), None)

    def kinds(self, service: str) -> list[str]:
        return sorted(kind for s, kind, _ in self.alive if s == service)


def synthetic_mnist(directory: Path, train: int = 1000, test: int = 200) -> Path:
    """MNIST-shaped IDX files: digits drawn as bright horizontal bars, so a CNN learns them in
    one epoch and the test stays independent of the real data set's download."""
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = rng.integers(0, 40, (count, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 + 2 * label:4 + 2 * label, 4:24] = 255
        (directory / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip_bytes(encode_idx(images)))
        (directory / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip_bytes(encode_idx(labels)))
    return directory


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[boto3.Session]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": REGION}.items():
            mp.setenv(name, value)
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN",
                     "SAGEMAKER_VALIDATE_ROLE"):
            mp.delenv(name, raising=False)
        with mock_aws():
            settings = Settings.load(aws_access_key_id="testing", aws_secret_access_key="testing",
                                     aws_default_region=REGION)
            boto = aws.boto3_session(settings, max_attempts=3)
            local = LocalSageMaker(boto, tmp_path_factory.mktemp("sm-adapter")).install()
            aws.ensure_bucket(boto, BUCKET, REGION)
            yield boto
            local.uninstall()


@pytest.fixture(scope="module")
def data(session: boto3.Session, tmp_path_factory: pytest.TempPathFactory) -> aws.DatasetUpload:
    return aws.upload_dataset(session, BUCKET, synthetic_mnist(tmp_path_factory.mktemp("mnist")),
                              key_prefix="DEMO-mnist-mlmonitor/data")


def train(session: boto3.Session, data: aws.DatasetUpload, ledger: MemoryLedger | None = None,
          **hyperparameters: Any) -> aws.TrainingResult:
    return aws.train_model(
        session, role_arn=ROLE, bucket=BUCKET, region=REGION,
        source_dir=REPO / "use_case_mnist_tf", entry_point="tf_cnn_train.py",
        hyperparameters={"batch-size": 64, "epochs": 1, "train-samples": 1000, "seed": 42,
                         **hyperparameters},
        channels={"training": data.s3_uri, "testing": data.s3_uri},
        job_name_base=JOB_BASE, output_prefix="DEMO-mnist-mlmonitor", ledger=ledger, policy=POLL,
    )


@pytest.fixture(scope="module")
def ledger() -> MemoryLedger:
    return MemoryLedger()


@pytest.fixture(scope="module")
def trained(session: boto3.Session, data: aws.DatasetUpload, ledger: MemoryLedger
            ) -> aws.TrainingResult:
    return train(session, data, ledger, **{"catalog-id": "cat-1", "model-entry-id": "entry-1"})


def score(session: boto3.Session, endpoint_name: str, images: Any,
          **kwargs: Any) -> aws.ScoreResult:
    """Images scored as the MNIST use case scores them (its profile's body and reading)."""
    return aws.invoke_endpoint(session, endpoint_name, images, encode=images_body,
                               decode=PROFILE.read_answer, request_hint=PROFILE.request_hint,
                               **kwargs)


def deploy(session: boto3.Session, job_name: str, model_data: str,
           **kwargs: Any) -> aws.Deployment:
    """``deploy_model`` with the TF Serving image and environment of the MNIST use case."""
    return aws.deploy_model(session, job_name=job_name, model_data=model_data, role_arn=ROLE,
                            image_uri=IMAGE, environment=TF_SERVING_ENV, **kwargs)


@pytest.fixture(scope="module")
def deployed(session: boto3.Session, trained: aws.TrainingResult, ledger: MemoryLedger
             ) -> aws.Deployment:
    return deploy(session, trained.job_name, trained.model_data,
                  smoke_test=lambda name: score(session, name, sample_images(2)).predictions,
                  ledger=ledger, policy=POLL)


def sample_images(count: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (count, 28, 28, 1)) / 255.0


# --------------------------------------------------------------------------- session and data
def test_session_carries_credentials_region_and_retry_config(session):
    assert session.region_name == REGION
    assert session.get_credentials().access_key == "testing"
    config = session.client("sagemaker").meta.config
    assert config.retries == {"total_max_attempts": 3, "mode": "standard"}


def test_upload_is_skipped_when_the_same_content_is_there(session, data, tmp_path):
    assert data.uploaded and data.s3_uri.endswith(f"/{data.content_hash[:12]}/")
    again = aws.upload_dataset(session, BUCKET, synthetic_mnist(tmp_path / "again"),
                               key_prefix="DEMO-mnist-mlmonitor/data")
    assert (again.s3_uri, again.uploaded) == (data.s3_uri, False)


def test_names_respect_the_63_character_limit():
    name = aws.derived_name("x" * 80)
    assert len(name) <= 63 and name != aws.derived_name("x" * 80)


@pytest.mark.parametrize("array", [
    sample_images(3), sample_images(2).astype(np.float32),
    np.random.default_rng(1).random((2, 784)), np.random.default_rng(2).random((2, 3, 1)),
    np.array([[-0.0], [1e-300], [1.0]]), np.arange(6, dtype=np.uint8).reshape(2, 3, 1),
    np.array([[True], [False]]), np.zeros((1, 28, 28, 1)),
], ids=["mnist", "float32", "random-2d", "random-3d", "edge-floats", "uint8", "bool", "zeros"])
def test_dumps_array_reads_back_as_exactly_the_same_values(array):
    """float32 is spelled shortest for float32 (0.5019608): exact once read as float32, which
    is what TF Serving does with a float model input."""
    text = dumps_array(array)
    assert np.array_equal(np.array(json.loads(text), dtype=array.dtype), array)
    if array.dtype != np.float32:
        assert json.loads(text) == array.tolist()


def test_images_body_is_the_seeds_payload_with_each_image_as_28_rows():
    """N×H×W×1 is written as N×H×W (the handler reads it as the same images); any other
    shape as it is, so the endpoint's error names what the caller passed."""
    batch = sample_images(2).astype(np.float32)
    values = json.loads(images_body(batch))["input_data"][0]["values"]
    assert np.array(values, dtype=np.float32).tobytes() == batch[..., 0].tobytes()
    assert PROFILE.request_body(batch) == images_body(batch)
    odd = sample_images(1)[:, :27]
    assert np.array(json.loads(images_body(odd))["input_data"][0]["values"]).shape == (1, 27, 28)
    rgb = np.zeros((1, 28, 28, 3))
    assert np.array(json.loads(images_body(rgb))["input_data"][0]["values"]).shape == (
        1, 28, 28, 3)
    assert json.loads(images_body([[0.5]])) == {"input_data": [{"values": [[0.5]]}]}


def test_dumps_array_keeps_non_finite_values_for_the_endpoint_to_refuse():
    assert dumps_array(np.array([[0.5], [np.nan]])) == b"[[0.5], [NaN]]"
    assert dumps_array(np.array([np.inf])) == b"[Infinity]"


# --------------------------------------------------------------------------- training
def test_training_produces_the_artifact_and_metrics(session, trained, ledger):
    assert trained.job_name.startswith(f"{JOB_BASE}-") and len(trained.job_name) <= 63
    assert trained.model_data == (
        f"s3://{BUCKET}/DEMO-mnist-mlmonitor/{trained.job_name}/output/model.tar.gz")
    bucket, key = trained.model_data.removeprefix("s3://").split("/", 1)
    import tarfile

    body = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        names = archive.getnames()
    assert "1/saved_model.pb" in names and "code/inference.py" in names
    assert 0.0 <= trained.metrics["test_accuracy"] <= 1.0
    assert trained.metrics["catalog_id"] == "cat-1"
    assert ledger.alive[("training", "training-job", trained.job_name)]["status"] == "Completed"


def test_training_prints_status_transitions(session, trained, capsys):
    desc = aws.wait_for_training_job(session, trained.job_name, policy=POLL)
    assert desc["TrainingJobStatus"] == "Completed"
    assert f"training job {trained.job_name}: Completed/Completed" in capsys.readouterr().out


def test_failed_training_raises_with_the_failure_reason(session, data):
    with pytest.raises(TrainingFailed) as caught:
        train(session, data, **{"batch-size": "not-a-number"})
    assert "invalid hyperparameter" in caught.value.reason
    assert caught.value.job_name.startswith(JOB_BASE)


# --------------------------------------------------------------------------- serving
def test_deploy_brings_the_endpoint_in_service(session, deployed, trained, ledger):
    assert deployed.endpoint_name.startswith(trained.job_name) and len(deployed.endpoint_name) <= 63
    desc = session.client("sagemaker").describe_endpoint(EndpointName=deployed.endpoint_name)
    assert desc["EndpointStatus"] == "InService"
    assert deployed.image_uri.endswith("tensorflow-inference:2.19-cpu")
    assert len(deployed.smoke_predictions) == 2
    assert {p.label for p in deployed.smoke_predictions} <= set(range(10))
    model = session.client("sagemaker").describe_model(ModelName=deployed.model_name)
    container = model["PrimaryContainer"]
    assert container["Image"] == IMAGE and container["Environment"] == TF_SERVING_ENV
    assert ledger.kinds("serving") == ["endpoint", "endpoint-config", "model"]


def test_deploy_again_reuses_the_endpoint(session, deployed, trained):
    again = deploy(session, trained.job_name, trained.model_data,
                   endpoint_name=deployed.endpoint_name, out=None)
    assert (again.endpoint_name, again.created) == (deployed.endpoint_name, False)


def test_a_failed_smoke_test_fails_the_deployment_naming_the_endpoint(session, deployed, trained):
    def wrong_answer(name: str) -> None:
        raise ScoringError(f"endpoint {name!r} answered class 11")

    with pytest.raises(DeploymentFailed) as refused:
        deploy(session, trained.job_name, trained.model_data,
               endpoint_name=deployed.endpoint_name, smoke_test=wrong_answer, out=None)
    message = str(refused.value)
    assert f"endpoint {deployed.endpoint_name!r} is InService but failed its smoke test" in message
    assert "answered class 11" in message


def test_invoke_returns_the_saved_model_predictions(session, deployed, trained, tmp_path):
    import tarfile

    import tensorflow as tf

    batch = sample_images(10)
    answers = []

    def decode(name: str, payload: bytes) -> list:
        answers.append(fields_and_values(name, payload))
        return PROFILE.read_answer(name, payload)

    result = aws.invoke_endpoint(session, deployed.endpoint_name, batch, encode=images_body,
                                 decode=decode)
    assert [answer["fields"] for answer in answers] == [["prediction", "probability"]]
    assert result.response_time_ms > 0 and result.endpoint_name == deployed.endpoint_name
    bucket, key = trained.model_data.removeprefix("s3://").split("/", 1)
    body = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        archive.extractall(tmp_path, filter="data")
    serve = tf.saved_model.load(str(tmp_path / "1")).signatures["serving_default"]
    direct = next(iter(serve(image=tf.constant(batch, tf.float32)).values())).numpy()
    probabilities = np.array([p.probabilities for p in result.predictions])
    np.testing.assert_allclose(probabilities, direct, rtol=0, atol=1e-6)
    assert [p.label for p in result.predictions] == direct.argmax(axis=1).tolist()
    assert [p.answered for p in result.predictions] == [
        tuple(row) for row in answers[0]["values"]]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_scoring_errors_name_the_endpoint_and_the_fix(session, deployed):
    with pytest.raises(ScoringError, match="'nope'.*not found.*deploy"):
        score(session, "nope", sample_images(1))
    with pytest.raises(ScoringError, match="ModelError.*images have shape") as refused:
        score(session, deployed.endpoint_name, sample_images(1)[:, :20])
    assert str(refused.value).endswith("the model's handler rejected the request: send images "
                                       "shaped Nx28x28x1 with pixels in [0, 1] as "
                                       "application/json")
    with pytest.raises(ScoringError, match="unsupported content type"):
        score(session, deployed.endpoint_name, sample_images(1), content_type="text/csv")


def test_an_answer_with_fewer_predictions_than_inputs_is_refused(session, deployed):
    with pytest.raises(ScoringError) as refused:
        aws.invoke_endpoint(session, deployed.endpoint_name, sample_images(2),
                            encode=images_body,
                            decode=lambda name, payload: PROFILE.read_answer(name, payload)[:1])
    assert str(refused.value) == (f"endpoint {deployed.endpoint_name!r} answered 1 predictions "
                                  "for 2 inputs: check the model's output handler")


def test_a_failed_endpoint_raises_deployment_failed(session, trained):
    s3 = session.client("s3")
    s3.put_object(Bucket=BUCKET, Key="broken/model.tar.gz", Body=b"garbage")
    with pytest.raises(DeploymentFailed, match="Failed: .*ping health check"):
        deploy(session, "broken-job", f"s3://{BUCKET}/broken/model.tar.gz", policy=POLL,
               out=None)


def with_handler(session: boto3.Session, model_data: str, handler: bytes, key: str) -> str:
    """A copy of a trained artifact whose ``code/inference.py`` is ``handler``."""
    import tarfile

    s3 = session.client("s3")
    source_key = model_data.split(f"s3://{BUCKET}/", 1)[1]
    original = s3.get_object(Bucket=BUCKET, Key=source_key)["Body"].read()
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(original), mode="r:gz") as src, \
            tarfile.open(fileobj=out, mode="w:gz") as dst:
        for member in src.getmembers():
            if member.name.lstrip("./") == "code/inference.py":
                member.size = len(handler)
                dst.addfile(member, io.BytesIO(handler))
            else:
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    s3.put_object(Bucket=BUCKET, Key=key, Body=out.getvalue())
    return f"s3://{BUCKET}/{key}"


def test_a_handler_importing_what_the_serving_image_lacks_fails_deploy_naming_it(
        session, trained):
    """Where live fails: the TF Serving image has no numpy, the container cannot import the
    handler, the ping health check fails and the endpoint ends Failed."""
    handler = (REPO / "use_case_mnist_tf" / "inference.py").read_bytes()
    needs_numpy = handler + b"\nimport numpy  # not in the serving image\n"
    model_data = with_handler(session, trained.model_data, needs_numpy,
                              "numpy-handler/model.tar.gz")
    ledger = MemoryLedger()
    with pytest.raises(DeploymentFailed) as refused:
        deploy(session, "numpy-handler", model_data, policy=POLL, out=None, ledger=ledger)
    message = str(refused.value)
    assert "'numpy'" in message and "code/lib" in message and "code/inference.py" in message
    name = next(rid for (_, kind, rid) in ledger.alive if kind == "endpoint")
    status = session.client("sagemaker").describe_endpoint(EndpointName=name)["EndpointStatus"]
    assert status == "Failed"
    aws.delete_endpoint_resources(session, endpoint_name=name, ledger=ledger, policy=POLL)
    assert ledger.alive == {}


def test_cleanup_deletes_endpoint_config_and_model(session, deployed, ledger):
    count = aws.delete_endpoint_resources(session, endpoint_name=deployed.endpoint_name,
                                          ledger=ledger)
    assert count == 3
    sm = session.client("sagemaker")
    assert not [e for e in sm.list_endpoints()["Endpoints"]
                if e["EndpointName"] == deployed.endpoint_name]
    assert not [c for c in sm.list_endpoint_configs()["EndpointConfigs"]
                if c["EndpointConfigName"] == deployed.endpoint_config_name]
    assert not [m for m in sm.list_models()["Models"] if m["ModelName"] == deployed.model_name]
    assert ledger.kinds("serving") == []
    assert aws.delete_endpoint_resources(
        session, endpoint_name=deployed.endpoint_name, endpoint_config_name=deployed.endpoint_name,
        model_names=[deployed.model_name]) == 0
