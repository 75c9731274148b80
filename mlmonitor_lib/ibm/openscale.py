"""Watson OpenScale adapter around the real ``ibm-watson-openscale`` SDK.

One code path for IBM Cloud (API key through IAM) and Cloud Pak for Data (user name with a
password or an API key); whether the services are real or emulated is decided by the URLs in
:class:`~mlmonitor_lib.settings.Settings`, never here. The SDK (about a second to import, mostly
pandas) is imported inside the functions that need it, so importing this module stays cheap.

Every resource created is reported to the :class:`~mlmonitor_lib.state.Ledger` at once and
forgotten when deleted; every SDK failure is translated at this boundary into a
:class:`~mlmonitor_lib.errors.ServiceError` (or :class:`EvaluationError`) naming the operation
and the fix.
"""

from __future__ import annotations

import contextlib
import itertools
import time as _time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, computed_field

from mlmonitor_lib.errors import (
    CleanupFailure,
    CleanupIncomplete,
    EvaluationError,
    LifecycleError,
    ServiceError,
    SettingsError,
)
from mlmonitor_lib.thresholds import Violation, normalise_thresholds, violations_of

if TYPE_CHECKING:
    from mlmonitor_lib.settings import Settings
    from mlmonitor_lib.state import Ledger

SERVICE = "wos"
SERVICE_NAME = "Watson OpenScale"  # how errors name the service
CP4D_INSTANCE_ID = "00000000-0000-0000-0000-000000000000"
ORIGINAL_PREDICTION = "_original_prediction"
DEFAULT_BATCH = 1000
MONITOR_KIND = "monitor_instance"
RESOURCE_KINDS = ("data_mart", "service_provider", "subscription")
# How long to wait for what OpenScale does asynchronously. IBM/mlmonitor's
# src/wos/run_payload_logging.py polls get_records_count every 5 s, 13 times (patience = 12),
# after store_records(background_mode=False) returned: about 65 s. IBM's samples sleep 5-10 s
# before listing a new subscription's data sets; we allow them the same deadline.
RECORDS_TIMEOUT_S = 65.0
DATA_SETS_TIMEOUT_S = 65.0


# errors --------------------------------------------------------------------------------------
@contextlib.contextmanager
def sdk_call(operation: str, fix: str) -> Iterator[None]:
    """Translate what the SDK raises into a :class:`ServiceError` naming operation and fix."""
    import requests
    from ibm_cloud_sdk_core import ApiException
    from ibm_watson_openscale.utils.client_errors import ClientError

    try:
        yield
    except ApiException as exc:
        raise ServiceError(
            f"Watson OpenScale: {operation} failed with HTTP {exc.code}: "
            f"{str(exc.message).rstrip('.')}. {fix}"
        ) from None
    except ClientError as exc:
        raise ServiceError(f"Watson OpenScale: {operation} was refused: {exc}. {fix}") from None
    except requests.exceptions.RetryError as exc:  # retries exhausted on 429/5xx replies
        from mlmonitor_lib.ibm.retries import exhausted_status

        status = exhausted_status(exc)
        raise ServiceError(
            f"Watson OpenScale: {operation} failed with HTTP {status or 'error'} on every "
            f"retry. The service is unavailable or throttling: retry later. {fix}"
        ) from None
    except requests.RequestException as exc:
        raise ServiceError(
            f"Watson OpenScale: {operation} could not reach the service "
            f"({exc.__class__.__name__}). Check WOS_URL / CP4D_URL and the network. {fix}"
        ) from None


# client ------------------------------------------------------------------------------------
def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _authenticator(settings: Settings, max_retries: int, retry_interval: float) -> Any:
    """IAM (IBM Cloud) or CP4D authenticator whose token requests retry like service calls."""
    from mlmonitor_lib.ibm.retries import retry_token_requests

    return retry_token_requests(_plain_authenticator(settings), max_retries, retry_interval)


