"""The emulated world a mock run talks to: moto, the local SageMaker data plane, and the IBM
emulators (IAM, Watson OpenScale, AI Factsheets) on ``responses``, plus the
:class:`~mlmonitor_lib.settings.Settings` that point the library at them.

Used by the test fixtures and by ``python -m mlmonitor_lib emulators serve``. The library never
sees this module: it only gets the settings and the ``boto3.Session`` built here. Requests to any
host no emulator serves are refused by ``responses``, so a mock run cannot reach a network.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.settings import SAAS_IAM_URL, Settings

REGION = "ca-central-1"
ACCOUNT_ID = "123456789012"  # moto's default account
ROLE_NAME = "AmazonSageMaker-ExecutionRole-mock"
IBM_ACCOUNT = "mock-ibm-account"
CP4D_URL = "https://cp4d.mock.example"
CP4D_USER = "admin"
USE_CASE_NAME = "MNIST handwritten digits"
IbmFlavour = Literal["saas", "prem"]


def wait_settings(pace: Pace) -> dict[str, float]:
    """The library's pauses between status checks (``WAIT_FIRST_S``, ``WAIT_MAX_S``) that
    suit a world at ``pace``.

    instant: the state machines advance per observation, so the first checks come at once;
    the pauses still grow to 0.1 s because some stages last as long as real work (a model
    load, a training process) and a poll with no pause at all would spin against that work
    for seconds. realistic: 0.05 s to 0.5 s, against states lasting 0.2 s to 3 s.
    """
    if pace.instant:
        return {"wait_first_s": 0.01, "wait_max_s": 0.1}
    return {"wait_first_s": 0.05, "wait_max_s": 0.5}


@dataclass
class IbmServices:
    """The IBM emulators' state, shared by every transport and flavour."""

    iam: Any
    openscale: Any
    factsheets: Any
    api_key: str
    password: str
    catalog_id: str
    model_entry_id: str
    fault_plans: dict[str, Any] = field(default_factory=dict)  # service -> FaultPlan

    @classmethod
    def create(cls, workdir: Path, pace: Pace | None = None,
               sagemaker: Any = None) -> IbmServices:
        """Fresh emulators; ``pace`` drives OpenScale's state machines (default:
        ``MLMONITOR_PACE``); ``sagemaker`` is how OpenScale reaches SageMaker with a provider's
        keys (:func:`~.openscale.discovery.sagemaker_from_session`), to list its deployments."""
        from mlmonitor_lib.emulators.factsheets import FactsheetsBackend
        from mlmonitor_lib.emulators.iam import IamBackend
        from mlmonitor_lib.emulators.openscale import OpenScaleBackend

        workdir.mkdir(parents=True, exist_ok=True)
        api_key, password = f"mock-apikey-{secrets.token_hex(8)}", secrets.token_hex(8)
        iam = IamBackend(api_keys={api_key: IBM_ACCOUNT}, users={CP4D_USER: password})
        factsheets = FactsheetsBackend()
        catalog_id, model_entry_id = str(uuid.uuid4()), str(uuid.uuid4())
        factsheets.add_model_use_case(catalog_id, model_entry_id, name=USE_CASE_NAME)
        openscale = OpenScaleBackend(str(workdir / "openscale.sqlite"),
                                     pace=pace or Pace.from_env(), sagemaker=sagemaker)
        return cls(iam, openscale, factsheets, api_key, password, catalog_id, model_entry_id)

    def routers(self, flavour: IbmFlavour) -> dict[str, Any]:
        """Base URL -> router, for IBM Cloud's fixed hosts or one CP4D cluster URL."""
        from mlmonitor_lib.emulators import iam
        from mlmonitor_lib.emulators.factsheets import make_router as factsheets_router
        from mlmonitor_lib.emulators.factsheets import saas_routers
        from mlmonitor_lib.emulators.openscale import make_router as openscale_router
        from mlmonitor_lib.emulators.routing import Router
        from mlmonitor_lib.settings import SAAS_WOS_URL

        wos = openscale_router(self.openscale, self.iam).with_faults(self.faults("openscale"))
        if flavour == "prem":  # cp4d_router's composition, each part with its own fault plan
            cluster = [iam.make_router(self.iam).with_faults(self.faults("iam")),
                       factsheets_router(self.factsheets, self.iam).with_faults(
                           self.faults("factsheets")), wos]
            return {CP4D_URL: Router.combine("cp4d", *cluster)}
        factsheets = {url: router.with_faults(self.faults("factsheets"))
                      for url, router in saas_routers(self.factsheets, self.iam).items()}
        return {
            SAAS_IAM_URL: iam.make_router(self.iam).with_faults(self.faults("iam")),
            SAAS_WOS_URL: wos,
            **factsheets,
        }

    def faults(self, service: str) -> Any:
        """The fault plan of ``openscale``, ``factsheets`` or ``iam`` (see
        :mod:`mlmonitor_lib.emulators.faults`), shared by every router and transport."""
        from mlmonitor_lib.emulators.faults import FaultPlan

        if service not in ("openscale", "factsheets", "iam"):
            raise KeyError(f"no IBM emulator named {service!r}: openscale, factsheets or iam")
        return self.fault_plans.setdefault(service, FaultPlan(service))

    def faults_injected(self) -> dict[str, int]:
        """How many faults each service injected so far."""
        return {name: plan.total_injected for name, plan in self.fault_plans.items()}

    def settings(self, flavour: IbmFlavour, urls: dict[str, str] | None = None) -> dict[str, Any]:
        """Settings fields that reach these emulators (``urls`` remaps for loopback serving)."""
        from mlmonitor_lib.emulators.openscale import DEFAULT_INSTANCE_ID

        common = {"catalog_id": self.catalog_id, "model_entry_id": self.model_entry_id}
        if flavour == "prem":
            return {**common, "env": "prem", "cp4d_url": (urls or {}).get(CP4D_URL, CP4D_URL),
                    "cp4d_username": CP4D_USER, "cp4d_password": self.password}
        return {**common, "env": "saas", "api_key": self.api_key,
                "wos_instance_id": DEFAULT_INSTANCE_ID}

    def reset(self) -> None:
        """Back to the state :meth:`create` made: empty services with the settings' model use
        case pre-seeded again (its ids are in the settings), no planned fault, no counts."""
        for backend in (self.openscale, self.factsheets):
            backend.reset()
        self.factsheets.add_model_use_case(self.catalog_id, self.model_entry_id,
                                           name=USE_CASE_NAME)
        for plan in self.fault_plans.values():
            plan.reset()

    # inspection: what the services hold, read from their state, for independent checks
    def factsheets_assets_for(self, model_entry_id: str | None) -> list[str]:
        """Ids of the model assets tracked in a model use case."""
        return sorted(
            asset.id for asset in self.factsheets.assets.values()
            if asset.tracking and asset.tracking.model_entry_id == model_entry_id
        )

    def openscale_leftovers(self, subscription_id: str) -> list[str]:
        """What still refers to a subscription: itself, its data sets, its monitors."""
        found = []
        for kind in ("subscriptions", "data_sets", "monitor_instances"):
            for rid, doc in self.openscale.resources[kind].items():
                target = (doc.get("entity", {}).get("target") or {}).get("target_id")
                if subscription_id in (rid, target):
                    found.append(f"{kind}/{rid}")
        return found


def ensure_execution_role(session: Any) -> None:
    """The SageMaker execution role the settings name, created unless moto already holds it.

    Why "unless": moto's threaded server serves process-wide backends, so a rehearsal world
    started after another one in the same process finds the role already there.
    """
    from mlmonitor_lib.aws import make_client

    iam = make_client(session, "iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument="{}", Path="/")


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
            state_dir=self.workdir / "state", **self.ibm.settings(flavour),
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
            from mlmonitor_lib.emulators.rehearsal import (
                loopback_settings,
                serve_cp4d_cluster,
                serve_sagemaker_front,
                start_moto_server,
            )

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
