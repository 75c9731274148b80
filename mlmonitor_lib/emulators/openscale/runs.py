"""The OpenScale emulator's monitor runs and the measurements a quality run takes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from mlmonitor_lib.emulators.openscale import fairness, payloads
from mlmonitor_lib.emulators.openscale.definitions import FAIRNESS, QUALITY
from mlmonitor_lib.emulators.openscale.evaluation import Scorer, evaluate
from mlmonitor_lib.emulators.openscale.exceptions import ResourceNotFound
from mlmonitor_lib.emulators.openscale.lifecycles import RUNNING
from mlmonitor_lib.emulators.openscale.monitors import MonitorInstances
from mlmonitor_lib.emulators.openscale.quality import violations
from mlmonitor_lib.emulators.openscale.resources import (
    DEFAULT_MIN_FEEDBACK,
    SAGEMAKER,
    get_path,
    now,
)
from mlmonitor_lib.emulators.openscale.scoring import ScoringFailed, score


class Runs(MonitorInstances):
    """Runs, ``running`` then ``finished`` or ``error``; measurements of finished quality and
    fairness runs."""

    def add_monitor_instance(self, body: dict[str, Any]) -> dict[str, Any]:
        """A fairness monitor runs once when it is created (IBM's SageMaker notebook, cell 94:
        "When you create fairness monitor, initial run is also created")."""
        created = super().add_monitor_instance(body)
        if created["entity"]["monitor_definition_id"] == FAIRNESS:
            self.add_run(created["metadata"]["id"], {"triggered_by": "user"})
        return created

    # runs and measurements ---------------------------------------------------------------
    def add_run(self, instance_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Run a monitor: ``running``, then ``finished`` (or ``error``). A quality run computes
        its metrics from the feedback records counted when it starts, a fairness run from the
        payload records; the measurement is listed once the run has finished."""
        instance = self._doc("monitor_instances", instance_id)
        run_id = str(uuid.uuid4())
        started = now()
        status: dict[str, Any] = {"state": "finished", "queued_at": started, "started_at": started}
        parameters = body.get("parameters") or {}
        if instance["entity"]["monitor_definition_id"] == QUALITY:
            status.update(self._quality_run(instance, run_id))
        elif instance["entity"]["monitor_definition_id"] == FAIRNESS:
            outcome, parameters = self._fairness_run(instance, run_id)
            status.update(outcome)
        status["completed_at"] = status["updated_at"] = now()
        run = {
            "metadata": {
                "id": run_id,
                "url": f"/v2/monitor_instances/{instance_id}/runs/{run_id}",
                "created_at": started,
            },
            "entity": {
                "triggered_by": body.get("triggered_by", "user"),
                "parameters": parameters,
                "status": status,
            },
        }
        with self._lock:
            self.runs.setdefault(instance_id, {})[run_id] = run
        self.lifecycles.start(run_id, [(RUNNING, self.lifecycles.delays.run_s)], status["state"])
        return self._run_view(run, observe=False)

    def _run_view(self, run: dict[str, Any], observe: bool = True) -> dict[str, Any]:
        """A run as a read sees it: while ``running`` without its outcome."""
        run_id = run["metadata"]["id"]
        state = self.lifecycles.observe(run_id) if observe else self.lifecycles.peek(run_id)
        if state != RUNNING:
            return run
        status = run["entity"]["status"]
        running = {"state": RUNNING, "queued_at": status["queued_at"],
                   "started_at": status["started_at"]}
        return {**run, "entity": {**run["entity"], "status": running}}

    def _quality_run(self, instance: dict[str, Any], run_id: str) -> dict[str, Any]:
        """Status fields of a quality run: finished with a measurement, or error with why."""
        subscription_id = instance["entity"]["target"]["target_id"]
        wanted = {"type": "feedback", "target.target_id": subscription_id}
        feedback = self._docs("data_sets", wanted)
        if not feedback:
            return payloads.run_error(
                "AIQQS0001E",
                f"Subscription '{subscription_id}' has no "
                "feedback data set: create the subscription again.",
            )
        data_set_id = feedback[0]["metadata"]["id"]
        self._count_stored(data_set_id, observe=False)
        labelled = self.records.labelled(data_set_id)
        minimum = int(
            instance["entity"]["parameters"].get("min_feedback_data_size", DEFAULT_MIN_FEEDBACK)
        )
        if labelled < minimum:
            return payloads.run_error(
                "AIQQS0013E", payloads.not_enough_feedback(labelled, minimum, data_set_id)
            )
        subscription = self._doc("subscriptions", subscription_id)
        try:
            result = evaluate(self.records, data_set_id, subscription,
                              self._scorer(subscription))
        except (ScoringFailed, ValueError) as exc:
            # no public code for this failure: AIQQS0015E is the emulator's
            return payloads.run_error("AIQQS0015E", f"The quality evaluation failed: {exc}.")
        breaches = violations(result.metrics, instance["entity"]["thresholds"])
        measurement = payloads.measurement(instance, run_id, result, breaches, now())
        with self._lock:
            self.measurements.setdefault(instance["metadata"]["id"], []).append(measurement)
        return {"message": payloads.run_message(result.records, breaches), "violations": breaches}

    def _fairness_run(self, instance: dict[str, Any], run_id: str
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Status fields and run parameters of a fairness run over the counted payload
        records. Below ``min_records`` the run finishes with errors and measures nothing (the
        recorded AIQFM6001/AIQFM6016); a feature whose groups lack records is left out with
        AIQFM6016."""
        entity = instance["entity"]
        subscription_id = entity["target"]["target_id"]
        config = entity["parameters"]
        logged = self._docs("data_sets", {"type": "payload_logging",
                                          "target.target_id": subscription_id})
        if not logged:
            return payloads.run_error(
                "AIQFM6002", f"Subscription '{subscription_id}' has no payload logging data "
                "set: create the subscription again."), config
        data_set_id = logged[0]["metadata"]["id"]
        self._count_stored(data_set_id, observe=False)
        count = self.records.count(data_set_id)
        minimum = int(config.get("min_records") or 0)
        if count < minimum or not count:
            message = (f"Payload logging table rows {count} are less than the minimum rows "
                       f"{minimum}" if count else "The payload logging table has no rows")
            errors = [{"code": fairness.TOO_FEW_RECORDS, "message": message},
                      dict(zip(("code", "message"), fairness.INSUFFICIENT_DATA, strict=True))]
            failed = {"message": message, "failure": {"trace": uuid.uuid4().hex, "errors": errors}}
            return failed, {**config, "total_records_processed": 0}
        rows = [r["entity"]["values"] for r in self.records.page(data_set_id, count, 0)]
        prediction = get_path(self._doc("subscriptions", subscription_id),
                              "asset_properties.prediction_field") or "prediction"
        results = fairness.disparate_impact(rows, prediction, config)
        breaches = fairness.violations(results, entity["thresholds"])
        measurement = payloads.fairness_measurement(instance, run_id, results, len(rows),
                                                    breaches, now())
        with self._lock:
            self.measurements.setdefault(instance["metadata"]["id"], []).append(measurement)
        status: dict[str, Any] = {"message": fairness.SUCCESS_MESSAGE, "violations": breaches}
        if any(r.value is None for r in results):
            code, text = fairness.INSUFFICIENT_DATA
            status["failure"] = {"trace": uuid.uuid4().hex,
                                 "errors": [{"code": code, "message": text}]}
        return status, {**config, "total_records_processed": len(rows),
                        "measurement_id": measurement["metadata"]["id"],
                        "is_group_bias_completed": True}

    def _scorer(self, subscription: dict[str, Any]) -> Scorer | None:
        """How OpenScale scores feedback without predictions: on the SageMaker endpoint, with
        the provider's keys (``None`` for other providers: not emulated)."""
        provider = self._doc("service_providers", get_path(subscription, "service_provider_id"))
        if get_path(provider, "service_type") != SAGEMAKER or self.sagemaker is None:
            return None
        credentials = self._credentials(provider)
        deployment = get_path(subscription, "deployment") or {}
        endpoint = (deployment.get("scoring_endpoint") or {}).get("url") or deployment.get("name")
        properties = get_path(subscription, "asset_properties") or {}
        factory = self.sagemaker

        def scorer(records: Any) -> list[tuple[Any, Any]]:
            return score(factory(credentials, "sagemaker-runtime"), endpoint, records, properties)

        return scorer

    def get_run(self, instance_id: str, run_id: str) -> dict[str, Any]:
        self._doc("monitor_instances", instance_id)
        with self._lock:
            run = self.runs.get(instance_id, {}).get(run_id)
        if run is None:
            raise ResourceNotFound("monitoring run", run_id)
        return self._run_view(run)

    def list_runs(self, instance_id: str) -> list[dict[str, Any]]:
        self._doc("monitor_instances", instance_id)
        with self._lock:
            runs = list(self.runs.get(instance_id, {}).values())
        return [self._run_view(run) for run in runs]

    def list_measurements(
        self,
        instance_id: str,
        start: datetime | None,
        end: datetime | None,
        run_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Measurements of finished runs of an instance taken in ``[start, end]``, optionally
        of some runs only."""
        self._doc("monitor_instances", instance_id)
        run_ids = set(run_id.split(",")) if run_id else None
        with self._lock:
            found = list(self.measurements.get(instance_id, []))
        return [
            m
            for m in found
            if payloads.in_window(m, start, end)
            and (run_ids is None or m["entity"]["run_id"] in run_ids)
            and self.lifecycles.done(m["entity"]["run_id"])
        ]

    def get_measurement(self, instance_id: str, measurement_id: str) -> dict[str, Any]:
        """One measurement with its sources (the confusion matrix of a quality run)."""
        for found in self.list_measurements(instance_id, None, None):
            if found["metadata"]["id"] == measurement_id:
                return found
        raise ResourceNotFound("measurement", measurement_id)
