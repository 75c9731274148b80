"""The generic steps: the sentences every feature shares, one per lifecycle stage.

How steps are written here (pytest-bdd's and qutebrowser's way):

- A **Given** step establishes a state through fixtures (``new_use_case``, ``trained_job``...)
  and may publish it (``target_fixture``); it never asserts.
- A **When** step acts once and publishes its outcome. A step whose action a scenario may
  expect to be refused publishes an :class:`~steps.outcomes.Outcome` as ``outcome`` (the
  library's refusal or the result), so a Then step can judge either; the others publish
  their result under their own name (``training``, ``scoring``, ``feedback``...).
- A **Then** step only asserts. It may read (describe, list, count) but never changes
  anything: no scoring, no gate, no cleanup, no parsing of printed output.

Each function is named after what it does; the area steps live next to their feature's
``scenarios()`` in ``steps/test_<area>_bdd.py``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import numpy as np
from pytest_bdd import given, parsers, then, when

from steps.outcomes import InvokeRequests, Outcome, Scoring, attempt, refusal

if TYPE_CHECKING:
    from mlmonitor_lib.usecase import ModelUseCase


# --- the use case and its platform -----------------------------------------------------------
PLATFORMS = {"IBM Cloud": "saas", "Cloud Pak for Data": "prem"}


@given(parsers.parse("the IBM services of {platform}"), target_fixture="ibm_flavour")
def choose_ibm_platform(platform: str) -> str:
    """IBM Cloud (API key through IAM) or Cloud Pak for Data (user and password)."""
    return PLATFORMS[platform]


@given("the model use case under test", target_fixture="use_case")
def open_use_case_under_test(new_use_case) -> ModelUseCase:
    """The use case of ``--use-case`` (default use_case_mnist_tf), bound to this run's
    services and state file."""
    return new_use_case()


@given(parsers.parse('the model use case "{name}"'), target_fixture="use_case")
def open_model_use_case(new_use_case, name: str) -> ModelUseCase:
    """A use case folder (signature, scripts) bound to this run's services and state file."""
    return new_use_case(name)


@given("the model has been trained", target_fixture="training_jobs_before")
def attach_trained_model(use_case: ModelUseCase, trained_job: str) -> list[str]:
    """The session's one training job, attached; publishes the training jobs that exist."""
    use_case.attach_training_job(trained_job)
    return use_case.list_training_jobs()


@given("the model has been deployed")
def deploy_trained_model(use_case: ModelUseCase, trained_job: str) -> None:
    """The session's training job attached (unless trained already), then deployed."""
    if not use_case.states()["trained"]:
        use_case.attach_training_job(trained_job)
    use_case.deploy()


# --- lifecycle record --------------------------------------------------------------------------
STAGES = ("trained", "deployed", "governed", "monitored")
# the service whose resources show that a stage was once reached
STAGE_SERVICES = {"deployed": "serving", "governed": "factsheets", "monitored": "wos"}


def _stages_named(words: str) -> list[str]:
    named = words.replace(" and ", ", ").replace(" or ", ", ").split(", ")
    return [name.strip() for name in named if name.strip()]


def expected_stages(phrase: str) -> tuple[dict[str, bool], set[str]]:
    """``"trained and deployed, but not yet governed or monitored"`` -> each stage's flag,
    and the stages said to be *no longer* reached (they were once)."""
    done, _, rest = phrase.partition(", but ")
    if done.startswith(("not yet ", "no longer ")):
        done, rest = "", done
    undone_words = rest.removeprefix("not yet ").removeprefix("no longer ")
    flags = dict.fromkeys(_stages_named(done), True) | dict.fromkeys(
        _stages_named(undone_words), False)
    assert sorted(flags) == sorted(STAGES), f"name each stage once: {phrase!r}"
    no_longer = set(_stages_named(undone_words)) if rest.startswith("no longer ") else set()
    return flags, no_longer


@then(parsers.parse("the model is recorded as {phrase}"))
def lifecycle_record_shows(use_case: ModelUseCase, phrase: str) -> None:
    """The four lifecycle flags (trained, deployed, governed, monitored) in the state file;
    a stage "no longer" reached must have left resources in the ledger."""
    flags, no_longer = expected_stages(phrase)
    assert use_case.states() == flags
    for stage in no_longer:
        assert any(r.service == STAGE_SERVICES[stage] for r in use_case.state.resources), stage


# --- training ----------------------------------------------------------------------------------
@when("the model is trained as a SageMaker job", target_fixture="training")
def train_model(use_case: ModelUseCase, evidence) -> dict:
    """Train through SageMaker (or reuse the job the state file names); publishes `training`."""
    training = use_case.train()
    evidence.training(training["metrics"])
    return training


