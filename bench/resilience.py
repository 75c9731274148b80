"""Benchmark: what resilience costs and leaves behind in a mock onboarding, in one summary.

It measures, it does not re-test: what must happen to a fault, a bad input or a crash is
said by ``features/resilience.feature`` and ``features/bad_input.feature`` and checked by
``tests/test_faults.py``, ``test_faults_http.py`` (a real socket) and
``test_crash_cleanup.py``. Against one MockWorld and one small training job, it counts and times:

* fault scenarios: transient faults on the OpenScale, Factsheets, IAM and SageMaker operations
  (:data:`IBM_PLANS`, :data:`SAGEMAKER_PLANS`), persistent faults and dropped connections,
  latency, a failed training job: faults injected, the outcome (survived, reported naming the
  service, unhandled), seconds, resources left after cleanup;
* crash-safe cleanup: a crash right after each resource of the harness's one list of crash
  points (:mod:`mlmonitor_harness.crash`), then ``cleanup()`` from the state file in a new
  process: resources alive at the crash, resources left after;
* a secret scan of all a whole onboarding (training included) left: bytes, occurrences.

Prints ONE summary and saves ``bench/results/resilience.json``: ``bench/resilience.py [--quick]``
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlmonitor_harness import crash, leaks  # noqa: E402
from mlmonitor_harness.emulated_services import REGION, IbmServices  # noqa: E402
from mlmonitor_harness.inventory import leftovers  # noqa: E402
from mlmonitor_harness.world import MockWorld  # noqa: E402
from mlmonitor_lib.emulators.openscale.discovery import seed_endpoint  # noqa: E402
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
# IBM plans: (service, method, path, fault, expected); fault "503x2" = status 503 twice,
# "503" alone = every time, "drop" = connection dropped, "+0.3s" = 0.3 s latency twice.
TRANSIENT = [(svc, m, p, f"{status}x2", "survive")
             for svc, routes in (
                 ("openscale", [("POST", "/v2/subscriptions"), ("POST", "/v2/service_providers"),
                                ("GET", "/v2/data_marts"), ("POST", "/v2/data_sets/{id}/records"),
                                ("POST", "/v2/monitor_instances"),
                                ("POST", "/v2/monitor_instances/{id}/runs")]),
                 ("factsheets", [("PUT", "/model_stub"), ("POST", "/notebook_experiments"),
                                 ("GET", "/v2/assets/{id}"), ("POST", "/models/{id}/model_entry")]))
             for m, p in routes for status in (429, 500, 503)]
QUICK_PATHS = ("/v2/subscriptions", "/v2/service_providers", "/model_stub",
               "/notebook_experiments")  # --quick: the first two routes of each, 503 only
IBM_PLANS = TRANSIENT + [
    ("iam", "POST", "/identity/token", "503x1", "survive"),
    ("openscale", "POST", "/v2/subscriptions", "503", "report"),
    ("openscale", "POST", "/v2/data_sets/{id}/records", "500", "report"),
    ("openscale", "POST", "/v2/monitor_instances", "429", "report"),
    ("factsheets", "PUT", "/model_stub", "503", "report"),
    ("factsheets", "POST", "/models/{id}/model_entry", "500", "report"),
    ("openscale", "GET", "/v2/data_marts", "drop", "report"),
    ("factsheets", "PUT", "/model_stub", "drop", "report"),
    ("openscale", "GET", "/v2/data_marts", "+0.3s", "survive"),
    ("factsheets", "GET", "/v2/assets/{id}", "+0.3s", "survive"),
]
# SageMaker plans: (name, [(operation, AWS error code, times; -1 = always)], expected)
SAGEMAKER_PLANS: list[tuple[str, list[tuple[str, str, int]], str]] = [
    ("sagemaker throttling on deploy and invoke", [(op, "ThrottlingException", n) for op, n in (
        ("CreateModel", 2), ("CreateEndpoint", 1), ("DescribeEndpoint", 2),
        ("InvokeEndpoint", 2))], "survive"),
    ("sagemaker unavailable/internal transient",
     [("CreateEndpointConfig", "ServiceUnavailable", 2),
      ("InvokeEndpoint", "InternalFailure", 1)], "survive"),
    ("sagemaker CreateEndpoint unavailable persistent",
     [("CreateEndpoint", "ServiceUnavailable", -1)], "report"),
    ("sagemaker InvokeEndpoint throttled persistent",
     [("InvokeEndpoint", "ThrottlingException", -1)], "report")]


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
    """Resources a scenario left beyond what was there before it (no leak counted twice)."""
    return {k: v - before.get(k, 0) for k, v in after.items() if v > before.get(k, 0)}


def first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:240] if str(exc) else ''}"


def attempt(result: Outcome, action: Callable[[], Any], expect: str = "survive") -> None:
    """Run ``action`` and time it into ``result``: survived, reported (our error, naming the
    service or resource involved), unhandled, or failed-to-survive a fault meant to pass."""
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            action()
        result.outcome = "survived"
    except Exception as exc:  # noqa: BLE001 - the outcome is what we measure
        named = isinstance(exc, MlMonitorError) and any(s in str(exc) for s in SERVICE_NAMES)
        result.outcome = "reported" if named else "unhandled"
        result.error = first_line(exc)
    result.seconds = round(time.perf_counter() - started, 2)
    if expect == "survive" and result.outcome == "reported":
        result.outcome = "failed-to-survive"


# --- IBM flows (no SageMaker needed: synthetic images and predictions)
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


def plan_fault(ibm: IbmServices, service: str, method: str, path: str, fault: str) -> None:
    """One row of :data:`IBM_PLANS` planned on the service's fault plan."""
    plan = ibm.faults(service)
    if fault == "drop":
        plan.drop(method, path)
    elif fault.startswith("+"):
        plan.delay(method, path, seconds=float(fault.strip("+s")), times=2)
    else:
        status, _, times = fault.partition("x")
        plan.fail_next(method, path, status=int(status), times=int(times or -1))


