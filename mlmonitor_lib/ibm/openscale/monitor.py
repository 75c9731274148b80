"""One model's monitoring in Watson OpenScale: the monitor object, its ledger of ids, the data
mart and provider, and cleanup (subscription, records and quality live in sibling modules).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mlmonitor_lib.errors import (
    CleanupFailure,
    CleanupIncomplete,
    LifecycleError,
    ServiceError,
    SettingsError,
)
from mlmonitor_lib.ibm.openscale.client import (
    MONITOR_KIND,
    RESOURCE_KINDS,
    SERVICE,
    SERVICE_NAME,
    build_client,
    sdk_call,
)
from mlmonitor_lib.ibm.openscale.fairness import FairnessMonitoring
from mlmonitor_lib.ibm.openscale.quality import QualityMonitoring
from mlmonitor_lib.ibm.openscale.records import RecordLogging
from mlmonitor_lib.ibm.openscale.subscription import SubscriptionSteps

if TYPE_CHECKING:
    from mlmonitor_lib.settings import Settings
    from mlmonitor_lib.state import Ledger


# the monitor ---------------------------------------------------------------------------------
class OpenScaleMonitor(SubscriptionSteps, RecordLogging, QualityMonitoring, FairnessMonitoring):
    """One model's monitoring in Watson OpenScale: provider, subscription, payload, feedback,
    quality and fairness monitors, evaluation, cleanup.

    ``ids`` holds every id this object knows (``data_mart``, ``service_provider``,
    ``subscription``, ``payload_data_set``, ``feedback_data_set``, ``quality``, ``fairness``);
    pass the ids a previous process recorded to resume, e.g. to clean up after a crash.
    ``created`` names the ids this object (or the one it resumes) created, which are the only
    ones cleanup deletes.

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
        monitor created them (on a subscription it did not create, the monitors it added to
        it, e.g. a fairness monitor); returns how many of each were deleted.

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
        else:  # a subscription someone else owns: only the monitors we added to it go
            for key in sorted(self.created):
                if _ledger_kind(key)[0] == MONITOR_KIND and key in self.ids:
                    attempt(key, self.ids[key], self.client.monitor_instances.delete,
                            "monitor_instances")
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

def _ledger_kind(key: str) -> tuple[str, dict[str, str]]:
    if key in RESOURCE_KINDS:
        return key, {}
    return MONITOR_KIND, {"monitor": key}
