"""SageMaker's state machines in the local data plane, and the library's waits against them.

What is asserted is what botocore's service model and waiters define (states, error codes),
never a sentence only the emulator says. The serving container is replaced by a stub whose
load the test releases (the real container is covered by ``test_sagemaker_local.py``), so the
walks are exercised without TensorFlow and without sleeping: at ``instant`` pace each
observation is one step; ``realistic`` pace runs on an injected clock.
"""

from __future__ import annotations

import io
import tarfile
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from mlmonitor_harness.fakes import FakeClock, fake_aws_environment
from mlmonitor_lib import aws
from mlmonitor_lib.emulators.pace import Pace, Progress
from mlmonitor_lib.emulators.sagemaker_local import LocalSageMaker, endpoints, moto_config
from mlmonitor_lib.errors import CleanupIncomplete, DeploymentFailed
from mlmonitor_lib.waiting import WaitPolicy

REGION = "ca-central-1"
BUCKET = "sagemaker-states-tests"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
TF_SERVING_IMAGE = "tensorflow-inference:2.19-cpu"  # the stubbed container serves any model
NO_PAUSE = WaitPolicy(0.0, 0.0, 60)  # instant pace: every observation is one step
MODEL = botocore.session.get_session().get_service_model("sagemaker")
ENDPOINT_STATUS = set(MODEL.shape_for("EndpointStatus").enum)


class StubContainer:
    """Stands in for the serving container: its load waits for ``loads`` to be set."""

    loads = threading.Event()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not StubContainer.loads.wait(30):
            raise RuntimeError("the test never released the model load")

    def invoke(self, body: bytes, *args: Any, **kwargs: Any) -> tuple[int, bytes, str]:
        return 200, b'{"predictions": []}', "application/json"

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock
          ) -> Iterator[LocalSageMaker]:
    """moto with the local data plane at instant pace, the serving container stubbed."""
    pace, tmp = "instant", tmp_path_factory.mktemp("instant")
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp, REGION)
        mp.setattr(endpoints, "ServingContainer", StubContainer)
        with mock_aws(config=moto_config()):
            session = boto3.Session(region_name=REGION)
            local = LocalSageMaker(session, tmp, pace=Pace(pace), clock=clock).install()
            s3 = session.client("s3")
            s3.create_bucket(Bucket=BUCKET,
                             CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_object(Bucket=BUCKET, Key="model.tar.gz", Body=_tarball())
            yield local
            StubContainer.loads.set()
            local.uninstall()


@pytest.fixture(scope="module")
def sm(local: LocalSageMaker) -> Any:
    return local.session.client("sagemaker")


def _tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"stub"
        info = tarfile.TarInfo("1/saved_model.pb")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create(sm: Any, name: str, *, loaded: bool = True) -> None:
    """Model, config and endpoint ``name``; with ``loaded`` the model load is released and
    waited for (a real wait on the load thread, not a sleep)."""
    if loaded:
        StubContainer.loads.set()
    else:
        StubContainer.loads.clear()
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": TF_SERVING_IMAGE, "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
        "InstanceType": "ml.c5.xlarge"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)


def loaded(local: LocalSageMaker, name: str) -> None:
    StubContainer.loads.set()
    assert local.endpoint(name).ready.wait(30)


def listed(sm: Any, name: str, **filters: Any) -> list[str]:
    """The statuses ListEndpoints gives ``name`` (every page read)."""
    pages = sm.get_paginator("list_endpoints").paginate(NameContains=name, **filters)
    return [e["EndpointStatus"] for p in pages for e in p["Endpoints"]
            if e["EndpointName"] == name]


def error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"]


# --------------------------------------------------------------------------- endpoints
def test_describe_sees_creating_then_in_service(sm, local):
    create(sm, "ep-describe", loaded=False)
    assert sm.describe_endpoint(EndpointName="ep-describe")["EndpointStatus"] == "Creating"
    # the model is still loading: Creating lasts as long as the load, whatever the observations
    assert sm.describe_endpoint(EndpointName="ep-describe")["EndpointStatus"] == "Creating"
    loaded(local, "ep-describe")
    assert sm.describe_endpoint(EndpointName="ep-describe")["EndpointStatus"] == "Creating"
    assert sm.describe_endpoint(EndpointName="ep-describe")["EndpointStatus"] == "InService"
    assert sm.describe_endpoint(EndpointName="ep-describe")["EndpointStatus"] == "InService"


