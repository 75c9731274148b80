"""The OpenScale SDK client, logged in for IBM Cloud or Cloud Pak for Data, and the translation
of the SDK's failures into errors that name the operation and the fix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mlmonitor_lib.errors import ServiceError, SettingsError

if TYPE_CHECKING:
    from mlmonitor_lib.settings import Settings

SERVICE = "wos"
SERVICE_NAME = "Watson OpenScale"  # how errors name the service
ORIGINAL_PREDICTION = "_original_prediction"
DEFAULT_BATCH = 1000
MONITOR_KIND = "monitor_instance"
RESOURCE_KINDS = ("data_mart", "service_provider", "subscription")
# How long to wait for what OpenScale does asynchronously. IBM/mlmonitor's
# src/wos/run_payload_logging.py polls get_records_count every 5 s, 13 times (patience = 12),
# after store_records(background_mode=False) returned: about 65 s. IBM's samples sleep 5-10 s
# before listing a new subscription's data sets; we allow them the same deadline.
RECORDS_TIMEOUT_S = 65.0
DATA_SETS_TIMEOUT_S = 65.0


# errors --------------------------------------------------------------------------------------
@contextlib.contextmanager
def sdk_call(operation: str, fix: str) -> Iterator[None]:
    """Translate what the SDK raises into a :class:`ServiceError` naming operation and fix."""
    import requests
    from ibm_cloud_sdk_core import ApiException
    from ibm_watson_openscale.utils.client_errors import ClientError

    try:
        yield
    except ApiException as exc:
        raise ServiceError(
            f"Watson OpenScale: {operation} failed with HTTP {exc.code}: "
            f"{str(exc.message).rstrip('.')}. {fix}"
        ) from None
    except ClientError as exc:
        raise ServiceError(f"Watson OpenScale: {operation} was refused: {exc}. {fix}") from None
    except requests.exceptions.RetryError as exc:  # retries exhausted on 429/5xx replies
        from mlmonitor_lib.ibm.retries import exhausted_status

        status = exhausted_status(exc)
        raise ServiceError(
            f"Watson OpenScale: {operation} failed with HTTP {status or 'error'} on every "
            f"retry. The service is unavailable or throttling: retry later. {fix}"
        ) from None
    except requests.RequestException as exc:
        raise ServiceError(
            f"Watson OpenScale: {operation} could not reach the service "
            f"({exc.__class__.__name__}). Check WOS_URL / CP4D_URL and the network. {fix}"
        ) from None


# client ------------------------------------------------------------------------------------
def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _authenticator(settings: Settings, max_retries: int, retry_interval: float) -> Any:
    """IAM (IBM Cloud) or CP4D authenticator whose token requests retry like service calls."""
    from mlmonitor_lib.ibm.retries import retry_token_requests

    return retry_token_requests(_plain_authenticator(settings), max_retries, retry_interval)


def _plain_authenticator(settings: Settings) -> Any:
    from ibm_cloud_sdk_core.authenticators import CloudPakForDataAuthenticator, IAMAuthenticator

    if settings.env == "prem":
        if not (settings.cp4d_url and settings.cp4d_username):
            raise SettingsError(
                "CP4D needs CP4D_URL and CP4D_USERNAME (and CP4D_PASSWORD or "
                "API_KEY): set them in the environment, .env or the credentials "
                "file"
            )
        password, api_key = _secret(settings.cp4d_password), _secret(settings.api_key)
        if not (password or api_key):
            raise SettingsError("CP4D needs CP4D_PASSWORD or API_KEY for CP4D_USERNAME")
        return CloudPakForDataAuthenticator(
            username=settings.cp4d_username,
            password=password,
            url=settings.cp4d_url.rstrip("/"),
            apikey=None if password else api_key,
            disable_ssl_verification=True,
        )
    if settings.api_key is None:
        raise SettingsError("IBM Cloud needs API_KEY for Watson OpenScale")
    return IAMAuthenticator(_secret(settings.api_key), url=settings.effective_iam_url)


def build_client(
    settings: Settings, retries: int | None = None, retry_interval: float | None = None
) -> Any:
    """An ``ibm_watson_openscale.APIClient`` for IBM Cloud or CP4D, with SDK retries on
    (``retries`` and ``retry_interval`` default to ``IBM_MAX_RETRIES`` / ``IBM_RETRY_INTERVAL``).

    On IBM Cloud the instance id is always passed: with a custom ``service_url`` the SDK would
    otherwise skip the instance look-up and fail its entitlement check with "instance None".
    """
    # On CP4D the SDK chooses the instance itself when none is given (get_instance_guid: the
    # fixed all-zero id every CP4D OpenScale has), so there is no second copy of that id here.
    instance_id = settings.wos_instance_id or None
    if instance_id is None and settings.env != "prem":
        raise SettingsError(
            "IBM Cloud needs WOS_INSTANCE_ID (the GUID of your Watson OpenScale "
            "instance, shown in its service credentials)"
        )
    from ibm_watson_openscale import APIClient

    max_retries = settings.ibm_max_retries if retries is None else retries
    interval = settings.ibm_retry_interval if retry_interval is None else retry_interval
    from mlmonitor_lib.ibm.http_debug import http_client_untouched
    from mlmonitor_lib.ibm.retries import retrying_requests

    # On CP4D the SDK also posts to /icp4d-api/v1/authorize itself at login, through the
    # module-level requests.post: that call retries only inside retrying_requests.
    with sdk_call("login", "Check API_KEY / CP4D credentials and the IAM or CP4D URL."), \
            retrying_requests(max_retries, interval), http_client_untouched():
        try:
            client = APIClient(
                authenticator=_authenticator(settings, max_retries, interval),
                service_url=settings.effective_wos_url,
                service_instance_id=instance_id,
            )
        except (SettingsError, ServiceError):
            raise
        except Exception as exc:  # noqa: BLE001 - the CP4D login raises a bare Exception
            if exc.__class__.__module__.startswith(("ibm_cloud_sdk_core", "requests")):
                raise
            raise ServiceError(
                f"Watson OpenScale: login failed: {exc}. Check CP4D_USERNAME "
                "and CP4D_PASSWORD / API_KEY."
            ) from None
    client.enable_retries(max_retries=max_retries, retry_interval=interval)
    return client
