"""Replays the OpenScale calls of IBM's SageMaker notebook against the emulators, call by call,
and holds each answer to the notebook's recorded output.

The notebook: IBM/watson-openscale-samples, ``IBM Cloud/AWS Sagemaker/notebooks/AI OpenScale and
SageMaker ML Engine.ipynb`` (commit 24112dcae897), run by IBM with ibm-watson-openscale 3.0.37.
Its data files are copied, unchanged, into ``tests/data/watson_openscale_samples/``. Its calls
are re-typed here (our own code: the SDK calls and their arguments as the cells make them); the
recorded outputs are the expected answers: key sets, types, states and counts, never ids or
timestamps. Each call is named after its cell ("c34 service_providers.add").

The notebook has 40 OpenScale call sites; its recorded run made 39 calls: cell 99 deletes a drift
monitor only if one is listed, and printed nothing (none was). The replay makes that delete only
if the list shows one. Cell 33 deletes a provider of the same name only if one exists: the
recording had none; the replay creates one first so the delete is exercised. The recorded
data mart already existed ("Using existing datamart"): the replay creates one first, too.

The notebook's own ``time.sleep(n)`` and the SDK's waits move the emulators' clock by what the
realistic pace makes of ``n`` seconds: nothing really sleeps, yet each read comes as late as in
the notebook (a single read after a 5 s sleep must see what the real service showed then). The
notebook's ``invoke_endpoint`` calls are AWS calls, not OpenScale calls: their answers are the
recorded one (cell 55) and, for the 40 scoring rows (cell 87, output not kept), answers of the
same linear-learner shape. The quality run over feedback without predictions makes OpenScale
score the endpoint itself: moto's sagemaker-runtime answers it with canned results (scores the
test chooses, so area_under_roc is known).
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from contract_ledger import (
    NOT_EMULATED,
    Ledger,
    assert_same_shape,
    expected_ledger,
)
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

DATA = Path(__file__).parent / "data" / "watson_openscale_samples"
API_KEY = "notebook-cloud-api-key"
REGION = "us-east-1"
ACCESS_KEY, SECRET_KEY = "notebook-access-key", "notebook-secret-key-never-echoed"
# the notebook's endpoint and model: discovery's ids are md5s of these names, so the replay's
# deployment and asset ids equal the recorded ones
ENDPOINT = "Credit-risk-endpoint-scoring-2021-06-24-05-32"
MODEL = "Credit-risk-linear-learner-2021-06-24-05-32"
OTHER_ENDPOINT = "admit-predict-regression-endpoint-201911081437"  # listed second (cell 36)
RECORDED_GUID = "cc7acf711b19c689d67e7b2a01b88ca2"
RECORDED_ASSET_ID = "98783e76b0aedefc06c70bd74fa2356e"
SERVICE_PROVIDER_NAME = "AWS Machine Learning"  # cell 32

# cell 45
FEATURES = [
    "CheckingStatus_0_to_200", "CheckingStatus_greater_200", "CheckingStatus_less_0",
    "CheckingStatus_no_checking", "CreditHistory_all_credits_paid_back",
    "CreditHistory_credits_paid_to_date", "CreditHistory_no_credits",
    "CreditHistory_outstanding_credit", "CreditHistory_prior_payments_delayed",
    "LoanPurpose_appliances", "LoanPurpose_business", "LoanPurpose_car_new",
    "LoanPurpose_car_used", "LoanPurpose_education", "LoanPurpose_furniture", "LoanPurpose_other",
    "LoanPurpose_radio_tv", "LoanPurpose_repairs", "LoanPurpose_retraining",
    "LoanPurpose_vacation", "ExistingSavings_100_to_500", "ExistingSavings_500_to_1000",
    "ExistingSavings_greater_1000", "ExistingSavings_less_100", "ExistingSavings_unknown",
    "EmploymentDuration_1_to_4", "EmploymentDuration_4_to_7", "EmploymentDuration_greater_7",
    "EmploymentDuration_less_1", "EmploymentDuration_unemployed", "Sex_female", "Sex_male",
    "OthersOnLoan_co-applicant", "OthersOnLoan_guarantor", "OthersOnLoan_none",
    "OwnsProperty_car_other", "OwnsProperty_real_estate", "OwnsProperty_savings_insurance",
    "OwnsProperty_unknown", "InstallmentPlans_bank", "InstallmentPlans_none",
    "InstallmentPlans_stores", "Housing_free", "Housing_own", "Housing_rent",
    "Job_management_self-employed", "Job_skilled", "Job_unemployed", "Job_unskilled",
    "Telephone_none", "Telephone_yes", "ForeignWorker_no", "ForeignWorker_yes",
]
CATEGORICAL = list(FEATURES)
FEATURES += ["LoanDuration", "LoanAmount", "InstallmentPercent", "CurrentResidenceDuration",
             "Age", "ExistingCreditsCount", "Dependents"]
# cell 54, and the endpoint's recorded answer to it (cell 55)
ONE_ROW = ("0,0,1,0,1,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,1,0,1,0,0,0,0,0,1,0,0,1,0,0,1,0,0,1,"
           "0,0,1,0,0,1,0,0,1,0,0,1,12,4152,2,3,29,2,1")
ONE_ROW_ANSWER = {"predictions": [{"score": 0.19936884939670563, "predicted_label": 0}]}

# recorded outputs -----------------------------------------------------------------------------
RECORDED_DATA_MART = {  # cell 28
    "metadata": {
        "id": "80e6093f-5acf-4eb7-9da6-7ba9bf56a929",
        "crn": "crn:v1:bluemix:public:aiopenscale:us-south:a/0a3c25959fab4ecea2768fa6b8d61595:"
               "80e6093f-5acf-4eb7-9da6-7ba9bf56a929:data_mart:80e6093f-5acf-4eb7-9da6-7ba9bf56a929",
        "url": "/v2/data_marts/80e6093f-5acf-4eb7-9da6-7ba9bf56a929",
        "created_at": "2024-05-16T06:09:07.089000Z", "created_by": "IBMid-662005298W",
        "modified_at": "2024-05-16T06:09:08.796000Z", "modified_by": "IBMid-662005298W"},
    "entity": {
        "name": "AIOSFASTPATH-80E6093F-5ACF-4EB7-9DA6-7BA9BF56A929",
        "service_instance_crn": "crn:v1:bluemix:public:aiopenscale:us-south:a/"
                                "0a3c25959fab4ecea2768fa6b8d61595:80e6093f-5acf-4eb7-9da6-7ba9bf56a929::",
        "internal_database": True,
        "database_configuration": {
            "database_type": "postgresql",
            "credentials": {"secret_id": "3538c3d0-1265-4092-8592-d3a928bbc1d7"},
            "location": {"schema_name": "80e6093f-5acf-4eb7-9da6-7ba9bf56a929"}},
        "status": {"state": "active"}},
}
RECORDED_RESOURCE = {  # cell 37, the deployment picked from list_assets
    "metadata": {"guid": RECORDED_GUID, "url": ENDPOINT, "created_at": "2021-06-24T05:40:41.734Z",
                 "modified_at": "2023-04-25T07:04:18.041Z"},
    "entity": {
        "name": ENDPOINT,
        "deployment_rn": "arn:aws:sagemaker:us-east-2:014862798213:endpoint/"
                         "credit-risk-endpoint-scoring-2021-06-24-05-32",
        "type": "online",
        "scoring_endpoint": {"url": ENDPOINT},
        "asset": {
            "asset_id": RECORDED_ASSET_ID,
            "asset_rn": "arn:aws:sagemaker:us-east-2:014862798213:model/"
                        "credit-risk-linear-learner-2021-06-24-05-32",
            "url": "s3://sagemaker-us-east-2-014862798213/credit-risk/output/"
                   "Credit-risk-linear-learner-2021-06-24-05-32/output/model.tar.gz",
            "name": MODEL, "asset_type": "model", "created_at": "2021-06-24T05:40:27.363Z"},
        "asset_properties": {"asset_revision": "1682406258041"}},
}
_META_FIELDS = [  # cell 53: output_data_schema right after subscribing, before any payload
    {"metadata": {"modeling_role": "record-id", "primary_key": True}, "name": "scoring_id",
     "nullable": False, "type": "string"},
    {"metadata": {"modeling_role": "record-timestamp"}, "name": "scoring_timestamp",
     "nullable": False, "type": "timestamp"},
    {"metadata": {}, "name": "deployment_id", "nullable": False, "type": "string"},
    {"metadata": {}, "name": "asset_revision", "nullable": True, "type": "string"},
]
RECORDED_SUBSCRIPTION = {  # cell 53
    "metadata": {
        "id": "95e480af-2fec-43ef-b34e-b3a24572b35d",
        "crn": "crn:v1:bluemix:public:aiopenscale:us-south:a/0a3c25959fab4ecea2768fa6b8d61595:"
               "80e6093f-5acf-4eb7-9da6-7ba9bf56a929:subscription:"
               "95e480af-2fec-43ef-b34e-b3a24572b35d",
        "url": "/v2/subscriptions/95e480af-2fec-43ef-b34e-b3a24572b35d",
        "created_at": "2024-07-11T09:30:10.069000Z", "created_by": "IBMid-662005298W",
        "modified_at": "2024-07-11T09:30:12.124000Z", "modified_by": "IBMid-662005298W"},
    "entity": {
        "data_mart_id": "80e6093f-5acf-4eb7-9da6-7ba9bf56a929",
        "service_provider_id": "4fa5625b-5401-4a31-a423-d480ea184cda",
        "asset": {"asset_id": RECORDED_ASSET_ID, "url": RECORDED_RESOURCE["entity"]["asset"]["url"],
                  "name": MODEL, "asset_type": "model", "problem_type": "binary",
                  "input_data_type": "structured"},
        "asset_properties": {
            "training_data_reference": {"secret_id": "f69c7c8a-ecda-4b6b-9a5e-2746762f2d26"},
            "output_data_schema": {"type": "struct", "fields": _META_FIELDS},
            "label_column": "Risk", "prediction_field": "predicted_label",
            "feature_fields": FEATURES, "categorical_fields": CATEGORICAL,
            "probability_fields": ["score"]},
        "deployment": {"deployment_id": RECORDED_GUID, "url": ENDPOINT, "name": ENDPOINT,
                       "deployment_type": "online", "scoring_endpoint": {"url": ENDPOINT}},
        "status": {"state": "active"}},
}
RECORDED_EXPLANATION_TASKS = {  # cell 108
    "metadata": {"explanation_task_ids": ["6fa53975-ddd3-446f-99b1-b4156fcb50b9"] * 5,
                 "created_by": "1000331001", "created_at": "2024-08-07T10:41:59.445949Z"}}
RECORDED_EXPLANATION_TASK = {  # cell 109
    "metadata": {"explanation_task_id": "6fa53975-ddd3-446f-99b1-b4156fcb50b9",
                 "created_by": "1000331001", "created_at": "2024-08-07T10:41:59.445949Z"},
    "entity": {"status": {"state": "in_progress"},
               "asset": {"id": "1b9f22c5-ac03-4017-b40b-27969e429379",
                         "name": "Scikit German Risk Model WML V4 - zLinux",
                         "input_data_type": "structured", "problem_type": "binary",
                         "deployment": {"id": "edc1e06c-7bf9-4522-8893-05a919a35ca0",
                                        "name": "Scikit German Risk Deployment WML V4 - zLinux"}},
               "scoring_id": "ce94d7419c28c598543294fbc4f5f864-1"}}

# the expected ledger ----------------------------------------------------------------------------
CALLS = [
    "c24 APIClient(...)", "c26 data_marts.show", "c27 data_marts.list", "c28 data_marts.get",
    "c33 service_providers.list", "c33 service_providers.delete", "c34 service_providers.add",
    "c35 service_providers.show", "c36 service_providers.list_assets", "c47 subscriptions.add",
    "c49 subscriptions.show", "c53 subscriptions.get", "c58 data_sets.list(payload_logging)",
    "c62 data_sets.store_records(payload, 1 scoring)", "c62 data_sets.get_records_count(payload)",
    "c63 data_sets.show_records(payload)", "c67 monitor_instances.create(quality)",
    "c72 data_sets.list(feedback)", "c74 data_sets.store_records(feedback, 20 rows)",
    "c75 data_sets.print_records_schema(feedback)", "c76 data_sets.get_records_count(feedback)",
    "c77 monitor_instances.run(quality)", "c78 monitor_instances.show_metrics(quality)",
    "c82 data_sets.print_records_schema(payload)",
    "c89 data_sets.store_records(payload, 40 scorings)",
    "c89 data_sets.get_records_count(payload)", "c90 data_sets.show_records(payload)",
    "c92 monitor_instances.create(fairness)", "c94 monitor_instances.show_metrics(fairness)",
    "c98 monitor_instances.upload_drift_model", "c99 monitor_instances.list",
    "c100 monitor_instances.create(drift)", "c101 monitor_instances.run(drift)",
    "c102 monitor_instances.show_metrics(drift)", "c104 monitor_instances.create(explainability)",
    "c107 data_sets.show_records(payload)", "c108 data_sets.get_list_of_records(pandas)",
    "c108 monitor_instances.explanation_tasks", "c109 monitor_instances.get_explanation_tasks",
]
# refused with 501 AIQCS0012E: the monitors of the any-model issue (#16)
NOT_EMULATED_CALLS = {
    "c98 monitor_instances.upload_drift_model": "drift model upload (issue #16)",
    "c100 monitor_instances.create(drift)": "drift monitor (issue #16)",
    "c104 monitor_instances.create(explainability)": "explainability monitor (issue #16)",
    "c108 monitor_instances.explanation_tasks": "explanation tasks (issue #16)",
}
# missed because their input comes from a call refused above
FOLLOW_NOT_EMULATED = {
    "c101 monitor_instances.run(drift)": "because the drift monitor is refused",
    "c102 monitor_instances.show_metrics(drift)": "because the drift monitor is refused",
    "c109 monitor_instances.get_explanation_tasks": "because explanation tasks are refused",
}
# served once the lead's emulator changes land (each: what it waits for); then delete the entry
PENDING_IN_EMULATOR: dict[str, str] = {}
# answers that differ from the recording beyond what the lead's changes list
DIFFERS_FROM_RECORDING: dict[str, str] = {}


def expected() -> dict[str, str]:
    """The ledger this replay must produce today."""
    not_emulated = {c: w for c, w in NOT_EMULATED_CALLS.items() if c not in PENDING_IN_EMULATOR}
    missed = {**FOLLOW_NOT_EMULATED, **PENDING_IN_EMULATOR, **DIFFERS_FROM_RECORDING}
    return expected_ledger(CALLS, not_emulated, missed)


# the world: moto holding the notebook's endpoint, IAM and OpenScale at the realistic pace --------
def feedback_table() -> tuple[list[str], list[list[float]]]:
    """Cell 74: the feedback CSV read as floats (columns: Risk, then the 60 features)."""
    import pandas as pd

    data = pd.read_csv(DATA / "credit_risk_feedback_recoded.csv", header=0, dtype=float)
    return data.columns.tolist(), data.values.tolist()


def feedback_scores() -> list[float]:
    """Scores the endpoint gives the 20 feedback rows when OpenScale asks it: chosen so the
    expected area_under_roc is neither 0.5 nor 1 (some risky rows score below safe ones)."""
    columns, rows = feedback_table()
    labels = [row[columns.index("Risk")] for row in rows]
    return [round(0.55 * label + 0.45 * ((i * 7) % 10) / 10, 4) for i, label in
            enumerate(labels)]


def linear_learner_answer(scores: list[float]) -> dict[str, Any]:
    """The JSON a SageMaker linear learner answers for CSV rows (cell 55's shape)."""
    return {"predictions": [{"score": s, "predicted_label": int(s > 0.5)} for s in scores]}


def queue_endpoint_answers(answers: list[dict[str, Any]]) -> None:
    """moto's sagemaker-runtime answers the next invoke_endpoint calls with these, in order
    (moto's ``/moto-api/static/sagemaker/endpoint-results``; one queued answer per call)."""
    results = [{"Body": json.dumps(a), "ContentType": "application/json"} for a in answers]
    reply = requests.post("http://motoapi.amazonaws.com/moto-api/static/sagemaker/"
                          "endpoint-results", json={"region": REGION, "results": results},
                          timeout=5)
    assert reply.status_code == 201


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    """moto holding the notebook's endpoint (and a second one, as its listing had), with the
    answer OpenScale will get when it scores the feedback rows itself."""
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id=ACCESS_KEY,
                                aws_secret_access_key=SECRET_KEY)
        seed_endpoint(session, OTHER_ENDPOINT)
        seed_endpoint(session, ENDPOINT, model_name=MODEL)
        queue_endpoint_answers([linear_learner_answer(feedback_scores())])
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


