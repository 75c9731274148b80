"""The emulated IAM's clock: tokens expire when the clock is moved past them, not when the
machine's time is; the SDK's token manager renews once it reads the same clock. Nobody sleeps."""

from __future__ import annotations

import pytest
import responses
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator

from mlmonitor_harness.sdk_clock import sdk_tokens_read
from mlmonitor_lib.emulators.iam import IamBackend, IamClock, make_router
from mlmonitor_lib.emulators.routing import HttpError
from mlmonitor_lib.emulators.transport import mount

KEY = "key-3b9f"
IAM = "https://iam.cloud.ibm.com"


class Frozen:
    """A machine clock that stands still, so only :meth:`IamClock.advance` moves time."""

    def __init__(self, at: float = 1_900_000_000.0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_the_clock_follows_its_source_plus_what_it_was_moved():
    source = Frozen()
    clock = IamClock(source)
    assert clock() == source.at
    clock.advance(90)
    source.at += 10  # real time goes on too
    assert clock() == source.at + 90
    assert clock.advanced_s == 90


def test_the_clock_never_goes_back():
    clock = IamClock(Frozen())
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_tokens_are_stamped_with_the_backends_clock():
    clock = IamClock(Frozen())
    backend = IamBackend(api_keys={KEY: "acct-1"}, token_lifetime_s=120, clock=clock)
    reply = backend.issue_token(KEY)
    assert reply["expiration"] == int(clock()) + 120
    assert reply["expires_in"] == 120


def test_a_token_is_refused_once_the_clock_passes_its_expiry_and_not_before():
    clock = IamClock(Frozen())
    backend = IamBackend(api_keys={KEY: "acct-1"}, token_lifetime_s=120, clock=clock)
    bearer = f"Bearer {backend.issue_token(KEY)['access_token']}"
    clock.advance(119)
    assert backend.verify(bearer)["account"] == {"bss": "acct-1"}
    clock.advance(1)
    with pytest.raises(HttpError) as refused:
        backend.verify(bearer)
    assert (refused.value.status, refused.value.code) == (401, "AIQCS0002E")


def test_a_token_of_another_backend_is_refused_whatever_the_clock():
    token = IamBackend(api_keys={KEY: "acct-1"}).issue_token(KEY)["access_token"]
    with pytest.raises(HttpError) as refused:
        IamBackend(api_keys={KEY: "acct-1"}).verify(f"Bearer {token}")
    assert (refused.value.status, refused.value.code) == (401, "AIQCS0003E")


def test_the_sdk_renews_a_token_the_iam_clock_has_expired(monkeypatch):
    """ibm-cloud-sdk-core decides from its own clock when to ask for a new token: reading the
    IAM's clock, it asks once the clock has passed the expiry, and the new token is valid."""
    clock = IamClock(Frozen())
    backend = IamBackend(api_keys={KEY: "acct-1"}, token_lifetime_s=120, clock=clock)
    sdk_tokens_read(clock, monkeypatch)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mount(rsps, IAM, make_router(backend))
        auth = IAMAuthenticator(KEY, url=IAM)
        first = auth.token_manager.get_token()
        assert auth.token_manager.get_token() == first and backend.tokens_issued == 1
        clock.advance(121)
        with pytest.raises(HttpError):
            backend.verify(f"Bearer {first}")
        renewed = auth.token_manager.get_token()
    assert renewed != first and backend.tokens_issued == 2
    assert backend.verify(f"Bearer {renewed}")
