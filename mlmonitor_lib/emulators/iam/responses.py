"""One handler per IAM operation: read the request, call the backend, shape the reply."""

from __future__ import annotations

from urllib.parse import parse_qs

from mlmonitor_lib.emulators.iam.models import IamBackend
from mlmonitor_lib.emulators.routing import HttpError, Request, Response, json_response


def _form(request: Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}


class IamResponses:
    def __init__(self, backend: IamBackend) -> None:
        self.backend = backend

    def token(self, request: Request) -> Response:
        form = _form(request)
        if form.get("grant_type") != "urn:ibm:params:oauth:grant-type:apikey":
            raise HttpError(400, "BXNIM0308E", "Grant type not supported.")
        return json_response(200, self.backend.issue_token(form.get("apikey")))

    def introspect(self, request: Request) -> Response:
        form = {**request.query, **_form(request)}
        if "apikey" in form:  # API-key introspection: only say whether the key is valid
            account = self.backend.account_of_key(form["apikey"])
            if account is None:
                raise HttpError(400, "BXNIM0415E", "Provided API key could not be found.")
            return json_response(200, {"active": True, "account_id": account})
        return json_response(200, self.backend.introspect(form.get("token")))

    def authorize(self, request: Request) -> Response:
        body = request.json() or {}
        token = self.backend.authorize(
            body.get("username"), body.get("password"), body.get("api_key")
        )
        return json_response(200, {"_messageCode_": "200", "message": "Success", "token": token})
