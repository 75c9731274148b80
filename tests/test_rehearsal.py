"""Rehearsal mode: everything over real HTTP on 127.0.0.1, the client configured as for live.

The client's ``boto3.Session`` carries no hooks; the SageMaker front runs the local data plane
server side. One training serves the whole module (the machine is shared): the flow test trains,
deploys, scores, governs, monitors, evaluates and cleans up through ``ModelUseCase`` exactly as
the features do, and the routing checks that need a model use the same endpoint.
"""

from __future__ import annotations

import io
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import numpy as np
import pytest
import requests
from botocore.exceptions import ClientError

from mlmonitor_harness.rehearsal import RehearsalWorld
from mlmonitor_lib.aws import boto3_session, make_client
from mlmonitor_lib.aws.s3 import parse_s3_uri
from mlmonitor_lib.emulators.sagemaker_local.hooks import _INSTALLED

REPO = Path(__file__).resolve().parents[1]
BUDGET = {"train-samples": 3000, "epochs": 1}
TIMINGS: dict[str, float] = {}  # seconds per lifecycle step, printed by the flow test
_AWS_ENV = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY", "SAGEMAKER_VALIDATE_ROLE")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RehearsalWorld]:
    with pytest.MonkeyPatch.context() as mp:
        for name in _AWS_ENV:
            mp.delenv(name, raising=False)
        with RehearsalWorld(workdir=tmp_path_factory.mktemp("rehearsal")) as started:
            yield started


def moto_client(world: RehearsalWorld, service: str):
    """A client straight to the moto server, behind the front: the independent witness."""
    return make_client(world.server_session, service, endpoint_url=world.moto_url)


# ------------------------------------------------------------------------------ wiring (fast)
def test_client_is_configured_as_live_with_no_hooks(world):
    settings = world.settings
    assert settings.aws_endpoint_url == world.aws_url
    assert settings.aws_endpoint_url.startswith("http://127.0.0.1:")
    assert settings.env == "prem" and settings.cp4d_url == world.ibm_url
    assert world.session.events not in _INSTALLED  # the data plane lives server side only
    assert world.server_session.events in _INSTALLED
    for service in ("s3", "sagemaker", "sagemaker-runtime", "iam"):
        assert make_client(world.session, service).meta.endpoint_url == world.aws_url
    # a session built from the settings alone reaches the same front
    assert make_client(boto3_session(settings), "s3").meta.endpoint_url == world.aws_url


def test_ibm_cloud_flavour_is_refused_with_the_reason(world):
    with pytest.raises(LookupError, match="hard-coded hosts"):
        world.settings_for("saas")


def test_s3_passes_through_to_moto_unchanged(world):
    s3 = make_client(world.session, "s3")
    s3.create_bucket(Bucket="rehearsal-passthrough",
                     CreateBucketConfiguration={"LocationConstraint": "ca-central-1"})
    payload = os.urandom(9 * 1024 * 1024)  # above the multipart threshold of upload_fileobj
    s3.upload_fileobj(io.BytesIO(payload), "rehearsal-passthrough", "blob.bin")
    assert s3.head_object(Bucket="rehearsal-passthrough", Key="blob.bin")["ContentLength"] == (
        len(payload))
    stored = moto_client(world, "s3").get_object(Bucket="rehearsal-passthrough", Key="blob.bin")
    assert stored["Body"].read() == payload
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket="rehearsal-passthrough", Key="nothing")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_unknown_endpoint_raises_validation_error_like_aws(world):
    runtime = make_client(world.session, "sagemaker-runtime")
    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(EndpointName="no-such-endpoint", Body=b"{}",
                                ContentType="application/json")
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert re.fullmatch(r"Endpoint no-such-endpoint of account \d{12} not found\.",
                        error["Error"]["Message"])


