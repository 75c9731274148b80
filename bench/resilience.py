"""Benchmark: resilience of an onboarding in mock mode, in one summary.

Runs, against one MockWorld and one small training job:

* fault scenarios: transient 429/500/503 on several OpenScale and Factsheets routes (the SDKs'
  retries must ride them out), persistent faults (must stop with an error naming the service),
  dropped connections (in-process and over a loopback server), latency, an IAM token fault,
  SageMaker throttling/unavailability on deploy and scoring, a failed training job;
* bad inputs the library can be handed: malformed signatures, corrupt or truncated IDX files,
  wrong image shapes, NaN/Inf pixels, an unknown endpoint, a wrong API key, missing settings;
* crash-safe cleanup: a crash right after each resource is created, then ``cleanup()`` from
  the state file in a new process (:mod:`mlmonitor_lib.emulators.crash`);
* a secret scan of everything the whole onboarding (training included) left behind.

Prints ONE summary (faults injected / survived / cleanly reported, resources leaked, secret
occurrences, bad inputs tried / answered) and saves ``bench/results/resilience.json``.

    python bench/resilience.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
import numpy as np
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlmonitor_lib import aws  # noqa: E402
from mlmonitor_lib.emulators import crash, leaks  # noqa: E402
from mlmonitor_lib.emulators.inventory import leftovers  # noqa: E402
from mlmonitor_lib.emulators.openscale.discovery import (  # noqa: E402
    sagemaker_from_session,
    seed_endpoint,
)
from mlmonitor_lib.emulators.world import CP4D_URL, REGION, IbmServices, MockWorld  # noqa: E402
from mlmonitor_lib.errors import MlMonitorError  # noqa: E402
from mlmonitor_lib.settings import Settings  # noqa: E402
from mlmonitor_lib.state import LifecycleState, StateStore  # noqa: E402
from mlmonitor_lib.usecase import ModelUseCase  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "resilience.json"
BUDGET = {"train-samples": 2000, "epochs": 1}
ENDPOINT = "sm-mnist-resilience"
SCORING_URL = f"https://runtime.sagemaker.ca-central-1.amazonaws.com/endpoints/{ENDPOINT}/x"
THRESHOLDS = [{"metric_id": "accuracy", "type": "lower_limit", "value": 0.5}]
SERVICE_NAMES = ("Watson OpenScale", "AI Factsheets", "SageMaker", "endpoint", "training job")
OPENSCALE_ROUTES = [("POST", "/v2/subscriptions"), ("POST", "/v2/service_providers"),
                    ("GET", "/v2/data_marts"), ("POST", "/v2/data_sets/{id}/records"),
                    ("POST", "/v2/monitor_instances"), ("POST", "/v2/monitor_instances/{id}/runs")]
FACTSHEETS_ROUTES = [("PUT", "/model_stub"), ("POST", "/notebook_experiments"),
                     ("GET", "/v2/assets/{id}"), ("POST", "/models/{id}/model_entry")]


@dataclass
class Outcome:
    """One scenario: what was injected, and what the library did about it."""

    name: str
    category: str
    injected: int = 0
    outcome: str = ""  # survived | reported | unhandled | failed-to-survive
    error: str = ""
    leaked: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Resources a scenario left beyond what was there before it (earlier leaks are not
    counted twice)."""
    return {k: v - before.get(k, 0) for k, v in after.items() if v > before.get(k, 0)}


def first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:240] if str(exc) else ''}"


def clean_report(exc: BaseException) -> bool:
    """An error a user can act on: ours, and naming the service (or resource) involved."""
    return isinstance(exc, MlMonitorError) and any(s in str(exc) for s in SERVICE_NAMES)


# ------------------------------------------------------------------------------------------
# IBM flows (no SageMaker needed: synthetic images and predictions)
# ------------------------------------------------------------------------------------------
def synthetic(n: int = 20) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(7)
    images = rng.random((n, 28, 28, 1)).astype(np.float32)
    labels = rng.integers(0, 10, n)
    probabilities = np.eye(10)[labels] * 0.9 + 0.01
    return images, labels, labels.copy(), probabilities


def plain_session() -> boto3.Session:
    """A session to moto without the local data plane's hooks: a seeded endpoint stays
    InService (nothing tries to load a model behind it)."""
    return boto3.Session(aws_access_key_id="bench-access-key",
                         aws_secret_access_key="bench-secret", region_name=REGION)


