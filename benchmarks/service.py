"""The service under load, over loopback: never blocked, the HTTP overhead, and several workers.

    .venv/bin/python benchmarks/service.py [--requests 400] [--health-polls 2000] [--clients 8]
    .venv/bin/python benchmarks/service.py --quick     # a smoke run (CI): 20 items, 20 requests, 2 clients
    .venv/bin/python benchmarks/service.py --only workers --postgres   # measure 3 on SQLite and PostgreSQL

Every server is ``odedelta serve`` on 127.0.0.1 (a free port) with the demo catalog, rules and inventories, stopped
at the end; every loop is bounded. Three measures:

1. **/health while a 1,000-item qualification runs** (one process): one client POSTs a TMF679 qualification of
   1,000 items while another GETs ``/health`` back to back (at most ``--health-polls`` times, until the
   qualification answers); p50/p99/max of ``/health`` and how long the qualification took.
2. **HTTP overhead at one client** (one process): the TMF663 cart of the demo downgrade POSTed ``--requests``
   times one after the other, against the same answer computed in process by the same code (body parsed, intent,
   change, cart document, stored in SQLite in memory), one of each in turn so the machine's load weighs on both
   alike; the difference of the p50s is what HTTP adds: the client, the loopback, uvicorn, FastAPI, the auth
   dependency, the thread pool hop and the access log. Three clients, each on one kept-alive connection:
   ``http.client`` (the standard library's), ``httpx`` (what the tests and most Python callers use, ~0.4 ms more
   of its own) and a plain HTTP/1.1 client on a socket (one send per request, the answer read by its
   ``Content-Length``: about what a compiled client costs, so the service's overhead without a Python HTTP
   library's). Beside the wall clock, the CPU time per answer of the server (``/proc``, every thread) and of the
   client's call against the in-process call's: what each side spends, whatever else the machine runs. Then the
   parts: the app called in this process without a socket (over the in-process call) and a ``/health`` round
   trip.
3. **``--clients`` clients, ``--workers 1`` and ``--workers 2``** on a SQLite file shared by the workers, and on
   PostgreSQL with ``--postgres`` (a throwaway server, as the tests start one): requests/s, p50 and p99 of the same
   cart POST. Client and server share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from odedelta.service import create_app
from odedelta.service._core import iso
from odedelta.service.documents import intent_of, shopping_cart

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "catalogs" / "demo"
AS_OF = "2026-03-01T00:00:00Z"
CART = {"cartItem": [{"action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}]}
CART_PATH = f"/tmf-api/shoppingCart/v4/shoppingCart?asOf={AS_OF}"
POQ_PATH = "/tmf-api/productOfferingQualification/v4/productOfferingQualification"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(value: float) -> str:
    return f"{value * 1e3:.2f}"


class Server:
    """One ``odedelta serve`` process: its base URL and pid."""

    def __init__(self, base: str, pid: int) -> None:
        self.base, self.pid = base, pid
        self.port = int(base.rsplit(":", 1)[1])

    def cpu(self) -> float:
        """Seconds of CPU the server process has used (user + system, every thread)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(*extra: str) -> Iterator[Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "odedelta", "serve", "--catalog", str(DEMO), "--rules", str(ROOT / "rules"),
               "--inventory", str(DEMO / "inventories"), "--host", "127.0.0.1", "--port", str(port), *extra]
    # stderr (the banner and the access log) to a file: a pipe nobody reads fills up and stalls the server
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(command, env={**os.environ, "ODEDELTA_TOKEN": ""}, stderr=log, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(base + "/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield Server(base, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.seek(0)
            print(f"  ({log.readline().strip()})")


def health_while_qualifying(polls: int, count: int = 1000) -> None:
    items = [{"product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}] * count
    with serve("--time-budget", "300", "--no-access-log") as server, \
            httpx.Client(base_url=server.base, timeout=300) as http:
        idle = []
        for _ in range(min(polls, 500)):  # the same GETs with nothing else running: the machine's own noise
            start = time.perf_counter()
            http.get("/health")
            idle.append(time.perf_counter() - start)
            time.sleep(0.005)
        done: list[tuple[int, float]] = []

        def qualify() -> None:
            start = time.perf_counter()
            response = http.post(POQ_PATH, json={"productOfferingQualificationItem": items, "relatedParty": [
                {"id": "alice", "role": "customer"}]})
            done.append((response.status_code, time.perf_counter() - start))

        worker = threading.Thread(target=qualify)
        worker.start()
        time.sleep(0.2)  # the qualification is under way
        latencies: list[float] = []
        with httpx.Client(base_url=server.base, timeout=60) as probe:
            for _ in range(polls):
                if done and latencies:  # at least one GET, even when a small qualification is already done
                    break
                start = time.perf_counter()
                if probe.get("/health").status_code != 200:
                    raise RuntimeError("/health failed")
                latencies.append(time.perf_counter() - start)
                time.sleep(0.005)
        worker.join()
    status, took = done[0]
    if status != 201:
        raise RuntimeError(f"the qualification answered {status}, not 201")
    print(f"1. /health while a {count:,}-item qualification runs: {len(latencies)} GETs, "
          f"p50 {ms(statistics.median(latencies))} ms, p99 {ms(percentile(latencies, 0.99))} ms, "
          f"max {ms(max(latencies))} ms; the qualification answered {status} in {took:.1f} s; "
          f"/health idle: p50 {ms(statistics.median(idle))} ms, p99 {ms(percentile(idle, 0.99))} ms")


class InProcess:
    """The cart's answer without HTTP: the same service code (body parsed, intent, change, cart document, stored in
    SQLite in memory), in this process."""

    def __init__(self) -> None:
        self.service = create_app(DEMO, ROOT / "rules", DEMO / "inventories").state.service
        self.moment = datetime(2026, 3, 1, tzinfo=UTC)
        self.cpu = 0.0

    def __call__(self) -> float:
        start, cpu = time.perf_counter(), time.process_time()
        body = json.loads(json.dumps(CART), parse_float=Decimal)
        intent = intent_of(body, "cartItem", "ShoppingCart")
        result = self.service.change(intent, self.moment)
        moment = self.moment
        self.service.store.add("shoppingCart", 4, lambda ident: shopping_cart(
            result, 4, ident, f"/x/{ident}", intent.party, moment, moment),
            {"intent": intent.to_json(), "asOf": iso(moment), "created": iso(moment)}, "anonymous", moment)
        took = time.perf_counter() - start
        self.cpu += time.process_time() - cpu
        return took


class StdlibClient:
    """``http.client`` on one kept-alive connection: a POST and its whole answer, the least a client can do. It
    sends the head and the body in two writes, so its socket gets ``TCP_NODELAY`` (as httpx's has, and uvicorn's):
    without it the body waits for the head's acknowledgement (Nagle), a delay of the client, not the service."""

    def __init__(self, server: Server) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        self.connection.connect()
        assert self.connection.sock is not None
        self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.body = json.dumps(CART).encode()

    def post(self) -> int:
        self.connection.request("POST", CART_PATH, self.body, {"Content-Type": "application/json"})
        answer = self.connection.getresponse()
        answer.read()
        return answer.status

    def close(self) -> None:
        self.connection.close()


class SocketClient:
    """A plain HTTP/1.1 client on one kept-alive socket (``TCP_NODELAY``): the request, head and body, written in
    one send; the answer read to the end of its head, then its ``Content-Length`` bytes. About what a compiled
    client costs: the service's overhead without a Python HTTP library's own (``http.client`` parses every
    answer's head with the ``email`` package, ~0.1 ms of the caller's CPU per call)."""

    def __init__(self, server: Server) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = json.dumps(CART).encode()
        self.request = (f"POST {CART_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        self.rest = b""

    def post(self) -> int:
        self.sock.sendall(self.request)
        data = self.rest
        while (end := data.find(b"\r\n\r\n")) < 0:
            data += self._more()
        head = data[:end].decode("latin-1").split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in head[1:] if line.lower().startswith("content-length:"))
        total = end + 4 + length
        while len(data) < total:
            data += self._more()
        self.rest = data[total:]
        return int(head[0].split()[1])

    def _more(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


class HttpxClient:
    def __init__(self, server: Server) -> None:
        self.client = httpx.Client(base_url=server.base, timeout=30)

    def post(self) -> int:
        return self.client.post(CART_PATH, json=CART).status_code

    def close(self) -> None:
        self.client.close()


CLIENTS = (("http.client", StdlibClient), ("httpx", HttpxClient), ("a socket", SocketClient))


class WithoutSocket:
    """The same cart through the service's ASGI app called in this process, without a socket or a server: what the
    app (routing, reading the request, the thread hop, the answer) adds to the in-process call."""

    def __init__(self) -> None:
        self.app = create_app(DEMO, ROOT / "rules", DEMO / "inventories")
        self.loop = asyncio.new_event_loop()
        self.body = json.dumps(CART).encode()
        path, query = CART_PATH.split("?")
        self.scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                      "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                      "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
                      "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                                  (b"content-length", str(len(self.body)).encode())]}

    def __call__(self) -> float:
        start = time.perf_counter()
        self.loop.run_until_complete(self._one())
        return time.perf_counter() - start

    async def _one(self) -> None:
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        await self.app(dict(self.scope), receive, send)
        if sent[0]["status"] != 201:
            raise RuntimeError(f"the cart answered {sent[0]['status']} without a socket")


def parts(rounds: int, local_call: InProcess, server: Server) -> None:
    """Where the overhead goes: the app without a socket against the in-process call (alternated), and a /health
    round trip on the same server (the client, the loopback, uvicorn and the app's layers around the smallest
    answer)."""
    app_call = WithoutSocket()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    local, app, health = [], [], []
    for index in range(rounds + 50):
        spent, through_app = local_call(), app_call()
        start = time.perf_counter()
        connection.request("GET", "/health")
        connection.getresponse().read()
        if index >= 50:
            local.append(spent)
            app.append(through_app)
            health.append(time.perf_counter() - start)
    connection.close()
    app_call.loop.close()
    local_p50, app_p50 = statistics.median(local), statistics.median(app)
    print(f"2. the parts ({rounds} rounds): the app without a socket p50 {ms(app_p50)} ms, {ms(app_p50 - local_p50)} "
          f"ms over the in-process call's {ms(local_p50)} ms; a /health round trip p50 {ms(statistics.median(health))}"
          f" ms (the client, the loopback, uvicorn and the app's own layers around the smallest answer; the two "
          f"overlap, they do not add up)")


def overhead(rounds: int) -> None:
    """Each round one call in process and one over HTTP, alternated, so the machine's load weighs on both alike."""
    local_call = InProcess()
    print("2. load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for label, extra in (("access log on", ()), ("access log off", ("--no-access-log",))):
        with serve(*extra) as server:
            for name, kind in CLIENTS:
                client = kind(server)
                local, over = [], []
                client_cpu = 0.0
                for index in range(rounds + 50):
                    if index == 50:  # after a warm-up
                        local_call.cpu, cpu, client_cpu = 0.0, server.cpu(), 0.0
                    spent = local_call()
                    start, started = time.perf_counter(), time.process_time()
                    status = client.post()
                    took = time.perf_counter() - start
                    client_cpu += time.process_time() - started
                    if status != 201:
                        raise RuntimeError(f"the cart answered {status}")
                    if index >= 50:
                        local.append(spent)
                        over.append(took)
                server_cpu = (server.cpu() - cpu) / rounds
                client.close()
                local_p50, http_p50 = statistics.median(local), statistics.median(over)
                print(f"2. one client ({name}), {rounds} carts ({label}): in process p50 {ms(local_p50)} ms; "
                      f"over HTTP p50 {ms(http_p50)} ms, p99 {ms(percentile(over, 0.99))} ms; HTTP overhead p50 "
                      f"{ms(http_p50 - local_p50)} ms; CPU per answer: server {ms(server_cpu)} ms + client "
                      f"{ms(client_cpu / rounds)} ms, in process {ms(local_call.cpu / rounds)} ms")
            if label == "access log on":
                parts(rounds, local_call, server)


async def load(url: str, clients: int, total: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = total
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=clients), timeout=60) as client:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                response = await client.post(url, json=CART)
                latencies.append(time.perf_counter() - start)
                if response.status_code != 201:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - start, latencies


def workers(clients: int, requests: int, postgres: bool) -> None:
    print(f"3. {clients} clients, {requests} carts each run:")
    print("| workers | store | requests | rps | p50 ms | p99 ms |")
    print("|---:|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder, _postgres(postgres) as url:
        stores: list[tuple[str, Callable[[int], str]]] = [
            ("SQLite file", lambda n: str(Path(folder) / f"shared-{n}.sqlite"))]
        if url is not None:
            stores.append(("PostgreSQL", lambda n: _database(url, f"bench_{n}")))
        for label, store_of in stores:
            for count in (1, 2):
                with serve("--workers", str(count), "--store", store_of(count), "--no-access-log") as server:
                    target = server.base + CART_PATH
                    asyncio.run(load(target, clients, min(50, requests)))  # warm-up
                    elapsed, latencies = asyncio.run(load(target, clients, requests))
                print(f"| {count} | {label} | {len(latencies)} | {len(latencies) / elapsed:.0f} | "
                      f"{ms(statistics.median(latencies))} | {ms(percentile(latencies, 0.99))} |")


@contextmanager
def _postgres(wanted: bool) -> Iterator[str | None]:
    """A throwaway PostgreSQL server (``ODEDELTA_TEST_POSTGRES`` or ``initdb`` in a temporary directory, as the
    tests start one), or None."""
    if not wanted:
        yield None
        return
    sys.path.insert(0, str(ROOT))
    from tests.postgres import server

    servers = server()
    try:
        yield next(servers)
    finally:
        next(servers, None)  # the generator's end: the server stopped and its directory deleted


def _database(url: str, name: str) -> str:
    from tests.postgres import fresh_database

    return fresh_database(url, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="answers measured per run (default 400)")
    parser.add_argument("--health-polls", type=int, default=2000, help="at most this many /health GETs")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of measure 3 (default 8)")
    parser.add_argument("--items", type=int, default=1000, help="items of measure 1's qualification (default 1000)")
    parser.add_argument("--only", choices=["health", "overhead", "workers"], help="one measure only")
    parser.add_argument("--postgres", action="store_true", help="measure 3 on PostgreSQL too (a throwaway server)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20 items, 20 requests, 2 clients")
    args = parser.parse_args()
    if args.quick:
        args.items, args.requests, args.clients, args.health_polls = 20, 20, 2, 50
    if args.only in (None, "health"):
        health_while_qualifying(args.health_polls, args.items)
    if args.only in (None, "overhead"):
        overhead(args.requests)
    if args.only in (None, "workers"):
        workers(args.clients, args.requests, args.postgres)


if __name__ == "__main__":
    main()
