"""Endpoint state of the local data plane: loading an artifact in the background.

Why in the background: on AWS an endpoint is ``Creating`` for minutes before it is
``InService`` or ``Failed``; the adapter's waiting code must be exercised the same way here.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmonitor_lib.emulators.sagemaker_local.container import ModelLoadError, ServingContainer
from mlmonitor_lib.emulators.sagemaker_local.s3io import download_and_extract

HEALTH_CHECK_FAILED = (
    "The primary container for production variant {variant} did not pass the ping health "
    "check: {detail}"
)


@dataclass
class LocalEndpoint:
    """One endpoint: its status, its loaded container, the variant serving it."""

    name: str
    config_name: str
    root: Path
    status: str = "Creating"
    failure_reason: str | None = None
    variant: str = "AllTraffic"
    container: ServingContainer | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

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
            self.container = ServingContainer(model_dir)
            self.status = "InService"
        except ModelLoadError as exc:
            self._fail(str(exc))
        except Exception as exc:  # the emulator itself failed: still an endpoint failure
            self._fail(f"{type(exc).__name__}: {exc}")
        finally:
            self.ready.set()

    def _fail(self, detail: str) -> None:
        self.failure_reason = HEALTH_CHECK_FAILED.format(variant=self.variant, detail=detail)
        self.status = "Failed"

    def overlay(self, desc: dict[str, Any]) -> None:
        desc["EndpointStatus"] = self.status
        if self.failure_reason:
            desc["FailureReason"] = self.failure_reason
        else:
            desc.pop("FailureReason", None)

    def discard(self) -> None:
        self.container = None
        shutil.rmtree(self.root, ignore_errors=True)
