"""The emulated world a mock run talks to, in this process: moto, the local SageMaker data plane,
and the IBM emulators (IAM, Watson OpenScale, AI Factsheets) on ``responses``, plus the
:class:`~mlmonitor_lib.settings.Settings` that point the library at them; and the live world,
which offers the same attributes from the user's own settings.

Used by the test fixtures, steps and benchmarks. The library never sees this module: it only
gets the settings and the ``boto3.Session`` built here. Requests to any host no emulator serves
are refused by ``responses``, so a mock run cannot reach a network.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmonitor_harness.emulated_services import (
    ACCOUNT_ID,
    REGION,
    ROLE_NAME,
    IbmFlavour,
    IbmServices,
    ensure_execution_role,
    wait_settings,
)
from mlmonitor_harness.loopback import (
    loopback_settings,
    serve_cp4d_cluster,
    serve_sagemaker_front,
    start_moto_server,
)
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.settings import SAAS_IAM_URL, Settings


@dataclass
class MockWorld:
    """Start with :meth:`start`, stop with :meth:`stop` (or use as a context manager).

    ``flavour`` picks how IBM is reached: ``saas`` (IBM Cloud, API key through IAM) or ``prem``
    (Cloud Pak for Data, user name and password). Both are served at once by the same state, so
    :meth:`settings_for` gives either. ``pace`` (``instant`` or ``realistic``; default
    ``MLMONITOR_PACE``) drives every emulator's state machines and the settings' pauses.
    """

    workdir: Path | None = None
    flavour: IbmFlavour = "saas"
    pace: Pace = field(default_factory=Pace.from_env)
    bucket: str = field(default_factory=lambda: f"sagemaker-{REGION}-{secrets.token_hex(4)}")
    settings: Settings | None = None
    session: Any = None  # boto3.Session with the local SageMaker hooks installed
    local_sagemaker: Any = None
    ibm: IbmServices | None = None
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _opened: Settings | None = None

    def start(self) -> MockWorld:
        import responses
        from moto import mock_aws

        from mlmonitor_harness.sdk_clock import instant_sdk_waits
        from mlmonitor_lib.aws import boto3_session
        from mlmonitor_lib.emulators.sagemaker_local import LocalSageMaker, moto_config
        from mlmonitor_lib.emulators.transport import mount

        if self.workdir is None:
            self.workdir = Path(self._stack.enter_context(
                tempfile.TemporaryDirectory(prefix="mlmonitor-mock-")))
        self._stack.enter_context(mock_aws(config=moto_config()))
        rsps = self._stack.enter_context(
            responses.RequestsMock(assert_all_requests_are_fired=False))
        self.pace = Pace(self.pace) if isinstance(self.pace, str) else self.pace
        self._stack.enter_context(instant_sdk_waits(self.pace))
        # OpenScale asks this world's SageMaker (moto + the local data plane, through the
        # hooked session made below) with the provider's keys, as the real one asks AWS.
        self.ibm = IbmServices.create(self.workdir, self.pace, sagemaker=self._sagemaker)
        for flavour in ("saas", "prem"):
            for url, router in self.ibm.routers(flavour).items():
                mount(rsps, url, router)
        self.settings = self.settings_for(self.flavour)
        self.session = boto3_session(self.settings)
        self.local_sagemaker = LocalSageMaker(self.session, self.workdir / "sagemaker",
                                              pace=self.pace).install()
        self._stack.callback(self.local_sagemaker.uninstall)
        ensure_execution_role(self.session)
        return self

    def _sagemaker(self, credentials: dict[str, Any], service: str = "sagemaker") -> Any:
        """A SageMaker (or runtime) client of this world's session acting with a provider's
        credentials."""
        from mlmonitor_lib.emulators.openscale.discovery import sagemaker_from_session

        if self.session is None:
            raise RuntimeError("start() the world first")
        return sagemaker_from_session(self.session)(credentials, service)

    def settings_for(self, flavour: IbmFlavour) -> Settings:
        """Settings reaching this world, with IBM reached as IBM Cloud or as CP4D."""
        if self.ibm is None or self.workdir is None:
            raise RuntimeError("start() the world first")
        return Settings.load(
            aws_access_key_id="mock-access-key", aws_secret_access_key="mock-secret-key",
            aws_default_region=REGION, aws_endpoint_url=None, aws_session_token=None,
            bucket_name=self.bucket, wos_url=None, factsheets_url=None, auth_endpoint=None,
            iam_url=SAAS_IAM_URL,
            aws_role=f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}",
            state_dir=self.workdir / "state", evidence_dir=self.workdir / "evidence",
            **self.ibm.settings(flavour),
            **wait_settings(self.pace),
        )

    def open_to_other_processes(self) -> Settings:
        """Settings another process uses to reach this world's state, e.g. to clean up from a
        state file after a crash as a user would, in a new session.

        Opened on first call, closed with the world: moto's threaded server (it serves the
        in-process ``mock_aws`` backends), the SageMaker front over this world's hooked session
        (its local data plane included) and the IBM emulators as a Cloud Pak for Data cluster,
        all on 127.0.0.1. IBM is reached as CP4D whichever flavour created the resources: both
        flavours share one state, and the AI Factsheets SDK's IBM Cloud hosts are hard-coded.
        """
        if self._opened is None:
            if self.ibm is None or self.workdir is None:
                raise RuntimeError("start() the world first")
            moto_url = start_moto_server(self._stack)
            aws_url = serve_sagemaker_front(self._stack, self.session, moto_url)
            ibm_url = serve_cp4d_cluster(self._stack, self.ibm)
            self._opened = loopback_settings(aws_url, self.bucket, self.ibm, ibm_url,
                                             self.workdir / "state", self.pace)
        return self._opened

    def stop(self) -> None:
        self._stack.close()
        self._opened = None

    def __enter__(self) -> MockWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class LiveWorld:
    """Real accounts: the same attributes the emulated worlds offer, from the user's settings."""

    settings: Settings
    session: Any = None
    ibm: None = None

    def __post_init__(self) -> None:
        from mlmonitor_lib.aws import boto3_session

        self.session = boto3_session(self.settings)

    def settings_for(self, flavour: IbmFlavour) -> Settings:
        if flavour != self.settings.env:
            raise LookupError(
                f"the live account is ENV={self.settings.env}; scenarios for ENV={flavour} "
                "need a second run with that account's settings"
            )
        return self.settings

    def open_to_other_processes(self) -> Settings:
        """The account's own settings: another process reaches it as this one does."""
        return self.settings
