"""The emulated OpenScale's fairness monitor: disparate impact per monitored feature from the
payload records (the rates are counted by hand here), thresholds judged, too few records, and
what it refuses (501) rather than fakes. Sources: ../shared/notes/live-contracts.md, "Watson
OpenScale fairness".
"""

from __future__ import annotations

import boto3
import pytest
import responses
from moto import mock_aws
from openscale.conftest import _subscribe

from mlmonitor_harness.fakes import FakeClock
from mlmonitor_harness.sdk_clock import instant_sdk_waits
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.iam import make_router as iam_router
from mlmonitor_lib.emulators.openscale import DEFAULT_INSTANCE_ID, OpenScaleBackend, make_router
from mlmonitor_lib.emulators.openscale.discovery import sagemaker_from_session, seed_endpoint
from mlmonitor_lib.emulators.openscale.fairness import (
    FeatureFairness,
    disparate_impact,
    limits,
    violations,
)
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.emulators.transport import mount

IAM, WOS = "https://iam.emulated.test", "https://wos.emulated.test"
API_KEY, REGION = "wos-test-key", "us-east-1"
FIELDS = ["Sex", "Age", "LoanAmount"]
PARAMETERS = {  # IBM's German credit notebooks' configuration (Sex, Age), 10 records at least
    "features": [
        {"feature": "Sex", "majority": ["male"], "minority": ["female"], "threshold": 0.95},
        {"feature": "Age", "majority": [[26, 75]], "minority": [[18, 25]], "threshold": 0.95},
    ],
    "favourable_class": [0], "unfavourable_class": [1], "min_records": 10,
}
# (Sex, Age, predicted_label): favourable is 0
#   male: 6 records, 5 favourable; female: 6 records, 3 favourable  -> 50/83.33 = 60 %
#   Age 26-75: 8 records (ages 30..60), 7 favourable (only the 55-year-old is not);
#   18-25: 3 records (20, 22, 24), 1 favourable; the 80-year-old is in neither group
#                                                      -> 33.33/87.5 = 38.095 %
ROWS = [
    ("male", 30, 0), ("male", 40, 0), ("male", 50, 0), ("male", 60, 0), ("male", 20, 0),
    ("male", 80, 1),
    ("female", 35, 0), ("female", 45, 0), ("female", 55, 1), ("female", 22, 1),
    ("female", 24, 1), ("female", 33, 0),
]
SEX_DI = 100 * (3 / 6) / (5 / 6)
AGE_DI = 100 * (1 / 3) / (7 / 8)


# the computation, against the hand counts ------------------------------------------------
def _rows(rows=ROWS) -> list[dict]:
    return [{"Sex": s, "Age": a, "LoanAmount": 1000, "predicted_label": p} for s, a, p in rows]


def test_disparate_impact_is_the_monitored_rate_over_the_reference_rate():
    sex, age = disparate_impact(_rows(), "predicted_label", PARAMETERS)
    assert (sex.reference, sex.monitored) == ((5, 6), {"female": (3, 6)})
    assert (age.reference, age.monitored) == ((7, 8), {"18-25": (1, 3)})
    assert sex.value == pytest.approx(SEX_DI, abs=1e-3) and sex.group == "female"
    assert age.value == pytest.approx(AGE_DI, abs=1e-3) and age.group == "18-25"


def test_the_lowest_monitored_group_is_reported_and_float_labels_are_classes():
    rows = [{"c": c, "y": float(y)} for c, y in
            [("a", 0), ("a", 0), ("b", 0), ("b", 1), ("d", 1), ("d", 1), ("d", 0), ("d", 0)]]
    params = {"features": [{"feature": "c", "majority": ["a"], "minority": ["b", "d"]}],
              "favourable_class": [0]}
    (result,) = disparate_impact(rows, "y", params)
    assert result.monitored == {"b": (1, 2), "d": (2, 4)}
    assert result.value == 50.0 and result.group in ("b", "d")


def test_no_favourable_reference_outcome_leaves_the_feature_unmeasured():
    params = {"features": [{"feature": "c", "majority": ["a"], "minority": ["b"]}],
              "favourable_class": [0]}
    (result,) = disparate_impact([{"c": "a", "y": 1}, {"c": "b", "y": 0}], "y", params)
    assert result.value is None and violations([result], []) == []


def test_limits_take_the_features_specific_value_else_the_default_80():
    thresholds = [{"metric_id": "fairness_value", "type": "lower_limit", "value": 85.0,
                   "specific_values": [{"value": 95.0, "applies_to": [
                       {"type": "tag", "key": "feature", "value": "Sex"}]}]},
                  {"metric_id": "fairness_value", "type": "upper_limit", "value": 125.0}]
    assert limits(thresholds, "Sex") == {"lower_limit": 95.0, "upper_limit": 125.0}
    assert limits(thresholds, "Age") == {"lower_limit": 85.0, "upper_limit": 125.0}
    assert limits([], "Age") == {"lower_limit": 80.0}
    low = FeatureFairness("Sex", 0.95, (5, 6), {"female": (3, 6)})
    assert violations([low], thresholds) == [{
        "metric_id": "fairness_value", "feature": "Sex", "group": "female",
        "type": "lower_limit", "value": 60.0, "limit": 95.0}]


