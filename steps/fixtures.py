"""Fixtures behind the Given steps: which services a scenario runs against, per ``--mode``.

Given steps are backed by these fixtures (no global context dict); When steps publish their
outcome with ``target_fixture``; Then steps only assert.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mode(pytestconfig: pytest.Config) -> str:
    """The mode this run uses: mock, rehearsal or live."""
    return pytestconfig.getoption("--mode")


@pytest.fixture(scope="session")
def pace(pytestconfig: pytest.Config) -> str:
    """``--pace``: how fast the emulators' resources change state (instant or realistic)."""
    return pytestconfig.getoption("--pace")


@pytest.fixture(scope="session")
def keep_resources(pytestconfig: pytest.Config) -> bool:
    """``--keep``: leave cloud resources for debugging instead of cleaning up."""
    return bool(pytestconfig.getoption("--keep"))


# State files of use cases left alive by --keep, listed at the end of the run.
KEPT_STATE_FILES = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """After ``--keep``: which state files hold the resources, and how to delete them (not in
    mock mode, whose services end with the run)."""
    kept = config.stash.get(KEPT_STATE_FILES, [])
    if kept and config.getoption("--mode") != "mock":
        terminalreporter.section("resources kept (--keep)")
        for state_file in kept:
            terminalreporter.write_line(
                f"python -m mlmonitor_lib state cleanup {state_file}")


@pytest.fixture(scope="session")
def use_case_under_test(pytestconfig: pytest.Config):
    """``--use-case``: the folder of the model use case the features onboard."""
    from mlmonitor_lib.usecase.lifecycle import resolve_source_dir

    return resolve_source_dir(pytestconfig.getoption("--use-case"))


@pytest.fixture(scope="session")
def world(mode: str, pace: str, tmp_path_factory: pytest.TempPathFactory):
    """The services this run talks to, as settings + a boto3 session; emulated ones at
    ``--pace``."""
    from mlmonitor_lib.emulators.pace import Pace

    if mode == "mock":
        from mlmonitor_harness.world import MockWorld

        with MockWorld(workdir=tmp_path_factory.mktemp("world"), pace=Pace(pace)) as started:
            yield started
    elif mode == "rehearsal":
        from mlmonitor_harness.rehearsal import RehearsalWorld

        with RehearsalWorld(workdir=tmp_path_factory.mktemp("world"),
                            pace=Pace(pace)) as started:
            yield started
    else:
        from mlmonitor_harness.world import LiveWorld
        from mlmonitor_lib.settings import Settings

        yield LiveWorld(Settings.load())


@pytest.fixture(scope="session")
def budget(mode: str, use_case_under_test) -> dict:
    """Emulated runs train on the signature's ``emulated_hyperparameters`` (a small budget, so
    the features stay quick); live ones on its ``hyperparameters`` alone."""
    from mlmonitor_lib.signature import load_signature

    if mode == "live":
        return {}
    return dict(load_signature(use_case_under_test).emulated_hyperparameters)


@pytest.fixture
def ibm_flavour(world) -> str:
    """How IBM is reached: the world's own platform (IBM Cloud in mock mode, CP4D in
    rehearsal, the account's in live) unless a scenario names one."""
    return world.settings.env


@pytest.fixture
def ibm_services(world):
    """The emulated IBM services' state, for checks independent of the library under test."""
    if getattr(world, "ibm", None) is None:
        pytest.fail("this scenario reads emulator state but is not tagged @emulated: tag it, "
                    "or check through the services' own APIs", pytrace=False)
    return world.ibm


@pytest.fixture
def new_use_case(world, budget, tmp_path, keep_resources, ibm_flavour, evidence, pytestconfig,
                 use_case_under_test):
    """Factory of use cases bound to this run's world (the use case under test unless another
    folder is named); each is cleaned up after its scenario (unless ``--keep``), whatever the
    scenario's outcome."""
    from mlmonitor_lib.usecase import ModelUseCase

    made: list[ModelUseCase] = []

    def make(source_dir: str | None = None, *, data_dir=None, hyperparameters=None,
             **settings_overrides) -> ModelUseCase:
        try:
            settings = world.settings_for(ibm_flavour)
        except LookupError as reason:  # a platform tag (@ibm_cloud...) leaves these out
            pytest.fail(f"untagged scenario for another platform: {reason}", pytrace=False)
        # evidence packs where EVIDENCE_DIR says (make onboard: reports/evidence), else in the
        # scenario's own folder
        settings_overrides.setdefault(
            "evidence_dir", Path(os.environ.get("EVIDENCE_DIR") or tmp_path / "evidence"))
        settings = settings.model_copy(update=settings_overrides)
        use_case = ModelUseCase(
            source_dir or use_case_under_test, settings=settings, session=world.session,
            hyperparameters={**budget, **(hyperparameters or {})}, data_dir=data_dir,
            state_file=tmp_path / f"state-{len(made)}.json",
        )
        made.append(use_case)
        return use_case

    yield make
    if getattr(world, "ibm", None) is not None:  # a scenario's injected faults end with it
        from mlmonitor_harness.crash import lift_faults

        lift_faults(world)
    # the last made first: one made earlier may have created what a later one shares (the
    # OpenScale data mart and provider), which its cleanup deletes only once nobody uses it
    for use_case in reversed(made):
        if not keep_resources:
            use_case.cleanup()
        elif use_case.store.alive():
            pytestconfig.stash.setdefault(KEPT_STATE_FILES, []).append(use_case.state_file)
        evidence.resources(use_case.state.resources)


@pytest.fixture(scope="session")
def trained_job(world, budget, tmp_path_factory, use_case_under_test) -> str:
    """One training job per session (of the use case under test) that scenarios needing "a
    trained model" attach to."""
    from mlmonitor_lib.usecase import ModelUseCase

    use_case = ModelUseCase(
        use_case_under_test, settings=world.settings, session=world.session,
        hyperparameters=budget, state_file=tmp_path_factory.mktemp("trained") / "state.json",
    )
    return use_case.train()["job_name"]
