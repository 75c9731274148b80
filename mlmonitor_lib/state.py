"""Lifecycle state and resource ledger, persisted atomically as JSON after every change.

The state file is the ledger: every cloud resource is recorded the moment it is created, so
``cleanup()`` can find and delete it, also from another process after a crash. Adapters only see
the small :class:`Ledger` protocol; the use case owns the rest of the state.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, ValidationError

from mlmonitor_lib.errors import StateError

Service = Literal["serving", "wos", "factsheets", "storage", "training"]


class Ledger(Protocol):
    """What an adapter needs to report the resources it creates and deletes."""

    def record(self, service: Service, kind: str, resource_id: str, **attrs: Any) -> None: ...

    def forget(self, service: Service, kind: str, resource_id: str) -> None: ...


class Resource(BaseModel):
    """One cloud resource the run created; ``deleted_at`` is set once it is gone."""

    service: Service
    kind: str
    id: str
    attrs: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    deleted_at: datetime | None = None

    @property
    def alive(self) -> bool:
        return self.deleted_at is None


class LifecycleState(BaseModel):
    """Where one model's onboarding stands; every id a later step or process needs."""

    run_id: str
    source_dir: str
    catalog_id: str | None = None
    model_entry_id: str | None = None
    trained: bool = False
    deployed: bool = False
    governed: bool = False
    monitored: bool = False
    evaluated: bool = False
    job_name: str | None = None
    model_data: str | None = None
    training_metrics: dict[str, Any] = Field(default_factory=dict)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    model_name: str | None = None
    endpoint_config_name: str | None = None
    endpoint_name: str | None = None
    ids: dict[str, str] = Field(default_factory=dict)
    last_evaluation: dict[str, Any] | None = None
    # what the release gate decides on (mlmonitor_lib.gate.records): the feedback and payload
    # records logged to the subscription named by records_subscription
    records_subscription: str | None = None
    feedback_records: list[dict[str, Any]] = Field(default_factory=list)
    payload_records: list[dict[str, Any]] = Field(default_factory=list)
    evidence_pack: str | None = None
    resources: list[Resource] = Field(default_factory=list)


class StateStore:
    """A :class:`LifecycleState` bound to its file; implements :class:`Ledger`."""

    def __init__(self, path: Path, state: LifecycleState) -> None:
        self.path = Path(path)
        self.state = state
        self._observers: list[Callable[[Resource], None]] = []

    def observe(self, observer: Callable[[Resource], None]) -> None:
        """Call ``observer`` with the resource each time one is recorded, once it is saved
        (the crash-injection harness makes a run fail right after a chosen creation)."""
        self._observers.append(observer)

    @classmethod
    def create(cls, path: Path, state: LifecycleState) -> StateStore:
        store = cls(path, state)
        store.save()
        return store

    @classmethod
    def load(cls, path: Path) -> StateStore:
        path = Path(path)
        try:
            raw = path.read_text()
        except FileNotFoundError:
            raise StateError(
                f"state file {path} does not exist: pass the file a previous run wrote "
                "(see ModelUseCase.state_file)"
            ) from None
        try:
            state = LifecycleState.model_validate_json(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}"
                for e in exc.errors(include_input=False)
            )
            raise StateError(
                f"state file {path} is not a valid lifecycle state: {problems}"
            ) from None
        return cls(path, state)

    def save(self) -> None:
        """Write atomically: a temp file in the same directory, fsync, then rename."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = self.state.model_dump_json(indent=2)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def update(self, **fields: Any) -> None:
        """Set state fields and persist at once."""
        for name, value in fields.items():
            if name not in LifecycleState.model_fields:
                raise StateError(f"unknown lifecycle state field {name!r}")
            setattr(self.state, name, value)
        self.save()

    # Ledger ----------------------------------------------------------------------------
    def record(self, service: Service, kind: str, resource_id: str, **attrs: Any) -> None:
        res = next((r for r in self.state.resources
                    if (r.service, r.kind, r.id) == (service, kind, resource_id) and r.alive), None)
        if res is not None:
            res.attrs.update(attrs)
        else:
            res = Resource(
                service=service, kind=kind, id=resource_id, attrs=json.loads(json.dumps(attrs))
            )
            self.state.resources.append(res)
        self.save()
        for observer in self._observers:
            observer(res)

    def forget(self, service: Service, kind: str, resource_id: str) -> None:
        for res in self.state.resources:
            if (res.service, res.kind, res.id) == (service, kind, resource_id) and res.alive:
                res.deleted_at = datetime.now(UTC)
        self.save()

    def alive(self, service: Service | None = None, kind: str | None = None) -> list[Resource]:
        """Resources not yet deleted, newest first (the order cleanup deletes them in)."""
        found = [
            r
            for r in self.state.resources
            if r.alive and (service is None or r.service == service) and (kind in (None, r.kind))
        ]
        return list(reversed(found))
