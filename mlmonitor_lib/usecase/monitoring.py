"""Monitoring stage: subscribe the endpoint in Watson OpenScale, log payload and feedback,
configure and evaluate the monitors the signature enables (quality, fairness), judge the
release, and unsubscribe."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlmonitor_lib.errors import LifecycleError, NotEnoughFeedback
from mlmonitor_lib.gate import records
from mlmonitor_lib.usecase import gate
from mlmonitor_lib.usecase.context import StageContext
from mlmonitor_lib.usecase.display import say
from mlmonitor_lib.usecase.serving import score_batches

if TYPE_CHECKING:
    from mlmonitor_lib.ibm.openscale import EvaluationResult, OpenScaleMonitor
    from mlmonitor_lib.settings import Settings
    from mlmonitor_lib.state import StateStore

# The OpenScale ids the state file keeps under ``ids``.
WOS_KEYS = ("data_mart", "service_provider", "subscription", "payload_data_set",
            "feedback_data_set", "quality", "fairness")


def resume_monitor(settings: Settings, store: StateStore) -> OpenScaleMonitor:
    """The OpenScale monitor of a use case, resumed from the ledger and the state's ids."""
    from mlmonitor_lib.ibm.openscale import OpenScaleMonitor

    monitor = OpenScaleMonitor.resume(settings, store, store.alive("wos"))
    for key in WOS_KEYS:
        if key in store.state.ids:
            monitor.ids.setdefault(key, store.state.ids[key])
    return monitor


def _save_wos_ids(uc: StageContext, **flags: Any) -> None:
    uc.store.update(ids={**uc.state.ids, **uc.wos.ids}, **flags)


def monitor(uc: StageContext) -> dict[str, str]:
    """The subscription of the endpoint (provider and data mart as needed), described as the
    signature describes the model."""
    sig = uc.signature.signature
    subscription_id = uc.wos.subscribe(
        uc.state.endpoint_name or "", label_column=sig.label_column,
        prediction_field=sig.prediction_field, probability_fields=sig.probability_fields,
        class_labels=sig.class_labels, input_data_type=sig.input_data_type,
        problem_type=sig.problem_type, feature_fields=sig.feature_columns,
        categorical_fields=sig.categorical_columns,
    )
    _save_wos_ids(uc, monitored=True)
    return {"subscription_id": subscription_id, "state": uc.wos.subscription_state()}


def log_payload(uc: StageContext, num_samples: int, offset: int) -> int:
    """Test examples scored through the endpoint, stored as payload records."""
    inputs = uc.test_set().take(offset, num_samples).inputs
    return store_payload(uc, inputs)


def store_payload(uc: StageContext, inputs: Any) -> int:
    """``inputs`` scored through the endpoint, stored as payload records with the endpoint's
    answers and response times."""
    predictions, times = score_batches(uc, inputs)
    stored = uc.wos.log_payload(
        uc.profile.record_values(inputs), [p.answered[0] for p in predictions],
        [p.answered[1] for p in predictions], times, input_fields=uc.profile.record_fields())
    _save_wos_ids(uc)
    fairness = uc.signature.fairness_monitor
    monitored = [f.feature for f in fairness.parameters.features] if (
        fairness is not None and fairness.enabled) else []
    _keep_records(uc, payload=records.payload_samples(
        inputs, predictions, uc.signature.signature.feature_columns, monitored))
    return stored


def _keep_records(uc: StageContext, *, feedback: list[dict[str, Any]] | None = None,
                  payload: list[dict[str, Any]] | None = None) -> None:
    """Add what was just logged to the gate records of the current subscription (those of an
    earlier subscription, deleted since, are dropped: OpenScale no longer holds them)."""
    subscription = uc.wos.ids.get("subscription")
    same = uc.state.records_subscription == subscription
    uc.store.update(
        records_subscription=subscription,
        feedback_records=[*(uc.state.feedback_records if same else []), *(feedback or [])],
        payload_records=[*(uc.state.payload_records if same else []), *(payload or [])],
    )


