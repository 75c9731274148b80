"""The OpenScale emulator's resource core: id-keyed documents, secrets, reads and deletes.

Resources are the documents the API returns (``{"metadata", "entity"}``); records live in a
:class:`~.records.RecordStore` (SQLite). Secrets posted with a service provider are kept apart
in ``credentials`` and replaced by ``{"secret_id"}`` in every document, so no reply can echo
them. Every operation runs under one lock: the loopback server is threaded.

:meth:`ResourceStore.get` and :meth:`~ResourceStore.list` are what the API reads (each read is
an observation that moves an ``instant`` walk on); the emulator's own checks use
``_doc``/``_docs`` and never move a walk. The operations per area are mixins on this core
(:mod:`.providers`, :mod:`.subscriptions`, :mod:`.monitors`, :mod:`.runs`), assembled in
:class:`~.models.OpenScaleBackend`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mlmonitor_lib.emulators.openscale.definitions import monitor_definitions
from mlmonitor_lib.emulators.openscale.discovery import LISTED_STATES, SageMakerFactory
from mlmonitor_lib.emulators.openscale.exceptions import ResourceNotFound
from mlmonitor_lib.emulators.openscale.lifecycles import HIDDEN, WAITING, Delays, Lifecycles
from mlmonitor_lib.emulators.openscale.records import RecordStore
from mlmonitor_lib.emulators.pace import Pace

DEFAULT_INSTANCE_ID = "7b2d4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f"
CP4D_INSTANCE_ID = "00000000-0000-0000-0000-000000000000"
DEFAULT_MIN_FEEDBACK = 100
SAGEMAKER = "amazon_sagemaker"  # ServiceTypes.AMAZON_SAGEMAKER
ACCOUNT = "e1a7ed0ea5c0ffee0123456789abcdef"  # the emulated IBM Cloud account in CRNs
KINDS = ("data_marts", "service_providers", "subscriptions", "data_sets", "monitor_instances")


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def crn(instance_id: str, kind: str, resource_id: str) -> str:
    """A resource's CRN in the recorded form ``crn:v1:bluemix:public:aiopenscale:us-south:
    a/<account>:<instance>:<kind>:<id>`` (the service instance's own ends ``::``)."""
    return f"crn:v1:bluemix:public:aiopenscale:us-south:a/{ACCOUNT}:{instance_id}:{kind}:" \
        f"{resource_id}"


def get_path(doc: dict[str, Any], dotted: str) -> Any:
    """``entity``'s value at a dotted path (``target.target_id``), ``None`` if absent."""
    node: Any = doc["entity"]
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


class ResourceStore:
    """The state every area shares; ``reset()`` empties it.

    ``pace`` (default: ``MLMONITOR_PACE``) drives every state machine; ``delays`` are the real
    service's seconds per state; ``clock`` is injectable so tests of the realistic pace never
    sleep.

    ``sagemaker`` makes a SageMaker client from a provider's posted credentials (the world
    gives :func:`~.discovery.sagemaker_from_session` of its session): OpenScale itself calls
    SageMaker to list a provider's deployments. ``listed_states`` are the endpoint states
    listed (see :mod:`.discovery` for why only ``InService`` by default).
    """

    def __init__(
        self,
        db_path: str = ":memory:",
        pace: Pace | None = None,
        instance_ids: tuple[str, ...] = (DEFAULT_INSTANCE_ID, CP4D_INSTANCE_ID),
        plan_name: str = "standard",
        *,
        delays: Delays | None = None,
        clock: Callable[[], float] = time.monotonic,
        sagemaker: SageMakerFactory | None = None,
        listed_states: tuple[str, ...] = LISTED_STATES,
    ) -> None:
        self.sagemaker = sagemaker
        self.listed_states = tuple(listed_states)
        self.instance_ids = tuple(instance_ids)
        self.plan_name = plan_name
        self.records = RecordStore(db_path)
        self.definitions = monitor_definitions()
        self.lifecycles = Lifecycles(pace or Pace.from_env(), delays or Delays(), clock)
        self._lock = threading.RLock()
        self.reset()

    @property
    def pace(self) -> Pace:
        return self.lifecycles.pace

    def reset(self) -> None:
        with self._lock:
            self.resources: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
            self.credentials: dict[str, dict[str, Any]] = {}  # secret_id -> what was posted
            self.requests: dict[str, dict[str, Any]] = {}  # records request id -> its rows
            self.runs: dict[str, dict[str, dict[str, Any]]] = {}  # instance id -> run id -> run
            self.measurements: dict[str, list[dict[str, Any]]] = {}  # instance id -> list
            self.records.reset()
            self.lifecycles.reset()

    # generic resource handling -----------------------------------------------------------
    def _create(self, kind: str, entity: dict[str, Any], state: str = "active",
                rid: str | None = None) -> dict[str, Any]:
        rid = rid or str(uuid.uuid4())
        stamp = now()
        doc = {
            "metadata": {
                "id": rid,
                "crn": crn(self._instance_of(entity), kind.rstrip("s"), rid),
                "url": f"/v2/{kind}/{rid}",
                "created_at": stamp,
                "created_by": "emulator",
                "modified_at": stamp,
                "modified_by": "emulator",
            },
            "entity": {**entity, "status": {"state": state}},
        }
        with self._lock:
            self.resources[kind][rid] = doc
        return doc

    def _instance_of(self, entity: dict[str, Any]) -> str:
        """The service instance a resource belongs to: its data mart's id is the instance's
        (as in every recorded CRN), else the default instance."""
        return str(entity.get("data_mart_id") or self.instance_ids[0])

    def _doc(self, kind: str, rid: str, *, shown: bool = False) -> dict[str, Any]:
        """The stored document; with ``shown``, 404 also for a data set still being created."""
        with self._lock:
            doc = self.resources[kind].get(rid)
        if doc is None or (shown and self._hidden(rid)):
            raise ResourceNotFound(kind.rstrip("s").replace("_", " "), rid)
        return doc

    def _hidden(self, rid: str) -> bool:
        return self.lifecycles.peek(rid) in (WAITING, HIDDEN)

    def _docs(self, kind: str, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Stored documents matching every filter (a value may be a comma-separated list)."""
        wanted = {k: set(v.split(",")) for k, v in (filters or {}).items() if v}
        with self._lock:
            docs = list(self.resources[kind].values())
        return [d for d in docs if all(str(get_path(d, k)) in v for k, v in wanted.items())]

    def _view(self, doc: dict[str, Any], observe: bool = True) -> dict[str, Any] | None:
        """The document as a read sees it now: its current state, or ``None`` while a data set
        is still being created. ``observe`` counts the read (an API read does)."""
        rid = doc["metadata"]["id"]
        state = self.lifecycles.observe(rid) if observe else self.lifecycles.peek(rid)
        if state is None:
            return doc
        if state in (WAITING, HIDDEN):
            return None
        entity = doc["entity"]
        return {**doc, "entity": {**entity, "status": {**entity["status"], "state": state}}}

    def get(self, kind: str, rid: str) -> dict[str, Any]:
        """What ``GET /v2/<kind>/<id>`` answers (an observation)."""
        found = self._view(self._doc(kind, rid))
        if found is None:
            raise ResourceNotFound(kind.rstrip("s").replace("_", " "), rid)
        return found

    def list(self, kind: str, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """What ``GET /v2/<kind>`` answers: one observation of every matching document."""
        return [v for v in (self._view(d) for d in self._docs(kind, filters)) if v is not None]

    def delete(self, kind: str, rid: str) -> dict[str, Any]:
        """Delete a document and the secrets it refers to: a posted credential must not
        outlive the provider or subscription it was given for."""
        doc = self._doc(kind, rid, shown=True)
        if kind == "data_sets":  # its records and pending requests go with it
            self._delete_data_set(doc)
            return doc
        return self._remove(kind, doc)

    def _remove(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        rid = doc["metadata"]["id"]
        with self._lock:
            self.resources[kind].pop(rid, None)
            for secret_id in _secret_ids(doc):
                self.credentials.pop(secret_id, None)
        self.lifecycles.forget(rid)
        return doc

    def _secret(self, value: dict[str, Any] | None) -> dict[str, str] | None:
        """Keep a posted secret; what documents carry instead of it."""
        if not value:
            return None
        secret_id = str(uuid.uuid4())
        with self._lock:
            self.credentials[secret_id] = dict(value)
        return {"secret_id": secret_id}

    def _credentials(self, provider: dict[str, Any]) -> dict[str, Any]:
        """What was posted as a provider's credentials (empty if nothing was)."""
        with self._lock:
            return dict(self.credentials.get(
                (get_path(provider, "credentials") or {}).get("secret_id", ""), {}))

    def _delete_data_set(self, data_set: dict[str, Any]) -> None:
        """Delete a data set with its records and pending records requests."""
        data_set_id = data_set["metadata"]["id"]
        self._remove("data_sets", data_set)
        self.records.delete(data_set_id)
        with self._lock:
            gone = [r for r, req in self.requests.items() if req["data_set_id"] == data_set_id]
            for request_id in gone:
                del self.requests[request_id]
        self.lifecycles.forget(*gone, *(f"{r}/count" for r in gone))

    def delete_monitor_instance(self, rid: str) -> dict[str, Any]:
        """Delete a monitor instance with its runs and measurements."""
        doc = self.delete("monitor_instances", rid)
        with self._lock:
            runs = self.runs.pop(rid, {})
            self.measurements.pop(rid, None)
        self.lifecycles.forget(*runs)
        return doc

    # entitlements and definitions --------------------------------------------------------
    def entitlements(self) -> dict[str, Any]:
        instances = [
            {"id": i, "name": f"openscale-{i[:8]}", "plan_name": self.plan_name}
            for i in self.instance_ids
        ]
        return {"entitlements": {"ai_openscale": instances}}

    def get_monitor_definition(self, def_id: str) -> dict[str, Any]:
        if def_id not in self.definitions:
            raise ResourceNotFound("monitor definition", def_id)
        return self.definitions[def_id]


def _secret_ids(value: Any) -> list[str]:
    """Every ``secret_id`` anywhere in a document."""
    if isinstance(value, dict):
        found = [str(value["secret_id"])] if value.get("secret_id") else []
        return found + [s for v in value.values() for s in _secret_ids(v)]
    if isinstance(value, list):
        return [s for v in value for s in _secret_ids(v)]
    return []
