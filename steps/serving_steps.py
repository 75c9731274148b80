"""Serving steps: the endpoint, its predictions, its errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pytest_bdd import parsers, then, when

from mlmonitor_lib.errors import ScoringError
from mlmonitor_lib.usecase import ModelUseCase

# Each bad request of the serving feature's outline: (body, content type, endpoint override).
WRONG_SHAPE = json.dumps({"instances": [[0.0] * 27]})
BAD_REQUESTS = {
    "images of the wrong shape": (WRONG_SHAPE, "application/json", None),
    "an empty batch": (json.dumps({"input_data": [{"values": []}]}), "application/json", None),
    "a body that is not JSON": ("{not json", "application/json", None),
    "a wrong content type": ("0.1,0.2", "text/csv", None),
    "an unknown endpoint": (json.dumps({"instances": [[0.0] * 784]}), "application/json",
                            "no-such-endpoint-0000"),
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


@when("the model is deployed to an endpoint", target_fixture="deployment")
def _(use_case: ModelUseCase) -> dict:
    return use_case.deploy()


@then("the endpoint is in service")
def _(use_case: ModelUseCase) -> None:
    assert use_case.describe_endpoint()["EndpointStatus"] == "InService"


@when(parsers.parse("{count:d} test images are scored"), target_fixture="scored")
def _(use_case: ModelUseCase, count: int, evidence) -> dict:
    scored = use_case.score_model(num_samples=count)
    images, labels = use_case.test_set()
    evidence.samples(images[:count], labels[:count], [cls for cls, _ in scored["values"]])
    return scored


@then(parsers.parse("{count:d} predictions come back with probabilities summing to 1"))
def _(scored: dict, count: int) -> None:
    assert scored["fields"] == ["prediction", "probability"]
    assert len(scored["values"]) == count
    sums = [sum(probabilities) for _, probabilities in scored["values"]]
    np.testing.assert_allclose(sums, 1.0, atol=1e-5)


@then("the response time is measured")
def _(scored: dict) -> None:
    assert 0 < scored["response_time_ms"] < 60_000


@then(parsers.parse("at least {percent:d}% of the predicted classes match the true labels"))
def _(use_case: ModelUseCase, scored: dict, percent: int) -> None:
    labels = use_case.test_set()[1][: len(scored["values"])]
    predicted = np.array([cls for cls, _ in scored["values"]])
    assert (predicted == labels).mean() * 100 >= percent


@when(parsers.parse("a scoring request is sent with {problem}"), target_fixture="refusal")
def _(use_case: ModelUseCase, problem: str) -> ScoringError:
    body, content_type, endpoint = BAD_REQUESTS[problem]
    with pytest.raises(ScoringError) as refused:
        use_case.invoke_raw(body.encode(), content_type=content_type, endpoint_name=endpoint)
    return refused.value


@then(parsers.parse('it is refused with an error mentioning "{message}"'))
def _(refusal: ScoringError, message: str) -> None:
    assert message.lower() in str(refusal).lower(), str(refusal)


@then(parsers.parse("the endpoint still serves {count:d} test images"))
def _(use_case: ModelUseCase, count: int) -> None:
    assert len(use_case.score_model(num_samples=count)["values"]) == count


@then(parsers.parse("the cleanup reports {count:d} serving deployment deleted"))
def _(cleanup_counts: dict, count: int) -> None:
    assert cleanup_counts["serving"] == count


@then("no endpoint, endpoint configuration or model remains")
def _(use_case: ModelUseCase) -> None:
    assert [found for found in use_case.still_existing() if found.startswith("serving")] == []
