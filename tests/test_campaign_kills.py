"""Campaigns survive what hours bring: a worker, the driver (SIGTERM, SIGKILL) and the writer killed at seeded
random points of a 2,000-customer run; every ``--resume`` finishes with files byte-identical to an uninterrupted
run, and no process of the campaign is left behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import odedelta
from odedelta.campaigns import ChangeOffering, generate, run

from .conftest import DEMO, ROOT
from .processes import alive, command_line, descendants, none_left, started

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the campaign's processes")

RULES = ROOT / "rules"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
FILES = ("summary.json", "customers.parquet", "items.parquet", "orders.jsonl", "report.html", "_manifest.json")
SIZE = 50  # 2,000 customers: 40 partitions


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 generated customers, half of them on Mobile L, two broken lines among them."""
    catalog = odedelta.load_catalog(DEMO)
    path = tmp_path_factory.mktemp("kills") / "customers.jsonl"
    generate.write_jsonl(path, generate.customers(catalog, 1998, as_of=AS_OF, seed=28, favour="po-mobile-l"))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[700:700] = ["{broken\n", '{"customer": "X", "products": [{"id": "x", "productOffering": {"id": "po-x"}}]}\n']
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "out"
    run(DEMO, base, ChangeOffering("po-mobile-l", "po-mobile-s"), as_of=AS_OF, out=out, rules=RULES, orders=True,
        workers=0, partition_size=SIZE)
    return out


def _command(base: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "odedelta", "bulk", "--catalog", str(DEMO), "--rules", str(RULES),
            "--inventories", str(base), "--from", "po-mobile-l", "--to", "po-mobile-s", "--as-of",
            "2026-03-01T00:00:00Z", "--out", str(out), "--orders", "--workers", "2", "--partition-size", str(SIZE),
            *extra]


def _checkpoints(out: Path) -> int:
    return len(list((out / ".odedelta-checkpoints").glob("part-*.pickle")))


def _wait(condition: object, driver: subprocess.Popen[bytes], within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert driver.poll() is None, "the campaign ended before the kill"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _interruptible() -> None:
    """The driver as started at a terminal: SIGINT at its default. A shell without job control (CI's, running the
    suites as background jobs) starts its background commands with SIGINT ignored, which a Python program keeps
    (as it should: nohup's semantics), so Ctrl-C would not reach it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Watched:
    """A driver started in a subprocess, and every process it started."""

    def __init__(self, command: list[str], log: Path) -> None:
        self.log = log
        with log.open("wb") as stream:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stream,
                                            preexec_fn=_interruptible)
        self.seen: dict[int, str | None] = {}

    def look(self) -> None:
        for pid in descendants(self.process.pid):
            self.seen.setdefault(pid, started(pid))

    def workers(self) -> list[int]:
        self.look()
        driver = command_line(self.process.pid)  # a forked worker has its driver's command line
        return sorted(pid for pid, started in self.seen.items() if alive(pid, started)
                      and ("--multiprocessing-fork" in (line := command_line(pid)) or line == driver))

    def kill(self, number: int) -> int:
        self.look()
        self.process.send_signal(number)
        code = self.process.wait(60)
        none_left(self.seen)
        return code


@pytest.fixture
def watched() -> Iterator[list[Watched]]:
    drivers: list[Watched] = []
    yield drivers
    for driver in drivers:  # a failed test leaves nothing running either
        if driver.process.poll() is None:
            driver.process.kill()
            driver.process.wait()
        for pid, since in driver.seen.items():
            if alive(pid, since):
                os.kill(pid, signal.SIGKILL)


def test_kills_at_seeded_random_points_resume_to_the_same_bytes(base: Path, reference: Path, tmp_path: Path,
                                                               watched: list[Watched]) -> None:
    rng = random.Random(28)
    out = tmp_path / "out"

    def start(*extra: str) -> Watched:
        driver = Watched(_command(base, out, *extra), tmp_path / f"log-{len(watched)}.txt")
        watched.append(driver)
        return driver

    # 1. a worker killed: its partitions run again on a new pool; then the driver gets SIGTERM
    driver = start()
    target = rng.randint(2, 8)
    _wait(lambda: _checkpoints(out) >= target and len(driver.workers()) == 2, driver.process)
    os.kill(rng.choice(driver.workers()), signal.SIGKILL)
    target = _checkpoints(out) + rng.randint(3, 8)
    _wait(lambda: _checkpoints(out) >= target, driver.process)
    assert driver.kill(signal.SIGTERM) == 143
    stderr = driver.log.read_text(encoding="utf-8")
    assert stderr.rstrip().splitlines()[-1].startswith("error: stopped by SIGTERM") and "--resume" in stderr
    assert not (out / "_manifest.json").exists() and 0 < _checkpoints(out) < 40

    # 2. the driver killed outright (SIGKILL): its workers die with it
    driver = start("--resume")
    target = _checkpoints(out) + rng.randint(3, 8)
    _wait(lambda: _checkpoints(out) >= target and len(driver.workers()) == 2, driver.process)
    assert driver.kill(signal.SIGKILL) == -signal.SIGKILL
    assert not (out / "_manifest.json").exists()

    # 3. the writer killed: the driver while it writes the files
    driver = start("--resume")
    _wait(lambda: any(p.name.endswith(".tmp") for p in out.iterdir()), driver.process)
    time.sleep(rng.uniform(0, 0.01))
    assert driver.kill(signal.SIGKILL) == -signal.SIGKILL  # while writing (the files take ~0.1 s)
    names = {p.name for p in out.iterdir()}
    assert "_manifest.json" not in names or ".odedelta-checkpoints" in names

    # 4. the last resume finishes: the same bytes as the uninterrupted run
    driver = start("--resume")
    assert driver.process.wait(120) == 0, driver.log.read_text(encoding="utf-8")
    none_left(driver.seen)
    for name in FILES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert json.loads((out / "_manifest.json").read_text(encoding="utf-8"))["partitions"]["done"] == 40


def test_ctrl_c_stops_the_campaign_with_130_and_says_to_resume(base: Path, tmp_path: Path,
                                                              watched: list[Watched]) -> None:
    """SIGINT (Ctrl-C at a terminal) stops the driver and its workers like SIGTERM, with the shell's code for it:
    130, as docs/reference/errors.md says."""
    out = tmp_path / "out"
    driver = Watched(_command(base, out), tmp_path / "log.txt")
    watched.append(driver)
    _wait(lambda: _checkpoints(out) >= 3 and len(driver.workers()) == 2, driver.process)
    assert driver.kill(signal.SIGINT) == 130
    last = driver.log.read_text(encoding="utf-8").rstrip().splitlines()[-1]
    assert last == (f"error: stopped by SIGINT: the finished partitions are saved in {out}; run the same command "
                    "with --resume to continue")
    assert not (out / "_manifest.json").exists() and _checkpoints(out) >= 3
