"""What every emulated world is built from: the fixed names of the emulated accounts, the IBM
emulators' shared state (:class:`IbmServices`), the SageMaker execution role, and the library's
pauses that suit a pace.

Why a module of its own: the in-process world (:mod:`.world`) and the loopback one
(:mod:`.rehearsal`, :mod:`.loopback`) are built from the same parts; kept here, neither world
imports the other.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.settings import SAAS_IAM_URL

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
