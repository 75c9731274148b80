"""Subscribing a SageMaker endpoint as IBM's flow does: discover the provider's deployment, then
subscribe with what OpenScale reported, and find the data sets OpenScale creates afterwards.

Part of :class:`~mlmonitor_lib.ibm.openscale.monitor.OpenScaleMonitor` (a mixin: it uses the
monitor's client, ids, ledger and waits).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from mlmonitor_lib.errors import ServiceError
from mlmonitor_lib.ibm.openscale.client import DATA_SETS_TIMEOUT_S, sdk_call


class SubscriptionSteps:
    """Provider discovery, subscription and its data sets."""

    # deployment discovery ---------------------------------------------------------------
    def discover_deployment(self, endpoint_name: str) -> dict[str, Any]:
        """The SageMaker provider's deployment named ``endpoint_name``, as OpenScale reports it.

        IBM's flow for a SageMaker model (IBM/watson-openscale-samples, ``IBM Cloud/AWS
        Sagemaker/notebooks/AI OpenScale and SageMaker ML Engine.ipynb``; IBM/mlmonitor
        ``mlmonitor/src/wos/configure_wos_subscription.py``): list the provider's deployments
        (OpenScale asks SageMaker with the provider's keys), pick the one whose ``entity.name``
        is the endpoint, and subscribe with its asset, deployment and scoring-endpoint values.
        """
        data_mart_id = self.ids.get("data_mart") or self.ensure_data_mart()
        provider_id = self.ids.get("service_provider") or self.add_sagemaker_provider()
        with sdk_call(f"listing the deployments of SageMaker provider {provider_id}",
                      "Check the AWS keys and region the provider was given."):
            listing = self._provider_deployments(data_mart_id, provider_id)
        resources = (listing or {}).get("resources") or []
        for resource in resources:
            if resource.get("entity", {}).get("name") == endpoint_name:
                return resource
        listed = ", ".join(r.get("entity", {}).get("name", "?") for r in resources) or "none"
        raise ServiceError(
            f"Watson OpenScale: the SageMaker provider {provider_id} does not list endpoint "
            f"{endpoint_name} (it lists: {listed}). OpenScale lists only InService endpoints it "
            f"sees with the provider's keys in region {self.settings.aws_default_region}: wait "
            "until the endpoint is InService (deploy() first), check AWS_DEFAULT_REGION and the "
            "AWS keys, then retry monitor()."
        )

    def _provider_deployments(self, data_mart_id: str, provider_id: str) -> dict[str, Any]:
        """``GET /v1/ml_instances/<provider>/deployments?datamart_id=...&limit=1000``.

        Through the SDK's own ``service_providers.list_assets`` when the service URL is https
        (every real OpenScale). That method rewrites the URL to ``https://<host><path>``
        whatever the service URL's scheme, so against a plain-HTTP service (rehearsal's
        loopback cluster) it would speak TLS to an HTTP port: there the same request is built
        by the SDK client's own ``prepare_request`` (same path, query, headers and
        authentication) and sent by its ``send``, with only the scheme kept.
        """
        from urllib.parse import urlsplit

        from ibm_watson_openscale.base_classes.watson_open_scale_v2 import get_sdk_headers

        providers = self.client.service_providers
        if urlsplit(self.client.service_url).scheme == "https":
            return providers.list_assets(data_mart_id=data_mart_id,
                                         service_provider_id=provider_id).result
        service = providers.watson_open_scale
        path = f"/v1/ml_instances/{provider_id}/deployments?datamart_id={data_mart_id}&limit=1000"
        headers = get_sdk_headers(service_name=service.DEFAULT_SERVICE_NAME,
                                  service_version="V1",
                                  operation_id="get_asset_and_deployments_details")
        request = service.prepare_request(method="GET", url=path, headers=headers)
        built = urlsplit(request["url"])
        request["url"] = f"{built.scheme}://{built.netloc}{path}"  # the SDK's rewrite, scheme kept
        return service.send(request).result

    # subscription -----------------------------------------------------------------------
    def find_subscription(self, endpoint_name: str) -> str | None:
        """The subscription whose deployment is named ``endpoint_name`` (of this monitor's
        provider when it knows one); OpenScale gives deployments its own ids, so the name is
        what identifies our endpoint."""
        with sdk_call("listing subscriptions", "Check your role on the instance."):
            listed = self.client.subscriptions.list().result.subscriptions
        provider_id = self.ids.get("service_provider")
        found = [
            s for s in listed
            if s.entity.deployment is not None and s.entity.deployment.name == endpoint_name
            and (provider_id is None or s.entity.service_provider_id == provider_id)
        ]
        if not found:
            return None
        print(
            f"{len(found)} subscriptions found for {endpoint_name} - picked "
            f"[{found[0].metadata.id}]"
        )
        return found[0].metadata.id

    def subscribe(
        self,
        endpoint_name: str,
        *,
        label_column: str = "target",
        prediction_field: str = "prediction",
        probability_fields: Sequence[str] = ("probability",),
        class_labels: Sequence[Any] = (),
        input_data_type: str = "unstructured_image",
        problem_type: str = "multiclass",
        feature_fields: Sequence[str] = (),
        categorical_fields: Sequence[str] = (),
    ) -> str:
        """Subscribe the SageMaker endpoint; an existing subscription for the endpoint is
        reused. Creates data mart and provider if needed.

        ``input_data_type`` and ``problem_type`` are OpenScale's values (the SDK's
        ``InputDataType`` and ``ProblemType``, the same words as the signature's);
        ``feature_fields`` and ``categorical_fields`` name a structured model's inputs, as
        OpenScale records them and scores feedback with them.

        Asset, deployment and scoring endpoint are the values OpenScale reports for the
        endpoint (:meth:`discover_deployment`), as in IBM's flow (OpenScale's scoring endpoint
        for SageMaker is the endpoint name, so no scoring URL is ours to give).
        """
        from ibm_watson_openscale.base_classes.watson_open_scale_v2 import (
            Asset,
            AssetDeploymentRequest,
            AssetPropertiesRequest,
            ScoringEndpointRequest,
        )
        from ibm_watson_openscale.supporting_classes.enums import AssetTypes, DeploymentTypes

        data_mart_id = self.ids.get("data_mart") or self.ensure_data_mart()
        provider_id = self.ids.get("service_provider") or self.add_sagemaker_provider()
        existing = self.find_subscription(endpoint_name)
        if existing:
            self.ids["subscription"] = existing
            return self._data_sets(existing)
        found = self.discover_deployment(endpoint_name)
        meta, entity = found["metadata"], found["entity"]
        asset = entity["asset"]
        with self._adopting_orphans(endpoint_name), sdk_call(
            f"subscribing endpoint {endpoint_name}",
            "Check that the endpoint exists and the provider's credentials.",
        ):
            done = self.client.subscriptions.add(  # None when the SDK's wait timed out
                data_mart_id=data_mart_id,
                service_provider_id=provider_id,
                background_mode=False,
                asset=Asset(
                    asset_id=asset["asset_id"],
                    name=asset["name"],
                    url=asset["url"],
                    asset_type=asset.get("asset_type") or AssetTypes.MODEL,
                    input_data_type=input_data_type,
                    problem_type=problem_type,
                ),
                deployment=AssetDeploymentRequest(
                    deployment_id=meta["guid"],
                    url=meta["url"],
                    name=entity["name"],
                    deployment_type=entity.get("type") or DeploymentTypes.ONLINE,
                    scoring_endpoint=ScoringEndpointRequest(url=entity["scoring_endpoint"]["url"]),
                ),
                asset_properties=AssetPropertiesRequest(
                    label_column=label_column,
                    prediction_field=prediction_field,
                    probability_fields=list(probability_fields),
                    labels=[str(c) for c in class_labels] or None,
                    feature_fields=list(feature_fields) or None,
                    categorical_fields=list(categorical_fields) or None,
                ),
            )
        result = done.result if done is not None else None
        if result is None or result.entity.status.state != "active":
            self._adopt(endpoint_name)
            state = "still preparing" if result is None else result.entity.status.state
            raise ServiceError(
                f"Watson OpenScale: the subscription for {endpoint_name} is {state} after the "
                "SDK's wait; check its status in OpenScale, then retry monitor()"
            )
        self._record("subscription", result.metadata.id, endpoint=endpoint_name)
        self._record_default_monitors(result.metadata.id)
        return self._data_sets(result.metadata.id)

    @contextlib.contextmanager
    def _adopting_orphans(self, endpoint_name: str) -> Iterator[None]:
        """If subscribing fails after OpenScale created the subscription (the SDK's ``add``
        goes on to create default monitors and wait), record what exists before the error
        propagates: cleanup can only delete what the ledger lists."""
        try:
            yield
        except ServiceError:
            self._adopt(endpoint_name)
            raise

    def _adopt(self, endpoint_name: str) -> None:
        """Ledger the endpoint's subscription and its monitors, if OpenScale holds one."""
        with contextlib.suppress(ServiceError):
            orphan = self.find_subscription(endpoint_name)
            if orphan:
                self._record("subscription", orphan, endpoint=endpoint_name)
                self._record_default_monitors(orphan)

    def _record_default_monitors(self, subscription_id: str) -> None:
        """The SDK creates performance (and model health) monitors itself: ledger them too."""
        for instance in self._monitor_instances(subscription_id):
            key = instance.entity.monitor_definition_id
            self._record(key, instance.metadata.id, subscription=subscription_id)

    def _configure_monitor(self, key: str, definition_id: str, params: dict[str, Any],
                           thresholds: list[dict[str, Any]], *, hint: str,
                           parameters_first: bool = False) -> dict[str, str]:
        """Create the subscription's ``definition_id`` monitor with these parameters and
        thresholds, or patch the one that exists (re-running is safe); ledgered as ``key``.
        Returns the subscription's monitor ids by definition, ``key`` first. The patch
        replaces the parameters first when the thresholds name what the parameters define
        (fairness: the features)."""
        from ibm_watson_openscale.base_classes.watson_open_scale_v2 import (
            JsonPatchOperation,
            MetricThresholdOverride,
            Target,
        )
        from ibm_watson_openscale.supporting_classes.enums import TargetTypes

        subscription_id = self._need("subscription", "subscribe()")
        name = f"the {key} monitor"
        current = {m.entity.monitor_definition_id: m
                   for m in self._monitor_instances(subscription_id)}
        if definition_id in current:
            patch = [JsonPatchOperation(op="replace", path="/thresholds", value=thresholds),
                     JsonPatchOperation(op="replace", path="/parameters", value=params)]
            with sdk_call(f"updating {name}", hint):
                self.client.monitor_instances.update(
                    current[definition_id].metadata.id, patch[::-1] if parameters_first
                    else patch)
        else:
            with sdk_call(f"creating {name}", hint):
                done = self.client.monitor_instances.create(
                    data_mart_id=self._need("data_mart", "ensure_data_mart()"),
                    monitor_definition_id=definition_id,
                    background_mode=False,  # the SDK waits until it is no longer "preparing"
                    target=Target(target_type=TargetTypes.SUBSCRIPTION, target_id=subscription_id),
                    parameters=params,
                    thresholds=[MetricThresholdOverride.from_dict(t) for t in thresholds],
                )
            if done is None or done.result.entity.status.state != "active":
                self._record_default_monitors(subscription_id)  # ledgers this monitor too
                state = "still preparing" if done is None else done.result.entity.status.state
                raise ServiceError(
                    f"Watson OpenScale: {name} is {state} after the SDK's wait; check it in "
                    f"OpenScale, then retry configure_{key}_monitor()"
                )
            self._record(key, done.result.metadata.id, subscription=subscription_id)
        monitors = {m.entity.monitor_definition_id: m.metadata.id
                    for m in self._monitor_instances(subscription_id)}
        self.ids[key] = monitors[definition_id]
        return {key: monitors.pop(definition_id), **monitors}

    def _monitor_instances(self, subscription_id: str) -> list[Any]:
        with sdk_call("listing monitor instances", "Check your role on the instance."):
            return self.client.monitor_instances.list(
                target_target_id=subscription_id
            ).result.monitor_instances

    def _data_sets(self, subscription_id: str) -> str:
        """Wait for the subscription's payload logging and feedback data sets: OpenScale
        creates them after the subscription (IBM's samples sleep 5-10 s before listing them)."""
        from ibm_watson_openscale.supporting_classes.enums import DataSetTypes, TargetTypes

        from mlmonitor_lib.waiting import WaitTimeout

        for kind, data_set_type in (
            ("payload_data_set", DataSetTypes.PAYLOAD_LOGGING),
            ("feedback_data_set", DataSetTypes.FEEDBACK),
        ):
            def listed(data_set_type: str = data_set_type) -> list[Any]:
                with sdk_call(f"looking up the {data_set_type} data set",
                              "Recreate the subscription (monitor())."):
                    return self.client.data_sets.list(
                        type=data_set_type,
                        target_target_id=subscription_id,
                        target_target_type=TargetTypes.SUBSCRIPTION,
                    ).result.data_sets

            what = f"the {data_set_type} data set of subscription {subscription_id}"
            try:
                found = self._wait(listed, bool, what=what, timeout_s=DATA_SETS_TIMEOUT_S,
                                   state_of=lambda sets: "created" if sets else "not created")
            except WaitTimeout:
                raise ServiceError(
                    f"Watson OpenScale: {what} was not created within "
                    f"{DATA_SETS_TIMEOUT_S:.0f}s. Check the subscription's status in OpenScale, "
                    "then retry monitor()."
                ) from None
            self.ids[kind] = found[0].metadata.id
        return subscription_id

    def subscription_state(self) -> str:
        subscription_id = self._need("subscription", "subscribe()")
        with sdk_call("reading the subscription", "Call monitor() again."):
            return self.client.subscriptions.get(subscription_id).result.entity.status.state