def test_list_sees_creating_then_in_service(sm, local):
    create(sm, "ep-list")
    loaded(local, "ep-list")
    assert listed(sm, "ep-list") == ["Creating"]
    assert listed(sm, "ep-list") == ["InService"]
    assert listed(sm, "ep-list", StatusEquals="InService") == ["InService"]
    assert listed(sm, "ep-list", StatusEquals="Creating") == []


def test_invoke_before_in_service_is_refused_as_a_missing_endpoint(sm, local):
    create(sm, "ep-early")
    loaded(local, "ep-early")  # loaded, but nobody has seen it InService yet
    runtime = local.session.client("sagemaker-runtime")
    assert error_code(runtime.invoke_endpoint, EndpointName="ep-early", Body=b"{}") == (
        "ValidationError")
    assert error_code(sm.delete_endpoint, EndpointName="ep-early") == "ValidationException"
    sm.describe_endpoint(EndpointName="ep-early")
    assert sm.describe_endpoint(EndpointName="ep-early")["EndpointStatus"] == "InService"
    runtime.invoke_endpoint(EndpointName="ep-early", Body=b"{}")


def test_deleting_is_visible_to_describe_then_the_endpoint_is_gone(sm, local):
    create(sm, "ep-delete")
    loaded(local, "ep-delete")
    aws.wait_for_endpoint(local.session, "ep-delete", policy=NO_PAUSE, out=None)
    sm.delete_endpoint(EndpointName="ep-delete")
    assert sm.describe_endpoint(EndpointName="ep-delete")["EndpointStatus"] == "Deleting"
    # botocore's EndpointDeleted waiter succeeds on this error: the endpoint is gone
    assert error_code(sm.describe_endpoint, EndpointName="ep-delete") == "ValidationException"
    assert listed(sm, "ep-delete") == []
    sm.create_endpoint(EndpointName="ep-delete", EndpointConfigName="ep-delete")  # name free


def test_a_deleting_endpoint_is_listed_and_refuses_its_name_and_invocations(sm, local):
    create(sm, "ep-busy")
    loaded(local, "ep-busy")
    aws.wait_for_endpoint(local.session, "ep-busy", policy=NO_PAUSE, out=None)
    sm.delete_endpoint(EndpointName="ep-busy")
    assert error_code(sm.create_endpoint, EndpointName="ep-busy",
                      EndpointConfigName="ep-busy") == "ValidationException"
    runtime = local.session.client("sagemaker-runtime")
    assert error_code(runtime.invoke_endpoint, EndpointName="ep-busy", Body=b"{}") == (
        "ValidationError")
    assert listed(sm, "ep-busy", StatusEquals="Deleting") == ["Deleting"]  # one observation
    assert listed(sm, "ep-busy") == []  # then it is gone from List too
    assert error_code(sm.describe_endpoint, EndpointName="ep-busy") == "ValidationException"


def test_botocore_waiters_succeed_against_the_emulator(sm, local):
    create(sm, "ep-waiters")
    loaded(local, "ep-waiters")
    fast = {"Delay": 0, "MaxAttempts": 3}
    sm.get_waiter("endpoint_in_service").wait(EndpointName="ep-waiters", WaiterConfig=fast)
    sm.delete_endpoint(EndpointName="ep-waiters")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="ep-waiters", WaiterConfig=fast)
    assert error_code(sm.describe_endpoint, EndpointName="ep-waiters") == "ValidationException"


def test_every_state_shown_is_an_endpoint_status_of_botocores_model(sm, local):
    create(sm, "ep-enum")
    loaded(local, "ep-enum")
    seen = {sm.describe_endpoint(EndpointName="ep-enum")["EndpointStatus"] for _ in range(3)}
    sm.delete_endpoint(EndpointName="ep-enum")
    seen.add(sm.describe_endpoint(EndpointName="ep-enum")["EndpointStatus"])
    assert seen == {"Creating", "InService", "Deleting"} and seen <= ENDPOINT_STATUS


# --------------------------------------------------------------------------- the library
def deploy(session: boto3.Session, **kwargs: Any) -> aws.Deployment:
    """``deploy_model`` as the TF use case calls it (the stub serves any image)."""
    return aws.deploy_model(session, role_arn=ROLE, image_uri=TF_SERVING_IMAGE,
                            environment={"SAGEMAKER_PROGRAM": "inference.py"}, **kwargs)


