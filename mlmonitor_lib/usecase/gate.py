"""Release-gate stage: the three-way decision on the evaluated run, and its evidence pack.

An evaluation gives OpenScale's point estimates; the gate decides on the records behind them
(:mod:`mlmonitor_lib.gate.verdicts`): each threshold passes when its whole interval meets it,
fails when its whole interval breaches it, and is inconclusive otherwise. A monitor the
signature enables that measured nothing (not evaluated, or too few records for OpenScale) is
inconclusive with the reason: no evidence is not a pass. The signature's ``release_gate``
section sets the level, the bootstrap, the rule for inconclusive verdicts and the thresholds
relative to a champion. Every decision is written into the run's evidence pack
(:mod:`mlmonitor_lib.gate.evidence`), so an auditor can check later which model, data and code
were approved, on what evidence.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlmonitor_lib.errors import LifecycleError, ReleaseRefused, ReleaseUndecided
from mlmonitor_lib.usecase.context import StageContext
from mlmonitor_lib.usecase.display import say
from mlmonitor_lib.usecase.port import PROJECT_ROOT

if TYPE_CHECKING:
    from mlmonitor_lib.gate.decision import GateDecision, ThresholdVerdict
    from mlmonitor_lib.ibm.openscale import EvaluationResult


def decide(uc: StageContext, evaluation: EvaluationResult,
           champion: Path | str | None = None) -> GateDecision:
    """The gate's decision on this run's records: quality, fairness and, when a champion's
    evidence pack is named, the comparison with it."""
    from mlmonitor_lib.gate import verdicts

    gate = uc.signature.release_gate
    options = {"level": gate.confidence_level, "resamples": gate.bootstrap_resamples,
               "seed": gate.seed}
    classes = uc.signature.signature.class_labels
    found: list[ThresholdVerdict] = []
    quality = uc.signature.quality_monitor
    if quality.enabled and quality.thresholds:
        if evaluation.thresholds:
            found += verdicts.judge_quality(uc.state.feedback_records, evaluation.thresholds,
                                            classes, measured=evaluation.metrics, **options)
        else:
            found += [_no_evidence(t.metric_id, t.type, t.value, "quality", gate,
                                   "the quality monitor was not evaluated")
                      for t in quality.thresholds]
    if uc.signature.monitors_fairness:
        found += _fairness(uc, evaluation, options)
    if champion is not None:
        from mlmonitor_lib.gate.evidence import read_pack

        released = read_pack(champion)
        found += verdicts.judge_champion(
            uc.state.feedback_records, released.gate_records, gate.champion_thresholds,
            classes, champion=released.run_id, **options)
    return verdicts.decide(found, gate.inconclusive, gate.confidence_level)


def _fairness(uc: StageContext, evaluation: EvaluationResult,
              options: dict[str, Any]) -> list[ThresholdVerdict]:
    """Each monitored feature judged on the payload records; one OpenScale did not measure is
    inconclusive, saying how many payload records it needs."""
    from mlmonitor_lib.gate import verdicts

    fairness = uc.signature.fairness_monitor
    params = fairness.parameters if fairness is not None else None
    measured = {f.feature: f.disparate_impact for f in evaluation.fairness}
    judged = verdicts.judge_fairness(uc.state.payload_records, params,
                                     measured=measured, **options)
    by_feature = {f.feature: f for f in evaluation.fairness}
    out = []
    for verdict in judged:
        feature = verdict.detail.get("feature")
        result = by_feature.get(feature)
        if result is None or result.disparate_impact is None:
            reason = ("the fairness monitor was not evaluated" if result is None else
                      f"OpenScale measured none ({result.message or 'no value'})")
            # more payload records decide a run OpenScale could not measure; a monitor never
            # evaluated needs configuring first, which the reason says
            needed = None if result is None else (result.min_records or (
                params.min_records if params is not None else None))
            verdict = verdict.model_copy(update={
                "verdict": "inconclusive", "low": math.nan, "high": math.nan,
                "records_to_decide": needed if needed and needed > verdict.records else None,
                "detail": {**verdict.detail, "reason": reason}})
        out.append(verdict)
    return out


def _no_evidence(metric_id: str, kind: str, limit: float, family: str, gate: Any,
                 reason: str) -> ThresholdVerdict:
    from mlmonitor_lib.gate.decision import ThresholdVerdict

    return ThresholdVerdict(
        name=metric_id, kind=family, metric_id=metric_id, type=kind, threshold=limit,
        estimate=math.nan, low=math.nan, high=math.nan, level=gate.confidence_level,
        method="none", records=0, verdict="inconclusive", detail={"reason": reason})


def write_evidence(uc: StageContext, decision: GateDecision,
                   champion: Path | str | None = None) -> Path:
    """The run's evidence pack, written (again) with this decision."""
    from mlmonitor_lib.gate.evidence import build_pack, write_pack

    ids = {"training_job": uc.state.job_name, "endpoint": uc.state.endpoint_name,
           "factsheets_asset": uc.state.ids.get("model_asset"),
           "subscription": uc.state.ids.get("subscription"),
           "quality_monitor": uc.state.ids.get("quality"),
           "fairness_monitor": uc.state.ids.get("fairness")}
    evaluation = uc.state.last_evaluation or {}
    if evaluation.get("run_id"):
        ids["quality_run"] = evaluation["run_id"]
    for result in evaluation.get("fairness") or []:
        if result.get("run_id"):
            ids["fairness_run"] = result["run_id"]
    gate = uc.signature.release_gate
    pack = build_pack(
        run_id=uc.state.run_id, use_case_dir=uc.source_dir,
        data=uc.profile.data_files(uc.data_dir), artifact_uri=uc.state.model_data,
        session=uc.session, ids=ids, hyperparameters=uc.hyperparameters,
        gate_parameters={**gate.model_dump(), "class_labels": uc.signature.signature.class_labels,
                         "quality_thresholds": evaluation.get("thresholds") or [],
                         "fairness": (uc.signature.fairness_monitor.parameters.model_dump()
                                      if uc.signature.monitors_fairness else None)},
        gate_records=uc.state.feedback_records, payload_samples=uc.state.payload_records,
        decision=decision.model_dump(mode="json"), champion_pack=champion,
        evaluated_at=datetime.now(UTC), root=PROJECT_ROOT)
    path = write_pack(uc.settings.evidence_dir, pack)
    uc.store.update(evidence_pack=str(path))
    return path