def test_sagemaker_control_plane_errors_keep_their_shape(world):
    sagemaker = make_client(world.session, "sagemaker")
    with pytest.raises(ClientError) as caught:
        sagemaker.describe_training_job(TrainingJobName="no-such-job")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find training job" in caught.value.response["Error"]["Message"]
    assert sagemaker.list_endpoints()["Endpoints"] == []


def test_ibm_services_answer_over_loopback_with_cp4d_login(world):
    from ibm_cloud_sdk_core.authenticators import CloudPakForDataAuthenticator

    settings = world.settings
    auth = CloudPakForDataAuthenticator(
        settings.cp4d_username, settings.cp4d_password.get_secret_value(), url=settings.cp4d_url)
    token = auth.token_manager.get_token()
    heartbeat = requests.get(f"{settings.cp4d_url}/v1/aigov/factsheet/heartbeat", timeout=10)
    assert heartbeat.ok and heartbeat.json()["version"]
    data_marts = f"{settings.cp4d_url}/openscale/00000000-0000-0000-0000-000000000000/v2/data_marts"
    assert requests.get(data_marts, headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 200
    assert requests.get(data_marts, timeout=10).status_code == 401
    refused = requests.post(f"{settings.cp4d_url}/icp4d-api/v1/authorize", timeout=10,
                            json={"username": settings.cp4d_username, "password": "wrong"})
    assert refused.status_code == 401


# ------------------------------------------------------------------- the CLI (subprocess)
def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def test_emulators_serve_prints_exports_and_stops_on_sigterm(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in _AWS_ENV}
    process = subprocess.Popen(
        [sys.executable, "-m", "mlmonitor_lib", "emulators", "serve", "--workdir",
         str(tmp_path)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any(line.startswith("serving") for line in output):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "".join(output)
            output.append(line)
        exported = dict(
            re.fullmatch(r"export (\w+)=(\S+)\n", line).groups()
            for line in output if line.startswith("export ")
        )
        assert set(exported) == {
            "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION", "AWS_ROLE", "BUCKET_NAME", "ENV", "CP4D_URL",
            "CP4D_USERNAME", "CP4D_PASSWORD", "CATALOG_ID", "MODEL_ENTRY_ID",
            "WAIT_FIRST_S", "WAIT_MAX_S",  # the pauses that suit the emulators' pace
            "STATE_DIR",  # the world's own state folder (removed with it unless --workdir)
            "EVIDENCE_DIR",  # and its evidence packs, beside it
        }
        assert exported["ENV"] == "prem"
        assert any("pytest --mode rehearsal" in line for line in output)
        password = exported["CP4D_PASSWORD"]
        assert sum(password in line for line in output) == 1  # the export line only

        # what a user's own script does with those exports
        s3 = boto3.client(
            "s3", endpoint_url=exported["AWS_ENDPOINT_URL"],
            region_name=exported["AWS_DEFAULT_REGION"],
            aws_access_key_id=exported["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exported["AWS_SECRET_ACCESS_KEY"])
        s3.create_bucket(Bucket=exported["BUCKET_NAME"], CreateBucketConfiguration={
            "LocationConstraint": exported["AWS_DEFAULT_REGION"]})
        assert exported["BUCKET_NAME"] in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        login = requests.post(f"{exported['CP4D_URL']}/icp4d-api/v1/authorize", timeout=10,
                              json={"username": exported["CP4D_USERNAME"], "password": password})
        assert login.ok and login.json()["token"]

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    rest = []
    while (line := lines.get(timeout=10)) is not None:
        rest.append(line)
    assert "emulators stopped\n" in rest
    assert not any(password in line for line in rest)


# ----------------------------------------------------- the library flow over HTTP (one training)
@pytest.fixture(scope="module")
def use_case(world, tmp_path_factory):
    """One use case through the whole flow; trained once for the module."""
    from mlmonitor_lib.usecase import ModelUseCase

    case = ModelUseCase(
        "use_case_mnist_tf", settings=world.settings, session=boto3_session(world.settings),
        hyperparameters=BUDGET, state_file=tmp_path_factory.mktemp("flow") / "state.json",
    )
    started = time.monotonic()
    case.train()
    TIMINGS["train"] = time.monotonic() - started
    yield case
    case.cleanup()


@pytest.mark.slow
@pytest.mark.train
def test_training_through_a_hookless_client_writes_the_model_to_moto_s3(world, use_case):
    description = use_case.describe_training_job()
    assert description["TrainingJobStatus"] == "Completed"
    bucket, key = parse_s3_uri(use_case.state.model_data)
    assert key.endswith(f"{use_case.state.job_name}/output/model.tar.gz")
    head = moto_client(world, "s3").head_object(Bucket=bucket, Key=key)  # behind the front
    assert head["ContentLength"] > 10_000
    assert use_case.artifact_size(use_case.state.model_data) == head["ContentLength"]
    assert world.local_sagemaker.job(use_case.state.job_name) is not None  # ran server side


@pytest.mark.slow
@pytest.mark.serve
@pytest.mark.govern
@pytest.mark.monitor
def test_onboarding_flow_over_http(world, use_case, capsys):
    timings = TIMINGS

    def timed(name: str, step, *args):
        started = time.monotonic()
        result = step(*args)
        timings[name] = time.monotonic() - started
        return result

    assert timed("deploy", use_case.deploy)["created"] is True
    endpoint = use_case.state.endpoint_name
    assert make_client(world.session, "sagemaker").describe_endpoint(
        EndpointName=endpoint)["EndpointStatus"] == "InService"

    scored = timed("score", use_case.score_model, 10)
    assert scored["fields"] == ["prediction", "probability"]
    labels = use_case.test_set().labels[:10]
    predicted = [value[0] for value in scored["values"]]
    assert all(abs(sum(value[1]) - 1) < 1e-3 for value in scored["values"])
    assert scored["classes"] == predicted
    assert scored["probabilities"] == [list(value[1]) for value in scored["values"]]
    assert np.mean(np.array(predicted) == labels) >= 0.6  # a real model, not a canned body

    runtime = make_client(world.session, "sagemaker-runtime")
    images = use_case.test_set().inputs[:2]
    raw = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="application/json",
                                  Body=json.dumps({"instances": images.tolist()}))
    assert raw["ContentType"] == "application/json"
    assert raw["InvokedProductionVariant"]
    assert len(json.loads(raw["Body"].read())["predictions"][0]["values"]) == 2
    with pytest.raises(ClientError) as handler_error:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1,2,3")
    error = handler_error.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert "Received server error (500)" in error["Error"]["Message"]
    assert "unsupported content type 'text/csv'" in error["Error"]["Message"]
    assert error["OriginalStatusCode"] == 500

    governed = timed("govern", use_case.govern)
    assert governed["asset_id"] in world.ibm.factsheets_assets_for(world.settings.model_entry_id)
    monitored = timed("monitor", use_case.monitor)
    assert monitored["state"] == "active"
    assert timed("log_payload", use_case.log_payload, 100) == 100
    assert "quality" in timed("configure_quality_monitor", use_case.configure_quality_monitor)
    assert timed("log_feedback", use_case.log_feedback, 100)["stored"] == 100
    evaluation = timed("evaluate", use_case.evaluate)
    assert evaluation.records == 100
    assert 0.6 <= evaluation.metrics["accuracy"] <= 1.0

    counts = timed("cleanup", use_case.cleanup)
    assert counts == {"serving": 1, "wos": 1, "factsheets": 1}
    assert make_client(world.session, "sagemaker").list_endpoints()["Endpoints"] == []
    assert world.ibm.openscale_leftovers(monitored["subscription_id"]) == []
    assert world.ibm.factsheets_assets_for(world.settings.model_entry_id) == []
    with capsys.disabled():
        print("\nrehearsal timings (s): "
              + ", ".join(f"{name} {seconds:.1f}" for name, seconds in timings.items()))
