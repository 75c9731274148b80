"""Rehearsal: the emulated world over real HTTP on 127.0.0.1, reached exactly as live is.

:class:`RehearsalWorld` offers what :class:`~mlmonitor_lib.emulators.world.MockWorld` offers
(``start``/``stop``, ``settings``, ``session``, ``ibm``, ``settings_for``), but nothing is
patched in the client's process: the library gets only :class:`~mlmonitor_lib.settings.Settings`
holding URLs and (fake) credentials, and a ``boto3.Session`` built from them with no hooks.
What this proves that mock mode cannot: endpoint resolution, request signing, HTTP transport,
CP4D authentication and the SDKs' URL building all work against a server they have to reach.

* AWS: moto's ``ThreadedMotoServer`` behind a :class:`~.sagemaker_front.SageMakerFront` that
  runs the local SageMaker data plane server side (training really runs, endpoints really
  serve); the client reaches the front through ``AWS_ENDPOINT_URL``.
* IBM: the IAM/OpenScale/Factsheets emulators served as one Cloud Pak for Data cluster
  (``ENV=prem``, ``CP4D_URL``, user name and password). IBM Cloud (``saas``) cannot be
  rehearsed: the Factsheets SDK's IBM Cloud login uses hard-coded hosts.

``python -m mlmonitor_lib emulators serve`` runs the same servers standalone (:func:`exports`
prints what to export), so users can point their own scripts and notebooks at them.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import shlex
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.emulators.world import (
    ACCOUNT_ID,
    CP4D_URL,
    REGION,
    ROLE_NAME,
    IbmFlavour,
    IbmServices,
    ensure_execution_role,
    wait_settings,
)
from mlmonitor_lib.settings import Settings

# Fake credentials: moto accepts any key pair; they need not look like real ones.
ACCESS_KEY_ID = "rehearsal-access-key"
SECRET_ACCESS_KEY = "rehearsal-secret-access-key"  # emulator-only
SAAS_UNAVAILABLE = (
    "rehearsal mode serves IBM as Cloud Pak for Data only (ENV=prem): the AI Factsheets SDK's "
    "IBM Cloud login uses hard-coded hosts (iam.cloud.ibm.com, api.dataplatform.cloud.ibm.com) "
    "that cannot be pointed at 127.0.0.1; IBM Cloud scenarios run in mock and live modes"
)


@dataclass
class RehearsalWorld:
    """Start with :meth:`start`, stop with :meth:`stop` (or use as a context manager).

    ``aws_port``/``ibm_port`` 0 pick free ports. ``instant_waits`` makes the OpenScale SDK's
    5-second polls instant in this process (the servers never need it; the in-process library
    does, to keep a rehearsal as quick as a mock run). ``pace`` drives every emulator's state
    machines and the settings' pauses, as in :class:`~.world.MockWorld`.
    """

    workdir: Path | None = None
    flavour: IbmFlavour = "prem"
    pace: Pace = field(default_factory=Pace.from_env)
    aws_port: int = 0
    ibm_port: int = 0
    instant_waits: bool = True
    bucket: str = field(default_factory=lambda: f"sagemaker-{REGION}-{secrets.token_hex(4)}")
    settings: Settings | None = None
    session: Any = None  # the client's boto3.Session: no hooks, endpoint from the settings
    server_session: Any = None  # the front's own session to moto, with the LocalSageMaker hooks
    local_sagemaker: Any = None
    ibm: IbmServices | None = None
    moto_url: str = ""
    aws_url: str = ""
    ibm_url: str = ""
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def start(self) -> RehearsalWorld:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def _start(self) -> None:
        from mlmonitor_harness.sdk_clock import instant_sdk_waits
        from mlmonitor_lib.aws import boto3_session
        from mlmonitor_lib.emulators.sagemaker_local import LocalSageMaker

        if self.flavour != "prem":
            raise LookupError(SAAS_UNAVAILABLE)
        if self.workdir is None:
            self.workdir = Path(self._stack.enter_context(
                tempfile.TemporaryDirectory(prefix="mlmonitor-rehearsal-")))
        self.workdir = Path(self.workdir)
        self.pace = Pace(self.pace) if isinstance(self.pace, str) else self.pace
        if self.instant_waits:
            self._stack.enter_context(instant_sdk_waits(self.pace))

        self.moto_url = start_moto_server(self._stack)
        # The front's side: its own session to moto carries the data-plane hooks; no retries
        # there (the client's retries are the ones a rehearsal exercises).
        self.server_session = boto3_session(
            Settings.load(**aws_settings(self.moto_url, self.bucket)), max_attempts=1)
        self.local_sagemaker = LocalSageMaker(self.server_session, self.workdir / "sagemaker",
                                              pace=self.pace).install()
        self._stack.callback(self.local_sagemaker.uninstall)
        self.aws_url = serve_sagemaker_front(self._stack, self.server_session, self.moto_url,
                                             port=self.aws_port)
        ensure_execution_role(self.server_session)

        from mlmonitor_lib.emulators.openscale.discovery import sagemaker_from_session

        # OpenScale's server side reaches SageMaker as the front does (its own session to moto,
        # with the data-plane hooks), acting with each provider's keys and region.
        self.ibm = IbmServices.create(self.workdir, self.pace,
                                      sagemaker=sagemaker_from_session(self.server_session))
        self.ibm_url = serve_cp4d_cluster(self._stack, self.ibm, port=self.ibm_port)
        self.settings = self.settings_for(self.flavour)
        self.session = boto3_session(self.settings)  # what live builds: nothing installed

    def settings_for(self, flavour: IbmFlavour) -> Settings:
        """Settings reaching this world as live would: URLs and credentials, nothing else.

        Raises :class:`LookupError` for ``saas`` (the fixtures turn it into a skip).
        """
        if flavour != "prem":
            raise LookupError(SAAS_UNAVAILABLE)
        if self.ibm is None or self.workdir is None:
            raise RuntimeError("start() the world first")
        return loopback_settings(self.aws_url, self.bucket, self.ibm, self.ibm_url,
                                 self.workdir / "state", self.pace)

    def open_to_other_processes(self) -> Settings:
        """Settings another process uses to reach this world: its own, already on loopback."""
        return self.settings_for(self.flavour)

    def stop(self) -> None:
        self._stack.close()

    def __enter__(self) -> RehearsalWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def aws_settings(endpoint_url: str, bucket: str) -> dict[str, Any]:
    """The AWS half of settings reaching an emulated AWS at ``endpoint_url``."""
    return {
        "aws_access_key_id": ACCESS_KEY_ID, "aws_secret_access_key": SECRET_ACCESS_KEY,
        "aws_session_token": None, "aws_default_region": REGION,
        "aws_endpoint_url": endpoint_url, "bucket_name": bucket,
        "aws_role": f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}",
    }


def loopback_settings(aws_url: str, bucket: str, ibm: IbmServices, ibm_url: str,
                      state_dir: Path, pace: Pace | None = None) -> Settings:
    """Settings reaching an emulated world served on loopback as live would: AWS at
    ``aws_url``, IBM as the CP4D cluster at ``ibm_url``, fake credentials, and the pauses
    between status checks that suit the world's ``pace``; nothing else."""
    return Settings.load(
        **aws_settings(aws_url, bucket),
        wos_url=None, factsheets_url=None, auth_endpoint=None, api_key=None,
        wos_instance_id=None, state_dir=state_dir,
        **ibm.settings("prem", {CP4D_URL: ibm_url}),
        **wait_settings(pace or Pace.from_env()),
    )


