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
    "MONITOR_CONFIG_FILE", "CP4D_URL", "CP4D_PASSWORD", "AWS_REGION", "AWS_SESSION_TOKEN",
    "FACTSHEETS_REGION", "FACTSHEETS_INSTANCE_ID", "FACTSHEETS_URL",
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
    assert "AWS_ACCESS_KEY_ID" in missing  # a profile does not reach the OpenScale provider
    assert {"CP4D_URL", "CP4D_USERNAME", "API_KEY or CP4D_PASSWORD"} <= set(missing)


def test_prem_urls_default_to_the_cluster(monkeypatch):
    monkeypatch.setenv("ENV", "prem")
    monkeypatch.setenv("CP4D_URL", "https://cp4d.example/")
    s = Settings.load()
    assert s.effective_wos_url == s.effective_factsheets_url == "https://cp4d.example"


# The original project's credentials.cfg (IBM/mlmonitor mlmonitor/credentials_example.cfg), with
# made-up values, keys in the same sections and order; saas and prem differ in every shared key.
ORIGINAL_CFG = {
    "saas": {
        "apikey": "saas-apikey-made-up-1111",
        "wml_url": "https://us-south.ml.cloud.ibm.com",
        "wos_url": "https://saas-wos.example",
        "wos_instance_id": "saas-wos-instance-1111",
        "default_space": "saas-space",
        "cos_resource_crn": "crn:v1:made-up:cos:1111",
        "cos_endpoint": "https://s3.us-east.cloud-object-storage.appdomain.cloud",
        "bucket_name": "made-up-bucket-1111",
        "iam_url": "https://iam.bluemix.net/oidc/token",
        "ibm_auth_endpoint": "https://iam.saas-auth.example/oidc/token",
    },
    "prem": {
        "version": "4.x",
        "username": "prem-user",
        "apikey": "prem-apikey-made-up-2222",
        "wos_url": "https://prem-wos.example",
        "wos_instance_id": "00000000-0000-0000-0000-000000000000",
        "default_space": "prem-space",
        "ibm_auth_endpoint": "https://cp4d.prem.example",
    },
    "db2": {"hostname": "***", "username": "db2-user", "password": "***", "port": 50000},
    "azure": {"client_id": "x", "client_secret": "x", "tenant_id": "x", "workspace_name": "x"},
    "aws": {
        "access_key": "made-up-access-key-id",
        "role": "arn:aws:iam::000000000000:role/made-up-role",
        "secret_key": "made-up-secret-access-key",
        "region_name": "eu-west-3",
    },
    "mlops_orchestrator": {"username": "orch-user", "password": "x", "scoring_url": "x"},
}
AWS_MAPPED = {
    "AWS_ACCESS_KEY_ID": "made-up-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "made-up-secret-access-key",
    "AWS_ROLE": "arn:aws:iam::000000000000:role/made-up-role",
    "AWS_DEFAULT_REGION": "eu-west-3",
}
SAAS_MAPPED = {
    "API_KEY": "saas-apikey-made-up-1111", "WOS_URL": "https://saas-wos.example",
    "WOS_INSTANCE_ID": "saas-wos-instance-1111", "COS_RESOURCE_CRN": "crn:v1:made-up:cos:1111",
    "COS_ENDPOINT": "https://s3.us-east.cloud-object-storage.appdomain.cloud",
    "BUCKET_NAME": "made-up-bucket-1111", "IAM_URL": "https://iam.bluemix.net/oidc/token",
    "AUTH_ENDPOINT": "https://iam.saas-auth.example/oidc/token",
}
PREM_MAPPED = {
    "API_KEY": "prem-apikey-made-up-2222", "WOS_URL": "https://prem-wos.example",
    "WOS_INSTANCE_ID": "00000000-0000-0000-0000-000000000000", "CP4D_USERNAME": "prem-user",
    "CP4D_URL": "https://cp4d.prem.example",
}


def plain(settings: Settings, name: str) -> object:
    value = getattr(settings, name.lower())
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


