"""Contract tests of the TF Serving container handlers in ``use_case_mnist_tf/inference.py``.

The module is loaded by file path, exactly as the container does (it is not a package member
there), and without TensorFlow: these tests run in well under a second. One test runs it in the
serving image's Python (:mod:`~mlmonitor_lib.emulators.sagemaker_local.imageguard`) to show it
imports nothing the image lacks.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from collections import namedtuple
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pytest

from mlmonitor_lib.emulators.sagemaker_local.images import (
    guarded_command,
    import_spec,
    manifest_for,
)

USE_CASE_DIR = Path(__file__).resolve().parents[1] / "use_case_mnist_tf"
SERVING_IMAGE = "763104351884.dkr.ecr.ca-central-1.amazonaws.com/tensorflow-inference:2.19-cpu"

Context = namedtuple(
    "Context",
    "model_name model_version method rest_uri grpc_port channel custom_attributes "
    "request_content_type accept_header content_length",
)


def _load(name: str, filename: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, USE_CASE_DIR / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


inference = _load("inference_under_test", "inference.py")


def ctx(content_type: str | None = "application/json",
        accept: str | None = "application/json") -> Context:
    """The context the container builds (tfs_utils.parse_request): no tfs-* attributes."""
    return Context(None, None, None, "http://localhost:8501/v1/models/model:predict",
                   "9000", None, None, content_type, accept, 0)


def images(n: int = 2, shape: tuple[int, ...] = (28, 28, 1), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, *shape)) / 255.0


def as_json(payload: Any) -> io.BytesIO:
    return io.BytesIO(json.dumps(payload).encode("utf-8"))


def model_input(request: str) -> np.ndarray:
    """The batch TF Serving receives: ``{"instances": N×28×28×1}``, as float32."""
    body = json.loads(request)
    assert list(body) == ["instances"]
    return np.asarray(body["instances"], dtype=np.float32)


def tfs_response(payload: Any, status: int = 200) -> SimpleNamespace:
    return SimpleNamespace(status_code=status, content=json.dumps(payload).encode("utf-8"))


# ----------------------------------------------------------------- accepted inputs


@pytest.mark.parametrize("shape", [(28, 28, 1), (28, 28), (784,)], ids=["NHWC", "NHW", "flat"])
@pytest.mark.parametrize("wrap", ["input_data", "instances"])
def test_every_accepted_payload_and_shape(shape: tuple[int, ...], wrap: str) -> None:
    batch = images(3, shape)
    payload = ({"input_data": [{"values": batch.tolist()}]} if wrap == "input_data"
               else {"instances": batch.tolist()})
    out = model_input(inference.input_handler(as_json(payload), ctx()))
    assert out.shape == (3, 28, 28, 1)
    # every pixel, in row order, with the value TF Serving casts the JSON number to
    assert out.tobytes() == batch.reshape(3, 28, 28, 1).astype(np.float32).tobytes()


def test_integers_zero_and_one_are_pixels() -> None:
    out = model_input(inference.input_handler(as_json({"instances": [[0, 1] * 392]}), ctx()))
    assert out.reshape(-1)[:4].tolist() == [0.0, 1.0, 0.0, 1.0]


def test_content_type_parameters_and_missing_content_type() -> None:
    body = {"instances": images(1).tolist()}
    for content_type in ("application/json; charset=utf-8", None, "Application/JSON"):
        out = model_input(inference.input_handler(as_json(body), ctx(content_type)))
        assert out.shape == (1, 28, 28, 1)


@pytest.mark.parametrize("accept", ["*/*", "application/*", "text/csv, application/json", None])
def test_accept_headers_that_take_json(accept: str | None) -> None:
    raw = json.dumps({"instances": images(1).tolist()}).encode()
    assert model_input(inference.input_handler(raw, ctx(accept=accept))).shape == (1, 28, 28, 1)


def test_max_batch_is_accepted() -> None:
    body = as_json({"instances": [[0.5] * 784] * inference.MAX_BATCH_SIZE})
    assert model_input(inference.input_handler(body, ctx())).shape == (1000, 28, 28, 1)


# ----------------------------------------------------------------- rejected inputs


def expect_error(cls_name: str, match: str, data: Any, context: Context) -> None:
    cls = getattr(inference, cls_name)
    assert issubclass(cls, inference.InferenceError) and issubclass(cls, ValueError)
    with pytest.raises(cls, match=match):
        inference.input_handler(data, context)


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ({"instances": images(2, (28, 27)).tolist()}, r"shape \[2, 28, 27\]; expected a batch"),
        ({"instances": images(1, (28, 28, 3)).tolist()}, r"shape \[1, 28, 28, 3\]"),
        ({"instances": images(1, (28, 28))[0].tolist()}, r"wrap a single image in a list"),
        ({"instances": [[0.5] * 784, [0.5] * 783]}, r"rectangular batch.*image 1 has shape"),
        ({"instances": [images(1, (28, 28))[0].tolist(), [[0.5] * 28] * 27]},
         "rectangular batch"),
        ({"instances": [["a"] * 784]}, "only numbers, not str"),
        ({"instances": [[None] * 784]}, "only numbers, not NoneType"),
        ({"instances": [[True] * 784]}, "only numbers, not bool"),
        ({"instances": [[0.5] * 783 + [1.5]]}, r"range over \[0\.5, 1\.5\].*divide uint8"),
        ({"instances": [[-0.1] * 784]}, r"must be in \[0, 1\]"),
        ({"instances": [[10**400] + [0] * 783]}, r"range over \[0, 1000"),
        ({"instances": []}, "empty batch"),
        ({"instances": "abc"}, "must be a list of images, not str"),
        ({"input_data": [{"values": []}]}, "empty batch"),
        ({"input_data": [{"fields": ["x"]}]}, r'exactly one object with "values"'),
        ({"input_data": {"values": []}}, r'exactly one object with "values"'),
        ({"images": []}, r"JSON body must be .* got \['images'\]"),
        ([[0.5] * 784], r"JSON body must be .* got list"),
        ({"instances": [[0.5] * 784] * 1001}, "batch of 1001 images is too large: at most 1000"),
    ],
    ids=["bad-shape", "rgb", "single-image", "ragged", "ragged-rows", "strings", "nulls",
         "booleans", "above-one", "negative", "huge-int", "empty-instances", "not-a-list",
         "empty-values", "no-values", "input-data-not-list", "unknown-key", "bare-list",
         "too-large"],
)
def test_invalid_json_inputs(payload: Any, match: str) -> None:
    expect_error("InvalidInputError", match, as_json(payload), ctx())


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_are_refused(token: str) -> None:
    body = '{"instances": [[' + ", ".join(["0.5"] * 783 + [token]) + "]]}"
    expect_error("InvalidInputError", "NaN or Infinity", io.BytesIO(body.encode()), ctx())


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b'{"instances": [0.5'])
def test_invalid_json(body: bytes) -> None:
    expect_error("InvalidInputError", "not valid JSON", io.BytesIO(body), ctx())


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body(body: bytes) -> None:
    expect_error("InvalidInputError", "empty request body", io.BytesIO(body), ctx())


@pytest.mark.parametrize("content_type", ["text/csv", "application/x-npy",
                                          "application/octet-stream"])
def test_unsupported_content_type(content_type: str) -> None:
    expect_error("UnsupportedContentTypeError",
                 f"unsupported content type '{content_type}': use application/json",
                 as_json({"instances": []}), ctx(content_type))


def test_unsupported_accept_header() -> None:
    expect_error("UnsupportedContentTypeError", "Accept header 'text/csv'",
                 as_json({"instances": images(1).tolist()}), ctx(accept="text/csv"))


# ----------------------------------------------------------------- output handler


def softmax_rows(n: int, seed: int = 0) -> list[list[float]]:
    logits = np.random.default_rng(seed).normal(size=(n, 10))
    exp = np.exp(logits)
    return (exp / exp.sum(axis=1, keepdims=True)).tolist()


def test_output_handler_openscale_shape() -> None:
    rows = softmax_rows(3) + [[0.1] * 10, [1] + [0] * 9]
    body, content_type = inference.output_handler(tfs_response({"predictions": rows}), ctx())
    assert content_type == "application/json"
    parsed = json.loads(body)
    assert list(parsed) == ["predictions"]
    (prediction,) = parsed["predictions"]
    assert prediction["fields"] == ["prediction", "probability"]
    assert [v[0] for v in prediction["values"]] == [int(np.argmax(r)) for r in rows]
    assert [v[1] for v in prediction["values"]] == rows  # the same values, float for float
    assert all(isinstance(p, float) for _, row in prediction["values"] for p in row)


def test_output_handler_raises_tf_serving_error() -> None:
    error = {"error": "Failed to process element: 0 of 'instances' list. Error: Invalid argument"}
    with pytest.raises(inference.ModelServerError,
                       match="TF Serving answered 400: Failed to process element: 0"):
        inference.output_handler(tfs_response(error, status=400), ctx())


@pytest.mark.parametrize("content", [b"upstream down", b"[1]", b""])
def test_output_handler_error_body_that_is_not_an_error_object(content: bytes) -> None:
    response = SimpleNamespace(status_code=503, content=content)
    with pytest.raises(inference.ModelServerError, match="TF Serving answered 503: "):
        inference.output_handler(response, ctx())


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ({"predictions": []}, 'no "predictions" list'),
        ({"outputs": [[0.1] * 10]}, 'no "predictions" list'),
        ([[0.1] * 10], 'no "predictions" list'),
        ({"predictions": [[0.5, 0.5]]}, "not 10 finite probabilities"),
        ({"predictions": [[0.5] * 10]}, "sum to 5.000000, not 1"),
        ({"predictions": [["x"] * 10]}, "not 10 finite probabilities"),
        ({"predictions": [[True] + [0.0] * 9]}, "not 10 finite probabilities"),
    ],
)
def test_output_handler_refuses_malformed_predictions(payload: Any, match: str) -> None:
    with pytest.raises(inference.ModelServerError, match=match):
        inference.output_handler(tfs_response(payload), ctx())


def test_output_handler_refuses_nan_and_a_body_that_is_not_json() -> None:
    nan = SimpleNamespace(status_code=200, content=b'{"predictions": [[NaN, 0, 0, 0, 0, 0, 0, '
                          b'0, 0, 1]]}')
    with pytest.raises(inference.ModelServerError, match="not 10 finite probabilities"):
        inference.output_handler(nan, ctx())
    with pytest.raises(inference.ModelServerError, match="not JSON"):
        inference.output_handler(SimpleNamespace(status_code=200, content=b"<html>"), ctx())


# ----------------------------------------------------------------- module properties


def test_seed_module_name_reexports_the_same_handlers() -> None:
    seed_module = _load("tf_cnn_inference_under_test", "tf_cnn_inference.py")
    rows = softmax_rows(2)
    expected = inference.output_handler(tfs_response({"predictions": rows}), ctx())
    assert seed_module.output_handler(tfs_response({"predictions": rows}), ctx()) == expected
    with pytest.raises(ValueError, match="empty batch"):
        seed_module.input_handler(as_json({"instances": []}), ctx())


SCORE_IN_THE_IMAGE = """
import importlib.util, io, json, sys
from collections import namedtuple
spec = importlib.util.spec_from_file_location("inference", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
Context = namedtuple("Context", "request_content_type accept_header")
body = json.dumps({"input_data": [{"values": [[0.5] * 784]}]}).encode()
request = module.input_handler(io.BytesIO(body), Context("application/json", None))
Response = namedtuple("Response", "status_code content")
answer = module.output_handler(Response(200, b'{"predictions": [[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]]}'),
                               Context("application/json", None))
outside = sorted({m.split(".")[0] for m in sys.modules} - {*sys.stdlib_module_names, "__main__"})
print(json.dumps({"instances": len(json.loads(request)["instances"]), "answer": answer[0],
                  "outside": outside}))
"""


def test_the_shipped_handler_runs_in_the_serving_image(tmp_path: Path) -> None:
    """The handler as it ships, run in tensorflow-inference:2.19-cpu's Python (standard library
    and the image's packages only): it imports nothing outside the standard library."""
    spec = import_spec(manifest_for(SERVING_IMAGE), []).write(tmp_path / "imports.json")
    script = tmp_path / "score.py"
    script.write_text(SCORE_IN_THE_IMAGE)
    out = subprocess.run(guarded_command(spec, script, str(USE_CASE_DIR / "inference.py")),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["instances"] == 1 and result["outside"] == []
    assert json.loads(result["answer"])["predictions"][0]["values"][0][0] == 0


def test_the_serving_image_refuses_numpy(tmp_path: Path) -> None:
    """The guard the test above relies on: numpy, present in this environment, is not in the
    serving image's Python."""
    spec = import_spec(manifest_for(SERVING_IMAGE), []).write(tmp_path / "imports.json")
    script = tmp_path / "numpy_user.py"
    script.write_text("import numpy\n")
    out = subprocess.run(guarded_command(spec, script), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == "ModuleNotFoundError: No module named 'numpy'"


def test_inference_module_is_short_and_plain() -> None:
    source = (USE_CASE_DIR / "inference.py").read_text()
    assert len(source.splitlines()) <= 240
    assert "import numpy" not in source and "simdjson" not in source
    assert sys.stdlib_module_names >= {"json", "math"}
