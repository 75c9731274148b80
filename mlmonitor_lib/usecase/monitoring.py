"""Monitoring stage: subscribe the endpoint in Watson OpenScale, log payload and feedback,
evaluate the quality monitor, judge the release, and unsubscribe."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlmonitor_lib.errors import LifecycleError, NotEnoughFeedback, ReleaseRefused
from mlmonitor_lib.usecase.context import StageContext
from mlmonitor_lib.usecase.display import say
from mlmonitor_lib.usecase.serving import score_batches

if TYPE_CHECKING:
    from mlmonitor_lib.ibm.openscale import EvaluationResult, OpenScaleMonitor
    from mlmonitor_lib.settings import Settings
    from mlmonitor_lib.state import StateStore

# The OpenScale ids the state file keeps under ``ids``.
WOS_KEYS = ("data_mart", "service_provider", "subscription", "payload_data_set",
            "feedback_data_set", "quality")


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
    """The subscription of the endpoint (provider and data mart as needed)."""
    sig = uc.signature.signature
    subscription_id = uc.wos.subscribe(
        uc.state.endpoint_name or "", label_column=sig.label_column,
        prediction_field=sig.prediction_field, probability_fields=sig.probability_fields,
        class_labels=sig.class_labels,
    )
    _save_wos_ids(uc, monitored=True)
    return {"subscription_id": subscription_id, "state": uc.wos.subscription_state()}


def log_payload(uc: StageContext, num_samples: int, offset: int) -> int:
    """Test images scored through the endpoint, stored as payload records."""
    images = uc.test_set()[0][offset : offset + num_samples]
    classes, probabilities, times = score_batches(uc, images)
    stored = uc.wos.log_payload(images, classes, probabilities, times)
    _save_wos_ids(uc)
    return stored


def configure_quality_monitor(uc: StageContext) -> dict[str, str]:
    """The quality monitor with the signature's thresholds."""
    quality = uc.signature.quality_monitor
    ids = uc.wos.configure_quality_monitor(quality.thresholds, quality.min_feedback_data_size)
    _save_wos_ids(uc)
    say(uc.stream, str(ids))
    return ids


def log_feedback(uc: StageContext, num_samples: int, offset: int, labels: Any) -> dict[str, Any]:
    """Test images scored and stored with their labels (true ones unless ``labels``)."""
    images, true_labels = uc.test_set()
    images = images[offset : offset + num_samples]
    given = true_labels[offset : offset + num_samples] if labels is None else labels
    given = [int(label) for label in given]
    if len(given) != len(images):
        raise LifecycleError(
            f"log_feedback() got {len(given)} labels for {len(images)} images: pass one "
            "label per image"
        )
    classes, probabilities, _ = score_batches(uc, images)
    stored = uc.wos.log_feedback(images, given, classes, probabilities)
    _save_wos_ids(uc)
    return {"stored": stored, "labels": given, "predictions": classes}


def evaluate(uc: StageContext) -> EvaluationResult:
    """A quality run on the feedback records, refused before it when there are too few."""
    needed = uc.signature.quality_monitor.min_feedback_data_size
    have = uc.wos.feedback_record_count()
    if have < needed:  # refuse before a run OpenScale would end without metrics
        raise NotEnoughFeedback(have, needed)
    result = uc.wos.evaluate()
    uc.store.update(evaluated=True, last_evaluation=result.model_dump(mode="json"))
    return result


def release_gate(uc: StageContext) -> EvaluationResult:
    """The last evaluation, refused with one line per breach."""
    from mlmonitor_lib.ibm.openscale import EvaluationResult

    result = EvaluationResult.model_validate(uc.state.last_evaluation)
    if not result.passed:
        lines = "\n".join(f"  {violation}" for violation in result.violations)
        raise ReleaseRefused(
            f"release refused: {len(result.violations)} quality threshold(s) breached "
            f"for {uc.state.endpoint_name}:\n{lines}"
        )
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