def ibm_flow(settings: Settings, ledger: StateStore, scratch: Path) -> None:
    """Subscribe, log payload, quality monitor, feedback, evaluate; govern in Factsheets."""
    from mlmonitor_lib.ibm.factsheets import FactsheetsAdapter
    from mlmonitor_lib.ibm.openscale import OpenScaleMonitor

    monitor = OpenScaleMonitor(settings, ledger)
    monitor.subscribe(ENDPOINT, class_labels=range(10))
    images, labels, predictions, probabilities = synthetic()
    monitor.log_payload(images, predictions, probabilities, [10.0] * len(images))
    monitor.configure_quality_monitor(THRESHOLDS, 10)
    monitor.log_feedback(images, labels, predictions, probabilities)
    monitor.evaluate()
    FactsheetsAdapter(settings, scratch_parent=scratch).govern(
        model_identifier=ENDPOINT, name=ENDPOINT, ledger=ledger,
        deployment_details={"identifier": ENDPOINT, "scoring_endpoint": SCORING_URL},
        hyperparameters={"epochs": 1}, metrics={"test_accuracy": 0.9})


def ibm_cleanup(settings: Settings, ledger: StateStore) -> None:
    from mlmonitor_lib.ibm.factsheets import FactsheetsAdapter
    from mlmonitor_lib.ibm.openscale import OpenScaleMonitor

    OpenScaleMonitor.resume(settings, ledger, ledger.alive("wos")).cleanup()
    FactsheetsAdapter(settings).cleanup(ledger)


def run_ibm(world: MockWorld, tmp: Path, name: str, category: str,
            plan: Callable[[IbmServices], None], expect: str) -> Outcome:
    """Plan faults, run the IBM flow, lift the faults, clean up from the ledger, count."""
    ibm = world.ibm
    assert ibm is not None and world.settings is not None
    before = sum(ibm.faults_injected().values())
    alive_before = leftovers(world)
    ledger = StateStore.create(tmp / f"{name}.json", LifecycleState(run_id=name, source_dir="."))
    result = Outcome(name, category)
    started = time.perf_counter()
    plan(ibm)
    try:
        ibm_flow(world.settings, ledger, tmp)
        result.outcome = "survived"
    except Exception as exc:  # noqa: BLE001 - the outcome is what we measure
        result.outcome = "reported" if clean_report(exc) else "unhandled"
        result.error = first_line(exc)
    result.seconds = round(time.perf_counter() - started, 2)
    crash.lift_faults(world)
    result.injected = sum(ibm.faults_injected().values()) - before
    try:
        ibm_cleanup(world.settings, ledger)
    except Exception as exc:  # noqa: BLE001
        result.error += f" | cleanup failed: {first_line(exc)}"
    result.leaked = grown(alive_before, leftovers(world))
    if expect == "survive" and result.outcome != "survived":
        result.outcome = "failed-to-survive" if result.outcome == "reported" else result.outcome
    return result


def ibm_scenarios(world: MockWorld, tmp: Path, quick: bool) -> list[Outcome]:
    out = []
    statuses = (503,) if quick else (429, 500, 503)
    for service, routes in (("openscale", OPENSCALE_ROUTES), ("factsheets", FACTSHEETS_ROUTES)):
        for method, path in routes[:2] if quick else routes:
            for status in statuses:
                def plan(ibm: IbmServices, s: str = service, m: str = method, p: str = path,
                         st: int = status) -> None:
                    ibm.faults(s).fail_next(m, p, status=st, times=2)
                out.append(run_ibm(world, tmp, f"{service} {method} {path} {status} x2",
                                   "transient", plan, "survive"))
    persistent = [("openscale", "POST", "/v2/subscriptions", 503),
                  ("openscale", "POST", "/v2/data_sets/{id}/records", 500),
                  ("openscale", "POST", "/v2/monitor_instances", 429),
                  ("factsheets", "PUT", "/model_stub", 503),
                  ("factsheets", "POST", "/models/{id}/model_entry", 500)]
    for service, method, path, status in persistent:
        def plan_p(ibm: IbmServices, s: str = service, m: str = method, p: str = path,
                   st: int = status) -> None:
            ibm.faults(s).fail_next(m, p, status=st, times=-1)
        out.append(run_ibm(world, tmp, f"{service} {method} {path} {status} persistent",
                           "persistent", plan_p, "report"))
    for service, method, path in (("openscale", "GET", "/v2/data_marts"),
                                  ("factsheets", "PUT", "/model_stub")):
        def plan_d(ibm: IbmServices, s: str = service, m: str = method, p: str = path) -> None:
            ibm.faults(s).drop(m, p)
        out.append(run_ibm(world, tmp, f"{service} {method} {path} dropped (in-process)",
                           "drop", plan_d, "report"))
    for service, method, path in (("openscale", "GET", "/v2/data_marts"),
                                  ("factsheets", "GET", "/v2/assets/{id}")):
        def plan_l(ibm: IbmServices, s: str = service, m: str = method, p: str = path) -> None:
            ibm.faults(s).delay(m, p, seconds=0.3, times=2)
        out.append(run_ibm(world, tmp, f"{service} {method} {path} +0.3 s x2", "latency",
                           plan_l, "survive"))
    out.append(run_ibm(world, tmp, "iam POST /identity/token 503 x1", "transient",
                       lambda ibm: ibm.faults("iam").fail_next("POST", "/identity/token",
                                                               status=503), "survive"))
    return out