def test_wait_for_endpoint_prints_each_state(sm, local, capsys):
    create(sm, "ep-print")
    loaded(local, "ep-print")
    desc = aws.wait_for_endpoint(local.session, "ep-print", policy=NO_PAUSE)
    assert desc["EndpointStatus"] == "InService"
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("ep-print: ")[1] for line in lines] == ["Creating", "InService"]


def test_deploy_refuses_a_failed_endpoint_with_its_failure_reason(sm, local):
    local.session.client("s3").put_object(Bucket=BUCKET, Key="broken.tar.gz", Body=b"garbage")
    with pytest.raises(DeploymentFailed) as caught:
        deploy(local.session, job_name="broken", model_data=f"s3://{BUCKET}/broken.tar.gz",
               policy=NO_PAUSE, out=None)
    name = str(caught.value).split("'")[1]
    desc = sm.describe_endpoint(EndpointName=name)
    assert desc["EndpointStatus"] == "Failed"
    assert desc["FailureReason"].rstrip(". ") in str(caught.value)
    assert "code/inference.py" in str(caught.value) and "code/lib" in str(caught.value)


def test_deploy_waits_out_a_deleting_endpoint_and_creates_it_again(sm, local):
    first = deploy(local.session, job_name="again", model_data=f"s3://{BUCKET}/model.tar.gz",
                   policy=NO_PAUSE, out=None)
    sm.delete_endpoint(EndpointName=first.endpoint_name)
    again = deploy(local.session, job_name="again", model_data=f"s3://{BUCKET}/model.tar.gz",
                   endpoint_name=first.endpoint_name, policy=NO_PAUSE,
                   deleted_policy=NO_PAUSE, out=None)
    assert again.created
    assert sm.describe_endpoint(EndpointName=first.endpoint_name)["EndpointStatus"] == (
        "InService")


class Ledger:
    def __init__(self) -> None:
        self.alive: set[tuple[str, str, str]] = set()

    def record(self, service: str, kind: str, resource_id: str, **_: Any) -> None:
        self.alive.add((service, kind, resource_id))

    def forget(self, service: str, kind: str, resource_id: str) -> None:
        self.alive.discard((service, kind, resource_id))


def test_cleanup_returns_once_the_endpoint_is_gone(sm, local):
    ledger = Ledger()
    deployed = deploy(local.session, job_name="gone", model_data=f"s3://{BUCKET}/model.tar.gz",
                      ledger=ledger, policy=NO_PAUSE, out=None)
    assert aws.delete_endpoint_resources(local.session, endpoint_name=deployed.endpoint_name,
                                         ledger=ledger, policy=NO_PAUSE) == 3
    assert ledger.alive == set()
    # no further observation needed: Describe already says it is gone
    assert error_code(sm.describe_endpoint, EndpointName=deployed.endpoint_name) == (
        "ValidationException")


def test_cleanup_waits_for_a_creating_endpoint_before_deleting_it(sm, local):
    ledger = Ledger()
    create(sm, "ep-young", loaded=False)
    for kind in ("endpoint", "endpoint-config", "model"):
        ledger.record("serving", kind, "ep-young")
    threading.Timer(0.2, StubContainer.loads.set).start()  # the load ends while cleanup waits
    polite = WaitPolicy(0.01, 0.05, 60)
    assert aws.delete_endpoint_resources(local.session, endpoint_name="ep-young",
                                         ledger=ledger, policy=polite) == 3
    assert ledger.alive == set()


def test_cleanup_that_cannot_delete_keeps_the_endpoint_in_the_ledger(sm, local):
    ledger = Ledger()
    create(sm, "ep-kept")
    loaded(local, "ep-kept")
    ledger.record("serving", "endpoint", "ep-kept")
    local.faults.inject("DeleteEndpoint", "AccessDeniedException", times=-1)
    try:
        with pytest.raises(CleanupIncomplete):
            aws.delete_endpoint_resources(local.session, endpoint_name="ep-kept",
                                          endpoint_config_name="ep-kept", ledger=ledger,
                                          policy=NO_PAUSE)
    finally:
        local.faults.clear()
    assert ledger.alive == {("serving", "endpoint", "ep-kept")}


