"""The Factsheets adapter through the real SDK against the emulator: govern -> the asset exists,
is linked and holds the training facts -> cleanup leaves no asset, link or experiment. For IBM
Cloud and CP4D (password and API key) in-process on ``responses`` (unknown hosts refused), once
over HTTP on 127.0.0.1, and with proof that the SDK's side effects stay contained."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from mlmonitor_lib.emulators.factsheets import (
    SAAS_FACTSHEETS_URL,
    FactsheetsBackend,
    cp4d_router,
    saas_routers,
)
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.transport import LoopbackServer, mount
from mlmonitor_lib.errors import ServiceError, SettingsError
from mlmonitor_lib.ibm.factsheets import FactsheetsAdapter
from mlmonitor_lib.settings import Settings
from mlmonitor_lib.state import LifecycleState, StateStore

API_KEY = "fs-adapter-api-key-0123456789"
ACCOUNT = "acct-0000-adapter"
USER, PASSWORD = "admin", "cp4d-adapter-password-42"
SERVICE_USER, SERVICE_KEY = "svc-onboarding", "cp4d-platform-api-key-77"
CP4D = "https://cp4d.emulated.test"
CATALOG = "ca7a1060-0000-4000-8000-000000000001"
ENTRY = "e1e1e1e1-0000-4000-8000-000000000002"
MODEL = "sm-mnist-cnn-tf-keras-2026-11-30-00-00-00-000"
FACTS = {"hyperparameters": {"epochs": 5, "batch-size": 128},
         "metrics": {"test_accuracy": 0.9812, "test_loss": 0.061}}
DEPLOYMENT = {"identifier": MODEL, "scoring_endpoint": f"https://runtime.sagemaker/{MODEL}"}


def make_settings(kind: str, **overrides: Any) -> Settings:
    ids = {"catalog_id": CATALOG, "model_entry_id": ENTRY, "factsheets_url": None}
    by_kind: dict[str, dict[str, Any]] = {
        "saas": {"env": "saas", "api_key": API_KEY},
        "cp4d-password": {"env": "prem", "cp4d_url": CP4D, "cp4d_username": USER,
                          "cp4d_password": PASSWORD},
        "cp4d-api-key": {"env": "prem", "cp4d_url": CP4D, "cp4d_username": SERVICE_USER,
                         "api_key": SERVICE_KEY},
    }
    return Settings(_env_file=None, **{**ids, **by_kind[kind], **overrides})


def new_backends() -> tuple[IamBackend, FactsheetsBackend]:
    iam = IamBackend(api_keys={API_KEY: ACCOUNT},
                     users={USER: PASSWORD, SERVICE_USER: SERVICE_KEY})
    backend = FactsheetsBackend(account_id=ACCOUNT)
    backend.add_model_use_case(CATALOG, ENTRY, "MNIST handwritten digits")
    return iam, backend


@pytest.fixture
def backend() -> Iterator[FactsheetsBackend]:
    """IBM Cloud's hosts and a CP4D cluster, emulated on ``responses``; nothing else answers."""
    iam, backend = new_backends()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for url, router in saas_routers(backend, iam, include_iam=True).items():
            mount(rsps, url, router)
        mount(rsps, CP4D, cp4d_router(backend, iam))
        yield backend


@pytest.fixture
def ledger(tmp_path: Path) -> StateStore:
    return StateStore.create(tmp_path / "state.json", LifecycleState(run_id="t", source_dir="x"))


def govern(adapter: FactsheetsAdapter, ledger: StateStore, model: str = MODEL, **kw: Any) -> Any:
    return adapter.govern(model_identifier=model, name=model, ledger=ledger,
                          description="MNIST CNN trained on SageMaker",
                          deployment_details={**DEPLOYMENT, "identifier": model}, **FACTS, **kw)


def alive(ledger: StateStore) -> list[tuple[str, str]]:
    return sorted((r.kind, r.id) for r in ledger.alive("factsheets"))


@pytest.mark.parametrize("kind", ["saas", "cp4d-password", "cp4d-api-key"])
def test_govern_then_cleanup(backend: FactsheetsBackend, ledger: StateStore, kind: str) -> None:
    adapter = FactsheetsAdapter(make_settings(kind))
    result = govern(adapter, ledger)

    asset = backend.get_model_asset(result.asset_id, CATALOG)
    assert asset.tracking is not None and asset.tracking.model_entry_id == ENTRY
    assert (result.model_entry_id, result.version) == (ENTRY, "1.0.0")
    summary = adapter.asset_summary(result.asset_id)
    assert (summary.name, summary.model_identifier, summary.linked) == (MODEL, MODEL, True)
    assert summary.model_entry_id == ENTRY and summary.catalog_id == CATALOG
    assert summary.metrics == FACTS["metrics"]
    assert summary.hyperparameters == {"epochs": "5", "batch-size": "128"}
    assert summary.deployments[0]["scoring_endpoint"] == DEPLOYMENT["scoring_endpoint"]
    assert alive(ledger) == [("model_asset", result.asset_id), ("model_link", result.asset_id)]

    assert adapter.cleanup(ledger) == 1
    assert not backend.assets and not backend.experiments
    assert backend.tracked_model_versions(ENTRY, CATALOG)[0].versions == []
    assert alive(ledger) == []
    assert adapter.cleanup(ledger) == 0  # nothing left, nothing called


