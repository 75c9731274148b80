"""Crash-safe cleanup (mock mode, in-process): the lifecycle fails right after each resource is
created, and a use case resumed from the state file alone cleans up everything.

How a crash is made: the ledger's ``record`` is wrapped so that, the moment the chosen resource
is recorded, every service starts failing every call (SageMaker through ``LocalSageMaker``'s
faults, the IBM emulators through their fault plans). The next call of the lifecycle, whatever
it is, fails; the faults are lifted, and ``ModelUseCase.load(state_file).cleanup()`` must leave
zero resources in moto, the local data plane and every emulator. One training job, attached in
every case. features/resilience.feature does the same with the cleanup in a new process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlmonitor_harness.crash import (
    CREATION_POINTS,
    CreationPoint,
    crash_after,
    fail_everything,
    lift_faults,
    point_id,
    run_lifecycle,
)
from mlmonitor_harness.inventory import leftovers
from mlmonitor_harness.world import MockWorld
from mlmonitor_lib.usecase import ModelUseCase

BUDGET = {"train-samples": 2000, "epochs": 1}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockWorld]:
    with MockWorld(workdir=tmp_path_factory.mktemp("crash-world")) as started:
        yield started


@pytest.fixture(scope="module")
def trained_job(world: MockWorld, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The one training of this module (small budget); every case attaches it."""
    use_case = ModelUseCase("use_case_mnist_tf", settings=world.settings, session=world.session,
                            hyperparameters=BUDGET,
                            state_file=tmp_path_factory.mktemp("crash-train") / "state.json")
    return use_case.train()["job_name"]


@pytest.fixture
def no_faults_after(world: MockWorld) -> Iterator[None]:
    yield
    lift_faults(world)


@pytest.mark.slow
@pytest.mark.parametrize("point", CREATION_POINTS, ids=[point_id(p) for p in CREATION_POINTS])
def test_cleanup_from_the_state_file_after_a_crash_leaves_nothing(
    world: MockWorld, trained_job: str, tmp_path: Path, no_faults_after: None,
    point: CreationPoint,
) -> None:
    assert leftovers(world) == {}, "the previous case left resources behind"
    state_file = tmp_path / "state.json"
    use_case = ModelUseCase("use_case_mnist_tf", settings=world.settings, session=world.session,
                            state_file=state_file)
    use_case.attach_training_job(trained_job)
    fired = crash_after(use_case, point, lambda: fail_everything(world))

    with pytest.raises(Exception) as crashed:  # noqa: PT011 - a crash may be anything
        run_lifecycle(use_case)

    assert fired, f"the lifecycle never created {point} (it failed with {crashed.value!r})"
    print(f"crashed with {type(crashed.value).__name__}: {crashed.value}")
    lift_faults(world)
    assert leftovers(world) != {}, "the crash must happen with resources alive"
    resumed = ModelUseCase.load(state_file, settings=world.settings, session=world.session)
    resumed.cleanup()
    assert leftovers(world) == {}
    assert [r for r in resumed.store.alive() if r.service in ("serving", "wos", "factsheets")] \
        == []
