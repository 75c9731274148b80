"""The OpenScale adapter's whole flow with the real SDK, for IBM Cloud and CP4D.

In-process over ``responses`` (hosts nobody mounted are refused), and once over a loopback
server the way rehearsal mode reaches it. Images and predictions are synthetic arrays.
"""

from __future__ import annotations

import logging
import math
import subprocess
import sys
import time

import boto3
import numpy as np
import pytest
import requests
import responses
from moto import mock_aws

from mlmonitor_harness.sdk_clock import instant_sdk_waits
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.iam import make_router as iam_router
from mlmonitor_lib.emulators.openscale import DEFAULT_INSTANCE_ID, OpenScaleBackend, make_router
from mlmonitor_lib.emulators.openscale.discovery import md5, sagemaker_from_session, seed_endpoint
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.emulators.routing import Router
from mlmonitor_lib.emulators.transport import LoopbackServer, mount
from mlmonitor_lib.errors import EvaluationError, LifecycleError, ServiceError, SettingsError
from mlmonitor_lib.ibm.openscale import OpenScaleMonitor
from mlmonitor_lib.settings import Settings
from mlmonitor_lib.state import LifecycleState, StateStore

API_KEY = "ibm-cloud-api-key-secret-42"
CP4D_PASSWORD = "cp4d-password-secret-42"
AWS_SECRET = "aws-secret-access-key-secret-42"
IAM = "https://iam.emulated.test"
WOS = "https://wos.emulated.test"
CP4D = "https://cp4d.emulated.test"
ENDPOINT = "sm-mnist-cnn-tf-keras-test"
THRESHOLDS = [{"metric_id": "accuracy", "type": "lower_limit", "value": 0.80}]
AWS = {"aws_access_key_id": "test-access-key", "aws_secret_access_key": AWS_SECRET}
NO_PAUSES = {"wait_first_s": 0.0, "wait_max_s": 0.0}  # instant pace: a state per read


def saas_settings(wos: str = WOS, iam: str = IAM) -> Settings:
    return Settings(
        env="saas",
        api_key=API_KEY,
        iam_url=iam,
        wos_url=wos,
        wos_instance_id=DEFAULT_INSTANCE_ID,
        **AWS,
        **NO_PAUSES,
    )


def cp4d_settings(url: str = CP4D) -> Settings:
    return Settings(
        env="prem", cp4d_url=url, cp4d_username="admin", cp4d_password=CP4D_PASSWORD, **AWS,
        **NO_PAUSES,
    )


@pytest.fixture
def iam() -> IamBackend:
    return IamBackend(api_keys={API_KEY: "account-1"}, users={"admin": CP4D_PASSWORD})


@pytest.fixture
def aws():
    """moto holding the InService endpoint the monitor subscribes, in the settings' region."""
    with mock_aws():
        session = boto3.Session(region_name="ca-central-1", aws_access_key_id="test-access-key",
                                aws_secret_access_key=AWS_SECRET)
        seed_endpoint(session, ENDPOINT)
        yield session


@pytest.fixture
def sagemaker(aws):
    """How the emulated OpenScale reaches that SageMaker with a provider's keys."""
    return sagemaker_from_session(aws)


@pytest.fixture
def backend(sagemaker) -> OpenScaleBackend:
    return OpenScaleBackend(":memory:", Pace("instant"), sagemaker=sagemaker)


BOTH = pytest.mark.parametrize("settings", ["saas", "prem"], indirect=True)


@pytest.fixture
def rsps(aws):
    """After moto (``aws``): a ``responses`` mock started before ``mock_aws`` is undone by it."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def settings(request, iam, backend, rsps):
    """IBM Cloud (IAM host + WOS host, the default) or CP4D (one host serving authorize and
    WOS): tests that hold for both say so with ``@BOTH``."""
    with instant_sdk_waits(Pace("instant")):
        if getattr(request, "param", "saas") == "saas":
            mount(rsps, IAM, iam_router(iam))
            mount(rsps, WOS, make_router(backend, iam))
            yield saas_settings()
        else:
            mount(rsps, CP4D, Router.combine("cp4d", iam_router(iam), make_router(backend, iam)))
            yield cp4d_settings()


@pytest.fixture
def ledger(tmp_path) -> StateStore:
    return StateStore.create(tmp_path / "state.json", LifecycleState(run_id="t", source_dir="."))


@pytest.fixture
def monitor(settings, ledger) -> OpenScaleMonitor:
    return OpenScaleMonitor(settings, ledger)


class FakeClock:
    """A monotonic clock that moves only when something sleeps on it."""

    START = 1000.0

    def __init__(self) -> None:
        self.now = self.START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def synthetic(n: int, accuracy: float, seed: int = 0):
    """Images, labels, predictions (right on the first ``accuracy`` share) and probabilities."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 4, 4, 1), dtype=np.uint8)  # small: the adapter ignores size
    labels = rng.integers(0, 10, n)
    right = int(round(n * accuracy))
    predictions = np.concatenate([labels[:right], (labels[right:] + 1) % 10])
    probabilities = np.eye(10)[predictions] * 0.9 + 0.01
    return images, labels, predictions, probabilities


