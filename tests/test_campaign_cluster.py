"""A real cluster needs no shared disk: a Dask scheduler and workers started as separate processes (on loopback),
in a directory where the driver's paths cannot be read, give the same files as the local engine; a worker killed
mid-run has its partitions run again."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import odedelta
from odedelta.campaigns import ChangeOffering, generate, run

from .conftest import DEMO, ROOT
from .processes import alive, command_line, descendants, started

DASK = Path(sys.executable).parent / "dask"
pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the worker processes"),
              pytest.mark.skipif(not DASK.exists(), reason="the dask command line is not installed")]

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
FILES = ("summary.json", "customers.parquet", "items.parquet", "orders.jsonl", "_manifest.json")
TEMPLATE = ChangeOffering("po-mobile-l", "po-mobile-s")
AUDIT = '''
"""Preloaded in each Dask worker: the driver's directory does not exist here (reading it fails)."""
import os
import sys

BLOCKED = os.environ["ODEDELTA_TEST_DRIVER_DIR"]


def _hook(event, args):
    if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        if os.path.abspath(os.fsdecode(args[0])).startswith(BLOCKED):
            raise FileNotFoundError(2, "no such file or directory (on this worker)", os.fsdecode(args[0]))


sys.addaudithook(_hook)
'''


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """A scheduler and two single-threaded workers, each its own process, working in ``tmp_path/cluster``."""
    where = tmp_path / "cluster"
    where.mkdir()
    (where / "no_driver_paths.py").write_text(AUDIT, encoding="utf-8")
    driver = tmp_path / "driver"
    environment = {**os.environ, "ODEDELTA_TEST_DRIVER_DIR": str(driver), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    file = where / "scheduler.json"
    scheduler = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(file)], cwd=where, env=environment,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(file), "--nworkers", "2",
                                "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard", "--preload",
                                str(where / "no_driver_paths.py")], cwd=where, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        address = None
        while address is None:  # the scheduler writes its file when it listens (maybe not in one go)
            assert time.monotonic() < deadline and scheduler.poll() is None, "the scheduler did not start"
            with contextlib.suppress(OSError, ValueError, KeyError):
                address = json.loads(file.read_text(encoding="utf-8"))["address"]
            time.sleep(0.05)
        from distributed import Client

        with Client(address) as client:
            client.wait_for_workers(2, timeout=60)
        seen |= descendants(workers.pid)
        yield address, driver, workers
    finally:
        seen |= descendants(workers.pid)
        for process in (workers, scheduler):
            process.send_signal(signal.SIGTERM)
        for process in (workers, scheduler):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in seen:  # a worker the nannies did not stop
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_separately_started_cluster_without_the_driver_paths_writes_the_local_bytes(
        cluster: tuple[str, Path, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    from distributed import Client

    address, driver, workers = cluster
    catalog, rules = driver / "catalog", driver / "rules"
    shutil.copytree(DEMO, catalog, ignore=shutil.ignore_patterns("inventories", "scenarios"))
    shutil.copytree(ROOT / "rules", rules)
    base = driver / "customers.jsonl"
    generate.write_jsonl(base, generate.customers(odedelta.load_catalog(catalog), 400, as_of=AS_OF, seed=6,
                                                  favour="po-mobile-l"))
    with Client(address) as client, pytest.raises(FileNotFoundError):  # the workers cannot read the driver's files
        client.submit(os.listdir, str(catalog), pure=False).result()
    local = run(catalog, base, TEMPLATE, as_of=AS_OF, out=tmp_path / "local", rules=rules, orders=True, workers=0,
                partition_size=10)
    out = tmp_path / "dask"
    killed: list[int] = []

    def kill_a_worker() -> None:  # once a few partitions are done, one worker process dies
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(list((out / ".odedelta-checkpoints").glob("part-*.pickle"))) >= 3:
                pids = sorted(p for p in descendants(workers.pid) if "multiprocessing-fork" in command_line(p))
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    try:
        result = run(catalog, base, TEMPLATE, as_of=AS_OF, out=out, rules=rules, orders=True, engine="dask",
                     scheduler=address, partition_size=10)
    finally:
        killer.join()
    assert killed, "no worker was killed"
    for name in FILES:
        assert (out / name).read_bytes() == (local.out / name).read_bytes(), name
    assert result.summary["customers"] == 400 and result.summary["changed"] > 50


@pytest.mark.parametrize("number", [signal.SIGKILL, signal.SIGTERM])
def test_a_dask_driver_killed_leaves_no_process(number: int, tmp_path: Path) -> None:
    base = tmp_path / "customers.jsonl"
    generate.write_jsonl(base, generate.customers(odedelta.load_catalog(DEMO), 600, as_of=AS_OF, seed=2,
                                                  favour="po-mobile-l"))
    out = tmp_path / "out"
    driver = subprocess.Popen([sys.executable, "-m", "odedelta", "bulk", "--catalog", str(DEMO), "--inventories",
                               str(base), "--from", "po-mobile-l", "--to", "po-mobile-s", "--as-of",
                               "2026-03-01T00:00:00Z", "--out", str(out), "--engine", "dask", "--workers", "2",
                               "--partition-size", "5"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[int, str | None] = {}

    def look() -> None:
        for pid in descendants(driver.pid):
            seen.setdefault(pid, started(pid))

    try:
        deadline = time.monotonic() + 90
        while len(list((out / ".odedelta-checkpoints").glob("part-*.pickle"))) < 2:
            assert driver.poll() is None and time.monotonic() < deadline, "the campaign ended before the kill"
            look()
            time.sleep(0.01)
        look()
        assert any("multiprocessing-fork" in command_line(pid) for pid in seen)
        driver.send_signal(number)
        assert driver.wait(60) == (143 if number == signal.SIGTERM else -signal.SIGKILL)  # stopped, not finished
        deadline = time.monotonic() + 20
        while any(alive(pid, since) for pid, since in seen.items()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [command_line(pid) for pid, since in seen.items() if alive(pid, since)]
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        for pid, since in seen.items():
            with contextlib.suppress(ProcessLookupError):
                if alive(pid, since):
                    os.kill(pid, signal.SIGKILL)
