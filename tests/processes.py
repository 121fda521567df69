"""The processes a test started, read from /proc (Linux): which descend from a pid, whether one is still the same
process (pids wrap on a busy machine, so a process is its pid and its start time), and none left behind."""

from __future__ import annotations

import time
from pathlib import Path

import pytest


def stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state first, parent second; the start time is 19)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def started(pid: int) -> str | None:
    """When the process started (clock ticks since boot), None when it is gone."""
    fields = stat(pid)
    return fields[19] if len(fields) > 19 else None


def alive(pid: int, since: str | None = None) -> bool:
    """The process that had ``pid`` (and started at ``since``, when given) is still running."""
    fields = stat(pid)
    return bool(fields) and fields[0] not in ("Z", "X") and (since is None or fields[19] == since)


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` now."""
    parents = {int(entry.name): int(fields[1]) for entry in Path("/proc").iterdir()
               if entry.name.isdigit() and len(fields := stat(int(entry.name))) > 1}
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, of in parents.items():
            if of == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def none_left(pids: dict[int, str | None], within: float = 20.0) -> None:
    """Fail unless every process of ``pids`` (pid → start time) is gone within ``within`` seconds."""
    deadline = time.monotonic() + within
    left: set[int] = set()
    while time.monotonic() < deadline:
        left = {pid for pid, since in pids.items() if alive(pid, since)}
        if not left:
            return
        time.sleep(0.05)
    pytest.fail(f"processes left behind: {[command_line(pid) for pid in left]}")
