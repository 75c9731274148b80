"""The IAM emulator answers the real ibm-cloud-sdk-core authenticators."""

from __future__ import annotations

import pytest
import requests
import responses
from ibm_cloud_sdk_core.authenticators import CloudPakForDataAuthenticator, IAMAuthenticator

from mlmonitor_lib.emulators.iam import IamBackend, make_router
from mlmonitor_lib.emulators.routing import HttpError
from mlmonitor_lib.emulators.transport import LoopbackServer, mount

IAM = "https://iam.test.example"
CP4D = "https://cp4d.test.example"
KEY = "good-key-3f9a"


@pytest.fixture
def backend() -> IamBackend:
    return IamBackend(api_keys={KEY: "acct-1"}, users={"admin": "pw-7c1e"})


@pytest.fixture
def rsps(backend: IamBackend):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mount(mock, IAM, make_router(backend))
        mount(mock, CP4D, make_router(backend))
        yield mock


def test_token_is_a_jwt_the_backend_verifies(rsps, backend):
    auth = IAMAuthenticator(KEY, url=IAM)
    token = auth.token_manager.get_token()
    claims = backend.verify(f"Bearer {token}")
    assert claims["account"]["bss"] == "acct-1"
    assert claims["exp"] > claims["iat"]


def test_wrong_api_key_gets_400_not_a_token(rsps):
    auth = IAMAuthenticator("wrong-key", url=IAM)
    with pytest.raises(Exception) as err:
        auth.token_manager.get_token()
    assert "400" in str(err.value) or "could not be found" in str(err.value)


def test_cp4d_authorize_with_password_and_api_key(rsps, backend):
    for kwargs in ({"password": "pw-7c1e"}, {"apikey": "pw-7c1e"}):
        auth = CloudPakForDataAuthenticator("admin", url=f"{CP4D}/icp4d-api", **kwargs)
        assert backend.verify(f"Bearer {auth.token_manager.get_token()}")["username"] == "admin"


def test_cp4d_wrong_password_is_401(rsps):
    body = {"username": "admin", "password": "x"}
    reply = requests.post(f"{CP4D}/icp4d-api/v1/authorize", json=body)
    assert reply.status_code == 401
    assert "pw-7c1e" not in reply.text


def test_expired_and_forged_tokens_are_refused():
    backend = IamBackend(api_keys={KEY: "acct-1"}, token_lifetime_s=-10)
    token = backend.issue_token(KEY)["access_token"]
    with pytest.raises(HttpError, match="expired"):
        backend.verify(f"Bearer {token}")
    with pytest.raises(HttpError, match="not valid"):
        IamBackend().verify(f"Bearer {token}")
    with pytest.raises(HttpError, match="Missing bearer"):
        backend.verify(None)


def test_unknown_route_lists_why_each_route_did_not_match(rsps):
    reply = requests.get(f"{IAM}/identity/nothing")
    assert reply.status_code == 404
    assert "POST /identity/token: path differs" in reply.json()["message"]


def test_hosts_nobody_mounted_are_refused(rsps):
    with pytest.raises(requests.ConnectionError):
        requests.get("https://iam.cloud.ibm.com/identity/token")


def test_same_router_over_loopback(backend):
    with LoopbackServer(make_router(backend)) as server:
        auth = IAMAuthenticator(KEY, url=server.url)
        assert backend.verify(f"Bearer {auth.token_manager.get_token()}")
