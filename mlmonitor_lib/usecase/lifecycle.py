"""``ModelUseCase``: one model's lifecycle state, the guards between its stages, and cleanup.

The seed's users type ``SageMakerModelUseCase(source_dir, catalog_id, model_entry_id)`` and call
``train()``, ``deploy()``, ``score_model()``, ``govern()``, ``monitor()``, ``log_payload()``,
``configure_quality_monitor()``, ``log_feedback()``, ``evaluate()``, ``display_states()`` and
``cleanup()``. Each step checks that the step it depends on has run (``LifecycleError`` names
it), records every resource in the state file the moment it exists, and does nothing new when
called again. The class never knows which mode it runs in: it gets a ``boto3.Session`` and
:class:`~mlmonitor_lib.settings.Settings`, real or pointing at emulators.

This class keeps the state, the guards between stages and the cleanup across services; the
work of each stage is in its own module (:mod:`.training`, :mod:`.serving`,
:mod:`.governance`, :mod:`.monitoring`), whose functions take the use case as a
:class:`~mlmonitor_lib.usecase.context.StageContext`.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mlmonitor_lib import aws
from mlmonitor_lib.errors import (
    CleanupFailure,
    CleanupIncomplete,
    LifecycleError,
    MlMonitorError,
    SettingsError,
)
from mlmonitor_lib.settings import Settings
from mlmonitor_lib.signature import ModelSignature, load_signature
from mlmonitor_lib.state import LifecycleState, StateStore
from mlmonitor_lib.usecase import display, gate, governance, monitoring, serving, training
from mlmonitor_lib.usecase.port import TestSet, UseCaseProfile
from mlmonitor_lib.usecase.profiles import profile_for

if TYPE_CHECKING:
    import boto3

    from mlmonitor_lib.gate.decision import GateDecision
    from mlmonitor_lib.ibm.factsheets import AssetSummary
    from mlmonitor_lib.ibm.openscale import EvaluationResult, OpenScaleMonitor

ROOT = Path(__file__).resolve().parents[2]
STATE_FLAGS = ("trained", "deployed", "governed", "monitored")
# How cleanup's errors name each service of the ledger.
SERVICE_NAMES = {"serving": "SageMaker", "wos": "Watson OpenScale", "factsheets": "AI Factsheets"}


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
        source_dir: str | Path,
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
        self.profile: UseCaseProfile = profile_for(self.signature, self.source_dir)
        self.session = session or aws.boto3_session(self.settings)
        self.data_dir = Path(data_dir) if data_dir else self.profile.default_data_dir()
        self.out = out
        self.hyperparameter_overrides = dict(hyperparameters or {})
        self._test_set: TestSet | None = None
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
        display.say(self.stream, display.states_table(self.states()))

    @property
    def stream(self) -> TextIO:
        """Where progress and the seed's displays go: ``out`` if given, else the current
        ``sys.stdout`` (looked up at each call, so captured output is honoured)."""
        return self.out or sys.stdout

    def test_set(self) -> TestSet:
        """The use case's held-out examples and their labels (its profile's, read once)."""
        if self._test_set is None:
            self._test_set = self.profile.test_set(self.data_dir)
        return self._test_set

    @property
    def wos(self) -> OpenScaleMonitor:
        """The OpenScale monitor of this use case, resumed from the ledger and state ids."""
        if self._monitor is None:
            self._monitor = monitoring.resume_monitor(self.settings, self.store)
        return self._monitor

    # ----------------------------------------------------------------------------- guards
    def _require(self, flag: str, step: str, first: str) -> None:
        if not getattr(self.state, flag):
            raise LifecycleError(f"{step}() needs a {flag} model: run {first}() first")

    # ----------------------------------------------------------------------------- training
    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The signature's budget, the caller's overrides, and the seed's governance ids."""
        return training.hyperparameters(self)

    def train(self) -> dict[str, Any]:
        """Run the SageMaker training job; returns the job name, artifact and metrics."""
        return training.train(self)

    def attach_training_job(self, job_name: str) -> dict[str, Any]:
        """Adopt a completed training job (this run's or another's) as this use case's model,
        as SageMaker's ``attach`` does: deploy it without training again."""
        return training.attach_training_job(self, job_name)

    def describe_training_job(self, job_name: str | None = None) -> dict[str, Any]:
        """SageMaker's description of this use case's training job (or ``job_name``)."""
        return training.describe_training_job(self, job_name)

    def list_training_jobs(self) -> list[str]:
        """Names of the training jobs of this use case's base job name, oldest first."""
        return training.list_training_jobs(self)

    def artifact_size(self, s3_uri: str) -> int:
        """Size in bytes of an S3 object (the model artifact)."""
        return training.artifact_size(self, s3_uri)

    # ----------------------------------------------------------------------------- serving
    def deploy(self) -> dict[str, Any]:
        """Create model, endpoint config and endpoint; wait until InService; smoke-test."""
        self._require("trained", "deploy", "train")
        return serving.deploy(self)

    def score_model(self, num_samples: int = 10, offset: int = 0) -> dict[str, Any]:
        """Score ``num_samples`` test examples: ``{"fields", "values", "classes",
        "probabilities", "response_time_ms"}`` (``values`` as the endpoint answered them)."""
        self._require("deployed", "score_model", "deploy")
        return serving.score_model(self, num_samples, offset)

    def invoke_raw(
        self, body: bytes, *, content_type: str = "application/json",
        endpoint_name: str | None = None,
    ) -> bytes:
        """Send a body as it is (no validation on our side): how a client in the wild calls."""
        self._require("deployed", "invoke_raw", "deploy")
        return serving.invoke_raw(self, body, content_type, endpoint_name)

    def describe_endpoint(self) -> dict[str, Any]:
        """SageMaker's description of this use case's endpoint."""
        self._require("deployed", "describe_endpoint", "deploy")
        return serving.describe_endpoint(self)

    @property
    def scoring_url(self) -> str:
        """The endpoint's invocation URL, as OpenScale and Factsheets record it."""
        return serving.scoring_url(self)

    # ----------------------------------------------------------------------------- governance
    def govern(self) -> dict[str, Any]:
        """Register the deployed model as an external model asset in AI Factsheets, with its
        deployment and training facts, tracked in the model use case."""
        self._require("deployed", "govern", "deploy")
        return governance.govern(self)

    def factsheet(self) -> AssetSummary:
        """What AI Factsheets holds about the governed model (asset, link, facts)."""
        self._require("governed", "factsheet", "govern")
        return governance.factsheet(self)

    # ----------------------------------------------------------------------------- monitoring
    def monitor(self) -> dict[str, str]:
        """Subscribe the endpoint in Watson OpenScale (provider and data mart as needed)."""
        self._require("deployed", "monitor", "deploy")
        serving.require_endpoint(self, "monitor")
        return monitoring.monitor(self)

    def log_payload(self, num_samples: int = 100, offset: int = 0, inputs: Any = None) -> int:
        """Score test examples (or the given ``inputs``, e.g. a chosen population) through the
        endpoint and store them as payload records."""
        self._require("monitored", "log_payload", "monitor")
        if inputs is not None:
            return monitoring.store_payload(self, inputs)
        return monitoring.log_payload(self, num_samples, offset)

    def configure_quality_monitor(self) -> dict[str, str]:
        """Create the quality monitor with the signature's thresholds; ``{"quality": id, ...}``."""
        self._require("monitored", "configure_quality_monitor", "monitor")
        return monitoring.configure_quality_monitor(self)

    def configure_fairness_monitor(self) -> dict[str, str]:
        """Create the fairness monitor with the signature's features, groups and thresholds."""
        self._require("monitored", "configure_fairness_monitor", "monitor")
        return monitoring.configure_fairness_monitor(self)

    def configure_monitors(self) -> dict[str, str]:
        """Configure every monitor the signature enables (quality, fairness)."""
        self._require("monitored", "configure_monitors", "monitor")
        return monitoring.configure_monitors(self)

    def log_feedback(
        self, num_samples: int = 100, offset: int = 0, labels: Any = None
    ) -> dict[str, Any]:
        """Score test examples and store them with their true labels (or ``labels``, e.g. a
        mislabelled batch) and the model's original predictions as feedback records."""
        self._require("monitored", "log_feedback", "monitor")
        return monitoring.log_feedback(self, num_samples, offset, labels)

    def evaluate(self) -> EvaluationResult:
        """Run the configured monitors (quality on the feedback records, fairness on the
        payload records); metrics, fairness per group, thresholds, violations."""
        self._require("monitored", "evaluate", "monitor")
        return monitoring.evaluate(self)

    def release_gate(self, champion: str | Path | None = None) -> GateDecision:
        """The release decision on the last evaluation: each threshold passes, fails or is
        inconclusive on its interval; approved when all pass (or, under the signature's
        ``warn`` rule, none fails). With ``champion`` (the evidence pack of the released model)
        the thresholds relative to it are judged too, paired on the same records. A refusal
        (:class:`ReleaseRefused`, or :class:`ReleaseUndecided` for an inconclusive one) names
        each threshold on its own line: measure, interval, threshold, verdict, and the rule."""
        if not self.state.evaluated or self.state.last_evaluation is None:
            raise LifecycleError("release_gate() needs an evaluation: run evaluate() first")
        return gate.release_gate(self, champion)

    # ----------------------------------------------------------------------------- cleanup
    def still_existing(self) -> list[str]:
        """Every deployment, monitoring and governance resource this run ever created that the
        services still hold, asked of each service by id through its own API (not read from
        the state file): ``[]`` once cleanup is complete. Training jobs and the data set in S3
        are the training's record and stay by design."""
        return (serving.still_existing(self) + monitoring.still_existing(self)
                + governance.still_existing(self))

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
        for service, stage in (("factsheets", governance), ("wos", monitoring),
                               ("serving", serving)):
            if not self.store.alive(service):
                continue
            try:
                counts[service] = stage.cleanup(self)
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
        display.say(self.stream, str(counts))
        return counts


SageMakerModelUseCase = ModelUseCase