def existing_world(transport: Transport) -> None:
    """What the recorded run found before its first cell: a data mart, and (so that cell 33's
    delete is exercised) a provider of the notebook's name. Made with the SDK, not counted."""
    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
    from ibm_watson_openscale import APIClient

    v2, enums = sdk_modules()
    sdk = APIClient(authenticator=IAMAuthenticator(API_KEY, url=transport.iam_url),
                    service_url=transport.wos_url, service_instance_id=DEFAULT_INSTANCE_ID)
    sdk.data_marts.add(background_mode=False, internal_database=True,
                       name="AIOSFASTPATH-DATA-MART")
    sdk.service_providers.add(
        name=SERVICE_PROVIDER_NAME, service_type=enums.ServiceTypes.AMAZON_SAGEMAKER,
        operational_space_id="production", background_mode=False,
        credentials=v2.SageMakerCredentials(access_key_id=ACCESS_KEY,
                                            secret_access_key=SECRET_KEY, region=REGION))


def drift_archive(folder: Path) -> str:
    """Cell 97 downloads IBM's drift model archive; a small archive stands in (the upload is
    refused as not emulated whatever it holds)."""
    path = folder / "creditrisk_aws_drift_detection_model.tar.gz"
    member = folder / "drift_detection_model.pkl"
    member.write_bytes(b"not a model")
    with tarfile.open(path, "w:gz") as archive:
        archive.add(member, arcname=member.name)
    return str(path)


