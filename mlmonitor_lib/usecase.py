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
from mlmonitor_lib.errors import (
    CleanupFailure,
    CleanupIncomplete,
    DatasetError,
    LifecycleError,
    MlMonitorError,
    NotEnoughFeedback,
    ReleaseRefused,
    SettingsError,
)
from mlmonitor_lib.settings import Settings
from mlmonitor_lib.signature import ModelSignature, load_signature
from mlmonitor_lib.state import LifecycleState, StateStore

if TYPE_CHECKING:
    import boto3

    from mlmonitor_lib.ibm.factsheets import AssetSummary
    from mlmonitor_lib.ibm.openscale import EvaluationResult, OpenScaleMonitor

log = logging.getLogger("mlmonitor_lib")

ROOT = Path(__file__).resolve().parents[1]
STATE_FLAGS = ("trained", "deployed", "governed", "monitored")


def resolve_source_dir(source_dir: str | Path) -> Path:
    """A use-case folder as given, or relative to the project (the seed passes a bare name)."""
    candidate = Path(source_dir)
    for path in (candidate, ROOT / candidate):
        if path.is_dir():  # a folder without a signature is refused by load_signature
            return path.resolve()
    places = dict.fromkeys(str(p) for p in (Path.cwd(), ROOT))  # once each, in order
    raise SettingsError(
        f"model use case folder {source_dir!r} not found (looked in {' and '.join(places)}); "
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
        self._monitor: OpenScaleMonitor | None = None
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
    def reload(self) -> None:
        """Re-read the state file, e.g. after another process cleaned up or resumed this run."""
        self.store = StateStore.load(self.store.path)
        self._monitor = None

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
        self._verify_training_data()
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
            metric_definitions=[d.model_dump() for d in runtime.metric_definitions],
            policy=aws.wait_policy(self.settings, aws.TRAINING_DONE),
        )
        self.store.update(
            trained=True, job_name=result.job_name, model_data=result.model_data,
            training_metrics=result.metrics, hyperparameters=self.hyperparameter_overrides,
        )
        self._print(f"INFO - Model artifact produced by training job {result.model_data}")
        return self._training_summary()

    def _verify_training_data(self) -> None:
        """Train only on the governed data set: every file must match its pinned checksums."""
        from mlmonitor_lib.datasets import verify

        report = verify(self.data_dir)
        if not report.ok:
            raise DatasetError(
                "training data is not the governed MNIST data set:\n"
                + "\n".join(report.lines())
                + "\nDelete the bad files and run `python -m mlmonitor_lib data fetch`."
            )

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
            from mlmonitor_lib.datasets import load_mnist, model_input

            images, labels = load_mnist(self.data_dir, "t10k")
            self._test_set = (model_input(images), labels)
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
            policy=aws.wait_policy(self.settings, aws.ENDPOINT_IN_SERVICE),
            deleted_policy=aws.wait_policy(self.settings, aws.ENDPOINT_DELETED),
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

    def _require_endpoint(self, step: str) -> None:
        """The state says deployed; make sure SageMaker agrees before building on it.

        A ``Deleting`` endpoint is as gone as a missing one (SageMaker deletes asynchronously:
        it stays listed as ``Deleting`` for a while); a ``Failed`` one serves nothing either.
        """
        from botocore.exceptions import ClientError

        from mlmonitor_lib.aws.errors import error_text, is_not_found
        from mlmonitor_lib.errors import ServiceError

        name = self.state.endpoint_name
        try:
            status = self.describe_endpoint()["EndpointStatus"]
        except ClientError as exc:
            if not is_not_found(exc):
                raise ServiceError(
                    f"SageMaker: DescribeEndpoint for {name!r} failed "
                    f"({error_text(exc)}); retry {step}() when SageMaker answers again"
                ) from exc
            status = None
        if status in (None, "Deleting", "OutOfService"):
            self.store.update(deployed=False)
            being = "" if status is None else f" (it is {status})"
            raise LifecycleError(
                f"{step}() needs endpoint {name!r}, which no longer exists in SageMaker"
                f"{being} (deleted outside this run?): run deploy() again first"
            )
        if status == "Failed":
            self.store.update(deployed=False)
            raise LifecycleError(
                f"{step}() needs endpoint {name!r}, which is Failed in SageMaker: run cleanup() "
                "and deploy() again first"
            )

    def _score_batches(
        self, images: np.ndarray, batch_size: int = 10
    ) -> tuple[list[int], list[list[float]], list[float]]:
        """Score through the endpoint in batches: classes, probabilities and, per image, the
        response time of the request that carried it (ms)."""
        classes: list[int] = []
        probabilities: list[list[float]] = []
        times: list[float] = []
        name = self.state.endpoint_name or ""
        for start in range(0, len(images), batch_size):
            batch = images[start : start + batch_size]
            result = aws.invoke_endpoint(self.session, name, batch)
            for predicted, probs in result.predictions["values"]:
                classes.append(int(predicted))
                probabilities.append([float(p) for p in probs])
                times.append(result.response_time_ms)
        return classes, probabilities, times

    @property
    def scoring_url(self) -> str:
        """The endpoint's invocation URL, as OpenScale and Factsheets record it."""
        region = self.settings.aws_default_region
        return (f"https://runtime.sagemaker.{region}.amazonaws.com/endpoints/"
                f"{self.state.endpoint_name}/invocations")

    # ----------------------------------------------------------------------------- governance
    def _factsheets(self):  # noqa: ANN202 - lazy import keeps the SDK out of import time
        from mlmonitor_lib.ibm.factsheets import FactsheetsAdapter

        return FactsheetsAdapter(self.settings, scratch_parent=self.store.path.parent)

    def govern(self) -> dict[str, Any]:
        """Register the deployed model as an external model asset in AI Factsheets, with its
        deployment and training facts, tracked in the model use case."""
        self._require("deployed", "govern", "deploy")
        if self.state.governed:
            self._print(f"model already governed as asset {self.state.ids.get('model_asset')}")
            return {"asset_id": self.state.ids.get("model_asset")}
        runtime = self.signature.aws_runtime
        name = self.state.endpoint_name or runtime.job_name
        result = self._factsheets().govern(
            model_identifier=name, name=name, ledger=self.store,
            description=self.signature.description,
            deployment_details={
                "identifier": name, "name": name, "deployment_type": "online",
                "scoring_endpoint": self.scoring_url,
                "description": f"SageMaker endpoint serving training job {self.state.job_name}",
            },
            hyperparameters=self.hyperparameters,
            metrics={k: float(v) for k, v in self.state.training_metrics.items()
                     if isinstance(v, int | float) and not isinstance(v, bool)},
            catalog_id=self.state.catalog_id, model_entry_id=self.state.model_entry_id,
        )
        self.store.update(governed=True, ids={**self.state.ids, "model_asset": result.asset_id})
        self._print(f"INFO : External model asset saved successfully under asset_id "
                    f"{result.asset_id} and catalog {result.catalog_id}")
        self._print(f"INFO : Successfully finished linking Model {result.asset_id} to Model "
                    f"Entry {result.model_entry_id}")
        return {"asset_id": result.asset_id, "catalog_id": result.catalog_id,
                "model_entry_id": result.model_entry_id, "version": result.version}

    def factsheet(self) -> AssetSummary:
        """What AI Factsheets holds about the governed model (asset, link, facts)."""
        self._require("governed", "factsheet", "govern")
        return self._factsheets().asset_summary(self.state.ids["model_asset"],
                                                self.state.catalog_id)

    # ----------------------------------------------------------------------------- monitoring
    @property
    def wos(self) -> OpenScaleMonitor:
        """The OpenScale monitor of this use case, resumed from the ledger and state ids."""
        if self._monitor is None:
            from mlmonitor_lib.ibm.openscale import OpenScaleMonitor

            monitor = OpenScaleMonitor.resume(self.settings, self.store, self.store.alive("wos"))
            wos_keys = ("data_mart", "service_provider", "subscription", "payload_data_set",
                        "feedback_data_set", "quality")
            for key in wos_keys:
                if key in self.state.ids:
                    monitor.ids.setdefault(key, self.state.ids[key])
            self._monitor = monitor
        return self._monitor

    def _save_wos_ids(self, **flags: Any) -> None:
        self.store.update(ids={**self.state.ids, **self.wos.ids}, **flags)

    def monitor(self) -> dict[str, str]:
        """Subscribe the endpoint in Watson OpenScale (provider and data mart as needed)."""
        self._require("deployed", "monitor", "deploy")
        self._require_endpoint("monitor")
        sig = self.signature.signature
        subscription_id = self.wos.subscribe(
            self.state.endpoint_name or "", label_column=sig.label_column,
            prediction_field=sig.prediction_field, probability_fields=sig.probability_fields,
            class_labels=sig.class_labels,
        )
        self._save_wos_ids(monitored=True)
        return {"subscription_id": subscription_id, "state": self.wos.subscription_state()}

    def log_payload(self, num_samples: int = 100, offset: int = 0) -> int:
        """Score real test images through the endpoint and store them as payload records."""
        self._require("monitored", "log_payload", "monitor")
        images = self.test_set()[0][offset : offset + num_samples]
        classes, probabilities, times = self._score_batches(images)
        stored = self.wos.log_payload(images, classes, probabilities, times)
        self._save_wos_ids()
        return stored

    def configure_quality_monitor(self) -> dict[str, str]:
        """Create the quality monitor with the signature's thresholds; ``{"quality": id, ...}``."""
        self._require("monitored", "configure_quality_monitor", "monitor")
        quality = self.signature.quality_monitor
        ids = self.wos.configure_quality_monitor(quality.thresholds,
                                                 quality.min_feedback_data_size)
        self._save_wos_ids()
        self._print(str(ids))
        return ids

    def log_feedback(
        self, num_samples: int = 100, offset: int = 0, labels: Any = None
    ) -> dict[str, Any]:
        """Score test images and store them with their true labels (or ``labels``, e.g. a
        mislabelled batch) and the model's original predictions as feedback records."""
        self._require("monitored", "log_feedback", "monitor")
        images, true_labels = self.test_set()
        images = images[offset : offset + num_samples]
        given = true_labels[offset : offset + num_samples] if labels is None else labels
        given = [int(label) for label in given]
        if len(given) != len(images):
            raise LifecycleError(
                f"log_feedback() got {len(given)} labels for {len(images)} images: pass one "
                "label per image"
            )
        classes, probabilities, _ = self._score_batches(images)
        stored = self.wos.log_feedback(images, given, classes, probabilities)
        self._save_wos_ids()
        return {"stored": stored, "labels": given, "predictions": classes}

    def evaluate(self) -> EvaluationResult:
        """Run the quality monitor on the feedback records; metrics, thresholds, violations."""
        self._require("monitored", "evaluate", "monitor")
        needed = self.signature.quality_monitor.min_feedback_data_size
        have = self.wos.feedback_record_count()
        if have < needed:  # refuse before a run OpenScale would end without metrics
            raise NotEnoughFeedback(have, needed)
        result = self.wos.evaluate()
        self.store.update(evaluated=True, last_evaluation=result.model_dump(mode="json"))
        return result

    def release_gate(self) -> EvaluationResult:
        """The release decision: the last evaluation must meet every threshold. Refusal names
        each breach on its own line: metric, measured value, threshold."""
        if not self.state.evaluated or self.state.last_evaluation is None:
            raise LifecycleError("release_gate() needs an evaluation: run evaluate() first")
        from mlmonitor_lib.ibm.openscale import EvaluationResult

        result = EvaluationResult.model_validate(self.state.last_evaluation)
        if not result.passed:
            lines = "\n".join(f"  {violation}" for violation in result.violations)
            raise ReleaseRefused(
                f"release refused: {len(result.violations)} quality threshold(s) breached "
                f"for {self.state.endpoint_name}:\n{lines}"
            )
        return result

    # ----------------------------------------------------------------------------- inventory
    def still_existing(self) -> list[str]:
        """Every deployment, monitoring and governance resource this run ever created that the
        services still hold, asked of each service by id through its own API (not read from
        the state file): ``[]`` once cleanup is complete. Training jobs and the data set in S3
        are the training's record and stay by design."""
        from botocore.exceptions import ClientError

        from mlmonitor_lib.aws.errors import is_not_found

        created = [r for r in self.state.resources if r.service in ("serving", "wos",
                                                                      "factsheets")]
        found: list[str] = []
        sagemaker = aws.make_client(self.session, "sagemaker")
        describe = {"endpoint": ("describe_endpoint", "EndpointName"),
                    "endpoint-config": ("describe_endpoint_config", "EndpointConfigName"),
                    "model": ("describe_model", "ModelName")}
        serving = dict.fromkeys((r.kind, r.id) for r in created if r.service == "serving")
        for kind, resource_id in serving:  # once each, though a redeploy records it again
            operation, key = describe[kind]
            try:
                getattr(sagemaker, operation)(**{key: resource_id})
            except ClientError as exc:
                if is_not_found(exc):
                    continue
                raise
            found.append(f"serving {kind} {resource_id}")
        wos = sorted({(r.kind if r.kind != "monitor_instance" else "monitor", r.id)
                      for r in created if r.service == "wos"})
        if wos:
            from mlmonitor_lib.ibm.openscale import OpenScaleMonitor

            monitor = OpenScaleMonitor.resume(self.settings, self.store, [])
            found += [f"wos {name}" for name in monitor.existing(wos)]
        assets = sorted({r.id for r in created if r.service == "factsheets"
                         and r.kind in ("model_asset", "notebook_experiment")})
        found += [f"factsheets asset {asset}" for asset in
                  self._factsheets().existing(assets, self.state.catalog_id)]
        return found

    # ----------------------------------------------------------------------------- cleanup
    def cleanup(self) -> dict[str, int]:
        """Delete everything the ledger lists as alive, dependents first (Factsheets, then
        OpenScale, then the SageMaker endpoint they point at); returns the seed's counts:
        deployments, subscriptions and model assets deleted.

        Every service is tried whatever fails in another: a refused delete must never leave
        the paid endpoint running. Failures end in one :class:`CleanupIncomplete` naming each
        resource (service, resource, reason); the state file keeps exactly what is still
        alive, so calling ``cleanup()`` again finishes the job.
        """
        counts = {"serving": 0, "wos": 0, "factsheets": 0}
        failures: list[CleanupFailure] = []
        for service, delete in (("factsheets", self._cleanup_factsheets),
                                ("wos", self._cleanup_openscale),
                                ("serving", self._cleanup_serving)):
            if not self.store.alive(service):
                continue
            try:
                counts[service] = delete()
            except CleanupIncomplete as incomplete:
                failures += incomplete.failures
                counts[service] = incomplete.counts.get(service, 0)
            except MlMonitorError as exc:  # the whole service refused (login, outage)
                failures += [CleanupFailure(SERVICE_NAMES[service], f"{r.kind} {r.id}", str(exc))
                             for r in self.store.alive(service)]
        self._monitor = None
        serving_alive = bool(self.store.alive("serving", "endpoint"))
        self.store.update(
            governed=bool(self.store.alive("factsheets")) and self.state.governed,
            monitored=bool(self.store.alive("wos")) and self.state.monitored,
            deployed=serving_alive and self.state.deployed,
            **({} if serving_alive else {"endpoint_name": None, "endpoint_config_name": None,
                                         "model_name": None}),
        )
        if failures:
            raise CleanupIncomplete(failures, counts, self.state_file)
        self._print(str(counts))
        return counts

    def _cleanup_factsheets(self) -> int:
        return self._factsheets().cleanup(self.store)

    def _cleanup_openscale(self) -> int:
        return self.wos.cleanup()["subscriptions"]

    def _cleanup_serving(self) -> int:
        endpoints = self.store.alive("serving", "endpoint")
        configs = self.store.alive("serving", "endpoint-config")
        models = self.store.alive("serving", "model")
        self._print(f"INFO - deleting [aws] resources for [{self.state.endpoint_name}]...")
        try:
            aws.delete_endpoint_resources(
                self.session,
                endpoint_name=endpoints[0].id if endpoints else None,
                endpoint_config_name=configs[0].id if configs else None,
                model_names=[m.id for m in models] or None,
                ledger=self.store,
                policy=aws.wait_policy(self.settings, aws.ENDPOINT_DELETED),
                out=self.stream,
            )
        except CleanupIncomplete as incomplete:  # a deployment counts once its endpoint is gone
            gone = bool(endpoints) and not self.store.alive("serving", "endpoint")
            raise CleanupIncomplete(incomplete.failures, {"serving": int(gone)}) from None
        return len(endpoints) or int(bool(configs or models))


# How cleanup's errors name each service of the ledger.
SERVICE_NAMES = {"serving": "SageMaker", "wos": "Watson OpenScale", "factsheets": "AI Factsheets"}


SageMakerModelUseCase = ModelUseCase