def onboard(monitor: OpenScaleMonitor, n: int = 40, minimum: int = 10) -> dict[str, str]:
    monitor.subscribe(ENDPOINT, class_labels=range(10))
    images, _, predictions, probabilities = synthetic(n, 1.0)
    monitor.log_payload(images, predictions, probabilities, np.full(n, 12.5))
    return monitor.configure_quality_monitor(THRESHOLDS, min_feedback_data_size=minimum)


# the flow ------------------------------------------------------------------------------------
@BOTH
def test_full_flow_passes_and_cleans_up(monitor, backend, ledger, capsys):
    monitors = onboard(monitor)
    assert set(monitors) == {"quality", "performance", "model_health"}
    assert monitor.subscription_state() == "active"
    assert monitor.payload_record_count() == 40
    assert monitor.monitor_thresholds() == THRESHOLDS
    images, labels, predictions, probabilities = synthetic(30, 0.9, seed=1)
    assert monitor.log_feedback(images, labels, predictions, probabilities, batch_size=8) == 30
    assert monitor.feedback_record_count() == 30

    result = monitor.evaluate()
    assert result.metrics["accuracy"] == pytest.approx(float(np.mean(labels == predictions)))
    assert result.passed and result.violations == []
    assert result.records == 30 and result.thresholds == THRESHOLDS
    assert sum(map(sum, result.confusion_matrix["values"])) == 30

    alive = {(r.kind, r.id) for r in ledger.alive("wos")}
    assert ("subscription", monitor.ids["subscription"]) in alive
    assert ("monitor_instance", monitors["quality"]) in alive
    counts = monitor.cleanup()
    assert counts == {
        "monitor_instances": 3,
        "subscriptions": 1,
        "service_providers": 1,
        "data_marts": 1,
    }
    assert ledger.alive("wos") == []
    for kind in ("subscriptions", "monitor_instances", "service_providers", "data_sets"):
        assert backend.list(kind) == [], kind
    out = capsys.readouterr().out
    assert "Successfully finished adding subscription" in out  # the seed's banners stay
    for secret in (API_KEY, CP4D_PASSWORD, AWS_SECRET):
        assert secret not in out


@BOTH
def test_mislabelled_feedback_violates_the_threshold(monitor):
    onboard(monitor)
    images, labels, predictions, probabilities = synthetic(20, 0.5, seed=2)
    monitor.log_feedback(images, labels, predictions, probabilities)
    result = monitor.evaluate()
    assert not result.passed
    assert [(v.metric_id, v.value, v.limit) for v in result.violations] == [("accuracy", 0.5, 0.8)]
    assert str(result.violations[0]) == "accuracy: 0.5000 < lower_limit 0.8000"


@BOTH
def test_evaluating_without_enough_feedback_says_how_many_more(monitor):
    onboard(monitor, minimum=25)
    images, labels, predictions, probabilities = synthetic(10, 1.0)
    monitor.log_feedback(images, labels, predictions, probabilities)
    with pytest.raises(EvaluationError, match="store 15 more feedback records"):
        monitor.evaluate()


def test_reconfiguring_quality_monitor_updates_thresholds(monitor):
    first = onboard(monitor)
    signature_form = [
        {"metric_id": "weighted_f1_measure", "type": "lower_limit", "lower_limit": 0.7}
    ]
    again = monitor.configure_quality_monitor(signature_form, min_feedback_data_size=5)
    assert again["quality"] == first["quality"]
    assert monitor.monitor_thresholds() == [
        {"metric_id": "weighted_f_measure", "type": "lower_limit", "value": 0.7}
    ]


def test_subscribing_twice_reuses_the_subscription(monitor, settings, backend, capsys):
    onboard(monitor)
    other = OpenScaleMonitor(settings)
    assert other.subscribe(ENDPOINT) == monitor.ids["subscription"]
    assert len(backend.list("subscriptions")) == 1 and len(backend.list("service_providers")) == 1
    assert f"1 subscriptions found for {ENDPOINT} - picked" in capsys.readouterr().out
    assert other.cleanup()["subscriptions"] == 0  # not ours to delete