# checks against the recorded outputs -------------------------------------------------------------
def state_is(wanted: str) -> Callable[[Any], None]:
    def check(response: Any) -> None:
        state = response.result.entity.status.state
        assert state == wanted, f"state {state}, recorded {wanted}"
    return check


def one_data_set(response: Any) -> None:
    found = response.result.data_sets
    assert len(found) == 1, f"{len(found)} data sets, the notebook takes the first of 1"


def count_is(expected_count: int) -> Callable[[int], None]:
    def check(count: int) -> None:
        assert count == expected_count, f"count {count}, {expected_count} stored by the replay"
    return check


def measured(wos: Any, instance_id: str) -> dict[str, float]:
    """Every metric of the instance's measurements (a verification read through the SDK, the
    one show_metrics makes; not a call of the notebook)."""
    now = datetime.now()
    found = wos.monitor_instances.list_measurements(
        monitor_instance_id=instance_id, start=now - timedelta(days=7), end=now + timedelta(days=1)
    ).result.to_dict()["measurements"]
    return {metric["id"]: metric["value"] for m in found for value in m["entity"]["values"]
            for metric in value["metrics"]}


def replay(transport: Transport, tmp_path: Path) -> Ledger:  # noqa: PLR0915 - one flow, in order
    """The notebook's OpenScale calls, cell by cell."""
    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
    from ibm_watson_openscale import APIClient
    from ibm_watson_openscale.supporting_classes.payload_record import PayloadRecord
    from sklearn.metrics import roc_auc_score

    v2, enums = sdk_modules()
    ledger = Ledger("sagemaker-notebook")
    existing_world(transport)
    # c24: IAMAuthenticator(apikey=CLOUD_API_KEY), APIClient(authenticator, service_url); the
    # notebook gives no instance id: the SDK asks IBM Cloud's resource controller for it
    # (get_instance_guid, only for IBM's own service URLs), which is not emulated: given here
    wos = ledger.call("c24 APIClient(...)", lambda: APIClient(
        authenticator=IAMAuthenticator(apikey=API_KEY, url=transport.iam_url),
        service_url=transport.wos_url, service_instance_id=DEFAULT_INSTANCE_ID),
        check=_has_notebook_monitors)
    if wos is None:
        return ledger
    ledger.call("c26 data_marts.show", lambda: printed(wos.data_marts.show),
                check=_shown)
    marts = ledger.call("c27 data_marts.list", lambda: wos.data_marts.list().result.data_marts,
                        check=lambda found: _length(found, 1, "data marts (existing one used)"))
    data_mart_id = marts[0].metadata.id if marts else ""
    ledger.call("c28 data_marts.get", lambda: wos.data_marts.get(data_mart_id).result.to_dict(),
                check=lambda doc: assert_same_shape(doc, RECORDED_DATA_MART),
                needs=["c27 data_marts.list"])
    providers = ledger.call("c33 service_providers.list",
                            lambda: wos.service_providers.list().result.service_providers,
                            check=lambda found: _length(
                                [p for p in found if p.entity.name == SERVICE_PROVIDER_NAME], 1,
                                f"providers named {SERVICE_PROVIDER_NAME!r}"))
    for provider in providers or []:
        if provider.entity.name == SERVICE_PROVIDER_NAME:
            ledger.call("c33 service_providers.delete",
                        lambda p=provider: wos.service_providers.delete(p.metadata.id),
                        needs=["c33 service_providers.list"])
    added = ledger.call("c34 service_providers.add", lambda: wos.service_providers.add(
        name=SERVICE_PROVIDER_NAME, description="AWS Service Provider",
        service_type=enums.ServiceTypes.AMAZON_SAGEMAKER, operational_space_id="production",
        credentials=v2.SageMakerCredentials(access_key_id=ACCESS_KEY,
                                            secret_access_key=SECRET_KEY, region=REGION),
        background_mode=False), check=state_is("active"))
    provider_id = added.result.metadata.id if added else ""
    ledger.call("c35 service_providers.show", lambda: printed(wos.service_providers.show),
                check=_shown, needs=["c34 service_providers.add"])
    listing = ledger.call("c36 service_providers.list_assets",
                          lambda: deployments(wos, data_mart_id, provider_id),
                          check=_lists_the_notebooks_deployment,
                          needs=["c27 data_marts.list", "c34 service_providers.add"])
    # c37: pick the deployment by its guid
    picked = next((r for r in (listing or {}).get("resources", [])
                   if r["metadata"]["guid"] == RECORDED_GUID), {})
    subscription = ledger.call("c47 subscriptions.add", lambda: _subscribe(
        wos, data_mart_id, provider_id, picked), check=state_is("active"),
        needs=["c36 service_providers.list_assets"])
    subscription_id = subscription.result.metadata.id if subscription else ""
    ledger.call("c49 subscriptions.show", lambda: printed(wos.subscriptions.show),
                check=_shown,
                needs=["c47 subscriptions.add"])
    ledger.call("c53 subscriptions.get", lambda: wos.subscriptions.get(subscription_id)
                .result.to_dict(), check=_as_recorded_subscription,
                needs=["c47 subscriptions.add"])
    # c54/c55: the endpoint's recorded answer to one row; c58: sleep 5, then the payload set
    transport.sleep(5)
    payload_sets = ledger.call("c58 data_sets.list(payload_logging)", lambda: wos.data_sets.list(
        type=enums.DataSetTypes.PAYLOAD_LOGGING, target_target_id=subscription_id,
        target_target_type=enums.TargetTypes.SUBSCRIPTION), check=one_data_set,
        needs=["c47 subscriptions.add"])
    payload_id = payload_sets.result.data_sets[0].metadata.id if payload_sets else ""
    # c59: a FLAT values list (one scoring); response from the endpoint's answer
    request_data = {"fields": FEATURES, "values": [float(s) for s in ONE_ROW.split(",")]}
    response_data = {"fields": list(ONE_ROW_ANSWER["predictions"][0]),
                     "values": [list(x.values()) for x in ONE_ROW_ANSWER["predictions"]]}
    ledger.call("c62 data_sets.store_records(payload, 1 scoring)",
                lambda: wos.data_sets.store_records(
                    data_set_id=payload_id, background_mode=False, request_body=[PayloadRecord(
                        scoring_id="c4951a50-b2d1-42b0-9a98-27c581a0c8b4", request=request_data,
                        response=response_data, response_time=460)]),
                check=lambda r: _equal(r.result.state, "active", "request state"),
                needs=["c58 data_sets.list(payload_logging)"])
    transport.sleep(5)
    ledger.call("c62 data_sets.get_records_count(payload)",
                lambda: wos.data_sets.get_records_count(payload_id), check=count_is(1),
                needs=["c62 data_sets.store_records(payload, 1 scoring)"])
    ledger.call("c63 data_sets.show_records(payload)",
                lambda: printed(lambda: wos.data_sets.show_records(data_set_id=payload_id)),
                check=_shown,
                needs=["c58 data_sets.list(payload_logging)"])
    # c67: sleep 10, then the quality monitor
    transport.sleep(10)
    target = v2.Target(target_type=enums.TargetTypes.SUBSCRIPTION, target_id=subscription_id)
    quality = ledger.call("c67 monitor_instances.create(quality)",
                          lambda: wos.monitor_instances.create(
                              data_mart_id=data_mart_id, background_mode=False,
                              monitor_definition_id=wos.monitor_definitions.MONITORS.QUALITY.ID,
                              target=target, parameters={"min_feedback_data_size": 10},
                              thresholds=[{"metric_id": "area_under_roc", "type": "lower_limit",
                                           "value": .80}]),
                          check=state_is("active"), needs=["c47 subscriptions.add"])
    quality_id = quality.result.metadata.id if quality else ""
    feedback_sets = ledger.call("c72 data_sets.list(feedback)", lambda: wos.data_sets.list(
        type=enums.DataSetTypes.FEEDBACK, target_target_id=subscription_id,
        target_target_type=enums.TargetTypes.SUBSCRIPTION), check=one_data_set,
        needs=["c47 subscriptions.add"])
    feedback_id = feedback_sets.result.data_sets[0].metadata.id if feedback_sets else ""
    transport.sleep(10)  # c74: "It gives enough time for dataset creation"
    columns, rows = feedback_table()
    ledger.call("c74 data_sets.store_records(feedback, 20 rows)",
                lambda: wos.data_sets.store_records(
                    feedback_id, request_body=[{"fields": columns, "values": rows}],
                    background_mode=False),
                check=lambda r: _equal(r.result.state, "active", "request state"),
                needs=["c72 data_sets.list(feedback)"])
    ledger.call("c75 data_sets.print_records_schema(feedback)", lambda: printed(
        lambda: wos.data_sets.print_records_schema(data_set_id=feedback_id)),
        check=lambda out: _schema_lists(out, "Risk"), needs=["c72 data_sets.list(feedback)"])
    ledger.call("c76 data_sets.get_records_count(feedback)",
                lambda: wos.data_sets.get_records_count(data_set_id=feedback_id),
                check=count_is(len(rows)),
                needs=["c74 data_sets.store_records(feedback, 20 rows)"])
    ledger.call("c77 monitor_instances.run(quality)", lambda: wos.monitor_instances.run(
        monitor_instance_id=quality_id, background_mode=False).result,
        check=lambda run: _equal(run.entity.status.state, "finished", "run state"),
        needs=["c67 monitor_instances.create(quality)"])
    labels = [row[columns.index("Risk")] for row in rows]
    auc = float(roc_auc_score(labels, feedback_scores()))
    transport.sleep(5)
    ledger.call("c78 monitor_instances.show_metrics(quality)", lambda: printed(
        lambda: wos.monitor_instances.show_metrics(monitor_instance_id=quality_id)),
        check=lambda out: _binary_quality_shown(out, measured(wos, quality_id), auc),
        needs=["c67 monitor_instances.create(quality)"])
    ledger.call("c82 data_sets.print_records_schema(payload)", lambda: printed(
        lambda: wos.data_sets.print_records_schema(data_set_id=payload_id)),
        check=lambda out: _schema_lists(out, "predicted_label"),
        needs=["c58 data_sets.list(payload_logging)"])
    # c87/c88: 40 rows scored by the endpoint (answer not kept in the notebook: same shape)
    scorings = json.loads((DATA / "credit_risk_scoring_recoded.json").read_text())
    answer = linear_learner_answer([round(0.1 + 0.02 * i, 4) for i in range(len(scorings))])
    ledger.call("c89 data_sets.store_records(payload, 40 scorings)",
                lambda: wos.data_sets.store_records(data_set_id=payload_id, request_body=[
                    PayloadRecord(scoring_id="b7e3c1d2-40-rows", response_time=460,
                                  request={"fields": FEATURES, "values": scorings},
                                  response={"fields": list(answer["predictions"][0]),
                                            "values": [list(x.values())
                                                       for x in answer["predictions"]]})]),
                check=lambda r: _equal(r.status_code, 202, "HTTP status"),
                needs=["c58 data_sets.list(payload_logging)"])
    transport.sleep(5)
    ledger.call("c89 data_sets.get_records_count(payload)",
                lambda: wos.data_sets.get_records_count(payload_id),
                check=count_is(1 + len(scorings)),
                needs=["c89 data_sets.store_records(payload, 40 scorings)"])
    ledger.call("c90 data_sets.show_records(payload)",
                lambda: printed(lambda: wos.data_sets.show_records(payload_id)),
                check=_shown,
                needs=["c58 data_sets.list(payload_logging)"])
    fairness = ledger.call("c92 monitor_instances.create(fairness)",
                           lambda: wos.monitor_instances.create(
                               data_mart_id=data_mart_id, background_mode=False,
                               monitor_definition_id=wos.monitor_definitions.MONITORS
                               .FAIRNESS.ID, target=target, parameters=FAIRNESS_PARAMETERS),
                           check=state_is("active"), needs=["c47 subscriptions.add"])
    transport.sleep(20)  # c94: "When you create fairness monitor, initial run is also created"
    payload_rows = [request_data["values"], *scorings]
    payload_labels = [ONE_ROW_ANSWER["predictions"][0]["predicted_label"],
                      *(p["predicted_label"] for p in answer["predictions"])]
    ledger.call("c94 monitor_instances.show_metrics(fairness)", lambda: printed(
        lambda: wos.monitor_instances.show_metrics(
            monitor_instance_id=fairness.result.metadata.id)),
        check=lambda out: _fairness_shown(out, wos, fairness.result.metadata.id,
                                          payload_rows, payload_labels),
        needs=["c92 monitor_instances.create(fairness)"])
    ledger.call("c98 monitor_instances.upload_drift_model",
                lambda: wos.monitor_instances.upload_drift_model(
                    model_path=drift_archive(tmp_path), data_mart_id=data_mart_id,
                    subscription_id=subscription_id), needs=["c47 subscriptions.add"])
    instances = ledger.call("c99 monitor_instances.list",
                            lambda: wos.monitor_instances.list().result.monitor_instances,
                            check=lambda found: _no_drift(found, subscription_id))
    for instance in instances or []:
        if (instance.entity.monitor_definition_id == "drift"
                and instance.entity.target.target_id == subscription_id):
            ledger.call("c99 monitor_instances.delete(drift)",
                        lambda i=instance: wos.monitor_instances.delete(i.metadata.id))
    drift = ledger.call("c100 monitor_instances.create(drift)",
                        lambda: wos.monitor_instances.create(
                            data_mart_id=data_mart_id, background_mode=False,
                            monitor_definition_id=wos.monitor_definitions.MONITORS.DRIFT.ID,
                            target=target, parameters=DRIFT_PARAMETERS),
                        check=state_is("active"), needs=["c47 subscriptions.add"])
    ledger.call("c101 monitor_instances.run(drift)", lambda: wos.monitor_instances.run(
        monitor_instance_id=drift.result.metadata.id, background_mode=False),
        check=lambda r: _equal(r.result.entity.status.state, "finished", "run state"),
        needs=["c100 monitor_instances.create(drift)"])
    transport.sleep(5)
    ledger.call("c102 monitor_instances.show_metrics(drift)", lambda: printed(
        lambda: wos.monitor_instances.show_metrics(monitor_instance_id=drift.result.metadata.id)),
        needs=["c100 monitor_instances.create(drift)"])
    ledger.call("c104 monitor_instances.create(explainability)",
                lambda: wos.monitor_instances.create(
                    data_mart_id=data_mart_id, background_mode=False,
                    monitor_definition_id=wos.monitor_definitions.MONITORS.EXPLAINABILITY.ID,
                    target=target, parameters={"enabled": True}),
                check=state_is("active"), needs=["c47 subscriptions.add"])
    ledger.call("c107 data_sets.show_records(payload)", lambda: printed(
        lambda: wos.data_sets.show_records(data_set_id=payload_id)),
        check=_shown,
        needs=["c58 data_sets.list(payload_logging)"])
    frame = ledger.call("c108 data_sets.get_list_of_records(pandas)",
                        lambda: wos.data_sets.get_list_of_records(
                            limit=5, data_set_id=payload_id, output_type="pandas").result,
                        check=lambda df: _equal(len(df["scoring_id"].tolist()), 5, "rows"),
                        needs=["c58 data_sets.list(payload_logging)"])
    scoring_ids = frame["scoring_id"].tolist() if frame is not None else []
    tasks = ledger.call("c108 monitor_instances.explanation_tasks",
                        lambda: wos.monitor_instances.explanation_tasks(
                            scoring_ids=scoring_ids, explanation_types=["lime", "contrastive"],
                            subscription_id=subscription_id).result,
                        check=lambda r: assert_same_shape(r.to_dict(), RECORDED_EXPLANATION_TASKS),
                        needs=["c108 data_sets.get_list_of_records(pandas)"])
    ledger.call("c109 monitor_instances.get_explanation_tasks",
                lambda: wos.monitor_instances.get_explanation_tasks(
                    explanation_task_id=tasks.to_dict()["metadata"]["explanation_task_ids"][0],
                    subscription_id=subscription_id).result.to_dict(),
                check=lambda doc: assert_same_shape(doc, RECORDED_EXPLANATION_TASK),
                needs=["c108 monitor_instances.explanation_tasks"])
    return ledger


