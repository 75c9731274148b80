"""One :class:`Settings` object for every mode, from environment, ``.env`` and a credentials file.

The names are the seed's (``AWS_ACCESS_KEY_ID``, ``API_KEY``, ``MODEL_ENTRY_ID``...), so a user of
the original project keeps their ``.env`` and their ``MONITOR_CONFIG_FILE``. Precedence, highest
first: arguments, environment, ``.env``, the JSON credentials file. Secrets are ``SecretStr``:
their repr, ``str()`` and any error message built from the object show ``**********``.

The credentials file may be the original project's ``credentials.cfg`` as is (IBM/mlmonitor
``mlmonitor/credentials_example.cfg``, read by its ``mlmonitor/config.py``): see
:class:`CredentialsFileSource`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from mlmonitor_lib.errors import SettingsError

SAAS_WOS_URL = "https://api.aiopenscale.cloud.ibm.com"
SAAS_FACTSHEETS_URL = "https://api.dataplatform.cloud.ibm.com"
SAAS_IAM_URL = "https://iam.cloud.ibm.com"
# AI Factsheets on IBM Cloud: the SDK's region names and the host each one uses
# (ibm_aigov_facts_client 1.0.107, utils/config.py: prod_config and the *_region dicts; its
# aws_* regions need an account id and another login, and are not supported here)
FACTSHEETS_REGION_URLS = {
    "dallas": SAAS_FACTSHEETS_URL,
    "frankfurt": "https://api.eu-de.dataplatform.cloud.ibm.com",
    "london": "https://api.eu-gb.dataplatform.cloud.ibm.com",
    "tokyo": "https://api.jp-tok.dataplatform.cloud.ibm.com",
    "sydney": "https://api.au-syd.dai.cloud.ibm.com",
    "toronto": "https://api.ca-tor.dai.cloud.ibm.com",
}
FactsheetsRegion = Literal["dallas", "frankfurt", "london", "tokyo", "sydney", "toronto"]
# token paths an IAM URL may end with: IAMAuthenticator appends /identity/token itself, and the
# original project's credentials.cfg gives the COS form https://iam.bluemix.net/oidc/token
_IAM_TOKEN_PATHS = ("/identity/token", "/oidc/token")
STATIC_KEYS_ONLY = (
    "Watson OpenScale's SageMaker provider takes static keys only: ibm_watson_openscale's "
    "SageMakerCredentials(access_key_id, secret_access_key, region) has no session-token field, "
    "and OpenScale itself calls SageMaker with the keys this suite gives it from "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, long after temporary ones would expire. Set "
    "those two to an IAM user's access key pair (with access to the SageMaker endpoints) and "
    "unset AWS_SESSION_TOKEN; AWS_PROFILE is not read for the provider."
)


# The original project's credentials.cfg keys that differ from our setting names (IBM/mlmonitor
# mlmonitor/config.py); its other keys (wos_url, wos_instance_id, iam_url, bucket_name,
# cos_resource_crn, cos_endpoint, model_entry_id, catalog_id) are already our names, and keys we
# have no setting for (default_space, version, wml_url...) are ignored.
ORIGINAL_KEYS = {
    "apikey": "api_key",
    "username": "cp4d_username",
    "access_key": "aws_access_key_id",
    "secret_key": "aws_secret_access_key",
    "role": "aws_role",
    "region_name": "aws_default_region",
}
IBM_SECTIONS = ("saas", "prem")
# "aws" is what the original code reads; its README's sample calls the section "aws_credentials"
AWS_SECTIONS = ("aws", "aws_credentials")


def _original_key(key: str, env: str | None) -> str:
    """Our field name for a credentials-file key. ``ibm_auth_endpoint`` is the IAM token URL in
    the ``saas`` section (the original hands it to IBM COS) and the Cloud Pak for Data URL in
    the ``prem`` one (the original's CloudPakForDataAuthenticator url and default WOS URL)."""
    key = key.lower()
    if key == "ibm_auth_endpoint":
        return "cp4d_url" if env == "prem" else "auth_endpoint"
    return ORIGINAL_KEYS.get(key, key)


class CredentialsFileSource(PydanticBaseSettingsSource):
    """The JSON file named by ``MONITOR_CONFIG_FILE``: our setting names (any case) or the
    original project's keys (``apikey``, ``access_key``...), at the top level or in sections.

    Sections, as the original project's ``credentials.cfg`` has them: ``aws`` always applies;
    of ``saas`` and ``prem`` only the one ``ENV`` selects applies (so the ``prem`` values never
    replace the ``saas`` ones, nor the reverse); any other section (``db2``, ``azure``,
    ``mlops_orchestrator``...) is ignored. ``ENV`` itself comes from the sources above this one
    (arguments, environment, ``.env``), else from the file's top level, else ``saas``. Within the
    file, the ``ENV`` section wins over ``aws``, which wins over top-level values.
    """

    def __init__(self, settings_cls: type[BaseSettings],
                 higher: tuple[PydanticBaseSettingsSource, ...] = ()) -> None:
        super().__init__(settings_cls)
        self.higher = higher

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns everything at once

    def _env(self, raw: dict[str, Any]) -> str:
        for source in self.higher:
            for key, value in source().items():
                if key.lower() == "env" and value:
                    return str(value)
        top = {k.lower(): v for k, v in raw.items() if not isinstance(v, dict)}
        return str(top.get("env") or "saas")

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("MONITOR_CONFIG_FILE")
        if not path:
            return {}
        file = Path(path).expanduser()
        try:
            raw = json.loads(file.read_text())
        except FileNotFoundError as exc:
            raise SettingsError(
                f"MONITOR_CONFIG_FILE points to {file}, which does not exist: "
                "fix the path or unset MONITOR_CONFIG_FILE"
            ) from exc
        except ValueError as exc:
            raise SettingsError(
                f"credentials file {file} is not valid JSON ({exc.__class__.__name__} at "
                f"{getattr(exc, 'lineno', '?')}:{getattr(exc, 'colno', '?')}); fix its syntax"
            ) from None
        if not isinstance(raw, dict):
            raise SettingsError(f"credentials file {file} must hold a JSON object")
        env = self._env(raw)
        sections = {k.lower(): v for k, v in raw.items() if isinstance(v, dict)}
        layers = [{k: v for k, v in raw.items() if not isinstance(v, dict)}]
        layers += [sections[name] for name in AWS_SECTIONS if name in sections]
        if env in IBM_SECTIONS and env in sections:
            layers.append(sections[env])
        fields = self.settings_cls.model_fields
        values: dict[str, Any] = {}
        for layer in layers:
            for key, value in layer.items():
                name = _original_key(key, env)
                if name in fields:
                    values[name] = value
        return values


class Settings(BaseSettings):
    """Everything the library needs to reach AWS and IBM; no field is required until live mode
    asks :meth:`missing_for_live`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # AWS
    aws_access_key_id: SecretStr | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_session_token: SecretStr | None = None
    # AWS_DEFAULT_REGION from any source wins; else AWS_REGION (the name AWS runtimes and the
    # other AWS SDKs set; botocore reads only AWS_DEFAULT_REGION); else ca-central-1
    aws_default_region: str = "ca-central-1"
    aws_region: str | None = None
    aws_role: str | None = None
    aws_endpoint_url: str | None = None
    bucket_name: str | None = None

    # IBM
    env: Literal["saas", "prem"] = "saas"
    api_key: SecretStr | None = None
    auth_endpoint: str | None = None
    iam_url: str = SAAS_IAM_URL
    wos_url: str | None = None
    wos_instance_id: str | None = None
    factsheets_url: str | None = None
    cp4d_url: str | None = None
    cp4d_username: str | None = None
    cp4d_password: SecretStr | None = None
    model_entry_id: str | None = None
    catalog_id: str | None = None
    cos_resource_crn: str | None = None
    cos_endpoint: str | None = None
    # AI Factsheets on IBM Cloud: the SDK's region (FACTSHEETS_REGION_URLS) and the GUID of the
    # watsonx.governance instance; unset, the SDK takes the account's default instance
    factsheets_region: FactsheetsRegion = "dallas"
    factsheets_instance_id: str | None = None

    # retries of the IBM SDKs on 429/5xx and dropped connections (ibm-cloud-sdk-core's
    # enable_retries; the same policy for Factsheets): retries after the first attempt, and the
    # longest backoff in seconds (a Retry-After header is honoured on 429/503)
    ibm_max_retries: int = 3
    ibm_retry_interval: float = 10.0

    # waiting for resources (endpoints, training jobs, subscriptions): the first pause between
    # two status checks and the longest one, in seconds (pauses double in between; see
    # mlmonitor_lib.waiting). Emulated worlds at instant pace set both to 0.
    wait_first_s: float = 5.0
    wait_max_s: float = 30.0

    # where runs keep their state files
    state_dir: Path = Path(".mlmonitor")
    # where every evaluated run writes its evidence pack (<run id>.json): what was approved, on
    # what evidence (mlmonitor_lib.gate.evidence)
    evidence_dir: Path = Path("reports/evidence")

    @model_validator(mode="after")
    def _aws_region_fallback(self) -> Settings:
        if self.aws_region and "aws_default_region" not in self.model_fields_set:
            self.aws_default_region = self.aws_region
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_settings = CredentialsFileSource(
            settings_cls, higher=(init_settings, env_settings, dotenv_settings))
        return (init_settings, env_settings, dotenv_settings, file_settings)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Build settings, turning pydantic's error into a :class:`SettingsError` that names the
        offending setting without echoing its value (it may be a secret)."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            lines = [
                f"  {'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
                for err in exc.errors(include_input=False)
            ]
            raise SettingsError("invalid settings:\n" + "\n".join(lines)) from None

    # derived values -----------------------------------------------------------------------
    @property
    def effective_wos_url(self) -> str:
        if self.wos_url:
            return self.wos_url.rstrip("/")
        if self.env == "prem" and self.cp4d_url:
            return self.cp4d_url.rstrip("/")
        return SAAS_WOS_URL

    @property
    def effective_factsheets_url(self) -> str:
        if self.factsheets_url:
            return self.factsheets_url.rstrip("/")
        if self.env == "prem" and self.cp4d_url:
            return self.cp4d_url.rstrip("/")
        return FACTSHEETS_REGION_URLS[self.factsheets_region]

    @property
    def effective_iam_url(self) -> str:
        """The IAM base URL for ``IAMAuthenticator`` (which appends ``/identity/token``): a
        token URL given instead (``.../identity/token``, ``.../oidc/token``) loses its path."""
        url = (self.auth_endpoint or self.iam_url).rstrip("/")
        for path in _IAM_TOKEN_PATHS:
            if url.endswith(path):
                return url[: -len(path)]
        return url

    def missing_for_live(self) -> list[str]:
        """Names of the settings a live run would lack, in the seed's spelling."""
        missing = []
        required_aws = {
            "AWS_ACCESS_KEY_ID": self.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.aws_secret_access_key,
            "AWS_ROLE": self.aws_role,
            "BUCKET_NAME": self.bucket_name,
        }  # the key pair even with AWS_PROFILE: the OpenScale provider reads only these
        missing += [name for name, value in required_aws.items() if not value]
        required_ibm: dict[str, Any] = {
            "MODEL_ENTRY_ID": self.model_entry_id,
            "CATALOG_ID": self.catalog_id,
        }
        if self.env == "saas":
            required_ibm["API_KEY"] = self.api_key
            required_ibm["WOS_INSTANCE_ID"] = self.wos_instance_id
        else:
            required_ibm["CP4D_URL"] = self.cp4d_url
            required_ibm["CP4D_USERNAME"] = self.cp4d_username
            if not (self.api_key or self.cp4d_password):
                missing.append("API_KEY or CP4D_PASSWORD")
        missing += [name for name, value in required_ibm.items() if not value]
        return missing

    def live_refusals(self) -> list[str]:
        """Why the settings, though present, cannot serve a live run: temporary AWS
        credentials, which the OpenScale SageMaker provider cannot take. Never shows a value."""
        why = []
        if self.aws_session_token is not None and self.aws_session_token.get_secret_value():
            why.append("AWS_SESSION_TOKEN is set: these are temporary AWS credentials.")
        key = self.aws_access_key_id.get_secret_value() if self.aws_access_key_id else ""
        if key.startswith("ASIA"):  # AWS's prefix for temporary (STS) access key ids
            why.append("AWS_ACCESS_KEY_ID starts with ASIA: it is a temporary (STS) key.")
        if os.environ.get("AWS_PROFILE") and not (self.aws_access_key_id
                                                  and self.aws_secret_access_key):
            why.append("AWS_PROFILE is set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: "
                       "a profile (SSO, an assumed role) cannot reach the OpenScale provider.")
        return [*why, STATIC_KEYS_ONLY] if why else []

    def require_live(self) -> None:
        """Raise :class:`SettingsError` listing every setting a live run lacks, and why
        settings that are present cannot serve (:meth:`live_refusals`)."""
        missing, refusals = self.missing_for_live(), self.live_refusals()
        parts = []
        if missing:
            parts.append(
                "live mode needs these settings, which are not set (environment, .env or the "
                "file named by MONITOR_CONFIG_FILE):\n  " + "\n  ".join(missing))
        if refusals:
            parts.append("live mode refuses temporary AWS credentials:\n  "
                         + "\n  ".join(refusals))
        if parts:
            raise SettingsError("\n".join(parts) + "\nSee README.md, 'Running live'.")

    def environment(self, *, secrets: bool = False) -> dict[str, str]:
        """These settings as the environment variables they are read from (``CP4D_URL``,
        ``WAIT_FIRST_S``...): every setting not left at its default, so a new process started
        with them (and no ``.env`` nor credentials file) loads these same settings.

        Secrets (API key, passwords, AWS keys) are left out unless ``secrets`` is true: only a
        caller that starts a child process, or prints the ``export`` lines a user asked for,
        needs them in clear. Never log the result.
        """
        values = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None or (name not in self.model_fields_set
                                 and value == info.get_default(call_default_factory=True)):
                continue
            if isinstance(value, SecretStr):
                if not secrets:
                    continue
                value = value.get_secret_value()
            values[name.upper()] = str(value)
        return values

    def secret_values(self) -> list[str]:
        """Every secret's plain value: what the leak scanners search logs and reports for."""
        values = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                values.append(value.get_secret_value())
        return values