def configure_quality_monitor(uc: StageContext) -> dict[str, str]:
    """The quality monitor with the signature's thresholds."""
    quality = uc.signature.quality_monitor
    if not quality.enabled:
        raise LifecycleError(
            f"the quality monitor is disabled in {uc.source_dir.name}'s signature "
            "(quality_monitor.enabled is false): enable it to measure the model's quality")
    ids = uc.wos.configure_quality_monitor(quality.thresholds, quality.min_feedback_data_size)
    _save_wos_ids(uc)
    say(uc.stream, str(ids))
    return ids


def configure_fairness_monitor(uc: StageContext) -> dict[str, str]:
    """The fairness monitor with the signature's features, groups and thresholds."""
    fairness = uc.signature.fairness_monitor
    if fairness is None or not fairness.enabled:
        raise LifecycleError(
            f"{uc.source_dir.name}'s signature monitors no fairness "
            "(fairness_monitor.enabled is not true): enable it and name the features")
    ids = uc.wos.configure_fairness_monitor(fairness.parameters)
    _save_wos_ids(uc)
    say(uc.stream, str(ids))
    return ids


def configure_monitors(uc: StageContext) -> dict[str, str]:
    """Every monitor the signature enables (quality, fairness), each with its thresholds."""
    ids: dict[str, str] = {}
    if uc.signature.quality_monitor.enabled:
        ids |= configure_quality_monitor(uc)
    if uc.signature.monitors_fairness:
        ids |= configure_fairness_monitor(uc)
    if not ids:
        raise LifecycleError(f"{uc.source_dir.name}'s signature enables no monitor: enable "
                             "quality_monitor or fairness_monitor")
    return ids


def log_feedback(uc: StageContext, num_samples: int, offset: int, labels: Any) -> dict[str, Any]:
    """Test examples scored and stored with their labels (true ones unless ``labels``)."""
    batch = uc.test_set().take(offset, num_samples)
    given = list(batch.labels) if labels is None else list(labels)
    given = [records.plain(label) for label in given]
    if len(given) != len(batch):
        raise LifecycleError(
            f"log_feedback() got {len(given)} labels for {len(batch)} examples: pass one "
            "label per example"
        )
    predictions, _ = score_batches(uc, batch.inputs)
    stored = uc.wos.log_feedback(
        uc.profile.record_values(batch.inputs), given, [p.answered[0] for p in predictions],
        [p.answered[1] for p in predictions], input_fields=uc.profile.record_fields())
    _save_wos_ids(uc)
    _keep_records(uc, feedback=records.feedback_records(
        batch.inputs, given, predictions, uc.signature.signature.class_labels))
    return {"stored": stored, "labels": given, "predictions": [p.label for p in predictions]}


def evaluate(uc: StageContext) -> EvaluationResult:
    """A run of every configured monitor: quality on the feedback records (refused before
    it when there are too few), fairness on the payload records (too few of them is reported
    as a breach that says how many are needed)."""
    if "quality" in uc.wos.ids:
        needed = uc.signature.quality_monitor.min_feedback_data_size
        have = uc.wos.feedback_record_count()
        if have < needed:  # refuse before a run OpenScale would end without metrics
            raise NotEnoughFeedback(have, needed)
    result = uc.wos.evaluate()
    uc.store.update(evaluated=True, last_evaluation=result.model_dump(mode="json"))
    gate.record(uc, result)
    return result


def still_existing(uc: StageContext) -> list[str]:
    """The OpenScale resources of the ledger OpenScale still holds."""
    wos = sorted({(r.kind if r.kind != "monitor_instance" else "monitor", r.id)
                  for r in uc.state.resources if r.service == "wos"})
    if not wos:
        return []
    from mlmonitor_lib.ibm.openscale import OpenScaleMonitor

    return [f"wos {name}" for name in
            OpenScaleMonitor.resume(uc.settings, uc.store, []).existing(wos)]


def cleanup(uc: StageContext) -> int:
    """Delete the OpenScale resources the ledger lists alive; subscriptions deleted."""
    return uc.wos.cleanup()["subscriptions"]