def test_cleanup_resumed_from_the_ledger_in_another_process(monitor, settings, ledger, backend):
    onboard(monitor)
    resumed = OpenScaleMonitor.resume(settings, ledger, ledger.alive("wos"))
    assert resumed.payload_record_count() == 40
    assert resumed.cleanup()["subscriptions"] == 1
    assert backend.list("subscriptions") == [] and ledger.alive("wos") == []


def test_steps_out_of_order_say_what_to_call_first(monitor):
    with pytest.raises(LifecycleError, match=r"call subscribe\(\) first"):
        monitor.log_feedback([], [], [])
    with pytest.raises(LifecycleError, match=r"call configure_quality_monitor\(\) first"):
        monitor.evaluate()


# OpenScale is not instantly ready -------------------------------------------------------------
def _replies(rsps, method: str, path_part: str, query_part: str = "") -> list:
    """JSON bodies of the emulator's replies to matching requests, in order."""
    return [
        call.response.json() for call in rsps.calls
        if call.request.method == method and path_part in call.request.url
        and query_part in call.request.url
    ]


@BOTH
def test_subscribe_uses_the_deployment_openscale_discovered(monitor, aws):
    """IBM's flow: the subscription carries the asset, deployment and scoring endpoint that
    the provider's deployment listing reported, not values made up from the endpoint name."""
    reported = monitor.discover_deployment(ENDPOINT)
    monitor.subscribe(ENDPOINT)
    entity = monitor.client.subscriptions.get(monitor.ids["subscription"]).result.entity
    model = aws.client("sagemaker").describe_model(ModelName=f"{ENDPOINT}-model")
    assert entity.deployment.deployment_id == reported["metadata"]["guid"] == md5(ENDPOINT)
    assert entity.deployment.name == ENDPOINT
    assert entity.deployment.scoring_endpoint.url == ENDPOINT  # the notebook's SageMaker form
    assert entity.asset.asset_id == md5(model["ModelName"])
    assert entity.asset.url == model["PrimaryContainer"]["ModelDataUrl"]


def test_subscribing_an_endpoint_openscale_does_not_list_names_it_and_the_fix(monitor):
    with pytest.raises(ServiceError) as err:
        monitor.subscribe("never-deployed")
    message = str(err.value)
    assert "does not list endpoint never-deployed (it lists: " + ENDPOINT + ")" in message
    assert "InService" in message and "AWS_DEFAULT_REGION" in message
    assert "subscription" not in monitor.ids


def test_subscribe_waits_until_active_and_for_both_data_sets(monitor, rsps):
    monitor.subscribe(ENDPOINT)
    subscription = monitor.ids["subscription"]
    created = _replies(rsps, "POST", "/v2/subscriptions")
    assert [r["entity"]["status"]["state"] for r in created] == ["preparing"]
    for data_set_type in ("payload_logging", "feedback"):
        listed = _replies(rsps, "GET", "/v2/data_sets", f"type={data_set_type}")
        assert [len(r["data_sets"]) for r in listed] == [0, 0, 1]  # waited through empty lists
    assert monitor.subscription_state() == "active"
    assert {"payload_data_set", "feedback_data_set"} <= set(monitor.ids)
    assert subscription in listed[-1]["data_sets"][0]["entity"]["target"]["target_id"]


def test_logging_returns_once_the_service_counts_the_records(monitor, backend, rsps):
    onboard(monitor, n=25)
    counts = [r["total_count"] for r in _replies(rsps, "GET", "/records", "include_total_count")]
    assert counts[0] == 0 and counts[-1] == 25 and 0 in counts[1:-1]  # lagged, then caught up
    assert backend.records.count(monitor.ids["payload_data_set"]) == 25
    assert monitor.payload_record_count() == 25


def test_quality_monitor_is_active_when_configured(monitor, rsps):
    monitors = onboard(monitor)
    created = _replies(rsps, "POST", "/v2/monitor_instances")
    quality = [r for r in created if r["entity"]["monitor_definition_id"] == "quality"]
    assert [r["entity"]["status"]["state"] for r in quality] == ["preparing"]
    got = _replies(rsps, "GET", f"/v2/monitor_instances/{monitors['quality']}")
    assert got[-1]["entity"]["status"]["state"] == "active"