def _plain_authenticator(settings: Settings) -> Any:
    from ibm_cloud_sdk_core.authenticators import CloudPakForDataAuthenticator, IAMAuthenticator

    if settings.env == "prem":
        if not (settings.cp4d_url and settings.cp4d_username):
            raise SettingsError(
                "CP4D needs CP4D_URL and CP4D_USERNAME (and CP4D_PASSWORD or "
                "API_KEY): set them in the environment, .env or the credentials "
                "file"
            )
        password, api_key = _secret(settings.cp4d_password), _secret(settings.api_key)
        if not (password or api_key):
            raise SettingsError("CP4D needs CP4D_PASSWORD or API_KEY for CP4D_USERNAME")
        return CloudPakForDataAuthenticator(
            username=settings.cp4d_username,
            password=password,
            url=settings.cp4d_url.rstrip("/"),
            apikey=None if password else api_key,
            disable_ssl_verification=True,
        )
    if settings.api_key is None:
        raise SettingsError("IBM Cloud needs API_KEY for Watson OpenScale")
    return IAMAuthenticator(_secret(settings.api_key), url=settings.effective_iam_url)


def build_client(
    settings: Settings, retries: int | None = None, retry_interval: float | None = None
) -> Any:
    """An ``ibm_watson_openscale.APIClient`` for IBM Cloud or CP4D, with SDK retries on
    (``retries`` and ``retry_interval`` default to ``IBM_MAX_RETRIES`` / ``IBM_RETRY_INTERVAL``).

    On IBM Cloud the instance id is always passed: with a custom ``service_url`` the SDK would
    otherwise skip the instance look-up and fail its entitlement check with "instance None".
    """
    instance_id = settings.wos_instance_id or (CP4D_INSTANCE_ID if settings.env == "prem" else None)
    if not instance_id:
        raise SettingsError(
            "IBM Cloud needs WOS_INSTANCE_ID (the GUID of your Watson OpenScale "
            "instance, shown in its service credentials)"
        )
    from ibm_watson_openscale import APIClient

    max_retries = settings.ibm_max_retries if retries is None else retries
    interval = settings.ibm_retry_interval if retry_interval is None else retry_interval
    from mlmonitor_lib.ibm.retries import retrying_requests

    # On CP4D the SDK also posts to /icp4d-api/v1/authorize itself at login, through the
    # module-level requests.post: that call retries only inside retrying_requests.
    with sdk_call("login", "Check API_KEY / CP4D credentials and the IAM or CP4D URL."), \
            retrying_requests(max_retries, interval):
        try:
            client = APIClient(
                authenticator=_authenticator(settings, max_retries, interval),
                service_url=settings.effective_wos_url,
                service_instance_id=instance_id,
            )
        except (SettingsError, ServiceError):
            raise
        except Exception as exc:  # noqa: BLE001 - the CP4D login raises a bare Exception
            if exc.__class__.__module__.startswith(("ibm_cloud_sdk_core", "requests")):
                raise
            raise ServiceError(
                f"Watson OpenScale: login failed: {exc}. Check CP4D_USERNAME "
                "and CP4D_PASSWORD / API_KEY."
            ) from None
    client.enable_retries(max_retries=max_retries, retry_interval=interval)
    return client


# results -------------------------------------------------------------------------------------
class EvaluationResult(BaseModel):
    """What a quality evaluation measured and whether it passes every threshold."""

    subscription_id: str
    monitor_instance_id: str
    run_id: str
    records: int | None = None
    metrics: dict[str, float]
    thresholds: list[dict[str, Any]] = Field(default_factory=list)
    violations: list[Violation] = Field(default_factory=list)
    confusion_matrix: dict[str, Any] | None = None
    message: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return not self.violations


