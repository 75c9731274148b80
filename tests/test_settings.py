"""Settings come from env, .env and the credentials file; secrets never show."""

from __future__ import annotations

import json
import logging

import pytest

from mlmonitor_lib.errors import SettingsError
from mlmonitor_lib.settings import Settings

SECRET = "sk-DISTINCTIVE-5e1f0c"
SEED_NAMES = [
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ROLE", "API_KEY",
    "AUTH_ENDPOINT", "MODEL_ENTRY_ID", "CATALOG_ID", "COS_RESOURCE_CRN", "COS_ENDPOINT",
    "BUCKET_NAME", "IAM_URL", "ENV", "WOS_URL", "WOS_INSTANCE_ID", "CP4D_USERNAME", "AWS_PROFILE",
    "MONITOR_CONFIG_FILE", "CP4D_URL", "CP4D_PASSWORD",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in SEED_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_seed_names_from_environment(monkeypatch):
    monkeypatch.setenv("API_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("MODEL_ENTRY_ID", "entry-1")
    s = Settings.load()
    assert s.api_key.get_secret_value() == SECRET
    assert (s.aws_default_region, s.model_entry_id) == ("eu-west-1", "entry-1")


def test_dotenv_file(tmp_path):
    (tmp_path / ".env").write_text(f"AWS_SECRET_ACCESS_KEY={SECRET}\nCATALOG_ID=cat-9\n")
    s = Settings.load()
    assert s.catalog_id == "cat-9"
    assert s.aws_secret_access_key.get_secret_value() == SECRET


def test_credentials_file_flat_and_sectioned_env_wins(monkeypatch, tmp_path):
    cfg = tmp_path / "credentials.cfg"
    cfg.write_text(json.dumps({"CATALOG_ID": "from-file", "aws": {"AWS_ROLE": "arn:role"}}))
    monkeypatch.setenv("MONITOR_CONFIG_FILE", str(cfg))
    assert Settings.load().aws_role == "arn:role"
    monkeypatch.setenv("CATALOG_ID", "from-env")
    assert Settings.load().catalog_id == "from-env"


def test_broken_credentials_file_is_named(monkeypatch, tmp_path):
    cfg = tmp_path / "credentials.cfg"
    cfg.write_text('{"API_KEY": "' + SECRET + '",')
    monkeypatch.setenv("MONITOR_CONFIG_FILE", str(cfg))
    with pytest.raises(SettingsError, match="credentials.cfg is not valid JSON") as err:
        Settings.load()
    assert SECRET not in str(err.value)
    monkeypatch.setenv("MONITOR_CONFIG_FILE", str(tmp_path / "nope.cfg"))
    with pytest.raises(SettingsError, match="does not exist"):
        Settings.load()


def test_invalid_value_names_setting_not_value(monkeypatch):
    monkeypatch.setenv("ENV", "cloud-" + SECRET)
    with pytest.raises(SettingsError, match="ENV") as err:
        Settings.load()
    assert SECRET not in str(err.value)


def test_secrets_never_in_repr_str_dump_or_logs(monkeypatch, caplog):
    monkeypatch.setenv("API_KEY", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET + "2")
    s = Settings.load()
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("settings: %s %r", s, s)
    rendered = [repr(s), str(s), s.model_dump_json(), caplog.text]
    assert all(SECRET not in text for text in rendered)
    assert sorted(s.secret_values()) == sorted([SECRET, SECRET + "2"])


def test_missing_for_live_saas_and_prem(monkeypatch):
    assert Settings.load().missing_for_live() == [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ROLE", "BUCKET_NAME",
        "MODEL_ENTRY_ID", "CATALOG_ID", "API_KEY", "WOS_INSTANCE_ID",
    ]
    monkeypatch.setenv("ENV", "prem")
    monkeypatch.setenv("AWS_PROFILE", "ci")
    missing = Settings.load().missing_for_live()
    assert "AWS_ACCESS_KEY_ID" not in missing
    assert {"CP4D_URL", "CP4D_USERNAME", "API_KEY or CP4D_PASSWORD"} <= set(missing)


def test_prem_urls_default_to_the_cluster(monkeypatch):
    monkeypatch.setenv("ENV", "prem")
    monkeypatch.setenv("CP4D_URL", "https://cp4d.example/")
    s = Settings.load()
    assert s.effective_wos_url == s.effective_factsheets_url == "https://cp4d.example"