def test_records_never_counted_fail_after_the_deadline(iam, backend, rsps, monkeypatch):
    """A service that never counts the records: the adapter gives up after 65 s, not never."""
    clock = FakeClock()
    mount(rsps, IAM, iam_router(iam))
    mount(rsps, WOS, make_router(backend, iam))
    settings = saas_settings().model_copy(update={"wait_first_s": 5.0, "wait_max_s": 5.0})
    monitor = OpenScaleMonitor(settings, sleep=clock.advance, clock=clock)
    with instant_sdk_waits(Pace("instant")):
        monitor.subscribe(ENDPOINT)
        monkeypatch.setattr(backend, "_count_stored", lambda data_set_id, observe: None)
        images, _, predictions, probabilities = synthetic(3, 1.0)
        logging_started = clock.now
        with pytest.raises(ServiceError, match=r"counts 0 of 3 records 65s after they were "
                                                r"stored") as late:
            monitor.log_payload(images, predictions, probabilities, [10.0] * 3)
    assert "payload data set" in str(late.value)
    assert clock.now - logging_started == 65  # 13 pauses of 5 s, as IBM/mlmonitor waits


def test_subscription_never_active_is_a_service_error_and_stays_ledgered(sagemaker, iam, rsps,
                                                                         ledger):
    """The SDK gives up after its 300 s (it returns None): the adapter says so, and the
    subscription OpenScale did create is in the ledger for cleanup."""
    frozen = FakeClock()  # realistic pace on a clock that never moves: always "preparing"
    backend = OpenScaleBackend(":memory:", Pace("realistic"), clock=frozen, sagemaker=sagemaker)
    mount(rsps, IAM, iam_router(iam))
    mount(rsps, WOS, make_router(backend, iam))
    monitor = OpenScaleMonitor(saas_settings(), ledger)
    with instant_sdk_waits(Pace("instant")) as sdk_clock, \
            pytest.raises(ServiceError, match="is still preparing after the SDK's wait"):
        monitor.subscribe(ENDPOINT)
    assert sdk_clock.slept > 300
    ledgered = {r.attrs.get("monitor", r.kind) for r in ledger.alive("wos")}
    assert {"subscription", "performance", "model_health"} <= ledgered


def test_full_flow_at_realistic_pace_without_sleeping(sagemaker, iam, rsps, ledger):
    """States change with (injected) time: the SDK's compressed 5 s sleeps and the adapter's
    pauses move the clock the emulator reads; nothing really sleeps."""
    clock = FakeClock()
    backend = OpenScaleBackend(":memory:", Pace("realistic"), clock=clock, sagemaker=sagemaker)
    mount(rsps, IAM, iam_router(iam))
    mount(rsps, WOS, make_router(backend, iam))
    settings = saas_settings().model_copy(update={"wait_first_s": 0.05, "wait_max_s": 0.4})
    monitor = OpenScaleMonitor(settings, ledger, sleep=clock.advance, clock=clock)
    started = time.monotonic()
    with instant_sdk_waits(Pace("realistic"), sleep=clock.advance) as sdk_clock:
        onboard(monitor, n=12, minimum=10)
        assert monitor.payload_record_count() == 12
        images, labels, predictions, probabilities = synthetic(12, 0.75, seed=3)
        assert monitor.log_feedback(images, labels, predictions, probabilities) == 12
        result = monitor.evaluate()
    assert result.metrics["accuracy"] == pytest.approx(0.75) and not result.passed
    assert sdk_clock.really == pytest.approx(sdk_clock.slept * 0.2 / 5)  # 5 s -> 0.2 s
    assert clock.now - FakeClock.START >= 4 * 0.2  # subscription, data sets, monitor, run...
    assert time.monotonic() - started < 10


def test_sdk_waits_at_realistic_pace_sleep_compressed_and_keep_the_timeout():
    import ibm_watson_openscale.utils.utils as sdk_utils

    slept: list[float] = []
    checks: list[str] = []

    def never_ready() -> str:
        checks.append("preparing")
        return "preparing"

    with instant_sdk_waits(Pace("realistic"), sleep=slept.append):
        assert sdk_utils.print_synchronous_run("waiting", never_ready, timeout=300) is None
    compressed = Pace("realistic").seconds(5)
    assert set(slept) == {compressed}  # each 5 s sleep of the SDK really lasts 0.2 s
    # the timeout still counts the SDK's 5 s per check: 60 checks when the 0.2 s pass for
    # real; here they do not (recorded, not slept), so each check counts 4.8 s: 63 checks
    assert len(checks) == math.ceil(300 / (5 - compressed))