def record(uc: StageContext, evaluation: EvaluationResult) -> GateDecision:
    """Decide on a new evaluation, keep the decision with it, and write the evidence pack."""
    decision = decide(uc, evaluation)
    uc.store.update(last_evaluation={**(uc.state.last_evaluation or {}),
                                     "gate": decision.model_dump(mode="json")})
    path = write_evidence(uc, decision)
    say(uc.stream, f"evidence pack: {path}")
    return decision


def release_gate(uc: StageContext, champion: Path | str | None = None) -> GateDecision:
    """The decision on the last evaluation (against ``champion``'s evidence pack when named):
    approved, or refused with one line per threshold and the rule applied."""
    from mlmonitor_lib.gate.decision import GateDecision
    from mlmonitor_lib.ibm.openscale import EvaluationResult

    evaluation = uc.state.last_evaluation
    if evaluation is None or "gate" not in evaluation:
        raise LifecycleError("release_gate() needs an evaluation: run evaluate() first")
    if champion is None:
        decision = GateDecision.model_validate(evaluation["gate"])
    else:
        decision = decide(uc, EvaluationResult.model_validate(evaluation), champion)
        uc.store.update(last_evaluation={**evaluation,
                                         "gate": decision.model_dump(mode="json")})
        write_evidence(uc, decision, champion)
    if decision.approved:
        for line in decision.lines():
            say(uc.stream, line)
        return decision
    refusal = ReleaseUndecided if decision.overall == "inconclusive" else ReleaseRefused
    lines = "\n".join(f"  {line}" for line in decision.lines())
    raise refusal(f"release refused for {uc.state.endpoint_name}:\n{lines}", decision)
