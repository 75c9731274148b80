"""Replays the original project's OpenScale calls for its SageMaker MNIST model against the
emulators, call by call, and holds each answer to what that project expects and recorded.

The project: IBM/mlmonitor, ``mlmonitor/src/wos/`` (data_mart, service_provider,
configure_wos_subscription, subscription, run_payload_logging, run_feedback_logging,
configure_quality_monitor, monitors, evaluate, cleanup_resources; custom, fairness, drift and
explainability configuration left out), driven in the order its ``use_case_mnist_tf/README.md``
runs them: ``monitor()``, ``log_payload()``, ``configure_quality_monitor()``, ``log_feedback()``,
``evaluate()``, ``cleanup()``; model settings from that use case's ``model_signature.json``
(unstructured_image, multiclass, prediction/probability, min_feedback_data_size 10) and its
AWS branch (10 samples, feedback with predictions). Arguments are built as the project builds
them (re-typed, not imported). Its recorded outputs (the README) are the expected answers: the
subscription ``active``, the payload schema table, stored records ``active``, the quality monitor
among the subscription's monitors, the quality run ``finished``, one subscription deleted.
Its polls (``time.sleep(5)`` up to 13 times for payload counts) move the emulators' clock.

The Factsheets half of this project (training, govern and cleanup: 28 calls) is replayed in
``tests/test_contract_mlmonitor_factsheets.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import numpy as np
import pytest
from contract_ledger import Ledger, expected_ledger
from contract_openscale import (
    REALISTIC,
    TRANSPORTS,
    Transport,
    deployments,
    printed,
    sdk_modules,
    served,
)
from moto import mock_aws

from mlmonitor_harness.fakes import FakeClock
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.openscale import DEFAULT_INSTANCE_ID, OpenScaleBackend
from mlmonitor_lib.emulators.openscale.discovery import sagemaker_from_session, seed_endpoint

API_KEY = "mlmonitor-api-key"
REGION = "us-east-1"
ACCESS_KEY, SECRET_KEY = "mlmonitor-access-key", "mlmonitor-secret-key-never-echoed"
ENDPOINT = "sm-mnist-cnn-tf-keras-2023-01-30-14-58-42-525"  # the README's endpoint
PROVIDER_NAME = "AWS_PRODUCTION"  # f"{serving_platform}_{provider_type}".upper()
RNG = np.random.default_rng(14)
# use_case_mnist_tf/README.md, the payload data set's schema printed by monitor()
RECORDED_PAYLOAD_SCHEMA = [
    ("scoring_id", "string", False), ("scoring_timestamp", "timestamp", False),
    ("deployment_id", "string", False), ("asset_revision", "string", True),
    ("scoring_input", "binary", True), ("prediction", "integer", True),
    ("probability", {"containsNull": True, "elementType": "double", "type": "array"}, True),
    ("prediction_probability", "double", True),
]

# the expected ledger: every call the flow makes, in order -------------------------------------
CALLS = [
    "monitor: subscriptions.list", "monitor: service_providers.list",
    "monitor: service_providers.add", "monitor: data_marts.list", "monitor: data_marts.add",
    "monitor: service_providers.list_assets", "monitor: service_providers.get_deployment_asset",
    "monitor: subscriptions.list (existing for model)", "monitor: subscriptions.add",
    "monitor/payload: subscriptions.list", "monitor/payload: data_sets.list(payload_logging)",
    "monitor/payload: data_sets.get_records_count (before)",
    "monitor/payload: data_sets.store_records(2 images)",
    "monitor/payload: data_sets.get_records_count (polled)",
    "monitor: data_sets.print_records_schema(payload)",
    "log_payload: data_sets.list(payload_logging)", "log_payload: subscriptions.list",
    "log_payload: data_sets.list(payload_logging) again",
    "log_payload: data_sets.get_records_count (before)",
    "log_payload: data_sets.store_records(10 images)",
    "log_payload: data_sets.get_records_count (polled)",
    "quality: subscriptions.list", "quality: data_marts.list",
    "quality: monitor_definitions.list", "quality: monitor_instances.list",
    "quality: monitor_instances.create(quality)", "quality: data_sets.list(feedback)",
    "quality: data_sets.print_records_schema(feedback)",
    "quality: monitor_instances.list (existing)",
    "log_feedback: data_sets.list(feedback)", "log_feedback: subscriptions.list",
    "log_feedback: data_sets.list(feedback) again",
    "log_feedback: data_sets.get_records_count (before)",
    "log_feedback: data_sets.store_records(10 images with predictions)",
    "log_feedback: data_sets.get_records_count (after)",
    "evaluate: monitor_instances.list (existing)", "evaluate: subscriptions.list",
    "evaluate: monitor_instances.list (existing) again",
]
# evaluate() runs every monitor it finds but mrm and explainability: quality, and the monitors
# this SDK (3.1.x) creates with every subscription (performance, model_health; the README's
# older SDK made none, the service made mrm)
EVALUATED = ("model_health", "performance", "quality")
for _kind in EVALUATED:
    CALLS += [f"evaluate: monitor_instances.run({_kind})",
              f"evaluate: monitor_instances.list_runs({_kind})",
              f"evaluate: monitor_instances.get_metrics_count({_kind})"]
CALLS += ["cleanup: subscriptions.list", "cleanup: subscriptions.delete"]
# served once the lead's emulator changes land (each: what it waits for); then delete the entry
PENDING_IN_EMULATOR: dict[str, str] = {}
# answers that differ from what the project recorded or expects, beyond the lead's list
DIFFERS_FROM_RECORDING: dict[str, str] = {}


def expected() -> dict[str, str]:
    return expected_ledger(CALLS, {}, {**PENDING_IN_EMULATOR, **DIFFERS_FROM_RECORDING})


# the world ----------------------------------------------------------------------------------------
@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    """moto holding the project's InService endpoint, for OpenScale's deployment discovery."""
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id=ACCESS_KEY,
                                aws_secret_access_key=SECRET_KEY)
        seed_endpoint(session, ENDPOINT)
        yield session


@pytest.fixture
def iam() -> IamBackend:
    return IamBackend(api_keys={API_KEY: "account-1"})


@pytest.fixture
def backend(clock: FakeClock, aws: boto3.Session) -> OpenScaleBackend:
    return OpenScaleBackend(":memory:", REALISTIC, clock=clock,
                            sagemaker=sagemaker_from_session(aws))


@pytest.fixture(params=TRANSPORTS)
def transport(request, iam: IamBackend, backend: OpenScaleBackend, clock: FakeClock
              ) -> Iterator[Transport]:
    with served(request.param, iam, backend, clock) as serving:
        yield serving


def endpoint_answer(count: int) -> dict[str, Any]:
    """What the project's MNIST endpoint answers for ``count`` images
    (``predictions[0]`` = ``{fields: [prediction, probability], values}``, the README's)."""
    probabilities = RNG.dirichlet(np.ones(10), size=count)
    values = [[int(p.argmax()), p.round(9).tolist()] for p in probabilities]
    return {"predictions": [{"fields": ["prediction", "probability"], "values": values}]}


def images(count: int) -> tuple[np.ndarray, np.ndarray]:
    """``model_config._get_data`` for MNIST: images n x 28 x 28 x 1 and their labels."""
    return RNG.random((count, 28, 28, 1)).astype("float32"), RNG.integers(0, 10, count)


# checks -------------------------------------------------------------------------------------------
def _equal(actual: Any, wanted: Any, what: str) -> None:
    assert actual == wanted, f"{what} {actual!r}, expected {wanted!r}"


def _state_is(wanted: str) -> Callable[[Any], None]:
    return lambda r: _equal(r.result.entity.status.state, wanted, "state")


def _one_data_set(response: Any) -> None:
    _equal(len(response.result.data_sets), 1, "data sets (the project takes the first)")


def _recorded_payload_schema(wos: Any, payload_id: str) -> Callable[[str], None]:
    def check(out: str) -> None:
        assert out.strip(), "the SDK printed nothing"
        fields = wos.data_sets.get(payload_id).result.to_dict()["entity"]["data_schema"]["fields"]
        found = [(f["name"], f["type"], f["nullable"]) for f in fields]
        _equal(found, RECORDED_PAYLOAD_SCHEMA, "payload schema (name, type, nullable)")
    return check


class Flow:
    """The project's functions, re-typed with their SDK calls unchanged, each recording into
    one ledger; ``wos`` is the project's module-level client."""

    def __init__(self, ledger: Ledger, wos: Any, transport: Transport) -> None:
        self.ledger, self.wos, self.transport = ledger, wos, transport
        self.ids: dict[str, str] = {}

    def call(self, name: str, make: Callable[[], Any], check: Callable[[Any], None] | None = None,
             needs: tuple[str, ...] = ()) -> Any:
        return self.ledger.call(name, make, check, needs)

    def subscription_ids(self, step: str) -> list[str]:
        """subscription.get_subscription_id_by_deployment."""
        found = self.call(f"{step}: subscriptions.list",
                          lambda: self.wos.subscriptions.list().result.subscriptions)
        return [s.metadata.id for s in found or [] if s.entity.deployment.name == ENDPOINT]

    def existing_monitors(self, name: str) -> dict[str, str]:
        """monitors.get_exising_monitors."""
        found = self.call(name, lambda: self.wos.monitor_instances.list().result
                          .monitor_instances, check=lambda i: _has_quality(i, self.ids))
        return {m.entity.monitor_definition_id: m.metadata.id for m in found or []
                if m.entity.target.target_type == "subscription"
                and m.entity.target.target_id == self.ids.get("subscription")}

    # configure_wos_subscription.monitor_model ------------------------------------------------
    def monitor(self) -> None:
        v2, enums = sdk_modules()
        wos = self.wos
        if self.subscription_ids("monitor"):
            return
        providers = self.call("monitor: service_providers.list",
                              lambda: wos.service_providers.list().result.service_providers)
        if not [p for p in providers or [] if p.entity.name == PROVIDER_NAME]:
            added = self.call("monitor: service_providers.add", lambda: wos.service_providers.add(
                name=PROVIDER_NAME, description="AWS ML Model monitoring",
                service_type=enums.ServiceTypes.AMAZON_SAGEMAKER,
                operational_space_id="production",
                credentials=v2.SageMakerCredentials(access_key_id=ACCESS_KEY,
                                                    secret_access_key=SECRET_KEY, region=REGION),
                background_mode=False), check=_state_is("active"))
            self.ids["provider"] = added.result.metadata.id if added else ""
        marts = self.call("monitor: data_marts.list",
                          lambda: wos.data_marts.list().result.data_marts)
        if marts == []:
            mart = self.call("monitor: data_marts.add", lambda: wos.data_marts.add(
                background_mode=False, name="WOS Data Mart",
                description="Data Mart created in PyCharm client", internal_database=True),
                check=_state_is("active"))
            self.ids["data_mart"] = mart.result.metadata.id if mart else ""
        listing = self.call("monitor: service_providers.list_assets", lambda: deployments(
            wos, self.ids["data_mart"], self.ids["provider"]),
            check=lambda r: _equal(len(r["resources"]), 1, "deployments listed"),
            needs=("monitor: service_providers.add", "monitor: data_marts.add"))
        uid = {x["entity"]["name"]: x["metadata"]["guid"]
               for x in (listing or {}).get("resources", [])}.get(ENDPOINT, "")
        details = self.call("monitor: service_providers.get_deployment_asset", lambda: deployments(
            wos, self.ids["data_mart"], self.ids["provider"], deployment_id=uid),
            check=lambda r: _equal([x["metadata"]["guid"] for x in r["resources"]], [uid],
                                   "deployments for the id"),
            needs=("monitor: service_providers.list_assets",))
        existing = self.call("monitor: subscriptions.list (existing for model)",
                             lambda: wos.subscriptions.list().result.subscriptions)
        for subscription in existing or []:
            if subscription.entity.asset.asset_id == uid:
                wos.subscriptions.delete(subscription.metadata.id)
        asset = next((x for x in (details or {}).get("resources", [])
                      if x["metadata"]["guid"] == uid), {})
        added = self.call("monitor: subscriptions.add", lambda: self.subscribe(asset),
                          check=_state_is("active"),
                          needs=("monitor: service_providers.get_deployment_asset",))
        self.ids["subscription"] = added.result.metadata.id if added else ""
        payload_id = self.log_payload_data("monitor/payload", 2)
        self.call("monitor: data_sets.print_records_schema(payload)", lambda: printed(
            lambda: wos.data_sets.print_records_schema(data_set_id=payload_id)),
            check=_recorded_payload_schema(wos, payload_id),
            needs=("monitor/payload: data_sets.list(payload_logging)",))

    def subscribe(self, details: dict[str, Any]) -> Any:
        """subscription.create_classification_subscription (multiclass, unstructured_image,
        no training data reference, env saas)."""
        v2, enums = sdk_modules()
        return self.wos.subscriptions.add(
            background_mode=False, data_mart_id=self.ids["data_mart"],
            service_provider_id=self.ids["provider"],
            asset=v2.Asset(asset_id=details["entity"]["asset"]["asset_id"],
                           name=details["entity"]["asset"]["name"],
                           url=details["entity"]["asset"]["url"],
                           asset_type=enums.AssetTypes.MODEL,
                           input_data_type=enums.InputDataType.UNSTRUCTURED_IMAGE,
                           problem_type=enums.ProblemType.MULTICLASS_CLASSIFICATION),
            deployment=v2.AssetDeploymentRequest(
                deployment_id=details["metadata"]["guid"], name=details["entity"]["name"],
                deployment_type=enums.DeploymentTypes.ONLINE, url=details["metadata"]["url"],
                scoring_endpoint=v2.ScoringEndpointRequest(
                    url=details["entity"]["scoring_endpoint"]["url"])),
            asset_properties=v2.AssetPropertiesRequest(
                label_column=None, probability_fields=["probability"],
                prediction_field="prediction", feature_fields=None, categorical_fields=None,
                training_data_reference=None))

    # run_payload_logging.log_payload_data ---------------------------------------------------------
    def log_payload_data(self, step: str, samples: int) -> str:
        from ibm_watson_openscale.supporting_classes.payload_record import PayloadRecord

        _, enums = sdk_modules()
        wos = self.wos
        self.subscription_ids(step)
        listed = f"{step}: data_sets.list(payload_logging)"
        if step == "log_payload":
            listed += " again"
        found = self.call(listed, lambda: wos.data_sets.list(
            type=enums.DataSetTypes.PAYLOAD_LOGGING, target_target_id=self.ids["subscription"],
            target_target_type=enums.TargetTypes.SUBSCRIPTION), check=_one_data_set,
            needs=("monitor: subscriptions.add",))
        payload_id = found.result.data_sets[0].metadata.id if found else ""
        before = self.call(f"{step}: data_sets.get_records_count (before)",
                           lambda: wos.data_sets.get_records_count(payload_id), needs=(listed,))
        samples_x, _ = images(samples)
        answer = endpoint_answer(samples).get("predictions")[0]
        stored = f"{step}: data_sets.store_records({samples} images)"
        self.call(stored, lambda: wos.data_sets.store_records(
            data_set_id=payload_id, background_mode=False, request_body=[PayloadRecord(
                scoring_id=str(uuid.uuid4()), request={"values": samples_x.tolist()},
                response=answer, response_time=460)]),
            check=lambda r: _equal(r.result.state, "active", "request state"), needs=(listed,))
        self.call(f"{step}: data_sets.get_records_count (polled)",
                  lambda: self.poll_count(payload_id, (before or 0) + samples),
                  check=lambda seen: _equal(seen[-1], (before or 0) + samples, "count"),
                  needs=(stored, f"{step}: data_sets.get_records_count (before)"))
        return payload_id

    def poll_count(self, data_set_id: str, wanted: int) -> list[int]:
        """The project's wait: count, then up to 13 more counts 5 s apart until it is right."""
        seen = [self.wos.data_sets.get_records_count(data_set_id)]
        patience = 12
        while seen[-1] != wanted and patience >= 0:
            self.transport.sleep(5)
            seen.append(self.wos.data_sets.get_records_count(data_set_id))
            patience -= 1
        return seen

    # use_case.log_payload -----------------------------------------------------------------------
    def log_payload(self) -> None:
        _, enums = sdk_modules()
        self.call("log_payload: data_sets.list(payload_logging)", lambda: self.wos.data_sets.list(
            type=enums.DataSetTypes.PAYLOAD_LOGGING, target_target_id=self.ids["subscription"],
            target_target_type=enums.TargetTypes.SUBSCRIPTION), check=_one_data_set,
            needs=("monitor: subscriptions.add",))
        self.log_payload_data("log_payload", min(100, 10))

    # configure_quality_monitor.configure_quality, then get_exising_monitors -----------------------
    def configure_quality(self) -> None:
        v2, enums = sdk_modules()
        wos = self.wos
        self.subscription_ids("quality")
        marts = self.call("quality: data_marts.list",
                          lambda: wos.data_marts.list().result.data_marts,
                          check=lambda m: _equal(len(m), 1, "data marts"))
        data_mart_id = marts[0].metadata.id if marts else ""
        self.call("quality: monitor_definitions.list", lambda: wos.monitor_definitions.list()
                  .result.monitor_definitions,
                  check=lambda d: _equal("quality" in [x.metadata.id for x in d], True,
                                         "quality among the definitions"))
        instances = self.call("quality: monitor_instances.list",
                              lambda: wos.monitor_instances.list().result.monitor_instances)
        quality = [m for m in instances or [] if m.entity.monitor_definition_id == "quality"
                   and m.entity.target.target_id == self.ids["subscription"]]
        if not quality:
            self.call("quality: monitor_instances.create(quality)",
                      lambda: wos.monitor_instances.create(
                          data_mart_id=data_mart_id, background_mode=False,
                          monitor_definition_id=wos.monitor_definitions.MONITORS.QUALITY.ID,
                          target=v2.Target(target_type=enums.TargetTypes.SUBSCRIPTION,
                                           target_id=self.ids["subscription"]),
                          parameters={"min_feedback_data_size": 10}),
                      check=_state_is("active"), needs=("monitor: subscriptions.add",))
        found = self.call("quality: data_sets.list(feedback)", lambda: wos.data_sets.list(
            type=enums.DataSetTypes.FEEDBACK, target_target_id=self.ids["subscription"],
            target_target_type=enums.TargetTypes.SUBSCRIPTION), check=_one_data_set,
            needs=("monitor: subscriptions.add",))
        feedback_id = found.result.data_sets[0].metadata.id if found else ""
        self.call("quality: data_sets.print_records_schema(feedback)", lambda: printed(
            lambda: wos.data_sets.print_records_schema(data_set_id=feedback_id)),
            check=lambda out: _equal(" target " in out and " scoring_input " in out, True,
                                     "feedback schema lists scoring_input and target"),
            needs=("quality: data_sets.list(feedback)",))
        self.existing_monitors("quality: monitor_instances.list (existing)")

    # use_case.log_feedback, run_feedback_logging.log_feedback_data (AWS, with predictions) --------
    def log_feedback(self) -> None:
        _, enums = sdk_modules()
        wos = self.wos
        listing = {"type": enums.DataSetTypes.FEEDBACK, "target_target_id": self.ids[
            "subscription"], "target_target_type": enums.TargetTypes.SUBSCRIPTION}
        self.call("log_feedback: data_sets.list(feedback)",
                  lambda: wos.data_sets.list(**listing), check=_one_data_set,
                  needs=("monitor: subscriptions.add",))
        self.subscription_ids("log_feedback")
        samples, labels = images(10)
        predictions = endpoint_answer(10).get("predictions")[0].get("values")
        values = [[*pair, *prediction] for pair, prediction in
                  zip([[x, y] for x, y in zip(samples.tolist(), labels.tolist(), strict=True)],
                      predictions, strict=True)]
        fields = ["scoring_input", "target", "_original_prediction", "_original_probability"]
        found = self.call("log_feedback: data_sets.list(feedback) again",
                          lambda: wos.data_sets.list(**listing), check=_one_data_set,
                          needs=("monitor: subscriptions.add",))
        feedback_id = found.result.data_sets[0].metadata.id if found else ""
        before = self.call("log_feedback: data_sets.get_records_count (before)",
                           lambda: wos.data_sets.get_records_count(feedback_id),
                           needs=("log_feedback: data_sets.list(feedback) again",))
        stored = "log_feedback: data_sets.store_records(10 images with predictions)"
        self.call(stored, lambda: wos.data_sets.store_records(
            data_set_id=feedback_id, request_body=[{"fields": fields, "values": values}],
            background_mode=False),
            check=lambda r: _equal(r.result.state, "active", "request state"),
            needs=("log_feedback: data_sets.list(feedback) again",))
        # the project's success: after - before == samples, read once, right away
        self.call("log_feedback: data_sets.get_records_count (after)",
                  lambda: wos.data_sets.get_records_count(feedback_id),
                  check=lambda after: _equal(after - (before or 0), 10, "records added"),
                  needs=(stored,))

    # use_case.evaluate_model, evaluate.evaluate_monitor, monitors.evaluate -----------------------
    def evaluate(self) -> None:
        wos = self.wos
        kinds = self.existing_monitors("evaluate: monitor_instances.list (existing)")
        self.subscription_ids("evaluate")
        existing = self.existing_monitors("evaluate: monitor_instances.list (existing) again")
        now = datetime.now()
        for kind in kinds:
            monitor_id = existing.get(kind)
            if not monitor_id or kind in ("mrm", "explainability"):
                continue
            ran = f"evaluate: monitor_instances.run({kind})"
            self.call(ran, lambda m=monitor_id: wos.monitor_instances.run(
                monitor_instance_id=m, background_mode=False).result,
                check=lambda r: _equal(r.entity.status.state, "finished", "run state"))
            self.call(f"evaluate: monitor_instances.list_runs({kind})",
                      lambda m=monitor_id: wos.monitor_instances.list_runs(
                          monitor_instance_id=m).result.to_dict(),
                      check=lambda r: _equal(len(r["runs"]), 1, "runs"))
            self.call(f"evaluate: monitor_instances.get_metrics_count({kind})",
                      lambda m=monitor_id: wos.monitor_instances.get_metrics_count(
                          monitor_instance_id=m, start=now - timedelta(days=2),
                          end=now + timedelta(days=2)).result.to_dict(),
                      check=lambda r, k=kind: _metrics_counted(r, k))

    # cleanup_resources.delete_deployment (its OpenScale part: subscription.delete_subscription)
    def cleanup(self) -> int:
        ids = self.subscription_ids("cleanup")
        for subscription_id in ids:
            self.call("cleanup: subscriptions.delete",
                      lambda s=subscription_id: self.wos.subscriptions.delete(s),
                      check=lambda r: _equal(r.status_code, 202, "HTTP status"))
        return len(ids)


def _has_quality(instances: list, ids: dict[str, str]) -> None:
    """The README's ``configure_quality_monitor()`` answer holds a quality monitor."""
    kinds = {m.entity.monitor_definition_id for m in instances
             if m.entity.target.target_id == ids.get("subscription")}
    assert "quality" in kinds, f"monitors of the subscription: {sorted(kinds)}"


def _metrics_counted(reply: dict[str, Any], kind: str) -> None:
    """``agg=count``: per metric, ``count: {value: [n], measurement_id: [...]}`` (the SDK's
    DataMartGetMonitorInstanceMetrics model): one measurement per quality metric."""
    groups = reply.get("groups") or []
    answered = reply.get("monitor_definition_id")
    assert answered == kind, f"metrics of {answered}, asked for {kind}"
    if kind == "quality":
        counts = [(m.get("count") or {}).get("value") for g in groups for m in g["metrics"]]
        assert counts and all(c == [1] for c in counts), f"counts {counts}"


def replay(transport: Transport) -> tuple[Ledger, int]:
    """monitor, log_payload, configure_quality_monitor, log_feedback, evaluate, cleanup."""
    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
    from ibm_watson_openscale import APIClient

    ledger = Ledger("mlmonitor-wos")
    # mlmonitor/src/wos/__init__.py: the module-level client (made at import, not counted)
    wos = APIClient(authenticator=IAMAuthenticator(API_KEY, url=transport.iam_url),
                    service_url=transport.wos_url, service_instance_id=DEFAULT_INSTANCE_ID)
    flow = Flow(ledger, wos, transport)
    flow.monitor()
    flow.log_payload()
    flow.configure_quality()
    flow.log_feedback()
    flow.evaluate()
    return ledger, flow.cleanup()


@pytest.mark.monitor
def test_mlmonitor_wos_flow_replayed_call_by_call(transport: Transport) -> None:
    ledger, deleted = replay(transport)
    print("\n" + ledger.summary(transport.name))
    ledger.assert_matches(expected())
    assert deleted == 1  # the README's cleanup: {'wos': 1, ...}


def test_expected_ledger_names_only_calls_of_the_flow() -> None:
    assert set(PENDING_IN_EMULATOR) | set(DIFFERS_FROM_RECORDING) <= set(CALLS)
    assert len(CALLS) == len(set(CALLS))