# through the SDK ---------------------------------------------------------------------------
@pytest.fixture
def client():
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="test-access-key",
                                aws_secret_access_key="aws-secret-0123456789")
        seed_endpoint(session, "ep-2")
        backend = OpenScaleBackend(":memory:", Pace("instant"), clock=FakeClock(),
                                   sagemaker=sagemaker_from_session(session))
        iam = IamBackend(api_keys={API_KEY: "account-1"})
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mount(mock, IAM, iam_router(iam))
            mount(mock, WOS, make_router(backend, iam))
            from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
            from ibm_watson_openscale import APIClient

            with instant_sdk_waits(Pace("instant")):
                yield APIClient(authenticator=IAMAuthenticator(API_KEY, url=IAM),
                                service_url=WOS, service_instance_id=DEFAULT_INSTANCE_ID)


def _sdk():
    from ibm_watson_openscale.base_classes import watson_open_scale_v2 as v2
    from ibm_watson_openscale.supporting_classes import enums

    return v2, enums


@pytest.fixture
def world(client) -> tuple[str, str, str]:
    """(data mart, subscription, payload data set) of a structured binary SageMaker model,
    subscribed as IBM's SageMaker notebook subscribes it."""
    v2, enums = _sdk()
    mart = client.data_marts.add(background_mode=False, internal_database=True).result.metadata.id
    provider = client.service_providers.add(
        name="sagemaker", service_type=enums.ServiceTypes.AMAZON_SAGEMAKER,
        credentials=v2.SageMakerCredentials(access_key_id="test-access-key",
                                            secret_access_key="aws-secret-0123456789",
                                            region=REGION),
        operational_space_id="production", background_mode=False).result.metadata.id
    subscription = _subscribe(  # the tests/openscale helper: subscribed as the notebook does
        client, mart, provider, "ep-2", enums.InputDataType.STRUCTURED,
        enums.ProblemType.BINARY_CLASSIFICATION, label_column="Risk",
        prediction_field="predicted_label", probability_fields=["score"], feature_fields=FIELDS)
    for _ in range(3):
        if sets := client.data_sets.list(type="payload_logging", target_target_id=subscription,
                                         target_target_type="subscription").result.data_sets:
            return mart, subscription, sets[0].metadata.id
    raise AssertionError("no payload data set after 3 reads")


def _log(client, data_set_id: str, rows=ROWS) -> None:
    """One payload record per row, as IBM's SageMaker notebook logs them; waits for the count."""
    from ibm_watson_openscale.supporting_classes.payload_record import PayloadRecord

    body = [PayloadRecord(request={"fields": FIELDS, "values": [[s, a, 1000]]},
                          response={"fields": ["predicted_label", "score"],
                                    "values": [[p, 0.9 if p else 0.1]]}, response_time=460)
            for s, a, p in rows]
    client.data_sets.store_records(data_set_id, body, background_mode=False)
    for _ in range(4):
        if client.data_sets.get_records_count(data_set_id) == len(rows):
            return
    raise AssertionError("records never counted")


def _create(client, mart: str, subscription: str, parameters=None, thresholds=None):
    v2, enums = _sdk()
    return client.monitor_instances.create(
        data_mart_id=mart, monitor_definition_id="fairness",
        target=v2.Target(target_type=enums.TargetTypes.SUBSCRIPTION, target_id=subscription),
        parameters=parameters or PARAMETERS, thresholds=thresholds,
        background_mode=False).result.metadata.id


def _initial_run(client, instance_id: str) -> dict:
    for _ in range(3):
        (run,) = client.monitor_instances.list_runs(instance_id).result.to_dict()["runs"]
        if run["entity"]["status"]["state"] != "running":
            return run
    raise AssertionError("the initial run never ended")


def _measurements(client, instance_id: str) -> list[dict]:
    from datetime import datetime, timedelta

    now = datetime.now()
    return client.monitor_instances.list_measurements(
        monitor_instance_id=instance_id, start=now - timedelta(days=1),
        end=now + timedelta(days=1)).result.to_dict()["measurements"]


