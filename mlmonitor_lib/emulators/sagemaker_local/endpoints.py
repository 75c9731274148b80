"""Endpoint state of the local data plane: loading an artifact in the background, and the
endpoint's status walk (:class:`~mlmonitor_lib.emulators.pace.Progress`).

Why a walk: on AWS an endpoint is ``Creating`` for minutes before it is ``InService`` or
``Failed``, and ``Deleting`` for a while before it is gone (botocore's ``EndpointInService``
and ``EndpointDeleted`` waiters poll 30 s × 120 and 30 s × 60 for those; the states are
botocore's ``EndpointStatus`` enum). The adapter's waiting code must meet the same states
here: ``Creating`` lasts at least one observation and no less than the real model load;
``Deleting`` at least one observation, after which the endpoint is :data:`GONE`.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmonitor_lib.emulators.pace import Pace, Progress
from mlmonitor_lib.emulators.sagemaker_local.container import (
    ImageNotEmulated,
    ModelLoadError,
    ServingContainer,
)
from mlmonitor_lib.emulators.sagemaker_local.images import UnknownImageError, manifest_for
from mlmonitor_lib.emulators.sagemaker_local.s3io import download_and_extract
from mlmonitor_lib.emulators.sagemaker_local.sklearn_container import SKLearnServingContainer
from mlmonitor_lib.emulators.sagemaker_local.states import (
    CREATING_S,
    DELETING_S,
    ENDPOINT_STATUS,
)

# Not an EndpointStatus: the walk's end after Deleting, when Describe answers "Could not find".
GONE = "(gone)"
# SageMaker's FailureReason when /ping fails; live puts the container's own error in CloudWatch.
# The "(container log: ...)" suffix is the emulator's stand-in for CloudWatch: the container
# log's last error line (e.g. "ModuleNotFoundError: No module named 'numpy'").
HEALTH_CHECK_FAILED = (
    "The primary container for production variant {variant} did not pass the ping health "
    "check. Please check CloudWatch logs for this endpoint. (container log: {detail})"
)


@dataclass
class LocalEndpoint:
    """One endpoint: its status walk, its loaded container, the variant serving it."""

    name: str
    config_name: str
    root: Path
    pace: Pace = field(default_factory=Pace)
    clock: Callable[[], float] = time.monotonic
    failure_reason: str | None = None
    variant: str = "AllTraffic"
    container: ServingContainer | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    progress: Progress = field(init=False)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        # Creating holds until the model is loaded (or failed): never InService before that.
        self.progress = Progress(self.pace, [(_status("Creating"), CREATING_S)],
                                 _status("InService"), hold=lambda: not self.ready.is_set(),
                                 clock=self.clock)

    @property
    def status(self) -> str:
        """The status now, without counting as an observation (InvokeEndpoint's check)."""
        return self.progress.peek()

    def observe(self) -> str:
        """The status a DescribeEndpoint or ListEndpoints sees (advances the walk)."""
        return self.progress.observe()

    def begin_delete(self) -> None:
        """DeleteEndpoint: ``Deleting`` from the next observation, then :data:`GONE`; the
        container stops serving at once."""
        self.progress.restart([(_status("Deleting"), DELETING_S)], GONE)
        container, self.container = self.container, None
        if container is not None:
            container.close()  # stops the container's Python service process

    def start(self, sagemaker: Any, s3: Any) -> None:
        self._thread = threading.Thread(target=self._load, args=(sagemaker, s3),
                                        name=f"sm-endpoint-{self.name}", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _load(self, sagemaker: Any, s3: Any) -> None:
        try:
            config = sagemaker.describe_endpoint_config(EndpointConfigName=self.config_name)
            variant = config["ProductionVariants"][0]
            self.variant = variant.get("VariantName", "AllTraffic")
            model = sagemaker.describe_model(ModelName=variant["ModelName"])
            container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
            model_data = container.get("ModelDataUrl")
            if not model_data:
                raise ModelLoadError(f"model {variant['ModelName']!r} has no ModelDataUrl")
            model_dir = self.root / "model"
            try:
                download_and_extract(s3, model_data, model_dir)
            except Exception as exc:
                raise ModelLoadError(f"cannot read model artifact {model_data}: {exc}") from exc
            self.container = _open_container(model_dir, model, s3)
        except ImageNotEmulated as exc:  # not a failed container: an image the emulator lacks
            self._fail(str(exc), reason="ClientError: {detail}")
        except ModelLoadError as exc:
            self._fail(str(exc))
        except Exception as exc:  # the emulator itself failed: still an endpoint failure
            self._fail(f"{type(exc).__name__}: {exc}")
        finally:
            self.ready.set()

    def _fail(self, detail: str, reason: str = HEALTH_CHECK_FAILED) -> None:
        self.failure_reason = reason.format(variant=self.variant, detail=detail)
        self.progress.finish(_status("Failed"))  # before ready is set: never InService

    def overlay(self, desc: dict[str, Any], status: str | None = None) -> None:
        """Write ``status`` (the observed one) and the FailureReason over moto's
        always-``InService`` description or summary."""
        desc["EndpointStatus"] = status or self.status
        if self.failure_reason:
            desc["FailureReason"] = self.failure_reason
        else:
            desc.pop("FailureReason", None)

    def discard(self) -> None:
        container, self.container = self.container, None
        if container is not None:
            container.close()  # stops the container's Python service process
        shutil.rmtree(self.root, ignore_errors=True)


def _open_container(model_dir: Path, model: dict[str, Any], s3: Any) -> ServingContainer:
    """The serving contract of the model's image (its manifest's ``serving``)."""
    primary = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    try:
        manifest = manifest_for(str(primary.get("Image") or ""))
    except UnknownImageError as exc:
        raise ImageNotEmulated(str(exc)) from exc
    if manifest.serving == "scikit-learn":
        return SKLearnServingContainer(model_dir, model, manifest, s3)
    return ServingContainer(model_dir, model)


def _status(name: str) -> str:
    """``name``, checked against botocore's ``EndpointStatus`` enum (no invented states)."""
    if name not in ENDPOINT_STATUS:
        raise ValueError(f"{name!r} is not a SageMaker EndpointStatus: {ENDPOINT_STATUS}")
    return name