def run_ibm(world: MockWorld, tmp: Path, service: str, method: str, path: str, fault: str,
            expect: str) -> Outcome:
    """Plan a fault, run the IBM flow, lift the faults, clean up from the ledger, count."""
    ibm = world.ibm
    assert ibm is not None and world.settings is not None
    name = f"{service} {method} {path} {fault}"
    category = ("drop" if fault == "drop" else "latency" if fault[0] == "+"
                else "transient" if "x" in fault else "persistent")
    before, alive_before = sum(ibm.faults_injected().values()), leftovers(world)
    ledger = StateStore.create(tmp / f"ibm-{len(list(tmp.glob('ibm-*')))}.json",
                               LifecycleState(run_id="ibm", source_dir="."))
    result = Outcome(name, category)
    plan_fault(ibm, service, method, path, fault)
    attempt(result, lambda: ibm_flow(world.settings, ledger, tmp), expect)
    crash.lift_faults(world)
    result.injected = sum(ibm.faults_injected().values()) - before
    try:
        ibm_cleanup(world.settings, ledger)
    except Exception as exc:  # noqa: BLE001
        result.error += f" | cleanup failed: {first_line(exc)}"
    result.leaked = grown(alive_before, leftovers(world))
    return result


def ibm_scenarios(world: MockWorld, tmp: Path, quick: bool) -> list[Outcome]:
    plans = [p for p in IBM_PLANS if not quick or p not in TRANSIENT
             or (p[3] == "503x2" and p[2] in QUICK_PATHS)]
    return [run_ibm(world, tmp, *plan) for plan in plans]


# --- SageMaker
def run_sagemaker(world: MockWorld, job: str, tmp: Path, name: str,
                  faults: list[tuple[str, str, int]], expect: str) -> Outcome:
    """Deploy the job and score through a new use case with ``faults`` planned, then clean up."""
    local = world.local_sagemaker
    result = Outcome(name, "transient" if expect == "survive" else "persistent")
    before, alive_before = local.faults.injected, leftovers(world)
    use_case = ModelUseCase("use_case_mnist_tf", settings=world.settings, session=world.session,
                            state_file=tmp / f"{name.replace(' ', '_')}.json")
    use_case.attach_training_job(job)
    for operation, code, times in faults:
        local.faults.inject(operation, code, times=times)
    attempt(result, lambda: (use_case.deploy(), use_case.score_model(num_samples=5)), expect)
    local.faults.clear()
    result.injected = local.faults.injected - before
    with contextlib.redirect_stdout(io.StringIO()):
        use_case.cleanup()
    result.leaked = grown(alive_before, leftovers(world))
    return result


def sagemaker_scenarios(world: MockWorld, job: str, tmp: Path, quick: bool) -> list[Outcome]:
    out = [run_sagemaker(world, job, tmp, *plan) for plan in SAGEMAKER_PLANS[:2 if quick else 4]]
    result = Outcome("failed training job", "training")  # the hook fails the job
    alive_before = leftovers(world)
    world.local_sagemaker.faults.fail_next_training_job("AlgorithmError: injected failure")
    use_case = ModelUseCase("use_case_mnist_tf", settings=world.settings, session=world.session,
                            hyperparameters=BUDGET, state_file=tmp / "failed-training.json")
    attempt(result, use_case.train, "report")
    result.injected = 1
    result.leaked = grown(alive_before, leftovers(world))
    return [*out, result]