def test_creating_a_fairness_monitor_runs_it_once_on_the_payload_records(client, world):
    mart, subscription, payload = world
    _log(client, payload)
    instance = _create(client, mart, subscription)
    run = _initial_run(client, instance)
    assert run["entity"]["status"]["state"] == "finished"
    assert run["entity"]["parameters"]["total_records_processed"] == len(ROWS)
    (found,) = _measurements(client, instance)
    values = {tuple(f"{t['id']}:{t['value']}" for t in v["tags"]): v["metrics"]
              for v in found["entity"]["values"]}
    assert set(values) == {("feature:Sex", "fairness_metric_type:fairness", "feature_value:female"),
                           ("feature:Age", "fairness_metric_type:fairness", "feature_value:18-25")}
    (sex,) = values[("feature:Sex", "fairness_metric_type:fairness", "feature_value:female")]
    (age,) = values[("feature:Age", "fairness_metric_type:fairness", "feature_value:18-25")]
    assert sex["value"] == pytest.approx(SEX_DI, abs=1e-3) and sex["lower_limit"] == 80.0
    assert age["value"] == pytest.approx(AGE_DI, abs=1e-3)
    assert found["entity"]["issue_count"] == 2  # 60 % and 38.1 % are under the default 80
    assert run["entity"]["parameters"]["measurement_id"] == found["metadata"]["id"]


def test_a_features_specific_threshold_is_judged(client, world):
    mart, subscription, payload = world
    _log(client, payload)
    thresholds = [{"metric_id": "fairness_value", "type": "lower_limit", "value": 35.0,
                   "specific_values": [{"value": 65.0, "applies_to": [
                       {"type": "tag", "key": "feature", "value": "Sex"}]}]}]
    instance = _create(client, mart, subscription, thresholds=thresholds)
    _initial_run(client, instance)
    (found,) = _measurements(client, instance)
    limits_shown = {v["tags"][0]["value"]: v["metrics"][0]["lower_limit"]
                    for v in found["entity"]["values"]}
    assert limits_shown == {"Sex": 65.0, "Age": 35.0}
    assert found["entity"]["issue_count"] == 1  # Sex 60 % < 65; Age 38.1 % >= 35
    # a run on demand measures again
    client.monitor_instances.run(monitor_instance_id=instance, background_mode=False)
    assert len(_measurements(client, instance)) == 2


def test_too_few_payload_records_finish_with_errors_and_measure_nothing(client, world):
    mart, subscription, payload = world
    _log(client, payload, ROWS[:4])
    instance = _create(client, mart, subscription)
    run = _initial_run(client, instance)
    status = run["entity"]["status"]
    assert status["state"] == "finished"
    assert [e["code"] for e in status["failure"]["errors"]] == ["AIQFM6001", "AIQFM6016"]
    assert status["message"] == "Payload logging table rows 4 are less than the minimum rows 10"
    assert run["entity"]["parameters"]["total_records_processed"] == 0
    assert _measurements(client, instance) == []


@pytest.mark.parametrize(("change", "code", "named"), [
    ({"perform_perturbation": True}, 501, "perform_perturbation"),
    ({"features": []}, 501, "features"),
    ({"features": [{"feature": "Sex", "majority": ["male"], "minority": ["female"],
                    "metric_ids": ["fairness_value", "average_odds_difference"]}]},
     501, "average_odds_difference"),
    ({"features": [{"feature": "Age", "majority": [[75, 26]], "minority": [[18, 25]]}]},
     400, "low <= high"),
    ({"favourable_class": []}, 400, "favourable_class"),
])
def test_what_cannot_be_computed_is_refused_naming_it(client, world, change, code, named):
    from ibm_cloud_sdk_core import ApiException

    mart, subscription, _ = world
    with pytest.raises(ApiException) as err:
        _create(client, mart, subscription, parameters={**PARAMETERS, **change})
    assert (err.value.code, named in err.value.message) == (code, True), err.value.message
    assert not client.monitor_instances.list(
        monitor_definition_id="fairness").result.monitor_instances


def test_thresholds_on_metrics_not_computed_are_refused(client, world):
    from ibm_cloud_sdk_core import ApiException

    mart, subscription, _ = world
    with pytest.raises(ApiException) as err:
        _create(client, mart, subscription, thresholds=[
            {"metric_id": "statistical_parity_difference", "type": "lower_limit",
             "value": -0.15}])
    assert err.value.code == 501 and "statistical_parity_difference" in err.value.message


@pytest.mark.parametrize("definition", ["drift", "explainability"])
def test_drift_and_explainability_stay_refused(client, world, definition):
    from ibm_cloud_sdk_core import ApiException

    mart, subscription, _ = world
    v2, enums = _sdk()
    with pytest.raises(ApiException) as err:
        client.monitor_instances.create(
            data_mart_id=mart, monitor_definition_id=definition,
            target=v2.Target(target_type=enums.TargetTypes.SUBSCRIPTION, target_id=subscription),
            parameters={"enabled": True}, background_mode=False)
    assert err.value.code == 501
