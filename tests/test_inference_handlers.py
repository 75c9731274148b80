"""Contract tests of the TF Serving container handlers in ``use_case_mnist_tf/inference.py``.

The module is loaded by file path, exactly as the container does (it is not a package member
there), and without TensorFlow: these tests run in well under a second.
"""

from __future__ import annotations

import base64
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

USE_CASE_DIR = Path(__file__).resolve().parents[1] / "use_case_mnist_tf"

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
    return Context("model", "1", "predict", "http://localhost:8501/v1/models/model:predict",
                   9000, None, None, content_type, accept, 0)


def images(n: int = 2, shape: tuple[int, ...] = (28, 28, 1), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, *shape)) / 255.0


def as_json(payload: Any) -> io.BytesIO:
    return io.BytesIO(json.dumps(payload).encode("utf-8"))


def as_npy(array: np.ndarray) -> io.BytesIO:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    buffer.seek(0)
    return buffer


def model_input(request: bytes) -> np.ndarray:
    """The float32 batch a :predict request carries, decoded as TF Serving and the
    serving_bytes signature decode it (one base64 string of little-endian floats, whole images)."""
    body = json.loads(request)
    assert list(body) == ["signature_name", "inputs"]
    assert body["signature_name"] == inference.BYTES_SIGNATURE == "serving_bytes"
    [string] = body["inputs"]
    pixels = base64.b64decode(string["b64"], validate=True)
    assert len(pixels) % (784 * 4) == 0
    return np.frombuffer(pixels, dtype="<f4").reshape(-1, 28, 28, 1)


def tfs_response(predictions: Any, status: int = 200) -> SimpleNamespace:
    content = json.dumps(predictions).encode("utf-8")
    return SimpleNamespace(status_code=status, content=content)


# ----------------------------------------------------------------- accepted inputs


@pytest.mark.parametrize("shape", [(28, 28, 1), (28, 28), (784,)], ids=["NHWC", "NHW", "flat"])
def test_openscale_payload_in_every_shape(shape: tuple[int, ...]) -> None:
    batch = images(3, shape)
    request = inference.input_handler(as_json({"input_data": [{"values": batch.tolist()}]}),
                                      ctx())
    out = model_input(request)
    assert out.shape == (3, 28, 28, 1)
    np.testing.assert_array_equal(out.reshape(3, -1), batch.reshape(3, -1).astype(np.float32))