def loopback_scenario(tmp: Path) -> Outcome:
    """Over a real socket (CP4D form): a dropped connection, a 503 and a 429 with
    ``Retry-After: 0``, retried by urllib3 under sdk-core's policy."""
    from mlmonitor_harness.sdk_clock import instant_sdk_waits
    from mlmonitor_lib.emulators.transport import LoopbackServer
    from mlmonitor_lib.ibm.openscale import OpenScaleMonitor

    moto = mock_aws()  # OpenScale discovers the endpoint in SageMaker: moto, seeded
    moto.start()
    session = plain_session()
    seed_endpoint(session, ENDPOINT)
    services = IbmServices.create(tmp, sagemaker=sagemaker_from_session(session))
    (router,) = services.routers("prem").values()
    result = Outcome("openscale over HTTP: drop + 503 + 429", "drop")
    plan = services.faults("openscale")
    plan.drop("GET", "/v2/data_marts")
    plan.fail_next("POST", "/v2/subscriptions", status=503)
    plan.throttle("POST", "/v2/subscriptions", retry_after=0)
    started = time.perf_counter()
    with LoopbackServer(router) as server, instant_sdk_waits():
        settings = Settings(_env_file=None, aws_access_key_id="loopback-access-key",
                            aws_secret_access_key="loopback-secret", ibm_retry_interval=0.05,
                            **services.settings("prem", {CP4D_URL: server.url}))
        ledger = StateStore.create(tmp / "loopback.json",
                                   LifecycleState(run_id="lb", source_dir="."))
        monitor = OpenScaleMonitor(settings, ledger)
        try:
            monitor.subscribe(ENDPOINT)
            result.outcome = "survived"
        except Exception as exc:  # noqa: BLE001
            result.outcome = "reported" if clean_report(exc) else "unhandled"
            result.error = first_line(exc)
        monitor.cleanup()
    result.seconds = round(time.perf_counter() - started, 2)
    result.injected = plan.total_injected
    result.leaked = {k: len(v) for k, v in services.openscale.resources.items() if v}
    moto.stop()
    return result


# ------------------------------------------------------------------------------------------
# SageMaker
# ------------------------------------------------------------------------------------------
def count_sagemaker_faults(world: MockWorld) -> list[int]:
    """Count what LocalSageMaker's faults inject (it keeps no count itself)."""
    faults, counter = world.local_sagemaker.faults, [0]
    original = faults.take

    def take(operation: str) -> Any:
        fault = original(operation)
        if fault is not None:
            counter[0] += 1
        return fault

    faults.take = take
    return counter


