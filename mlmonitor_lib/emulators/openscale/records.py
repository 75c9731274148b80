"""Data set records in SQLite: one file per emulator instance, ``":memory:"`` in unit tests.

Each row keeps the record as JSON for the records API, plus the two columns a quality run reads
(label and prediction, JSON-encoded scalars) in an index that covers them: an evaluation is then
one indexed scan into numpy, never a JSON parse per record. One connection serves all threads
(the loopback server is threaded), serialised by a lock.

Rows a records request stores are ``visible`` only once the service counts them: the real
service answers a records request before it stores it, and counts stored records after a
delay (see :mod:`.lifecycles`). Counting, paging and evaluating read visible rows only; a
request's rows are one range of ``seq`` (one transaction), revealed together.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from typing import Any

from mlmonitor_lib.emulators.openscale.quality import class_value

_SCHEMA = """
DROP TABLE IF EXISTS records;
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    data_set_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    label TEXT,
    prediction TEXT,
    body TEXT NOT NULL,
    visible INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX records_by_set ON records (data_set_id, visible, label, prediction);
"""

Row = tuple[str, str, str | None, str | None, str]  # record_id, created_at, label, pred, body


def scalar_key(value: Any) -> str | None:
    """The JSON text of a label or prediction: ``7`` and ``"seven"`` stay distinct and
    round-trip, ``7.0`` (a label read from CSV) is ``7``; lists (a probability vector by
    mistake) and missing values give ``None``."""
    if value is None or isinstance(value, list | dict):
        return None
    return json.dumps(class_value(value))


class RecordStore:
    """Append, page and count records per data set; read labels and predictions fast."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        journal = "WAL" if path != ":memory:" else "MEMORY"
        self._db.execute(f"PRAGMA journal_mode={journal}")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)

    def append(self, data_set_id: str, rows: Iterable[Row]) -> int:
        """Store visible rows in one transaction; returns how many."""
        return self._insert(data_set_id, rows, visible=True)[0]

    def stage(self, data_set_id: str, rows: Iterable[Row]) -> tuple[int, int, int]:
        """Store rows not yet visible; returns how many and their ``seq`` range for
        :meth:`reveal`."""
        return self._insert(data_set_id, rows, visible=False)

    def _insert(self, data_set_id: str, rows: Iterable[Row], visible: bool) -> tuple[int, int, int]:
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN")
            first = self._db.execute("SELECT coalesce(max(seq), 0) + 1 FROM records").fetchone()[0]
            self._db.executemany(
                "INSERT INTO records (data_set_id, record_id, created_at, label, prediction, body,"
                " visible) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((data_set_id, *row, int(visible)) for row in rows),
            )
            self._db.execute("COMMIT")
            stored = self._db.total_changes - before
            return stored, first, first + stored - 1

    def reveal(self, first: int, last: int) -> None:
        """Make the rows of one request (``seq`` from ``first`` to ``last``) visible."""
        with self._lock:
            self._db.execute("UPDATE records SET visible = 1 WHERE seq BETWEEN ? AND ?",
                             (first, last))

    def count(self, data_set_id: str, labelled: bool = False) -> int:
        """Visible rows of a data set (with label and prediction if ``labelled``)."""
        extra = " AND label IS NOT NULL AND prediction IS NOT NULL" if labelled else ""
        with self._lock:
            sql = f"SELECT count(*) FROM records WHERE data_set_id = ? AND visible = 1{extra}"
            return self._db.execute(sql, (data_set_id,)).fetchone()[0]

    def page(self, data_set_id: str, limit: int, offset: int) -> list[dict[str, Any]]:
        """Records in insertion order, as the records API returns them (dict format)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT record_id, created_at, body FROM records WHERE data_set_id = ?"
                " AND visible = 1 ORDER BY seq LIMIT ? OFFSET ?",
                (data_set_id, limit, offset),
            ).fetchall()
        return [
            {"metadata": {"id": rid, "created_at": at}, "entity": {"values": json.loads(body)}}
            for rid, at, body in rows
        ]

    def label_prediction_counts(self, data_set_id: str) -> list[tuple[str, str, int]]:
        """How often each (label, prediction) pair occurs among labelled records: at most k^2
        rows, aggregated by SQLite while it walks the covering index (no sort, no JSON)."""
        with self._lock:
            return self._db.execute(
                "SELECT label, prediction, count(*) FROM records WHERE data_set_id = ?"
                " AND visible = 1 AND label IS NOT NULL AND prediction IS NOT NULL"
                " GROUP BY label, prediction",
                (data_set_id,),
            ).fetchall()

    def labelled(self, data_set_id: str) -> int:
        """Visible rows with a label, predicted or not (OpenScale scores the others)."""
        with self._lock:
            return self._db.execute(
                "SELECT count(*) FROM records WHERE data_set_id = ? AND visible = 1"
                " AND label IS NOT NULL", (data_set_id,)).fetchone()[0]

    def labelled_rows(self, data_set_id: str) -> list[tuple[str, str | None, dict[str, Any]]]:
        """(label, prediction or ``None``, record) of every visible labelled row, in order:
        what a run reads when it needs more than the pair counts (scores, or scoring)."""
        with self._lock:
            found = self._db.execute(
                "SELECT label, prediction, body FROM records WHERE data_set_id = ?"
                " AND visible = 1 AND label IS NOT NULL ORDER BY seq", (data_set_id,)).fetchall()
        return [(label, prediction, json.loads(body)) for label, prediction, body in found]

    def delete(self, data_set_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records WHERE data_set_id = ?", (data_set_id,))

    def reset(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records")

    def close(self) -> None:
        with self._lock:
            self._db.close()
