"""Shared fixtures and helpers of the OpenScale emulator tests (tests/openscale/test_*.py).

One emulator per test (in-memory SQLite), mounted on ``responses``; SDK waits are instant.
Quality metrics are checked against a confusion matrix computed by hand and against an
independent numpy computation. Nothing is instantly ready (as on the real service): at the
instant pace each intermediate state is seen by one read, at the realistic pace the tests move
an injected clock, they never sleep.
"""

from __future__ import annotations

import json

import boto3
import numpy as np
import pytest
import responses
from moto import mock_aws

from mlmonitor_harness.fakes import FakeClock
from mlmonitor_harness.sdk_clock import instant_sdk_waits
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.iam import make_router as iam_router
from mlmonitor_lib.emulators.openscale import DEFAULT_INSTANCE_ID, OpenScaleBackend, make_router
from mlmonitor_lib.emulators.openscale.discovery import md5, sagemaker_from_session, seed_endpoint
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.emulators.transport import mount

IAM = "https://iam.emulated.test"
WOS = "https://wos.emulated.test"
V2 = f"{WOS}/openscale/{DEFAULT_INSTANCE_ID}/v2"
API_KEY = "wos-test-key"
AWS_SECRET = "aws-secret-never-echoed-0123456789"
REGION = "us-east-1"
EP1, EP2 = md5("ep-1"), md5("ep-2")  # the deployment ids OpenScale gives SageMaker endpoints
RNG = np.random.default_rng(14)  # one generator for every module's random records
FEATURES = ["LoanDuration", "LoanAmount", "Age"]  # the binary model's feature_fields