# the monitor ---------------------------------------------------------------------------------
class OpenScaleMonitor:
    """One model's monitoring in Watson OpenScale: provider, subscription, payload, feedback,
    quality monitor, evaluation, cleanup.

    ``ids`` holds every id this object knows (``data_mart``, ``service_provider``,
    ``subscription``, ``payload_data_set``, ``feedback_data_set``, ``quality``); pass the ids a
    previous process recorded to resume, e.g. to clean up after a crash. ``created`` names the
    ids this object (or the one it resumes) created, which are the only ones cleanup deletes.

    OpenScale does part of its work after answering: the subscription's data sets appear
    later, and stored records are counted later. This monitor waits for both (bounded polls
    with ``WAIT_FIRST_S``/``WAIT_MAX_S`` pauses; ``sleep`` and ``clock`` are injectable), so a
    step that returns has its records counted and an evaluation sees all its feedback.
    """

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger | None = None,
        client: Any = None,
        ids: dict[str, str] | None = None,
        created: Sequence[str] = (),
        *,
        sleep: Callable[[float], None] = _time.sleep,
        clock: Callable[[], float] = _time.monotonic,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self._client = client
        self.ids: dict[str, str] = dict(ids or {})
        self.created: set[str] = set(created)
        self._sleep, self._clock = sleep, clock
        self._expected: dict[str, int] = {}  # data set kind -> records this monitor stored

    def _wait(
        self, observe: Callable[[], Any], finished: Callable[[Any], bool], *, what: str,
        timeout_s: float, state_of: Callable[[Any], object] = lambda value: value,
    ) -> Any:
        """Poll until ``finished``; :class:`~mlmonitor_lib.waiting.WaitTimeout` after
        ``timeout_s``. Prints each change of state, as the SDK's own waits do."""
        from mlmonitor_lib.waiting import WaitPolicy, poll

        return poll(
            observe, finished, what=what, state_of=state_of,
            policy=WaitPolicy.from_settings(self.settings, timeout_s),
            on_change=lambda state, elapsed: print(f"{what}: {state} ({elapsed:.0f}s)"),
            sleep=self._sleep, clock=self._clock,
        )

    @property
    def client(self) -> Any:
        """The SDK client, built (and logged in) on first use."""
        if self._client is None:
            self._client = build_client(self.settings)
        return self._client

    # ledger -----------------------------------------------------------------------------
    def _record(self, key: str, resource_id: str, **attrs: Any) -> None:
        """Remember an id under ``key`` and tell the ledger; monitors are ledgered as kind
        ``monitor_instance`` with ``monitor=<definition>``, the rest under their key."""
        self.ids[key] = resource_id
        self.created.add(key)
        if self.ledger is not None:
            kind, extra = _ledger_kind(key)
            self.ledger.record(SERVICE, kind, resource_id, **extra, **attrs)

    def _forget(self, key: str, resource_id: str) -> None:
        if self.ledger is not None:
            self.ledger.forget(SERVICE, _ledger_kind(key)[0], resource_id)

    @classmethod
    def resume(
        cls, settings: Settings, ledger: Ledger | None, resources: Iterable[Any], client: Any = None
    ) -> OpenScaleMonitor:
        """A monitor for the ``wos`` resources a ledger lists as alive (objects with ``kind``,
        ``id`` and ``attrs``), e.g. to clean up after a crash in another process."""
        ids: dict[str, str] = {}
        for res in resources:
            key = res.attrs.get("monitor", res.kind) if res.kind == MONITOR_KIND else res.kind
            ids[key] = res.id
        return cls(settings, ledger, client=client, ids=ids, created=list(ids))

    def _need(self, kind: str, step: str) -> str:
        """An id a step depends on; data sets are looked up from a resumed subscription."""
        if kind.endswith("_data_set") and kind not in self.ids and "subscription" in self.ids:
            self._data_sets(self.ids["subscription"])
        if kind not in self.ids:
            raise LifecycleError(f"no OpenScale {kind.replace('_', ' ')} yet: call {step} first")
        return self.ids[kind]

    # data mart and provider -------------------------------------------------------------
    def ensure_data_mart(self) -> str:
        """The instance's data mart, created (internal database) if there is none."""
        with sdk_call("listing data marts", "Check WOS_INSTANCE_ID and your access to it."):
            marts = self.client.data_marts.list().result.data_marts
        if marts:
            self.ids["data_mart"] = marts[0].metadata.id
            return self.ids["data_mart"]
        with sdk_call("creating the data mart", "Check the instance's plan and your role."):
            result = self.client.data_marts.add(
                background_mode=False,
                name="mlmonitor data mart",
                internal_database=True,
                description="created by the mlmonitor onboarding suite",
            ).result
        self._record("data_mart", result.metadata.id)
        return result.metadata.id

    def add_sagemaker_provider(self, name: str | None = None) -> str:
        """A SageMaker service provider with the AWS credentials from Settings; one of the
        same name is reused (and deleted at cleanup only if this monitor created it)."""
        from ibm_watson_openscale.base_classes.watson_open_scale_v2 import SageMakerCredentials
        from ibm_watson_openscale.supporting_classes.enums import ServiceTypes

        name = name or f"mlmonitor-sagemaker-{self.settings.aws_default_region}"
        key, secret = self.settings.aws_access_key_id, self.settings.aws_secret_access_key
        if key is None or secret is None:
            raise SettingsError(
                "the OpenScale SageMaker provider needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
        with sdk_call("listing service providers", "Check your role on the instance."):
            existing = self.client.service_providers.list(
                service_type=ServiceTypes.AMAZON_SAGEMAKER
            ).result.service_providers
        for provider in existing:
            if provider.entity.name == name:
                self.ids["service_provider"] = provider.metadata.id
                return provider.metadata.id
        credentials = SageMakerCredentials(
            access_key_id=key.get_secret_value(),
            secret_access_key=secret.get_secret_value(),
            region=self.settings.aws_default_region,
        )
        with sdk_call(
            "adding the SageMaker service provider",
            "Check the AWS credentials and your role on the instance.",
        ):
            result = self.client.service_providers.add(
                name=name,
                service_type=ServiceTypes.AMAZON_SAGEMAKER,
                credentials=credentials,
                operational_space_id="production",
                background_mode=False,
                description="Amazon SageMaker, added by the mlmonitor onboarding suite",
            ).result
        self._record("service_provider", result.metadata.id, name=name)
        return result.metadata.id

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
    ) -> str:
        """Subscribe the SageMaker endpoint (unstructured image, multiclass); an existing
        subscription for the endpoint is reused. Creates data mart and provider if needed.

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
        from ibm_watson_openscale.supporting_classes.enums import (
            AssetTypes,
            DeploymentTypes,
            InputDataType,
            ProblemType,
        )

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
                    input_data_type=InputDataType.UNSTRUCTURED_IMAGE,
                    problem_type=ProblemType.MULTICLASS_CLASSIFICATION,
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

    # records ----------------------------------------------------------------------------
    def _store(self, data_set_kind: str, batches: Iterator[list[Any]], what: str) -> int:
        """Store every batch, then wait until the data set counts them: a request OpenScale
        reports ``active`` is stored, but its records are counted (and evaluated) later."""
        data_set_id = self._need(data_set_kind, "subscribe()")
        before = self._count(data_set_kind)
        stored = 0
        for batch in batches:
            with sdk_call(f"storing {what} records", "Retry; check the record format."):
                done = self.client.data_sets.store_records(
                    data_set_id=data_set_id, request_body=batch, background_mode=False
                )
            if done is None or done.result.state != "active":
                raise ServiceError(
                    f"Watson OpenScale: storing {what} records did not finish; retry the step"
                )
            stored += _rows_in(batch)
        self._expected[data_set_kind] = before + stored
        self._await_count(data_set_kind, what)
        return stored

    def _await_count(self, data_set_kind: str, what: str) -> None:
        """Wait until the data set counts at least what this monitor stored in it (nothing to
        wait for if it stored nothing there)."""
        from mlmonitor_lib.waiting import WaitTimeout

        expected = self._expected.get(data_set_kind)
        if expected is None:
            return
        label = f"{what} records in data set {self.ids[data_set_kind]}"
        try:
            self._wait(lambda: self._count(data_set_kind), lambda n: n >= expected, what=label,
                       timeout_s=RECORDS_TIMEOUT_S, state_of=lambda n: f"{n} of {expected}")
        except WaitTimeout as late:
            raise ServiceError(
                f"Watson OpenScale: the {what} data set counts {late.last} records "
                f"{RECORDS_TIMEOUT_S:.0f}s after they were stored. OpenScale has not processed "
                "them yet: check the count later before evaluating."
            ) from None

    def log_payload(
        self,
        images: Any,
        predictions: Sequence[Any],
        probabilities: Sequence[Sequence[float]],
        response_times: Sequence[float],
        batch_size: int = DEFAULT_BATCH,
    ) -> int:
        """Store one payload record per scored image (request with the image, response with
        prediction and probabilities, its response time in ms); returns how many."""
        from ibm_watson_openscale.supporting_classes.payload_record import PayloadRecord

        self._need("subscription", "subscribe()")
        props = self._fields()
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        _same_length(images, predictions, probabilities, response_times)
        records = (
            PayloadRecord(
                request={"fields": ["scoring_input"], "values": [[_plain(image)]]},
                response={
                    "fields": [props["prediction"], props["probability"]],
                    "values": [[_plain(pred), _plain(prob)]],
                },
                scoring_id=str(uuid.uuid4()),
                scoring_timestamp=stamp,
                response_time=int(round(float(ms))),
            )
            for image, pred, prob, ms in zip(
                images, predictions, probabilities, response_times, strict=True
            )
        )  # built batch by batch: 100k images as nested lists would not fit in memory
        return self._store("payload_data_set", _chunks(records, batch_size), "payload")

    def log_feedback(
        self,
        images: Any,
        labels: Sequence[Any],
        predictions: Sequence[Any],
        probabilities: Sequence[Sequence[float]] | None = None,
        batch_size: int = DEFAULT_BATCH,
    ) -> int:
        """Store feedback rows: image, true label, the model's original prediction (and
        probabilities); the quality monitor compares label and ``_original_prediction``."""
        self._need("subscription", "subscribe()")
        props = self._fields()
        fields = ["scoring_input", props["label"], ORIGINAL_PREDICTION]
        probs: Sequence[Any] = probabilities if probabilities is not None else [None] * len(labels)
        if probabilities is not None:
            fields.append(f"_original_{props['probability']}")
        _same_length(images, labels, predictions, probs)
        rows = (
            [_plain(i), _plain(lab), _plain(p)]
            + ([_plain(pr)] if probabilities is not None else [])
            for i, lab, p, pr in zip(images, labels, predictions, probs, strict=True)
        )
        batches = ([{"fields": fields, "values": chunk}] for chunk in _chunks(rows, batch_size))
        return self._store("feedback_data_set", batches, "feedback")

    def _fields(self) -> dict[str, str]:
        """Label, prediction and probability field names of the subscription."""
        if "_field_names" not in self.__dict__:
            with sdk_call("reading the subscription", "Call monitor() again."):
                props = self.client.subscriptions.get(
                    self.ids["subscription"]
                ).result.entity.asset_properties
            self.__dict__["_field_names"] = {
                "label": props.label_column or "target",
                "prediction": props.prediction_field or "prediction",
                "probability": (props.probability_fields or ["probability"])[0],
            }
        return self.__dict__["_field_names"]

    def payload_record_count(self) -> int:
        return self._count("payload_data_set")

    def feedback_record_count(self) -> int:
        return self._count("feedback_data_set")

    def _count(self, kind: str) -> int:
        data_set_id = self._need(kind, "subscribe()")
        with sdk_call("counting records", "Retry."):
            return int(self.client.data_sets.get_records_count(data_set_id=data_set_id) or 0)

    # quality monitor --------------------------------------------------------------------
    def configure_quality_monitor(
        self, thresholds: Sequence[Any], min_feedback_data_size: int
    ) -> dict[str, str]:
        """Create the quality monitor with these thresholds (or update the existing one);
        returns the subscription's monitor ids by name, ``{"quality": id, ...}``."""
        from ibm_watson_openscale.base_classes.watson_open_scale_v2 import (
            MetricThresholdOverride,
            Target,
        )
        from ibm_watson_openscale.supporting_classes.enums import TargetTypes

        subscription_id = self._need("subscription", "subscribe()")
        wanted = normalise_thresholds(thresholds)
        params = {"min_feedback_data_size": int(min_feedback_data_size)}
        quality_def = self.client.monitor_definitions.MONITORS.QUALITY.ID
        current = {
            m.entity.monitor_definition_id: m for m in self._monitor_instances(subscription_id)
        }
        if quality_def in current:
            self._update_quality(current[quality_def].metadata.id, wanted, params)
        else:
            with sdk_call("creating the quality monitor", "Check the thresholds' metric ids."):
                done = self.client.monitor_instances.create(
                    data_mart_id=self._need("data_mart", "ensure_data_mart()"),
                    monitor_definition_id=quality_def,
                    background_mode=False,  # the SDK waits until it is no longer "preparing"
                    target=Target(target_type=TargetTypes.SUBSCRIPTION, target_id=subscription_id),
                    parameters=params,
                    thresholds=[MetricThresholdOverride(**t) for t in wanted],
                )
            if done is None or done.result.entity.status.state != "active":
                self._record_default_monitors(subscription_id)  # ledgers the quality monitor too
                state = "still preparing" if done is None else done.result.entity.status.state
                raise ServiceError(
                    f"Watson OpenScale: the quality monitor is {state} after the SDK's wait; "
                    "check it in OpenScale, then retry configure_quality_monitor()"
                )
            self._record("quality", done.result.metadata.id, subscription=subscription_id)
        monitors = {
            m.entity.monitor_definition_id: m.metadata.id
            for m in self._monitor_instances(subscription_id)
        }
        self.ids["quality"] = monitors[quality_def]
        return {"quality": monitors.pop(quality_def), **monitors}

    def _update_quality(
        self, instance_id: str, thresholds: list[dict[str, Any]], params: dict[str, Any]
    ) -> None:
        from ibm_watson_openscale.base_classes.watson_open_scale_v2 import JsonPatchOperation

        patch = [
            JsonPatchOperation(op="replace", path="/thresholds", value=thresholds),
            JsonPatchOperation(op="replace", path="/parameters", value=params),
        ]
        with sdk_call("updating the quality monitor", "Check the thresholds' metric ids."):
            self.client.monitor_instances.update(instance_id, patch)
        self.ids["quality"] = instance_id

    def monitor_thresholds(self) -> list[dict[str, Any]]:
        """The quality monitor's thresholds as OpenScale holds them."""
        quality_id = self._need("quality", "configure_quality_monitor()")
        with sdk_call("reading the quality monitor", "Call configure_quality_monitor() again."):
            entity = self.client.monitor_instances.get(quality_id).result.entity
        return [
            {"metric_id": t.metric_id, "type": t.type, "value": t.value}
            for t in entity.thresholds or []
        ]

    # evaluation -------------------------------------------------------------------------
    def evaluate(self) -> EvaluationResult:
        """Run the quality monitor, wait for it, and return metrics and violations."""
        quality_id = self._need("quality", "configure_quality_monitor()")
        self._await_count("feedback_data_set", "feedback")  # never evaluate uncounted feedback
        started = datetime.now(UTC) - timedelta(minutes=1)
        with sdk_call("running the quality evaluation", "Retry evaluate()."):
            run = self.client.monitor_instances.run(quality_id, background_mode=False)
        if run is None:
            raise EvaluationError(
                "the OpenScale quality run did not finish within the SDK's "
                "timeout; call evaluate() again later"
            )
        status = run.result.entity.status
        if status.state != "finished":
            reasons = [e.message for e in (status.failure.errors if status.failure else [])]
            raise EvaluationError(
                "the OpenScale quality evaluation failed: "
                + ("; ".join(reasons) or status.message or status.state)
            )
        return self._result(quality_id, run.result.metadata.id, started, status.message)

    def _result(
        self, quality_id: str, run_id: str, since: datetime, message: str | None
    ) -> EvaluationResult:
        end = datetime.now(UTC) + timedelta(minutes=1)
        with sdk_call("reading the evaluation's measurements", "Retry evaluate()."):
            found = self.client.monitor_instances.list_measurements(
                quality_id, start=since, end=end, run_id=run_id
            ).result.measurements
            if not found:
                raise EvaluationError(f"the quality run {run_id} recorded no measurement")
            details = self.client.monitor_instances.get_measurement_details(
                quality_id, found[0].metadata.id
            ).result.entity
        metrics = {m.id: m.value for v in details.values for m in v.metrics}
        sources = {s.id: s.data for s in details.sources or []}
        thresholds = self.monitor_thresholds()
        return EvaluationResult(
            subscription_id=self.ids["subscription"],
            monitor_instance_id=quality_id,
            run_id=run_id,
            metrics=metrics,
            thresholds=thresholds,
            message=message,
            violations=violations_of(metrics, thresholds),
            confusion_matrix=sources.get("confusion_matrix"),
            records=(sources.get("records") or {}).get("count"),
        )

    def existing(self, resources: list[tuple[str, str]]) -> list[str]:
        """Which of these ``(kind, id)`` resources OpenScale still holds (a GET of each through
        the SDK; 404 means gone): the independent check behind "nothing is left"."""
        from ibm_cloud_sdk_core import ApiException

        getters = {"data_mart": self.client.data_marts.get,
                   "service_provider": self.client.service_providers.get,
                   "subscription": self.client.subscriptions.get}
        found = []
        for kind, resource_id in resources:
            get = getters.get(kind, self.client.monitor_instances.get)
            with sdk_call(f"reading {kind} {resource_id}", "Retry when the service answers."):
                try:
                    get(resource_id)
                except ApiException as exc:
                    if exc.code == 404:
                        continue
                    raise
            found.append(f"{kind} {resource_id}")
        return found

    # cleanup ----------------------------------------------------------------------------
    def cleanup(self) -> dict[str, int]:
        """Delete the subscription, its monitors, the provider and the data mart if this
        monitor created them; returns how many of each were deleted.

        Dependency order (monitors, subscription, provider, data mart), and every resource is
        tried whatever fails before: the refused ones end in one :class:`CleanupIncomplete`
        naming each, and the ledger still lists exactly those.
        """
        counts = {
            "monitor_instances": 0,
            "subscriptions": 0,
            "service_providers": 0,
            "data_marts": 0,
        }
        failures: list[CleanupFailure] = []

        def attempt(kind: str, resource_id: str, delete: Any, count: str) -> None:
            try:
                self._delete(kind, resource_id, delete)
            except ServiceError as exc:
                failures.append(CleanupFailure(SERVICE_NAME, f"{kind} {resource_id}", str(exc)))
            else:
                counts[count] += 1

        subscription_id = self.ids.get("subscription")
        if subscription_id and "subscription" in self.created:
            try:
                instances = self._monitor_instances(subscription_id)
            except ServiceError as exc:
                failures.append(CleanupFailure(SERVICE_NAME, f"monitors of {subscription_id}",
                                               str(exc)))
                instances = []
            for instance in instances:
                attempt(instance.entity.monitor_definition_id, instance.metadata.id,
                        self.client.monitor_instances.delete, "monitor_instances")
            attempt("subscription", subscription_id, self.client.subscriptions.delete,
                    "subscriptions")
        provider_id = self.ids.get("service_provider")
        if provider_id and "service_provider" in self.created:
            attempt("service_provider", provider_id, self.client.service_providers.delete,
                    "service_providers")
        if not failures:  # a data mart still holding our subscription cannot go
            try:
                counts["data_marts"] = self._delete_data_mart_if_empty()
            except ServiceError as exc:
                failures.append(CleanupFailure(SERVICE_NAME,
                                               f"data_mart {self.ids.get('data_mart')}", str(exc)))
        elif self.ids.get("data_mart") and "data_mart" in self.created:
            failures.append(CleanupFailure(
                SERVICE_NAME, f"data_mart {self.ids['data_mart']}",
                "kept until the resources above are deleted"))
        if failures:
            raise CleanupIncomplete(failures, {"wos": counts["subscriptions"]})
        return counts

    def _delete(self, kind: str, resource_id: str, delete: Any) -> None:
        from ibm_cloud_sdk_core import ApiException

        with sdk_call(f"deleting {kind} {resource_id}", "Delete it in the OpenScale UI."):
            try:
                delete(resource_id, background_mode=False)
            except ApiException as exc:
                if exc.code != 404:  # already gone is what we want
                    raise
        self._forget(kind, resource_id)
        self.ids.pop(kind, None)
        self.created.discard(kind)

    def _delete_data_mart_if_empty(self) -> int:
        data_mart_id = self.ids.get("data_mart")
        if not data_mart_id or "data_mart" not in self.created:
            return 0
        with sdk_call("listing subscriptions", "Check your role on the instance."):
            others = self.client.subscriptions.list(data_mart_id=data_mart_id).result.subscriptions
        if others:  # shared by other models now: keep it, it is theirs as well
            self._forget("data_mart", data_mart_id)
            return 0
        self._delete("data_mart", data_mart_id, self.client.data_marts.delete)
        return 1


# helpers --------------------------------------------------------------------------------------
def _ledger_kind(key: str) -> tuple[str, dict[str, str]]:
    if key in RESOURCE_KINDS:
        return key, {}
    return MONITOR_KIND, {"monitor": key}


def _plain(value: Any) -> Any:
    """numpy arrays and scalars as JSON-ready Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, max(size, 1))):
        yield chunk


def _same_length(*columns: Sized) -> None:
    """Refuse columns of different lengths before anything is stored."""
    lengths = {len(c) for c in columns}
    if len(lengths) > 1:
        raise ValueError(f"images, labels, predictions... must have one length, got {lengths}")


def _rows_in(batch: list[Any]) -> int:
    """Rows a batch stores: one per payload record, one per feedback value."""
    first = batch[0] if batch else None
    if isinstance(first, dict) and "values" in first:
        return sum(len(item["values"]) for item in batch)
    return len(batch)