def test_ibm_cloud_instance_from_settings(backend: FactsheetsBackend, ledger: StateStore
                                          ) -> None:
    adapter = FactsheetsAdapter(make_settings("saas", factsheets_instance_id=backend.instance_id))
    result = govern(adapter, ledger)
    assert adapter.cleanup(ledger) == 1 and not backend.assets and result.asset_id
    with pytest.raises(ServiceError, match="login failed.*FACTSHEETS_INSTANCE_ID"):
        govern(FactsheetsAdapter(make_settings("saas", factsheets_instance_id="no-such")), ledger)


def test_ibm_cloud_region_from_settings_then_back_to_dallas(ledger: StateStore) -> None:
    """FACTSHEETS_REGION=frankfurt: the SDK's Frankfurt host (ibm_aigov_facts_client
    utils/config.py frankfurt_region), mounted here on the emulator, and not Dallas's; the
    next Dallas session goes to Dallas again (the SDK's region config does not leak)."""
    frankfurt = "https://api.eu-de.dataplatform.cloud.ibm.com"
    iam, backend = new_backends()
    routers = saas_routers(backend, iam, include_iam=True)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for url, router in routers.items():
            mount(rsps, frankfurt if url == SAAS_FACTSHEETS_URL else url, router)
        adapter = FactsheetsAdapter(make_settings("saas", factsheets_region="frankfurt"))
        result = govern(adapter, ledger)
        assert backend.get_model_asset(result.asset_id, CATALOG).tracking is not None
        assert adapter.cleanup(ledger) == 1 and not backend.assets
        assert not any(call.request.url.startswith(SAAS_FACTSHEETS_URL) for call in rsps.calls)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for url, router in routers.items():
            mount(rsps, url, router)
        dallas = FactsheetsAdapter(make_settings("saas"))
        assert dallas.cleanup(ledger) == 0
        result = govern(dallas, ledger)
        assert dallas.cleanup(ledger) == 1
        assert not any(call.request.url.startswith(frankfurt) for call in rsps.calls)


def test_govern_over_http_on_loopback_cp4d(ledger: StateStore) -> None:
    iam, backend = new_backends()
    with LoopbackServer(cp4d_router(backend, iam)) as server:
        adapter = FactsheetsAdapter(make_settings("cp4d-password", cp4d_url=server.url))
        result = govern(adapter, ledger)
        assert adapter.asset_summary(result.asset_id).model_entry_id == ENTRY
        assert adapter.cleanup(ledger) == 1
    assert not backend.assets and alive(ledger) == []


def test_each_govern_builds_a_fresh_client(backend: FactsheetsBackend, ledger: StateStore
                                           ) -> None:
    """The SDK keeps its config on class attributes; alternating clouds must still work."""
    first = govern(FactsheetsAdapter(make_settings("saas")), ledger, "model-a")
    second = govern(FactsheetsAdapter(make_settings("cp4d-password")), ledger, "model-b")
    assert (first.version, second.version) == ("1.0.0", "2.0.0")
    assert {a.tracking.model_entry_id for a in backend.assets.values()} == {ENTRY}
    assert FactsheetsAdapter(make_settings("saas")).cleanup(ledger) == 2
    assert not backend.assets


def test_side_effects_stay_out_of_the_process(backend: FactsheetsBackend, ledger: StateStore,
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str],
                                              caplog: pytest.LogCaptureFixture) -> None:
    import mlflow
    from mlflow.utils import import_hooks
    from mlflow.utils.autologging_utils import AUTOLOGGING_INTEGRATIONS

    workdir = tmp_path / "user-cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # for the user's own file store
    root = logging.getLogger()
    handlers, level, environ = list(root.handlers), root.level, dict(os.environ)
    autolog, hooks = dict(AUTOLOGGING_INTEGRATIONS), dict(import_hooks._post_import_hooks)
    keras_fit = sys.modules["keras"].Model.fit if "keras" in sys.modules else None
    mlflow.set_tracking_uri((tmp_path / "user-mlruns").as_uri())
    try:  # the SDK's installed "file" store plugin never makes experiment 0: name one
        with mlflow.start_run(experiment_id=mlflow.create_experiment("user")) as users_run:
            scratch = tmp_path / "scratch"
            scratch.mkdir()
            adapter = FactsheetsAdapter(make_settings("saas"), scratch_parent=scratch)
            with caplog.at_level(logging.INFO):
                result = govern(adapter, ledger)
            assert mlflow.active_run().info.run_id == users_run.info.run_id  # not ended
        assert mlflow.get_tracking_uri() == (tmp_path / "user-mlruns").as_uri()
        adapter.cleanup(ledger)
    finally:
        mlflow.set_tracking_uri(None)

    assert sorted(p.name for p in workdir.iterdir()) == []  # no ./logs, no ./mlruns
    assert Path.cwd() == workdir
    assert root.handlers == handlers and root.level == level
    assert dict(os.environ) == environ
    assert dict(AUTOLOGGING_INTEGRATIONS) == autolog  # mlflow.autolog() was never called
    assert dict(import_hooks._post_import_hooks) == hooks  # no patch waits for keras' import
    if keras_fit is not None:
        assert sys.modules["keras"].Model.fit is keras_fit
    assert capsys.readouterr().out == ""  # banners and prints captured, re-logged at DEBUG
    assert f"External model asset saved successfully under asset_id {result.asset_id}" in (
        caplog.text)  # the SDK's log records reach the user's logging like any library's
    assert not list(scratch.iterdir())  # the SDK's scratch cwd is gone too


