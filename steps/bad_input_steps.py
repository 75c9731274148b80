"""Bad-input steps: broken signatures, damaged data, wrong credentials, vanished endpoints.

Each step prepares one defect the way a user would make it (a copy of the use case folder or the
data set, a setting), and the shared Then steps check the refusal and that the state survived.
"""

from __future__ import annotations

import gzip
import json
import shutil
import time
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from mlmonitor_lib import aws
from mlmonitor_lib.errors import MlMonitorError
from mlmonitor_lib.state import StateStore
from mlmonitor_lib.usecase import ModelUseCase, resolve_source_dir

WRONG_API_KEY = "wrong-apikey-0f5e7d1c9b"


def _set(path: list, value):
    def mutate(signature: dict) -> None:
        node = signature
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


SIGNATURE_DEFECTS = {
    "no problem type": lambda s: s["signature"].pop("problem_type"),
    "an accuracy threshold of 1.5": _set(["quality_monitor", "thresholds", 0, "value"], 1.5),
    "a threshold on an unknown metric": _set(["quality_monitor", "thresholds", 0, "metric_id"],
                                             "acuracy"),
    "a minimum feedback size of zero": _set(
        ["quality_monitor", "parameters", "min_feedback_data_size"], 0),
}


@given(parsers.parse("a copy of the model use case whose signature has {defect}"),
       target_fixture="use_case_dir")
def _(defect: str, tmp_path: Path) -> Path:
    copy = shutil.copytree(resolve_source_dir("use_case_mnist_tf"), tmp_path / "use_case_copy")
    signature_file = copy / "model_signature.json"
    if defect == "a syntax error":
        text = signature_file.read_text()
        signature_file.write_text(text.replace('"signature": {', '"signature" {'))
    elif defect == "been deleted":
        signature_file.unlink()
    else:
        signature = json.loads(signature_file.read_text())
        SIGNATURE_DEFECTS[defect](signature)
        signature_file.write_text(json.dumps(signature))
    return copy


@when("the use case is opened", target_fixture="refusal")
def _(new_use_case, use_case_dir: Path) -> MlMonitorError:
    with pytest.raises(MlMonitorError) as refused:
        new_use_case(str(use_case_dir))
    return refused.value


@given(parsers.parse('a copy of the data set whose file "{name}" is {damage}'),
       target_fixture="data_copy")
def _(use_case: ModelUseCase, tmp_path: Path, name: str, damage: str) -> Path:
    copy = shutil.copytree(use_case.data_dir, tmp_path / "mnist_copy")
    target = copy / name
    if damage == "truncated":
        target.write_bytes(gzip.compress(gzip.decompress(target.read_bytes())[:-100]))
    elif damage == "corrupted":
        target.write_bytes(target.read_bytes()[:50] + b"\x00" * 64 + target.read_bytes()[114:])
    else:
        target.unlink()
    return copy


@when("the model is trained on that copy", target_fixture="refusal")
def _(use_case: ModelUseCase, data_copy: Path) -> MlMonitorError:
    use_case.data_dir = data_copy
    with pytest.raises(MlMonitorError) as refused:
        use_case.train()
    return refused.value


@then("no training job was started")
def _(use_case: ModelUseCase) -> None:
    assert use_case.state.job_name is None
    assert use_case.store.alive("training") == []


@then("the state file is intact")
def _(use_case: ModelUseCase) -> None:
    on_disk = StateStore.load(use_case.state_file).state
    assert on_disk == use_case.state
    assert [p.name for p in use_case.state_file.parent.glob(f".{use_case.state_file.name}.*")] == []


@given(parsers.parse('the model use case "{name}" with a wrong IBM API key'),
       target_fixture="use_case")
def _(new_use_case, name: str) -> ModelUseCase:
    return new_use_case(name, api_key=WRONG_API_KEY, cp4d_password=WRONG_API_KEY)


@when("the model is monitored expecting a refusal", target_fixture="refusal")
def _(use_case: ModelUseCase) -> MlMonitorError:
    with pytest.raises(MlMonitorError) as refused:
        use_case.monitor()
    return refused.value


@then("the error does not show the key")
def _(refusal: MlMonitorError) -> None:
    assert WRONG_API_KEY not in str(refusal) and WRONG_API_KEY not in repr(refusal)


@given(parsers.parse("IBM tokens that expire after {seconds:d} seconds"),
       target_fixture="tokens_before")
def _(ibm_services, seconds: int, request: pytest.FixtureRequest) -> int:
    lifetime = ibm_services.iam.token_lifetime_s  # the world outlives the scenario: restore it
    request.addfinalizer(lambda: setattr(ibm_services.iam, "token_lifetime_s", lifetime))
    ibm_services.iam.token_lifetime_s = seconds
    return ibm_services.iam.tokens_issued


@when("the IBM token has expired")
def _(ibm_services) -> None:
    time.sleep(ibm_services.iam.token_lifetime_s + 0.5)


@then("a new IBM token was issued")
def _(ibm_services, tokens_before: int) -> None:
    assert ibm_services.iam.tokens_issued >= tokens_before + 2  # the login, then a refresh


@given("the endpoint was deleted outside this run")
def _(use_case: ModelUseCase) -> None:
    sagemaker = aws.make_client(use_case.session, "sagemaker")
    sagemaker.delete_endpoint(EndpointName=use_case.state.endpoint_name)
