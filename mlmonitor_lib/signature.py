"""``model_signature.json`` as a validated model.

The signature is the contract between the model use case and the platform: what the model
predicts, where its data is, which SageMaker images and budgets it uses, and which quality
thresholds the release gate enforces. An invalid file fails once with the JSON path and reason
of every problem, so a user fixes them all in one go.
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
    problem_type: Literal["multiclass", "binary", "regression"]
    input_data_type: Literal["unstructured_image", "structured", "unstructured_text"]
    prediction_field: str = Field(min_length=1)
    probability_fields: list[str] = Field(min_length=1)
    label_column: str = Field(min_length=1)
    class_labels: list[int] = Field(min_length=2)
    image_shape: tuple[int, int, int]
    feature_columns: list[str] = Field(default_factory=list)
    categorical_columns: list[str] = Field(default_factory=list)

    @field_validator("image_shape")
    @classmethod
    def _positive(cls, shape: tuple[int, int, int]) -> tuple[int, int, int]:
        if min(shape) < 1:
            raise ValueError("every dimension must be at least 1")
        return shape


class DatasetsSection(_Strict):
    data_dir: str
    train_images: str
    train_labels: str
    test_images: str
    test_labels: str
    training_channel: str = "training"
    test_channel: str = "testing"


class MetricDefinition(_Strict):
    Name: str
    Regex: str


class AwsRuntimeSection(_Strict):
    train_script: str
    inference_script: str
    framework: Literal["tensorflow"]
    framework_version: str = Field(pattern=r"^\d+\.\d+(\.\d+)?$")
    py_version: str = Field(pattern=r"^py3\d+$")
    train_instance: str = Field(pattern=r"^ml\.")
    inference_instance: str = Field(pattern=r"^ml\.")
    prefix: str
    job_name: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$", max_length=40)
    content_type: str = "application/json"
    accept: str = "application/json"
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
        size = params.get("min_feedback_data_size", 10)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError("min_feedback_data_size must be a positive integer")
        return params

    @property
    def min_feedback_data_size(self) -> int:
        return int(self.parameters.get("min_feedback_data_size", 10))


class OtherMonitor(BaseModel):
    """Fairness, drift and explainability: carried through, not enforced by this suite yet."""

    model_config = ConfigDict(extra="allow", frozen=True)
    enabled: bool


class ModelSignature(_Strict):
    description: str = ""
    source_dir: str
    signature: SignatureSection
    datasets: DatasetsSection
    aws_runtime: AwsRuntimeSection
    hyperparameters: dict[str, int | float | str]
    quality_monitor: QualityMonitor
    fairness_monitor: OtherMonitor | None = None
    drift_monitor: OtherMonitor | None = None
    explain_monitor: OtherMonitor | None = None

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
