"""Records: the shapes IBM's clients store, read back as sent; malformed bodies refused by name;
and a server that survives them over loopback HTTP.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import requests

from mlmonitor_harness.sdk_clock import instant_sdk_waits
from mlmonitor_lib.emulators.iam import make_router as iam_router
from mlmonitor_lib.emulators.openscale import DEFAULT_INSTANCE_ID, make_router
from mlmonitor_lib.emulators.pace import Pace

from .conftest import (
    API_KEY,
    AWS_SECRET,
    EP1,
    RNG,
    V2,
    _add_subscription,
    _count_reaches,
    _data_set,
    _feedback,
    _payload,
    _same,
    _sdk,
    _store,
)


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


# records as the service keeps them: the shapes IBM's clients send ---------------------------
# Each shape names its source (mlmonitor_lib/emulators/openscale/record_shapes.py says more).
CREDIT_FIELDS = [f"f{i}" for i in range(59)] + ["LoanDuration", "LoanAmount"]
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
