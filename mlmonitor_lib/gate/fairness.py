"""Disparate impact recomputed from the payload records, its groups counted as OpenScale does.

The favourable rate of a monitored group over that of the reference groups combined, for the
monitored group where it is lowest: the number OpenScale's fairness monitor reports (as a ratio
here; its ``fairness_value`` is this times 100). :class:`FairnessGroups` codes one monitored
feature's records once, so that a bootstrap can recompute the value on any resample of them.
Pure functions on numpy arrays, no I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlmonitor_lib.gate.metrics import class_value


def _key(value: Any) -> str | None:
    """A category as OpenScale keys it: ``7`` and ``"7"`` distinct, ``7.0`` is ``7``."""
    if value is None or isinstance(value, list | dict):
        return None
    return json.dumps(class_value(value))


def _is_range(item: Any) -> bool:
    return (isinstance(item, list | tuple) and len(item) == 2 and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in item)
        and item[0] <= item[1])


def group_label(item: Any) -> str:
    """How OpenScale names a group: ``18-25`` for a range, the category itself otherwise."""
    return f"{item[0]}-{item[1]}" if _is_range(item) else str(item)


def _members(values: Sequence[Any], item: Any) -> np.ndarray:
    if _is_range(item):
        numbers = np.array([math.nan if isinstance(v, bool) or not isinstance(v, int | float)
                            else float(v) for v in values], dtype=float)
        with np.errstate(invalid="ignore"):
            return (numbers >= item[0]) & (numbers <= item[1])
    wanted = _key(item)
    return np.array([_key(v) == wanted for v in values], dtype=bool)


def in_groups(values: Sequence[Any], groups: Sequence[Any]) -> np.ndarray:
    """Which of ``values`` fall in any of ``groups``: categories (``"female"``) or inclusive
    numeric ranges (``[18, 25]``), as OpenScale reads a fairness group."""
    found = np.zeros(len(values), dtype=bool)
    for item in groups:
        found |= _members(values, item)
    return found


@dataclass(frozen=True)
class FairnessGroups:
    """One monitored feature's records coded once: which predictions are favourable, which
    records are in the reference (``majority``) groups combined, and, per monitored
    (``minority``) group, its records outside the reference groups, as OpenScale counts them."""

    favourable: np.ndarray
    reference: np.ndarray
    groups: dict[str, np.ndarray]

    @classmethod
    def of(cls, values: Sequence[Any], predictions: Sequence[Any], minority: Sequence[Any],
           majority: Sequence[Any], favourable: Sequence[Any]) -> FairnessGroups:
        if len(values) != len(predictions):
            raise ValueError(f"{len(values)} feature values but {len(predictions)} predictions")
        wanted = {_key(c) for c in favourable}
        reference = in_groups(values, majority)
        return cls(
            favourable=np.array([_key(p) in wanted for p in predictions], dtype=bool),
            reference=reference,
            groups={group_label(item): _members(values, item) & ~reference
                    for item in minority})

    def counts(self, indices: np.ndarray | None = None) -> tuple[tuple[int, int],
                                                                   dict[str, tuple[int, int]]]:
        """``(favourable, records)`` of the reference groups and of each monitored group."""
        fav = self.favourable if indices is None else self.favourable[indices]
        ref = self.reference if indices is None else self.reference[indices]
        groups = {}
        for name, members in self.groups.items():
            m = members if indices is None else members[indices]
            groups[name] = (int(np.count_nonzero(fav & m)), int(np.count_nonzero(m)))
        return (int(np.count_nonzero(fav & ref)), int(np.count_nonzero(ref))), groups

    def ratios(self, indices: np.ndarray | None = None) -> dict[str, float]:
        """Each monitored group's disparate impact (groups without records left out); empty
        when the reference groups have no record or no favourable outcome."""
        (fav_ref, n_ref), groups = self.counts(indices)
        if not n_ref or not fav_ref:
            return {}
        return {g: (fav / n) / (fav_ref / n_ref) for g, (fav, n) in groups.items() if n}

    def value(self, indices: np.ndarray | None = None) -> float:
        """The feature's disparate impact: the lowest of its monitored groups' (the one
        OpenScale reports as ``fairness_value``); NaN when none is defined."""
        ratios = self.ratios(indices)
        return min(ratios.values()) if ratios else math.nan


def disparate_impact(values: Sequence[Any], predictions: Sequence[Any], minority: Sequence[Any],
                     majority: Sequence[Any], favourable: Sequence[Any]) -> float:
    """Disparate impact of the predictions over one feature's ``values``: the favourable rate
    of a monitored group over that of the reference groups combined (IBM, "Disparate impact in
    Watson OpenScale fairness metrics"), for the monitored group where it is lowest, as a ratio
    (OpenScale's ``fairness_value`` is this times 100).

    Groups are as in the signature: categories (``["female"]``) or inclusive numeric ranges
    (``[[18, 25]]``); a record in a reference group is not counted in a monitored one; records in
    neither are left out. NaN when no monitored group has records or the reference groups have
    no favourable outcome.
    """
    return FairnessGroups.of(values, predictions, minority, majority, favourable).value()
