"""What a SageMaker service provider reports as its deployments: OpenScale asks SageMaker.

``GET /v1/ml_instances/<service_provider_id>/deployments?datamart_id=...`` (the path the SDK's
``service_providers.list_assets`` and ``get_deployment_asset`` build) is answered by calling
SageMaker with the provider's own static keys and region, as OpenScale does: ListEndpoints,
then DescribeEndpoint, DescribeEndpointConfig and DescribeModel per endpoint.

Source of every shape and value below: the recorded output of
``service_providers.list_assets`` in IBM/watson-openscale-samples, ``IBM Cloud/AWS Sagemaker/
notebooks/AI OpenScale and SageMaker ML Engine.ipynb`` (commit 24112dcae897, 20 SageMaker
endpoints):

- the reply is ``{"resources": [...], "count": n}``, newest endpoint first (ListEndpoints'
  default order, CreationTime descending);
- ``metadata.guid`` = md5 of the endpoint name, ``entity.asset.asset_id`` = md5 of the model
  name (checked on three of the notebook's resources: the hex digests match exactly);
- ``metadata.url``, ``entity.name`` and ``entity.scoring_endpoint.url`` = the endpoint name;
  ``entity.deployment_rn`` = the endpoint ARN, ``entity.type`` = ``online``;
- ``entity.asset``: ``asset_rn`` = the model ARN, ``url`` = the model's ``ModelDataUrl``,
  ``name`` = the model name, ``asset_type`` = ``model``, ``created_at`` = the model's
  CreationTime;
- ``metadata.created_at`` = the endpoint's CreationTime, ``metadata.modified_at`` its
  LastModifiedTime, and ``entity.asset_properties.asset_revision`` = that instant in epoch
  milliseconds, as a string (inferred: in every resource it equals ``modified_at``);
- times as ``2021-06-24T05:40:41.734Z`` (milliseconds, ``Z``).

Not emulated: the notebook shows ``asset_properties.training_data_reference`` (``{type: cos,
connection: {url: s3://...}}``) on some models made by SageMaker's built-in training jobs; where
OpenScale finds it is not published.

Which endpoints are listed: no public source says. The notebook lists only endpoints serving
models, and a subscription needs a scoring endpoint, so only ``InService`` ones are listed by
default (``LISTED_STATES``; :class:`~.models.OpenScaleBackend` takes ``listed_states``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

LISTED_STATES: tuple[str, ...] = ("InService",)

# provider credentials as posted ({access_key_id, secret_access_key, region}) and a service
# ("sagemaker" to list deployments, "sagemaker-runtime" to score one) -> a boto3 client acting
# with them
SageMakerFactory = Callable[..., Any]


def sagemaker_from_session(session: Any) -> SageMakerFactory:
    """A factory of SageMaker clients built from ``session`` (the world's own: its hooks and
    endpoint URL) but with the provider's keys and region, as OpenScale builds its client."""

    def client(credentials: dict[str, Any], service: str = "sagemaker") -> Any:
        return session.client(
            service,
            region_name=credentials.get("region"),
            aws_access_key_id=credentials.get("access_key_id"),
            aws_secret_access_key=credentials.get("secret_access_key"),
        )

    return client


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - an id, as OpenScale makes it


def _stamp(value: Any) -> str:
    """``2021-06-24T05:40:41.734Z``, the notebook's form."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _millis(value: Any) -> str:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return str(int(round(when.timestamp() * 1000)))


def deployment_resource(endpoint: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    """One resource of the listing from DescribeEndpoint and DescribeModel replies."""
    name = endpoint["EndpointName"]
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    return {
        "metadata": {
            "guid": md5(name),
            "url": name,
            "created_at": _stamp(endpoint["CreationTime"]),
            "modified_at": _stamp(endpoint["LastModifiedTime"]),
        },
        "entity": {
            "name": name,
            "deployment_rn": endpoint["EndpointArn"],
            "type": "online",
            "scoring_endpoint": {"url": name},
            "asset": {
                "asset_id": md5(model["ModelName"]),
                "asset_rn": model["ModelArn"],
                "url": container.get("ModelDataUrl", ""),
                "name": model["ModelName"],
                "asset_type": "model",
                "created_at": _stamp(model["CreationTime"]),
            },
            "asset_properties": {"asset_revision": _millis(endpoint["LastModifiedTime"])},
        },
    }


def list_deployments(sagemaker: Any, listed_states: Iterable[str] = LISTED_STATES
                     ) -> list[dict[str, Any]]:
    """The provider's deployments, newest first: every endpoint in a listed state whose
    configuration and (first variant's) model SageMaker still describes."""
    states = set(listed_states)
    found = []
    for page in sagemaker.get_paginator("list_endpoints").paginate(
        SortBy="CreationTime", SortOrder="Descending"
    ):
        for summary in page["Endpoints"]:
            if summary["EndpointStatus"] not in states:
                continue
            resource = _describe(sagemaker, summary["EndpointName"])
            if resource is not None:
                found.append(resource)
    return found


def _describe(sagemaker: Any, endpoint_name: str) -> dict[str, Any] | None:
    """The endpoint's resource; ``None`` if it, its configuration or its model vanished
    between the listing and the describes (a deletion in progress)."""
    from botocore.exceptions import ClientError

    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        config = sagemaker.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"])
        model = sagemaker.describe_model(
            ModelName=config["ProductionVariants"][0]["ModelName"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ValidationException",
                                                           "ResourceNotFound"):
            return None
        raise
    return deployment_resource(endpoint, model)


def seed_endpoint(session: Any, name: str, model_name: str | None = None) -> dict[str, Any]:
    """An InService SageMaker endpoint in moto (model, configuration, endpoint) for OpenScale's
    deployment discovery to find, when a test or a benchmark has no trained model to deploy.
    Give it a session without the local data plane's hooks: moto alone reports InService.
    Returns DescribeEndpoint's reply."""
    sagemaker = session.client("sagemaker")
    model_name = model_name or f"{name}-model"
    sagemaker.create_model(
        ModelName=model_name, ExecutionRoleArn="arn:aws:iam::123456789012:role/test",
        PrimaryContainer={"Image": "tensorflow-inference:2.19-cpu",
                          "ModelDataUrl": f"s3://bucket/{model_name}/output/model.tar.gz"})
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model_name,
                             "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    return sagemaker.describe_endpoint(EndpointName=name)
