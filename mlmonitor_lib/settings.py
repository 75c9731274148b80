"""One :class:`Settings` object for every mode, from environment, ``.env`` and a credentials file.

The names are the seed's (``AWS_ACCESS_KEY_ID``, ``API_KEY``, ``MODEL_ENTRY_ID``...), so a user of
the original project keeps their ``.env`` and their ``MONITOR_CONFIG_FILE``. Precedence, highest
first: arguments, environment, ``.env``, the JSON credentials file. Secrets are ``SecretStr``:
their repr, ``str()`` and any error message built from the object show ``**********``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from mlmonitor_lib.errors import SettingsError

SAAS_WOS_URL = "https://api.aiopenscale.cloud.ibm.com"
SAAS_FACTSHEETS_URL = "https://api.dataplatform.cloud.ibm.com"
SAAS_IAM_URL = "https://iam.cloud.ibm.com"


class CredentialsFileSource(PydanticBaseSettingsSource):
    """The JSON file named by ``MONITOR_CONFIG_FILE``: a flat object keyed by setting names
    (any case), optionally grouped in sections (``{"aws": {...}, "saas": {...}}``)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns everything at once

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
        flat: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, dict):
                flat.update({k.lower(): v for k, v in value.items()})
            else:
                flat[key.lower()] = value
        fields = self.settings_cls.model_fields
        return {k: v for k, v in flat.items() if k in fields}


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
    aws_default_region: str = "ca-central-1"
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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, dotenv_settings, CredentialsFileSource(settings_cls))

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
        return SAAS_FACTSHEETS_URL

    @property
    def effective_iam_url(self) -> str:
        return (self.auth_endpoint or self.iam_url).rstrip("/")

    def missing_for_live(self) -> list[str]:
        """Names of the settings a live run would lack, in the seed's spelling."""
        missing = []
        required_aws = {
            "AWS_ACCESS_KEY_ID": self.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.aws_secret_access_key,
            "AWS_ROLE": self.aws_role,
            "BUCKET_NAME": self.bucket_name,
        }
        if os.environ.get("AWS_PROFILE"):  # a named profile replaces the key pair
            required_aws.pop("AWS_ACCESS_KEY_ID")
            required_aws.pop("AWS_SECRET_ACCESS_KEY")
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

    def require_live(self) -> None:
        """Raise :class:`SettingsError` listing every setting a live run lacks."""
        missing = self.missing_for_live()
        if missing:
            raise SettingsError(
                "live mode needs these settings, which are not set (environment, .env or the "
                "file named by MONITOR_CONFIG_FILE):\n  " + "\n  ".join(missing)
                + "\nSee README.md, 'Running live'."
            )

    def secret_values(self) -> list[str]:
        """Every secret's plain value: what the leak scanners search logs and reports for."""
        values = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                values.append(value.get_secret_value())
        return values
