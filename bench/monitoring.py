"""Benchmark: payload and feedback logging and quality evaluation at 1k, 10k and 100k records.

Everything goes through the real ``ibm-watson-openscale`` SDK (via the OpenScale adapter) into
the emulator mounted in-process on ``responses``, records kept in a SQLite file as in rehearsal.
Images are raw MNIST-sized (28x28 uint8) synthetic arrays, predictions right 90 % of the time.

Reports records/s for each store, evaluation seconds, and the growth ratio t(100k)/t(10k) of the
whole step (store payload + store feedback + evaluate); targets: ratio <= 12 (linear growth) and
evaluating 100k feedback records in <= 2 s. Saves ``bench/results/monitoring.json``.

    python bench/monitoring.py [--sizes 1000 10000 100000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import responses
from moto import mock_aws

from mlmonitor_harness.emulated_services import wait_settings
from mlmonitor_harness.sdk_clock import instant_sdk_waits
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.iam import make_router as iam_router
from mlmonitor_lib.emulators.openscale import DEFAULT_INSTANCE_ID, OpenScaleBackend, make_router
from mlmonitor_lib.emulators.openscale.discovery import sagemaker_from_session, seed_endpoint
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.emulators.transport import mount
from mlmonitor_lib.ibm.openscale import OpenScaleMonitor
from mlmonitor_lib.settings import Settings

IAM, WOS, KEY = "https://iam.bench.test", "https://wos.bench.test", "bench-api-key"
REGION = "ca-central-1"
RESULTS = Path(__file__).parent / "results" / "monitoring.json"
RATIO_TARGET, EVAL_TARGET_S = 12.0, 2.0


def synthetic(n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n)
    predictions = np.where(rng.random(n) < 0.9, labels, (labels + 1) % 10)
    probabilities = np.round(np.eye(10)[predictions] * 0.9 + 0.01, 3)
    return images, labels, predictions, probabilities


def run_size(n: int, batch: int, workdir: Path) -> dict[str, Any]:
    """One fresh emulator (its own SQLite file) and one monitor; times each phase."""
    iam = IamBackend(api_keys={KEY: "bench"})
    # OpenScale discovers the endpoint in SageMaker (moto, with a seeded InService endpoint)
    aws = mock_aws()
    aws.start()
    session = boto3.Session(aws_access_key_id="bench-access-key",
                            aws_secret_access_key="bench-secret", region_name=REGION)
    seed_endpoint(session, "bench-endpoint")
    backend = OpenScaleBackend(str(workdir / f"wos-{n}.sqlite"),
                               sagemaker=sagemaker_from_session(session))
    settings = Settings(
        env="saas",
        api_key=KEY,
        iam_url=IAM,
        wos_url=WOS,
        wos_instance_id=DEFAULT_INSTANCE_ID,
        aws_access_key_id="bench-access-key",
        aws_secret_access_key="bench-secret",
        aws_default_region=REGION,
        **wait_settings(Pace("instant")),  # the emulator's states advance per check
    )
    images, labels, predictions, probabilities = synthetic(n, seed=n)
    times: dict[str, float] = {}
    with (
        responses.RequestsMock(assert_all_requests_are_fired=False) as rsps,
        instant_sdk_waits(),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        mount(rsps, IAM, iam_router(iam))
        mount(rsps, WOS, make_router(backend, iam))
        monitor = OpenScaleMonitor(settings)
        monitor.subscribe("bench-endpoint")
        monitor.configure_quality_monitor(
            [{"metric_id": "accuracy", "type": "lower_limit", "value": 0.8}], n
        )
        start = time.perf_counter()
        monitor.log_payload(images, predictions, probabilities, np.full(n, 20.0), batch)
        times["payload_s"] = time.perf_counter() - start
        start = time.perf_counter()
        monitor.log_feedback(images, labels, predictions, probabilities, batch)
        times["feedback_s"] = time.perf_counter() - start
        start = time.perf_counter()
        result = monitor.evaluate()
        times["evaluate_sdk_s"] = time.perf_counter() - start
        counts = (monitor.payload_record_count(), monitor.feedback_record_count())
    feedback_id = monitor.ids["feedback_data_set"]
    start = time.perf_counter()  # the emulator's own share: SQLite scan + numpy
    backend.add_run(monitor.ids["quality"], {})
    times["evaluate_emulator_s"] = time.perf_counter() - start
    expected = float(np.mean(labels == predictions))
    backend.records.close()
    aws.stop()
    return {
        "records": n,
        **{k: round(v, 4) for k, v in times.items()},
        "payload_records_per_s": round(n / times["payload_s"]),
        "feedback_records_per_s": round(n / times["feedback_s"]),
        "step_s": round(times["payload_s"] + times["feedback_s"] + times["evaluate_sdk_s"], 3),
        "stored": {"payload": counts[0], "feedback": counts[1]},
        "accuracy": result.metrics["accuracy"],
        "accuracy_matches_numpy": result.metrics["accuracy"] == expected,
        "feedback_data_set": feedback_id,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--batch", type=int, default=2000, help="records per store request")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="wos-bench-") as tmp:
        for n in args.sizes:
            rows.append(run_size(n, args.batch, Path(tmp)))
            r = rows[-1]
            print(
                f"{n:>7} records: payload {r['payload_records_per_s']:>6} rec/s, feedback "
                f"{r['feedback_records_per_s']:>6} rec/s, evaluate {r['evaluate_sdk_s']:.3f} s "
                f"(emulator {r['evaluate_emulator_s']:.3f} s), step {r['step_s']:.1f} s"
            )
    by_n = {r["records"]: r for r in rows}
    summary: dict[str, Any] = {
        "sizes": rows,
        "batch": args.batch,
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
        },
    }
    if 10000 in by_n and 100000 in by_n:
        ratio = by_n[100000]["step_s"] / by_n[10000]["step_s"]
        eval_ratio = by_n[100000]["evaluate_sdk_s"] / by_n[10000]["evaluate_sdk_s"]
        summary["growth_ratio_100k_over_10k"] = round(ratio, 2)
        summary["evaluate_growth_ratio_100k_over_10k"] = round(eval_ratio, 2)
        summary["targets"] = {
            "ratio_le_12": ratio <= RATIO_TARGET,
            "evaluate_100k_le_2s": by_n[100000]["evaluate_sdk_s"] <= EVAL_TARGET_S,
        }
        print(
            f"growth t(100k)/t(10k) = {ratio:.2f} (target <= {RATIO_TARGET}); evaluation "
            f"of 100k = {by_n[100000]['evaluate_sdk_s']:.3f} s (target <= {EVAL_TARGET_S} s)"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2))
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