# login, errors, settings -------------------------------------------------------------------
def test_wrong_api_key_is_a_service_error_naming_login(iam, backend):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mount(rsps, IAM, iam_router(iam))
        mount(rsps, WOS, make_router(backend, iam))
        bad = saas_settings().model_copy(
            update={"api_key": saas_settings().api_key.__class__("wrong-key")}
        )
        with pytest.raises(ServiceError, match="login failed with HTTP 400") as err:
            OpenScaleMonitor(bad).ensure_data_mart()
        assert "wrong-key" not in str(err.value)


def test_wrong_cp4d_password_is_a_service_error(iam, backend, capsys):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mount(rsps, CP4D, Router.combine("cp4d", iam_router(iam), make_router(backend, iam)))
        bad = Settings(env="prem", cp4d_url=CP4D, cp4d_username="admin", cp4d_password="nope")
        with pytest.raises(ServiceError, match="login"):
            OpenScaleMonitor(bad).ensure_data_mart()


def test_ibm_cloud_without_instance_id_is_a_settings_error():
    settings = Settings(env="saas", api_key=API_KEY, wos_url=WOS, wos_instance_id=None)
    with pytest.raises(SettingsError, match="WOS_INSTANCE_ID"):
        OpenScaleMonitor(settings).ensure_data_mart()


def test_provider_without_aws_credentials_is_a_settings_error(settings):
    no_aws = settings.model_copy(update={"aws_access_key_id": None})
    with pytest.raises(SettingsError, match="AWS_ACCESS_KEY_ID"):
        OpenScaleMonitor(no_aws).add_sagemaker_provider()


def test_api_errors_become_service_errors_with_operation_and_fix(monitor):
    monitor.ids.update(subscription="gone", payload_data_set="gone")
    with pytest.raises(
        ServiceError,
        match=r"subscription failed with HTTP 404: .*'gone' was not "
        r"found\. Call monitor\(\) again",
    ):
        monitor.log_payload(*synthetic(1, 1.0)[::2][:2], [[0.1]], [5])


def test_hosts_nobody_mounted_are_refused(settings):
    with pytest.raises(requests.ConnectionError):
        requests.get("https://api.aiopenscale.cloud.ibm.com/v1/entitlements")


# waits and imports ---------------------------------------------------------------------------
def test_instant_waits_replace_only_the_sdk_modules_time():
    import ibm_watson_openscale.utils.utils as sdk_utils

    before = sdk_utils.time
    with instant_sdk_waits(Pace("instant")) as clock:
        assert sdk_utils.time is clock and time.sleep is not clock.sleep
        start = sdk_utils.time.time()
        sdk_utils.time.sleep(300)
        assert sdk_utils.time.time() - start >= 300
    assert sdk_utils.time is before


def test_importing_the_adapter_does_not_import_the_sdk():
    code = "import sys, mlmonitor_lib.ibm.openscale; print('ibm_watson_openscale' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# over HTTP -----------------------------------------------------------------------------------
def test_full_flow_over_a_loopback_server_in_cp4d_form(iam, backend, ledger):
    router = Router.combine("cp4d", iam_router(iam), make_router(backend, iam))
    with LoopbackServer(router) as server, instant_sdk_waits(Pace("instant")):
        monitor = OpenScaleMonitor(cp4d_settings(server.url), ledger)
        onboard(monitor, n=12, minimum=10)
        monitor.log_feedback(*synthetic(12, 11 / 12)[0:3], batch_size=5)
        result = monitor.evaluate()
        assert result.metrics["accuracy"] == pytest.approx(11 / 12) and result.passed
        # discovered over plain HTTP (the SDK's list_assets would have forced https://)
        subscription = monitor.client.subscriptions.get(monitor.ids["subscription"]).result
        assert subscription.entity.deployment.deployment_id == md5(ENDPOINT)
        assert monitor.cleanup()["subscriptions"] == 1
    assert ledger.alive("wos") == []


@BOTH
def test_building_the_client_under_debug_logging_leaves_http_client_as_it_was(settings, caplog):
    """ibm-cloud-sdk-core, under DEBUG logging, switches on http.client's debug printing for
    the whole process through a lambda that fails on a list of headers; every later HTTP call
    of the process (boto3's too) then fails with "sequence item 1: expected str instance, list
    found". Building our client puts http.client back."""
    import http.client

    from mlmonitor_lib.ibm.openscale.client import build_client

    caplog.set_level(logging.DEBUG, logger="ibm-cloud-sdk-core")  # the SDK core's logger
    level, printer = http.client.HTTPConnection.debuglevel, vars(http.client).get("print")
    assert build_client(settings).data_marts is not None
    assert http.client.HTTPConnection.debuglevel == level
    assert vars(http.client).get("print") is printer
