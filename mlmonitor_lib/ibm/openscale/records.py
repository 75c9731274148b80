"""Payload and feedback logging: records stored in batches, then waited for until OpenScale
counts them.

Part of :class:`~mlmonitor_lib.ibm.openscale.monitor.OpenScaleMonitor` (a mixin).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Iterator, Sequence, Sized
from datetime import UTC, datetime
from typing import Any

from mlmonitor_lib.errors import ServiceError
from mlmonitor_lib.ibm.openscale.client import (
    DEFAULT_BATCH,
    ORIGINAL_PREDICTION,
    RECORDS_TIMEOUT_S,
    sdk_call,
)


class RecordLogging:
    """Payload and feedback records."""

    # records ----------------------------------------------------------------------------
    def _store(self, data_set_kind: str, batches: Iterator[list[Any]], what: str) -> int:
        """Store every batch, then wait until the data set counts them: a request OpenScale
        reports ``active`` is stored, but its records are counted (and evaluated) later."""
        data_set_id = self._need(data_set_kind, "subscribe()")
        before = self._count(data_set_kind)
        stored = 0
        for batch in batches:
            with sdk_call(f"storing {what} records", "Retry; check the record format."):
                done = self.client.data_sets.store_records(
                    data_set_id=data_set_id, request_body=batch, background_mode=False
                )
            if done is None or done.result.state != "active":
                raise ServiceError(
                    f"Watson OpenScale: storing {what} records did not finish; retry the step"
                )
            stored += _rows_in(batch)
        self._expected[data_set_kind] = before + stored
        self._await_count(data_set_kind, what)
        return stored

    def _await_count(self, data_set_kind: str, what: str) -> None:
        """Wait until the data set counts at least what this monitor stored in it (nothing to
        wait for if it stored nothing there)."""
        from mlmonitor_lib.waiting import WaitTimeout

        expected = self._expected.get(data_set_kind)
        if expected is None:
            return
        label = f"{what} records in data set {self.ids[data_set_kind]}"
        try:
            self._wait(lambda: self._count(data_set_kind), lambda n: n >= expected, what=label,
                       timeout_s=RECORDS_TIMEOUT_S, state_of=lambda n: f"{n} of {expected}")
        except WaitTimeout as late:
            raise ServiceError(
                f"Watson OpenScale: the {what} data set counts {late.last} records "
                f"{RECORDS_TIMEOUT_S:.0f}s after they were stored. OpenScale has not processed "
                "them yet: check the count later before evaluating."
            ) from None

    def log_payload(
        self,
        inputs: Any,
        predictions: Sequence[Any],
        probabilities: Sequence[Any],
        response_times: Sequence[float],
        batch_size: int = DEFAULT_BATCH,
        *,
        input_fields: Sequence[str] | None = None,
    ) -> int:
        """Store one payload record per scored input (request with the input, response with
        prediction and probabilities as the endpoint answered them, its response time in ms);
        returns how many.

        ``input_fields`` name the values of each input (a structured model's feature
        columns); without them the whole input is one ``scoring_input`` value (an image)."""
        from ibm_watson_openscale.supporting_classes.payload_record import PayloadRecord

        self._need("subscription", "subscribe()")
        props = self._fields()
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        _same_length(inputs, predictions, probabilities, response_times)
        fields, rows = _input_columns(inputs, input_fields)
        records = (
            PayloadRecord(
                request={"fields": fields, "values": [row]},
                response={
                    "fields": [props["prediction"], props["probability"]],
                    "values": [[_plain(pred), _plain(prob)]],
                },
                scoring_id=str(uuid.uuid4()),
                scoring_timestamp=stamp,
                response_time=int(round(float(ms))),
            )
            for row, pred, prob, ms in zip(
                rows, predictions, probabilities, response_times, strict=True
            )
        )  # built batch by batch: 100k images as nested lists would not fit in memory
        return self._store("payload_data_set", _chunks(records, batch_size), "payload")

    def log_feedback(
        self,
        inputs: Any,
        labels: Sequence[Any],
        predictions: Sequence[Any],
        probabilities: Sequence[Any] | None = None,
        batch_size: int = DEFAULT_BATCH,
        *,
        input_fields: Sequence[str] | None = None,
    ) -> int:
        """Store feedback rows: the input, true label, the model's original prediction (and
        probabilities); the quality monitor compares label and ``_original_prediction``.
        ``input_fields`` as for :meth:`log_payload`."""
        self._need("subscription", "subscribe()")
        props = self._fields()
        columns, rows = _input_columns(inputs, input_fields)
        fields = [*columns, props["label"], ORIGINAL_PREDICTION]
        probs: Sequence[Any] = probabilities if probabilities is not None else [None] * len(labels)
        if probabilities is not None:
            fields.append(f"_original_{props['probability']}")
        _same_length(inputs, labels, predictions, probs)
        values = (
            [*row, _plain(lab), _plain(p)]
            + ([_plain(pr)] if probabilities is not None else [])
            for row, lab, p, pr in zip(rows, labels, predictions, probs, strict=True)
        )
        batches = ([{"fields": fields, "values": chunk}] for chunk in _chunks(values, batch_size))
        return self._store("feedback_data_set", batches, "feedback")

    def _fields(self) -> dict[str, str]:
        """Label, prediction and probability field names of the subscription."""
        if "_field_names" not in self.__dict__:
            with sdk_call("reading the subscription", "Call monitor() again."):
                props = self.client.subscriptions.get(
                    self.ids["subscription"]
                ).result.entity.asset_properties
            self.__dict__["_field_names"] = {
                "label": props.label_column or "target",
                "prediction": props.prediction_field or "prediction",
                "probability": (props.probability_fields or ["probability"])[0],
            }
        return self.__dict__["_field_names"]

    def payload_record_count(self) -> int:
        return self._count("payload_data_set")

    def feedback_record_count(self) -> int:
        return self._count("feedback_data_set")

    def _count(self, kind: str) -> int:
        data_set_id = self._need(kind, "subscribe()")
        with sdk_call("counting records", "Retry."):
            return int(self.client.data_sets.get_records_count(data_set_id=data_set_id) or 0)


# helpers --------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """numpy arrays and scalars as JSON-ready Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _input_columns(inputs: Any, input_fields: Sequence[str] | None
                   ) -> tuple[list[str], Iterator[list[Any]]]:
    """The record's input fields and, lazily, each input's values under them."""
    if input_fields is None:
        return ["scoring_input"], ([_plain(item)] for item in inputs)
    names = list(input_fields)

    def rows() -> Iterator[list[Any]]:
        for item in inputs:
            row = [_plain(value) for value in item]
            if len(row) != len(names):
                raise ValueError(f"an input has {len(row)} values for {len(names)} fields "
                                 f"({', '.join(names)})")
            yield row
    return names, rows()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, max(size, 1))):
        yield chunk


def _same_length(*columns: Sized) -> None:
    """Refuse columns of different lengths before anything is stored."""
    lengths = {len(c) for c in columns}
    if len(lengths) > 1:
        raise ValueError(f"inputs, labels, predictions... must have one length, got {lengths}")


def _rows_in(batch: list[Any]) -> int:
    """Rows a batch stores: one per payload record, one per feedback value."""
    first = batch[0] if batch else None
    if isinstance(first, dict) and "values" in first:
        return sum(len(item["values"]) for item in batch)
    return len(batch)
