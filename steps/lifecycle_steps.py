"""Steps shared by every feature: the use case, its lifecycle flags, cleanup."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from mlmonitor_lib.usecase import ModelUseCase


@given(parsers.parse('the model use case "{name}"'), target_fixture="use_case")
def _(new_use_case, name: str) -> ModelUseCase:
    use_case = new_use_case(name)
    assert use_case.signature.aws_runtime.train_script
    return use_case


@given("the model has been trained", target_fixture="jobs_before")
def _(use_case: ModelUseCase, trained_job: str) -> list[str]:
    use_case.attach_training_job(trained_job)
    assert use_case.states()["trained"]
    return use_case.list_training_jobs()


@given("the model has been deployed")
def _(use_case: ModelUseCase, trained_job: str) -> None:
    if not use_case.states()["trained"]:
        use_case.attach_training_job(trained_job)
    use_case.deploy()
    assert use_case.states()["deployed"]


@then(
    parsers.parse(
        'the lifecycle shows trained "{trained}", deployed "{deployed}", '
        'governed "{governed}", monitored "{monitored}"'
    )
)
def _(use_case: ModelUseCase, trained: str, deployed: str, governed: str, monitored: str,
      capsys) -> None:
    use_case.display_states()
    printed = capsys.readouterr().out
    expected = {"trained": trained, "deployed": deployed, "governed": governed,
                "monitored": monitored}
    for flag, value in expected.items():
        assert f"- {flag + ':':<10} [{value}]" in printed, printed


@when("the use case is cleaned up", target_fixture="cleanup_counts")
def _(use_case: ModelUseCase) -> dict[str, int]:
    return use_case.cleanup()


@given("the catalog id and model entry id of our model inventory")
def _(use_case: ModelUseCase) -> None:
    assert use_case.state.catalog_id, "set CATALOG_ID (see README, Configuration)"
    assert use_case.state.model_entry_id, "set MODEL_ENTRY_ID (see README, Configuration)"


@then(
    parsers.parse(
        "the cleanup reports {serving:d} serving deployment, {wos:d} subscription and "
        "{factsheets:d} model asset deleted"
    )
)
def _(cleanup_counts: dict, serving: int, wos: int, factsheets: int) -> None:
    assert cleanup_counts == {"serving": serving, "wos": wos, "factsheets": factsheets}


@then("nothing the onboarding created is left running")
def _(use_case: ModelUseCase) -> None:
    leftovers = [f"{r.service}/{r.kind}/{r.id}" for r in use_case.store.alive()
                 if r.service in ("serving", "wos", "factsheets")]
    assert leftovers == []
    assert use_case.still_existing() == []