@then("the training job has completed")
def training_job_completed(use_case: ModelUseCase, training: dict) -> None:
    """SageMaker reports the job Completed, and it is the job the state file names."""
    assert use_case.describe_training_job()["TrainingJobStatus"] == "Completed"
    assert training["job_name"] == use_case.state.job_name


@then("the test metrics the job recorded meet the model's quality thresholds")
def recorded_metrics_meet_thresholds(use_case: ModelUseCase, training: dict) -> None:
    """For each quality threshold of the signature, the job's ``test_<metric>`` (measured on
    the held-out test set) is on the right side of it."""
    from mlmonitor_lib.thresholds import judge

    thresholds = [t.model_dump() for t in use_case.signature.quality_monitor.thresholds]
    recorded = {t["metric_id"]: training["metrics"].get(f"test_{t['metric_id']}")
                for t in thresholds}
    missing = [f"test_{name}" for name, value in recorded.items() if value is None]
    assert not missing, f"the job recorded no {missing}: {training['metrics']}"
    verdicts = judge(recorded, thresholds)
    assert verdicts and not any(v.breached for v in verdicts), verdicts


# --- serving -----------------------------------------------------------------------------------
@when("the model is deployed to an endpoint", target_fixture="deployment")
def deploy_model(use_case: ModelUseCase) -> dict:
    """Create (or reuse) the endpoint; publishes `deployment`."""
    return use_case.deploy()


@then("the endpoint is in service")
def endpoint_in_service(use_case: ModelUseCase) -> None:
    """SageMaker describes the endpoint as InService."""
    assert use_case.describe_endpoint()["EndpointStatus"] == "InService"


@when(parsers.parse("{count:d} test examples are scored"), target_fixture="scoring")
def score_test_examples(use_case: ModelUseCase, count: int, evidence) -> Scoring:
    """Score the first test examples once; publishes a `Scoring` with the requests it took."""
    with InvokeRequests(use_case.session) as requests:
        started = time.perf_counter()
        scored = use_case.score_model(num_samples=count)
        wall_ms = (time.perf_counter() - started) * 1000.0
    batch = use_case.test_set().take(0, count)
    evidence.samples(batch.inputs, batch.labels, scored["classes"],
                     fields=use_case.profile.record_fields())
    return Scoring(scored["fields"], scored["values"], scored["response_time_ms"], wall_ms,
                   requests.sizes, scored["classes"], scored["probabilities"])


@then(parsers.parse("{count:d} predictions come back with probabilities summing to 1"))
def predictions_with_probabilities(use_case: ModelUseCase, scoring: Scoring,
                                   count: int) -> None:
    """Every example got one of the model's classes, under the signature's field names, and
    a probability per class, summing to 1."""
    sig = use_case.signature.signature
    assert scoring.fields == [sig.prediction_field, sig.probability_fields[0]]
    assert len(scoring.values) == len(scoring.classes) == count
    assert set(map(str, scoring.classes)) <= set(map(str, sig.class_labels)), scoring.classes
    assert all(len(p) == len(sig.class_labels) for p in scoring.probabilities)
    np.testing.assert_allclose([sum(p) for p in scoring.probabilities], 1.0, atol=1e-5)


# Each bad request a client can send: (body, content type, endpoint name or None for ours),
# per request format: JSON images (the MNIST model) or CSV rows (a tabular model).
BAD_REQUESTS = {
    "inputs of the wrong shape": {
        "application/json": (json.dumps({"instances": [[0.0] * 27]}), "application/json", None),
        "text/csv": ("0.1,0.2\n", "text/csv", None)},
    "an empty batch": {
        "application/json": (json.dumps({"input_data": [{"values": []}]}), "application/json",
                             None),
        "text/csv": ("", "text/csv", None)},
    "a body that is not JSON": ("{not json", "application/json", None),
    "data in a format the model can't read": {
        "application/json": ("0.1,0.2", "text/csv", None),
        "text/csv": ("\x93NUMPY", "application/x-npy", None)},
    "a request for an unknown endpoint": (json.dumps({"instances": [[0.0] * 784]}),
                                          "application/json", "no-such-endpoint-0000"),
    "pixel values that are not numbers": (json.dumps({"instances": [["x"] * 784]}),
                                          "application/json", None),
    "a pixel value that is NaN": ('{"instances": [[NaN' + ", 0.0" * 783 + "]]}",
                                  "application/json", None),
    "a pixel value that is infinite": ('{"instances": [[Infinity' + ", 0.0" * 783 + "]]}",
                                       "application/json", None),
    "pixel values above 1": (json.dumps({"instances": [[255.0] * 784]}), "application/json",
                             None),
    "a body over the 6 MB limit": (json.dumps({"instances": [[0.5] * 784] * 2100}),
                                   "application/json", None),
}
# What the refusal must say for the client to fix the request (the library's and the model
# handler's words, checked by tests/test_specification_words.py).
SCORING_REFUSALS = {
    "the inputs have the wrong shape": "shape",
    "the batch is empty": "empty",
    "the body is not JSON": "JSON",
    "the model does not read that format": "content type",
    "there is no such endpoint": "not found",
    "the pixels must be numbers": "number",
    "a pixel is not a number": "NaN",
    "a pixel is infinite": "Inf",
    "the pixels are out of range": "range",
    "the request is over the 6 MB limit": "6 MiB",
}