# --- crash-safe cleanup
def crash_cases(world: MockWorld, job: str, tmp: Path) -> list[dict[str, Any]]:
    out = []
    for point in crash.CREATION_POINTS:
        alive_before = leftovers(world)
        state_file = tmp / f"crash-{crash.point_id(point)}.json"
        use_case = ModelUseCase("use_case_mnist_tf", settings=world.settings, session=world.session,
                                state_file=state_file)
        use_case.attach_training_job(job)
        fired = crash.crash_after(use_case, point, lambda: crash.fail_everything(world))
        run = Outcome(crash.point_id(point), "crash")
        attempt(run, lambda: crash.run_lifecycle(use_case), "report")  # noqa: B023 - called now
        error = run.error
        crash.lift_faults(world)
        alive_at_crash = sum(grown(alive_before, leftovers(world)).values())
        crash.cleanup_in_new_process(state_file, world.open_to_other_processes())
        out.append({"point": crash.point_id(point), "crashed": bool(fired and error),
                    "error": error, "resources_at_crash": alive_at_crash,
                    "leaked": grown(alive_before, leftovers(world))})
    return out


# --- the secret scan (the onboarding that also trains the job every other part attaches)
@contextlib.contextmanager
def captured_fds(path: Path) -> Iterator[None]:
    """Send file descriptors 1 and 2 (this process and its children) to ``path``."""
    saved = [(fd, stream, os.dup(fd)) for fd, stream in ((1, sys.stdout), (2, sys.stderr))]
    with open(path, "wb") as sink:
        for fd, stream, _ in saved:
            stream.flush()
            os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            for fd, stream, copy in saved:
                stream.flush()
                os.dup2(copy, fd)
                os.close(copy)


def onboarding_with_secret_scan(world: MockWorld, tmp: Path) -> tuple[str, dict[str, Any]]:
    assert world.settings is not None and world.ibm is not None
    log, root = io.StringIO(), logging.getLogger()
    handler, level = logging.StreamHandler(log), root.level
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    state_file = tmp / "onboarding" / "state.json"
    output = tmp.parent / "onboarding-output.txt"  # searched once, as captured output
    started = time.perf_counter()
    try:
        with captured_fds(output):
            use_case = ModelUseCase("use_case_mnist_tf", settings=world.settings,
                                    session=world.session, hyperparameters=BUDGET,
                                    state_file=state_file)
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


def summarise(faults: list[Outcome], crashes: list[dict[str, Any]],
              secrets: dict[str, Any]) -> dict[str, Any]:
    leaked = sum(sum(f.leaked.values()) for f in faults) + sum(
        sum(c["leaked"].values()) for c in crashes)
    return {
        "fault_scenarios": len(faults),
        "faults_injected": sum(f.injected for f in faults),
        "fault_seconds": round(sum(f.seconds for f in faults), 1),
        "scenarios_survived": sum(f.outcome == "survived" for f in faults),
        "scenarios_cleanly_reported": sum(f.outcome == "reported" for f in faults),
        "scenarios_failed_to_survive": sum(f.outcome == "failed-to-survive" for f in faults),
        "scenarios_unhandled": sum(f.outcome == "unhandled" for f in faults),
        "crash_points": len(crashes),
        "crash_points_clean_after_cleanup": sum(not c["leaked"] for c in crashes),
        "resources_leaked": leaked + sum(secrets["leaked_after_cleanup"].values()),
        "secret_occurrences": secrets["occurrences"],
        "secret_bytes_searched": secrets["bytes_searched"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer fault scenarios")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mlmonitor-resilience-"))
    began = time.perf_counter()
    try:
        for sub in ("world", "scan"):
            (tmp / sub).mkdir()
        with MockWorld(workdir=tmp / "world") as world:
            job, secrets = onboarding_with_secret_scan(world, tmp / "scan")
            seed_endpoint(plain_session(), ENDPOINT)  # what the IBM flows subscribe to
            faults = ibm_scenarios(world, tmp, args.quick)
            faults += sagemaker_scenarios(world, job, tmp, args.quick)
            crashes = crash_cases(world, job, tmp)
    except Exception:
        traceback.print_exc()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = summarise(faults, crashes, secrets)
    result = {
        "summary": summary, "seconds": round(time.perf_counter() - began, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "faults": [asdict(f) for f in faults], "crashes": crashes, "secret_scan": secrets,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for f in faults:
        print(f"  {f.outcome:<18} {f.category:<10} inj={f.injected:<3} {f.seconds:>6.2f}s "
              f"{f.name}" + (f"  [{f.error[:100]}]" if f.error else "")
              + (f"  LEAKED {f.leaked}" if f.leaked else ""))
    for c in crashes:
        print(f"  crash after {c['point']:<36} leaked={c['leaked'] or 0}")
    print("\nresilience summary: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    print(f"saved {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
