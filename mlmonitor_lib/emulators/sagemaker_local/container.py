"""The SageMaker TensorFlow Serving container, in process: SavedModel + ``code/inference.py``.

It follows the container's ``python_service.py``: the model is the highest numeric version
directory holding a ``saved_model.pb``; ``code/inference.py`` is imported by file path (no
``sys.path`` change) and may define ``handler(data, context)`` or ``input_handler`` /
``output_handler``; without them JSON bodies go to TF Serving unchanged. A handler exception
becomes HTTP 500 with ``{"error": "<message>"}``, which SageMaker turns into ``ModelError``.
"""

from __future__ import annotations

import importlib.util
import io
import json
from collections import namedtuple
from pathlib import Path
from types import ModuleType
from typing import Any

from mlmonitor_lib.emulators.sagemaker_local.tfserving import PredictResponse, TFServingREST

Context = namedtuple(
    "Context",
    "model_name model_version method rest_uri grpc_port channel custom_attributes "
    "request_content_type accept_header content_length",
)
MODEL_NAME = "model"
REST_PORT = 8501


class ModelLoadError(Exception):
    """The artifact cannot be served: the endpoint becomes ``Failed`` with this reason."""


class ServingContainer:
    """A loaded model answering ``/invocations`` like the TF Serving container."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)
        self.version_dir = _latest_version(self.model_dir)
        self.version = self.version_dir.name
        try:
            import tensorflow as tf  # lazily: only endpoints pay for TensorFlow

            self._loaded = tf.saved_model.load(str(self.version_dir))
            self.tf_serving = TFServingREST(self._loaded)
        except Exception as exc:  # any TF load error is a failed health check on AWS
            raise ModelLoadError(f"TF Serving could not load the SavedModel: {exc}") from exc
        self.handlers = _load_handlers(self.model_dir / "code" / "inference.py")
        self.rest_uri = f"http://localhost:{REST_PORT}/v1/models/{MODEL_NAME}:predict"

    def invoke(self, body: bytes, content_type: str | None, accept: str | None,
               custom_attributes: str | None = None) -> tuple[int, bytes, str]:
        """One ``POST /invocations``: (container status, body, content type)."""
        context = Context(MODEL_NAME, self.version, "predict", self.rest_uri, 9000, None,
                          custom_attributes, content_type or "application/json",
                          accept or "application/json", len(body))
        try:
            result, result_type = self._handle(io.BytesIO(body), context)
        except Exception as exc:  # noqa: BLE001 - the container catches everything, as here
            return 500, json.dumps({"error": str(exc)}).encode(), "application/json"
        data = result.encode() if isinstance(result, str) else bytes(result)
        return 200, data, result_type or "application/json"

    def _handle(self, data: io.BytesIO, context: Context) -> tuple[Any, str]:
        handlers = self.handlers
        if handlers is not None and hasattr(handlers, "handler"):
            return handlers.handler(data, context)
        if handlers is not None and hasattr(handlers, "input_handler"):
            request = handlers.input_handler(data, context)
        else:
            request = data.read()
        response = self.tf_serving.predict(request)
        if handlers is not None and hasattr(handlers, "output_handler"):
            return handlers.output_handler(response, context)
        return _default_output(response, context)


def _default_output(response: PredictResponse, context: Context) -> tuple[bytes, str]:
    if response.status_code != 200:
        raise ValueError(response.text)
    return response.content, "application/json"


def _latest_version(model_dir: Path) -> Path:
    versions = [p for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()
                and (p / "saved_model.pb").is_file()] if model_dir.is_dir() else []
    if not versions:
        found = sorted(p.name for p in model_dir.iterdir()) if model_dir.is_dir() else []
        raise ModelLoadError(
            "no SavedModel version directory (e.g. 1/saved_model.pb) at the root of the model "
            f"artifact; it holds {found}"
        )
    return max(versions, key=lambda p: int(p.name))


def _load_handlers(path: Path) -> ModuleType | None:
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"sagemaker_local_inference_{id(path)}", path)
    if spec is None or spec.loader is None:
        raise ModelLoadError(f"cannot import {path.name}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ModelLoadError(f"code/inference.py failed to import: {exc!r}") from exc
    return module
