"""The service's stores, SQLite and PostgreSQL, held to the same behaviour: owners, ids never reused, retention; a
kill -9 in the middle of writes loses no acknowledged order; two ``serve`` processes on one PostgreSQL see each
other's orders. PostgreSQL is a real server (tests/postgres.py); in CI a missing one fails these tests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from odedelta.service import open_store
from odedelta.service.store import Store, StoreError, hidden

from . import postgres
from .conftest import DEMO, ROOT
from .servers import serving

ORDER = "/tmf-api/productOrderingManagement/v4/productOrder"
BODY = {"productOrderItem": [{"id": "1", "action": "modify", "product": {"id": "F-1"},
                              "productOffering": {"id": "po-fiber-300"}}],
        "relatedParty": [{"id": "alice", "role": "customer"}]}
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    yield from postgres.server()


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "odedelta.sqlite")
    server = request.getfixturevalue("pg_server")
    return postgres.fresh_database(server, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def store(where: str) -> Iterator[Store]:
    opened = open_store(where)
    yield opened
    opened.close()


def _doc(ident: str, text: str = "x") -> dict[str, Any]:
    return {"id": ident, "text": text}


def test_owners_ids_and_lists(store: Store) -> None:
    a1, _ = store.add("productOrder", 4, _doc, {"m": 1}, "alice", T0)
    b1, _ = store.add("productOrder", 4, _doc, {}, "bob", T0)
    a2, text = store.add("productOrder", 4, lambda i: _doc(i, "second"), {}, "alice", T0)
    assert [a1["id"], b1["id"], a2["id"]] == ["1", "2", "3"]
    assert text == '{\n  "id": "3",\n  "text": "second"\n}\n'
    assert store.list("productOrder", 4, 0, 10, "alice") == (2, [a1, a2])
    assert store.list("productOrder", 4, 0, 10) == (3, [a1, b1, a2])
    assert store.list("productOrder", 5, 0, 10) == (0, [])
    assert store.get("productOrder", "1", 4, "bob") is None  # another caller's order does not exist for bob
    assert store.get("productOrder", "1", 4, "alice") == (a1, {"m": 1})
    assert store.text("productOrder", "2", 4, "alice") is None and store.owner("productOrder", "2") == "bob"
    assert not store.delete("productOrder", "2", 4, "alice")
    assert store.delete("productOrder", "3", 4, "alice")
    nxt, _ = store.add("productOrder", 4, _doc, {}, "alice", T0)
    assert nxt["id"] == "4"  # an id is never reused, even after a delete
    store.put("partnerOrders", 4, "1", {"partnerOrder": []}, {}, "alice", T0)
    assert store.get("partnerOrders", "1") == ({"partnerOrder": []}, {})
    assert [(owner, body["id"]) for owner, body, _ in store.every("productOrder", 4)] == [
        ("alice", "1"), ("bob", "2"), ("alice", "4")]


def test_retention_purges_only_what_is_older(store: Store) -> None:
    store.add("shoppingCart", 4, _doc, {}, "a", T0)
    store.add("shoppingCart", 4, _doc, {}, "a", T0 + timedelta(days=20))
    store.add("productOrder", 4, _doc, {}, "a", T0)
    assert store.purge("shoppingCart", T0 + timedelta(days=10)) == 1
    assert [d["id"] for d in store.list("shoppingCart", 4, 0, 10)[1]] == ["2"]
    assert store.list("productOrder", 4, 0, 10)[0] == 1


def test_concurrent_adds_never_share_an_id(store: Store) -> None:
    ids: list[str] = []

    def adder() -> None:
        for _ in range(25):
            ids.append(store.add("quote", 4, _doc, {}, "a", T0)[0]["id"])

    threads = [threading.Thread(target=adder) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ids, key=int) == [str(i) for i in range(1, 101)]


def test_a_sqlite_file_from_before_owners_opens_and_keeps_its_ids(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE resource (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
                     "version INTEGER NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, meta TEXT NOT NULL, "
                     "UNIQUE (kind, id));"
                     "INSERT INTO resource (kind, version, id, body, meta) VALUES "
                     "('productOrder', 4, '7', '{\"id\": \"7\"}', '{}');")
    db.commit()
    db.close()
    store = open_store(path)
    assert store.get("productOrder", "7", 4) == ({"id": "7"}, {})
    assert store.add("productOrder", 4, _doc, {}, "a", T0)[0]["id"] == "8"
    store.close()


def test_an_unreachable_postgresql_is_one_line_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as refused:
        open_store(f"postgresql://user:s3cret@/nodb?host={tmp_path}&connect_timeout=1")
    assert "s3cret" not in str(refused.value) and "\n" not in str(refused.value)
    assert "cannot open the PostgreSQL store" in str(refused.value)
    assert hidden("postgresql://u:pw@db.example:5432/x") == "postgresql://u:***@db.example:5432/x"


def _serve_args(where: str) -> tuple[str, ...]:
    return ("--catalog", str(DEMO), "--rules", str(ROOT / "rules"), "--inventory", str(DEMO / "inventories"),
            "--store", where)


def test_kill_9_during_writes_loses_no_acknowledged_order(where: str) -> None:
    acknowledged: dict[str, bytes] = {}
    lock = threading.Lock()
    stop = threading.Event()
    server = serving(*_serve_args(where))
    first = server.__enter__()
    try:
        def client() -> None:
            with httpx.Client(base_url=first.url, timeout=30) as http:
                for _ in range(200):  # bounded
                    if stop.is_set():
                        return
                    try:
                        response = http.post(ORDER, params={"asOf": "2026-03-01T00:00:00Z"}, json=BODY)
                    except httpx.HTTPError:
                        return
                    if response.status_code == 201:
                        with lock:
                            acknowledged[response.json()["id"]] = response.content

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        for _ in range(600):
            with lock:
                if len(acknowledged) >= 12:
                    break
            stop.wait(0.05)
        first.kill()  # while the four clients are writing
        stop.set()
        for thread in threads:
            thread.join(30)
    finally:
        server.__exit__(None, None, None)
    assert len(acknowledged) >= 12
    with serving(*_serve_args(where)) as second, httpx.Client(base_url=second.url, timeout=30) as http:
        for ident, content in acknowledged.items():
            found = http.get(f"{ORDER}/{ident}")
            assert found.status_code == 200 and found.content == content
        after = http.post(ORDER, params={"asOf": "2026-03-01T00:00:00Z"}, json=BODY).json()
        assert int(after["id"]) > max(int(i) for i in acknowledged)


def test_two_serve_processes_on_one_postgresql_see_each_others_orders(pg_server: str) -> None:
    url = postgres.fresh_database(pg_server, f"t_{uuid.uuid4().hex[:12]}")
    with serving(*_serve_args(url)) as one, serving(*_serve_args(url)) as two:
        made_on_one = httpx.post(one.url + ORDER, params={"asOf": "2026-03-01T00:00:00Z"}, json=BODY, timeout=30)
        made_on_two = httpx.post(two.url + ORDER, params={"asOf": "2026-03-01T00:00:00Z"}, json=BODY, timeout=30)
        assert (made_on_one.status_code, made_on_two.status_code) == (201, 201)
        assert made_on_one.json()["id"] != made_on_two.json()["id"]
        assert httpx.get(f"{two.url}{ORDER}/{made_on_one.json()['id']}").content == made_on_one.content
        assert httpx.get(f"{one.url}{ORDER}/{made_on_two.json()['id']}").content == made_on_two.content
        listed = httpx.get(one.url + ORDER).json()
        assert [o["id"] for o in listed] == [made_on_one.json()["id"], made_on_two.json()["id"]]


def test_concurrent_updates_of_one_document_are_both_applied(where: str) -> None:
    # two store instances on one database (two serve processes): the second update starts while the first is
    # between its read and its write; it waits for the first's commit and then reads its result (issue 25)
    first, second = open_store(where), open_store(where)
    try:
        first.add("productOrder", 4, lambda i: {"id": i, "note": []}, {}, "alice", T0)
        entered, seen = threading.Event(), []

        def slow(order: dict[str, Any]) -> dict[str, Any]:
            entered.set()
            threading.Event().wait(0.5)  # the other update runs meanwhile
            return {**order, "note": [*order["note"], "first"]}

        def quick(order: dict[str, Any]) -> dict[str, Any]:
            seen.append(list(order["note"]))
            return {**order, "note": [*order["note"], "second"]}

        worker = threading.Thread(target=first.update, args=("productOrder", 4, "1", None, slow))
        worker.start()
        assert entered.wait(10)
        after, _ = second.update("productOrder", 4, "1", None, quick) or ({}, "")
        worker.join(10)
        assert seen == [["first"]]
        assert after["note"] == ["first", "second"]
        assert first.get("productOrder", "1")[0]["note"] == ["first", "second"]  # type: ignore[index]
    finally:
        first.close()
        second.close()


def test_an_update_that_refuses_writes_nothing_and_an_unknown_id_is_none(store: Store) -> None:
    store.add("productOrder", 4, lambda i: {"id": i, "state": "acknowledged"}, {}, "alice", T0)

    def refuse(order: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("cannot")

    with pytest.raises(ValueError, match="cannot"):
        store.update("productOrder", 4, "1", None, refuse)
    assert store.get("productOrder", "1")[0] == {"id": "1", "state": "acknowledged"}  # type: ignore[index]
    assert store.update("productOrder", 4, "9", None, lambda o: o) is None
    assert store.update("productOrder", 4, "1", "bob", lambda o: o) is None  # not bob's
    assert store.update("productOrder", 5, "1", None, lambda o: o) is None  # not a v5 order
    changed, text = store.update("productOrder", 4, "1", "alice",
                                 lambda o: {**o, "state": "cancelled"}) or ({}, "")
    assert changed == {"id": "1", "state": "cancelled"} and store.text("productOrder", "1", 4) == text