FAIRNESS_PARAMETERS = {  # cell 92
    "features": [
        {"feature": "Sex_female", "majority": [[0, 0]], "minority": [[1, 1]], "threshold": 0.95},
        {"feature": "Age", "majority": [[26, 75]], "minority": [[18, 25]], "threshold": 0.95},
    ],
    "favourable_class": [0], "unfavourable_class": [1], "min_records": 30,
}
DRIFT_PARAMETERS = {"min_samples": 30, "drift_threshold": 0.1, "train_drift_model": False,
                    "enable_model_drift": True, "enable_data_drift": True}  # cell 100


def _subscribe(wos: Any, data_mart_id: str, provider_id: str, details: dict[str, Any]) -> Any:
    """Cells 41-47: asset, deployment and properties from the picked deployment."""
    v2, enums = sdk_modules()
    asset = details["entity"]["asset"]
    return wos.subscriptions.add(
        data_mart_id=data_mart_id, service_provider_id=provider_id,
        asset=v2.Asset(asset_id=asset["asset_id"], name=asset["name"], url=asset["url"],
                       asset_type=asset.get("asset_type", "model"),
                       problem_type=enums.ProblemType.BINARY_CLASSIFICATION,
                       input_data_type=enums.InputDataType.STRUCTURED),
        deployment=v2.AssetDeploymentRequest(
            deployment_id=details["metadata"]["guid"], url=details["metadata"]["url"],
            name=details["entity"]["name"], deployment_type=details["entity"]["type"],
            scoring_endpoint=v2.ScoringEndpointRequest(
                url=details["entity"]["scoring_endpoint"]["url"])),
        asset_properties=v2.AssetPropertiesRequest(
            label_column="Risk", prediction_field="predicted_label", probability_fields=["score"],
            training_data_reference=v2.TrainingDataReference(
                type="cos",
                location=v2.COSTrainingDataReferenceLocation(
                    bucket="<BUCKET_NAME>", file_name="credit_risk_training_recoded.csv"),
                connection=v2.COSTrainingDataReferenceConnection(
                    resource_instance_id="<COS_RESOURCE_CRN>",
                    url="https://s3-api.us-geo.objectstorage.softlayer.net",
                    api_key="<COS_API_KEY_ID>", iam_url="https://iam.ng.bluemix.net/oidc/token")),
            training_data_schema=None, input_data_schema=None, output_data_schema=None,
            feature_fields=FEATURES, categorical_fields=CATEGORICAL),
        background_mode=False)