@pytest.mark.parametrize("shape", [(28, 28, 1), (28, 28), (784,)], ids=["NHWC", "NHW", "flat"])
def test_tf_serving_instances_payload(shape: tuple[int, ...]) -> None:
    batch = images(2, shape)
    out = model_input(inference.input_handler(as_json({"instances": batch.tolist()}), ctx()))
    assert out.shape == (2, 28, 28, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_npy_payload(dtype: type) -> None:
    batch = (images(4, (28, 28)) if dtype is not np.uint8
             else np.zeros((4, 28, 28)) + 1).astype(dtype)
    out = model_input(inference.input_handler(as_npy(batch), ctx("application/x-npy")))
    assert out.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(out.reshape(4, 28, 28), batch.astype(np.float32))


def test_request_carries_the_pixels_as_tf_serving_casts_them() -> None:
    """float32, rounded to nearest as TF Serving casts a JSON number for a float input."""
    body = {"instances": [[0.123, 1 / 3, 5e-324, -0.0] + [0.5] * 780]}
    out = model_input(inference.input_handler(as_json(body), ctx())).reshape(-1)
    expected = np.array([0.123, 1 / 3, 5e-324, -0.0] + [0.5] * 780).astype(np.float32)
    assert out.tobytes() == expected.tobytes()  # bit for bit: 5e-324 rounds to +0, -0.0 stays


def test_content_type_parameters_and_missing_content_type() -> None:
    body = {"instances": images(1).tolist()}
    assert model_input(inference.input_handler(
        as_json(body), ctx("application/json; charset=utf-8"))).shape == (1, 28, 28, 1)
    assert model_input(inference.input_handler(as_json(body), ctx(None))).shape == (1, 28, 28, 1)


def test_accepts_bytes_and_wildcard_accept() -> None:
    raw = json.dumps({"instances": images(1).tolist()}).encode()
    assert model_input(inference.input_handler(raw, ctx(accept="*/*"))).shape == (1, 28, 28, 1)


def test_max_batch_is_accepted() -> None:
    batch = np.zeros((inference.MAX_BATCH_SIZE, 784), dtype=np.float32)
    out = model_input(inference.input_handler(as_npy(batch), ctx("application/x-npy")))
    assert out.shape == (inference.MAX_BATCH_SIZE, 28, 28, 1)


def test_parse_images_returns_model_input() -> None:
    out = inference.parse_images(images(2, (784,)).tolist())
    assert out.dtype == np.float32 and out.shape == (2, 28, 28, 1)


# ----------------------------------------------------------------- rejected inputs


def expect_error(cls_name: str, match: str, data: Any, context: Context) -> None:
    cls = getattr(inference, cls_name)
    assert issubclass(cls, ValueError)
    with pytest.raises(cls, match=match):
        inference.input_handler(data, context)


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ({"instances": images(2, (28, 27)).tolist()}, r"shape \[2, 28, 27\]; expected a batch"),
        ({"instances": images(1, (28, 28, 3)).tolist()}, r"shape \[1, 28, 28, 3\]"),
        ({"instances": images(1, (28, 28))[0].tolist()}, r"wrap a single image in a list"),
        ({"instances": [[0.5] * 784, [0.5] * 783]}, "rectangular batch"),
        ({"instances": [["a"] * 784]}, "only numbers"),
        ({"instances": [[None] * 784]}, "only numbers"),
        ({"instances": [[True] * 784]}, "only numbers"),
        ({"instances": [[0.5] * 783 + [1.5]]}, r"range over \[0\.5, 1\.5\].*divide uint8"),
        ({"instances": [[-0.1] * 784]}, r"must be in \[0, 1\]"),
        ({"instances": []}, "empty batch"),
        ({"input_data": [{"values": []}]}, "empty batch"),
        ({"input_data": [{"fields": ["x"]}]}, r'exactly one object with "values"'),
        ({"input_data": {"values": []}}, r'exactly one object with "values"'),
        ({"images": []}, r"JSON body must be .* got \['images'\]"),
        ([[0.5] * 784], r"JSON body must be .* got list"),
    ],
    ids=["bad-shape", "rgb", "single-image", "ragged", "strings", "nulls", "booleans",
         "above-one", "negative", "empty-instances", "empty-values", "no-values",
         "input-data-not-list", "unknown-key", "bare-list"],
)
def test_invalid_json_inputs(payload: Any, match: str) -> None:
    expect_error("InvalidInputError", match, as_json(payload), ctx())


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(token: str) -> None:
    body = '{"instances": [[' + ", ".join(["0.5"] * 783 + [token]) + "]]}"
    expect_error("InvalidInputError", "NaN or infinite", io.BytesIO(body.encode()), ctx())


def test_npy_nan_is_refused() -> None:
    batch = np.zeros((1, 784), dtype=np.float32)
    batch[0, 3] = np.nan
    expect_error("InvalidInputError", "NaN or infinite", as_npy(batch), ctx("application/x-npy"))


def test_batch_too_large() -> None:
    batch = np.zeros((inference.MAX_BATCH_SIZE + 1, 784), dtype=np.float32)
    expect_error("InvalidInputError", f"batch of {inference.MAX_BATCH_SIZE + 1} images is too "
                 f"large: at most {inference.MAX_BATCH_SIZE}", as_npy(batch),
                 ctx("application/x-npy"))


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b'{"instances": [0.5'])
def test_invalid_json(body: bytes) -> None:
    expect_error("InvalidInputError", "not valid JSON", io.BytesIO(body), ctx())


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body(body: bytes) -> None:
    expect_error("InvalidInputError", "empty request body", io.BytesIO(body), ctx())


def test_npy_garbage_and_pickles_are_refused() -> None:
    expect_error("InvalidInputError", "not a numpy .npy array", io.BytesIO(b"garbage"),
                 ctx("application/x-npy"))
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    buffer.seek(0)
    expect_error("InvalidInputError", "pickles are refused", buffer, ctx("application/x-npy"))


def test_npy_complex_numbers_are_refused() -> None:
    expect_error("InvalidInputError", "only numbers", as_npy(np.zeros((1, 784), complex)),
                 ctx("application/x-npy"))


@pytest.mark.parametrize("content_type", ["text/csv", "image/png", "application/octet-stream"])
def test_unsupported_content_type(content_type: str) -> None:
    expect_error("UnsupportedContentTypeError",
                 f"unsupported content type '{content_type}': use one of application/json, "
                 "application/x-npy", as_json({"instances": []}), ctx(content_type))


