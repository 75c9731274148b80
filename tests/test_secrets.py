"""No secret is ever shown: a whole onboarding in mock mode (train on a small budget, deploy,
score, govern, monitor, payload, quality monitor, feedback, evaluate, cleanup) with the run's
distinctive fake secrets, then a search of everything it left: every log record at DEBUG (all
loggers), captured stdout/stderr (file descriptors, so subprocesses too), the state file, the
OpenScale emulator's SQLite file, the emulators' stored state, every file under the work
directories (artifacts unpacked), moto's S3 objects, and ./logs and ./mlruns if any appeared.

IAM's own state is not searched: knowing the API key and password is its job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlmonitor_harness import leaks
from mlmonitor_harness.world import MockWorld
from mlmonitor_lib.usecase import ModelUseCase

BUDGET = {"train-samples": 2000, "epochs": 1}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockWorld]:
    with MockWorld(workdir=tmp_path_factory.mktemp("secrets-world")) as started:
        yield started


def secrets_of(world: MockWorld) -> dict[str, str]:
    """The settings' secrets (AWS keys, API key) and the emulated CP4D password."""
    assert world.settings is not None and world.ibm is not None
    found = leaks.named_secrets(world.settings, {"CP4D_PASSWORD": world.ibm.password})
    assert set(found) >= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "API_KEY",
                          "CP4D_PASSWORD"}
    return found


def onboard(use_case: ModelUseCase) -> None:
    use_case.train()
    use_case.deploy()
    use_case.score_model(num_samples=10)
    use_case.govern()
    use_case.factsheet()
    use_case.monitor()
    use_case.log_payload(num_samples=20)
    use_case.configure_quality_monitor()
    use_case.log_feedback(num_samples=20)
    use_case.evaluate()
    use_case.display_states()
    use_case.cleanup()


def test_a_whole_onboarding_shows_no_secret_anywhere(
    world: MockWorld, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records reach it
    state_file = tmp_path / "state" / "state.json"
    use_case = ModelUseCase("use_case_mnist_tf", settings=world.settings, session=world.session,
                            hyperparameters=BUDGET, state_file=state_file)
    onboard(use_case)

    out, err = capfd.readouterr()
    sources: dict[str, bytes | str] = {
        "log records": "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}"
                                 for r in caplog.records),
        "log text": caplog.text, "stdout": out, "stderr": err,
        "state file": state_file.read_bytes(),
        **leaks.emulator_state(world.ibm),
        **dict(leaks.files_under(tmp_path, world.workdir, Path("logs"), Path("mlruns"))),
        **dict(leaks.s3_objects(world.session)),
    }
    assert any(name.endswith("openscale.sqlite") for name in sources)
    assert len(caplog.records) > 100  # DEBUG really was captured

    findings = leaks.scan(sources, secrets_of(world))
    assert findings == {}, f"secrets found (source -> secret name -> count): {findings}"
