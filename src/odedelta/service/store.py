"""Carts, quotes, orders, qualifications and hub registrations in an embedded SQLite database (stdlib ``sqlite3``).

``path`` None keeps them in memory (lost when the process ends); a file path keeps them across restarts. Every
document is stored as the exact JSON the API returned, so a GET after a restart gives the same bytes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from odedelta.service.encode import dumps

SCHEMA = """
CREATE TABLE IF NOT EXISTS resource (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    meta TEXT NOT NULL,
    UNIQUE (kind, id)
);
"""


class Store:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL" if path is not None else "PRAGMA journal_mode=MEMORY")
        self._db.executescript(SCHEMA)

    def put(self, kind: str, version: int, ident: str, body: dict[str, Any], meta: dict[str, Any]) -> str:
        """Store ``body`` (replacing any); returns its JSON text, the bytes the API answers with."""
        text = dumps(body)
        with self._lock:
            self._db.execute(
                "INSERT INTO resource (kind, version, id, body, meta) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, meta = excluded.meta",
                (kind, version, ident, text, dumps(meta)))
        return text

    def add(self, kind: str, version: int, body_of: Any, meta: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """Store a new ``kind`` under the next id ("1", "2"…, never reused, kept across restarts); ``body_of(id)``
        builds its document. Returns the document and its JSON text."""
        with self._lock:
            row = self._db.execute("SELECT COALESCE(MAX(CAST(id AS INTEGER)), 0) FROM resource WHERE kind = ?",
                                   (kind,)).fetchone()
            ident = str(int(row[0]) + 1)
            body = body_of(ident)
            text = dumps(body)
            self._db.execute("INSERT INTO resource (kind, version, id, body, meta) VALUES (?, ?, ?, ?, ?)",
                             (kind, version, ident, text, dumps(meta)))
        return body, text

    def get(self, kind: str, ident: str, version: int | None = None) -> tuple[dict[str, Any], dict[str, Any]] | None:
        with self._lock:
            row = self._db.execute("SELECT body, meta, version FROM resource WHERE kind = ? AND id = ?",
                                   (kind, ident)).fetchone()
        if row is None or (version is not None and row[2] != version):
            return None
        return _load(row[0]), _load(row[1])

    def text(self, kind: str, ident: str, version: int) -> str | None:
        """The stored JSON text of one document (what a GET answers, unparsed)."""
        with self._lock:
            row = self._db.execute("SELECT body FROM resource WHERE kind = ? AND id = ? AND version = ?",
                                   (kind, ident, version)).fetchone()
        return None if row is None else str(row[0])

    def delete(self, kind: str, ident: str, version: int | None = None) -> bool:
        with self._lock:
            query = "DELETE FROM resource WHERE kind = ? AND id = ?" + (" AND version = ?" if version else "")
            args = (kind, ident, version) if version else (kind, ident)
            return self._db.execute(query, args).rowcount > 0

    def list(self, kind: str, version: int | None, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        where = "kind = ?" + (" AND version = ?" if version is not None else "")
        args: tuple[Any, ...] = (kind, version) if version is not None else (kind,)
        with self._lock:
            total = int(self._db.execute(f"SELECT COUNT(*) FROM resource WHERE {where}", args).fetchone()[0])
            rows = self._db.execute(f"SELECT body FROM resource WHERE {where} ORDER BY seq LIMIT ? OFFSET ?",
                                    (*args, limit, offset)).fetchall()
        return total, [_load(r[0]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _load(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)
