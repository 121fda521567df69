"""Every ``$ odedelta …`` console block of the README is run and its output compared, and every Python example
(``pycon`` blocks) is run as a doctest, so the README cannot go stale (see tests/readme.py for the format)."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import readme
from .conftest import ROOT

BIN = Path(sys.executable).parent


def run_console(block: readme.ConsoleBlock, cwd: Path, bin_dir: Path = BIN) -> str:
    """The command through bash with ``odedelta`` from ``bin_dir``, as a terminal shows it: stdout, then stderr."""
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": "120"}
    done = subprocess.run(["bash", "-c", block.command], cwd=cwd, env=env, capture_output=True, text=True)
    return done.stdout + done.stderr


def mismatch(block: readme.ConsoleBlock, output: str) -> str:
    diff = difflib.unified_diff(block.expected.splitlines(), output.splitlines(), "README.md", "output", lineterm="")
    return f"README.md:{block.line}: $ {block.command}\n" + "\n".join(diff)


def test_the_readme_shows_the_commands_a_reader_starts_with() -> None:
    commands = [b.command for b in readme.console_blocks()]
    assert commands[0] == "odedelta demo"
    assert 'odedelta test "$(odedelta demo --path)"' in commands
    assert len(commands) >= 2  # the rest are on the documentation pages, run by tests/test_docs.py


@pytest.mark.parametrize("block", readme.console_blocks(), ids=lambda b: f"README.md:{b.line}")
def test_console_block(block: readme.ConsoleBlock) -> None:
    output = run_console(block, ROOT)
    assert block.matches(output), mismatch(block, output)


def test_python_examples(tmp_path: Path) -> None:
    examples = [body for _line, info, body in readme.fences() if info == "pycon"]
    assert examples and examples[0] == readme.python_example()
    for index, example in enumerate(examples):
        path = tmp_path / f"example{index}.txt"
        path.write_text(example)
        # the first example runs from an empty directory (it must not need a clone); the others from the clone
        cwd = tmp_path if index == 0 else ROOT
        done = subprocess.run([sys.executable, "-m", "doctest", "-o", "ELLIPSIS", "-o", "NORMALIZE_WHITESPACE",
                               str(path)], cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
