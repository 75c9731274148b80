"""``ModelUseCase``: the onboarding lifecycle, its guards and its state transitions.

The seed's users type ``SageMakerModelUseCase(source_dir, catalog_id, model_entry_id)`` and call
``train()``, ``deploy()``, ``score_model()``, ``govern()``, ``monitor()``, ``log_payload()``,
``configure_quality_monitor()``, ``log_feedback()``, ``evaluate()``, ``display_states()`` and
``cleanup()``. Each step checks that the step it depends on has run (``LifecycleError`` names
it), records every resource in the state file the moment it exists, and does nothing new when
called again. The class never knows which mode it runs in: it gets a ``boto3.Session`` and
:class:`~mlmonitor_lib.settings.Settings`, real or pointing at emulators.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from mlmonitor_lib import aws
from mlmonitor_lib.errors import LifecycleError, SettingsError
from mlmonitor_lib.settings import Settings
from mlmonitor_lib.signature import ModelSignature, load_signature
from mlmonitor_lib.state import LifecycleState, StateStore

if TYPE_CHECKING:
    import boto3

log = logging.getLogger("mlmonitor_lib")

ROOT = Path(__file__).resolve().parents[1]
STATE_FLAGS = ("trained", "deployed", "governed", "monitored")


def resolve_source_dir(source_dir: str | Path) -> Path:
    """A use-case folder as given, or relative to the project (the seed passes a bare name)."""
    candidate = Path(source_dir)
    for path in (candidate, ROOT / candidate):
        if (path / "model_signature.json").is_file():
            return path.resolve()
    raise SettingsError(
        f"model use case folder {source_dir!r} not found (looked in {Path.cwd()} and {ROOT}); "
        "pass the folder that holds model_signature.json"
    )


class ModelUseCase:
    """One model's onboarding: train, deploy, score, govern, monitor, evaluate, clean up."""

    def __init__(
        self,
        source_dir: str | Path = "use_case_mnist_tf",
        catalog_id: str | None = None,
        model_entry_id: str | None = None,
        *,
        settings: Settings | None = None,
        session: boto3.Session | None = None,
        state_file: str | Path | None = None,
        hyperparameters: dict[str, Any] | None = None,
        data_dir: str | Path | None = None,
        out: TextIO | None = None,
        _store: StateStore | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self.source_dir = resolve_source_dir(source_dir)
        self.signature: ModelSignature = load_signature(self.source_dir)
        self.session = session or aws.boto3_session(self.settings)
        self.data_dir = Path(data_dir) if data_dir else self._default_data_dir()
        self.out = out
        self.hyperparameter_overrides = dict(hyperparameters or {})
        self._test_set: tuple[np.ndarray, np.ndarray] | None = None
        if _store is not None:
            self.store = _store
            return
        run_id = uuid.uuid4().hex[:8]
        path = Path(state_file) if state_file else (
            self.settings.state_dir / f"{self.signature.aws_runtime.job_name}-{run_id}.json"
        )
        self.store = StateStore.create(
            path,
            LifecycleState(
                run_id=run_id,
                source_dir=str(self.source_dir),
                catalog_id=catalog_id or self.settings.catalog_id,
                model_entry_id=model_entry_id or self.settings.model_entry_id,
            ),
        )

    @classmethod
    def load(
        cls,
        state_file: str | Path,
        *,
        settings: Settings | None = None,
        session: boto3.Session | None = None,
        out: TextIO | None = None,
        data_dir: str | Path | None = None,
    ) -> ModelUseCase:
        """Resume a use case another process started, from its state file."""
        store = StateStore.load(Path(state_file))
        return cls(
            store.state.source_dir, settings=settings, session=session, out=out,
            data_dir=data_dir, hyperparameters=store.state.hyperparameters, _store=store,
        )

    # ----------------------------------------------------------------------------- state
    @property
    def state(self) -> LifecycleState:
        return self.store.state

    @property
    def state_file(self) -> Path:
        return self.store.path

    def states(self) -> dict[str, bool]:
        """The four flags the seed's ``display_states()`` prints."""
        return {flag: getattr(self.state, flag) for flag in STATE_FLAGS}

    def display_states(self) -> None:
        """Print the lifecycle flags exactly as the original project does."""
        lines = [
            f"              - {flag + ':':<10} [{value}]"
            for flag, value in self.states().items()
        ]
        self._print("\n" + "\n".join(lines) + "\n")

    @property
    def stream(self) -> TextIO:
        """Where progress and the seed's displays go: ``out`` if given, else the current
        ``sys.stdout`` (looked up at each call, so captured output is honoured)."""
        return self.out or sys.stdout

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def _require(self, flag: str, step: str, first: str) -> None:
        if not getattr(self.state, flag):
            raise LifecycleError(f"{step}() needs a {flag} model: run {first}() first")

    def _default_data_dir(self) -> Path:
        from mlmonitor_lib.datasets import mnist_dir

        return mnist_dir()

    # ----------------------------------------------------------------------------- training
    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The signature's budget, the caller's overrides, and the seed's governance ids."""
        params: dict[str, Any] = {**self.signature.hyperparameters, **self.hyperparameter_overrides}
        if self.state.catalog_id:
            params["catalog-id"] = self.state.catalog_id
        if self.state.model_entry_id:
            params["model-entry-id"] = self.state.model_entry_id
        return params

    def train(self) -> dict[str, Any]:
        """Run the SageMaker training job; returns the job name, artifact and metrics."""
        if self.state.trained:
            self._print(f"model already trained by job {self.state.job_name}; not training again")
            return self._training_summary()
        runtime = self.signature.aws_runtime
        role = self._setting("aws_role", "AWS_ROLE")
        bucket = self._setting("bucket_name", "BUCKET_NAME")
        region = self.settings.aws_default_region
        params = self.hyperparameters
        self._print(json.dumps({
            "base_job_name": runtime.job_name, "entry_point": runtime.train_script,
            "source_dir": str(self.source_dir), "role": role, "instance_count": 1,
            "instance_type": runtime.train_instance,
            "output_path": f"s3://{bucket}/{runtime.prefix}", "hyperparameters": params,
            "py_version": runtime.py_version, "framework_version": runtime.framework_version,
        }))
        aws.ensure_bucket(self.session, bucket, region, ledger=self.store)
        upload = aws.upload_dataset(self.session, bucket, self.data_dir, ledger=self.store)
        datasets = self.signature.datasets
        result = aws.train_model(
            self.session,
            role_arn=role, bucket=bucket, region=region, source_dir=self.source_dir,
            entry_point=runtime.train_script, hyperparameters=params,
            channels={
                datasets.training_channel: upload.s3_uri, datasets.test_channel: upload.s3_uri
            },
            job_name_base=runtime.job_name, output_prefix=runtime.prefix,
            framework_version=runtime.framework_version, py_version=runtime.py_version,
            instance_type=runtime.train_instance, ledger=self.store, out=self.stream,
        )
        self.store.update(
            trained=True, job_name=result.job_name, model_data=result.model_data,
            training_metrics=result.metrics, hyperparameters=self.hyperparameter_overrides,
        )
        self._print(f"INFO - Model artifact produced by training job {result.model_data}")
        return self._training_summary()

    def attach_training_job(self, job_name: str) -> dict[str, Any]:
        """Adopt a completed training job (this run's or another's) as this use case's model,
        as SageMaker's ``attach`` does: deploy it without training again."""
        desc = self.describe_training_job(job_name)
        if desc["TrainingJobStatus"] != "Completed":
            raise LifecycleError(
                f"training job {job_name!r} is {desc['TrainingJobStatus']}, not Completed: "
                "attach a completed job or run train()"
            )
        model_data = desc["ModelArtifacts"]["S3ModelArtifacts"]
        metrics = aws.read_job_metrics(self.session, model_data.rsplit("/", 1)[0] + "/")
        self.store.update(trained=True, job_name=job_name, model_data=model_data,
                          training_metrics=metrics)
        return self._training_summary()

    def describe_training_job(self, job_name: str | None = None) -> dict[str, Any]:
        """SageMaker's description of this use case's training job (or ``job_name``)."""
        name = job_name or self.state.job_name
        if not name:
            raise LifecycleError("no training job yet: run train() first")
        return aws.make_client(self.session, "sagemaker").describe_training_job(
            TrainingJobName=name
        )

    def list_training_jobs(self) -> list[str]:
        """Names of the training jobs of this use case's base job name, oldest first."""
        client = aws.make_client(self.session, "sagemaker")
        base = self.signature.aws_runtime.job_name
        names = []
        for page in client.get_paginator("list_training_jobs").paginate(NameContains=base):
            names += [job["TrainingJobName"] for job in page["TrainingJobSummaries"]]
        return sorted(names)

    def artifact_size(self, s3_uri: str) -> int:
        """Size in bytes of an S3 object (the model artifact)."""
        from mlmonitor_lib.aws.s3 import parse_s3_uri

        bucket, key = parse_s3_uri(s3_uri)
        head = aws.make_client(self.session, "s3").head_object(Bucket=bucket, Key=key)
        return int(head["ContentLength"])

    def _training_summary(self) -> dict[str, Any]:
        return {
            "job_name": self.state.job_name,
            "model_data": self.state.model_data,
            "metrics": dict(self.state.training_metrics),
        }

    def _setting(self, field: str, name: str) -> str:
        value = getattr(self.settings, field)
        if not value:
            raise SettingsError(f"{name} is not set: set it in the environment, .env or "
                                "the MONITOR_CONFIG_FILE credentials file")
        return str(value)

    # ----------------------------------------------------------------------------- serving
    def test_set(self) -> tuple[np.ndarray, np.ndarray]:
        """t10k images as float32 N×28×28×1 in [0, 1], and their labels."""
        if self._test_set is None:
            from mlmonitor_lib.datasets import load_mnist

            images, labels = load_mnist(self.data_dir, "t10k")
            self._test_set = (images[..., None].astype(np.float32) / 255.0, labels)
        return self._test_set

    def deploy(self) -> dict[str, Any]:
        """Create model, endpoint config and endpoint; wait until InService; smoke-test."""
        self._require("trained", "deploy", "train")
        runtime = self.signature.aws_runtime
        if self.state.deployed:
            self._print(f"endpoint {self.state.endpoint_name} already deployed")
        deployment = aws.deploy_model(
            self.session,
            job_name=self.state.job_name or runtime.job_name,
            model_data=self.state.model_data or "",
            role_arn=self._setting("aws_role", "AWS_ROLE"),
            region=self.settings.aws_default_region,
            framework_version=runtime.framework_version,
            instance_type=runtime.inference_instance,
            endpoint_name=self.state.endpoint_name,
            smoke_images=self.test_set()[0][:2],
            ledger=self.store,
            out=self.stream,
        )
        self.store.update(
            deployed=True, endpoint_name=deployment.endpoint_name,
            endpoint_config_name=deployment.endpoint_config_name,
            model_name=deployment.model_name,
        )
        return {"endpoint_name": deployment.endpoint_name, "created": deployment.created}

    def score_model(self, num_samples: int = 10, offset: int = 0) -> dict[str, Any]:
        """Score ``num_samples`` test images: ``{"fields", "values", "response_time_ms"}``."""
        self._require("deployed", "score_model", "deploy")
        images, _ = self.test_set()
        batch = images[offset : offset + num_samples]
        self._print(f"INFO - EndpointName used for inference: {self.state.endpoint_name}")
        result = aws.invoke_endpoint(self.session, self.state.endpoint_name or "", batch)
        self._print(f"response_time {result.response_time_ms:.0f}ms")
        return {**result.predictions, "response_time_ms": result.response_time_ms}

    def invoke_raw(
        self, body: bytes, *, content_type: str = "application/json",
        endpoint_name: str | None = None,
    ) -> bytes:
        """Send a body as it is (no validation on our side): how a client in the wild calls."""
        self._require("deployed", "invoke_raw", "deploy")
        from mlmonitor_lib.aws.scoring import invoke_raw

        runtime = aws.make_client(self.session, "sagemaker-runtime")
        payload, _ = invoke_raw(
            runtime, endpoint_name or self.state.endpoint_name or "", body,
            content_type=content_type,
        )
        return payload

    def describe_endpoint(self) -> dict[str, Any]:
        self._require("deployed", "describe_endpoint", "deploy")
        return aws.make_client(self.session, "sagemaker").describe_endpoint(
            EndpointName=self.state.endpoint_name
        )

    def remaining_serving_resources(self) -> list[str]:
        """Endpoints, endpoint configs and models of this run that SageMaker still lists."""
        client = aws.make_client(self.session, "sagemaker")
        names = {r.id for r in self.state.resources if r.service == "serving"}
        found = [e["EndpointName"] for e in client.list_endpoints()["Endpoints"]]
        configs = client.list_endpoint_configs()["EndpointConfigs"]
        found += [c["EndpointConfigName"] for c in configs]
        found += [m["ModelName"] for m in client.list_models()["Models"]]
        return sorted(name for name in found if name in names)

    # ----------------------------------------------------------------------------- cleanup
    def cleanup(self) -> dict[str, int]:
        """Delete everything the ledger lists as alive; returns counts per service."""
        counts = {"serving": 0, "wos": 0, "factsheets": 0}
        endpoints = self.store.alive("serving", "endpoint")
        configs = self.store.alive("serving", "endpoint-config")
        models = self.store.alive("serving", "model")
        if endpoints or configs or models:
            self._print(f"INFO - deleting [aws] resources for [{self.state.endpoint_name}]...")
            counts["serving"] = aws.delete_endpoint_resources(
                self.session,
                endpoint_name=endpoints[0].id if endpoints else None,
                endpoint_config_name=configs[0].id if configs else None,
                model_names=[m.id for m in models] or None,
                ledger=self.store,
            )
        self.store.update(deployed=False, endpoint_name=None, endpoint_config_name=None,
                          model_name=None)
        self._print(str(counts))
        return counts


SageMakerModelUseCase = ModelUseCase
