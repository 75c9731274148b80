"""Deployment discovery as IBM's SageMaker flow does it: list_assets shows the provider's
InService endpoints in the shapes the notebook recorded, and only those may be subscribed.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from mlmonitor_lib.emulators.openscale.discovery import md5

from .conftest import AWS_SECRET, EP1, EP2, REGION, WOS, _sdk

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