def test_import_does_not_load_the_sdk_or_mlflow() -> None:
    heavy = ("ibm_aigov_facts_client", "mlflow", "pandas", "tensorflow", "keras")
    code = ("import sys, mlmonitor_lib.ibm.factsheets, mlmonitor_lib.emulators.factsheets; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# errors: named service, operation and fix; no secret in the message -------------------------------
def test_wrong_api_key_fails_at_login(backend: FactsheetsBackend, ledger: StateStore) -> None:
    wrong = "wrong-api-key-000000"
    with pytest.raises(ServiceError, match=r"AI Factsheets: login failed.*check API_KEY") as err:
        govern(FactsheetsAdapter(make_settings("saas", api_key=wrong)), ledger)
    assert wrong not in str(err.value)
    assert alive(ledger) == []


def test_wrong_cp4d_password_fails_at_login(backend: FactsheetsBackend, ledger: StateStore
                                            ) -> None:
    wrong = "wrong-password-1111"
    with pytest.raises(ServiceError, match="login failed") as err:
        govern(FactsheetsAdapter(make_settings("cp4d-password", cp4d_password=wrong)), ledger)
    assert wrong not in str(err.value)


def test_unknown_catalog_fails_at_the_model_stub_and_cleanup_removes_the_facts(
        backend: FactsheetsBackend, ledger: StateStore) -> None:
    adapter = FactsheetsAdapter(make_settings("saas", catalog_id="no-such-catalog"))
    with pytest.raises(ServiceError, match=r"PUT model_stub.*CATALOG_ID=no-such-catalog"):
        govern(adapter, ledger)
    assert [kind for kind, _ in alive(ledger)] == ["notebook_experiment"]
    assert adapter.cleanup(ledger) == 1
    assert not backend.experiments and alive(ledger) == []


def test_unknown_model_entry_fails_at_tracking_and_cleanup_removes_the_asset(
        backend: FactsheetsBackend, ledger: StateStore) -> None:
    adapter = FactsheetsAdapter(make_settings("cp4d-password", model_entry_id="no-such-entry"))
    with pytest.raises(ServiceError, match=r"tracking.*MODEL_ENTRY_ID=no-such-entry"):
        govern(adapter, ledger)
    assert [kind for kind, _ in alive(ledger)] == ["model_asset"]
    assert adapter.cleanup(ledger) == 1
    assert not backend.assets


def test_cleanup_of_an_asset_deleted_elsewhere(backend: FactsheetsBackend, ledger: StateStore
                                               ) -> None:
    adapter = FactsheetsAdapter(make_settings("saas"))
    result = govern(adapter, ledger)
    backend.delete_asset(result.asset_id, CATALOG)  # someone deleted it in the UI
    assert adapter.cleanup(ledger) == 0
    assert alive(ledger) == []


@pytest.mark.parametrize(("kind", "overrides", "message"), [
    ("saas", {"catalog_id": None}, "needs CATALOG_ID"),
    ("saas", {"model_entry_id": None}, "needs MODEL_ENTRY_ID"),
    ("saas", {"api_key": None}, "needs API_KEY"),
    ("saas", {"factsheets_url": "http://127.0.0.1:9"}, "FACTSHEETS_URL=.* cannot be used"),
    ("saas", {"factsheets_region": "tokyo", "factsheets_url": SAAS_FACTSHEETS_URL},
     "jp-tok.*FACTSHEETS_REGION=tokyo"),
    ("cp4d-password", {"cp4d_username": None}, "needs CP4D_USERNAME"),
    ("cp4d-password", {"cp4d_password": None}, "needs CP4D_PASSWORD or API_KEY"),
])
def test_missing_settings_are_named(ledger: StateStore, kind: str, overrides: dict[str, Any],
                                    message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        govern(FactsheetsAdapter(make_settings(kind, **overrides)), ledger)
