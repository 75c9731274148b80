"""State of the emulated IAM: who may log in, and the tokens it has issued."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from typing import Any

import jwt

from mlmonitor_lib.emulators.iam.clock import IamClock
from mlmonitor_lib.emulators.routing import HttpError

TOKEN_LIFETIME_S = 3600


class IamBackend:
    """API keys (IBM Cloud) and CP4D users, and the signing secret of the tokens issued.

    ``api_keys`` maps an API key to its account id; ``users`` maps a CP4D user name to the
    password or API key that user logs in with. Keys are kept, never returned in a reply.
    ``clock`` stamps and checks every token (an :class:`IamClock` unless one is given): move
    it forward to expire tokens without waiting.
    """

    def __init__(
        self,
        api_keys: dict[str, str] | None = None,
        users: dict[str, str] | None = None,
        token_lifetime_s: int = TOKEN_LIFETIME_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.api_keys = dict(api_keys or {})
        self.users = dict(users or {})
        self.token_lifetime_s = token_lifetime_s
        self.clock: Callable[[], float] = clock if clock is not None else IamClock()
        self._signing_key = secrets.token_hex(32)
        self._lock = threading.Lock()
        self.tokens_issued = 0

    def reset(self) -> None:
        with self._lock:
            self.tokens_issued = 0
            self._signing_key = secrets.token_hex(32)

    # issuing ---------------------------------------------------------------------------
    def _sign(self, claims: dict[str, Any]) -> tuple[str, int, int]:
        now = int(self.clock())
        exp = now + self.token_lifetime_s
        token = jwt.encode({**claims, "iat": now, "exp": exp}, self._signing_key, "HS256")
        with self._lock:
            self.tokens_issued += 1
        return token, now, exp

    def issue_token(self, api_key: str | None) -> dict[str, Any]:
        """``POST /identity/token`` with ``grant_type=...:apikey``: the IAM reply body."""
        if not api_key:
            raise HttpError(400, "BXNIM0109E", "Property missing or empty. apikey is required.")
        account = self.api_keys.get(api_key)
        if account is None:
            raise HttpError(
                400, "BXNIM0415E", "Provided API key could not be found.",
            )
        iam_id = f"iam-ServiceId-{uuid.uuid5(uuid.NAMESPACE_OID, account)}"
        token, now, exp = self._sign(
            {"iam_id": iam_id, "sub": iam_id, "account": {"bss": account}, "iss": "emulated-iam"}
        )
        return {
            "access_token": token,
            "refresh_token": "not_supported",
            "token_type": "Bearer",
            "expires_in": exp - now,
            "expiration": exp,
            "scope": "ibm openid",
        }

    def authorize(self, username: str | None, password: str | None, api_key: str | None) -> str:
        """CP4D ``/icp4d-api/v1/authorize``: username with password or API key."""
        expected = self.users.get(username or "")
        given = password or api_key
        if expected is None or not given or not secrets.compare_digest(expected, given):
            raise HttpError(401, "invalid_credentials", "Invalid username or password/API key.")
        token, _, _ = self._sign({"username": username, "sub": username, "role": "Admin"})
        return token

    # checking --------------------------------------------------------------------------
    def verify(self, authorization: str | None) -> dict[str, Any]:
        """Claims of a ``Bearer`` token this backend issued; HttpError 401 otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HttpError(401, "AIQCS0001E", "Missing bearer token in Authorization header.")
        try:  # expiry is judged on this backend's clock, not on the machine's
            claims = jwt.decode(token, self._signing_key, algorithms=["HS256"],
                                options={"verify_exp": False, "verify_iat": False,
                                         "require": ["exp"]})
        except jwt.PyJWTError:
            raise HttpError(401, "AIQCS0003E", "The bearer token is not valid.") from None
        if claims["exp"] <= self.clock():
            raise HttpError(401, "AIQCS0002E", "The bearer token has expired.")
        return claims

    def introspect(self, token: str | None) -> dict[str, Any]:
        """``/identity/introspect``: whether a token is active, and its claims."""
        try:
            claims = self.verify(f"Bearer {token}")
        except HttpError:
            return {"active": False}
        return {"active": True, **claims}

    def account_of_key(self, api_key: str | None) -> str | None:
        return self.api_keys.get(api_key or "")
