"""Lifecycle library of the model onboarding acceptance suite.

Importing this package must stay cheap: TensorFlow, sagemaker and the IBM SDKs are imported
inside the functions that need them, never at module level.
"""

from __future__ import annotations

__all__ = ["ModelUseCase", "SageMakerModelUseCase"]


def __getattr__(name: str):  # PEP 562: keep `import mlmonitor_lib` light
    if name in ("ModelUseCase", "SageMakerModelUseCase"):
        from mlmonitor_lib import usecase

        return getattr(usecase, name)
    raise AttributeError(f"module 'mlmonitor_lib' has no attribute {name!r}")
