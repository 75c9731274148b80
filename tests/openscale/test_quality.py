"""Quality monitors and their runs: thresholds, feedback minimums, multiclass and binary metrics
(checked by hand, numpy and scikit-learn), feedback scored on the endpoint, metrics counts.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from mlmonitor_lib.emulators.openscale.quality import quality_metrics

from .conftest import (
    FEATURES,
    REGION,
    RNG,
    _data_set,
    _feedback,
    _monitor,
    _quality,
    _scored_subscription,
    _sdk,
    _store,
    _subscribe,
)


# monitor instances, runs, metrics, measurements ---------------------------------------------
def test_monitor_instance_thresholds_round_trip_and_patch(client, data_mart_id, subscription_id):
    from ibm_watson_openscale.base_classes.watson_open_scale_v2 import JsonPatchOperation

    quality = _quality(client, data_mart_id, subscription_id)
    entity = client.monitor_instances.get(quality).result.entity
    assert [(t.metric_id, t.type, t.value) for t in entity.thresholds] == [
        ("accuracy", "lower_limit", 0.8)
    ]
    assert entity.parameters == {"min_feedback_data_size": 3}
    patch = [
        JsonPatchOperation(
            op="replace",
            path="/thresholds",
            value=[{"metric_id": "weighted_f_measure", "type": "lower_limit", "value": 0.5}],
        )
    ]
    client.monitor_instances.update(quality, patch)
    entity = client.monitor_instances.get(quality).result.entity
    assert [t.metric_id for t in entity.thresholds] == ["weighted_f_measure"]
def test_monitor_instance_threshold_on_unknown_metric_is_400(client, data_mart_id, subscription_id):
    from ibm_cloud_sdk_core import ApiException

    v2, _ = _sdk()
    with pytest.raises(ApiException) as err:
        client.monitor_instances.create(
            data_mart_id=data_mart_id,
            monitor_definition_id="quality",
            target=v2.Target(target_type="subscription", target_id=subscription_id),
            parameters={},
            thresholds=[v2.MetricThresholdOverride(metric_id="f1_score", type="lower_limit")],
        )
    assert err.value.code == 400
    assert "'f1_score' is not a metric of monitor 'quality'" in err.value.message
def test_second_quality_monitor_for_a_subscription_is_409(client, data_mart_id, subscription_id):
    from ibm_cloud_sdk_core import ApiException

    _quality(client, data_mart_id, subscription_id)
    with pytest.raises(ApiException) as err:
        _quality(client, data_mart_id, subscription_id)
    assert err.value.code == 409
def test_quality_run_with_too_little_feedback_says_how_many_more(
    client, data_mart_id, subscription_id
):
    quality = _quality(client, data_mart_id, subscription_id, minimum=10)
    _feedback(client, _data_set(client, subscription_id, "feedback"), [1, 2, 3], [1, 2, 3])
    run = client.monitor_instances.run(quality, background_mode=False).result
    assert run.entity.status.state == "error"
    message = run.entity.status.failure.errors[0].message
    assert "needs at least 10 feedback records" in message
    assert "holds 3: store 7 more feedback records" in message
def test_quality_run_hand_computed_confusion_matrix(client, data_mart_id, subscription_id):
    # labels  : 0 0 1 1 1 2
    # predict : 0 1 1 1 2 2   -> correct 4/6
    #             pred 0 1 2
    # true 0        [1 1 0]
    # true 1        [0 2 1]
    # true 2        [0 0 1]
    quality = _quality(client, data_mart_id, subscription_id, minimum=6, accuracy=0.5)
    _feedback(
        client,
        _data_set(client, subscription_id, "feedback"),
        [0, 0, 1, 1, 1, 2],
        [0, 1, 1, 1, 2, 2],
    )
    run = client.monitor_instances.run(quality, background_mode=False).result
    assert run.entity.status.state == "finished"
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    start = end - dt.timedelta(hours=1)
    listed = client.monitor_instances.list_measurements(
        quality, start=start, end=end, run_id=run.metadata.id
    ).result.measurements
    assert len(listed) == 1 and listed[0].entity.issue_count == 0
    details = client.monitor_instances.get_measurement_details(quality, listed[0].metadata.id)
    sources = {s.id: s.data for s in details.result.entity.sources}
    assert sources["confusion_matrix"] == {
        "labels": [0, 1, 2],
        "values": [[1, 1, 0], [0, 2, 1], [0, 0, 1]],
    }
    metrics = {m.id: m.value for m in listed[0].entity.values[0].metrics}
    # precision: 1/1, 3/3->2/3, 1/2 ; recall: 1/2, 2/3, 1/1 ; supports 2, 3, 1
    precision = (2 * 1.0 + 3 * (2 / 3) + 1 * 0.5) / 6
    recall = (2 * 0.5 + 3 * (2 / 3) + 1 * 1.0) / 6
    f1 = [2 * p * r / (p + r) for p, r in ((1.0, 0.5), (2 / 3, 2 / 3), (0.5, 1.0))]
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert metrics["weighted_precision"] == pytest.approx(precision)
    assert metrics["weighted_recall"] == pytest.approx(recall)
    assert metrics["weighted_f_measure"] == pytest.approx((2 * f1[0] + 3 * f1[1] + f1[2]) / 6)
    last = client.monitor_instances.get_metrics(quality, start=start, end=end).result
    values = {m.id: m.last.value[0] for m in last.groups[0].metrics}
    assert values["accuracy"] == pytest.approx(4 / 6)
    runs = client.monitor_instances.list_runs(quality).result.runs
    assert [r.metadata.id for r in runs] == [run.metadata.id]
def test_quality_run_below_threshold_records_violation(client, data_mart_id, subscription_id):
    quality = _quality(client, data_mart_id, subscription_id, minimum=4, accuracy=0.9)
    _feedback(client, _data_set(client, subscription_id, "feedback"), [1, 2, 3, 4], [1, 2, 0, 0])
    run = client.monitor_instances.run(quality, background_mode=False).result
    assert run.entity.status.state == "finished"
    assert "1 violated: accuracy 0.5000 < lower limit 0.9" in run.entity.status.message
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    found = client.monitor_instances.list_measurements(
        quality, start=end - dt.timedelta(hours=1), end=end, run_id=run.metadata.id
    ).result.measurements[0]
    assert found.entity.issue_count == 1
    accuracy = next(m for m in found.entity.values[0].metrics if m.id == "accuracy")
    assert (accuracy.value, accuracy.lower_limit) == (0.5, 0.9)
def test_quality_metrics_equal_independent_numpy_computation():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 10, 5000)
    predictions = np.where(rng.random(5000) < 0.8, labels, rng.integers(0, 10, 5000))
    result = quality_metrics([str(x) for x in labels], [str(x) for x in predictions])
    matrix = np.zeros((10, 10), int)
    np.add.at(matrix, (labels, predictions), 1)
    assert result.confusion_matrix == matrix.tolist()
    assert result.labels == list(range(10))
    tp, support, predicted = np.diag(matrix), matrix.sum(1), matrix.sum(0)
    precision, recall = tp / predicted, tp / support
    weights = support / support.sum()
    assert result.metrics["accuracy"] == pytest.approx(float((labels == predictions).mean()))
    assert result.metrics["weighted_precision"] == pytest.approx(float(weights @ precision))
    assert result.metrics["weighted_recall"] == pytest.approx(float(weights @ recall))
    f1 = 2 * precision * recall / (precision + recall)
    assert result.metrics["weighted_f_measure"] == pytest.approx(float(weights @ f1))
def test_quality_metrics_order_classes_naturally_and_keep_strings():
    result = quality_metrics(["10", "2", '"cat"'], ["2", "2", '"cat"'])
    assert result.labels == [2, 10, "cat"]
    assert result.confusion_matrix == [[1, 0, 0], [1, 0, 0], [0, 0, 1]]
def test_monitor_instance_delete_and_run_not_found(client, data_mart_id, subscription_id):
    from ibm_cloud_sdk_core import ApiException

    quality = _quality(client, data_mart_id, subscription_id)
    with pytest.raises(ApiException) as err:
        client.monitor_instances.get_run_details(quality, "no-run")
    assert err.value.code == 404
    client.monitor_instances.delete(quality, background_mode=False)
    ids = [m.metadata.id for m in client.monitor_instances.list().result.monitor_instances]
    assert quality not in ids
def test_quality_run_over_100k_feedback_records_is_exact(
    backend, data_mart_id, subscription_id, client
):
    """Correctness at scale; its speed is measured in bench/monitoring.py, not here."""
    feedback = _data_set(client, subscription_id, "feedback")
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, 100_000)
    predictions = np.where(rng.random(100_000) < 0.85, labels, (labels + 3) % 10)
    backend.records.append(
        feedback,
        (
            (f"r{i}", "t", str(lab), str(p), "{}")
            for i, (lab, p) in enumerate(zip(labels.tolist(), predictions.tolist(), strict=True))
        ),
    )
    quality = _quality(client, data_mart_id, subscription_id, minimum=100_000)
    run = backend.add_run(quality, {})
    assert run["entity"]["status"]["state"] == "running"
    assert backend.get_run(quality, run["metadata"]["id"])["entity"]["status"]["state"] == (
        "running"
    )
    assert backend.get_run(quality, run["metadata"]["id"])["entity"]["status"]["state"] == (
        "finished"
    )
    measured = backend.list_measurements(quality, None, None)[0]["entity"]["values"][0]
    accuracy = next(m["value"] for m in measured["metrics"] if m["id"] == "accuracy")
    assert accuracy == pytest.approx(float(np.mean(labels == predictions)))
def test_metrics_count_counts_the_measurements(client, data_mart_id, subscription_id):
    instance = _quality(client, data_mart_id, subscription_id, minimum=3)
    feedback = _data_set(client, subscription_id, "feedback")
    _feedback(client, feedback, [1, 2, 3], [1, 2, 0])
    for _ in range(2):
        client.monitor_instances.run(instance, background_mode=False)
    window = {"start": dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
              "end": dt.datetime.now(dt.UTC) + dt.timedelta(days=1)}
    counted = client.monitor_instances.get_metrics_count(instance, **window).result.to_dict()
    by_metric = {m["id"]: m["count"]["value"] for m in counted["groups"][0]["metrics"]}
    assert by_metric["accuracy"] == [2]
    last = client.monitor_instances.get_metrics(instance, **window).result.to_dict()
    assert {m["id"]: m["last"]["value"] for m in last["groups"][0]["metrics"]}["accuracy"] == [
        pytest.approx(2 / 3)]


# binary models: the thresholds and metrics OpenScale takes for them --------------------------
# A binary quality run recorded in IBM/watson-openscale-samples, "IBM Cloud/WML/notebooks/
# headless_subscription/OpenScale Headless Subscription - Cloud.ipynb": 30 "Risk", 70 "No Risk",
# every prediction "Risk", no probabilities.
RECORDED_BINARY_RUN = {"accuracy": 0.3, "area_under_roc": 0.5, "gini_coefficient": 0.0,
                       "label_skew": 0.8728715609439702, "log_loss": None, "brier_score": None,
                       "matthews_correlation_coefficient": 0.0}
def test_binary_metrics_reproduce_the_recorded_run_where_the_class_order_does_not_matter():
    from mlmonitor_lib.emulators.openscale.quality import binary_quality

    result = binary_quality(["Risk"] * 30 + ["No Risk"] * 70, ["Risk"] * 100, [None] * 100)
    for metric, expected in RECORDED_BINARY_RUN.items():
        assert result.metrics[metric] == pytest.approx(expected), metric
def test_binary_metrics_equal_scikit_learn():
    from sklearn import metrics as sk

    from mlmonitor_lib.emulators.openscale.quality import binary_quality

    labels = RNG.integers(0, 2, 500)
    scores = np.clip(labels * 0.3 + RNG.random(500) * 0.7, 0.01, 0.99).round(2)  # with ties
    predicted = (scores > 0.5).astype(int)
    got = binary_quality(labels.astype(float).tolist(), predicted.tolist(), scores.tolist())
    expected = {
        "accuracy": sk.accuracy_score(labels, predicted),
        "area_under_roc": sk.roc_auc_score(labels, scores),
        "precision": sk.precision_score(labels, predicted),
        "recall": sk.recall_score(labels, predicted),
        "true_positive_rate": sk.recall_score(labels, predicted),
        "f1_measure": sk.f1_score(labels, predicted),
        "log_loss": sk.log_loss(labels, scores),
        "brier_score": sk.brier_score_loss(labels, scores),
        "matthews_correlation_coefficient": sk.matthews_corrcoef(labels, predicted),
        "gini_coefficient": 2 * sk.roc_auc_score(labels, scores) - 1,
    }
    for metric, value in expected.items():
        assert got.metrics[metric] == pytest.approx(value), metric
    assert got.labels == [0, 1]
    assert got.confusion_matrix == sk.confusion_matrix(labels, predicted).tolist()
def test_binary_quality_monitor_takes_binary_thresholds_and_refuses_multiclass_ones(
        client, data_mart_id, provider_id, subscription_id):
    from ibm_cloud_sdk_core import ApiException

    binary = _scored_subscription(client, data_mart_id, provider_id)
    roc = [{"metric_id": "area_under_roc", "type": "lower_limit", "value": 0.8}]
    instance = _monitor(client, data_mart_id, binary, "quality", roc)
    got = client.monitor_instances.get(instance).result.entity.thresholds
    assert [(t.metric_id, t.value) for t in got] == [("area_under_roc", 0.8)]
    weighted = [{"metric_id": "weighted_recall", "type": "lower_limit", "value": 0.8}]
    with pytest.raises(ApiException) as err:  # the multiclass model's metric, not a binary one
        client.monitor_instances.update(instance, [
            {"op": "replace", "path": "/thresholds", "value": weighted}])
    assert err.value.code == 400
    with pytest.raises(ApiException) as err:  # and the other way round
        _monitor(client, data_mart_id, subscription_id, "quality", roc)
    assert err.value.code == 400 and "area_under_roc" in err.value.message
def _canned_scores(scores: list[float]) -> None:
    """moto answers the next InvokeEndpoint with the linear learner's JSON for these scores
    (the answer IBM's SageMaker notebook recorded: {"predictions": [{score, predicted_label}]})."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemakerruntime.models import sagemakerruntime_backends

    body = json.dumps({"predictions": [{"score": s, "predicted_label": int(s > 0.5)}
                                       for s in scores]})
    backend = sagemakerruntime_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.results_queue.append((body, "application/json", "AllTraffic", ""))
def test_feedback_without_predictions_is_scored_on_the_sagemaker_endpoint(
        client, data_mart_id, provider_id):
    """IBM's SageMaker notebook stores feedback as label and features only, then runs the
    quality monitor: OpenScale scores those records on the endpoint, with the provider's keys."""
    from sklearn.metrics import roc_auc_score

    subscription = _scored_subscription(client, data_mart_id, provider_id)
    instance = _monitor(client, data_mart_id, subscription, "quality",
                        [{"metric_id": "area_under_roc", "type": "lower_limit", "value": 0.99}])
    labels = [0, 1] * 10
    rows = [[float(label), *RNG.integers(1, 60, 3).tolist()] for label in labels]
    scores = RNG.random(20).round(3).tolist()
    _canned_scores(scores)
    feedback = _data_set(client, subscription, "feedback")
    _store(client, feedback, [{"fields": ["Risk", *FEATURES], "values": rows}], 20)
    run = client.monitor_instances.run(instance, background_mode=False).result
    assert run.entity.status.state == "finished"
    measurement = _last_measurement(client, instance)
    measured = {m.id: m.value for m in measurement.entity.values[0].metrics}
    assert measured["area_under_roc"] == pytest.approx(roc_auc_score(labels, scores))
    assert measured["accuracy"] == pytest.approx(
        np.mean([int(s > 0.5) == y for s, y in zip(scores, labels, strict=True)]))
    assert measurement.entity.issue_count == 1  # area under ROC below 0.99
    stored = client.data_sets.get_list_of_records(feedback, limit=50).result["records"]
    assert all("predicted_label" not in r["entity"]["values"] for r in stored)  # not written
def _last_measurement(client, instance: str):
    found = client.monitor_instances.measurements.list(
        monitor_instance_id=instance, start=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        end=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).result.measurements
    return found[-1]
def test_feedback_without_predictions_fails_the_run_when_it_cannot_be_scored(
        client, data_mart_id, provider_id):
    """Without feature_fields there is no scoring request to build: the run ends in error,
    saying why, and nothing is measured."""
    _, enums = _sdk()
    subscription = _subscribe(client, data_mart_id, provider_id, "ep-2",
                              enums.InputDataType.STRUCTURED,
                              enums.ProblemType.BINARY_CLASSIFICATION, label_column="Risk",
                              prediction_field="predicted_label")
    instance = _monitor(client, data_mart_id, subscription, "quality")
    feedback = _data_set(client, subscription, "feedback")
    _store(client, feedback, [{"fields": ["Risk", "Age"], "values": [[i % 2, 30]
                                                                       for i in range(10)]}], 10)
    run = client.monitor_instances.run(instance, background_mode=False).result
    status = run.entity.status.to_dict()
    assert status["state"] == "error" and "feature_fields" in status["message"]
