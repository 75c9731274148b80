"""The OpenScale adapter's fairness monitor with the real SDK against the emulator: configured
from the signature's fairness parameters, evaluated on payload records, judged by the one judge,
re-configured in place, cleaned up.

A structured binary model (features ``sex``, ``age``, ``amount``; ``predicted_label`` 0 is the
favourable class) on the adapter tests' world (their fixtures). The disparate impacts are
counted by hand in :func:`payload`.
"""

from __future__ import annotations

import pytest
import test_openscale_adapter as adapter

from mlmonitor_lib.errors import LifecycleError
from mlmonitor_lib.ibm.openscale import OpenScaleMonitor
from mlmonitor_lib.signature import FairnessFeature, FairnessParameters

# the adapter tests' world: moto with the endpoint, the emulated OpenScale on responses, the
# settings (IBM Cloud), a ledger and the monitor
aws, sagemaker, backend, iam, rsps = (adapter.aws, adapter.sagemaker, adapter.backend,
                                      adapter.iam, adapter.rsps)
settings, ledger, monitor = adapter.settings, adapter.ledger, adapter.monitor
ENDPOINT = adapter.ENDPOINT
FIELDS = ["sex", "age", "amount"]
MIN_RECORDS = 20


def parameters(threshold: float = 0.8, min_records: int = MIN_RECORDS) -> FairnessParameters:
    """The signature's form: sex (female vs male) and age (18-25 vs 26-75)."""
    return FairnessParameters(
        features=[
            FairnessFeature(feature="sex", majority=["male"], minority=["female"],
                            threshold=threshold),
            FairnessFeature(feature="age", majority=[[26, 75]], minority=[[18, 25]],
                            threshold=threshold),
        ],
        favourable_class=[0], unfavourable_class=[1], min_records=min_records)


