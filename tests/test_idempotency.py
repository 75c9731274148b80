"""Idempotency: running any lifecycle step a second time creates no second resource, also from
a use case resumed from the state file in a new object; ``cleanup()`` twice returns zeros the
second time, without error. Counted in moto and the emulators' own state, not by the library.

Every test builds its own onboarding: a use case of its own (its own state file) taken up to
the step under test, and cleaned up after it, so the tests run in any order, alone or
together. They share only what no step changes: the emulated world and one finished training
job to attach (training is what ``test_train_twice_runs_one_job`` checks on its own). Each test
starts in an empty world, which the autouse fixture checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mlmonitor_harness.inventory import leftovers, world_resources
from mlmonitor_harness.world import MockWorld
from mlmonitor_lib.usecase import ModelUseCase

BUDGET = {"train-samples": 2000, "epochs": 1}
# The lifecycle in the seed's order: each test runs the steps before the one it repeats.
LIFECYCLE = ("deploy", "govern", "monitor", "configure_quality_monitor")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockWorld]:
    with MockWorld(workdir=tmp_path_factory.mktemp("idempotency-world")) as started:
        yield started


@pytest.fixture(scope="module")
def trained_job(world: MockWorld, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A finished training job (small budget) that a test's use case attaches to."""
    trainer = ModelUseCase("use_case_mnist_tf", settings=world.settings, session=world.session,
                           hyperparameters=BUDGET,
                           state_file=tmp_path_factory.mktemp("trainer") / "state.json")
    return trainer.train()["job_name"]


@pytest.fixture(autouse=True)
def empty_world(world: MockWorld) -> Iterator[None]:
    """Each test starts with nothing deployed, governed or monitored, and leaves nothing."""
    assert leftovers(world) == {}, "an earlier test left resources behind"
    yield
    assert leftovers(world) == {}, "this test left resources behind"


@pytest.fixture
def use_case(world: MockWorld, tmp_path) -> Iterator[ModelUseCase]:
    """This test's own onboarding (its own state file), cleaned up afterwards."""
    made = ModelUseCase("use_case_mnist_tf", settings=world.settings, session=world.session,
                        hyperparameters=BUDGET, state_file=tmp_path / "state.json")
    yield made
    made.cleanup()


def resumed(use_case: ModelUseCase, world: MockWorld) -> ModelUseCase:
    """The same onboarding as another process sees it: only the state file."""
    return ModelUseCase.load(use_case.state_file, settings=world.settings,
                             session=world.session)


def taken_up_to(use_case: ModelUseCase, trained_job: str, step: str) -> ModelUseCase:
    """The use case with the training attached and every lifecycle step before ``step`` run."""
    use_case.attach_training_job(trained_job)
    for earlier in LIFECYCLE[: LIFECYCLE.index(step)] if step in LIFECYCLE else LIFECYCLE:
        getattr(use_case, earlier)()
    return use_case


def twice(world: MockWorld, first: Callable[[], Any], again: Callable[[], Any]
          ) -> tuple[dict[str, int], dict[str, int]]:
    """Inventory after ``first`` and after ``again`` (the same step run a second time)."""
    first()
    after_first = world_resources(world)
    again()
    return after_first, world_resources(world)


def test_train_twice_runs_one_job(world: MockWorld, use_case: ModelUseCase) -> None:
    jobs_before = set(use_case.list_training_jobs())
    first = use_case.train()
    assert use_case.train() == first
    assert resumed(use_case, world).train() == first
    assert set(use_case.list_training_jobs()) - jobs_before == {first["job_name"]}


@pytest.mark.parametrize("step", LIFECYCLE)
def test_a_step_run_again_creates_no_second_resource(world: MockWorld, use_case: ModelUseCase,
                                                     trained_job: str, step: str) -> None:
    taken_up_to(use_case, trained_job, step)
    after_first, after_again = twice(world, getattr(use_case, step), getattr(use_case, step))
    assert after_again == after_first
    assert leftovers(world) != {}  # the step did create something to count
    getattr(resumed(use_case, world), step)()
    assert world_resources(world) == after_first


def test_logging_records_again_adds_records_not_data_sets(world: MockWorld,
                                                          use_case: ModelUseCase,
                                                          trained_job: str) -> None:
    taken_up_to(use_case, trained_job, "log")
    after_first, after_again = twice(
        world, lambda: use_case.log_payload(num_samples=10),
        lambda: use_case.log_feedback(num_samples=20))
    assert after_again == after_first
    assert use_case.wos.payload_record_count() == 10
    assert use_case.wos.feedback_record_count() == 20


def test_evaluating_again_creates_no_monitor(world: MockWorld, use_case: ModelUseCase,
                                             trained_job: str) -> None:
    taken_up_to(use_case, trained_job, "evaluate")
    use_case.log_feedback(num_samples=20)
    after_first, after_again = twice(world, use_case.evaluate, use_case.evaluate)
    assert after_again == after_first


def test_cleanup_twice_returns_zeros_the_second_time(world: MockWorld, use_case: ModelUseCase,
                                                     trained_job: str) -> None:
    taken_up_to(use_case, trained_job, "cleanup")
    assert use_case.cleanup() == {"serving": 1, "wos": 1, "factsheets": 1}
    assert use_case.cleanup() == {"serving": 0, "wos": 0, "factsheets": 0}
    assert resumed(use_case, world).cleanup() == {"serving": 0, "wos": 0, "factsheets": 0}
    assert leftovers(world) == {}