@pytest.fixture
def original_cfg(monkeypatch, tmp_path):
    cfg = tmp_path / "credentials.cfg"
    cfg.write_text(json.dumps(ORIGINAL_CFG, indent=2))
    monkeypatch.setenv("MONITOR_CONFIG_FILE", str(cfg))
    return cfg


@pytest.mark.parametrize(("env", "mapped", "other"), [
    ("saas", SAAS_MAPPED, PREM_MAPPED), ("prem", PREM_MAPPED, SAAS_MAPPED)])
def test_original_credentials_file_maps_every_key_from_the_env_section(
        monkeypatch, original_cfg, env, mapped, other):
    monkeypatch.setenv("ENV", env)
    s = Settings.load()
    assert s.env == env
    expected = {**AWS_MAPPED, **mapped}
    assert {name: plain(s, name) for name in expected} == expected
    assert len(set(AWS_MAPPED) | set(SAAS_MAPPED) | set(PREM_MAPPED)) == 14
    # nothing from the other IBM section, nor from db2/azure/mlops_orchestrator
    loaded = {str(plain(s, name)) for name in Settings.model_fields}
    leaked = {v for k, v in other.items() if v != expected.get(k)} & loaded
    assert not leaked, leaked
    assert "db2-user" not in loaded and "orch-user" not in loaded
    assert mapped["API_KEY"] not in repr(s) and "made-up-secret-access-key" not in repr(s)


def test_original_credentials_file_urls(monkeypatch, original_cfg):
    saas = Settings.load()
    assert saas.env == "saas"  # the default: nothing names ENV
    assert saas.effective_iam_url == "https://iam.saas-auth.example"  # the /oidc/token path goes
    assert saas.effective_wos_url == "https://saas-wos.example"
    monkeypatch.setenv("ENV", "prem")
    prem = Settings.load()
    assert prem.cp4d_url == "https://cp4d.prem.example"
    assert prem.effective_factsheets_url == "https://cp4d.prem.example"
    assert prem.missing_for_live() == ["BUCKET_NAME", "MODEL_ENTRY_ID", "CATALOG_ID"]


def test_env_precedence_selects_the_section(monkeypatch, tmp_path, original_cfg):
    ORIGINAL = json.loads(original_cfg.read_text())
    original_cfg.write_text(json.dumps({"ENV": "prem", **ORIGINAL}))
    assert Settings.load().api_key.get_secret_value() == PREM_MAPPED["API_KEY"]  # file's own ENV
    (tmp_path / ".env").write_text("ENV=saas\n")
    assert Settings.load().api_key.get_secret_value() == SAAS_MAPPED["API_KEY"]  # .env beats it
    monkeypatch.setenv("ENV", "prem")
    assert Settings.load().api_key.get_secret_value() == PREM_MAPPED["API_KEY"]  # env beats .env
    s = Settings.load(env="saas")
    assert (s.env, s.wos_instance_id) == ("saas", SAAS_MAPPED["WOS_INSTANCE_ID"])  # arguments
    monkeypatch.setenv("WOS_INSTANCE_ID", "from-env")
    assert Settings.load().wos_instance_id == "from-env"  # the environment still beats the file


