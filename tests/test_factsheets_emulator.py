"""The AI Factsheets emulator, route by route, through the real ``ibm-aigov-facts-client`` call
that uses each route (plain HTTP only for routes the SDK does not call in our regions).

Every test runs the SDK in :func:`sdk_sandbox`, so its ``./logs``, ``./mlruns``, environment and
root-logger edits never leak into the test process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import responses

from mlmonitor_lib.emulators.factsheets import (
    DEFAULT_APPROACH_ID,
    SAAS_FACTSHEETS_URL,
    FactsheetsBackend,
    cp4d_router,
    saas_routers,
)
from mlmonitor_lib.emulators.iam import IamBackend
from mlmonitor_lib.emulators.routing import Router
from mlmonitor_lib.emulators.transport import mount
from mlmonitor_lib.ibm.factsheets import sdk_sandbox

API_KEY = "fs-test-api-key-0123456789"
ACCOUNT = "acct-0000-factsheets"
USER, PASSWORD = "admin", "cp4d-test-password-42"
CP4D = "https://cp4d.emulated.test"
CATALOG = "c0ffee00-0000-4000-8000-000000000001"
ENTRY = "c0ffee00-0000-4000-8000-000000000002"


@dataclass
class World:
    iam: IamBackend
    backend: FactsheetsBackend
    replies: list[bytes]

    def token(self) -> str:
        return self.iam.issue_token(API_KEY)["access_token"]


def _recording(router: Router, replies: list[bytes]) -> Router:
    """The router, with every reply body kept (to prove no credential is ever echoed)."""
    handle = router.handle

    def recorded(method: str, url: str, headers: dict[str, str], body: Any):
        status, reply_headers, payload = handle(method, url, headers, body)
        replies.append(payload)
        return status, reply_headers, payload

    router.handle = recorded  # type: ignore[method-assign]
    return router


@pytest.fixture
def world() -> Iterator[World]:
    iam = IamBackend(api_keys={API_KEY: ACCOUNT}, users={USER: PASSWORD})
    backend = FactsheetsBackend(account_id=ACCOUNT)
    backend.add_model_use_case(CATALOG, ENTRY, "MNIST digits")
    replies: list[bytes] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for url, router in saas_routers(backend, iam, include_iam=True).items():
            mount(rsps, url, _recording(router, replies))
        mount(rsps, CP4D, _recording(cp4d_router(backend, iam), replies))
        yield World(iam, backend, replies)


@pytest.fixture
def sdk() -> Iterator[Any]:
    with sdk_sandbox() as module:
        yield module


def saas_client(sdk: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("disable_tracing", True)
    return sdk.AIGovFactsClient(api_key=API_KEY, enable_autolog=False, external_model=True,
                                region="dallas", **kwargs)


def cp4d_client(sdk: Any, **kwargs: Any) -> Any:
    config = sdk.CloudPakforDataConfig(service_url=CP4D, username=USER, password=PASSWORD)
    kwargs.setdefault("disable_tracing", True)
    return sdk.AIGovFactsClient(cloud_pak_for_data_configs=config, enable_autolog=False,
                                external_model=True, region="dallas", **kwargs)


def save_model(sdk: Any, client: Any, identifier: str = "sm-mnist-model",
               catalog_id: str | None = CATALOG) -> Any:
    deployment = sdk.DeploymentDetails(identifier=f"{identifier}-ep", name=f"{identifier}-ep",
                                       deployment_type="online",
                                       scoring_endpoint=f"https://runtime.sagemaker/{identifier}")
    return client.external_model_facts.save_external_model_asset(
        model_identifier=identifier, name=identifier, description="MNIST CNN",
        deployment_details=deployment, catalog_id=catalog_id)


# login: heartbeat, instances, resource controller ------------------------------------------------
def test_heartbeat_gives_cp4d_version(world: World, sdk: Any) -> None:
    client = cp4d_client(sdk)
    assert client.get_CP4D_version() == world.backend.version


def test_instances_and_resource_controller_give_the_default_instance(world: World, sdk: Any
                                                                      ) -> None:
    client = saas_client(sdk)
    assert client.get_service_instance_id() == world.backend.instance_id


def test_login_with_unknown_api_key_is_refused(world: World, sdk: Any) -> None:
    with pytest.raises(Exception, match="API_KEY is inactive or invalid"):
        sdk.AIGovFactsClient(api_key="not-a-key", disable_tracing=True, external_model=True,
                             region="dallas")


@pytest.mark.parametrize("authorization", [None, "Bearer not.a.jwt", "Basic YWRtaW46cHc="])
def test_requests_without_a_valid_bearer_token_get_401(world: World, authorization: str | None
                                                       ) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in [("GET", "/v1/aigov/factsheet/instances"),
                         ("GET", f"/v2/assets/{ENTRY}?catalog_id={CATALOG}"),
                         ("PUT", "/v1/aigov/model_inventory/model_stub"),
                         ("DELETE", f"/v2/assets/{ENTRY}?catalog_id={CATALOG}")]:
        reply = requests.request(method, SAAS_FACTSHEETS_URL + path, headers=headers, timeout=5)
        assert reply.status_code == 401, (method, path)
        assert reply.json()["errors"][0]["code"].startswith("AIQCS")
    assert world.backend.get_asset(ENTRY, CATALOG)  # nothing was deleted


def test_heartbeat_needs_no_token(world: World) -> None:
    reply = requests.get(SAAS_FACTSHEETS_URL + "/v1/aigov/factsheet/heartbeat", timeout=5)
    assert reply.status_code == 200 and reply.json()["version"]


# catalogs ----------------------------------------------------------------------------------------
def test_model_saved_without_catalog_lands_in_the_platform_asset_catalog(world: World, sdk: Any
                                                                         ) -> None:
    client = saas_client(sdk)
    model = save_model(sdk, client, catalog_id=None)
    assert model.get_container_id() == world.backend.pac_id
    # get_model without a container resolves the platform asset catalog (ibm-global-catalog)
    again = client.assets.get_model(model_id=model.get_id())
    assert again.get_container_id() == world.backend.pac_id


def test_list_and_get_catalogs(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.token()}"}
    listed = requests.get(SAAS_FACTSHEETS_URL + "/v2/catalogs", headers=headers, timeout=5)
    assert {c["metadata"]["guid"] for c in listed.json()["catalogs"]} == {
        CATALOG, world.backend.pac_id}
    one = requests.get(f"{SAAS_FACTSHEETS_URL}/v2/catalogs/{CATALOG}", headers=headers, timeout=5)
    assert one.status_code == 200 and one.json()["metadata"]["guid"] == CATALOG


def test_get_catalog_not_found(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.token()}"}
    reply = requests.get(f"{SAAS_FACTSHEETS_URL}/v2/catalogs/nope", headers=headers, timeout=5)
    assert reply.status_code == 404
    assert reply.json()["errors"][0] == {"code": "not_found",
                                         "message": "catalog nope was not found."}


# model stub, search, assets, asset types ---------------------------------------------------------
@pytest.mark.parametrize("make_client", [saas_client, cp4d_client], ids=["saas", "cp4d"])
def test_save_external_model_asset(world: World, sdk: Any, make_client: Any) -> None:
    client = make_client(sdk)
    model = save_model(sdk, client)
    asset = world.backend.get_model_asset(model.get_id(), CATALOG)
    assert (asset.name, asset.external_identifier) == ("sm-mnist-model", "sm-mnist-model")
    assert asset.deployments[0]["external_identifier"] == "sm-mnist-model-ep"
    assert model._facts_definitions["name"] == "modelfacts_user"  # GET /v2/asset_types/...
    assert model.get_info(verbose=True)["name"] == "sm-mnist-model"


def test_saving_the_same_model_again_updates_its_asset(world: World, sdk: Any) -> None:
    client = saas_client(sdk)
    first = save_model(sdk, client).get_id()
    second = save_model(sdk, client).get_id()
    assert first == second and len(world.backend.assets) == 1


def test_search_finds_model_stubs_by_hashed_identifier(world: World, sdk: Any) -> None:
    client = saas_client(sdk)
    save_model(sdk, client)
    facts = client.external_model_facts
    assert facts._check_if_model_exist(facts._encode_model_id("sm-mnist-model")) == 1
    assert facts._check_if_model_exist(facts._encode_model_id("another-model")) is None


def test_model_stub_in_unknown_catalog_is_not_found(world: World, sdk: Any) -> None:
    client = saas_client(sdk)
    with pytest.raises(Exception):  # noqa: B017 - the SDK logs the 404, then fails on None
        save_model(sdk, client, catalog_id="missing-catalog")
    assert client.external_model_facts.model_asset_id is None
    assert not world.backend.assets


def test_get_model_not_found(world: World, sdk: Any) -> None:
    client = saas_client(sdk)
    with pytest.raises(sdk.utils.client_errors.ClientError, match="ERROR 404"):
        client.assets.get_model(model_id="missing", container_type="catalog",
                                container_id=CATALOG)


def test_remove_asset(world: World, sdk: Any) -> None:
    client = saas_client(sdk)
    model = save_model(sdk, client)
    client.assets.remove_asset(asset_id=model.get_id(), container_type="catalog",
                               container_id=CATALOG)
    assert not world.backend.assets
    with pytest.raises(sdk.utils.client_errors.ClientError, match="ERROR 404"):
        client.assets.remove_asset(asset_id=model.get_id(), container_type="catalog",
                                   container_id=CATALOG)


# model use cases, approaches, tracking -----------------------------------------------------------
def test_get_ai_usecase(world: World, sdk: Any) -> None:
    usecase = saas_client(sdk).assets.get_ai_usecase(ai_usecase_id=ENTRY, catalog_id=CATALOG)
    assert (usecase.get_name(), usecase.get_id(), usecase.get_container_id()) == (
        "MNIST digits", ENTRY, CATALOG)


def test_get_ai_usecase_not_found(world: World, sdk: Any) -> None:
    with pytest.raises(sdk.utils.client_errors.ClientError, match="ERROR 404"):
        saas_client(sdk).assets.get_ai_usecase(ai_usecase_id="missing", catalog_id=CATALOG)


def test_approaches(world: World, sdk: Any) -> None:
    usecase = cp4d_client(sdk).assets.get_ai_usecase(ai_usecase_id=ENTRY, catalog_id=CATALOG)
    assert [a.get_id() for a in usecase.get_approaches()] == [DEFAULT_APPROACH_ID]
    created = usecase.create_approach(name="CNN", description="convolutional")
    assert usecase.get_approach(approach_id=created.get_id()).get_name() == "CNN"
    assert len(usecase.get_approaches()) == 2


@pytest.mark.parametrize("make_client", [saas_client, cp4d_client], ids=["saas", "cp4d"])
def test_track_and_untrack(world: World, sdk: Any, make_client: Any) -> None:
    client = make_client(sdk)
    model = save_model(sdk, client)
    usecase = client.assets.get_ai_usecase(ai_usecase_id=ENTRY, catalog_id=CATALOG)
    approach = usecase.get_approaches()[0]
    model.track(usecase=usecase, approach=approach, version_number="minor")
    assert model.get_tracking_model_usecase().get_id() == ENTRY
    assert approach.get_versions()[0]["number"] == "0.1.0"
    model.track(usecase=usecase, approach=usecase.get_approaches()[0], version_number="minor")
    assert world.backend.get_model_asset(model.get_id(), CATALOG).tracking.version_number == (
        "0.2.0")  # the version increments from the approach's latest
    model.untrack()
    assert model._is_model_tracked() == (False, None)
    assert usecase.get_approaches()[0].get_versions() == []


def test_untrack_when_not_tracked_is_a_no_op(world: World, sdk: Any) -> None:
    model = save_model(sdk, saas_client(sdk))
    model.untrack()  # the SDK checks first and only logs
    assert world.backend.get_model_asset(model.get_id(), CATALOG).tracking is None


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_legacy_add_and_remove_tracking_model_usecase(world: World, sdk: Any) -> None:
    model = save_model(sdk, saas_client(sdk))
    model.add_tracking_model_usecase(model_usecase_id=ENTRY, model_usecase_catalog_id=CATALOG)
    assert model.get_tracking_model_usecase().get_id() == ENTRY
    model.remove_tracking_model_usecase()
    with pytest.raises(sdk.utils.client_errors.ClientError, match="not tracked"):
        model.remove_tracking_model_usecase()


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_tracking_into_a_new_use_case_by_name(world: World, sdk: Any) -> None:
    model = save_model(sdk, saas_client(sdk))
    model.add_tracking_model_usecase(model_usecase_name="Fresh use case",
                                     model_usecase_catalog_id=CATALOG)
    entry_id = model.get_tracking_model_usecase().get_id()
    assert world.backend.get_use_case(entry_id, CATALOG).name == "Fresh use case"


def test_track_into_unknown_use_case_is_not_found(world: World) -> None:
    asset = world.backend.put_model_stub({"model_id": "m", "name": "m"}, CATALOG, None)
    reply = requests.post(
        f"{SAAS_FACTSHEETS_URL}/v1/aigov/model_inventory/models/{asset.id}/model_entry",
        params={"catalog_id": CATALOG}, timeout=5,
        headers={"Authorization": f"Bearer {world.token()}"},
        data=json.dumps({"model_entry_catalog_id": CATALOG, "model_entry_asset_id": "nope"}))
    assert reply.status_code == 404
    assert reply.json()["errors"][0]["message"] == (
        f"model use case nope was not found in catalog {CATALOG}.")


def test_models_of_a_use_case_and_deleting_a_use_case_in_use(world: World) -> None:
    asset = world.backend.put_model_stub({"model_id": "m", "name": "m"}, CATALOG, None)
    world.backend.track(asset.id, CATALOG, {"model_entry_catalog_id": CATALOG,
                                            "model_entry_asset_id": ENTRY})
    headers = {"Authorization": f"Bearer {world.token()}"}
    listed = requests.get(
        f"{SAAS_FACTSHEETS_URL}/v1/aigov/model_inventory/model_entries/{ENTRY}/models",
        params={"catalog_id": CATALOG}, headers=headers, timeout=5)
    assert [m["id"] for m in listed.json()["physical_models"]] == [asset.id]
    refused = requests.delete(f"{SAAS_FACTSHEETS_URL}/v2/assets/{ENTRY}",
                              params={"catalog_id": CATALOG}, headers=headers, timeout=5)
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "asset_in_use"



def track_new_model(sdk: Any, client: Any, identifier: str) -> Any:
    model = save_model(sdk, client, identifier)
    usecase = client.assets.get_ai_usecase(ai_usecase_id=ENTRY, catalog_id=CATALOG)
    model.track(usecase=usecase, approach=usecase.get_approaches()[0], version_number="minor")
    return model


@pytest.mark.parametrize("make_client", [saas_client, cp4d_client], ids=["saas", "cp4d"])
def test_get_tracked_models_answers_physical_models(world: World, sdk: Any, make_client: Any
                                                    ) -> None:
    client = make_client(sdk)
    model = track_new_model(sdk, client, "sm-mnist-model")
    save_model(sdk, client, "untracked-model")  # not in the use case, not listed
    usecase = client.assets.get_ai_usecase(ai_usecase_id=ENTRY, catalog_id=CATALOG)
    [row] = usecase.get_tracked_models()
    assert row == {  # the row IBM/mlmonitor recorded from the service (use_case_aws.py)
        "id": model.get_id(), "name": "sm-mnist-model", "type": "external_model",
        "container_id": CATALOG, "container_name": "Model inventory",
        "container_type": "catalog", "is_deleted": False,
        "master_id": hashlib.md5(b"sm-mnist-model").hexdigest(), "source_asset_id": "",
        "algorithm": "", "deployment_space_type": "development",
        "deployments": [{"id": hashlib.md5(b"sm-mnist-model-ep").hexdigest(),
                         "status": "Pending Evaluation", "name": "sm-mnist-model-ep"}],
        "openpages_details": {}}


def test_get_tracked_models_of_unknown_use_case_is_not_found(world: World) -> None:
    reply = requests.get(
        f"{SAAS_FACTSHEETS_URL}/v1/aigov/model_inventory/model_entries/nope/models",
        params={"catalog_id": CATALOG}, headers={"Authorization": f"Bearer {world.token()}"},
        timeout=5)
    assert reply.status_code == 404
    assert reply.json()["errors"][0]["message"] == (
        f"model use case nope was not found in catalog {CATALOG}.")


@pytest.mark.parametrize("make_client", [saas_client, cp4d_client], ids=["saas", "cp4d"])
def test_relate_models_puts_the_model_in_the_reference_models_row(world: World, sdk: Any,
                                                                  make_client: Any) -> None:
    client = make_client(sdk)
    reference = track_new_model(sdk, client, "training-job")
    model = track_new_model(sdk, client, "sagemaker-model")
    usecase = client.assets.get_ai_usecase(ai_usecase_id=ENTRY, catalog_id=CATALOG)
    usecase.relate_models(reference_model_asset_id=reference.get_id(),
                          model_asset_id=model.get_id())
    rows = {r["id"]: r for r in usecase.get_tracked_models()}
    assert rows[model.get_id()]["master_id"] == rows[reference.get_id()]["master_id"] == (
        hashlib.md5(b"training-job").hexdigest())


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"model_id": "m"}, 400, "reference_model_id is required"),
    ({"reference_model_id": "r"}, 400, "model_id is required"),
    ({"reference_model_id": "r", "model_id": "untracked"}, 404,
     f"model r was not found in model use case {ENTRY}."),
])
def test_relate_models_refuses_what_the_use_case_does_not_track(
        world: World, body: dict[str, str], status: int, message: str) -> None:
    reply = requests.patch(
        f"{SAAS_FACTSHEETS_URL}/v1/aigov/model_inventory/model_entries/{ENTRY}/relatemodels",
        params={"catalog_id": CATALOG}, headers={"Authorization": f"Bearer {world.token()}"},
        data=json.dumps(body), timeout=5)
    assert reply.status_code == status
    assert reply.json()["errors"][0]["message"] == message


def test_a_deleted_model_is_no_longer_listed_linked_or_a_version(world: World, sdk: Any) -> None:
    client = saas_client(sdk)
    deleted = track_new_model(sdk, client, "sm-mnist-model").get_id()
    kept = track_new_model(sdk, client, "another-model").get_id()
    client.assets.remove_asset(asset_id=deleted, container_type="catalog", container_id=CATALOG)
    usecase = client.assets.get_ai_usecase(ai_usecase_id=ENTRY, catalog_id=CATALOG)
    assert [r["id"] for r in usecase.get_tracked_models()] == [kept]
    versions = usecase.get_approaches()[0].get_versions()
    assert deleted not in json.dumps(versions) and len(versions) == 1


# notebook experiments (training facts) -----------------------------------------------------------
@pytest.mark.parametrize("make_client", [saas_client, cp4d_client], ids=["saas", "cp4d"])
def test_training_facts_attach_to_the_model_of_the_same_experiment(world: World, sdk: Any,
                                                                   make_client: Any) -> None:
    client = make_client(sdk, disable_tracing=False, experiment_name="sm-mnist-job")
    client.manual_log.start_trace()
    client.manual_log.log_params({"epochs": 5, "batch-size": 128})
    client.manual_log.log_metrics({"test_accuracy": 0.98})
    client.manual_log.end_trace()
    client.export_facts.export_payload_manual(client.manual_log.run_id)
    experiment = world.backend.experiments[client.export_facts.asset_id]
    assert experiment.name == "sm-mnist-job" and experiment.model_asset_id is None

    model = save_model(sdk, client)
    facts = model.get_all_facts()["entity"]["notebook_experiment"]
    run = facts["runs"][0]
    assert {p["key"]: p["value"] for p in run["params"]} == {"epochs": "5", "batch-size": "128"}
    assert {m["key"]: m["value"] for m in run["metrics"]} == {"test_accuracy": 0.98}
    client.assets.remove_asset(asset_id=model.get_id(), container_type="catalog",
                               container_id=CATALOG)
    assert not world.backend.experiments  # the claimed facts went with their asset


def test_notebook_experiment_without_name_is_refused(world: World) -> None:
    reply = requests.post(f"{SAAS_FACTSHEETS_URL}/v1/aigov/factsheet/notebook_experiments",
                          headers={"Authorization": f"Bearer {world.token()}"},
                          json={"notebook_experiment": {}}, timeout=5)
    assert reply.status_code == 400 and reply.json()["errors"][0]["code"] == "missing_property"


# the emulator as a whole -------------------------------------------------------------------------
def test_unknown_route_lists_the_routes(world: World) -> None:
    reply = requests.get(SAAS_FACTSHEETS_URL + "/v2/nothing-here", timeout=5)
    assert reply.status_code == 404
    assert "GET /v2/assets/{asset_id}: path differs" in reply.json()["message"]


def test_credentials_are_never_echoed(world: World, sdk: Any) -> None:
    for make_client in (saas_client, cp4d_client):  # one at a time: config is class-level
        client = make_client(sdk)
        model = save_model(sdk, client)
        usecase = client.assets.get_ai_usecase(ai_usecase_id=ENTRY, catalog_id=CATALOG)
        model.track(usecase=usecase, approach=usecase.get_approaches()[0], version_number="1.0.0")
    assert world.replies
    for body in world.replies:
        assert API_KEY.encode() not in body and PASSWORD.encode() not in body


def test_reset_keeps_only_a_platform_asset_catalog(world: World) -> None:
    world.backend.put_model_stub({"model_id": "m", "name": "m"}, CATALOG, None)
    world.backend.reset()
    assert not (world.backend.assets or world.backend.use_cases or world.backend.experiments)
    assert [c.id for c in world.backend.list_catalogs()] == [world.backend.pac_id]
