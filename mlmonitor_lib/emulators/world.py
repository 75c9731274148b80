"""The emulated world a mock run talks to: moto, the local SageMaker data plane, and the IBM
emulators on ``responses``, plus the :class:`Settings` that point the library at them.

Used by the test fixtures and by ``python -m mlmonitor_lib emulators serve``. The library never
sees this module: it only gets the settings and the ``boto3.Session`` built here.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmonitor_lib.settings import Settings

REGION = "ca-central-1"
ACCOUNT_ID = "123456789012"  # moto's default account
ROLE_NAME = "AmazonSageMaker-ExecutionRole-mock"


@dataclass
class MockWorld:
    """Start with :meth:`start`, stop with :meth:`stop` (or use as a context manager)."""

    workdir: Path | None = None
    bucket: str = field(default_factory=lambda: f"sagemaker-{REGION}-{secrets.token_hex(4)}")
    settings: Settings | None = None
    session: Any = None  # boto3.Session with the local SageMaker hooks installed
    local_sagemaker: Any = None
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def start(self) -> MockWorld:
        from moto import mock_aws

        from mlmonitor_lib.aws import boto3_session, make_client
        from mlmonitor_lib.emulators.sagemaker_local import LocalSageMaker

        if self.workdir is None:
            self.workdir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(
                prefix="mlmonitor-mock-")))
        self._stack.enter_context(mock_aws())
        self.settings = Settings.load(
            aws_access_key_id="mock-access-key", aws_secret_access_key="mock-secret-key",
            aws_default_region=REGION, aws_endpoint_url=None, bucket_name=self.bucket,
            aws_role=f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}",
            state_dir=self.workdir / "state",
        )
        self.session = boto3_session(self.settings)
        self.local_sagemaker = LocalSageMaker(self.session, self.workdir / "sagemaker").install()
        self._stack.callback(self.local_sagemaker.uninstall)
        make_client(self.session, "iam").create_role(
            RoleName=ROLE_NAME, AssumeRolePolicyDocument="{}", Path="/"
        )
        return self

    def stop(self) -> None:
        self._stack.close()

    def __enter__(self) -> MockWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
