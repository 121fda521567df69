"""Carts, quotes, orders, qualifications and hub registrations, kept as the exact JSON the API returned.

Two stores with one interface (:class:`Store`):

- :class:`SqliteStore`, the embedded default (stdlib ``sqlite3``): ``path`` None keeps the resources in memory (lost
  when the process ends); a file keeps them across restarts and may be shared by the ``serve`` processes of one
  machine (``--workers``): WAL journal, every write its own committed transaction, ids drawn under an immediate lock.
- :class:`PostgresStore` (``--store postgresql://…``, psycopg 3, the ``postgres`` extra): the same table in
  PostgreSQL, so several ``serve`` processes on several machines behind a balancer share every resource.

A read-modify-write (a PATCH, a cancellation) is one transaction (:meth:`Store.update`): the document is read under a
write lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``SELECT … FOR UPDATE``), so two concurrent changes of one
order are applied one after the other, the second seeing the first's result, never lost.

Every resource has an owner (the caller that created it) and a creation time (for retention). Ids are "1", "2"… per
kind, drawn from a counter that never goes back, so an id is never reused, even after a delete or a purge. A write
returns only once it is committed: an order acknowledged with 201 survives a kill -9 of the process right after.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from odedelta.service.encode import dumps

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS resource (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    meta TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE TABLE IF NOT EXISTS counter (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS odedelta_resource (
    seq BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    meta TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    created DOUBLE PRECISION NOT NULL DEFAULT 0,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS odedelta_resource_list ON odedelta_resource (kind, version, owner, seq);
CREATE INDEX IF NOT EXISTS odedelta_resource_age ON odedelta_resource (kind, created);
CREATE TABLE IF NOT EXISTS odedelta_counter (kind TEXT PRIMARY KEY, n BIGINT NOT NULL);
"""

BodyOf = Callable[[str], dict[str, Any]]
Change = Callable[[dict[str, Any]], dict[str, Any]]
"""A stored document → its new version (raising refuses the change: nothing is written)."""
Owned = list[tuple[str, dict[str, Any], dict[str, Any]]]
"""(owner, document, meta) rows"""


class StoreError(Exception):
    """The store cannot be opened (a bad URL, an unreachable server, a missing extra)."""


class Store(Protocol):
    """What the service keeps: one JSON document per (kind, id), with its version, owner, meta and creation time."""

    path: str
    """Where the resources are, for people (a PostgreSQL URL without its password)."""

    def put(self, kind: str, version: int, ident: str, body: dict[str, Any], meta: dict[str, Any],
            owner: str = "", created: datetime | None = None) -> str: ...

    def add(self, kind: str, version: int, body_of: BodyOf, meta: dict[str, Any], owner: str = "",
            created: datetime | None = None) -> tuple[dict[str, Any], str]: ...

    def update(self, kind: str, version: int, ident: str, owner: str | None,
               change: Change) -> tuple[dict[str, Any], str] | None: ...

    def get(self, kind: str, ident: str, version: int | None = None,
            owner: str | None = None) -> tuple[dict[str, Any], dict[str, Any]] | None: ...

    def text(self, kind: str, ident: str, version: int, owner: str | None = None) -> str | None: ...

    def owner(self, kind: str, ident: str) -> str | None: ...

    def delete(self, kind: str, ident: str, version: int | None = None, owner: str | None = None) -> bool: ...

    def list(self, kind: str, version: int | None, offset: int, limit: int,
             owner: str | None = None) -> tuple[int, list[dict[str, Any]]]: ...

    def every(self, kind: str, version: int) -> Owned: ...

    def purge(self, kind: str, before: datetime) -> int: ...

    def close(self) -> None: ...


def open_store(where: str | Path | None) -> Store:
    """``None``: SQLite in memory; ``postgresql://…`` (or ``postgres://…``): PostgreSQL; anything else: a SQLite
    file."""
    if isinstance(where, str) and where.startswith(("postgresql://", "postgres://")):
        return PostgresStore(where)
    return SqliteStore(where)


def _stamp(created: datetime | None) -> float:
    return created.timestamp() if created is not None else 0.0


