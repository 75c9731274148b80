"""Binds features/bad_input.feature, with its steps: each prepares one mistake the way a user
would make it (a copy of the use case folder or of the data set, a setting), and each Then
checks what the user is told and that the run's state survived."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_bdd import given, parsers, scenarios, then, when

from mlmonitor_harness.sdk_clock import sdk_tokens_read
from mlmonitor_lib import aws
from mlmonitor_lib.emulators.iam import IamClock
from mlmonitor_lib.errors import MlMonitorError, ScoringError
from mlmonitor_lib.state import StateStore
from mlmonitor_lib.usecase import resolve_source_dir
from steps.outcomes import Outcome, Scoring, attempt, refusal

if TYPE_CHECKING:
    import pytest

    from mlmonitor_lib.usecase import ModelUseCase

scenarios("bad_input.feature")

WRONG_API_KEY = "wrong-apikey-0f5e7d1c9b"
INVOKE_LIMIT_BYTES = 6 * 2**20  # SageMaker's InvokeEndpoint body limit ("6 MB")


# --- a broken signature ------------------------------------------------------------------------
def _set(path: list, value):
    def mutate(signature: dict) -> None:
        node = signature
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


SIGNATURE_MISTAKES = {
    "no problem type": lambda s: s["signature"].pop("problem_type"),
    "an accuracy threshold of 1.5": _set(["quality_monitor", "thresholds", 0, "value"], 1.5),
    "a threshold on an unknown metric": _set(["quality_monitor", "thresholds", 0, "metric_id"],
                                             "acuracy"),
    "a minimum feedback size of zero": _set(
        ["quality_monitor", "parameters", "min_feedback_data_size"], 0),
}
# Where the refusal must point the user (the library's words: the JSON path of the field).
SIGNATURE_REFUSALS = {
    "the problem type, which is required": ("$.signature.problem_type", "required"),
    "the accuracy threshold's value": ("$.quality_monitor.thresholds[0].value",),
    "the metric the threshold names": ("$.quality_monitor.thresholds[0].metric_id",),
    "the minimum feedback size, which must be positive": ("min_feedback_data_size",
                                                          "positive"),
    "the signature file, which is not valid JSON": ("model_signature.json", "not valid JSON"),
    "the signature file the use case needs": ("needs a model_signature.json",),
}


@given(parsers.parse("a copy of the model use case whose signature has {mistake}"),
       target_fixture="use_case_dir")
def copy_use_case_with_broken_signature(mistake: str, tmp_path: Path) -> Path:
    copy = shutil.copytree(resolve_source_dir("use_case_mnist_tf"), tmp_path / "use_case_copy")
    signature_file = copy / "model_signature.json"
    if mistake == "a syntax error":
        text = signature_file.read_text()
        signature_file.write_text(text.replace('"signature": {', '"signature" {'))
    elif mistake == "been deleted":
        signature_file.unlink()
    else:
        signature = json.loads(signature_file.read_text())
        SIGNATURE_MISTAKES[mistake](signature)
        signature_file.write_text(json.dumps(signature))
    return copy


@when("the use case is opened", target_fixture="outcome")
def open_use_case_copy(new_use_case, use_case_dir: Path) -> Outcome:
    return attempt(lambda: new_use_case(str(use_case_dir)))


@then(parsers.parse("it is refused, pointing the user to {fix}"))
def refused_pointing_to(outcome: Outcome, fix: str) -> None:
    message = str(refusal(outcome))
    for words in SIGNATURE_REFUSALS[fix]:
        assert words in message, message


# --- damaged training data ---------------------------------------------------------------------
DATA_FILES = {
    "file of test images": "t10k-images-idx3-ubyte.gz",
    "file of training labels": "train-labels-idx1-ubyte.gz",
    "file of test labels": "t10k-labels-idx1-ubyte.gz",
}


@given(parsers.parse("a copy of the data set whose {part} is {damage}"),
       target_fixture="damaged_file")
def copy_data_set_with_damage(use_case: ModelUseCase, tmp_path: Path, part: str,
                              damage: str) -> str:
    """The damaged copy becomes the use case's data set; publishes the damaged file's name."""
    copy = shutil.copytree(use_case.data_dir, tmp_path / "mnist_copy")
    target = copy / DATA_FILES[part]
    if damage == "truncated":
        target.write_bytes(gzip.compress(gzip.decompress(target.read_bytes())[:-100]))
    elif damage == "corrupted":
        target.write_bytes(target.read_bytes()[:50] + b"\x00" * 64 + target.read_bytes()[114:])
    else:
        target.unlink()
    use_case.data_dir = copy
    return target.name


@when("the model is trained on that copy", target_fixture="outcome")
def train_on_damaged_copy(use_case: ModelUseCase) -> Outcome:
    return attempt(use_case.train)


@then("it is refused, naming the damaged file")
def refused_naming_damaged_file(outcome: Outcome, damaged_file: str) -> None:
    assert damaged_file in str(refusal(outcome))


@then("no training job was started")
def no_training_job_started(use_case: ModelUseCase) -> None:
    assert use_case.state.job_name is None
    assert use_case.store.alive("training") == []


@then("the state file is intact")
def state_file_intact(use_case: ModelUseCase) -> None:
    on_disk = StateStore.load(use_case.state_file).state
    assert on_disk == use_case.state
    assert [p.name for p in use_case.state_file.parent.glob(f".{use_case.state_file.name}.*")] == []


# --- a batch over the invoke limit ---------------------------------------------------------------
@then("the images, more than 6 MB in all, went in 2 requests, none over the limit")
def split_into_requests(scoring: Scoring) -> None:
    assert sum(scoring.request_bytes) > INVOKE_LIMIT_BYTES, scoring.request_bytes
    assert len(scoring.request_bytes) == 2, scoring.request_bytes
    assert max(scoring.request_bytes) <= INVOKE_LIMIT_BYTES


# --- IBM credentials and logins ------------------------------------------------------------------
@given(parsers.parse('the model use case "{name}" with a wrong IBM API key'),
       target_fixture="use_case")
def open_use_case_with_wrong_key(new_use_case, name: str) -> ModelUseCase:
    return new_use_case(name, api_key=WRONG_API_KEY, cp4d_password=WRONG_API_KEY)


@then("it is refused, naming the IBM API key as the problem")
def refused_naming_api_key(outcome: Outcome) -> None:
    assert "API_KEY" in str(refusal(outcome))


@then("the error does not show the key")
def error_hides_key(outcome: Outcome) -> None:
    refused = refusal(outcome)
    assert WRONG_API_KEY not in str(refused) and WRONG_API_KEY not in repr(refused)


@given(parsers.parse("IBM logins that expire after {minutes:d} minutes"),
       target_fixture="login_clock")
def short_ibm_logins(ibm_services, minutes: int, monkeypatch: pytest.MonkeyPatch) -> IamClock:
    """Tokens of ``minutes`` on a clock of this scenario's own, which the SDK's token manager
    reads too (a real client and IBM's IAM share real time). Both are put back afterwards:
    the world outlives the scenario."""
    clock = IamClock()
    monkeypatch.setattr(ibm_services.iam, "clock", clock)
    monkeypatch.setattr(ibm_services.iam, "token_lifetime_s", minutes * 60)
    sdk_tokens_read(clock, monkeypatch)
    return clock


@when(parsers.parse("{minutes:d} minutes pass"), target_fixture="tokens_at_expiry")
def minutes_pass(ibm_services, login_clock: IamClock, minutes: int) -> int:
    """The clock moves on; publishes how many tokens IBM had issued by then."""
    login_clock.advance(minutes * 60)
    return ibm_services.iam.tokens_issued


@then("IBM issued a new login after the first one expired")
def new_login_issued(ibm_services, login_clock: IamClock, tokens_at_expiry: int) -> None:
    assert login_clock.advanced_s > ibm_services.iam.token_lifetime_s  # it did expire
    assert ibm_services.iam.tokens_issued > tokens_at_expiry  # and one after it expired


# --- a vanished endpoint ---------------------------------------------------------------------
@given("the endpoint was deleted outside this run")
def delete_endpoint_behind_our_back(use_case: ModelUseCase) -> None:
    sagemaker = aws.make_client(use_case.session, "sagemaker")
    sagemaker.delete_endpoint(EndpointName=use_case.state.endpoint_name)


@then("it is refused, saying the endpoint no longer exists")
def refused_endpoint_gone(outcome: Outcome, use_case: ModelUseCase) -> None:
    refused = refusal(outcome)
    assert isinstance(refused, MlMonitorError) and not isinstance(refused, ScoringError)
    assert "no longer exists" in str(refused)
    assert use_case.state.endpoint_name in str(refused)
