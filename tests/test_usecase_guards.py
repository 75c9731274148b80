"""Lifecycle guards, state display and resuming: no cloud call is needed to check them."""

from __future__ import annotations

import boto3
import pytest

from mlmonitor_lib import SageMakerModelUseCase
from mlmonitor_lib.errors import LifecycleError, SettingsError
from mlmonitor_lib.settings import Settings
from mlmonitor_lib.usecase import ModelUseCase


@pytest.fixture
def use_case(tmp_path) -> ModelUseCase:
    settings = Settings.load(state_dir=tmp_path, catalog_id="cat", model_entry_id="entry",
                             aws_role=None)
    session = boto3.Session(region_name="ca-central-1", aws_access_key_id="x",
                            aws_secret_access_key="y")
    return ModelUseCase("use_case_mnist_tf", settings=settings, session=session)


@pytest.mark.parametrize(
    ("call", "first"),
    [
        (lambda uc: uc.deploy(), "train"),
        (lambda uc: uc.score_model(), "deploy"),
        (lambda uc: uc.govern(), "deploy"),
        (lambda uc: uc.monitor(), "deploy"),
        (lambda uc: uc.log_payload(), "monitor"),
        (lambda uc: uc.configure_quality_monitor(), "monitor"),
        (lambda uc: uc.log_feedback(), "monitor"),
        (lambda uc: uc.evaluate(), "monitor"),
        (lambda uc: uc.release_gate(), "evaluate"),
        (lambda uc: uc.factsheet(), "govern"),
    ],
)
def test_a_step_out_of_order_names_the_step_to_run_first(use_case, call, first):
    with pytest.raises(LifecycleError, match=rf"run {first}\(\) first"):
        call(use_case)


def test_display_states_prints_the_seeds_four_lines(use_case, capsys):
    use_case.display_states()
    assert capsys.readouterr().out.splitlines()[1:5] == [
        "              - trained:   [False]",
        "              - deployed:  [False]",
        "              - governed:  [False]",
        "              - monitored: [False]",
    ]


def test_state_file_resumes_in_a_new_object(use_case):
    use_case.store.update(trained=True, job_name="job-1", model_data="s3://b/job-1/model.tar.gz")
    resumed = ModelUseCase.load(use_case.state_file, settings=use_case.settings,
                                session=use_case.session)
    assert resumed.states() == {"trained": True, "deployed": False, "governed": False,
                                "monitored": False}
    assert resumed.state.model_data == "s3://b/job-1/model.tar.gz"
    assert resumed.state.catalog_id == "cat"


def test_the_seed_name_is_the_same_class():
    assert SageMakerModelUseCase is ModelUseCase


def test_unknown_use_case_folder_is_named(tmp_path):
    with pytest.raises(SettingsError, match="use_case_nope"):
        ModelUseCase("use_case_nope", settings=Settings.load(state_dir=tmp_path))


def test_training_without_role_says_which_setting(use_case):
    with pytest.raises(SettingsError, match="AWS_ROLE is not set"):
        use_case.train()