@pytest.fixture
def iam() -> IamBackend:
    return IamBackend(api_keys={API_KEY: "account-1"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def aws():
    """moto holding two InService endpoints, ep-1 and ep-2: the SageMaker OpenScale asks."""
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="test-access-key",
                                aws_secret_access_key=AWS_SECRET)
        for name in ("ep-1", "ep-2"):
            seed_endpoint(session, name)
        yield session


@pytest.fixture
def backend(request, clock, aws) -> OpenScaleBackend:
    """Instant pace unless a test is parametrized with ``indirect`` ``"realistic"``."""
    pace = Pace(getattr(request, "param", "instant"))
    return OpenScaleBackend(":memory:", pace, clock=clock, sagemaker=sagemaker_from_session(aws))


@pytest.fixture
def rsps(iam, backend):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mount(mock, IAM, iam_router(iam))
        mount(mock, WOS, make_router(backend, iam))
        yield mock


@pytest.fixture
def client(rsps):
    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
    from ibm_watson_openscale import APIClient

    with instant_sdk_waits(Pace("instant")):  # realistic tests move their clock by hand
        yield APIClient(
            authenticator=IAMAuthenticator(API_KEY, url=IAM),
            service_url=WOS,
            service_instance_id=DEFAULT_INSTANCE_ID,
        )


@pytest.fixture
def token(iam) -> str:
    return iam.issue_token(API_KEY)["access_token"]


def _sdk():
    from ibm_watson_openscale.base_classes import watson_open_scale_v2 as v2
    from ibm_watson_openscale.supporting_classes import enums

    return v2, enums


@pytest.fixture
def data_mart_id(client) -> str:
    return client.data_marts.add(background_mode=False, internal_database=True).result.metadata.id


@pytest.fixture
def provider_id(client) -> str:
    v2, enums = _sdk()
    return client.service_providers.add(
        name="sagemaker",
        service_type=enums.ServiceTypes.AMAZON_SAGEMAKER,
        credentials=v2.SageMakerCredentials(
            access_key_id="test-access-key", secret_access_key=AWS_SECRET, region=REGION
        ),
        operational_space_id="production",
        background_mode=False,
    ).result.metadata.id


def _discovered(client, data_mart_id: str, provider_id: str, name: str) -> dict:
    """The provider's deployment named ``name``, found as IBM's SageMaker notebook finds it."""
    listed = client.service_providers.list_assets(
        data_mart_id=data_mart_id, service_provider_id=provider_id).result
    return next(r for r in listed["resources"] if r["entity"]["name"] == name)


def _subscribe(client, data_mart_id: str, provider_id: str, endpoint: str, input_type: str,
               problem_type: str, **properties: object) -> str:
    """Subscribe the provider's deployment named ``endpoint`` as IBM's SageMaker flow does:
    asset, deployment and scoring endpoint as discovery reported them."""
    v2, _ = _sdk()
    found = _discovered(client, data_mart_id, provider_id, endpoint)
    asset = found["entity"]["asset"]
    return client.subscriptions.add(
        data_mart_id=data_mart_id,
        service_provider_id=provider_id,
        asset=v2.Asset(asset_id=asset["asset_id"], name=asset["name"], url=asset["url"],
                       asset_type=asset["asset_type"], input_data_type=input_type,
                       problem_type=problem_type),
        deployment=v2.AssetDeploymentRequest(
            deployment_id=found["metadata"]["guid"],
            url=found["metadata"]["url"],
            name=found["entity"]["name"],
            deployment_type=found["entity"]["type"],
            scoring_endpoint=v2.ScoringEndpointRequest(
                url=found["entity"]["scoring_endpoint"]["url"]),
        ),
        asset_properties=v2.AssetPropertiesRequest(**properties),
        background_mode=False,
    ).result.metadata.id


@pytest.fixture
def subscription_id(client, data_mart_id, provider_id) -> str:
    _, enums = _sdk()
    return _subscribe(client, data_mart_id, provider_id, "ep-1",
                      enums.InputDataType.UNSTRUCTURED_IMAGE,
                      enums.ProblemType.MULTICLASS_CLASSIFICATION, label_column="target",
                      prediction_field="prediction", probability_fields=["probability"])


@pytest.fixture
def structured_subscription_id(client, data_mart_id, provider_id) -> str:
    """A structured binary model, as the SageMaker notebook subscribes its linear learner."""
    _, enums = _sdk()
    return _subscribe(client, data_mart_id, provider_id, "ep-2",
                      enums.InputDataType.STRUCTURED, enums.ProblemType.BINARY_CLASSIFICATION,
                      label_column="Risk", prediction_field="predicted_label",
                      probability_fields=["score"])


def _list_data_sets(client, subscription_id: str, data_set_type: str) -> list:
    return client.data_sets.list(
        type=data_set_type, target_target_id=subscription_id, target_target_type="subscription"
    ).result.data_sets


def _data_set(client, subscription_id: str, data_set_type: str) -> str:
    """The data set's id, read as a client must: it appears after the subscription."""
    for _ in range(3):
        if found := _list_data_sets(client, subscription_id, data_set_type):
            assert len(found) == 1
            return found[0].metadata.id
    raise AssertionError(f"no {data_set_type} data set after 3 reads")


def _count_reaches(client, data_set_id: str, expected: int, reads: int = 4) -> list[int]:
    """Counts read until one equals ``expected`` (counts lag the stored records)."""
    seen = []
    for _ in range(reads):
        seen.append(client.data_sets.get_records_count(data_set_id))
        if seen[-1] == expected:
            return seen
    raise AssertionError(f"count never reached {expected}: {seen}")


def _quality(client, data_mart_id, subscription_id, minimum=3, accuracy=0.8) -> str:
    v2, enums = _sdk()
    return client.monitor_instances.create(
        data_mart_id=data_mart_id,
        monitor_definition_id=client.monitor_definitions.MONITORS.QUALITY.ID,
        target=v2.Target(target_type=enums.TargetTypes.SUBSCRIPTION, target_id=subscription_id),
        parameters={"min_feedback_data_size": minimum},
        thresholds=[
            v2.MetricThresholdOverride(metric_id="accuracy", type="lower_limit", value=accuracy)
        ],
        background_mode=False,
    ).result.metadata.id


def _feedback(client, data_set_id: str, labels, predictions) -> None:
    pairs = enumerate(zip(labels, predictions, strict=True))
    values = [[[i], int(lab), int(p)] for i, (lab, p) in pairs]
    body = [{"fields": ["scoring_input", "target", "_original_prediction"], "values": values}]
    before = client.data_sets.get_records_count(data_set_id)
    done = client.data_sets.store_records(data_set_id, body, background_mode=False)
    assert done.result.state == "active"
    _count_reaches(client, data_set_id, before + len(values))


def _store(client, data_set_id: str, body: list, rows: int) -> list[dict]:
    """Store through the SDK as IBM's clients do (background_mode=False), wait until the
    count grew by ``rows`` (IBM/mlmonitor's check) and read the stored rows back."""
    before = client.data_sets.get_records_count(data_set_id)
    done = client.data_sets.store_records(data_set_id, body, background_mode=False)
    assert done.result.state == "active"
    _count_reaches(client, data_set_id, before + rows)
    rows = client.data_sets.get_list_of_records(data_set_id, limit=1000).result["records"]
    return [r["entity"]["values"] for r in rows][before:]


def _payload(**kwargs):
    from ibm_watson_openscale.supporting_classes.payload_record import PayloadRecord

    return PayloadRecord(response_time=460, **kwargs)


def _same(stored: dict, sent: dict) -> None:
    """Read back JSON-identical: the same bytes once serialised, key by key."""
    picked = {k: stored[k] for k in sent}
    assert json.dumps(picked, sort_keys=True) == json.dumps(sent, sort_keys=True)


def _add_subscription(client, data_mart_id: str, provider_id: str, background: bool = True):
    v2, enums = _sdk()
    return client.subscriptions.add(
        data_mart_id=data_mart_id,
        service_provider_id=provider_id,
        asset=v2.Asset(asset_id=md5("ep-2-model"), name="ep-2-model",
                       asset_type=enums.AssetTypes.MODEL,
                       input_data_type=enums.InputDataType.UNSTRUCTURED_IMAGE,
                       problem_type=enums.ProblemType.MULTICLASS_CLASSIFICATION),
        deployment=v2.AssetDeploymentRequest(deployment_id=EP2, name="ep-2",
                                             deployment_type=enums.DeploymentTypes.ONLINE),
        asset_properties=v2.AssetPropertiesRequest(label_column="target"),
        background_mode=background,
    ).result


def _scored_subscription(client, data_mart_id, provider_id) -> str:
    _, enums = _sdk()
    return _subscribe(client, data_mart_id, provider_id, "ep-2", enums.InputDataType.STRUCTURED,
                      enums.ProblemType.BINARY_CLASSIFICATION, label_column="Risk",
                      prediction_field="predicted_label", probability_fields=["score"],
                      feature_fields=FEATURES)


def _monitor(client, data_mart_id, subscription_id, definition: str, thresholds=None,
             parameters=None):
    v2, enums = _sdk()
    return client.monitor_instances.create(
        data_mart_id=data_mart_id, monitor_definition_id=definition,
        target=v2.Target(target_type=enums.TargetTypes.SUBSCRIPTION, target_id=subscription_id),
        parameters=parameters or {"min_feedback_data_size": 10}, thresholds=thresholds or [],
        background_mode=False).result.metadata.id