def start_moto_server(stack: contextlib.ExitStack) -> str:
    """moto's threaded server on a free 127.0.0.1 port, stopped with ``stack``; its URL.

    It serves moto's in-process backends, so inside ``mock_aws`` it shows the mock's state.
    """
    from moto.server import ThreadedMotoServer

    # moto's werkzeug server logs every request line to stderr: keep only its warnings.
    werkzeug = logging.getLogger("werkzeug")
    stack.callback(werkzeug.setLevel, werkzeug.level)
    werkzeug.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    stack.callback(_stop_moto, server)
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def serve_sagemaker_front(stack: contextlib.ExitStack, server_session: Any, moto_url: str,
                          port: int = 0) -> str:
    """The SageMaker front (data plane through ``server_session``'s LocalSageMaker hooks, the
    rest forwarded to ``moto_url``) on loopback, stopped with ``stack``; its URL."""
    from mlmonitor_lib.emulators.sagemaker_front import Forwarder, SageMakerFront
    from mlmonitor_lib.emulators.transport import LoopbackServer

    forwarder = Forwarder(moto_url)
    stack.callback(forwarder.close)
    front = LoopbackServer(SageMakerFront(server_session, forwarder), port=port).start()
    stack.callback(front.stop)
    return front.url


def serve_cp4d_cluster(stack: contextlib.ExitStack, ibm: IbmServices, port: int = 0) -> str:
    """The IBM emulators as one Cloud Pak for Data cluster on loopback; its URL."""
    from mlmonitor_lib.emulators.transport import LoopbackServer

    (router,) = ibm.routers("prem").values()
    cluster = LoopbackServer(router, port=port).start()
    stack.callback(cluster.stop)
    return cluster.url


def _stop_moto(server: Any) -> None:
    """``ThreadedMotoServer.stop`` shuts the server down but leaves its socket open."""
    server.stop()
    inner = getattr(server, "_server", None)
    if inner is not None:
        inner.server_close()


def exports(settings: Settings) -> list[str]:
    """``export NAME=value`` lines that point a shell (and anything it starts) at the world.

    The only place the emulator's password is printed: the user needs it to log in.
    """
    return [f"export {name}={shlex.quote(value)}"
            for name, value in environment_values(settings).items()]


def environment_values(settings: Settings) -> dict[str, str]:
    """The environment variables (secrets in clear) that make a process reach the world."""
    def secret(value: Any) -> str:
        return value.get_secret_value() if value is not None else ""

    return {
        "AWS_ENDPOINT_URL": settings.aws_endpoint_url or "",
        "AWS_ACCESS_KEY_ID": secret(settings.aws_access_key_id),
        "AWS_SECRET_ACCESS_KEY": secret(settings.aws_secret_access_key),
        "AWS_DEFAULT_REGION": settings.aws_default_region,
        "AWS_ROLE": settings.aws_role or "",
        "BUCKET_NAME": settings.bucket_name or "",
        "ENV": settings.env,
        "CP4D_URL": settings.cp4d_url or "",
        "CP4D_USERNAME": settings.cp4d_username or "",
        "CP4D_PASSWORD": secret(settings.cp4d_password),
        "CATALOG_ID": settings.catalog_id or "",
        "MODEL_ENTRY_ID": settings.model_entry_id or "",
        "WAIT_FIRST_S": str(settings.wait_first_s),
        "WAIT_MAX_S": str(settings.wait_max_s),
    }