def _equal(actual: Any, wanted: Any, what: str) -> None:
    assert actual == wanted, f"{what} {actual!r}, recorded {wanted!r}"


def _length(found: list, wanted: int, what: str) -> None:
    assert len(found) == wanted, f"{len(found)} {what}, expected {wanted}"


def _shown(out: str) -> None:
    """The SDK printed its table (wide tables are cut by the SDK, so their cells are not
    checked: the reads behind them are checked by the calls that return documents)."""
    assert out.strip(), "the SDK printed nothing"


def _schema_lists(out: str, field: str) -> None:
    """A schema table (one row per field, narrow enough to be printed whole) lists ``field``."""
    assert f" {field} " in out, f"the schema printed does not list {field!r}"


def _has_notebook_monitors(wos: Any) -> None:
    """The client read the monitor definitions the notebook's cells use."""
    for name in ("QUALITY", "FAIRNESS", "DRIFT", "EXPLAINABILITY"):
        assert getattr(wos.monitor_definitions.MONITORS, name).ID, f"no {name} definition"


def _lists_the_notebooks_deployment(listing: dict[str, Any]) -> None:
    """Cell 36: ``{resources, count}`` holding the endpoint under its recorded guid and asset."""
    assert set(listing) == {"resources", "count"}, f"keys {sorted(listing)}"
    assert listing["count"] == len(listing["resources"]) == 2, f"count {listing['count']}"
    picked = [r for r in listing["resources"] if r["metadata"]["guid"] == RECORDED_GUID]
    assert len(picked) == 1, "the recorded guid is not listed"
    assert_same_shape(picked[0], RECORDED_RESOURCE)
    assert picked[0]["entity"]["asset"]["asset_id"] == RECORDED_ASSET_ID