def test_a_missing_env_section_gives_nothing_from_the_other(monkeypatch, tmp_path):
    cfg = tmp_path / "credentials.cfg"
    cfg.write_text(json.dumps({"saas": ORIGINAL_CFG["saas"], "aws": ORIGINAL_CFG["aws"]}))
    monkeypatch.setenv("MONITOR_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("ENV", "prem")
    s = Settings.load()
    assert (s.api_key, s.wos_instance_id, s.bucket_name) == (None, None, None)
    assert s.aws_role == AWS_MAPPED["AWS_ROLE"]


def test_aws_region_is_the_fallback_of_aws_default_region(monkeypatch, original_cfg):
    monkeypatch.delenv("MONITOR_CONFIG_FILE")
    assert Settings.load().aws_default_region == "ca-central-1"
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    assert Settings.load().aws_default_region == "us-west-2"
    monkeypatch.setenv("MONITOR_CONFIG_FILE", str(original_cfg))  # region_name: eu-west-3
    assert Settings.load().aws_default_region == "eu-west-3"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert Settings.load().aws_default_region == "ap-south-1"


def live_ready(monkeypatch, **env):
    ready = {"AWS_ACCESS_KEY_ID": "made-up-access-key-id", "AWS_SECRET_ACCESS_KEY": SECRET,
             "AWS_ROLE": "arn:role", "BUCKET_NAME": "b", "API_KEY": SECRET + "-ibm",
             "WOS_INSTANCE_ID": "w", "MODEL_ENTRY_ID": "m", "CATALOG_ID": "c", **env}
    for name, value in ready.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return Settings.load()


@pytest.mark.parametrize(("env", "reason"), [
    ({"AWS_SESSION_TOKEN": SECRET + "-token"}, "AWS_SESSION_TOKEN is set"),
    ({"AWS_ACCESS_KEY_ID": "ASIA-made-up-temporary"}, "starts with ASIA"),
    ({"AWS_PROFILE": "sso-dev", "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None},
     "AWS_PROFILE is set without"),
])
def test_live_refuses_temporary_aws_credentials_naming_why(monkeypatch, env, reason):
    s = live_ready(monkeypatch, **env)
    with pytest.raises(SettingsError) as err:
        s.require_live()
    message = str(err.value)
    assert reason in message
    assert "SageMakerCredentials(access_key_id, secret_access_key, region)" in message
    assert "IAM user's access key pair" in message and "unset AWS_SESSION_TOKEN" in message
    assert SECRET not in message and "ASIA-made-up-temporary" not in message


def test_live_accepts_static_keys(monkeypatch):
    s = live_ready(monkeypatch, AWS_PROFILE="also-set")
    assert s.missing_for_live() == [] and s.live_refusals() == []
    s.require_live()


def test_factsheets_region_and_instance(monkeypatch):
    s = Settings.load()
    assert (s.factsheets_region, s.factsheets_instance_id) == ("dallas", None)
    assert s.effective_factsheets_url == "https://api.dataplatform.cloud.ibm.com"
    monkeypatch.setenv("FACTSHEETS_REGION", "frankfurt")
    monkeypatch.setenv("FACTSHEETS_INSTANCE_ID", "fs-instance-1")
    s = Settings.load()
    assert s.effective_factsheets_url == "https://api.eu-de.dataplatform.cloud.ibm.com"
    assert s.factsheets_instance_id == "fs-instance-1"
    monkeypatch.setenv("FACTSHEETS_REGION", "aws_mumbai")
    with pytest.raises(SettingsError, match="FACTSHEETS_REGION.*'dallas'"):
        Settings.load()


def _plain(settings: Settings) -> dict:
    """Every field's value, secrets in clear, for comparing two settings objects."""
    return {name: (value.get_secret_value() if hasattr(value, "get_secret_value") else value)
            for name, value in settings}


def test_environment_gives_what_was_set_and_keeps_secrets_out_unless_asked():
    s = Settings.load(env="prem", cp4d_url="https://cp4d.example", cp4d_username="admin",
                      cp4d_password=SECRET, api_key=None, wait_first_s=0.01)
    assert s.environment() == {"ENV": "prem", "CP4D_URL": "https://cp4d.example",
                               "CP4D_USERNAME": "admin", "WAIT_FIRST_S": "0.01"}
    assert s.environment(secrets=True) == {**s.environment(), "CP4D_PASSWORD": SECRET}


def test_environment_loads_the_same_settings_in_a_new_process(monkeypatch, tmp_path):
    """What a child process started with :meth:`Settings.environment` reads back."""
    s = Settings.load(env="saas", api_key=SECRET, aws_access_key_id="AKIAEXAMPLE",
                      aws_secret_access_key=SECRET, aws_endpoint_url="http://127.0.0.1:5000",
                      bucket_name="b", wait_first_s=0.0, wait_max_s=0.1, ibm_max_retries=0,
                      state_dir=tmp_path / "state")
    for name, value in s.environment(secrets=True).items():
        monkeypatch.setenv(name, value)
    assert _plain(Settings.load()) == _plain(s)
