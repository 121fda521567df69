"""What a new user gets: the built wheel installed without extras in a fresh virtual environment, used from an
empty directory. Builds the wheel once per run (hatchling, from the dev extra, without an isolated build) and
installs its dependencies from the package index pip is configured with (its cache makes reruns quicker)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from . import readme
from .conftest import ROOT


@dataclass(frozen=True)
class Installed:
    bin: Path
    python: Path
    home: Path
    """An empty directory to run from."""

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        done = subprocess.run(["bash", "-c", command], cwd=self.home, env=env, capture_output=True, text=True)
        shown = (done.stdout + done.stderr).splitlines()
        print(f"$ {command}  # exit {done.returncode}", *shown[:12], *(["…"] if len(shown) > 12 else []), sep="\n")
        return done


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    dist, venv, home = base / "dist", base / "venv", base / "empty"
    home.mkdir()
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir",
          str(dist), str(ROOT)], ROOT)
    (wheel,) = dist.glob("odedelta-*.whl")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    # this interpreter's pip installs into the new environment (pip --python): no pip bootstrapped there
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", str(wheel)], base)
    yield Installed(bin_dir, python, home)


def test_the_wheel_installs_without_durable_rules(installed: Installed) -> None:
    done = installed.run("python -c 'import importlib.util as u; print(u.find_spec(\"durable\"))'")
    assert done.stdout == "None\n"
    done = installed.run("odedelta demo --executor durable")
    assert done.returncode == 1
    assert done.stderr.startswith("error: the durable executor needs durable-rules, which cannot be imported here")
    assert "install it with pip install 'odedelta[durable]'" in done.stderr


def test_version_demo_and_demo_scenarios_from_an_empty_directory(installed: Installed) -> None:
    done = installed.run("odedelta --version")
    assert (done.returncode, done.stdout) == (0, f"odedelta {version('odedelta')}\n")

    (demo_block,) = [b for b in readme.console_blocks() if b.command == "odedelta demo"]
    done = installed.run("odedelta demo")
    assert done.returncode == 0 and done.stderr == ""
    assert demo_block.matches(done.stdout), done.stdout

    done = installed.run("odedelta demo --path")
    where = Path(done.stdout.strip())
    assert where.parts[-4:] == ("odedelta", "_demo", "catalogs", "demo")
    assert where.is_relative_to(installed.python.parent.parent)  # inside the new environment

    done = installed.run('odedelta test "$(odedelta demo --path)"')
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-2:] == [
        f"rule coverage ({where.parent.parent / 'rules'}, reference): 22 of 22 rules exercised", "60 passed, 0 failed"]
    assert list(installed.home.iterdir()) == []  # nothing written where the user stands


def test_the_readme_python_example_from_an_empty_directory(installed: Installed, tmp_path: Path) -> None:
    example = tmp_path / "example.txt"
    example.write_text(readme.python_example())
    done = installed.run(f"python -m doctest -o ELLIPSIS -o NORMALIZE_WHITESPACE {example}")
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_write_gives_the_schema_the_demo_rules_point_at(installed: Installed, tmp_path: Path) -> None:
    done = installed.run(f"odedelta schema --write {tmp_path} && "
                         'head -1 "$(odedelta demo --path)/../../rules/money.yaml"')
    assert done.returncode == 0
    assert done.stdout.splitlines() == [f"wrote {tmp_path / 'rules-v1.schema.json'}",
                                        "# yaml-language-server: $schema=rules-v1.schema.json"]
    where = Path(installed.run("odedelta demo --path").stdout.strip())
    shipped = where.parent.parent / "rules" / "rules-v1.schema.json"
    assert (tmp_path / "rules-v1.schema.json").read_text() == shipped.read_text()


def test_the_installed_command_writes_the_json_error_of_a_refused_change(installed: Installed) -> None:
    """The console script the wheel installs (not an import of main): a refusal with --format json is the JSON
    error object on stdout, the sentence on stderr, exit 1 (README: refused input exits 1)."""
    script = installed.bin / ("odedelta.exe" if os.name == "nt" else "odedelta")
    assert "from odedelta.adapters.cli import main" in script.read_text(encoding="utf-8", errors="replace")
    message = "unknown offering 'po-fiber-3000' — did you mean 'po-fiber-300'?"
    done = installed.run('odedelta change --catalog "$(odedelta demo --path)" --inventory '
                         '"$(odedelta demo --path)/inventories/alice.json" --product F-1 --to po-fiber-3000 '
                         "--as-of 2026-03-01T00:00:00Z --format json")
    assert done.returncode == 1
    assert json.loads(done.stdout) == {"error": {"type": "RequestError", "exitCode": 1, "message": message,
                                                 "problems": []}}
    assert done.stderr == f"error: {message}\n"

    done = installed.run("odedelta chnage; echo \"exit $?\"; python -m odedelta chnage")
    assert done.returncode == 2
    said = "odedelta: error: unknown command 'chnage' — did you mean 'change'?"
    assert done.stdout == "exit 2\n"
    assert done.stderr.splitlines() == ["usage: odedelta [-h] [--version] COMMAND ...", said,
                                        "usage: odedelta [-h] [--version] COMMAND ...", said]


def test_the_consequence_view_s_static_files_ship_in_the_wheel(installed: Installed) -> None:
    """``odedelta serve``'s ``/ui/`` pages are package data of odedelta.service.ui (read without importing it: the
    bare wheel has no service extra)."""
    done = installed.run("python -c 'import odedelta, pathlib; folder = pathlib.Path(odedelta.__file__).parent / "
                         "\"service\" / \"ui\" / \"static\"; print(sorted(p.name for p in folder.iterdir()))'")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['consequences.html', 'index.html', 'ui.css', 'ui.js', 'view.js']\n"