def run_sagemaker(world: MockWorld, job: str, tmp: Path, counter: list[int], name: str,
                  category: str, faults: list[tuple[str, str, int]], expect: str) -> Outcome:
    """Deploy the job and score through a new use case with ``faults`` planned, then clean up."""
    result = Outcome(name, category)
    before, alive_before = counter[0], leftovers(world)
    use_case = ModelUseCase(settings=world.settings, session=world.session,
                            state_file=tmp / f"{name.replace(' ', '_')}.json")
    use_case.attach_training_job(job)
    for operation, code, times in faults:
        world.local_sagemaker.faults.inject(operation, code, times=times)
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            use_case.deploy()
            use_case.score_model(num_samples=5)
        result.outcome = "survived"
    except Exception as exc:  # noqa: BLE001
        result.outcome = "reported" if clean_report(exc) else "unhandled"
        result.error = first_line(exc)
    result.seconds = round(time.perf_counter() - started, 2)
    world.local_sagemaker.faults.clear()
    result.injected = counter[0] - before
    with contextlib.redirect_stdout(io.StringIO()):
        use_case.cleanup()
    result.leaked = grown(alive_before, leftovers(world))
    if expect == "survive" and result.outcome == "reported":
        result.outcome = "failed-to-survive"
    return result


def sagemaker_scenarios(world: MockWorld, job: str, tmp: Path, quick: bool) -> list[Outcome]:
    counter = count_sagemaker_faults(world)
    cases: list[tuple[str, str, list[tuple[str, str, int]], str]] = [
        ("sagemaker throttling on deploy and invoke", "transient",
         [("CreateModel", "ThrottlingException", 2), ("CreateEndpoint", "ThrottlingException", 1),
          ("DescribeEndpoint", "ThrottlingException", 2),
          ("InvokeEndpoint", "ThrottlingException", 2)], "survive"),
        ("sagemaker unavailable/internal transient", "transient",
         [("CreateEndpointConfig", "ServiceUnavailable", 2),
          ("InvokeEndpoint", "InternalFailure", 1)], "survive"),
        ("sagemaker CreateEndpoint unavailable persistent", "persistent",
         [("CreateEndpoint", "ServiceUnavailable", -1)], "report"),
        ("sagemaker InvokeEndpoint throttled persistent", "persistent",
         [("InvokeEndpoint", "ThrottlingException", -1)], "report"),
    ]
    out = [run_sagemaker(world, job, tmp, counter, *case) for case in cases[: 2 if quick else 4]]
    # a failed training job: the hook fails the job, train() must say why
    result = Outcome("failed training job", "training")
    alive_before = leftovers(world)
    world.local_sagemaker.faults.fail_next_training_job("AlgorithmError: injected failure")
    use_case = ModelUseCase(settings=world.settings, session=world.session,
                            hyperparameters=BUDGET, state_file=tmp / "failed-training.json")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            use_case.train()
        result.outcome = "survived"
    except Exception as exc:  # noqa: BLE001
        result.outcome = "reported" if isinstance(exc, MlMonitorError) else "unhandled"
        result.error = first_line(exc)
    result.injected = 1
    result.leaked = grown(alive_before, leftovers(world))
    out.append(result)
    return out


# ------------------------------------------------------------------------------------------
# crash-safe cleanup
# ------------------------------------------------------------------------------------------
def crash_cases(world: MockWorld, job: str, tmp: Path) -> list[dict[str, Any]]:
    out = []
    for point in crash.CREATION_POINTS:
        alive_before = leftovers(world)
        state_file = tmp / f"crash-{crash.point_id(point)}.json"
        use_case = ModelUseCase(settings=world.settings, session=world.session,
                                state_file=state_file)
        use_case.attach_training_job(job)
        fired = crash.crash_after(use_case, point, lambda: crash.fail_everything(world))
        error = ""
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                crash.run_lifecycle(use_case)
        except Exception as exc:  # noqa: BLE001
            error = first_line(exc)
        crash.lift_faults(world)
        alive_at_crash = sum(grown(alive_before, leftovers(world)).values())
        crash.cleanup_in_new_process(state_file, world.open_to_other_processes())
        out.append({"point": crash.point_id(point), "crashed": bool(fired and error),
                    "error": error, "resources_at_crash": alive_at_crash,
                    "leaked": grown(alive_before, leftovers(world))})
    return out


