"""Idempotency: running any lifecycle step a second time creates no second resource, also from
a use case resumed from the state file in a new object; ``cleanup()`` twice returns zeros the
second time, without error. Counted in moto and the emulators' own state, not by the library.

One use case walks the lifecycle; each test runs one step again (in the seed's order, so the
module reads as the onboarding) and compares the inventory before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mlmonitor_harness.inventory import world_resources
from mlmonitor_harness.world import MockWorld
from mlmonitor_lib.usecase import ModelUseCase

BUDGET = {"train-samples": 2000, "epochs": 1}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockWorld]:
    with MockWorld(workdir=tmp_path_factory.mktemp("idempotency-world")) as started:
        yield started


@pytest.fixture(scope="module")
def use_case(world: MockWorld, tmp_path_factory: pytest.TempPathFactory) -> ModelUseCase:
    """The module's one onboarding (trained once, small budget)."""
    return ModelUseCase(settings=world.settings, session=world.session, hyperparameters=BUDGET,
                        state_file=tmp_path_factory.mktemp("idempotency") / "state.json")


def resumed(use_case: ModelUseCase, world: MockWorld) -> ModelUseCase:
    """The same onboarding as another process sees it: only the state file."""
    return ModelUseCase.load(use_case.state_file, settings=world.settings,
                             session=world.session)


def twice(world: MockWorld, first: Callable[[], Any], again: Callable[[], Any]
          ) -> tuple[dict[str, int], dict[str, int]]:
    """Inventory after ``first`` and after ``again`` (the same step run a second time)."""
    first()
    after_first = world_resources(world)
    again()
    return after_first, world_resources(world)


def training_jobs(use_case: ModelUseCase) -> int:
    return len(use_case.list_training_jobs())


def test_train_twice_runs_one_job(world: MockWorld, use_case: ModelUseCase) -> None:
    first = use_case.train()
    jobs = training_jobs(use_case)
    assert use_case.train() == first
    assert resumed(use_case, world).train() == first
    assert training_jobs(use_case) == jobs == 1


@pytest.mark.parametrize("step", ["deploy", "govern", "monitor", "configure_quality_monitor"])
def test_a_step_run_again_creates_no_second_resource(world: MockWorld, use_case: ModelUseCase,
                                                     step: str) -> None:
    after_first, after_again = twice(world, getattr(use_case, step),
                                     getattr(use_case, step))
    assert after_again == after_first
    after_resumed = world_resources(world)
    getattr(resumed(use_case, world), step)()
    assert world_resources(world) == after_resumed == after_first


def test_logging_records_again_adds_records_not_data_sets(world: MockWorld,
                                                          use_case: ModelUseCase) -> None:
    after_first, after_again = twice(
        world, lambda: use_case.log_payload(num_samples=10),
        lambda: use_case.log_feedback(num_samples=20))
    assert after_again == after_first
    assert use_case.wos.payload_record_count() == 10
    assert use_case.wos.feedback_record_count() == 20


def test_evaluating_again_creates_no_monitor(world: MockWorld, use_case: ModelUseCase) -> None:
    after_first, after_again = twice(world, use_case.evaluate, use_case.evaluate)
    assert after_again == after_first


def test_cleanup_twice_returns_zeros_the_second_time(world: MockWorld,
                                                     use_case: ModelUseCase) -> None:
    first = use_case.cleanup()
    assert first == {"serving": 1, "wos": 1, "factsheets": 1}
    assert use_case.cleanup() == {"serving": 0, "wos": 0, "factsheets": 0}
    assert resumed(use_case, world).cleanup() == {"serving": 0, "wos": 0, "factsheets": 0}
    assert {k: v for k, v in world_resources(world).items() if v} == {}
