"""Replays the original project's AI Factsheets calls (training, govern, cleanup) against the
emulators, call by call, and holds each answer to what that project expects and reads.

The project: IBM/mlmonitor (the project this suite replaces). It governs a SageMaker model in
three steps, each re-typed here from its source, SDK calls unchanged, raw requests as it sends
them (``mlmonitor/src/factsheets/utils.py`` FactsheetHelpers):

* training  ``mlmonitor/use_case_mnist_pt/pytorch_train.py`` (in the SageMaker training job): a
  model asset named after the training job, tracked, no deployment;
* govern    ``mlmonitor/src/factsheets/deployments.py`` (add_aws_deployment_details) then
  ``mlmonitor/src/aws/deploy_sagemaker_endpoint.py`` (govern_sagemaker_endpoint): an asset for
  the SageMaker model with the endpoint as deployment, tracked, then related to the training
  asset through ``get_models`` + ``relatemodels``;
* cleanup   ``mlmonitor/src/wos/cleanup_resources.py`` (cleanup_external_model_assets): list,
  then for each of the two assets unlink (expects 204) and, only then, delete (expects 204).

The job name is the endpoint name in that project ("jobname are always assigned as Sagemaker
Endpoint Name", use_case_aws.py), which is what lets govern find the training asset by name.

Each of the 28 calls is one entry of a :class:`~contract_ledger.Ledger`. The calls without a
check touch no service (``start_trace``, ``log_params``, ``log_metric``, ``set_tags`` write
MLflow's local store) or are held to the service's codes by the SDK, which raises on the ones it
does not expect (the client's login); the others check the state the service keeps and the codes
and shapes the project reads (``physical_models``, ``id``, ``name``, ``deployment_space_type``,
``deployments[].name``, ``container_*``, ``master_id``, 204s).

Transports: ``mock`` serves IBM Cloud (``saas``) and CP4D (``prem``) in process through
``responses``; ``rehearsal`` serves the CP4D cluster (login and Factsheets) over HTTP on
127.0.0.1. IBM Cloud cannot be rehearsed: the Factsheets SDK's IBM Cloud hosts are hard-coded.
The OpenScale half of the project is replayed in ``tests/test_contract_mlmonitor_wos.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import responses
from contract_ledger import Ledger, expected_ledger

from mlmonitor_lib.emulators.factsheets import (
    SAAS_FACTSHEETS_URL,
    FactsheetsBackend,
    cp4d_router,
    saas_routers,
)
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.transport import LoopbackServer, mount
from mlmonitor_lib.ibm.factsheets import sdk_sandbox

API_KEY = "fs-test-api-key-0123456789"
ACCOUNT = "acct-0000-factsheets"
USER, PASSWORD = "admin", "cp4d-test-password-42"
CP4D = "https://cp4d.emulated.test"  # the mock's cluster; rehearsal's is on 127.0.0.1
CATALOG = "c0ffee00-0000-4000-8000-000000000001"
ENTRY = "c0ffee00-0000-4000-8000-000000000002"
ENDPOINT = "sm-mnist-cnn-pytorch-2026-11-30-00-00-00-000"
SM_MODEL = "pytorch-inference-2026-11-30-00-05-00-000"

# the expected ledger: every call the flow makes, in order ---------------------------------------
_STEP_CALLS = ["AIGovFactsClient", "manual_log.start_trace", "runs.get_current_run_id"]
_GOVERNED = ["export_facts.export_payload_manual",
             "external_model_facts.save_external_model_asset", "assets.get_ai_usecase",
             "usecase.get_approaches", "model.track"]
CALLS = [f"training {c}" for c in [*_STEP_CALLS, "runs.log_params", "runs.log_metric",
                                   "manual_log.set_tags", *_GOVERNED]]
CALLS += [f"govern {c}" for c in [*_STEP_CALLS, "manual_log.log_params(EndpointName)",
                                  "manual_log.log_params(EndpointName, ModelName, framework)",
                                  *_GOVERNED, "get_models", "relatemodels"]]
CALLS += ["cleanup get_models"]
CALLS += [f"cleanup {c}({asset})" for asset in ("training model", "deployed model")
          for c in ("unlink_model_asset_from_entry", "delete_asset")]
# served once the emulator changes land (each: what it waits for); then delete the entry
PENDING_IN_EMULATOR: dict[str, str] = {}
# answers that differ from what the project expects, per transport (each: why)
DIFFERS_FROM_RECORDING: dict[str, dict[str, str]] = {"mock": {}, "rehearsal": {}}


def expected(transport: str) -> dict[str, str]:
    return expected_ledger(CALLS, {}, {**PENDING_IN_EMULATOR,
                                       **DIFFERS_FROM_RECORDING[transport]})


# the world ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transport:
    """Where the replay reaches the emulators: ``env`` is the project's ENV (saas or prem),
    ``cp4d_url`` the cluster its raw requests and CP4D login use."""

    env: str
    name: str
    cp4d_url: str
    backend: FactsheetsBackend


@pytest.fixture
def closing_note() -> Iterator[list[str]]:
    """Lines printed once the test is over: the SDK's sandbox captures whatever is printed
    inside it, so the ledger's counts are printed after the sandbox has given stdout back."""
    lines: list[str] = []
    yield lines
    if lines:
        print("\n" + "\n".join(lines))


