"""The model use case: ``ModelUseCase`` and the onboarding order, one module per stage.

``lifecycle`` holds the class (state, guards, cleanup); ``training``, ``serving``,
``governance`` and ``monitoring`` do each stage's work; ``port`` and ``profiles`` hold what
differs between use cases; ``display`` prints; ``onboarding`` lists the steps in the order the
lifecycle runs them.
"""

from mlmonitor_lib.usecase.lifecycle import (
    STATE_FLAGS,
    ModelUseCase,
    SageMakerModelUseCase,
    resolve_source_dir,
)
from mlmonitor_lib.usecase.onboarding import ONBOARDING, Step, onboard, steps_after

__all__ = ["ONBOARDING", "STATE_FLAGS", "ModelUseCase", "SageMakerModelUseCase", "Step",
           "onboard", "resolve_source_dir", "steps_after"]
