"""A throwaway PostgreSQL server for the store tests: ``initdb`` in a temporary directory, listening on a Unix
socket there only (no TCP port), stopped and deleted at the end of the session.

``ODEDELTA_TEST_POSTGRES=postgresql://…`` uses that server instead. Without either, the tests that need PostgreSQL
skip — except in CI (``CI`` or ``ODEDELTA_REQUIRE_POSTGRES`` set), where a missing server fails them loudly.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _required() -> bool:
    return any(os.environ.get(name, "").lower() not in ("", "0", "false")
               for name in ("CI", "ODEDELTA_REQUIRE_POSTGRES"))


def _as_postgres_user() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.fail("running as root, PostgreSQL needs `runuser` to start as the postgres user")
    return [runuser, "-u", "postgres", "--"]


def server() -> Iterator[str]:
    """The URL of a PostgreSQL server for this session."""
    given = os.environ.get("ODEDELTA_TEST_POSTGRES")
    if given:
        yield given
        return
    bindir = _bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (initdb not found): apt-get install -y postgresql"
        if _required():
            pytest.fail(message)
        pytest.skip(message)
    prefix = _as_postgres_user()
    root = Path(tempfile.mkdtemp(prefix="odedelta-pg-"))
    root.chmod(0o755)
    data = root / "data"
    data.mkdir()
    if prefix:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "odedelta",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    log = root / "server.log"
    if prefix:
        log.touch()
        shutil.chown(log, "postgres")
    started = subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "30",
                              "-o", f"-k {root} -c listen_addresses='' -c fsync=on -c max_connections=200",
                              "start"], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"PostgreSQL did not start: {started.stderr} {log.read_text()}")
    try:
        yield f"postgresql://odedelta@/postgres?host={root}"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(url: str, name: str) -> str:
    """A new empty database on the server of ``url`` (each test its own), as a URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
