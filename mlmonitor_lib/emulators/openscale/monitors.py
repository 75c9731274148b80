"""The OpenScale emulator's monitor instances: creation, thresholds checked, patches."""

from __future__ import annotations

from typing import Any

from mlmonitor_lib.emulators.openscale import fairness
from mlmonitor_lib.emulators.openscale.definitions import (
    COMPUTED,
    FAIRNESS,
    QUALITY,
    quality_metric_ids,
)
from mlmonitor_lib.emulators.openscale.exceptions import BadRequest, Conflict, NotEmulated
from mlmonitor_lib.emulators.openscale.lifecycles import ACTIVE, PREPARING
from mlmonitor_lib.emulators.openscale.resources import get_path, now
from mlmonitor_lib.emulators.openscale.subscriptions import Subscriptions


class MonitorInstances(Subscriptions):
    """Monitor instances of the computed monitors, ``preparing`` first."""

    # monitor instances -------------------------------------------------------------------
    def add_monitor_instance(self, body: dict[str, Any]) -> dict[str, Any]:
        def_id = body.get("monitor_definition_id") or ""
        self.get_monitor_definition(def_id)
        if def_id not in COMPUTED:
            raise NotEmulated(f"'{def_id}' monitors (their metrics are not computed here, so "
                              "an instance would never measure anything)")
        target = body.get("target") or {}
        problem = None
        if target.get("target_type") == "subscription":
            subscription = self._doc("subscriptions", target.get("target_id") or "")
            problem = get_path(subscription, "asset.problem_type")
        if def_id == QUALITY and problem not in ("binary", "multiclass"):
            raise NotEmulated(f"quality monitors of '{problem}' models (binary and multiclass "
                              "classification only)")
        if def_id == FAIRNESS:
            fairness.check_parameters(body.get("parameters") or {}, problem)
        filters = {"monitor_definition_id": def_id, "target.target_id": target.get("target_id")}
        if self._docs("monitor_instances", filters):
            raise Conflict(
                f"A '{def_id}' monitor instance already exists for target "
                f"'{target.get('target_id')}'."
            )
        self._check_thresholds(def_id, body.get("thresholds") or [], problem,
                               body.get("parameters") or {})
        entity = {
            k: body[k]
            for k in (
                "data_mart_id",
                "monitor_definition_id",
                "target",
                "parameters",
                "thresholds",
                "schedule",
                "managed_by",
            )
            if body.get(k) is not None
        }
        entity.setdefault("parameters", {})
        entity.setdefault("thresholds", [])
        doc = self._create("monitor_instances", entity, PREPARING)
        seconds = self.lifecycles.delays.monitor_preparing_s
        self.lifecycles.start(doc["metadata"]["id"], [(PREPARING, seconds)], ACTIVE)
        return self._view(doc, observe=False) or doc

    def _check_thresholds(self, def_id: str, thresholds: list[dict[str, Any]],
                          problem: str | None, parameters: dict[str, Any]) -> None:
        """Refuse thresholds on metrics the monitor does not compute for the model's problem
        type: they would never fire."""
        if def_id == FAIRNESS:
            features = [f.get("feature") for f in parameters.get("features") or []]
            fairness.check_thresholds(thresholds, features)
            return
        if def_id == QUALITY and problem:
            known = quality_metric_ids(problem)
        else:
            known = [m["id"] for m in self.definitions[def_id]["entity"]["metrics"]]
        for threshold in thresholds:
            if threshold.get("metric_id") not in known:
                raise BadRequest(
                    f"Metric '{threshold.get('metric_id')}' is not a metric of monitor "
                    f"'{def_id}' for {problem or 'this'} models; known metrics: "
                    f"{', '.join(known)}."
                )
            if threshold.get("type") not in ("lower_limit", "upper_limit"):
                raise BadRequest(
                    f"Threshold type '{threshold.get('type')}' is not lower_limit or upper_limit."
                )

    def patch_monitor_instance(self, rid: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """JSON-patch ``replace``/``add`` of top-level entity fields (thresholds, parameters)."""
        doc = self._doc("monitor_instances", rid)
        with self._lock:
            for op in operations:
                field = str(op.get("path", "")).strip("/")
                if op.get("op") not in ("replace", "add") or "/" in field or not field:
                    raise BadRequest(f"Unsupported patch operation {op!r}.")
                if field == "thresholds":
                    self._check_thresholds(doc["entity"]["monitor_definition_id"], op["value"],
                                           self._problem_type(doc), doc["entity"]["parameters"])
                if field == "parameters" and doc["entity"]["monitor_definition_id"] == FAIRNESS:
                    fairness.check_parameters(op.get("value") or {}, self._problem_type(doc))
                doc["entity"][field] = op.get("value")
            doc["metadata"]["modified_at"] = now()
        return self._view(doc, observe=False) or doc

    def _problem_type(self, instance: dict[str, Any]) -> str | None:
        target = get_path(instance, "target") or {}
        if target.get("target_type") != "subscription":
            return None
        with self._lock:
            subscription = self.resources["subscriptions"].get(target.get("target_id"))
        return get_path(subscription, "asset.problem_type") if subscription else None