# --------------------------------------------------------------------------- pagination
def test_lists_return_ten_by_default_and_paginators_read_them_all(sm, local):
    names = [f"pg-{i:02d}" for i in range(12)]
    for name in names:
        create(sm, name)
    for name in names:
        loaded(local, name)
    for operation, key, name_key in (
        ("list_endpoints", "Endpoints", "EndpointName"),
        ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName"),
        ("list_models", "Models", "ModelName"),
    ):
        first = getattr(sm, operation)(NameContains="pg-")
        assert len(first[key]) == 10 and first["NextToken"]
        pages = list(sm.get_paginator(operation).paginate(NameContains="pg-"))
        seen = [item[name_key] for page in pages for item in page[key]]
        assert sorted(seen) == names and len(pages) == 2
        assert seen == sorted(names, reverse=True)  # AWS's default: newest first
    assert error_code(sm.list_models, MaxResults=101) == "ValidationException"
    assert error_code(sm.list_endpoints, NextToken="not-a-token") == "ValidationException"


def test_list_training_jobs_pages_too(local, tmp_path):
    sm = local.session.client("sagemaker")
    before = {j["TrainingJobName"]
              for p in sm.get_paginator("list_training_jobs").paginate()
              for j in p["TrainingJobSummaries"]}
    local.faults.fail_next_training_job("AlgorithmError: not run")  # nothing runs
    for i in range(11):
        local.faults.fail_next_training_job("AlgorithmError: not run")
        sm.create_training_job(
            TrainingJobName=f"tj-{i:02d}", RoleArn=ROLE,
            AlgorithmSpecification={"TrainingImage": "img", "TrainingInputMode": "File"},
            OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/out"},
            ResourceConfig={"InstanceType": "ml.c5.xlarge", "InstanceCount": 1,
                            "VolumeSizeInGB": 1},
            StoppingCondition={"MaxRuntimeInSeconds": 60})
    local.faults.clear()
    assert len(sm.list_training_jobs(NameContains="tj-")["TrainingJobSummaries"]) == 10
    pages = sm.get_paginator("list_training_jobs").paginate(NameContains="tj-")
    assert sorted(j["TrainingJobName"] for p in pages for j in p["TrainingJobSummaries"]) == [
        f"tj-{i:02d}" for i in range(11)]
    assert not before & {f"tj-{i:02d}" for i in range(11)}