@when(parsers.parse("a client sends {request}"), target_fixture="outcome")
def send_bad_scoring_request(use_case: ModelUseCase, request: str) -> Outcome:
    """Send one malformed request as a client would (in the use case's request format where
    the mistake depends on it); publishes its `outcome`."""
    bad = BAD_REQUESTS[request]
    if isinstance(bad, dict):
        bad = bad[use_case.signature.aws_runtime.content_type]
    body, content_type, endpoint = bad
    return attempt(lambda: use_case.invoke_raw(body.encode(), content_type=content_type,
                                               endpoint_name=endpoint))


@then(parsers.parse("it is refused, telling the client {problem}"))
def scoring_refused_saying(use_case: ModelUseCase, outcome: Outcome, problem: str) -> None:
    """A scoring error that tells the client what to fix (SCORING_REFUSALS). A model server
    that answers every handler error with a bare 500 (SageMaker's scikit-learn container:
    sagemaker-containers' transformer) cannot say what was wrong: there the error must say
    what a request must look like instead."""
    from mlmonitor_lib.errors import ScoringError

    refused = refusal(outcome)
    assert isinstance(refused, ScoringError), repr(refused)
    text = str(refused)
    if "ModelError" in text and "(500)" in text:
        assert use_case.profile.request_hint in text, text
    else:
        assert SCORING_REFUSALS[problem].lower() in text.lower(), text


# --- governance --------------------------------------------------------------------------------
@when("the model is governed", target_fixture="governance")
@when("the model is governed again", target_fixture="governance")
def govern_model(use_case: ModelUseCase) -> dict:
    """Register (or reuse) the model asset in AI Factsheets; publishes `governance`."""
    return use_case.govern()


@then("the model asset is linked to the model's entry in the inventory")
def asset_linked_to_model_entry(use_case: ModelUseCase, evidence) -> None:
    """AI Factsheets shows the asset linked to the settings' model entry."""
    summary = use_case.factsheet()
    evidence.factsheet(summary)
    assert summary.linked
    assert summary.model_entry_id == use_case.state.model_entry_id


# --- cleanup -----------------------------------------------------------------------------------
@when("the use case is cleaned up", target_fixture="outcome")
@when("the use case is cleaned up again", target_fixture="outcome")
def clean_up_use_case(use_case: ModelUseCase) -> Outcome:
    """Delete what the state file lists; publishes its `outcome` (counts, or a refusal)."""
    return attempt(use_case.cleanup)


@then(parsers.parse("the cleanup reports {serving:d} serving deployment, {wos:d} subscription "
                    "and {factsheets:d} model asset deleted"))
def cleanup_reports_all(outcome: Outcome, serving: int, wos: int, factsheets: int) -> None:
    """The counts of deleted deployments, subscriptions and model assets."""
    assert outcome.result() == {"serving": serving, "wos": wos, "factsheets": factsheets}


@then(parsers.parse("the cleanup reports {count:d} serving deployment deleted"))
def cleanup_reports_serving(outcome: Outcome, count: int) -> None:
    """The count of deleted serving deployments."""
    assert outcome.result()["serving"] == count


@then(parsers.parse("the cleanup reports {count:d} subscription deleted"))
def cleanup_reports_subscription(outcome: Outcome, count: int) -> None:
    """The count of deleted subscriptions."""
    assert outcome.result()["wos"] == count


@then(parsers.parse("the cleanup reports {count:d} model asset deleted"))
def cleanup_reports_model_asset(outcome: Outcome, count: int) -> None:
    """The count of deleted model assets."""
    assert outcome.result()["factsheets"] == count


@then("the second cleanup deletes nothing")
def second_cleanup_deletes_nothing(outcome: Outcome) -> None:
    """A cleanup after a complete one deletes nothing and raises nothing."""
    assert outcome.result() == {"serving": 0, "wos": 0, "factsheets": 0}