def payload(female_favourable: int, n: int = 40) -> list[tuple[str, int, int]]:
    """(sex, age, predicted_label) rows: half male, half female, aged 22 or 40 by blocks of 10.
    Males get the favourable class (0) on 4 of every 5 records; females on
    ``female_favourable`` of every 5. With 2 of 5, females' rate is half the males' (disparate
    impact 0.4/0.8 = 0.5); the young and the old get it equally often (1.0)."""
    rows = []
    for i in range(n):
        sex = "male" if i % 2 == 0 else "female"
        favourable = (4 if sex == "male" else female_favourable) > (i // 2) % 5
        age = 22 if (i // 10) % 2 == 0 else 40
        rows.append((sex, age, 0 if favourable else 1))
    return rows


@pytest.fixture
def structured(monitor: OpenScaleMonitor) -> OpenScaleMonitor:
    """The monitor holding a structured binary subscription of the endpoint."""
    monitor.subscribe(ENDPOINT, input_data_type="structured", problem_type="binary",
                      label_column="risk", prediction_field="predicted_label",
                      probability_fields=["score"], class_labels=[0, 1],
                      feature_fields=FIELDS, categorical_fields=["sex"])
    return monitor


def inputs(rows: list[tuple[str, int, int]]) -> list[list[object]]:
    return [[sex, age, 1000] for sex, age, _ in rows]


def log(monitor: OpenScaleMonitor, rows: list[tuple[str, int, int]]) -> None:
    """One payload record per row (the model's answer: ``predicted_label`` and ``score``);
    returns once OpenScale counts them."""
    labels = [label for *_, label in rows]
    monitor.log_payload(inputs(rows), labels, [0.2 if label else 0.8 for label in labels],
                        [12.0] * len(rows), input_fields=FIELDS)


# evaluation ------------------------------------------------------------------------------------
def test_a_group_favoured_half_as_often_breaches_naming_feature_groups_and_values(structured):
    log(structured, payload(female_favourable=2))
    ids = structured.configure_fairness_monitor(parameters())
    assert ids["fairness"] == structured.ids["fairness"]

    result = structured.evaluate()
    sex, age = result.fairness
    assert (sex.feature, sex.group, sex.monitored, sex.reference) == (
        "sex", "female", ["female"], ["male"])
    assert sex.disparate_impact == pytest.approx(0.5) and sex.percent == pytest.approx(50.0)
    assert (sex.threshold, sex.records, sex.min_records, sex.met) == (0.8, 40, MIN_RECORDS, False)
    assert sex.reference_favourable_rate == pytest.approx(0.8)
    assert sex.groups[0].favourable_rate == pytest.approx(0.4)
    assert (age.group, age.reference, age.disparate_impact, age.met) == (
        "18-25", ["26-75"], pytest.approx(1.0), True)
    assert result.metrics == {} and result.monitor_instance_id is None  # no quality monitor
    assert not result.passed
    (violation,) = result.violations
    assert str(violation) == ("fairness of sex: disparate impact of female vs male is 0.50, "
                              "below the threshold 0.80")


def test_a_fair_payload_passes(structured):
    log(structured, payload(female_favourable=4))
    structured.configure_fairness_monitor(parameters())
    result = structured.evaluate()
    assert result.passed and result.violations == []
    assert [(f.feature, f.disparate_impact, f.met) for f in result.fairness] == [
        ("sex", pytest.approx(1.0), True), ("age", pytest.approx(1.0), True)]


def test_too_few_payload_records_are_not_measured_and_say_how_many_are_needed(structured):
    log(structured, payload(female_favourable=4, n=4))
    structured.configure_fairness_monitor(parameters())
    result = structured.evaluate()
    assert not result.passed
    assert [f.disparate_impact for f in result.fairness] == [None, None]
    assert result.fairness[0].message == (
        "Payload logging table rows 4 are less than the minimum rows 20")  # OpenScale's words
    assert [str(v) for v in result.violations] == [
        f"fairness of {feature}: disparate impact of {group} vs {reference} not measured: "
        "OpenScale needs at least 20 payload records and has 4: store 16 more"
        for feature, group, reference in (("sex", "female", "male"), ("age", "18-25", "26-75"))]


# configuration ---------------------------------------------------------------------------------
def test_thresholds_are_sent_in_percent_per_feature(structured):
    structured.configure_fairness_monitor(parameters(threshold=0.57))
    held = structured.fairness_configuration()
    (threshold,) = held["thresholds"]
    assert (threshold["metric_id"], threshold["type"], threshold["value"]) == (
        "fairness_value", "lower_limit", 80.0)
    assert {s["applies_to"][0]["value"]: s["value"] for s in threshold["specific_values"]} == {
        "sex": 57.0, "age": 57.0}
    assert held["parameters"]["features"][1]["minority"] == [[18, 25]]  # named 18-25 in tags
    assert "perform_perturbation" not in held["parameters"]


def test_configuring_again_updates_the_same_monitor(structured, backend, ledger):
    log(structured, payload(female_favourable=2))
    first = structured.configure_fairness_monitor(parameters())
    again = structured.configure_fairness_monitor(parameters(threshold=0.4))
    assert again["fairness"] == first["fairness"]
    instances = [m for m in backend.list("monitor_instances")
                 if m["entity"]["monitor_definition_id"] == "fairness"]
    assert len(instances) == 1
    ledgered = [r for r in ledger.alive("wos") if r.attrs.get("monitor") == "fairness"]
    assert [r.id for r in ledgered] == [first["fairness"]]
    result = structured.evaluate()  # 0.5 is above the new threshold 0.4
    assert result.passed and result.fairness[0].threshold == pytest.approx(0.4)


def test_evaluating_before_any_monitor_says_what_to_configure(structured):
    with pytest.raises(LifecycleError, match=r"configure_fairness_monitor\(\)"):
        structured.evaluate()


# cleanup ---------------------------------------------------------------------------------------
def test_cleanup_deletes_the_fairness_monitor_also_after_a_resume(structured, settings, ledger,
                                                                  backend):
    log(structured, payload(female_favourable=2))
    fairness_id = structured.configure_fairness_monitor(parameters())["fairness"]
    resumed = OpenScaleMonitor.resume(settings, ledger, ledger.alive("wos"))
    assert resumed.ids["fairness"] == fairness_id
    assert resumed.evaluate().fairness[0].disparate_impact == pytest.approx(0.5)
    assert resumed.cleanup()["subscriptions"] == 1
    assert backend.list("monitor_instances") == [] and ledger.alive("wos") == []
    assert structured.existing([("monitor_instance", fairness_id)]) == []


def test_a_fairness_monitor_added_to_someone_elses_subscription_is_all_cleanup_deletes(
        structured, settings, tmp_path, backend):
    from mlmonitor_lib.state import LifecycleState, StateStore

    theirs = structured.ids["subscription"]
    store = StateStore.create(tmp_path / "other.json", LifecycleState(run_id="o", source_dir="."))
    other = OpenScaleMonitor(settings, store, ids={
        "data_mart": structured.ids["data_mart"], "subscription": theirs})
    fairness_id = other.configure_fairness_monitor(parameters())["fairness"]
    assert other.cleanup()["monitor_instances"] == 1
    left = [m["metadata"]["id"] for m in backend.list("monitor_instances")]
    assert fairness_id not in left and left  # their performance monitor stays
    assert backend.list("subscriptions") and store.alive("wos") == []


def test_quality_and_fairness_are_evaluated_together_quality_first(structured):
    """Every monitor the adapter configured runs: quality on the feedback, fairness on the
    payload; the quality run's fields are as they were, the breaches of both are listed."""
    log(structured, payload(female_favourable=2))
    structured.configure_quality_monitor(
        [{"metric_id": "accuracy", "type": "lower_limit", "value": 0.9}], min_feedback_data_size=10)
    structured.configure_fairness_monitor(parameters())
    rows = payload(female_favourable=2, n=10)  # labels right on 8 of 10: accuracy 0.8
    predictions = [label for *_, label in rows]
    labels = [label if i < 8 else 1 - label for i, label in enumerate(predictions)]
    structured.log_feedback(inputs(rows), labels, predictions,
                            [0.2 if p else 0.8 for p in predictions], input_fields=FIELDS)

    result = structured.evaluate()
    assert result.metrics["accuracy"] == pytest.approx(0.8) and result.records == 10
    assert result.monitor_instance_id == structured.ids["quality"] and result.run_id
    assert [v.metric_id for v in result.violations] == ["accuracy", "disparate_impact"]
    assert str(result.violations[0]) == "accuracy: 0.8000 < lower_limit 0.9000"
    assert result.fairness[0].monitor_instance_id == structured.ids["fairness"]