@pytest.fixture
def sdk(closing_note: list[str]) -> Iterator[Any]:
    """The Factsheets SDK, its ``./logs``, ``./mlruns``, environment, stdout and root-logger
    edits kept out of the test process."""
    with sdk_sandbox() as module:
        yield module


@pytest.fixture(params=[("saas", "mock"), ("prem", "mock"), ("prem", "rehearsal")],
                ids=lambda p: "-".join(p))
def transport(request) -> Iterator[Transport]:
    """mock: IBM Cloud's hosts and the CP4D cluster in process through ``responses``;
    rehearsal: the CP4D cluster over HTTP on 127.0.0.1 with every other host refused (a
    ``responses`` mock passing only the loopback server through), so nothing reaches a network.
    The model use case is pre-seeded, as a user creates it in the UI before onboarding."""
    env, name = request.param
    iam = IamBackend(api_keys={API_KEY: ACCOUNT}, users={USER: PASSWORD})
    backend = FactsheetsBackend(account_id=ACCOUNT)
    backend.add_model_use_case(CATALOG, ENTRY, "MNIST digits")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        if name == "mock":
            for url, router in saas_routers(backend, iam, include_iam=True).items():
                mount(rsps, url, router)
            mount(rsps, CP4D, cp4d_router(backend, iam))
            yield Transport(env, name, CP4D, backend)
            return
        with LoopbackServer(cp4d_router(backend, iam)) as cluster:
            rsps.add_passthru(cluster.url)
            yield Transport(env, name, cluster.url, backend)


# the project's helpers, re-typed ------------------------------------------------------------------
class OriginalHelpers:
    """utils.py FactsheetHelpers: raw requests, as the project sends them; each method logs in
    again, as the original's do. ``cpd_url`` is the project's CP4D_URL (prem only)."""

    def __init__(self, env: str, cpd_url: str, model_entry_id: str = ENTRY,
                 catalog_id: str = CATALOG) -> None:
        self.env, self.cpd_url, self.entry, self.catalog = env, cpd_url, model_entry_id, catalog_id
        self.base_url = SAAS_FACTSHEETS_URL if env == "saas" else cpd_url

    def authenticate(self) -> dict[str, str]:
        if self.env == "saas":
            reply = requests.post("https://iam.cloud.ibm.com/identity/token", timeout=5, data={
                "apikey": API_KEY, "grant_type": "urn:ibm:params:oauth:grant-type:apikey"})
            key = "access_token"
        else:
            reply = requests.post(f"{self.cpd_url}/icp4d-api/v1/authorize", timeout=5,
                                  headers={"Content-Type": "application/json",
                                           "Accept": "application/json"},
                                  json={"username": USER, "api_key": PASSWORD})
            key = "token"
        assert reply.ok, f"login answered HTTP {reply.status_code}: {reply.text[:200]}"
        return {"Authorization": f"Bearer {reply.json()[key]}", "content-type": "application/json"}

    def get_models(self) -> dict[str, Any]:
        url = (f"{self.base_url}/v1/aigov/model_inventory/model_entries/{self.entry}/models"
               f"?catalog_id={self.catalog}&allow_metadata_on_dpr_deny=true")
        return requests.get(url, headers=self.authenticate(), timeout=5).json()

    def relatemodels(self, reference_model_id: str, model_id: str) -> dict[str, Any]:
        url = (f"{self.base_url}/v1/aigov/model_inventory/model_entries/{self.entry}/relatemodels"
               f"?catalog_id={self.catalog}&allow_metadata_on_dpr_deny=true")
        body = {"reference_model_id": reference_model_id, "model_id": model_id}
        return requests.patch(url, headers=self.authenticate(), data=json.dumps(body),
                              timeout=5).json()

    def unlink_model_asset_from_entry(self, model_asset_id: str, container_id: str,
                                      container_type: str) -> int:
        url = (f"{self.base_url}/v1/aigov/model_inventory/models/{model_asset_id}/model_entry"
               f"?{container_type}_id={container_id}")
        return requests.delete(url, headers=self.authenticate(), timeout=5).status_code

    def delete_asset(self, model_asset_id: str, container_id: str, container_type: str) -> int:
        url = f"{self.base_url}/v2/assets/{model_asset_id}?{container_type}_id={container_id}"
        return requests.delete(url, headers=self.authenticate(), timeout=5).status_code


