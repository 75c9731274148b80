"""The emulated services served over HTTP on 127.0.0.1, and the settings that reach them there as
live would: moto's threaded server, the SageMaker front, the IBM emulators as one Cloud Pak for
Data cluster.

Why apart from the worlds: the rehearsal world is built from these servers, and the in-process
world opens them too when another process must reach its state (after a crash); each world
imports this module, neither imports the other.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from mlmonitor_harness.emulated_services import (
    ACCOUNT_ID,
    CP4D_URL,
    REGION,
    ROLE_NAME,
    IbmServices,
    wait_settings,
)
from mlmonitor_lib.emulators.pace import Pace
from mlmonitor_lib.settings import Settings

# Fake credentials: moto accepts any key pair; they need not look like real ones.
ACCESS_KEY_ID = "rehearsal-access-key"
SECRET_ACCESS_KEY = "rehearsal-secret-access-key"  # emulator-only

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
        wos_instance_id=None, state_dir=state_dir, evidence_dir=state_dir.parent / "evidence",
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
