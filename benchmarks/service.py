"""The HTTP cost of the service: the TMF663 cart of the demo downgrade over loopback, against the engine in process.

    .venv/bin/python benchmarks/service.py [--requests 400] [--levels 1,8,32]
    .venv/bin/python benchmarks/service.py --quick     # 20 requests at 1 and 2 clients: a smoke run (CI)

Starts ``odedelta serve`` (uvicorn, one process) on 127.0.0.1 with the demo catalog, rules and inventories and
an in-memory store, then for each level of concurrency runs a bounded loop: that many httpx clients POST the same
cart until ``--requests`` answers have come back (after a warm-up), each answer checked to be a 201. It reports
requests per second and p50/p99 latency, beside the in-process time of ``Engine.change`` for the same change (and of
the whole in-process answer: inventory from the TMF637 products, change, cart document), and the ratio of the HTTP
p50 to the engine's. Client and server share the machine's cores: the numbers at 8 and 32 clients include the
client's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

import odedelta
from odedelta.service import create_app
from odedelta.service.documents import Intent, shopping_cart

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "catalogs" / "demo"
AS_OF = "2026-03-01T00:00:00Z"
CART = {"cartItem": [{"action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def asgi(rounds: int) -> list[float]:
    """The same POST through the app in process (httpx's ASGI transport): the adapter without socket or server."""
    app = create_app(DEMO, ROOT / "rules", DEMO / "inventories")
    times = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://in-process") as client:
        for _ in range(rounds):
            start = time.perf_counter()
            response = await client.post(f"/tmf-api/shoppingCart/v4/shoppingCart?asOf={AS_OF}", json=CART)
            times.append(time.perf_counter() - start)
            if response.status_code != 201:
                raise RuntimeError(response.text[:200])
    return times


def in_process(rounds: int) -> tuple[list[float], list[float]]:
    catalog = odedelta.load_catalog(DEMO)
    engine = odedelta.Engine(catalog, odedelta.load_rules(ROOT / "rules", catalog))
    alice = odedelta.load_inventory(DEMO / "inventories" / "alice.json", catalog)
    request = odedelta.ChangeOffer(product="F-1", to="po-fiber-300")
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    app = create_app(DEMO, ROOT / "rules", DEMO / "inventories")
    service = app.state.service
    intent = Intent("modify", "F-1", "po-fiber-300")
    engine_times, answer_times = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        engine.change(alice, request, as_of=moment)
        engine_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = service.change(intent, moment)
        shopping_cart(result, 4, "1", "/x", None, moment, moment)
        answer_times.append(time.perf_counter() - start)
    return engine_times, answer_times


async def load(url: str, clients: int, total: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = total
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=clients), timeout=30) as client:

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="answers measured per level (default 400)")
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients (default 1,8,32)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20 requests at 1 and 2 clients")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.levels = 20, "1,2"
    rounds = args.requests if args.quick else max(200, args.requests)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).parent / "odedelta"), "serve", "--catalog", str(DEMO), "--rules",
               str(ROOT / "rules"), "--inventory", str(DEMO / "inventories"), "--port", str(port)]
    server = subprocess.Popen(command, env={**os.environ, "ODEDELTA_TOKEN": ""})
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(400):
            try:
                if httpx.get(base + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                if server.poll() is not None:
                    raise SystemExit(f"error: odedelta serve exited with {server.returncode}") from None
                time.sleep(0.05)
        else:
            raise SystemExit("error: odedelta serve did not answer /health within 20 s")
        url = f"{base}/tmf-api/shoppingCart/v4/shoppingCart?asOf={AS_OF}"
        engine_times, answer_times = in_process(rounds)
        engine_p50 = statistics.median(engine_times)
        asgi_times = asyncio.run(asgi(rounds))
        print(f"in process ({rounds} rounds): Engine.change p50 {engine_p50 * 1e3:.2f} ms, "
              f"p99 {percentile(engine_times, 0.99) * 1e3:.2f} ms; whole answer (inventory + change + cart) "
              f"p50 {statistics.median(answer_times) * 1e3:.2f} ms; through the ASGI app without a socket "
              f"p50 {statistics.median(asgi_times) * 1e3:.2f} ms "
              f"(+{(statistics.median(asgi_times) - engine_p50) * 1e3:.2f} ms over Engine.change)")
        print()
        print("| clients | requests | rps | p50 ms | p99 ms | p50 / Engine.change p50 | p50 − Engine.change p50 (ms) |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for clients in (int(c) for c in args.levels.split(",")):
            asyncio.run(load(url, clients, min(50, args.requests)))  # warm-up
            elapsed, latencies = asyncio.run(load(url, clients, args.requests))
            p50 = statistics.median(latencies)
            print(f"| {clients} | {len(latencies)} | {len(latencies) / elapsed:.0f} | {p50 * 1e3:.2f} | "
                  f"{percentile(latencies, 0.99) * 1e3:.2f} | {p50 / engine_p50:.1f} | "
                  f"{(p50 - engine_p50) * 1e3:.2f} |")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
