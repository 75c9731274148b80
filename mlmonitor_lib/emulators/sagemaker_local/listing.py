"""SageMaker's List* calls as AWS answers them: filtered, sorted and paginated.

Why not moto's: moto returns up to 100 endpoints per page and every model in one page
(ignoring ``NameContains``), while AWS returns 10 by default; a caller that reads one page
passes against moto and misses resources against AWS. Here moto is asked for everything (the
statuses it holds are overlaid by the data plane anyway) and the page is cut as AWS cuts it:

* ``MaxResults`` 1..100 (botocore's model: ``min``/``max`` of each operation's member; botocore
  checks only the minimum client side, AWS refuses the rest), default 10 (the ``ListEndpoints``
  documentation: "This value defaults to 10"; the others do not say, so 10 too: no caller of
  ours may rely on more);
* ``SortBy`` default ``CreationTime``; ``SortOrder`` default ``Descending``, ``Ascending`` for
  ``ListTrainingJobs`` (each member's documentation in botocore's model);
* ``NameContains``, ``StatusEquals`` and the creation/modification time filters;
* ``NextToken`` opaque; a token this operation did not issue is a ``ValidationException``.

The result key of each operation is botocore's paginator's ``result_key``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

DEFAULT_MAX_RESULTS = 10
_PAGING = ("MaxResults", "NextToken")
_FILTERS = ("NameContains", "StatusEquals", "CreationTimeBefore", "CreationTimeAfter",
            "LastModifiedTimeBefore", "LastModifiedTimeAfter", "SortBy", "SortOrder")
# operation -> (name member, status member or None, default SortOrder)
_LISTS: dict[str, tuple[str, str | None, str]] = {
    "ListEndpoints": ("EndpointName", "EndpointStatus", "Descending"),
    "ListEndpointConfigs": ("EndpointConfigName", None, "Descending"),
    "ListModels": ("ModelName", None, "Descending"),
    "ListTrainingJobs": ("TrainingJobName", "TrainingJobStatus", "Ascending"),
}
OPERATIONS = tuple(_LISTS)
# What moto needs to return everything: ListEndpoints/ListEndpointConfigs page at 100.
_MOTO_EVERYTHING = {"ListEndpoints": 1_000_000, "ListEndpointConfigs": 1_000_000}


class ListError(Exception):
    """A List request AWS refuses (``ValidationException``)."""


@dataclass
class Query:
    """One List request as the caller sent it (moto gets a request for everything)."""

    operation: str
    max_results: int = DEFAULT_MAX_RESULTS
    offset: int = 0
    filters: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def result_key(self) -> str:
        return _result_key(self.operation)


def prepare(operation: str, params: dict[str, Any]) -> Query:
    """Take the caller's paging and filters out of ``params`` (so moto lists everything);
    what AWS would refuse is kept in :attr:`Query.error`."""
    query = Query(operation, filters={k: params.pop(k) for k in _FILTERS if k in params})
    given = {k: params.pop(k) for k in _PAGING if k in params}
    if operation in _MOTO_EVERYTHING:
        params["MaxResults"] = _MOTO_EVERYTHING[operation]
    try:
        query.max_results = _max_results(operation, given.get("MaxResults"))
        query.offset = _offset(operation, given.get("NextToken"))
    except ListError as exc:
        query.error = str(exc)
    return query


def page(query: Query, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    """The caller's page of ``items`` (statuses already overlaid) and the next token."""
    name_key, status_key, default_order = _LISTS[query.operation]
    f = query.filters
    kept = [item for item in items if _matches(item, f, name_key, status_key)]
    sort_by = f.get("SortBy", "CreationTime")
    key = {"Name": name_key, "Status": status_key or name_key}.get(sort_by, "CreationTime")
    kept.sort(key=lambda item: (_sortable(item.get(key)), item.get(name_key, "")),
              reverse=f.get("SortOrder", default_order) == "Descending")
    end = query.offset + query.max_results
    token = _token(query.operation, end) if end < len(kept) else None
    return kept[query.offset:end], token


def _matches(item: dict[str, Any], f: dict[str, Any], name_key: str,
             status_key: str | None) -> bool:
    if f.get("NameContains") and f["NameContains"] not in item.get(name_key, ""):
        return False
    if f.get("StatusEquals") and status_key and item.get(status_key) != f["StatusEquals"]:
        return False
    checks = (("CreationTimeBefore", "CreationTime", -1), ("CreationTimeAfter", "CreationTime", 1),
              ("LastModifiedTimeBefore", "LastModifiedTime", -1),
              ("LastModifiedTimeAfter", "LastModifiedTime", 1))
    for name, member, sign in checks:
        limit, value = f.get(name), item.get(member)
        if limit is None or not isinstance(value, datetime):
            continue
        if (value < limit) if sign > 0 else (value >= limit):
            return False
    return True


def _sortable(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else (value or "")


def _max_results(operation: str, value: Any) -> int:
    if value is None:
        return DEFAULT_MAX_RESULTS
    low, high = _range(operation)
    if not low <= int(value) <= high:
        raise ListError(f"1 validation error detected: Value '{value}' at 'maxResults' failed "
                        f"to satisfy constraint: Member must have value less than or equal to "
                        f"{high}")
    return int(value)


def _offset(operation: str, token: Any) -> int:
    if not token:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        if decoded["op"] != operation or int(decoded["offset"]) < 0:
            raise ValueError(token)
        return int(decoded["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ListError(f"Invalid pagination token because \"{token}\".") from exc


def _token(operation: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"op": operation, "offset": offset}).encode()
                                    ).decode()


@cache
def _range(operation: str) -> tuple[int, int]:
    """``MaxResults``'s min and max from botocore's model of ``operation``."""
    from mlmonitor_lib.emulators.sagemaker_local.states import service_model

    member = service_model().operation_model(operation).input_shape.members["MaxResults"]
    return int(member.metadata.get("min", 1)), int(member.metadata.get("max", 100))


@cache
def _result_key(operation: str) -> str:
    """The list member of ``operation``'s reply: botocore's paginator ``result_key``."""
    import botocore.session

    paginators = botocore.session.get_session().get_paginator_model("sagemaker")
    return str(paginators.get_paginator(operation)["result_key"])
