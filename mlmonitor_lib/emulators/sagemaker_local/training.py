"""A local SageMaker training container: runs a job's entry point in a subprocess.

Why a subprocess with ``sys.executable``: the entry point is a script, exactly as in the
container, with its own process, its own TensorFlow and its own failure file; a crash or a
``sys.exit`` in it can never take the test run down. The job runs in a background thread so that
DescribeTrainingJob polling sees ``InProgress`` as on AWS.

What DescribeTrainingJob shows is a walk (:mod:`.training_status`) through AWS's secondary
statuses: ``Starting``, ``Downloading``, ``Training``, ``Uploading``, then ``Completed``,
``Failed`` or ``Stopped`` (``Stopping`` first after StopTrainingJob). The real work holds the
stage it belongs to (no ``Training`` before the data is downloaded, no ``Completed`` before the
artifact is uploaded); each stage is seen by at least one observation at ``instant`` pace and
lasts a compressed share of AWS's time at ``realistic``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlmonitor_lib.emulators.pace import Pace, Progress
from mlmonitor_lib.emulators.sagemaker_local.images import (
    guarded_command,
    import_spec,
    manifest_for,
)
from mlmonitor_lib.emulators.sagemaker_local.s3io import (
    download_and_extract,
    download_prefix,
    tar_gz,
    upload_bytes,
)
from mlmonitor_lib.emulators.sagemaker_local.states import STOPPING_S, TRAINING_STAGES
from mlmonitor_lib.emulators.sagemaker_local.training_status import TrainingStatus

# SageMaker caps FailureReason at 1024 characters.
MAX_REASON = 1024
_TAIL_LINES = 15
_STAGES = [name for name, _, _ in TRAINING_STAGES]


@dataclass
class LocalTrainingJob(TrainingStatus):
    """One job's local state: what DescribeTrainingJob overlays on moto's description."""

    name: str
    request: dict[str, Any]
    root: Path
    pace: Pace = field(default_factory=Pace)
    clock: Callable[[], float] = time.monotonic
    status: str = "InProgress"  # what the work reached; Describe shows the walk (observe)
    failure_reason: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended_at: datetime | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    running: threading.Event = field(default_factory=threading.Event)  # the script started
    progress: Progress = field(init=False)
    _phase: int = 0  # index in _STAGES of the work in progress; len(_STAGES) once it ended
    _process: subprocess.Popen[bytes] | None = None
    _thread: threading.Thread | None = None
    _stop_requested: bool = False
    # "stop requested?" and "spawn the script" happen together, or a StopTrainingJob arriving
    # between them would find no process to kill and the script would run to its deadline
    _spawn_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # A stage backed by real work is held until that work is over.
        holds: dict[str, Callable[[], bool]] = {
            name: (lambda i=i: self._phase <= i) for i, name in enumerate(_STAGES) if i > 0
        }
        holds["Stopping"] = lambda: not self.done.is_set()
        self.progress = Progress(self.pace, [(n, s) for n, s, _ in TRAINING_STAGES],
                                 "Completed", holds=holds, clock=self.clock)

    @property
    def opt_ml(self) -> Path:
        return self.root / "opt_ml"

    @property
    def log_path(self) -> Path:
        return self.root / "train.log"

    @property
    def model_artifact_uri(self) -> str:
        return f"{self._output_prefix()}/output/model.tar.gz"

    @property
    def output_archive_uri(self) -> str:
        return f"{self._output_prefix()}/output/output.tar.gz"

    def _output_prefix(self) -> str:
        return self.request["OutputDataConfig"]["S3OutputPath"].rstrip("/") + f"/{self.name}"

    # lifecycle --------------------------------------------------------------------------
    def start(self, s3: Any, injected_failure: str | None = None) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(s3, injected_failure), name=f"sm-train-{self.name}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """StopTrainingJob: ``Stopping`` until the process is killed, then ``Stopped``."""
        if self.done.is_set():
            return
        self.progress.restart([("Stopping", STOPPING_S)], "Stopped")
        with self._spawn_lock:
            self._stop_requested = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _set(self, secondary: str, message: str = "") -> None:
        """The work entered stage ``secondary``: the walk may show the stages before it."""
        self._phase = _STAGES.index(secondary)

    def _finish(self, status: str, secondary: str, reason: str | None = None) -> None:
        """The work ended: the walk ends in ``secondary`` after the stage the work was in."""
        self.failure_reason = reason[:MAX_REASON] if reason else None
        self.ended_at = datetime.now(UTC)
        self.status = status
        after = _STAGES[min(self._phase, len(_STAGES) - 1)]
        self.progress.finish(secondary, after=after)
        self._phase = len(_STAGES)
        self.done.set()

    def _run(self, s3: Any, injected_failure: str | None) -> None:
        try:
            if injected_failure is not None:
                self._finish("Failed", "Failed", injected_failure)
                return
            self._set("Downloading", "Downloading input data")
            self._prepare(s3)
            self._set("Training", "Training image download completed. Training in progress.")
            if self._stop_requested:
                self._finish("Stopped", "Stopped", None)
                return
            returncode, timed_out = self._train()
            if self._stop_requested or timed_out:
                reason = "MaxRuntimeExceeded" if timed_out else "Stopped"
                self._finish("Stopped", reason, None)
                return
            if returncode != 0:
                self._finish("Failed", "Failed", self._failure_reason(returncode))
                return
            self._set("Uploading", "Uploading generated training model")
            upload_bytes(s3, self.model_artifact_uri, tar_gz(self.opt_ml / "model"))
            upload_bytes(s3, self.output_archive_uri, tar_gz(self.opt_ml / "output" / "data"))
            self.metrics = self._scrape_metrics()
            self._finish("Completed", "Completed")
        except Exception as exc:  # the platform, not the script, failed: say so in the job
            self._finish("Failed", "Failed", f"ClientError: local training emulator: {exc}")

    # container contract -----------------------------------------------------------------
    def _prepare(self, s3: Any) -> None:
        for sub in ("model", "output/data", "input/config", "code"):
            (self.opt_ml / sub).mkdir(parents=True, exist_ok=True)
        channels = self.request.get("InputDataConfig", [])
        for channel in channels:
            source = channel["DataSource"].get("S3DataSource", {})
            if source.get("S3DataType", "S3Prefix") != "S3Prefix":
                raise ValueError(f"channel {channel['ChannelName']}: only S3Prefix is emulated")
            download_prefix(s3, source["S3Uri"], self.data_dir(channel["ChannelName"]))
        config = self.opt_ml / "input" / "config"
        (config / "hyperparameters.json").write_text(json.dumps(self.hyperparameters_raw()))
        (config / "inputdataconfig.json").write_text(json.dumps(
            {c["ChannelName"]: {"TrainingInputMode": c.get("InputMode", "File")} for c in channels}
        ))
        (config / "resourceconfig.json").write_text(json.dumps(self.resource_config()))
        self.entry_script = self._locate_entry_script(s3)

    def data_dir(self, channel: str) -> Path:
        return self.opt_ml / "input" / "data" / channel

    def hyperparameters_raw(self) -> dict[str, str]:
        return dict(self.request.get("HyperParameters") or {})

    def hyperparameters(self) -> dict[str, Any]:
        """Values as the SDK's drivers see them: JSON-decoded when they parse, else strings."""
        decoded: dict[str, Any] = {}
        for key, value in self.hyperparameters_raw().items():
            try:
                decoded[key] = json.loads(value)
            except (TypeError, ValueError):
                decoded[key] = value
        return {k: v for k, v in decoded.items() if not k.startswith("sagemaker_")}

    def resource_config(self) -> dict[str, Any]:
        return {"current_host": "algo-1", "hosts": ["algo-1"],
                "current_instance_type": self.instance_type,
                "network_interface_name": "eth0"}

    @property
    def instance_type(self) -> str:
        return str(self.request.get("ResourceConfig", {}).get("InstanceType", "local"))

    def _locate_entry_script(self, s3: Any) -> Path:
        """ModelTrainer: ``sm_drivers/sourcecode.json`` names the script in the ``code``
        channel. Legacy script mode: ``sagemaker_program`` + ``sagemaker_submit_directory``."""
        drivers = self.data_dir("sm_drivers") / "sourcecode.json"
        if drivers.is_file():
            source_code = json.loads(drivers.read_text())
            script = self.data_dir("code") / str(source_code.get("entry_script", ""))
            if script.is_file():
                return script
            raise ValueError(f"entry script {script.name!r} is not in the code channel")
        hps = self.hyperparameters_raw()
        program = json.loads(hps["sagemaker_program"]) if "sagemaker_program" in hps else None
        if program and "sagemaker_submit_directory" in hps:
            code_dir = self.opt_ml / "code"
            download_and_extract(s3, json.loads(hps["sagemaker_submit_directory"]), code_dir)
            return code_dir / program
        raise ValueError(
            "the local training emulator runs script-mode jobs only (ModelTrainer with "
            "SourceCode, or sagemaker_program/sagemaker_submit_directory hyperparameters)"
        )

    def environment(self) -> dict[str, str]:
        """The ``SM_*`` variables the training toolkit sets, pointing into our tree."""
        opt = self.opt_ml
        channels = [c["ChannelName"] for c in self.request.get("InputDataConfig", [])]
        hps = self.hyperparameters()
        env = {
            "SM_MODEL_DIR": str(opt / "model"),
            "SM_INPUT_DIR": str(opt / "input"),
            "SM_INPUT_DATA_DIR": str(opt / "input" / "data"),
            "SM_INPUT_CONFIG_DIR": str(opt / "input" / "config"),
            "SM_OUTPUT_DIR": str(opt / "output"),
            "SM_OUTPUT_FAILURE": str(opt / "output" / "failure"),
            "SM_OUTPUT_DATA_DIR": str(opt / "output" / "data"),
            "SM_CHANNELS": json.dumps(sorted(channels)),
            "SM_HPS": json.dumps(hps),
            "SM_CURRENT_HOST": "algo-1",
            "SM_HOSTS": json.dumps(["algo-1"]),
            "SM_CURRENT_INSTANCE_TYPE": self.instance_type,
            "SM_NUM_CPUS": str(os.cpu_count() or 1),
            "SM_NUM_GPUS": "0",
            "SM_LOG_LEVEL": "20",
            "SM_MODULE_DIR": str(self.entry_script.parent),
            "SM_USER_ENTRY_POINT": self.entry_script.name,
            "SM_ENTRY_SCRIPT": self.entry_script.name,
            "SM_SOURCE_DIR": str(self.entry_script.parent),
            "SM_USER_ARGS": json.dumps(self.arguments()),
            "SM_RESOURCE_CONFIG": json.dumps(self.resource_config()),
        }
        for channel in channels:
            env[f"SM_CHANNEL_{channel.upper()}"] = str(self.data_dir(channel))
        for key, value in hps.items():
            env[f"SM_HP_{key.upper().replace('-', '_')}"] = _env_value(value)
        env["SM_TRAINING_ENV"] = json.dumps({
            "channel_input_dirs": {c: str(self.data_dir(c)) for c in channels},
            "current_host": "algo-1", "hosts": ["algo-1"], "hyperparameters": hps,
            "input_config_dir": env["SM_INPUT_CONFIG_DIR"],
            "input_data_dir": env["SM_INPUT_DATA_DIR"], "input_dir": env["SM_INPUT_DIR"],
            "job_name": self.name, "model_dir": env["SM_MODEL_DIR"],
            "output_data_dir": env["SM_OUTPUT_DATA_DIR"], "output_dir": env["SM_OUTPUT_DIR"],
            "num_cpus": int(env["SM_NUM_CPUS"]), "num_gpus": 0,
            "resource_config": self.resource_config(), "user_entry_point": self.entry_script.name,
        })
        env["TRAINING_JOB_NAME"] = self.name
        env.update(self.request.get("Environment") or {})
        return env

    def arguments(self) -> list[str]:
        args: list[str] = []
        for key, value in self.hyperparameters().items():
            args += [f"--{key}", _env_value(value)]
        return args

    def _train(self) -> tuple[int, bool]:
        """Run the entry point in the training image's Python (:mod:`.images`): the image's
        packages, the code directory, and its ``requirements.txt``, which ModelTrainer's driver
        pip-installs (sagemaker-train ``templates.py``). An import the image cannot satisfy
        fails the script with ``ModuleNotFoundError``, as in the real container."""
        max_runtime = self.request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        env = {**os.environ, **self.environment()}
        code = self.entry_script.parent
        requirements = code / "requirements.txt"
        spec = import_spec(
            manifest_for(self.request.get("AlgorithmSpecification", {}).get("TrainingImage")),
            [code], requirements if requirements.is_file() else None,
            bool(self.request.get("EnableNetworkIsolation"))).write(self.root / "imports.json")
        command = guarded_command(spec, self.entry_script, *self.arguments())
        with self.log_path.open("wb") as log:
            with self._spawn_lock:
                if self._stop_requested:
                    return -9, False
                self._process = subprocess.Popen(
                    command, cwd=self.entry_script.parent, env=env, stdout=log,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                )
                self.running.set()
            try:
                return self._process.wait(timeout=max_runtime), False
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
                return -9, True

    def _failure_reason(self, returncode: int) -> str:
        failure = self.opt_ml / "output" / "failure"
        if failure.is_file() and failure.read_text().strip():
            return f"AlgorithmError: {failure.read_text().strip()}"
        tail = self.log_tail()
        return f"AlgorithmError: ExecuteUserScriptError: exit code {returncode}\n{tail}"

    def log_tail(self, lines: int = _TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def _scrape_metrics(self) -> list[dict[str, Any]]:
        """FinalMetricDataList from the job's MetricDefinitions, last match wins (as AWS)."""
        definitions = self.request.get("AlgorithmSpecification", {}).get("MetricDefinitions", [])
        if not definitions:
            return []
        text = self.log_path.read_text(errors="replace")
        found = []
        now = datetime.now(UTC)
        for definition in definitions:
            matches = re.findall(definition["Regex"], text)
            if matches:
                last = matches[-1][0] if isinstance(matches[-1], tuple) else matches[-1]
                try:
                    found.append({"MetricName": definition["Name"], "Value": float(last),
                                  "Timestamp": now})
                except ValueError:
                    continue
        return found


def _env_value(value: Any) -> str:
    if isinstance(value, (dict, list, bool)) or value is None:
        return json.dumps(value)
    return str(value)