def _where(kind: str, version: int | None, owner: str | None, mark: str) -> tuple[str, tuple[Any, ...]]:
    clauses, args = [f"kind = {mark}"], list[Any]([kind])
    if version is not None:
        clauses.append(f"version = {mark}")
        args.append(version)
    if owner is not None:
        clauses.append(f"owner = {mark}")
        args.append(owner)
    return " AND ".join(clauses), tuple(args)


class SqliteStore:
    """The embedded store (see the module's docstring)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        # the store owns its connection: an app that is dropped without close() (create_app in a test, an
        # embedder's) closes it when the store goes, instead of leaving it to the interpreter (Python 3.13 warns)
        weakref.finalize(self, self._db.close)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a committed order survives a power cut too
        else:
            self._db.execute("PRAGMA journal_mode=MEMORY")
        self._db.executescript(SQLITE_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(resource)")}
        with self._transaction():  # a file written before owners and retention: add the columns
            if "owner" not in columns:
                self._db.execute("ALTER TABLE resource ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
            if "created" not in columns:
                self._db.execute("ALTER TABLE resource ADD COLUMN created REAL NOT NULL DEFAULT 0")
            self._db.execute("CREATE INDEX IF NOT EXISTS resource_list ON resource (kind, version, owner, seq)")
            self._db.execute("CREATE INDEX IF NOT EXISTS resource_age ON resource (kind, created)")
            self._db.execute("INSERT OR IGNORE INTO counter (kind, n) SELECT kind, MAX(CAST(id AS INTEGER)) "
                             "FROM resource GROUP BY kind")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def put(self, kind: str, version: int, ident: str, body: dict[str, Any], meta: dict[str, Any],
            owner: str = "", created: datetime | None = None) -> str:
        """Store ``body`` (replacing any, keeping its owner and creation time); returns its JSON text."""
        text = dumps(body)
        with self._lock:
            self._db.execute(
                "INSERT INTO resource (kind, version, id, body, meta, owner, created) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, meta = excluded.meta",
                (kind, version, ident, text, dumps(meta), owner, _stamp(created)))
        return text

    def add(self, kind: str, version: int, body_of: BodyOf, meta: dict[str, Any], owner: str = "",
            created: datetime | None = None) -> tuple[dict[str, Any], str]:
        """Store a new ``kind`` under the next id; ``body_of(id)`` builds its document (keep it cheap: it runs
        while the id is held). Returns the document and its JSON text, once committed."""
        with self._lock, self._transaction():
            row = self._db.execute("INSERT INTO counter (kind, n) VALUES (?, 1) ON CONFLICT (kind) "
                                   "DO UPDATE SET n = n + 1 RETURNING n", (kind,)).fetchone()
            ident = str(int(row[0]))
            body = body_of(ident)
            text = dumps(body)
            self._db.execute("INSERT INTO resource (kind, version, id, body, meta, owner, created) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (kind, version, ident, text, dumps(meta), owner, _stamp(created)))
        return body, text

    def update(self, kind: str, version: int, ident: str, owner: str | None,
               change: Change) -> tuple[dict[str, Any], str] | None:
        """Replace the document with ``change(document)`` in one transaction that holds SQLite's write lock from
        the read to the write (no other writer, in this process or another, in between); None when there is no
        such document (``owner``: only the owner's). Returns the new document and its JSON text, once committed."""
        where, args = _where(kind, version, owner, "?")
        with self._lock, self._transaction():
            row = self._db.execute(f"SELECT body FROM resource WHERE {where} AND id = ?", (*args, ident)).fetchone()
            if row is None:
                return None
            body = change(_load(row[0]))
            text = dumps(body)
            self._db.execute("UPDATE resource SET body = ? WHERE kind = ? AND id = ?", (text, kind, ident))
        return body, text

    def get(self, kind: str, ident: str, version: int | None = None,
            owner: str | None = None) -> tuple[dict[str, Any], dict[str, Any]] | None:
        where, args = _where(kind, version, owner, "?")
        with self._lock:
            row = self._db.execute(f"SELECT body, meta FROM resource WHERE {where} AND id = ?",
                                   (*args, ident)).fetchone()
        return None if row is None else (_load(row[0]), _load(row[1]))

    def text(self, kind: str, ident: str, version: int, owner: str | None = None) -> str | None:
        """The stored JSON text of one document (what a GET answers, unparsed)."""
        where, args = _where(kind, version, owner, "?")
        with self._lock:
            row = self._db.execute(f"SELECT body FROM resource WHERE {where} AND id = ?", (*args, ident)).fetchone()
        return None if row is None else str(row[0])

    def owner(self, kind: str, ident: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT owner FROM resource WHERE kind = ? AND id = ?", (kind, ident)).fetchone()
        return None if row is None else str(row[0])

    def delete(self, kind: str, ident: str, version: int | None = None, owner: str | None = None) -> bool:
        where, args = _where(kind, version, owner, "?")
        with self._lock:
            return self._db.execute(f"DELETE FROM resource WHERE {where} AND id = ?", (*args, ident)).rowcount > 0

    def list(self, kind: str, version: int | None, offset: int, limit: int,
             owner: str | None = None) -> tuple[int, list[dict[str, Any]]]:
        where, args = _where(kind, version, owner, "?")
        with self._lock:
            total = int(self._db.execute(f"SELECT COUNT(*) FROM resource WHERE {where}", args).fetchone()[0])
            rows = self._db.execute(f"SELECT body FROM resource WHERE {where} ORDER BY seq LIMIT ? OFFSET ?",
                                    (*args, limit, offset)).fetchall()
        return total, [_load(r[0]) for r in rows]

    def every(self, kind: str, version: int) -> Owned:
        """(owner, document, meta) of every ``kind`` of ``version`` (listener registrations: a few)."""
        with self._lock:
            rows = self._db.execute("SELECT owner, body, meta FROM resource WHERE kind = ? AND version = ? "
                                    "ORDER BY seq", (kind, version)).fetchall()
        return [(str(r[0]), _load(r[1]), _load(r[2])) for r in rows]

    def purge(self, kind: str, before: datetime) -> int:
        """Delete the ``kind`` resources created before ``before``; returns how many."""
        with self._lock:
            return self._db.execute("DELETE FROM resource WHERE kind = ? AND created > 0 AND created < ?",
                                    (kind, before.timestamp())).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


class PostgresStore:
    """The shared store (see the module's docstring): a small pool of connections, each write its own transaction."""

    def __init__(self, url: str, *, size: int = 8, timeout: float = 10.0) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise StoreError(f"--store {hidden(url)} needs the postgres extra ({exc.name} is missing): "
                             "pip install 'odedelta[postgres]'") from None
        self.path = hidden(url)
        self._errors: tuple[type[Exception], ...] = (psycopg.Error,)
        self._pool = ConnectionPool(url, min_size=1, max_size=size, timeout=timeout, open=False,
                                    kwargs={"autocommit": True})
        try:
            self._pool.open(wait=True, timeout=timeout)
            with self._pool.connection() as db, db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(4242017)")  # two processes starting at once
                db.execute(POSTGRES_SCHEMA)
        except Exception as exc:
            self._pool.close()
            raise StoreError(f"--store {self.path}: cannot open the PostgreSQL store ({exc})".strip()) from None

    def put(self, kind: str, version: int, ident: str, body: dict[str, Any], meta: dict[str, Any],
            owner: str = "", created: datetime | None = None) -> str:
        text = dumps(body)
        with self._pool.connection() as db:
            db.execute(
                "INSERT INTO odedelta_resource (kind, version, id, body, meta, owner, created) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, meta = excluded.meta",
                (kind, version, ident, text, dumps(meta), owner, _stamp(created)))
        return text

    def add(self, kind: str, version: int, body_of: BodyOf, meta: dict[str, Any], owner: str = "",
            created: datetime | None = None) -> tuple[dict[str, Any], str]:
        with self._pool.connection() as db, db.transaction():
            row = db.execute("INSERT INTO odedelta_counter (kind, n) VALUES (%s, 1) ON CONFLICT (kind) "
                             "DO UPDATE SET n = odedelta_counter.n + 1 RETURNING n", (kind,)).fetchone()
            assert row is not None
            ident = str(int(row[0]))
            body = body_of(ident)
            text = dumps(body)
            db.execute("INSERT INTO odedelta_resource (kind, version, id, body, meta, owner, created) "
                       "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                       (kind, version, ident, text, dumps(meta), owner, _stamp(created)))
        return body, text

    def update(self, kind: str, version: int, ident: str, owner: str | None,
               change: Change) -> tuple[dict[str, Any], str] | None:
        """As :meth:`SqliteStore.update`: the row is read ``FOR UPDATE``, so a concurrent update of it waits for
        this transaction and then reads its result."""
        where, args = _where(kind, version, owner, "%s")
        with self._pool.connection() as db, db.transaction():
            row = db.execute(f"SELECT body FROM odedelta_resource WHERE {where} AND id = %s FOR UPDATE",
                             (*args, ident)).fetchone()
            if row is None:
                return None
            body = change(_load(row[0]))
            text = dumps(body)
            db.execute("UPDATE odedelta_resource SET body = %s WHERE kind = %s AND id = %s", (text, kind, ident))
        return body, text

    def get(self, kind: str, ident: str, version: int | None = None,
            owner: str | None = None) -> tuple[dict[str, Any], dict[str, Any]] | None:
        where, args = _where(kind, version, owner, "%s")
        with self._pool.connection() as db:
            row = db.execute(f"SELECT body, meta FROM odedelta_resource WHERE {where} AND id = %s",
                             (*args, ident)).fetchone()
        return None if row is None else (_load(row[0]), _load(row[1]))

    def text(self, kind: str, ident: str, version: int, owner: str | None = None) -> str | None:
        where, args = _where(kind, version, owner, "%s")
        with self._pool.connection() as db:
            row = db.execute(f"SELECT body FROM odedelta_resource WHERE {where} AND id = %s",
                             (*args, ident)).fetchone()
        return None if row is None else str(row[0])

    def owner(self, kind: str, ident: str) -> str | None:
        with self._pool.connection() as db:
            row = db.execute("SELECT owner FROM odedelta_resource WHERE kind = %s AND id = %s",
                             (kind, ident)).fetchone()
        return None if row is None else str(row[0])

    def delete(self, kind: str, ident: str, version: int | None = None, owner: str | None = None) -> bool:
        where, args = _where(kind, version, owner, "%s")
        with self._pool.connection() as db:
            return db.execute(f"DELETE FROM odedelta_resource WHERE {where} AND id = %s",
                              (*args, ident)).rowcount > 0

    def list(self, kind: str, version: int | None, offset: int, limit: int,
             owner: str | None = None) -> tuple[int, list[dict[str, Any]]]:
        where, args = _where(kind, version, owner, "%s")
        with self._pool.connection() as db:
            counted = db.execute(f"SELECT COUNT(*) FROM odedelta_resource WHERE {where}", args).fetchone()
            rows = db.execute(f"SELECT body FROM odedelta_resource WHERE {where} ORDER BY seq LIMIT %s OFFSET %s",
                              (*args, limit, offset)).fetchall()
        return int(counted[0] if counted else 0), [_load(r[0]) for r in rows]

    def every(self, kind: str, version: int) -> Owned:
        with self._pool.connection() as db:
            rows = db.execute("SELECT owner, body, meta FROM odedelta_resource WHERE kind = %s AND version = %s "
                              "ORDER BY seq", (kind, version)).fetchall()
        return [(str(r[0]), _load(r[1]), _load(r[2])) for r in rows]

    def purge(self, kind: str, before: datetime) -> int:
        with self._pool.connection() as db:
            return db.execute("DELETE FROM odedelta_resource WHERE kind = %s AND created > 0 AND created < %s",
                              (kind, before.timestamp())).rowcount

    def close(self) -> None:
        self._pool.close()


def hidden(url: str) -> str:
    """``url`` without its password (what logs and ``/admin/status`` may show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _load(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)