# ------------------------------------------------------------------------------------------
# bad inputs
# ------------------------------------------------------------------------------------------
def bad_inputs(world: MockWorld, job: str, tmp: Path) -> list[dict[str, Any]]:
    """Each bad input handed to the library; answered = refused with one of our errors."""
    from mlmonitor_lib.datasets import load_mnist
    from mlmonitor_lib.ibm.openscale import OpenScaleMonitor
    from mlmonitor_lib.signature import load_signature

    assert world.settings is not None
    settings = world.settings
    use_case = ModelUseCase(settings=settings, session=world.session,
                            state_file=tmp / "bad-inputs.json")
    use_case.attach_training_job(job)
    with contextlib.redirect_stdout(io.StringIO()):
        use_case.deploy()
    endpoint = use_case.state.endpoint_name or ""
    good = use_case.test_set()[0][:2]

    def signature_dir(name: str, text: str) -> Path:
        folder = tmp / f"sig-{name}"
        folder.mkdir(exist_ok=True)
        (folder / "model_signature.json").write_text(text)
        return folder

    original = json.loads((ROOT / "use_case_mnist_tf" / "model_signature.json").read_text())
    missing = {k: v for k, v in original.items() if k != "aws_runtime"}
    wrong_type = {**original, "signature": {**original["signature"], "image_shape": "28x28"}}

    def idx_dir(name: str, mutate: Callable[[bytes], bytes]) -> Path:
        folder = tmp / f"idx-{name}"
        shutil.copytree(ROOT / "datasets" / "mnist", folder, dirs_exist_ok=True)
        path = folder / "t10k-images-idx3-ubyte.gz"
        path.write_bytes(mutate(path.read_bytes()))
        return folder

    def score(images: Any) -> Any:
        return aws.invoke_endpoint(world.session, endpoint, images)

    nan = good.copy()
    nan[0, 0, 0, 0] = np.nan
    inf = good.copy()
    inf[0, 0, 0, 0] = np.inf
    attempts: list[tuple[str, Callable[[], Any]]] = [
        ("signature: not JSON", lambda: load_signature(signature_dir("json", "{not json"))),
        ("signature: missing aws_runtime",
         lambda: load_signature(signature_dir("missing", json.dumps(missing)))),
        ("signature: wrong field type",
         lambda: load_signature(signature_dir("type", json.dumps(wrong_type)))),
        ("signature: file absent", lambda: ModelUseCase(tmp / "nowhere", settings=settings)),
        ("IDX: random bytes", lambda: load_mnist(idx_dir("random", lambda b: os.urandom(999)),
                                                 "t10k")),
        ("IDX: truncated", lambda: load_mnist(idx_dir("truncated", lambda b: b[: len(b) // 2]),
                                              "t10k")),
        ("images: 27x27", lambda: score(np.zeros((2, 27, 27, 1), np.float32))),
        ("images: 3 channels", lambda: score(np.zeros((2, 28, 28, 3), np.float32))),
        ("images: strings", lambda: score([["a"] * 28] * 2)),
        ("images: NaN pixel", lambda: score(nan)),
        ("images: Inf pixel", lambda: score(inf)),
        ("raw body: not JSON", lambda: use_case.invoke_raw(b"\x00\x01 not json")),
        ("unknown endpoint", lambda: aws.invoke_endpoint(world.session, "no-such-endpoint",
                                                         good)),
        ("wrong API key", lambda: OpenScaleMonitor(
            settings.model_copy(update={"api_key": _secret("wrong-key")})).ensure_data_mart()),
        ("missing API key", lambda: OpenScaleMonitor(
            settings.model_copy(update={"api_key": None})).ensure_data_mart()),
        ("missing AWS_ROLE", lambda: ModelUseCase(
            settings=settings.model_copy(update={"aws_role": None}), session=world.session,
            state_file=tmp / "no-role.json").train()),
    ]
    out = []
    for name, attempt in attempts:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                attempt()
            out.append({"input": name, "answered": False, "answer": "accepted without error"})
        except MlMonitorError as exc:
            out.append({"input": name, "answered": True, "answer": first_line(exc)})
        except Exception as exc:  # noqa: BLE001
            out.append({"input": name, "answered": False, "answer": first_line(exc)})
    with contextlib.redirect_stdout(io.StringIO()):
        use_case.cleanup()
    return out


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


# ------------------------------------------------------------------------------------------
# the secret scan (the onboarding that also trains the job every other part attaches)
# ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def captured_fds(path: Path) -> Iterator[None]:
    """Send file descriptors 1 and 2 (this process and its children) to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def onboarding_with_secret_scan(world: MockWorld, tmp: Path) -> tuple[str, dict[str, Any]]:
    assert world.settings is not None and world.ibm is not None
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    state_file = tmp / "onboarding" / "state.json"
    output = tmp.parent / "onboarding-output.txt"  # searched once, as captured output
    started = time.perf_counter()
    try:
        with captured_fds(output):
            use_case = ModelUseCase(settings=world.settings, session=world.session,
                                    hyperparameters=BUDGET, state_file=state_file)
            use_case.train()
            crash.run_lifecycle(use_case)
            use_case.score_model(num_samples=10)
            use_case.factsheet()
            use_case.display_states()
            use_case.cleanup()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    seconds = time.perf_counter() - started
    assert use_case.state.job_name
    sources: dict[str, bytes | str] = {
        "logs (DEBUG, all loggers)": log.getvalue(), "stdout+stderr": output.read_bytes(),
        "state file": state_file.read_bytes(), **leaks.emulator_state(world.ibm),
        **dict(leaks.files_under(tmp, world.workdir or tmp, Path("logs"), Path("mlruns"))),
        **dict(leaks.s3_objects(world.session)),
    }
    secrets = leaks.named_secrets(world.settings, {"CP4D_PASSWORD": world.ibm.password})
    findings = leaks.scan(sources, secrets)
    return use_case.state.job_name, {
        "secrets_searched": sorted(secrets), "sources_searched": len(sources),
        "bytes_searched": sum(len(v) for v in sources.values()),
        "log_records_bytes": len(log.getvalue()), "occurrences": leaks.total(findings),
        "findings": findings, "onboarding_seconds": round(seconds, 1),
        "leaked_after_cleanup": leftovers(world),
    }


# ------------------------------------------------------------------------------------------
def summarise(faults: list[Outcome], crashes: list[dict[str, Any]], bad: list[dict[str, Any]],
              secrets: dict[str, Any]) -> dict[str, Any]:
    leaked = sum(sum(f.leaked.values()) for f in faults) + sum(
        sum(c["leaked"].values()) for c in crashes)
    return {
        "fault_scenarios": len(faults),
        "faults_injected": sum(f.injected for f in faults),
        "scenarios_survived": sum(f.outcome == "survived" for f in faults),
        "scenarios_cleanly_reported": sum(f.outcome == "reported" for f in faults),
        "scenarios_failed_to_survive": sum(f.outcome == "failed-to-survive" for f in faults),
        "scenarios_unhandled": sum(f.outcome == "unhandled" for f in faults),
        "crash_points": len(crashes),
        "crash_points_clean_after_cleanup": sum(not c["leaked"] for c in crashes),
        "resources_leaked": leaked + sum(secrets["leaked_after_cleanup"].values()),
        "secret_occurrences": secrets["occurrences"],
        "bad_inputs_tried": len(bad),
        "bad_inputs_answered": sum(b["answered"] for b in bad),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer fault scenarios")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mlmonitor-resilience-"))
    began = time.perf_counter()
    try:
        for sub in ("loopback", "world", "scan"):
            (tmp / sub).mkdir()
        faults = [loopback_scenario(tmp / "loopback")]  # before the world: it refuses 127.0.0.1
        with MockWorld(workdir=tmp / "world") as world:
            job, secrets = onboarding_with_secret_scan(world, tmp / "scan")
            seed_endpoint(plain_session(), ENDPOINT)  # what the IBM flows subscribe to
            faults += ibm_scenarios(world, tmp, args.quick)
            faults += sagemaker_scenarios(world, job, tmp, args.quick)
            crashes = crash_cases(world, job, tmp)
            bad = bad_inputs(world, job, tmp)
    except Exception:
        traceback.print_exc()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = summarise(faults, crashes, bad, secrets)
    result = {
        "summary": summary, "seconds": round(time.perf_counter() - began, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "faults": [asdict(f) for f in faults], "crashes": crashes, "bad_inputs": bad,
        "secret_scan": secrets,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for f in faults:
        print(f"  {f.outcome:<18} {f.category:<10} inj={f.injected:<3} {f.name}"
              + (f"  [{f.error[:110]}]" if f.error else "")
              + (f"  LEAKED {f.leaked}" if f.leaked else ""))
    for c in crashes:
        print(f"  crash after {c['point']:<36} leaked={c['leaked'] or 0}")
    for b in bad:
        print(f"  {'answered' if b['answered'] else 'NOT ANSWERED':<12} {b['input']:<28} "
              f"{b['answer'][:110]}")
    print("\nresilience summary: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    print(f"saved {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
