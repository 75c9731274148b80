"""The Watson OpenScale emulator, route by route, through the real SDK call that uses each route.

One emulator per test (in-memory SQLite), mounted on ``responses``; SDK waits are instant.
Quality metrics are checked against a confusion matrix computed by hand and against an
independent numpy computation. Nothing is instantly ready (as on the real service): at the
instant pace each intermediate state is seen by one read, at the realistic pace the tests move
an injected clock, they never sleep.
"""

from __future__ import annotations

import datetime as dt
import json

import boto3
import numpy as np
import pytest
import requests
import responses
from moto import mock_aws

from mlmonitor_harness.fakes import FakeClock
from mlmonitor_harness.sdk_clock import instant_sdk_waits
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.iam import make_router as iam_router
from mlmonitor_lib.emulators.openscale import (
    DEFAULT_INSTANCE_ID,
    RESET_PATH,
    OpenScaleBackend,
    make_router,
)
from mlmonitor_lib.emulators.openscale.discovery import md5, sagemaker_from_session, seed_endpoint
from mlmonitor_lib.emulators.openscale.quality import quality_metrics
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.emulators.transport import mount

IAM = "https://iam.emulated.test"
WOS = "https://wos.emulated.test"
V2 = f"{WOS}/openscale/{DEFAULT_INSTANCE_ID}/v2"
API_KEY = "wos-test-key"
AWS_SECRET = "aws-secret-never-echoed-0123456789"
REGION = "us-east-1"
EP1, EP2 = md5("ep-1"), md5("ep-2")  # the deployment ids OpenScale gives SageMaker endpoints


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


REALISTIC = pytest.mark.parametrize("backend", ["realistic"], indirect=True)


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


# construction: token, entitlements, monitor definitions -------------------------------------
def test_client_construction_checks_entitlement_and_reads_definitions(client):
    assert client.plan_name == "standard"
    monitors = client.monitor_definitions.MONITORS
    for name in ("QUALITY", "FAIRNESS", "EXPLAINABILITY", "PERFORMANCE", "MODEL_HEALTH"):
        assert getattr(monitors, name).ID
    assert monitors.QUALITY.METRIC.ACCURACY == "accuracy"
    definition = client.monitor_definitions.get(monitors.QUALITY.ID).result
    assert definition.entity.name == "Quality"


def test_request_without_token_is_401(rsps):
    reply = requests.get(f"{V2}/data_marts")
    assert reply.status_code == 401
    assert reply.json()["errors"][0]["message"] == "Missing bearer token in Authorization header."


def test_request_with_forged_token_is_401(rsps):
    reply = requests.get(f"{V2}/data_marts", headers={"Authorization": "Bearer not.a.jwt"})
    assert reply.status_code == 401