def model_by_deployment(models: dict[str, Any], deployment_name: str) -> dict[str, Any] | None:
    """utils.py get_model_id_by_deployment_name(key=None): exactly one or None."""
    found = [m for m in models.get("physical_models")
             if deployment_name in [d.get("name") for d in m["deployments"]]]
    assert len(found) <= 1, found  # the original raises ValueError here
    return found[0] if found else None


def model_by_name(models: dict[str, Any], name: str, state: str = "development"
                  ) -> dict[str, Any] | None:
    """utils.py get_model_id_by_model_name(key=None): exactly one or None."""
    found = [m for m in models.get("physical_models")
             if m["name"] == name and m["deployment_space_type"] == state]
    assert len(found) <= 1, found
    return found[0] if found else None


def original_client(sdk: Any, env: str, experiment_name: str, cpd_url: str) -> Any:
    """The project's AIGovFactsClient, as both steps build it: no region, autolog off."""
    common = {"experiment_name": experiment_name, "set_as_current_experiment": True,
              "external_model": True, "enable_autolog": False}
    if env == "saas":
        return sdk.AIGovFactsClient(api_key=API_KEY, **common)
    # the project logs in to CP4D with a username and API key (the emulated user's secret)
    config = sdk.CloudPakforDataConfig(service_url=cpd_url, username=USER, api_key=PASSWORD)
    return sdk.AIGovFactsClient(cloud_pak_for_data_configs=config, **common)


# checks -------------------------------------------------------------------------------------------
def _equal(actual: Any, wanted: Any, what: str) -> None:
    assert actual == wanted, f"{what} {actual!r}, expected {wanted!r}"


def _run_id(run_id: Any) -> None:
    assert isinstance(run_id, str) and run_id, f"run id {run_id!r}"


