"""Reaching the emulator and its first resources: construction, authentication, routing, and the
CRUD of data marts and service providers; then the emulator's own controls (reset, SQLite file).
"""

from __future__ import annotations

import pytest
import requests

from mlmonitor_lib.emulators.openscale import RESET_PATH, OpenScaleBackend

from .conftest import AWS_SECRET, V2, WOS, _sdk


# construction: token, entitlements, monitor definitions -------------------------------------
def test_client_construction_checks_entitlement_and_reads_definitions(client):
    assert client.plan_name == "standard"
    monitors = client.monitor_definitions.MONITORS
    for name in ("QUALITY", "FAIRNESS", "EXPLAINABILITY", "PERFORMANCE", "MODEL_HEALTH"):
        assert getattr(monitors, name).ID
    assert monitors.QUALITY.METRIC.ACCURACY == "accuracy"
    definition = client.monitor_definitions.get(monitors.QUALITY.ID).result
    assert definition.entity.name == "Quality"
def test_request_without_token_is_401(rsps):
    reply = requests.get(f"{V2}/data_marts")
    assert reply.status_code == 401
    assert reply.json()["errors"][0]["message"] == "Missing bearer token in Authorization header."
def test_request_with_forged_token_is_401(rsps):
    reply = requests.get(f"{V2}/data_marts", headers={"Authorization": "Bearer not.a.jwt"})
    assert reply.status_code == 401
def test_unknown_instance_is_404(rsps, token):
    url = f"{WOS}/openscale/11111111-2222-3333-4444-555555555555/v2/data_marts"
    reply = requests.get(url, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 404
    assert "service instance" in reply.json()["errors"][0]["message"]


# data marts, providers --------------------------------------------------------------------
def test_data_marts_add_get_list_delete(client, data_mart_id):
    assert client.data_marts.get(data_mart_id).result.entity.status.state == "active"
    assert [d.metadata.id for d in client.data_marts.list().result.data_marts] == [data_mart_id]
    client.data_marts.delete(data_mart_id, background_mode=False)
    assert client.data_marts.list().result.data_marts == []
def test_data_marts_get_not_found(client):
    from ibm_cloud_sdk_core import ApiException

    with pytest.raises(ApiException) as err:
        client.data_marts.get("nope")
    assert err.value.code == 404
    assert err.value.message == "data mart with id 'nope' was not found."
def test_service_provider_credentials_are_stored_never_echoed(client, backend, provider_id, rsps):
    provider = client.service_providers.get(provider_id).result
    assert provider.entity.credentials.secret_id
    assert provider.entity.service_type == "amazon_sagemaker"
    assert backend.credentials[provider.entity.credentials.secret_id]["secret_access_key"] == (
        AWS_SECRET
    )
    for call in rsps.calls:
        if call.request.method == "GET":
            assert AWS_SECRET not in (call.response.text or "")
    listed = client.service_providers.list(service_type="amazon_sagemaker").result
    assert [p.metadata.id for p in listed.service_providers] == [provider_id]
def test_service_provider_duplicate_name_is_refused_by_the_sdk(client, provider_id):
    from ibm_watson_openscale.utils.client_errors import ClientError

    v2, enums = _sdk()
    with pytest.raises(ClientError, match="already in use"):
        client.service_providers.add(
            name="sagemaker",
            service_type=enums.ServiceTypes.AMAZON_SAGEMAKER,
            credentials=v2.SageMakerCredentials(access_key_id="a", secret_access_key="b"),
        )
def test_service_provider_delete(client, provider_id):
    client.service_providers.delete(provider_id, background_mode=False)
    assert client.service_providers.list().result.service_providers == []
def test_data_mart_shows_its_internal_database_as_the_notebook_records(client, data_mart_id):
    mart = client.data_marts.get(data_mart_id).result.to_dict()
    config = mart["entity"]["database_configuration"]
    assert config["database_type"] == "postgresql"
    assert set(config["credentials"]) == {"secret_id"}
    assert config["location"] == {"schema_name": data_mart_id}


# emulator control ---------------------------------------------------------------------------
def test_reset_route_empties_the_backend(client, backend, subscription_id):
    assert requests.post(f"{WOS}{RESET_PATH}").status_code == 200
    assert backend.list("subscriptions") == [] and backend.list("data_marts") == []
def test_unroutable_request_lists_the_routes(rsps, token):
    reply = requests.get(f"{V2}/nothing_here", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 404
    assert "GET /openscale/{instance}/v2/data_marts: path differs" in reply.json()["message"]
def test_records_survive_in_a_sqlite_file(tmp_path):
    path = tmp_path / "wos.sqlite"
    store = OpenScaleBackend(str(path)).records
    store.append("ds", [("r1", "now", "1", "1", "{}")])
    store.close()
    assert OpenScaleBackend(str(path)).records.count("ds") == 0  # a new backend resets...
    assert path.exists()  # ...but keeps its file: one file per emulator instance