# --------------------------------------------------------------------------- training jobs
def test_training_job_walks_the_secondary_statuses_in_order(local):
    sm = local.session.client("sagemaker")
    local.faults.fail_next_training_job("AlgorithmError: injected")
    sm.create_training_job(
        TrainingJobName="tj-walk", RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "img", "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/out"},
        ResourceConfig={"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 60})
    assert local.job("tj-walk").done.wait(30)
    seen = []
    while not seen or seen[-1][0] == "InProgress":
        desc = sm.describe_training_job(TrainingJobName="tj-walk")
        seen.append((desc["TrainingJobStatus"], desc["SecondaryStatus"]))
    assert seen == [("InProgress", "Starting"), ("Failed", "Failed")]
    assert [t["Status"] for t in desc["SecondaryStatusTransitions"]] == ["Starting", "Failed"]
    assert desc["FailureReason"] == "AlgorithmError: injected"


def test_secondary_statuses_follow_botocores_model():
    """The order DescribeTrainingJob's documentation gives, each a SecondaryStatus value."""
    from mlmonitor_lib.emulators.sagemaker_local.states import TRAINING_STAGES

    stages = [name for name, _, _ in TRAINING_STAGES]
    assert stages == ["Starting", "Downloading", "Training", "Uploading"]
    assert set(stages) <= set(MODEL.shape_for("SecondaryStatus").enum)
    doc = MODEL.operation_model("DescribeTrainingJob").output_shape.members[
        "SecondaryStatus"].documentation
    positions = [doc.index(f"<code>{name}</code>") for name in stages]
    assert positions == sorted(positions)


# --------------------------------------------------------------------------- pace
def test_progress_at_instant_pace_shows_each_stage_to_one_observation():
    walk = Progress(Pace("instant"), [("Creating", 600), ("Updating", 60)], "InService")
    assert [walk.observe() for _ in range(4)] == ["Creating", "Updating", "InService",
                                                  "InService"]


def test_progress_at_realistic_pace_walks_by_time():
    clock = FakeClock()
    walk = Progress(Pace("realistic"), [("Deleting", 120)], "(gone)", clock=clock)
    assert walk.observe() == "Deleting" and walk.observe() == "Deleting"
    clock.advance(Pace("realistic").seconds(120) - 0.01)
    assert walk.observe() == "Deleting"
    clock.advance(0.02)
    assert walk.observe() == "(gone)"


def test_a_released_hold_does_not_skip_the_next_stage():
    clock, busy = FakeClock(), [True]
    walk = Progress(Pace("realistic"), [("Training", 0), ("Uploading", 60)], "Completed",
                    holds={"Training": lambda: busy[0]}, clock=clock)
    clock.advance(30)  # a long training run
    assert walk.observe() == "Training"
    busy[0] = False
    clock.advance(5)
    assert walk.observe() == "Uploading"  # entered now, not 30 s ago
    clock.advance(Pace("realistic").seconds(60))
    assert walk.observe() == "Completed"
    assert [state for state, _ in walk.entered] == ["Training", "Uploading", "Completed"]


def test_finish_after_drops_the_later_stages():
    walk = Progress(Pace("instant"), [("Starting", 1), ("Training", 1), ("Uploading", 1)],
                    "Completed")
    walk.finish("Failed", after="Training")
    assert [walk.observe() for _ in range(3)] == ["Starting", "Training", "Failed"]


def test_an_endpoint_at_realistic_pace_is_creating_until_its_time_has_passed(local, tmp_path):
    """A second data plane at realistic pace on its own session, over the same moto."""
    clock = FakeClock()
    slow = LocalSageMaker(boto3.Session(region_name=REGION), tmp_path, pace=Pace("realistic"),
                          clock=clock).install()
    try:
        sm = slow.session.client("sagemaker")
        create(sm, "ep-slow")
        loaded(slow, "ep-slow")
        assert {sm.describe_endpoint(EndpointName="ep-slow")["EndpointStatus"]
                for _ in range(3)} == {"Creating"}
        clock.advance(Pace("realistic").seconds(endpoints.CREATING_S))
        assert sm.describe_endpoint(EndpointName="ep-slow")["EndpointStatus"] == "InService"
        sm.delete_endpoint(EndpointName="ep-slow")
        assert {listed(sm, "ep-slow")[0] for _ in range(3)} == {"Deleting"}
        assert sm.describe_endpoint(EndpointName="ep-slow")["EndpointStatus"] == "Deleting"
        clock.advance(Pace("realistic").seconds(endpoints.DELETING_S))
        assert error_code(sm.describe_endpoint, EndpointName="ep-slow") == (
            "ValidationException")
    finally:
        slow.uninstall()


TRAINING_IMAGE = (
    "763104351884.dkr.ecr.ca-central-1.amazonaws.com/tensorflow-training:2.19-cpu-py312")
TINY_SCRIPT = """
import os
open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w").write("tiny")
print("test_accuracy=0.25;")
print("test_accuracy=0.75;")
"""


def test_a_job_that_runs_walks_every_stage_and_its_transitions_match(local, tmp_path):
    """ModelTrainer (as the library runs it) submits a tiny script with the signature's
    metric definitions: the walk shows each stage once, and FinalMetricDataList is filled."""
    (tmp_path / "train.py").write_text(TINY_SCRIPT)
    metrics = [{"Name": "test_accuracy", "Regex": "test_accuracy=([0-9.]+);"}]
    name = aws.start_training_job(
        local.session, role_arn=ROLE, bucket=BUCKET, region=REGION, source_dir=tmp_path,
        entry_point="train.py", hyperparameters={}, channels={}, job_name_base="tiny",
        output_prefix="tiny", metric_definitions=metrics)
    assert local.job(name).done.wait(60), local.job(name).log_tail()
    sm = local.session.client("sagemaker")
    seen = []
    while not seen or seen[-1][0] == "InProgress":
        desc = sm.describe_training_job(TrainingJobName=name)
        seen.append((desc["TrainingJobStatus"], desc["SecondaryStatus"]))
    walk = ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    # ModelTrainer itself described the job once after creating it (it saw Starting)
    assert [s for _, s in seen] == walk[-len(seen):] and len(seen) >= 4, desc.get(
        "FailureReason")
    assert [p for p, _ in seen] == ["InProgress"] * (len(seen) - 1) + ["Completed"]
    transitions = desc["SecondaryStatusTransitions"]
    assert [t["Status"] for t in transitions] == walk
    assert all(t["StartTime"] <= t["EndTime"] for t in transitions)
    assert desc["AlgorithmSpecification"]["MetricDefinitions"] == metrics
    assert [(m["MetricName"], m["Value"]) for m in desc["FinalMetricDataList"]] == [
        ("test_accuracy", 0.75)]