def test_unsupported_accept_header() -> None:
    expect_error("UnsupportedContentTypeError", "Accept header 'text/csv'",
                 as_json({"instances": images(1).tolist()}), ctx(accept="text/csv"))


# ----------------------------------------------------------------- output handler


def softmax_rows(n: int, seed: int = 0) -> list[list[float]]:
    logits = np.random.default_rng(seed).normal(size=(n, 10))
    exp = np.exp(logits)
    return (exp / exp.sum(axis=1, keepdims=True)).tolist()


def test_output_handler_openscale_shape(fast_path: str) -> None:
    rows = softmax_rows(3)
    body, content_type = inference.output_handler(tfs_response({"predictions": rows}), ctx())
    assert content_type == "application/json"
    parsed = json.loads(body)
    assert list(parsed) == ["predictions"]
    (prediction,) = parsed["predictions"]
    assert prediction["fields"] == ["prediction", "probability"]
    assert [v[0] for v in prediction["values"]] == [int(np.argmax(r)) for r in rows]
    assert [v[1] for v in prediction["values"]] == rows
    assert all(isinstance(v[0], int) for v in prediction["values"])


def test_output_handler_accepts_columnar_outputs(fast_path: str) -> None:
    rows = softmax_rows(1)
    body, _ = inference.output_handler(tfs_response({"outputs": {"output_0": rows}}), ctx())
    assert json.loads(body)["predictions"][0]["values"][0][1] == rows[0]


def test_output_handler_raises_tf_serving_error() -> None:
    error = {"error": "Failed to process element: 0 of 'instances' list. Error: Invalid argument"}
    with pytest.raises(inference.ModelServerError,
                       match="TF Serving answered 400: Failed to process element: 0"):
        inference.output_handler(tfs_response(error, status=400), ctx())


def test_output_handler_non_json_error_body() -> None:
    response = SimpleNamespace(status_code=503, content=b"upstream down")
    with pytest.raises(inference.ModelServerError, match="503: upstream down"):
        inference.output_handler(response, ctx())


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ({"predictions": []}, 'no "outputs" or "predictions" list'),
        ({"result": [[0.1] * 10]}, 'no "outputs" or "predictions" list'),
        ({"predictions": [[0.5, 0.5]]}, "not 10 finite probabilities"),
        ({"predictions": [[0.5] * 10]}, "sum to 5.000000, not 1"),
        ({"predictions": [["x"] * 10]}, "not 10 finite probabilities"),
    ],
)
def test_output_handler_refuses_malformed_predictions(payload: Any, match: str,
                                                     fast_path: str) -> None:
    with pytest.raises(inference.ModelServerError, match=match):
        inference.output_handler(tfs_response(payload), ctx())