def _as_recorded_subscription(doc: dict[str, Any]) -> None:
    """Cell 53: the same document shape, the properties as sent, the meta columns listed."""
    assert_same_shape(doc, RECORDED_SUBSCRIPTION)
    props = doc["entity"]["asset_properties"]
    assert props["feature_fields"] == FEATURES and props["categorical_fields"] == CATEGORICAL
    names = [f["name"] for f in props["output_data_schema"]["fields"]]
    assert names[:4] == [f["name"] for f in _META_FIELDS], f"output_data_schema fields {names}"


def _binary_quality_shown(out: str, metrics: dict[str, float], auc: float) -> None:
    """Cell 78: more than 10 metric rows (the SDK's note), area_under_roc as sklearn computes
    it from the feedback labels and the endpoint's scores."""
    assert "First 10 records were displayed" in out, "10 or fewer metric rows shown"
    assert "area_under_roc" in metrics, f"metrics {sorted(metrics)}"
    assert metrics["area_under_roc"] == pytest.approx(auc, abs=1e-6), (
        f"area_under_roc {metrics['area_under_roc']}, sklearn {auc}")


def _hand_disparate_impact(rows: list[list[float]], labels: list[int], feature: str,
                           reference: tuple[float, float], monitored: tuple[float, float]
                           ) -> float:
    """Disparate impact in percent, counted by hand: favourable (class 0) rate of the
    monitored range over that of the reference range (IBM docs, "Disparate impact")."""
    column = FEATURES.index(feature)

    def rate(low: float, high: float) -> float:
        group = [label for row, label in zip(rows, labels, strict=True)
                 if low <= row[column] <= high]
        return sum(1 for label in group if label == 0) / len(group)

    return 100 * rate(*monitored) / rate(*reference)


