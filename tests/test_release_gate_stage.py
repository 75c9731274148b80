"""The release-gate stage (``mlmonitor_lib/usecase/gate.py``): what the gate decides when a
monitor the signature enables measured nothing, and how a refusal reads.

No evidence is not a pass: a quality monitor that was not evaluated, a fairness monitor that
was not evaluated, or one OpenScale could not measure (too few payload records) is
inconclusive, with the reason; the signature's rule then refuses (MNIST) or warns (German
Credit).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from mlmonitor_lib.errors import LifecycleError, ReleaseRefused, ReleaseUndecided
from mlmonitor_lib.ibm.openscale import EvaluationResult, FairnessResult
from mlmonitor_lib.signature import load_signature
from mlmonitor_lib.state import LifecycleState, StateStore
from mlmonitor_lib.usecase import gate

REPO = Path(__file__).resolve().parents[1]
ACCURACY = [{"metric_id": "accuracy", "type": "lower_limit", "value": 0.8}]


def feedback(right: int, wrong: int) -> list[dict]:
    """Gate records of a 10-class model: ``right`` correct, ``wrong`` wrong."""
    rows = [(i % 10, i % 10) for i in range(right)] + [(i % 10, (i + 1) % 10)
                                                      for i in range(wrong)]
    return [{"id": f"r{i}", "label": label, "prediction": p, "score": None,
             "probabilities": [0.1] * 10} for i, (label, p) in enumerate(rows)]


def stage(use_case: str, tmp_path: Path, **state: object) -> SimpleNamespace:
    store = StateStore.create(tmp_path / "state.json",
                              LifecycleState(run_id="run-1", source_dir=use_case, **state))
    return SimpleNamespace(signature=load_signature(REPO / use_case), store=store,
                           state=store.state, stream=None, source_dir=REPO / use_case)


def evaluation(**fields: object) -> EvaluationResult:
    return EvaluationResult(subscription_id="sub", **fields)


def test_a_certain_pass_and_a_certain_breach(tmp_path):
    uc = stage("use_case_mnist_tf", tmp_path, feedback_records=feedback(195, 5))
    decision = gate.decide(uc, evaluation(metrics={"accuracy": 0.975}, thresholds=ACCURACY))
    (accuracy,) = decision.verdicts
    assert (accuracy.verdict, decision.overall, decision.approved) == ("pass", "pass", True)
    uc = stage("use_case_mnist_tf", tmp_path / "b", feedback_records=feedback(50, 50))
    decision = gate.decide(uc, evaluation(metrics={"accuracy": 0.5}, thresholds=ACCURACY))
    assert (decision.overall, decision.approved, decision.exit_code) == ("fail", False, 1)


def test_83_of_100_against_80_is_undecided_and_says_how_many_records_decide(tmp_path):
    uc = stage("use_case_mnist_tf", tmp_path, feedback_records=feedback(83, 17))
    decision = gate.decide(uc, evaluation(metrics={"accuracy": 0.83}, thresholds=ACCURACY))
    (accuracy,) = decision.verdicts
    assert accuracy.verdict == "inconclusive" and accuracy.records_to_decide == 683
    assert (decision.overall, decision.approved, decision.exit_code) == ("inconclusive", False, 2)


def test_a_quality_monitor_not_evaluated_is_no_evidence(tmp_path):
    uc = stage("use_case_mnist_tf", tmp_path)
    (accuracy,) = gate.decide(uc, evaluation(metrics={}, thresholds=[])).verdicts
    assert accuracy.verdict == "inconclusive"
    assert "not evaluated" in accuracy.line()


def test_fairness_not_evaluated_or_not_measured_is_undecided_and_credit_only_warns(tmp_path):
    records = [{"id": f"r{i}", "label": 1, "prediction": 1, "score": 0.9,
                "probabilities": [0.1, 0.9]} for i in range(100)]
    thresholds = [{"metric_id": "accuracy", "type": "lower_limit", "value": 0.65}]
    uc = stage("use_case_gcr", tmp_path, feedback_records=records)
    not_evaluated = gate.decide(uc, evaluation(metrics={"accuracy": 1.0}, thresholds=thresholds))
    fairness = [v for v in not_evaluated.verdicts if v.kind == "fairness"]
    assert [v.detail["feature"] for v in fairness] == ["sex", "age"]
    assert all(v.verdict == "inconclusive" and "not evaluated" in v.line() for v in fairness)
    assert not_evaluated.overall == "inconclusive" and not_evaluated.rule == "warn"
    assert not_evaluated.approved  # German Credit's signature: inconclusive only warns
    unmeasured = [FairnessResult(feature=f, monitored=[], reference=[], threshold=0.8,
                                 records=20, min_records=100, monitor_instance_id="m",
                                 run_id="r", message="too few payload records")
                  for f in ("sex", "age")]
    decided = gate.decide(uc, evaluation(metrics={"accuracy": 1.0}, thresholds=thresholds,
                                         fairness=unmeasured))
    fairness = [v for v in decided.verdicts if v.kind == "fairness"]
    assert all(v.verdict == "inconclusive" and v.records_to_decide == 100 for v in fairness)
    assert all("OpenScale measured none (too few payload records); about 100 records would "
               "decide" in v.line() for v in fairness)


def test_release_gate_refuses_by_rule_and_names_it(tmp_path):
    uc = stage("use_case_mnist_tf", tmp_path, feedback_records=feedback(83, 17),
               evaluated=True, endpoint_name="ep-1")
    decision = gate.decide(uc, evaluation(metrics={"accuracy": 0.83}, thresholds=ACCURACY))
    uc.store.update(last_evaluation={"gate": decision.model_dump(mode="json")})
    uc.state = uc.store.state
    with pytest.raises(ReleaseUndecided) as refused:
        gate.release_gate(uc)
    assert isinstance(refused.value, ReleaseRefused) and refused.value.decision.exit_code == 2
    assert "release_gate.inconclusive = refuse" in str(refused.value)
    assert "about 683 records would decide" in str(refused.value)


def test_release_gate_before_an_evaluation_says_what_to_run(tmp_path):
    uc = stage("use_case_mnist_tf", tmp_path)
    with pytest.raises(LifecycleError, match="run evaluate"):
        gate.release_gate(uc)