@pytest.mark.parametrize("spacing", [{}, {"separators": (",", ":")}, {"indent": 2}])
@pytest.mark.parametrize("key", ["predictions", "outputs"])
def test_output_handler_fast_path_answers_the_standard_values(
    spacing: dict, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same JSON values, float for float (the fast path keeps TF Serving's spelling)."""
    float32 = np.array(softmax_rows(3, seed=4), dtype=np.float32)
    as_tf_serving = (float32 / float32.sum(axis=1, keepdims=True)).tolist()
    rows = (softmax_rows(5, seed=3) + as_tf_serving
            + [[0.1] * 10, [1.0] + [0.0] * 9, [0.0, 0.5, 0.5] + [0.0] * 7])
    content = json.dumps({key: rows}, **spacing).encode()
    if key == "outputs":  # orjson writes float32 shortest, as the TF Serving emulator does
        import orjson

        content = orjson.dumps({key: np.array(as_tf_serving, dtype=np.float32)},
                               option=orjson.OPT_SERIALIZE_NUMPY)
    response = SimpleNamespace(status_code=200, content=content)
    fast = inference._fast_openscale_body(response.content)
    assert fast is not None
    monkeypatch.setattr(inference, "_simdjson", None)
    standard, content_type = inference.output_handler(response, ctx())
    assert content_type == "application/json"
    assert json.loads(fast) == json.loads(standard)
    values = json.loads(fast)["predictions"][0]["values"]
    assert all(isinstance(p, float) for _, row in values for p in row)


@pytest.mark.parametrize("text", [
    b"[[0.5,0.5]]", b"[[0.5,0.5],[1.0,0.0],[0.25,0.75]]", b"[[0.5, 0.5], [1.0, 0.0]]",
    b"[[0.5,0.5] ,[1.0,0.0]]", b"[ [0.5,0.5],[1.0,0.0] ]", b"[\n  [0.5,0.5],\n  [1.0,0.0]\n]",
])
def test_rows_are_the_innermost_lists_as_spelled(text: bytes) -> None:
    assert inference._rows(text) == inference._ROW.findall(text)


def test_output_handler_fast_path_steps_aside_for_integers() -> None:
    rows = [[1] + [0.0] * 9, [0.5, 0.5] + [0] * 8]
    content = json.dumps({"predictions": rows}).encode()
    assert inference._fast_openscale_body(content) is None
    body, _ = inference.output_handler(SimpleNamespace(status_code=200, content=content), ctx())
    assert json.loads(body)["predictions"][0]["values"][0] == [0, [1.0] + [0.0] * 9]


def test_output_handler_fast_path_steps_aside_for_numbers_without_a_point() -> None:
    """``1e-05`` has no "." yet is a float: the fast path cannot tell it from an int by the
    count of points, so it leaves it to the standard path, which keeps it a float."""
    content = b'{"predictions": [[0.99999, 1e-05, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]}'
    assert inference._fast_openscale_body(content) is None
    body, _ = inference.output_handler(SimpleNamespace(status_code=200, content=content), ctx())
    row = json.loads(content)["predictions"][0]
    assert json.loads(body)["predictions"][0]["values"] == [[0, row]]


def test_output_handler_invalid_json(fast_path: str) -> None:
    response = SimpleNamespace(status_code=200, content=b"<html>")
    with pytest.raises(inference.ModelServerError, match="not JSON"):
        inference.output_handler(response, ctx())


# ----------------------------------------------------------------- module properties


def test_errors_are_value_errors_with_one_base() -> None:
    for name in ("InvalidInputError", "UnsupportedContentTypeError", "ModelServerError"):
        cls = getattr(inference, name)
        assert issubclass(cls, inference.InferenceError)
        assert issubclass(cls, ValueError)


def test_seed_module_name_reexports_the_same_handlers() -> None:
    seed_module = _load("tf_cnn_inference_under_test", "tf_cnn_inference.py")
    rows = softmax_rows(2)
    expected = inference.output_handler(tfs_response({"predictions": rows}), ctx())
    assert seed_module.output_handler(tfs_response({"predictions": rows}), ctx()) == expected
    with pytest.raises(ValueError, match="empty batch"):
        seed_module.input_handler(as_json({"instances": []}), ctx())


def test_inference_module_imports_neither_tensorflow_nor_our_library() -> None:
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('inference', {str(USE_CASE_DIR / 'inference.py')!r})\n"  # noqa: E501
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'mlmonitor_lib', 'requests')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_inference_module_works_without_pysimdjson() -> None:
    """The serving image may lack the optional accelerators: the module must not need them."""
    code = (
        "import importlib.util, json, sys\n"
        "sys.modules['simdjson'] = None  # makes `import simdjson` raise ImportError\n"
        "sys.modules['pybase64'] = None\n"
        f"spec = importlib.util.spec_from_file_location('inference', {str(USE_CASE_DIR / 'inference.py')!r})\n"  # noqa: E501
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "body = json.dumps({'instances': [[0.5] * 784]}).encode()\n"
        "request = module.input_handler(body, None)\n"
        "image = json.loads(request)['inputs'][0]['b64']\n"
        "print(module._simdjson, module._b64encode.__module__, len(image))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "base64", str(4 * ((784 * 4 + 2) // 3))]


# ----------------------------------------------------------------- fast path
# input_handler's fast paths must answer what the standard path answers (json.loads,
# np.asarray, _validated, json.dumps(tolist())), or step aside so the standard path does. The
# standard-library one answers byte for byte; the simdjson one (when pysimdjson is installed)
# with the same numbers, bit for bit, passing an N x 28 x 28 x 1 array on in the caller's text.


@pytest.fixture(params=["stdlib", "simdjson"])
def fast_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "stdlib":
        monkeypatch.setattr(inference, "_simdjson", None)
    else:
        assert inference._simdjson is not None, "pysimdjson is a dependency of the suite"
    return request.param


def standard_request(body: bytes) -> bytes:
    """The request the standard path builds (raises its errors)."""
    return inference.serving_request(inference._validated(inference._images_from_json(body)))


def standard_outcome(body: bytes) -> tuple[str, bytes | str]:
    try:
        return "ok", standard_request(body)
    except inference.InferenceError as exc:
        return type(exc).__name__, str(exc)


def handler_outcome(body: bytes) -> tuple[str, bytes | str]:
    try:
        return "ok", inference.input_handler(body, ctx())
    except inference.InferenceError as exc:
        return type(exc).__name__, str(exc)


def numbers_body(tokens: list[str], wrap: str = "instances") -> bytes:
    array = "[[" + ", ".join(tokens) + "]]"
    if wrap == "instances":
        return ('{"instances": ' + array + "}").encode()
    return ('{"input_data": [{"values": ' + array + "}]}").encode()


def _fast_bodies() -> dict[str, bytes]:
    u8 = images(3)
    rng = np.random.default_rng(7)
    bodies = {}
    for shape, name in [((3, 28, 28, 1), "NHWC"), ((3, 28, 28), "NHW"), ((3, 784), "flat")]:
        batch = u8.reshape(shape).tolist()
        bodies[f"seed-{name}"] = json.dumps({"input_data": [{"values": batch}]}).encode()
        bodies[f"instances-{name}"] = json.dumps({"instances": batch}).encode()
        bodies[f"indented-{name}"] = json.dumps({"instances": batch}, indent=1).encode()
        bodies[f"compact-{name}"] = json.dumps({"input_data": [{"values": batch}]},
                                               separators=(",", ":")).encode()
    bodies["many-distinct"] = json.dumps({"instances": rng.random((2, 784)).tolist()}).encode()
    bodies["float32-values"] = json.dumps(
        {"instances": images(2, (784,)).astype(np.float32).tolist()}).encode()
    bodies["ints"] = json.dumps({"instances": rng.integers(0, 2, (2, 784)).tolist()}).encode()
    bodies["spellings"] = numbers_body(
        (["0", "-0", "1", "-0.0", "5e-1", "5E-1", "0.50", "1E+0", "0.1e1", "1e-5", "4.9e-324",
          "0.30000000000000004", "0.3000000000000000444"] * 61)[:784])
    bodies["json-whitespace"] = b' \n{ "input_data" :\t[ { "values" : [[' + b" ,\r\n".join(
        [b"0.25"] * 784) + b"] ] } ]\n} \n"
    return bodies


FAST_BODIES = _fast_bodies()


@pytest.mark.parametrize("name", list(FAST_BODIES))
def test_fast_path_answers_what_the_standard_path_answers(name: str, fast_path: str) -> None:
    body = FAST_BODIES[name]
    assert inference._fast_json_images(body) is not None, "the fast path should take this body"
    request = inference.input_handler(body, ctx())
    assert request == standard_request(body)
    assert inference.input_handler(body, ctx()) == request  # again, from the spelling cache


def test_fast_path_round_trip_keeps_every_value_exactly(fast_path: str) -> None:
    rng = np.random.default_rng(3)
    edge = [0.0, -0.0, 1.0, 5e-324, 1e-300, 2.2250738585072014e-308, 0.1, 1 / 3,
            0.30000000000000004, float(np.nextafter(1.0, 0.0)), float(np.nextafter(0.0, 1.0))]
    values = np.concatenate([edge, rng.random(2 * 784 - len(edge)) ** 5]).reshape(2, 28, 28, 1)
    for batch in (values, images(4)):
        body = json.dumps({"input_data": [{"values": batch.tolist()}]}).encode()
        back = model_input(inference.input_handler(body, ctx()))
        assert back.shape == batch.shape
        # bit for bit as float32, signs of zero included
        assert back.tobytes() == batch.astype(np.float32).tobytes()


# Tokens that are not JSON numbers, or not ones a double holds as np.asarray would: the fast
# path steps aside and the standard path names the problem.
UNREADABLE_TOKENS = ["01", ".5", "1.", "+1", "1e", "--1", "0x1", "NaN", "Infinity", "-Infinity",
                     "null", "true", '"0.5"', "", "1 2", "99999999999999999999999", "0.5\x0c"]
# Numbers the fast path may read, which validation then refuses exactly as the standard path.
INVALID_TOKENS = ["1e400", "-1e400", "1.5", "-0.1", "2"]


@pytest.mark.parametrize("token", UNREADABLE_TOKENS + INVALID_TOKENS)
@pytest.mark.parametrize("wrap", ["instances", "input_data"])
def test_fast_path_answers_other_numbers_as_the_standard_path(token: str, wrap: str,
                                                               fast_path: str) -> None:
    body = numbers_body(["0.5"] * 783 + [token], wrap)
    if token in UNREADABLE_TOKENS:
        assert inference._fast_json_images(body) is None
    assert handler_outcome(body) == standard_outcome(body)


def _fallback_bodies() -> dict[str, bytes]:
    row = b"[" + b", ".join([b"0.5"] * 784) + b"]"
    def nhwc(n: int, **kw: Any) -> str:
        return json.dumps(np.full((n, 28, 28, 1), 0.5).tolist(), **kw)
    return {
        "empty": b'{"instances": []}',
        "empty-image": b'{"instances": [[]]}',
        "bom": b'\xef\xbb\xbf{"instances": [' + row + b"]}",
        "trailing-garbage": b'{"instances": [' + row + b"]} x",
        "extra-brace": b'{"instances": [' + row + b"]}}",
        "duplicate-key": b'{"instances": [' + row + b'], "instances": [1]}',
        "trailing-comma": b'{"instances": [' + row + b",]}",
        "missing-comma": b'{"instances": [' + row + b" " + row + b"]}",
        "form-feed": b'{"instances": [' + row + b"]\x0c}",
        "two-input-data": b'{"input_data": [{"values": [' + row + b']}, {"values": []}]}',
        "extra-field": b'{"input_data": [{"values": [' + row + b'], "fields": []}]}',
        "unclosed": b'{"input_data": [{"values": [' + row + b"]}]",
        "too-large": ('{"instances": ' + json.dumps(np.full((1001, 784), 0.5).tolist())
                      + "}").encode(),
        "ragged": ('{"instances": ' + nhwc(2).replace("[0.5]", "[0.5, 0.5]", 1) + "}").encode(),
        "bad-shape": ('{"instances": ' + json.dumps(np.full((2, 28, 27), 0.5).tolist())
                      + "}").encode(),
        "single-image": ('{"instances": ' + json.dumps(np.full((28, 28), 0.5).tolist())
                         + "}").encode(),
        "empty-slot": ('{"instances": ' + nhwc(2).replace("0.5", "", 1) + "}").encode(),
    }


FALLBACK_BODIES = _fallback_bodies()


# Readable arrays that validation refuses (the fast path reads them; the outcome is the same).
INVALID_BODIES = {"too-large", "bad-shape", "single-image"}


@pytest.mark.parametrize("name", list(FALLBACK_BODIES))
def test_fast_path_answers_other_bodies_as_the_standard_path(name: str, fast_path: str) -> None:
    body = FALLBACK_BODIES[name]
    if name not in INVALID_BODIES:
        assert inference._fast_json_images(body) is None
    assert handler_outcome(body) == standard_outcome(body)


def test_max_batch_takes_the_fast_path(fast_path: str) -> None:
    body = json.dumps({"instances": np.full((inference.MAX_BATCH_SIZE, 784), 0.5).tolist()})
    assert inference._fast_json_images(body.encode()) is not None
    out = model_input(inference.input_handler(body.encode(), ctx()))
    assert out.shape == (inference.MAX_BATCH_SIZE, 28, 28, 1) and (out == 0.5).all()


def test_spelling_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inference, "_simdjson", None)  # the cache is the stdlib path's
    monkeypatch.setattr(inference, "_NUMBERS", {})
    monkeypatch.setattr(inference, "_MAX_NUMBERS", 8)
    for body in (FAST_BODIES["many-distinct"], FAST_BODIES["spellings"]):
        assert inference.input_handler(body, ctx()) == standard_request(body)
        assert len(inference._NUMBERS) <= 8


@pytest.mark.parametrize(
    "array",
    [images(3), images(2).astype(np.float32), np.random.default_rng(1).random((2, 784)),
     np.zeros((2, 28, 28)), -np.zeros((1, 784)), np.ones((1, 28, 28, 1), dtype=np.uint8),
     np.array([[0.0, -0.0] * 392])],
    ids=["u8-scaled", "float32", "many-distinct", "zeros", "negative-zeros", "uint8",
         "mixed-zeros"],
)
def test_npy_request_carries_the_float32_pixels(array: np.ndarray) -> None:
    request = inference.input_handler(as_npy(array), ctx("application/x-npy"))
    expected = array.astype(np.float64).astype(np.float32).reshape(len(array), 28, 28, 1)
    assert model_input(request).tobytes() == expected.tobytes()