def _listing_of_both(models: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What govern and cleanup read from ``get_models``: ``physical_models`` holding the
    training model by name (in development) and the deployed model by its deployment's name,
    and nothing else; returned by name."""
    assert isinstance(models, dict) and "physical_models" in models, f"answer {models!r}"
    reference, deployed = model_by_name(models, ENDPOINT), model_by_deployment(models, ENDPOINT)
    assert reference and deployed, models  # the original only logs and skips the relate
    by_name = {m["name"]: m for m in models["physical_models"]}
    _equal(set(by_name), {ENDPOINT, SM_MODEL}, "models of the use case")
    _equal((reference["name"], deployed["name"]), (ENDPOINT, SM_MODEL),
           "(found by name, found by deployment)")
    return by_name


class Flow:
    """The project's three steps, each call recorded into one ledger."""

    def __init__(self, ledger: Ledger, sdk: Any, transport: Transport) -> None:
        self.ledger, self.sdk, self.transport = ledger, sdk, transport
        self.helpers = OriginalHelpers(transport.env, transport.cp4d_url)
        self.trained_id = ""

    def call(self, name: str, make: Callable[[], Any], check: Callable[[Any], None] | None = None,
             needs: tuple[str, ...] = ()) -> Any:
        return self.ledger.call(name, make, check, needs)

    def _client(self, step: str) -> Any:
        return self.call(f"{step} AIGovFactsClient", lambda: original_client(
            self.sdk, self.transport.env, ENDPOINT, self.transport.cp4d_url))

    def _exported(self, client: Any) -> Callable[[Any], None]:
        """export_payload_manual returns nothing; on the service's 201 the SDK keeps the
        notebook experiment's asset id, and the service holds the experiment by name."""
        def check(_: Any) -> None:
            asset_id = client.export_facts.asset_id
            assert asset_id, "no asset id: the service did not answer 201 with one"
            _equal(self.transport.backend.experiments[asset_id].name, ENDPOINT, "experiment")
        return check

    def _model(self, model: Any) -> None:
        assert model is not None and model.get_id(), "no model asset"
        _equal(model.get_container_id(), CATALOG, "catalog of the model asset")

    def _tracked(self, model_id: str) -> Callable[[Any], None]:
        def check(_: Any) -> None:
            tracking = self.transport.backend.get_model_asset(model_id, CATALOG).tracking
            _equal(tracking and tracking.model_entry_id, ENTRY, "use case tracking the model")
        return check

    def _governed(self, step: str, client: Any, run_id: str | None, save: Callable[[], Any],
                  **track: Any) -> Any:
        """export, save the model asset, get the use case and its approaches, track (with the
        step's own extra ``track`` arguments): the tail both steps share; returns the model
        asset (or None)."""
        ran = (f"{step} runs.get_current_run_id",)
        self.call(f"{step} export_facts.export_payload_manual",
                  lambda: client.export_facts.export_payload_manual(run_id),
                  check=self._exported(client), needs=ran)
        saved = f"{step} external_model_facts.save_external_model_asset"
        model = self.call(saved, save, check=self._model, needs=(f"{step} AIGovFactsClient",))
        got = f"{step} assets.get_ai_usecase"
        usecase = self.call(got, lambda: client.assets.get_ai_usecase(ai_usecase_id=ENTRY,
                                                                      catalog_id=CATALOG),
                            check=lambda u: _equal(u.get_id(), ENTRY, "use case"),
                            needs=(f"{step} AIGovFactsClient",))
        listed = f"{step} usecase.get_approaches"
        approaches = self.call(listed, usecase.get_approaches if usecase else list,
                               check=lambda a: _equal(bool(a), True, "approaches (the project "
                                                      "takes the first)"), needs=(got,))
        # govern's original swallows a ClientError here ("already tracked"): the ledger shows it
        self.call(f"{step} model.track", lambda: model.track(
            usecase=usecase, approach=approaches[0], version_number="minor", **track),
            check=self._tracked(model.get_id() if model else ""), needs=(saved, listed))
        return model

    def _start_run(self, step: str, client: Any) -> Any:
        """Both scripts begin alike: start a trace, then read the run it started."""
        self.call(f"{step} manual_log.start_trace", lambda: client.manual_log.start_trace(),
                  needs=(f"{step} AIGovFactsClient",))
        return self.call(f"{step} runs.get_current_run_id",
                         lambda: client.runs.get_current_run_id(), check=_run_id,
                         needs=(f"{step} manual_log.start_trace",))

    # pytorch_train.py ---------------------------------------------------------------------------
    def training(self) -> None:
        """trace, params, metric, tags, export, model asset, track."""
        client = self._client("training")
        run_id = self._start_run("training", client)
        ran = ("training runs.get_current_run_id",)
        self.call("training runs.log_params", lambda: client.runs.log_params(
            run_id=run_id, params={"epochs": 5, "batch_size": 64}), needs=ran)
        self.call("training runs.log_metric", lambda: client.runs.log_metric(
            run_id=run_id, key="training_time", value=12.5), needs=ran)
        self.call("training manual_log.set_tags", lambda: client.manual_log.set_tags(
            tags={"engineering": "ML Platform"}), needs=("training manual_log.start_trace",))
        model = self._governed("training", client, run_id, lambda: (
            client.external_model_facts.save_external_model_asset(
                model_identifier=ENDPOINT, name=ENDPOINT, catalog_id=CATALOG,
                description="sagemaker Pytorch CNN MNIST")), grc_model=None)
        self.trained_id = model.get_id() if model else ""

    # deployments.py add_aws_deployment_details + deploy_sagemaker_endpoint.py's relate step -----
    def govern(self) -> None:
        client = self._client("govern")
        run_id = self._start_run("govern", client)
        traced = ("govern manual_log.start_trace",)
        self.call("govern manual_log.log_params(EndpointName)",
                  lambda: client.manual_log.log_params({"EndpointName": ENDPOINT}), needs=traced)
        self.call("govern manual_log.log_params(EndpointName, ModelName, framework)",
                  lambda: client.manual_log.log_params({
                      "EndpointName": ENDPOINT, "ModelName": SM_MODEL,
                      "framework": "TensorFlowModel"}), needs=traced)
        deployment = self.sdk.DeploymentDetails(identifier=ENDPOINT, name=ENDPOINT,
                                                deployment_type="online",
                                                scoring_endpoint=ENDPOINT)
        self._governed("govern", client, run_id, lambda: (
            client.external_model_facts.save_external_model_asset(
                model_identifier=SM_MODEL, name=SM_MODEL, description="MNIST CNN",
                deployment_details=deployment, catalog_id=CATALOG)))

        def training_model_found(models: dict[str, Any]) -> None:
            by_name = _listing_of_both(models)
            _equal(by_name[ENDPOINT]["id"], self.trained_id, "training model's id")

        models = self.call("govern get_models", self.helpers.get_models,
                           check=training_model_found)
        reference = model_by_name(models, ENDPOINT) if models else None
        deployed = model_by_deployment(models, ENDPOINT) if models else None
        # the original only logs the reply, read as JSON (its body is not documented): served
        # when it is a JSON object; what relating did is checked in cleanup's listing
        self.call("govern relatemodels", lambda: self.helpers.relatemodels(
            reference_model_id=reference["id"], model_id=deployed["id"]),
            check=lambda r: _equal(isinstance(r, dict), True, "a JSON object"),
            needs=("govern get_models",))

    # cleanup_resources.py cleanup_external_model_assets (delete_dev forced True there) ----------
    def cleanup(self) -> int:
        def related(models: dict[str, Any]) -> None:
            by_name = _listing_of_both(models)
            # relatemodels put the deployed model in the training model's row: same master_id
            _equal(by_name[SM_MODEL]["master_id"], by_name[ENDPOINT]["master_id"],
                   "deployed model's master_id (the training model's)")

        listed = "cleanup get_models"
        models = self.call(listed, self.helpers.get_models, check=related)
        assets = {"training model": model_by_name(models, ENDPOINT) if models else None,
                  "deployed model": model_by_deployment(models, ENDPOINT) if models else None}
        deleted = 0
        for label, asset in assets.items():
            where = {"container_id": (asset or {}).get("container_id"),
                     "container_type": (asset or {}).get("container_type")}
            asset_id = (asset or {}).get("id", "")
            unlinked = f"cleanup unlink_model_asset_from_entry({label})"
            self.call(unlinked, lambda a=asset_id, w=where: (
                self.helpers.unlink_model_asset_from_entry(a, **w)),
                check=lambda code: _equal(code, 204, "HTTP status"), needs=(listed,))
            gone = self.call(f"cleanup delete_asset({label})", lambda a=asset_id, w=where: (
                self.helpers.delete_asset(a, **w)),
                check=lambda code: _equal(code, 204, "HTTP status"), needs=(unlinked,))
            deleted += gone == 204
        return deleted


def replay(sdk: Any, transport: Transport) -> tuple[Ledger, int]:
    """training, govern, cleanup; the original never ends govern's trace (its process exits):
    it is ended here, so no MLflow run outlives the test."""
    import mlflow

    ledger = Ledger("mlmonitor-factsheets")
    flow = Flow(ledger, sdk, transport)
    flow.training()
    try:
        flow.govern()
    finally:
        mlflow.end_run()
    return ledger, flow.cleanup()


@pytest.mark.govern
def test_mlmonitor_factsheets_flow_replayed_call_by_call(closing_note: list[str], sdk: Any,
                                                         transport: Transport) -> None:
    ledger, deleted = replay(sdk, transport)
    closing_note.append(ledger.summary(f"{transport.env}-{transport.name}"))
    ledger.assert_matches(expected(transport.name))
    assert deleted == 2
    assert OriginalHelpers(transport.env, transport.cp4d_url).get_models() == {
        "physical_models": []}
    assert not transport.backend.assets
    assert transport.backend.tracked_model_versions(ENTRY, CATALOG)[0].versions == []


def test_expected_ledger_names_only_calls_of_the_flow() -> None:
    assert len(CALLS) == 28 and len(CALLS) == len(set(CALLS))
    for missed in (PENDING_IN_EMULATOR, *DIFFERS_FROM_RECORDING.values()):
        assert set(missed) <= set(CALLS)
