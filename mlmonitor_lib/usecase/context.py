"""What a stage module may use of the use case (``StageContext``), and the settings it requires.

:class:`~mlmonitor_lib.usecase.lifecycle.ModelUseCase` is the one implementation; the stages
name this protocol instead of the class, so that the class can import them without a circle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from mlmonitor_lib.errors import SettingsError

if TYPE_CHECKING:
    import boto3

    from mlmonitor_lib.ibm.openscale import OpenScaleMonitor
    from mlmonitor_lib.settings import Settings
    from mlmonitor_lib.signature import ModelSignature
    from mlmonitor_lib.state import LifecycleState, StateStore
    from mlmonitor_lib.usecase.port import TestSet, UseCaseProfile


class StageContext(Protocol):
    """The use case as its stages see it: configuration, clients, ledger, data and output."""

    settings: Settings
    session: boto3.Session
    signature: ModelSignature
    profile: UseCaseProfile
    source_dir: Path
    data_dir: Path
    store: StateStore
    hyperparameter_overrides: dict[str, Any]

    @property
    def state(self) -> LifecycleState: ...

    @property
    def stream(self) -> TextIO: ...

    @property
    def hyperparameters(self) -> dict[str, Any]: ...

    @property
    def scoring_url(self) -> str: ...

    @property
    def wos(self) -> OpenScaleMonitor: ...

    def test_set(self) -> TestSet: ...


def required_setting(settings: Settings, field: str, name: str) -> str:
    """The value of a setting a stage cannot do without; refused by its variable's name."""
    value = getattr(settings, field)
    if not value:
        raise SettingsError(f"{name} is not set: set it in the environment, .env or "
                            "the MONITOR_CONFIG_FILE credentials file")
    return str(value)
