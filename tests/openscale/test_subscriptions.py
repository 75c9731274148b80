"""Subscriptions and their data sets: what a subscription creates and deletes, and how it and
its data sets, records and runs become ready, one read at a time or on a realistic clock.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from .conftest import (
    EP1,
    FEATURES,
    V2,
    _add_subscription,
    _count_reaches,
    _data_set,
    _feedback,
    _list_data_sets,
    _payload,
    _quality,
    _scored_subscription,
    _sdk,
    _store,
)

REALISTIC = pytest.mark.parametrize("backend", ["realistic"], indirect=True)


# subscriptions and data sets -------------------------------------------------------------
def test_subscription_creates_data_sets_and_sdk_default_monitors(client, subscription_id):
    sub = client.subscriptions.get(subscription_id).result
    assert sub.entity.status.state == "active"
    assert sub.entity.asset.input_data_type == "unstructured_image"
    assert sub.entity.asset.problem_type == "multiclass"
    monitors = client.monitor_instances.list(target_target_id=subscription_id).result
    kinds = sorted(m.entity.monitor_definition_id for m in monitors.monitor_instances)
    assert kinds == ["model_health", "performance"]
    payload = _data_set(client, subscription_id, "payload_logging")
    schema = client.data_sets.get(payload).result.entity.data_schema.fields
    assert [f["name"] for f in schema][:5] == [
        "scoring_id",
        "scoring_timestamp",
        "deployment_id",
        "asset_revision",
        "scoring_input",
    ]
    assert _data_set(client, subscription_id, "feedback")
    found = client.subscriptions.list(deployment_deployment_id=EP1).result.subscriptions
    assert [s.metadata.id for s in found] == [subscription_id]
def test_subscription_with_unknown_data_mart_is_404(client, provider_id):
    from ibm_cloud_sdk_core import ApiException

    v2, _ = _sdk()
    with pytest.raises(ApiException) as err:
        client.subscriptions.add(
            data_mart_id="missing",
            service_provider_id=provider_id,
            asset=v2.Asset(asset_id="a", asset_type="model"),
            deployment=v2.AssetDeploymentRequest(
                deployment_id="d", name="d", deployment_type="online"
            ),
            asset_properties=v2.AssetPropertiesRequest(),
        )
    assert err.value.code == 404
    assert "data mart with id 'missing'" in err.value.message
def test_deleting_subscription_deletes_its_data_sets_records_and_monitors(
    client, backend, data_mart_id, subscription_id
):
    feedback = _data_set(client, subscription_id, "feedback")
    _feedback(client, feedback, [1, 2], [1, 2])
    _quality(client, data_mart_id, subscription_id)
    client.subscriptions.delete(subscription_id, background_mode=False)
    assert client.subscriptions.list().result.subscriptions == []
    assert client.data_sets.list().result.data_sets == []
    assert client.monitor_instances.list().result.monitor_instances == []
    assert backend.records.count(feedback) == 0
    assert backend.requests == {}
def test_deleting_a_data_set_deletes_its_records_and_pending_requests(
    client, backend, subscription_id
):
    from ibm_cloud_sdk_core import ApiException

    feedback = _data_set(client, subscription_id, "feedback")
    client.data_sets.store_records(feedback, [{"fields": ["target"], "values": [[1]]}])
    client.data_sets.delete(feedback, background_mode=False)
    assert backend.requests == {}
    with pytest.raises(ApiException) as err:
        client.data_sets.get_records_count(feedback)
    assert err.value.code == 404
def test_subscription_output_schema_grows_from_the_first_payload(client, data_mart_id,
                                                                 provider_id):
    subscription = _scored_subscription(client, data_mart_id, provider_id)

    def columns() -> dict:
        sub = client.subscriptions.get(subscription).result.to_dict()
        fields = sub["entity"]["asset_properties"]["output_data_schema"]["fields"]
        return {f["name"]: f["type"] for f in fields}

    assert columns() == {"scoring_id": "string", "scoring_timestamp": "timestamp",
                         "deployment_id": "string", "asset_revision": "string"}
    payload = _data_set(client, subscription, "payload_logging")
    _store(client, payload, [_payload(
        scoring_id="s", request={"fields": FEATURES, "values": [12, 4152, 29]},
        response={"fields": ["score", "predicted_label"], "values": [[0.2, 0]]})], 1)
    assert columns()["predicted_label"] == "integer" and columns()["score"] == "double"


# nothing is instantly ready ----------------------------------------------------------------
def test_subscription_is_preparing_when_created_then_active(client, data_mart_id, provider_id):
    created = _add_subscription(client, data_mart_id, provider_id)  # the SDK reads it once
    assert created.entity.status.state == "preparing"
    states = [client.subscriptions.get(created.metadata.id).result.entity.status.state
              for _ in range(2)]
    assert states == ["active", "active"]
def test_subscriptions_add_waits_until_active(client, data_mart_id, provider_id, capsys):
    done = _add_subscription(client, data_mart_id, provider_id, background=False)
    assert done.entity.status.state == "active"
    assert "\nactive" in capsys.readouterr().out  # the SDK's wait loop printed the state
def test_monitor_instances_are_preparing_then_active(client, data_mart_id, provider_id):
    v2, enums = _sdk()
    subscription = _add_subscription(client, data_mart_id, provider_id).metadata.id
    defaults = client.monitor_instances.list(target_target_id=subscription).result
    assert {m.entity.status.state for m in defaults.monitor_instances} == {"preparing"}
    created = client.monitor_instances.create(
        data_mart_id=data_mart_id,
        monitor_definition_id="quality",
        target=v2.Target(target_type=enums.TargetTypes.SUBSCRIPTION, target_id=subscription),
        parameters={"min_feedback_data_size": 1},
    ).result
    assert created.entity.status.state == "preparing"
    states = [client.monitor_instances.get(created.metadata.id).result.entity.status.state
              for _ in range(2)]
    assert states == ["preparing", "active"]
def test_data_sets_appear_after_the_subscription(client, backend, subscription_id):
    """Listed neither by type nor by id before OpenScale has created them."""
    hidden = {d["entity"]["type"]: d["metadata"]["id"] for d in backend.resources["data_sets"]
              .values()}
    from ibm_cloud_sdk_core import ApiException

    for _ in range(2):  # waiting for the subscription, then being created
        with pytest.raises(ApiException) as err:
            client.data_sets.get(hidden["feedback"])
        assert err.value.code == 404
    # one read while OpenScale waits for the active subscription, one while it creates them
    assert _list_data_sets(client, subscription_id, "payload_logging") == []
    assert _list_data_sets(client, subscription_id, "payload_logging") == []
    listed = _list_data_sets(client, subscription_id, "payload_logging")
    assert [d.metadata.id for d in listed] == [hidden["payload_logging"]]
    assert client.data_sets.get(hidden["feedback"]).result.entity.type == "feedback"
def test_records_are_not_accepted_before_their_data_set_exists(rsps, backend, token,
                                                               subscription_id):
    payload = next(d["metadata"]["id"] for d in backend.resources["data_sets"].values()
                   if d["entity"]["type"] == "payload_logging")
    reply = requests.post(
        f"{V2}/data_sets/{payload}/records",
        json=[{"fields": ["scoring_input"], "values": [[1]]}],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 404
def test_quality_run_evaluates_only_the_counted_feedback(client, data_mart_id, subscription_id):
    """Evaluating right after storing (before the count caught up) sees too little."""
    quality = _quality(client, data_mart_id, subscription_id, minimum=3)
    feedback = _data_set(client, subscription_id, "feedback")
    body = [{"fields": ["scoring_input", "target", "_original_prediction"],
             "values": [[[0], 1, 1], [[1], 2, 2], [[2], 3, 3]]}]
    client.data_sets.store_records(feedback, body, background_mode=False)
    early = client.monitor_instances.run(quality, background_mode=False).result.entity.status
    assert (early.state, early.failure.errors[0].code) == ("error", "AIQQS0013E")
    _count_reaches(client, feedback, 3)
    assert client.monitor_instances.run(quality, background_mode=False).result.entity.status \
        .state == "finished"
def test_monitor_run_is_running_then_finished_and_measured_after(
    client, data_mart_id, subscription_id
):
    quality = _quality(client, data_mart_id, subscription_id, minimum=2)
    _feedback(client, _data_set(client, subscription_id, "feedback"), [1, 2], [1, 2])
    run = client.monitor_instances.run(quality).result  # background: as created
    assert run.entity.status.state == "running" and run.entity.status.completed_at is None
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    window = {"start": end - dt.timedelta(hours=1), "end": end, "run_id": run.metadata.id}
    measured = client.monitor_instances.list_measurements(quality, **window).result
    assert measured.measurements == []
    states = [client.monitor_instances.get_run_details(quality, run.metadata.id).result
              .entity.status.state for _ in range(2)]
    assert states == ["running", "finished"]
    measured = client.monitor_instances.list_measurements(quality, **window).result
    assert len(measured.measurements) == 1
def test_reset_forgets_every_walk(client, backend, subscription_id):
    backend.reset()
    assert backend.lifecycles.peek(subscription_id) is None
    assert backend.requests == {} and backend.runs == {}
@REALISTIC
def test_realistic_pace_subscription_and_data_sets_follow_the_clock(
    client, backend, clock, data_mart_id, provider_id
):
    """Compressed: the 2 s of ``preparing`` and the 5-10 s before the data sets last
    ``Pace.seconds`` each (0.2 s); repeated reads change nothing before that."""
    subscription = _add_subscription(client, data_mart_id, provider_id).metadata.id
    for _ in range(3):
        assert client.subscriptions.get(subscription).result.entity.status.state == "preparing"
        assert _list_data_sets(client, subscription, "payload_logging") == []
    clock.advance(backend.pace.seconds(backend.lifecycles.delays.subscription_preparing_s))
    assert client.subscriptions.get(subscription).result.entity.status.state == "active"
    clock.advance(backend.pace.seconds(backend.lifecycles.delays.feedback_data_set_s))
    assert len(_list_data_sets(client, subscription, "feedback")) == 1
@REALISTIC
def test_realistic_pace_counts_catch_up_after_the_request_is_active(
    client, backend, clock, data_mart_id, provider_id
):
    subscription = _add_subscription(client, data_mart_id, provider_id).metadata.id
    clock.advance(1.0)
    feedback = _data_set(client, subscription, "feedback")
    raw = client.data_sets.store_records(feedback, [{"fields": ["target"], "values": [[1], [2]]}])
    request_id = raw.headers["Location"].rsplit("/", 1)[-1]
    step = backend.pace.seconds(backend.lifecycles.delays.records_request_s)
    assert client.data_sets.get_update_status(feedback, request_id).result.state == "preparing"
    assert client.data_sets.get_records_count(feedback) == 0
    clock.advance(step)
    assert client.data_sets.get_update_status(feedback, request_id).result.state == "active"
    assert client.data_sets.get_records_count(feedback) == 0  # stored, not counted yet
    clock.advance(backend.pace.seconds(backend.lifecycles.delays.records_count_lag_s))
    assert client.data_sets.get_records_count(feedback) == 2