def _fairness_shown(out: str, wos: Any, instance_id: str, rows: list[list[float]],
                    labels: list[int]) -> None:
    """Cell 94 (its table is not kept in the notebook): the shape IBM's other recorded
    fairness tables show (CP4D "Watson OpenScale and Watson ML Engine" cell 134): one
    fairness_value row per feature, lower_limit 80.0 when only the features' thresholds were
    sent, tags ['feature:<f>', 'fairness_metric_type:fairness', 'feature_value:<group>']; the
    values are the payload records' disparate impact counted by hand."""
    assert "fairness_value" in out, "no fairness_value row shown"
    now = datetime.now()
    found = wos.monitor_instances.list_measurements(
        monitor_instance_id=instance_id, start=now - timedelta(days=7),
        end=now + timedelta(days=1)).result.to_dict()["measurements"]
    assert len(found) == 1, f"{len(found)} measurements, the initial run takes one"
    shown = {tuple(f"{t['id']}:{t['value']}" for t in value["tags"]): value["metrics"]
             for value in found[0]["entity"]["values"]}
    expected = {
        ("feature:Sex_female", "fairness_metric_type:fairness", "feature_value:1-1"):
            _hand_disparate_impact(rows, labels, "Sex_female", (0, 0), (1, 1)),
        ("feature:Age", "fairness_metric_type:fairness", "feature_value:18-25"):
            _hand_disparate_impact(rows, labels, "Age", (26, 75), (18, 25)),
    }
    assert set(shown) == set(expected), f"tags {sorted(shown)}"
    for tags, value in expected.items():
        (metric,) = shown[tags]
        assert metric["id"] == "fairness_value", metric
        assert metric["value"] == pytest.approx(value, abs=1e-3), (tags, metric["value"], value)
        assert metric["lower_limit"] == 80.0, metric


def _no_drift(found: list, subscription_id: str) -> None:
    """Cell 99 printed nothing: no drift monitor on the subscription yet."""
    drift = [i for i in found if i.entity.monitor_definition_id == "drift"
             and i.entity.target.target_id == subscription_id]
    assert not drift, f"{len(drift)} drift monitors listed"


@pytest.mark.monitor
def test_sagemaker_notebook_replayed_call_by_call(transport: Transport, tmp_path: Path) -> None:
    ledger = replay(transport, tmp_path)
    print("\n" + ledger.summary(transport.name))
    ledger.assert_matches(expected())


def test_expected_ledger_names_only_calls_of_the_notebook() -> None:
    """Every named exception is a call of the flow, and a refused call is never also pending
    as served (the dicts stay honest as the emulator changes)."""
    named = {**NOT_EMULATED_CALLS, **FOLLOW_NOT_EMULATED, **PENDING_IN_EMULATOR,
             **DIFFERS_FROM_RECORDING}
    assert set(named) <= set(CALLS)
    assert len(CALLS) == len(set(CALLS)) == 39
    assert set(expected().values()) <= {"served", NOT_EMULATED, "missed"}
