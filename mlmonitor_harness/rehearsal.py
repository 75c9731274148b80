"""Rehearsal: the emulated world over real HTTP on 127.0.0.1, reached exactly as live is.

:class:`RehearsalWorld` offers what :class:`~mlmonitor_harness.world.MockWorld` offers
(``start``/``stop``, ``settings``, ``session``, ``ibm``, ``settings_for``), but nothing is
patched in the client's process: the library gets only :class:`~mlmonitor_lib.settings.Settings`
holding URLs and (fake) credentials, and a ``boto3.Session`` built from them with no hooks.
What this proves that mock mode cannot: endpoint resolution, request signing, HTTP transport,
CP4D authentication and the SDKs' URL building all work against a server they have to reach.

* AWS: moto's ``ThreadedMotoServer`` behind a
  :class:`~mlmonitor_lib.emulators.sagemaker_front.SageMakerFront` that
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
import secrets
import shlex
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmonitor_harness.emulated_services import (
    REGION,
    IbmFlavour,
    IbmServices,
    ensure_execution_role,
)
from mlmonitor_harness.loopback import (
    aws_settings,
    loopback_settings,
    serve_cp4d_cluster,
    serve_sagemaker_front,
    start_moto_server,
)
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.settings import Settings

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
    does, to keep a rehearsal as quick as a mock run). ``pace`` (a :class:`Pace` or its name, so
    the CLI passes ``--pace`` as it is) drives every emulator's state machines and the
    settings' pauses, as in :class:`~.world.MockWorld`.
    """

    workdir: Path | None = None
    flavour: IbmFlavour = "prem"
    pace: Pace | str = field(default_factory=Pace.from_env)
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


def exports(settings: Settings) -> list[str]:
    """``export NAME=value`` lines that point a shell (and anything it starts) at the world.

    The only place the emulator's password is printed: the user needs it to log in.
    """
    return [f"export {name}={shlex.quote(value)}"
            for name, value in settings.environment(secrets=True).items()]
