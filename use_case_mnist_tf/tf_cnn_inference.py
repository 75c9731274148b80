"""The seed's name for the inference handlers, kept so existing commands and imports still work.

The real implementation is ``inference.py`` (the only file name the SageMaker TF Serving
container loads, as ``code/inference.py``). This module loads that sibling file by path rather
than by ``import inference`` so it works however it is reached: as a script's sibling, as
``use_case_mnist_tf.tf_cnn_inference``, or loaded by file path like the container does.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _load_inference() -> ModuleType:
    """Load ``inference.py`` next to this file once, under a private module name."""
    name = "mnist_tf_inference"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().with_name("inference.py")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - file shipped alongside
        raise ImportError(f"cannot load the inference handlers from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_inference = _load_inference()

InferenceError = _inference.InferenceError
InvalidInputError = _inference.InvalidInputError
ModelServerError = _inference.ModelServerError
UnsupportedContentTypeError = _inference.UnsupportedContentTypeError
input_handler = _inference.input_handler
output_handler = _inference.output_handler
parse_images = _inference.parse_images
predictions_to_openscale = _inference.predictions_to_openscale

__all__ = list(_inference.__all__)
