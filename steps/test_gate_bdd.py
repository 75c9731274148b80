"""Binds features/gate.feature, with the steps only the release gate speaks."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, scenarios, then, when

from mlmonitor_lib.errors import ReleaseRefused, ReleaseUndecided
from steps.monitoring_steps import decision_of, record_gate, verdict_on
from steps.outcomes import Outcome, attempt, refusal

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase

scenarios("gate.feature")

CHAMPION_FEEDBACK = 200
# what "a third of the training images" means for the challenger (the MNIST entry point's own
# hyperparameter: the first N training images)
CHALLENGER_BUDGET = {"train-samples": 2000}


@then("the gate finds the accuracy threshold met beyond doubt")
@then("the gate finds the challenger's accuracy threshold met beyond doubt")
def accuracy_met_beyond_doubt(outcome: Outcome) -> None:
    accuracy = verdict_on(decision_of(outcome), "quality", "accuracy")
    assert accuracy.verdict == "pass" and accuracy.low >= accuracy.threshold, accuracy


@then("the gate finds the accuracy threshold breached beyond doubt")
def accuracy_breached_beyond_doubt(outcome: Outcome) -> None:
    accuracy = verdict_on(decision_of(outcome), "quality", "accuracy")
    assert accuracy.verdict == "fail" and accuracy.high < accuracy.threshold, accuracy


@then("the release gate refuses the release, naming accuracy, its interval and its threshold")
def gate_refuses_naming_the_interval(outcome: Outcome) -> None:
    refused = refusal(outcome)
    assert isinstance(refused, ReleaseRefused) and not isinstance(refused, ReleaseUndecided)
    accuracy = verdict_on(refused.decision, "quality", "accuracy")
    (line,) = [line for line in str(refused).splitlines() if line.strip() == accuracy.line()]
    for number in (accuracy.low, accuracy.high, accuracy.threshold):
        assert f"{number:.3f}" in line, line


# --- champion and challenger -----------------------------------------------------------------
@given(parsers.parse("the released model, evaluated on {count:d} feedback records, is the "
                     "champion"), target_fixture="champion_pack")
def released_champion(new_use_case, trained_job: str, count: int) -> str:
    """The session's model, onboarded up to an approved release; its evidence pack names it."""
    champion = new_use_case()
    champion.attach_training_job(trained_job)
    champion.deploy()
    champion.monitor()
    champion.configure_quality_monitor()
    champion.log_feedback(num_samples=count)
    champion.evaluate()
    assert champion.release_gate().approved
    return str(champion.state.evidence_pack)


@given("a challenger trained on a third of the training images is deployed and monitored",
       target_fixture="use_case")
def challenger_deployed(new_use_case) -> ModelUseCase:
    challenger = new_use_case(hyperparameters=CHALLENGER_BUDGET)
    challenger.train()
    challenger.deploy()
    challenger.monitor()
    challenger.configure_quality_monitor()
    return challenger


@when(parsers.parse("the challenger is evaluated on the same {count:d} feedback records"),
      target_fixture="outcome")
def challenger_evaluated(use_case: ModelUseCase, count: int) -> Outcome:
    use_case.log_feedback(num_samples=count)
    return attempt(use_case.evaluate)


@when("the challenger is put to the gate against the champion", target_fixture="outcome")
def challenger_to_the_gate(use_case: ModelUseCase, champion_pack: str, evidence) -> Outcome:
    verdict = attempt(lambda: use_case.release_gate(champion=champion_pack))
    record_gate(evidence, use_case, verdict)
    return verdict


@then("the release gate refuses the challenger, naming its accuracy against the champion's")
def gate_refuses_the_challenger(outcome: Outcome) -> None:
    refused = refusal(outcome)
    assert isinstance(refused, ReleaseRefused), repr(refused)
    versus = verdict_on(refused.decision, "champion", "accuracy")
    assert versus.verdict == "fail" and versus.estimate < 0, versus
    assert versus.line() in str(refused), str(refused)


# --- the evidence pack -----------------------------------------------------------------------
@given("the model use case under test, with its own copy of the data set",
       target_fixture="use_case")
def use_case_with_data_copy(new_use_case, use_case: ModelUseCase, tmp_path) -> ModelUseCase:
    copy = shutil.copytree(use_case.data_dir, tmp_path / "data", dirs_exist_ok=False)
    return new_use_case(data_dir=copy)


@when(parsers.parse("the {item} is changed after the release was decided"))
def change_item(use_case: ModelUseCase, item: str, request) -> None:
    """One byte more: the model artifact in S3 (put back after the scenario: other scenarios
    deploy it), or the first test file of the pack's data."""
    from mlmonitor_lib.aws import make_client
    from mlmonitor_lib.aws.s3 import parse_s3_uri
    from mlmonitor_lib.gate.evidence import read_pack

    pack = read_pack(use_case.state.evidence_pack)
    if item == "model artifact":
        s3 = make_client(use_case.session, "s3")
        bucket, key = parse_s3_uri(pack.artifact.uri)
        original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=bucket, Key=key, Body=original + b"\0")
        request.addfinalizer(lambda: s3.put_object(Bucket=bucket, Key=key, Body=original))
    else:
        (test_file, *_) = [d for d in pack.data if d.role == "test"]
        with (Path(pack.root) / test_file.path).open("ab") as handle:
            handle.write(b"\0")


@then(parsers.parse("verifying the evidence pack names the {item} as changed, and nothing "
                    "else"))
def verify_names_the_change(use_case: ModelUseCase, item: str) -> None:
    from mlmonitor_lib.gate.verify import verify_pack

    checks = verify_pack(use_case.state.evidence_pack, session=use_case.session)
    changed = [c for c in checks if c.failed]
    assert len(changed) == 1, changed
    expected = "artifact" if item == "model artifact" else "test"
    assert expected in changed[0].item, changed[0]
    assert changed[0].status == "changed"