def test_unknown_instance_is_404(rsps, token):
    url = f"{WOS}/openscale/11111111-2222-3333-4444-555555555555/v2/data_marts"
    reply = requests.get(url, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 404
    assert "service instance" in reply.json()["errors"][0]["message"]


# data marts, providers --------------------------------------------------------------------
def test_data_marts_add_get_list_delete(client, data_mart_id):
    assert client.data_marts.get(data_mart_id).result.entity.status.state == "active"
    assert [d.metadata.id for d in client.data_marts.list().result.data_marts] == [data_mart_id]
    client.data_marts.delete(data_mart_id, background_mode=False)
    assert client.data_marts.list().result.data_marts == []


def test_data_marts_get_not_found(client):
    from ibm_cloud_sdk_core import ApiException

    with pytest.raises(ApiException) as err:
        client.data_marts.get("nope")
    assert err.value.code == 404
    assert err.value.message == "data mart with id 'nope' was not found."


def test_service_provider_credentials_are_stored_never_echoed(client, backend, provider_id, rsps):
    provider = client.service_providers.get(provider_id).result
    assert provider.entity.credentials.secret_id
    assert provider.entity.service_type == "amazon_sagemaker"
    assert backend.credentials[provider.entity.credentials.secret_id]["secret_access_key"] == (
        AWS_SECRET
    )
    for call in rsps.calls:
        if call.request.method == "GET":
            assert AWS_SECRET not in (call.response.text or "")
    listed = client.service_providers.list(service_type="amazon_sagemaker").result
    assert [p.metadata.id for p in listed.service_providers] == [provider_id]


def test_service_provider_duplicate_name_is_refused_by_the_sdk(client, provider_id):
    from ibm_watson_openscale.utils.client_errors import ClientError

    v2, enums = _sdk()
    with pytest.raises(ClientError, match="already in use"):
        client.service_providers.add(
            name="sagemaker",
            service_type=enums.ServiceTypes.AMAZON_SAGEMAKER,
            credentials=v2.SageMakerCredentials(access_key_id="a", secret_access_key="b"),
        )


def test_service_provider_delete(client, provider_id):
    client.service_providers.delete(provider_id, background_mode=False)
    assert client.service_providers.list().result.service_providers == []


# subscriptions and data sets -------------------------------------------------------------
def test_subscription_creates_data_sets_and_sdk_default_monitors(client, subscription_id):
    sub = client.subscriptions.get(subscription_id).result
    assert sub.entity.status.state == "active"
    assert sub.entity.asset.input_data_type == "unstructured_image"
    assert sub.entity.asset.problem_type == "multiclass"
    monitors = client.monitor_instances.list(target_target_id=subscription_id).result
    kinds = sorted(m.entity.monitor_definition_id for m in monitors.monitor_instances)
    assert kinds == ["model_health", "performance"]
    payload = _data_set(client, subscription_id, "payload_logging")
    schema = client.data_sets.get(payload).result.entity.data_schema.fields
    assert [f["name"] for f in schema][:5] == [
        "scoring_id",
        "scoring_timestamp",
        "deployment_id",
        "asset_revision",
        "scoring_input",
    ]
    assert _data_set(client, subscription_id, "feedback")
    found = client.subscriptions.list(deployment_deployment_id=EP1).result.subscriptions
    assert [s.metadata.id for s in found] == [subscription_id]


# deployment discovery: IBM's SageMaker flow ---------------------------------------------------
# The recorded output of service_providers.list_assets in IBM/watson-openscale-samples, "IBM
# Cloud/AWS Sagemaker/notebooks/AI OpenScale and SageMaker ML Engine.ipynb" (first resource).
NOTEBOOK_RESOURCE = {
    "metadata": {"guid": "cc7acf711b19c689d67e7b2a01b88ca2",
                 "url": "Credit-risk-endpoint-scoring-2021-06-24-05-32",
                 "created_at": "2021-06-24T05:40:41.734Z",
                 "modified_at": "2023-04-25T07:04:18.041Z"},
    "entity": {
        "name": "Credit-risk-endpoint-scoring-2021-06-24-05-32",
        "deployment_rn": "arn:aws:sagemaker:us-east-2:014862798213:endpoint/"
                         "credit-risk-endpoint-scoring-2021-06-24-05-32",
        "type": "online",
        "scoring_endpoint": {"url": "Credit-risk-endpoint-scoring-2021-06-24-05-32"},
        "asset": {
            "asset_id": "98783e76b0aedefc06c70bd74fa2356e",
            "asset_rn": "arn:aws:sagemaker:us-east-2:014862798213:model/"
                        "credit-risk-linear-learner-2021-06-24-05-32",
            "url": "s3://sagemaker-us-east-2-014862798213/credit-risk/output/"
                   "Credit-risk-linear-learner-2021-06-24-05-32/output/model.tar.gz",
            "name": "Credit-risk-linear-learner-2021-06-24-05-32",
            "asset_type": "model",
            "created_at": "2021-06-24T05:40:27.363Z"},
        "asset_properties": {"asset_revision": "1682406258041"},
    },
}


def test_deployment_resource_reproduces_the_notebooks_recorded_resource():
    from mlmonitor_lib.emulators.openscale.discovery import deployment_resource

    utc = dt.UTC
    entity = NOTEBOOK_RESOURCE["entity"]
    endpoint = {"EndpointName": entity["name"], "EndpointArn": entity["deployment_rn"],
                "CreationTime": dt.datetime(2021, 6, 24, 5, 40, 41, 734000, utc),
                "LastModifiedTime": dt.datetime(2023, 4, 25, 7, 4, 18, 41000, utc)}
    model = {"ModelName": entity["asset"]["name"], "ModelArn": entity["asset"]["asset_rn"],
             "PrimaryContainer": {"ModelDataUrl": entity["asset"]["url"]},
             "CreationTime": dt.datetime(2021, 6, 24, 5, 40, 27, 363000, utc)}
    assert deployment_resource(endpoint, model) == NOTEBOOK_RESOURCE


def _shape(value):
    """The keys of a document, recursively (values ignored)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__


def test_list_assets_lists_the_sagemaker_endpoints_with_the_notebooks_shapes(
        client, aws, data_mart_id, provider_id):
    listed = client.service_providers.list_assets(
        data_mart_id=data_mart_id, service_provider_id=provider_id).result
    assert listed["count"] == 2
    assert [r["entity"]["name"] for r in listed["resources"]] == ["ep-2", "ep-1"]  # newest first
    ep1 = listed["resources"][1]
    assert _shape(ep1) == _shape(NOTEBOOK_RESOURCE)
    endpoint = aws.client("sagemaker").describe_endpoint(EndpointName="ep-1")
    model = aws.client("sagemaker").describe_model(ModelName="ep-1-model")
    assert ep1["metadata"]["guid"] == EP1 and ep1["metadata"]["url"] == "ep-1"
    assert ep1["entity"]["deployment_rn"] == endpoint["EndpointArn"]
    assert ep1["entity"]["scoring_endpoint"] == {"url": "ep-1"}
    assert ep1["entity"]["asset"]["asset_id"] == md5("ep-1-model")
    assert ep1["entity"]["asset"]["asset_rn"] == model["ModelArn"]
    assert ep1["entity"]["asset"]["url"] == model["PrimaryContainer"]["ModelDataUrl"]
    stamp = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
    assert all(__import__("re").match(stamp, ep1["metadata"][k])
               for k in ("created_at", "modified_at"))
    millis = int(endpoint["LastModifiedTime"].timestamp() * 1000)
    assert ep1["entity"]["asset_properties"] == {"asset_revision": str(millis)}
    # get_deployment_asset reads the same listing (and returns its body, not a response)
    again = client.service_providers.get_deployment_asset(
        data_mart_id=data_mart_id, service_provider_id=provider_id, deployment_id=EP1)
    assert ep1 in again["resources"]


def test_list_assets_shows_only_inservice_endpoints(client, aws, data_mart_id, provider_id):
    from moto.sagemaker.models import sagemaker_backends

    sagemaker_backends["123456789012"][REGION].endpoints["ep-2"].endpoint_status = "Updating"
    listed = client.service_providers.list_assets(
        data_mart_id=data_mart_id, service_provider_id=provider_id).result
    assert [r["entity"]["name"] for r in listed["resources"]] == ["ep-1"]


def test_list_assets_asks_sagemaker_in_the_providers_region(client, data_mart_id):
    v2, enums = _sdk()
    elsewhere = client.service_providers.add(
        name="sagemaker-eu", service_type=enums.ServiceTypes.AMAZON_SAGEMAKER,
        credentials=v2.SageMakerCredentials(access_key_id="test-access-key",
                                            secret_access_key=AWS_SECRET, region="eu-west-1"),
        background_mode=False).result.metadata.id
    listed = client.service_providers.list_assets(
        data_mart_id=data_mart_id, service_provider_id=elsewhere).result
    assert listed == {"resources": [], "count": 0}


def test_list_assets_of_unknown_provider_or_data_mart_is_404(rsps, token, data_mart_id,
                                                            provider_id):
    auth = {"Authorization": f"Bearer {token}"}
    missing = requests.get(f"{WOS}/v1/ml_instances/nope/deployments?datamart_id={data_mart_id}",
                           headers=auth, timeout=5)
    assert missing.status_code == 404
    assert "service provider with id 'nope'" in missing.json()["errors"][0]["message"]
    no_mart = requests.get(f"{WOS}/v1/ml_instances/{provider_id}/deployments?datamart_id=x",
                           headers=auth, timeout=5)
    assert no_mart.status_code == 404


def test_subscription_to_an_unreported_deployment_is_refused(client, aws, data_mart_id,
                                                            provider_id):
    from ibm_cloud_sdk_core import ApiException

    v2, enums = _sdk()
    aws.client("sagemaker").delete_endpoint(EndpointName="ep-2")
    for deployment_id in ("ep-1", EP2):  # an invented id; a deleted endpoint's
        with pytest.raises(ApiException) as err:
            client.subscriptions.add(
                data_mart_id=data_mart_id, service_provider_id=provider_id,
                asset=v2.Asset(asset_id="a", asset_type="model"),
                deployment=v2.AssetDeploymentRequest(
                    deployment_id=deployment_id, name="ep", deployment_type="online"),
                asset_properties=v2.AssetPropertiesRequest())
        assert err.value.code == 400
        assert err.value.message.startswith(
            f"Deployment '{deployment_id}' is not one of the deployments service provider "
            f"'{provider_id}' reports")
    assert client.subscriptions.list().result.subscriptions == []


def test_subscription_with_unknown_data_mart_is_404(client, provider_id):
    from ibm_cloud_sdk_core import ApiException

    v2, _ = _sdk()
    with pytest.raises(ApiException) as err:
        client.subscriptions.add(
            data_mart_id="missing",
            service_provider_id=provider_id,
            asset=v2.Asset(asset_id="a", asset_type="model"),
            deployment=v2.AssetDeploymentRequest(
                deployment_id="d", name="d", deployment_type="online"
            ),
            asset_properties=v2.AssetPropertiesRequest(),
        )
    assert err.value.code == 404
    assert "data mart with id 'missing'" in err.value.message


def test_deleting_subscription_deletes_its_data_sets_records_and_monitors(
    client, backend, data_mart_id, subscription_id
):
    feedback = _data_set(client, subscription_id, "feedback")
    _feedback(client, feedback, [1, 2], [1, 2])
    _quality(client, data_mart_id, subscription_id)
    client.subscriptions.delete(subscription_id, background_mode=False)
    assert client.subscriptions.list().result.subscriptions == []
    assert client.data_sets.list().result.data_sets == []
    assert client.monitor_instances.list().result.monitor_instances == []
    assert backend.records.count(feedback) == 0
    assert backend.requests == {}


def test_deleting_a_data_set_deletes_its_records_and_pending_requests(
    client, backend, subscription_id
):
    from ibm_cloud_sdk_core import ApiException

    feedback = _data_set(client, subscription_id, "feedback")
    client.data_sets.store_records(feedback, [{"fields": ["target"], "values": [[1]]}])
    client.data_sets.delete(feedback, background_mode=False)
    assert backend.requests == {}
    with pytest.raises(ApiException) as err:
        client.data_sets.get_records_count(feedback)
    assert err.value.code == 404


# records ------------------------------------------------------------------------------------
def test_payload_records_202_location_and_request_status(client, subscription_id, rsps):
    from ibm_watson_openscale.supporting_classes.payload_record import PayloadRecord

    payload = _data_set(client, subscription_id, "payload_logging")
    records = [
        PayloadRecord(
            request={"fields": ["scoring_input"], "values": [[[0, 1, 2]]]},
            response={"fields": ["prediction", "probability"], "values": [[1, [0.2, 0.8]]]},
            scoring_id=f"s-{i}",
            response_time=12,
        )
        for i in range(3)
    ]
    raw = client.data_sets.store_records(payload, records)  # background: the raw 202
    assert raw.status_code == 202
    request_id = raw.headers["Location"].rsplit("/", 1)[-1]
    assert raw.headers["Location"].endswith(f"/v2/data_sets/{payload}/requests/{request_id}")
    states = [client.data_sets.get_update_status(payload, request_id).result.state
              for _ in range(3)]
    assert states == ["preparing", "active", "active"]
    assert _count_reaches(client, payload, 3) == [0, 0, 3]  # counted a delay after "active"
    rows = client.data_sets.get_list_of_records(payload).result["records"]
    first = rows[0]["entity"]["values"]
    assert (first["scoring_id"], first["prediction"], first["probability"]) == (
        "s-0",
        1,
        [0.2, 0.8],
    )
    assert first["prediction_probability"] == 0.8
    assert first["response_time"] == 12
    assert first["deployment_id"] == EP1


def test_records_paging_limit_offset_total(client, subscription_id):
    feedback = _data_set(client, subscription_id, "feedback")
    _feedback(client, feedback, range(25), range(25))
    page = client.data_sets.get_list_of_records(
        feedback, limit=10, offset=20, include_total_count=True
    ).result
    assert page["total_count"] == 25
    assert [r["entity"]["values"]["target"] for r in page["records"]] == [20, 21, 22, 23, 24]
    default = client.data_sets.get_list_of_records(feedback).result
    assert len(default["records"]) == 25 and "total_count" not in default


def test_records_on_unknown_data_set_is_404(client):
    from ibm_cloud_sdk_core import ApiException

    with pytest.raises(ApiException) as err:
        client.data_sets.store_records("nope", [{"fields": ["a"], "values": [[1]]}])
    assert err.value.code == 404


def test_records_request_must_be_an_array(rsps, client, subscription_id, token):
    feedback = _data_set(client, subscription_id, "feedback")
    reply = requests.post(
        f"{V2}/data_sets/{feedback}/records",
        data=json.dumps({"fields": []}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert "non-empty JSON array" in reply.json()["errors"][0]["message"]


# monitor instances, runs, metrics, measurements ---------------------------------------------
def test_monitor_instance_thresholds_round_trip_and_patch(client, data_mart_id, subscription_id):
    from ibm_watson_openscale.base_classes.watson_open_scale_v2 import JsonPatchOperation

    quality = _quality(client, data_mart_id, subscription_id)
    entity = client.monitor_instances.get(quality).result.entity
    assert [(t.metric_id, t.type, t.value) for t in entity.thresholds] == [
        ("accuracy", "lower_limit", 0.8)
    ]
    assert entity.parameters == {"min_feedback_data_size": 3}
    patch = [
        JsonPatchOperation(
            op="replace",
            path="/thresholds",
            value=[{"metric_id": "weighted_f_measure", "type": "lower_limit", "value": 0.5}],
        )
    ]
    client.monitor_instances.update(quality, patch)
    entity = client.monitor_instances.get(quality).result.entity
    assert [t.metric_id for t in entity.thresholds] == ["weighted_f_measure"]


def test_monitor_instance_threshold_on_unknown_metric_is_400(client, data_mart_id, subscription_id):
    from ibm_cloud_sdk_core import ApiException

    v2, _ = _sdk()
    with pytest.raises(ApiException) as err:
        client.monitor_instances.create(
            data_mart_id=data_mart_id,
            monitor_definition_id="quality",
            target=v2.Target(target_type="subscription", target_id=subscription_id),
            parameters={},
            thresholds=[v2.MetricThresholdOverride(metric_id="f1_score", type="lower_limit")],
        )
    assert err.value.code == 400
    assert "'f1_score' is not a metric of monitor 'quality'" in err.value.message


def test_second_quality_monitor_for_a_subscription_is_409(client, data_mart_id, subscription_id):
    from ibm_cloud_sdk_core import ApiException

    _quality(client, data_mart_id, subscription_id)
    with pytest.raises(ApiException) as err:
        _quality(client, data_mart_id, subscription_id)
    assert err.value.code == 409


def test_quality_run_with_too_little_feedback_says_how_many_more(
    client, data_mart_id, subscription_id
):
    quality = _quality(client, data_mart_id, subscription_id, minimum=10)
    _feedback(client, _data_set(client, subscription_id, "feedback"), [1, 2, 3], [1, 2, 3])
    run = client.monitor_instances.run(quality, background_mode=False).result
    assert run.entity.status.state == "error"
    message = run.entity.status.failure.errors[0].message
    assert "needs at least 10 feedback records" in message
    assert "holds 3: store 7 more feedback records" in message


def test_quality_run_hand_computed_confusion_matrix(client, data_mart_id, subscription_id):
    # labels  : 0 0 1 1 1 2
    # predict : 0 1 1 1 2 2   -> correct 4/6
    #             pred 0 1 2
    # true 0        [1 1 0]
    # true 1        [0 2 1]
    # true 2        [0 0 1]
    quality = _quality(client, data_mart_id, subscription_id, minimum=6, accuracy=0.5)
    _feedback(
        client,
        _data_set(client, subscription_id, "feedback"),
        [0, 0, 1, 1, 1, 2],
        [0, 1, 1, 1, 2, 2],
    )
    run = client.monitor_instances.run(quality, background_mode=False).result
    assert run.entity.status.state == "finished"
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    start = end - dt.timedelta(hours=1)
    listed = client.monitor_instances.list_measurements(
        quality, start=start, end=end, run_id=run.metadata.id
    ).result.measurements
    assert len(listed) == 1 and listed[0].entity.issue_count == 0
    details = client.monitor_instances.get_measurement_details(quality, listed[0].metadata.id)
    sources = {s.id: s.data for s in details.result.entity.sources}
    assert sources["confusion_matrix"] == {
        "labels": [0, 1, 2],
        "values": [[1, 1, 0], [0, 2, 1], [0, 0, 1]],
    }
    metrics = {m.id: m.value for m in listed[0].entity.values[0].metrics}
    # precision: 1/1, 3/3->2/3, 1/2 ; recall: 1/2, 2/3, 1/1 ; supports 2, 3, 1
    precision = (2 * 1.0 + 3 * (2 / 3) + 1 * 0.5) / 6
    recall = (2 * 0.5 + 3 * (2 / 3) + 1 * 1.0) / 6
    f1 = [2 * p * r / (p + r) for p, r in ((1.0, 0.5), (2 / 3, 2 / 3), (0.5, 1.0))]
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert metrics["weighted_precision"] == pytest.approx(precision)
    assert metrics["weighted_recall"] == pytest.approx(recall)
    assert metrics["weighted_f_measure"] == pytest.approx((2 * f1[0] + 3 * f1[1] + f1[2]) / 6)
    last = client.monitor_instances.get_metrics(quality, start=start, end=end).result
    values = {m.id: m.last.value[0] for m in last.groups[0].metrics}
    assert values["accuracy"] == pytest.approx(4 / 6)
    runs = client.monitor_instances.list_runs(quality).result.runs
    assert [r.metadata.id for r in runs] == [run.metadata.id]


def test_quality_run_below_threshold_records_violation(client, data_mart_id, subscription_id):
    quality = _quality(client, data_mart_id, subscription_id, minimum=4, accuracy=0.9)
    _feedback(client, _data_set(client, subscription_id, "feedback"), [1, 2, 3, 4], [1, 2, 0, 0])
    run = client.monitor_instances.run(quality, background_mode=False).result
    assert run.entity.status.state == "finished"
    assert "1 violated: accuracy 0.5000 < lower limit 0.9" in run.entity.status.message
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    found = client.monitor_instances.list_measurements(
        quality, start=end - dt.timedelta(hours=1), end=end, run_id=run.metadata.id
    ).result.measurements[0]
    assert found.entity.issue_count == 1
    accuracy = next(m for m in found.entity.values[0].metrics if m.id == "accuracy")
    assert (accuracy.value, accuracy.lower_limit) == (0.5, 0.9)


def test_quality_metrics_equal_independent_numpy_computation():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 10, 5000)
    predictions = np.where(rng.random(5000) < 0.8, labels, rng.integers(0, 10, 5000))
    result = quality_metrics([str(x) for x in labels], [str(x) for x in predictions])
    matrix = np.zeros((10, 10), int)
    np.add.at(matrix, (labels, predictions), 1)
    assert result.confusion_matrix == matrix.tolist()
    assert result.labels == list(range(10))
    tp, support, predicted = np.diag(matrix), matrix.sum(1), matrix.sum(0)
    precision, recall = tp / predicted, tp / support
    weights = support / support.sum()
    assert result.metrics["accuracy"] == pytest.approx(float((labels == predictions).mean()))
    assert result.metrics["weighted_precision"] == pytest.approx(float(weights @ precision))
    assert result.metrics["weighted_recall"] == pytest.approx(float(weights @ recall))
    f1 = 2 * precision * recall / (precision + recall)
    assert result.metrics["weighted_f_measure"] == pytest.approx(float(weights @ f1))


def test_quality_metrics_order_classes_naturally_and_keep_strings():
    result = quality_metrics(["10", "2", '"cat"'], ["2", "2", '"cat"'])
    assert result.labels == [2, 10, "cat"]
    assert result.confusion_matrix == [[1, 0, 0], [1, 0, 0], [0, 0, 1]]


def test_monitor_instance_delete_and_run_not_found(client, data_mart_id, subscription_id):
    from ibm_cloud_sdk_core import ApiException

    quality = _quality(client, data_mart_id, subscription_id)
    with pytest.raises(ApiException) as err:
        client.monitor_instances.get_run_details(quality, "no-run")
    assert err.value.code == 404
    client.monitor_instances.delete(quality, background_mode=False)
    ids = [m.metadata.id for m in client.monitor_instances.list().result.monitor_instances]
    assert quality not in ids


# nothing is instantly ready ----------------------------------------------------------------
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


def test_subscription_is_preparing_when_created_then_active(client, data_mart_id, provider_id):
    created = _add_subscription(client, data_mart_id, provider_id)  # the SDK reads it once
    assert created.entity.status.state == "preparing"
    states = [client.subscriptions.get(created.metadata.id).result.entity.status.state
              for _ in range(2)]
    assert states == ["active", "active"]


def test_subscriptions_add_waits_until_active(client, data_mart_id, provider_id, capsys):
    done = _add_subscription(client, data_mart_id, provider_id, background=False)
    assert done.entity.status.state == "active"
    assert "\nactive" in capsys.readouterr().out  # the SDK's wait loop printed the state


def test_monitor_instances_are_preparing_then_active(client, data_mart_id, provider_id):
    v2, enums = _sdk()
    subscription = _add_subscription(client, data_mart_id, provider_id).metadata.id
    defaults = client.monitor_instances.list(target_target_id=subscription).result
    assert {m.entity.status.state for m in defaults.monitor_instances} == {"preparing"}
    created = client.monitor_instances.create(
        data_mart_id=data_mart_id,
        monitor_definition_id="quality",
        target=v2.Target(target_type=enums.TargetTypes.SUBSCRIPTION, target_id=subscription),
        parameters={"min_feedback_data_size": 1},
    ).result
    assert created.entity.status.state == "preparing"
    states = [client.monitor_instances.get(created.metadata.id).result.entity.status.state
              for _ in range(2)]
    assert states == ["preparing", "active"]


def test_data_sets_appear_after_the_subscription(client, backend, subscription_id):
    """Listed neither by type nor by id before OpenScale has created them."""
    hidden = {d["entity"]["type"]: d["metadata"]["id"] for d in backend.resources["data_sets"]
              .values()}
    from ibm_cloud_sdk_core import ApiException

    for _ in range(2):  # waiting for the subscription, then being created
        with pytest.raises(ApiException) as err:
            client.data_sets.get(hidden["feedback"])
        assert err.value.code == 404
    # one read while OpenScale waits for the active subscription, one while it creates them
    assert _list_data_sets(client, subscription_id, "payload_logging") == []
    assert _list_data_sets(client, subscription_id, "payload_logging") == []
    listed = _list_data_sets(client, subscription_id, "payload_logging")
    assert [d.metadata.id for d in listed] == [hidden["payload_logging"]]
    assert client.data_sets.get(hidden["feedback"]).result.entity.type == "feedback"


def test_records_are_not_accepted_before_their_data_set_exists(rsps, backend, token,
                                                               subscription_id):
    payload = next(d["metadata"]["id"] for d in backend.resources["data_sets"].values()
                   if d["entity"]["type"] == "payload_logging")
    reply = requests.post(
        f"{V2}/data_sets/{payload}/records",
        json=[{"fields": ["scoring_input"], "values": [[1]]}],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 404


def test_quality_run_evaluates_only_the_counted_feedback(client, data_mart_id, subscription_id):
    """Evaluating right after storing (before the count caught up) sees too little."""
    quality = _quality(client, data_mart_id, subscription_id, minimum=3)
    feedback = _data_set(client, subscription_id, "feedback")
    body = [{"fields": ["scoring_input", "target", "_original_prediction"],
             "values": [[[0], 1, 1], [[1], 2, 2], [[2], 3, 3]]}]
    client.data_sets.store_records(feedback, body, background_mode=False)
    early = client.monitor_instances.run(quality, background_mode=False).result.entity.status
    assert (early.state, early.failure.errors[0].code) == ("error", "AIQQS0013E")
    _count_reaches(client, feedback, 3)
    assert client.monitor_instances.run(quality, background_mode=False).result.entity.status \
        .state == "finished"


def test_monitor_run_is_running_then_finished_and_measured_after(
    client, data_mart_id, subscription_id
):
    quality = _quality(client, data_mart_id, subscription_id, minimum=2)
    _feedback(client, _data_set(client, subscription_id, "feedback"), [1, 2], [1, 2])
    run = client.monitor_instances.run(quality).result  # background: as created
    assert run.entity.status.state == "running" and run.entity.status.completed_at is None
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    window = {"start": end - dt.timedelta(hours=1), "end": end, "run_id": run.metadata.id}
    measured = client.monitor_instances.list_measurements(quality, **window).result
    assert measured.measurements == []
    states = [client.monitor_instances.get_run_details(quality, run.metadata.id).result
              .entity.status.state for _ in range(2)]
    assert states == ["running", "finished"]
    measured = client.monitor_instances.list_measurements(quality, **window).result
    assert len(measured.measurements) == 1


def test_reset_forgets_every_walk(client, backend, subscription_id):
    backend.reset()
    assert backend.lifecycles.peek(subscription_id) is None
    assert backend.requests == {} and backend.runs == {}


@REALISTIC
def test_realistic_pace_subscription_and_data_sets_follow_the_clock(
    client, backend, clock, data_mart_id, provider_id
):
    """Compressed: the 2 s of ``preparing`` and the 5-10 s before the data sets last
    ``Pace.seconds`` each (0.2 s); repeated reads change nothing before that."""
    subscription = _add_subscription(client, data_mart_id, provider_id).metadata.id
    for _ in range(3):
        assert client.subscriptions.get(subscription).result.entity.status.state == "preparing"
        assert _list_data_sets(client, subscription, "payload_logging") == []
    clock.advance(backend.pace.seconds(backend.lifecycles.delays.subscription_preparing_s))
    assert client.subscriptions.get(subscription).result.entity.status.state == "active"
    clock.advance(backend.pace.seconds(backend.lifecycles.delays.feedback_data_set_s))
    assert len(_list_data_sets(client, subscription, "feedback")) == 1


@REALISTIC
def test_realistic_pace_counts_catch_up_after_the_request_is_active(
    client, backend, clock, data_mart_id, provider_id
):
    subscription = _add_subscription(client, data_mart_id, provider_id).metadata.id
    clock.advance(1.0)
    feedback = _data_set(client, subscription, "feedback")
    raw = client.data_sets.store_records(feedback, [{"fields": ["target"], "values": [[1], [2]]}])
    request_id = raw.headers["Location"].rsplit("/", 1)[-1]
    step = backend.pace.seconds(backend.lifecycles.delays.records_request_s)
    assert client.data_sets.get_update_status(feedback, request_id).result.state == "preparing"
    assert client.data_sets.get_records_count(feedback) == 0
    clock.advance(step)
    assert client.data_sets.get_update_status(feedback, request_id).result.state == "active"
    assert client.data_sets.get_records_count(feedback) == 0  # stored, not counted yet
    clock.advance(backend.pace.seconds(backend.lifecycles.delays.records_count_lag_s))
    assert client.data_sets.get_records_count(feedback) == 2


# emulator control ---------------------------------------------------------------------------
def test_reset_route_empties_the_backend(client, backend, subscription_id):
    assert requests.post(f"{WOS}{RESET_PATH}").status_code == 200
    assert backend.list("subscriptions") == [] and backend.list("data_marts") == []


def test_unroutable_request_lists_the_routes(rsps, token):
    reply = requests.get(f"{V2}/nothing_here", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 404
    assert "GET /openscale/{instance}/v2/data_marts: path differs" in reply.json()["message"]


def test_records_survive_in_a_sqlite_file(tmp_path):
    path = tmp_path / "wos.sqlite"
    store = OpenScaleBackend(str(path)).records
    store.append("ds", [("r1", "now", "1", "1", "{}")])
    store.close()
    assert OpenScaleBackend(str(path)).records.count("ds") == 0  # a new backend resets...
    assert path.exists()  # ...but keeps its file: one file per emulator instance


def test_quality_run_over_100k_feedback_records_is_exact(
    backend, data_mart_id, subscription_id, client
):
    """Correctness at scale; its speed is measured in bench/monitoring.py, not here."""
    feedback = _data_set(client, subscription_id, "feedback")
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, 100_000)
    predictions = np.where(rng.random(100_000) < 0.85, labels, (labels + 3) % 10)
    backend.records.append(
        feedback,
        (
            (f"r{i}", "t", str(lab), str(p), "{}")
            for i, (lab, p) in enumerate(zip(labels.tolist(), predictions.tolist(), strict=True))
        ),
    )
    quality = _quality(client, data_mart_id, subscription_id, minimum=100_000)
    run = backend.add_run(quality, {})
    assert run["entity"]["status"]["state"] == "running"
    assert backend.get_run(quality, run["metadata"]["id"])["entity"]["status"]["state"] == (
        "running"
    )
    assert backend.get_run(quality, run["metadata"]["id"])["entity"]["status"]["state"] == (
        "finished"
    )
    measured = backend.list_measurements(quality, None, None)[0]["entity"]["values"][0]
    accuracy = next(m["value"] for m in measured["metrics"] if m["id"] == "accuracy")
    assert accuracy == pytest.approx(float(np.mean(labels == predictions)))


# records as the service keeps them: the shapes IBM's clients send ---------------------------
# Each shape names its source (mlmonitor_lib/emulators/openscale/record_shapes.py says more).
RNG = np.random.default_rng(14)
CREDIT_FIELDS = [f"f{i}" for i in range(59)] + ["LoanDuration", "LoanAmount"]


@pytest.fixture
def structured_subscription_id(client, data_mart_id, provider_id) -> str:
    """A structured binary model, as the SageMaker notebook subscribes its linear learner."""
    _, enums = _sdk()
    return _subscribe(client, data_mart_id, provider_id, "ep-2",
                      enums.InputDataType.STRUCTURED, enums.ProblemType.BINARY_CLASSIFICATION,
                      label_column="Risk", prediction_field="predicted_label",
                      probability_fields=["score"])


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


def test_sagemaker_notebook_flat_request_is_one_scoring(client, structured_subscription_id):
    """IBM's SageMaker notebook, cells 59/62: request values is a FLAT list (one scoring);
    its recorded count afterwards is 1."""
    payload = _data_set(client, structured_subscription_id, "payload_logging")
    values = RNG.random(len(CREDIT_FIELDS)).round(3).tolist()
    response = {"fields": ["score", "predicted_label"], "values": [[0.19936884939670563, 0]]}
    rows = _store(client, payload, [_payload(
        scoring_id="c4951a50", request={"fields": CREDIT_FIELDS, "values": values},
        response=response)], 1)
    assert len(rows) == 1 and client.data_sets.get_records_count(payload) == 1
    _same(rows[0], dict(zip(CREDIT_FIELDS, values, strict=True)))
    _same(rows[0], {"score": 0.19936884939670563, "predicted_label": 0,
                    "scoring_id": "c4951a50", "response_time": 460})


def test_mlmonitor_structured_payload_one_row_per_scoring(client, structured_subscription_id):
    """IBM/mlmonitor run_payload_logging.py (structured): {fields, values: rows}, response
    {fields: [prediction, probability], values: [[p, [..]], ...]}; count grows by n."""
    payload = _data_set(client, structured_subscription_id, "payload_logging")
    features = RNG.random((4, 3)).tolist()
    outputs = [[int(i % 2), RNG.random(2).tolist()] for i in range(4)]
    rows = _store(client, payload, [_payload(
        scoring_id="s", request={"fields": ["a", "b", "c"], "values": features},
        response={"fields": ["predicted_label", "score"], "values": outputs})], 4)
    assert [r["scoring_id"] for r in rows] == ["s-1", "s-2", "s-3", "s-4"]
    for row, x, (p, s) in zip(rows, features, outputs, strict=True):
        _same(row, {"a": x[0], "b": x[1], "c": x[2], "predicted_label": p, "score": s})


def test_mlmonitor_image_payload_keeps_every_image_whole(client, subscription_id):
    """IBM/mlmonitor run_payload_logging.py (unstructured_image): request {"values":
    samples.tolist()} without fields, n x 28 x 28 x 1; each image is stored whole (it was
    truncated to its first row before)."""
    payload = _data_set(client, subscription_id, "payload_logging")
    images = RNG.random((3, 28, 28, 1)).tolist()
    response = {"fields": ["prediction", "probability"],
                "values": [[i, RNG.random(10).tolist()] for i in range(3)]}
    rows = _store(client, payload, [_payload(scoring_id="img", request={"values": images},
                                             response=response)], 3)
    assert client.data_sets.get_records_count(payload) == 3
    for row, image, (p, prob) in zip(rows, images, response["values"], strict=True):
        _same(row, {"scoring_input": image, "prediction": p, "probability": prob})
        assert np.asarray(row["scoring_input"]).shape == (28, 28, 1)


def test_sagemaker_notebook_feedback_table_read_back_identical(client, structured_subscription_id):
    """IBM's SageMaker notebook, cell 74: [{fields, values}] from a CSV read as floats
    (no predictions: OpenScale scores the deployment itself)."""
    feedback = _data_set(client, structured_subscription_id, "feedback")
    fields = [*CREDIT_FIELDS, "Risk"]
    values = RNG.integers(0, 5, (6, len(fields))).astype(float).tolist()
    rows = _store(client, feedback, [{"fields": fields, "values": values}], 6)
    for row, sent in zip(rows, values, strict=True):
        _same(row, dict(zip(fields, sent, strict=True)))


@pytest.mark.parametrize("with_predictions", [False, True], ids=["no-preds", "with-preds"])
def test_mlmonitor_image_feedback_with_or_without_predictions(client, subscription_id,
                                                              with_predictions):
    """IBM/mlmonitor run_feedback_logging.py (unstructured_image): [[image, label], ...] or
    [[image, label, prediction, probabilities], ...]."""
    feedback = _data_set(client, subscription_id, "feedback")
    fields = ["scoring_input", "target"]
    values = [[RNG.random((28, 28, 1)).tolist(), i] for i in range(3)]
    if with_predictions:
        fields += ["_original_prediction", "_original_probability"]
        values = [[*v, i, RNG.random(10).tolist()] for i, v in enumerate(values)]
    rows = _store(client, feedback, [{"fields": fields, "values": values}], 3)
    for row, sent in zip(rows, values, strict=True):
        _same(row, dict(zip(fields, sent, strict=True)))


def test_image_notebook_plain_object_feedback_stored_as_sent(client, subscription_id):
    """IBM's image notebook (WML keras multiclass), cell 72: plain objects
    {"scoring_input": image, "target": n}."""
    feedback = _data_set(client, subscription_id, "feedback")
    sent = [{"scoring_input": RNG.random((28, 28, 1)).tolist(), "target": i} for i in range(2)]
    rows = _store(client, feedback, sent, 2)
    for row, one in zip(rows, sent, strict=True):
        _same(row, one)


PAYLOAD = "payload_logging"
MALFORMED = [
    # (data set, body, what the message must name)
    (PAYLOAD, [{"request": {"fields": ["a", "b", "c"], "values": [1.0, 2.0]},
                "response": {"fields": ["prediction"], "values": [[1]]}}],
     "records[0].request.values is a single row (not an array of rows) of 2 values for 3 fields"),
    (PAYLOAD, [{"request": {"fields": ["a", "b"], "values": [[1, 2], [3]]},
                "response": {"fields": ["prediction"], "values": [[1], [0]]}}],
     "records[0].request.values[1] has 1 values for 2 fields (a, b)"),
    (PAYLOAD, [{"request": {"fields": ["a"], "values": 5},
                "response": {"fields": ["prediction"], "values": [[1]]}}],
     "records[0].request.values must be an array, not a number"),
    (PAYLOAD, [{"request": {"fields": ["a"], "values": [[1]]}}],
     "records[0] has no response"),
    (PAYLOAD, [{"request": {"values": [1.5, 2.5]},
                "response": {"fields": ["prediction"], "values": [[1], [0]]}}],
     "records[0].request.values[0] must be an image (a nested array), not a number"),
    (PAYLOAD, [{"request": {"fields": ["a"], "values": [[1], [2], [3]]},
                "response": {"fields": ["prediction"], "values": [[1]]}}],
     "records[0].request holds 3 scorings but records[0].response holds 1"),
    (PAYLOAD, [{"request": {"fields": ["a", 7], "values": [[1, 2]]},
                "response": {"fields": ["prediction"], "values": [[1]]}}],
     "records[0].request.fields must be a non-empty array of field names"),
    (PAYLOAD, [{"request": {"fields": ["a"], "values": [[1]]}, "response_time": "fast",
                "response": {"fields": ["prediction"], "values": [[1]]}}],
     "records[0].response_time must be a number of milliseconds"),
    (PAYLOAD, [{"request": {"data": [1]}, "response": {"fields": ["p"], "values": [[1]]}}],
     "records[0].request has no values"),
    (PAYLOAD, [[1, 2, 3]], "records[0] must be a JSON object, not an array"),
    ("feedback", [{"request": {"fields": ["a"], "values": [[1]]},
                   "response": {"fields": ["p"], "values": [[1]]}}],
     "records[0] is a payload record (request and response), but data set type is 'feedback'"),
    ("feedback", [{"values": [[1, 2]]}], "records[0] has values but no fields"),
    ("feedback", [{"fields": ["scoring_input", "target"], "values": []}],
     "records[0].values is empty"),
]


@pytest.mark.parametrize(("data_set_type", "body", "named"), MALFORMED,
                         ids=[m[2].split(" ", 1)[1][:40] for m in MALFORMED])
def test_malformed_record_is_400_naming_the_problem_and_nothing_is_stored(
    rsps, client, subscription_id, token, data_set_type, body, named
):
    data_set = _data_set(client, subscription_id, data_set_type)
    reply = requests.post(
        f"{V2}/data_sets/{data_set}/records", data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    error = reply.json()["errors"][0]
    assert error["code"] == "AIQCS0008E" and named in error["message"]
    assert _count_reaches(client, data_set, 0, reads=3) == [0]  # the server still answers


@pytest.fixture
def wos_faults():
    from mlmonitor_lib.emulators.faults import FaultPlan

    return FaultPlan("openscale")


@pytest.fixture
def loopback(iam, backend, wos_faults):
    """IAM and OpenScale served over HTTP on 127.0.0.1, and the SDK pointed at them."""
    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
    from ibm_watson_openscale import APIClient

    from mlmonitor_lib.emulators.transport import LoopbackServer

    router = make_router(backend, iam).with_faults(wos_faults)
    with LoopbackServer(iam_router(iam)) as iam_server, \
            LoopbackServer(router) as wos_server, \
            instant_sdk_waits(Pace("instant")):
        sdk = APIClient(authenticator=IAMAuthenticator(API_KEY, url=iam_server.url),
                        service_url=wos_server.url, service_instance_id=DEFAULT_INSTANCE_ID)
        yield sdk, wos_server.url


def _loopback_subscription(sdk) -> str:
    data_mart = sdk.data_marts.add(background_mode=False, internal_database=True)
    v2, enums = _sdk()
    provider = sdk.service_providers.add(
        name="sagemaker", service_type=enums.ServiceTypes.AMAZON_SAGEMAKER,
        credentials=v2.SageMakerCredentials(access_key_id="k", secret_access_key=AWS_SECRET,
                                            region="us-east-1"),
        operational_space_id="production", background_mode=False)
    return _add_subscription(sdk, data_mart.result.metadata.id,
                             provider.result.metadata.id, background=False).metadata.id


def test_flat_values_over_loopback_is_a_400_not_a_dropped_connection(loopback):
    """The crash this replaces: a flat `values` whose length differs from its fields took the
    server thread down and the client saw a dropped connection."""
    from ibm_cloud_sdk_core import ApiException

    sdk, _ = loopback
    payload = _data_set(sdk, _loopback_subscription(sdk), "payload_logging")
    bad = _payload(request={"fields": ["scoring_input"], "values": [0.1, 0.2, 0.3]},
                   response={"fields": ["prediction"], "values": [[1]]})
    with pytest.raises(ApiException) as err:
        sdk.data_sets.store_records(payload, [bad], background_mode=False)
    assert err.value.code == 400 and "single row" in err.value.message
    good = _payload(request={"fields": ["scoring_input"], "values": [[[0.1, 0.2]]]},
                    response={"fields": ["prediction"], "values": [[1]]})
    assert _store(sdk, payload, [good], 1)[0]["scoring_input"] == [0.1, 0.2]


def test_handler_exception_over_loopback_is_a_500_then_the_next_request_is_served(
    loopback, backend, monkeypatch, caplog
):
    from ibm_cloud_sdk_core import ApiException

    sdk, _ = loopback
    monkeypatch.setattr(backend, "list", lambda *a, **k: 1 / 0)
    with caplog.at_level("ERROR", logger="mlmonitor_lib.emulators.routing"), \
            pytest.raises(ApiException) as err:
        sdk.data_marts.list()
    assert err.value.code == 500
    assert "openscale emulator failed handling GET" in err.value.message
    assert "ZeroDivisionError: division by zero" in err.value.message
    assert "ZeroDivisionError" in caplog.text  # logged, with its traceback
    monkeypatch.undo()
    assert sdk.data_marts.list().result.data_marts == []  # the same server answers again


def test_handler_exception_in_process_is_a_500_in_the_service_error_shape(
    rsps, backend, token, monkeypatch
):
    monkeypatch.setattr(backend, "list", lambda *a, **k: {}["missing"])
    reply = requests.get(f"{V2}/data_marts", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 500 and reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["errors"][0]["code"] == "internal_server_error"
    assert "KeyError: 'missing'" in body["errors"][0]["message"]


def test_planned_drop_still_drops_over_loopback(loopback, wos_faults, token):
    """A ``drop`` fault is the one failure that must stay a dropped connection."""
    _, url = loopback
    wos_faults.drop("GET", "/v2/data_marts")
    headers = {"Authorization": f"Bearer {token}"}
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/openscale/{DEFAULT_INSTANCE_ID}/v2/data_marts", headers=headers)
    assert wos_faults.injected == {"drop": 1}
    again = requests.get(f"{url}/openscale/{DEFAULT_INSTANCE_ID}/v2/data_marts", headers=headers)
    assert again.status_code == 200


def test_request_meta_columns_are_stored_with_their_scoring(client, structured_subscription_id):
    """IBM's payload logging page (docs SSQNUZ 3.5/4.0): a request may carry
    meta {fields, values}, one meta row per scoring, stored beside the features."""
    payload = _data_set(client, structured_subscription_id, "payload_logging")
    request = {"fields": ["AGE", "BP"], "values": [[28, "LOW"], [40, "HIGH"]],
               "meta": {"fields": ["SEX"], "values": [["F"], ["M"]]}}
    response = {"fields": ["predicted_label", "score"],
                "values": [[0, [0.9, 0.1]], [1, [0.2, 0.8]]]}
    rows = _store(client, payload, [_payload(scoring_id="m", request=request,
                                             response=response)], 2)
    _same(rows[0], {"AGE": 28, "BP": "LOW", "SEX": "F", "predicted_label": 0})
    _same(rows[1], {"AGE": 40, "BP": "HIGH", "SEX": "M", "score": [0.2, 0.8]})


# binary models: the thresholds and metrics OpenScale takes for them --------------------------
# A binary quality run recorded in IBM/watson-openscale-samples, "IBM Cloud/WML/notebooks/
# headless_subscription/OpenScale Headless Subscription - Cloud.ipynb": 30 "Risk", 70 "No Risk",
# every prediction "Risk", no probabilities.
RECORDED_BINARY_RUN = {"accuracy": 0.3, "area_under_roc": 0.5, "gini_coefficient": 0.0,
                       "label_skew": 0.8728715609439702, "log_loss": None, "brier_score": None,
                       "matthews_correlation_coefficient": 0.0}
FEATURES = ["LoanDuration", "LoanAmount", "Age"]


def test_binary_metrics_reproduce_the_recorded_run_where_the_class_order_does_not_matter():
    from mlmonitor_lib.emulators.openscale.quality import binary_quality

    result = binary_quality(["Risk"] * 30 + ["No Risk"] * 70, ["Risk"] * 100, [None] * 100)
    for metric, expected in RECORDED_BINARY_RUN.items():
        assert result.metrics[metric] == pytest.approx(expected), metric


def test_binary_metrics_equal_scikit_learn():
    from sklearn import metrics as sk

    from mlmonitor_lib.emulators.openscale.quality import binary_quality

    labels = RNG.integers(0, 2, 500)
    scores = np.clip(labels * 0.3 + RNG.random(500) * 0.7, 0.01, 0.99).round(2)  # with ties
    predicted = (scores > 0.5).astype(int)
    got = binary_quality(labels.astype(float).tolist(), predicted.tolist(), scores.tolist())
    expected = {
        "accuracy": sk.accuracy_score(labels, predicted),
        "area_under_roc": sk.roc_auc_score(labels, scores),
        "precision": sk.precision_score(labels, predicted),
        "recall": sk.recall_score(labels, predicted),
        "true_positive_rate": sk.recall_score(labels, predicted),
        "f1_measure": sk.f1_score(labels, predicted),
        "log_loss": sk.log_loss(labels, scores),
        "brier_score": sk.brier_score_loss(labels, scores),
        "matthews_correlation_coefficient": sk.matthews_corrcoef(labels, predicted),
        "gini_coefficient": 2 * sk.roc_auc_score(labels, scores) - 1,
    }
    for metric, value in expected.items():
        assert got.metrics[metric] == pytest.approx(value), metric
    assert got.labels == [0, 1]
    assert got.confusion_matrix == sk.confusion_matrix(labels, predicted).tolist()


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


def test_binary_quality_monitor_takes_binary_thresholds_and_refuses_multiclass_ones(
        client, data_mart_id, provider_id, subscription_id):
    from ibm_cloud_sdk_core import ApiException

    binary = _scored_subscription(client, data_mart_id, provider_id)
    roc = [{"metric_id": "area_under_roc", "type": "lower_limit", "value": 0.8}]
    instance = _monitor(client, data_mart_id, binary, "quality", roc)
    got = client.monitor_instances.get(instance).result.entity.thresholds
    assert [(t.metric_id, t.value) for t in got] == [("area_under_roc", 0.8)]
    weighted = [{"metric_id": "weighted_recall", "type": "lower_limit", "value": 0.8}]
    with pytest.raises(ApiException) as err:  # the multiclass model's metric, not a binary one
        client.monitor_instances.update(instance, [
            {"op": "replace", "path": "/thresholds", "value": weighted}])
    assert err.value.code == 400
    with pytest.raises(ApiException) as err:  # and the other way round
        _monitor(client, data_mart_id, subscription_id, "quality", roc)
    assert err.value.code == 400 and "area_under_roc" in err.value.message


def _canned_scores(scores: list[float]) -> None:
    """moto answers the next InvokeEndpoint with the linear learner's JSON for these scores
    (the answer IBM's SageMaker notebook recorded: {"predictions": [{score, predicted_label}]})."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemakerruntime.models import sagemakerruntime_backends

    body = json.dumps({"predictions": [{"score": s, "predicted_label": int(s > 0.5)}
                                       for s in scores]})
    backend = sagemakerruntime_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.results_queue.append((body, "application/json", "AllTraffic", ""))


def test_feedback_without_predictions_is_scored_on_the_sagemaker_endpoint(
        client, data_mart_id, provider_id):
    """IBM's SageMaker notebook stores feedback as label and features only, then runs the
    quality monitor: OpenScale scores those records on the endpoint, with the provider's keys."""
    from sklearn.metrics import roc_auc_score

    subscription = _scored_subscription(client, data_mart_id, provider_id)
    instance = _monitor(client, data_mart_id, subscription, "quality",
                        [{"metric_id": "area_under_roc", "type": "lower_limit", "value": 0.99}])
    labels = [0, 1] * 10
    rows = [[float(label), *RNG.integers(1, 60, 3).tolist()] for label in labels]
    scores = RNG.random(20).round(3).tolist()
    _canned_scores(scores)
    feedback = _data_set(client, subscription, "feedback")
    _store(client, feedback, [{"fields": ["Risk", *FEATURES], "values": rows}], 20)
    run = client.monitor_instances.run(instance, background_mode=False).result
    assert run.entity.status.state == "finished"
    measurement = _last_measurement(client, instance)
    measured = {m.id: m.value for m in measurement.entity.values[0].metrics}
    assert measured["area_under_roc"] == pytest.approx(roc_auc_score(labels, scores))
    assert measured["accuracy"] == pytest.approx(
        np.mean([int(s > 0.5) == y for s, y in zip(scores, labels, strict=True)]))
    assert measurement.entity.issue_count == 1  # area under ROC below 0.99
    stored = client.data_sets.get_list_of_records(feedback, limit=50).result["records"]
    assert all("predicted_label" not in r["entity"]["values"] for r in stored)  # not written


def _last_measurement(client, instance: str):
    found = client.monitor_instances.measurements.list(
        monitor_instance_id=instance, start=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        end=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).result.measurements
    return found[-1]


def test_feedback_without_predictions_fails_the_run_when_it_cannot_be_scored(
        client, data_mart_id, provider_id):
    """Without feature_fields there is no scoring request to build: the run ends in error,
    saying why, and nothing is measured."""
    _, enums = _sdk()
    subscription = _subscribe(client, data_mart_id, provider_id, "ep-2",
                              enums.InputDataType.STRUCTURED,
                              enums.ProblemType.BINARY_CLASSIFICATION, label_column="Risk",
                              prediction_field="predicted_label")
    instance = _monitor(client, data_mart_id, subscription, "quality")
    feedback = _data_set(client, subscription, "feedback")
    _store(client, feedback, [{"fields": ["Risk", "Age"], "values": [[i % 2, 30]
                                                                       for i in range(10)]}], 10)
    run = client.monitor_instances.run(instance, background_mode=False).result
    status = run.entity.status.to_dict()
    assert status["state"] == "error" and "feature_fields" in status["message"]


# the notebook's parameters for each monitor (cells 92, 100, 104)
NOT_COMPUTED = {
    "fairness": {"features": [{"feature": "Age", "majority": [[26, 75]], "minority": [[18, 25]],
                               "threshold": 0.95}],
                 "favourable_class": [0], "unfavourable_class": [1], "min_records": 30},
    "drift": {"min_samples": 30, "drift_threshold": 0.1, "train_drift_model": False},
    "explainability": {"enabled": True},
}


@pytest.mark.parametrize("definition", sorted(NOT_COMPUTED))
def test_monitors_the_emulator_does_not_compute_are_refused_not_faked(
        client, data_mart_id, provider_id, definition):
    from ibm_cloud_sdk_core import ApiException

    subscription = _scored_subscription(client, data_mart_id, provider_id)
    with pytest.raises(ApiException) as err:
        _monitor(client, data_mart_id, subscription, definition,
                 parameters=NOT_COMPUTED[definition])
    assert err.value.code == 501
    assert not client.monitor_instances.list(
        monitor_definition_id=definition).result.monitor_instances


def test_explanations_are_refused_not_faked(client, data_mart_id, provider_id):
    from ibm_cloud_sdk_core import ApiException

    subscription = _scored_subscription(client, data_mart_id, provider_id)
    with pytest.raises(ApiException) as err:
        client.monitor_instances.explanation_tasks(scoring_ids=["s-1"],
                                                   subscription_id=subscription)
    assert err.value.code == 501


def test_metrics_count_counts_the_measurements(client, data_mart_id, subscription_id):
    instance = _quality(client, data_mart_id, subscription_id, minimum=3)
    feedback = _data_set(client, subscription_id, "feedback")
    _feedback(client, feedback, [1, 2, 3], [1, 2, 0])
    for _ in range(2):
        client.monitor_instances.run(instance, background_mode=False)
    window = {"start": dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
              "end": dt.datetime.now(dt.UTC) + dt.timedelta(days=1)}
    counted = client.monitor_instances.get_metrics_count(instance, **window).result.to_dict()
    by_metric = {m["id"]: m["count"]["value"] for m in counted["groups"][0]["metrics"]}
    assert by_metric["accuracy"] == [2]
    last = client.monitor_instances.get_metrics(instance, **window).result.to_dict()
    assert {m["id"]: m["last"]["value"] for m in last["groups"][0]["metrics"]}["accuracy"] == [
        pytest.approx(2 / 3)]


def test_data_mart_shows_its_internal_database_as_the_notebook_records(client, data_mart_id):
    mart = client.data_marts.get(data_mart_id).result.to_dict()
    config = mart["entity"]["database_configuration"]
    assert config["database_type"] == "postgresql"
    assert set(config["credentials"]) == {"secret_id"}
    assert config["location"] == {"schema_name": data_mart_id}


def test_subscription_output_schema_grows_from_the_first_payload(client, data_mart_id,
                                                                 provider_id):
    subscription = _scored_subscription(client, data_mart_id, provider_id)

    def columns() -> dict:
        sub = client.subscriptions.get(subscription).result.to_dict()
        fields = sub["entity"]["asset_properties"]["output_data_schema"]["fields"]
        return {f["name"]: f["type"] for f in fields}

    assert columns() == {"scoring_id": "string", "scoring_timestamp": "timestamp",
                         "deployment_id": "string", "asset_revision": "string"}
    payload = _data_set(client, subscription, "payload_logging")
    _store(client, payload, [_payload(
        scoring_id="s", request={"fields": FEATURES, "values": [12, 4152, 29]},
        response={"fields": ["score", "predicted_label"], "values": [[0.2, 0]]})], 1)
    assert columns()["predicted_label"] == "integer" and columns()["score"] == "double"
