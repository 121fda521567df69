"""The documentation site (docs/, mkdocs.yml): every command block of every page is run and its output compared,
every Python example is run, the generated reference pages are current and the site builds strictly.

The format of the blocks is tests/readme.py's; a block that cannot run in a test is marked
``<!-- not run: the reason -->`` on the line before it, and such blocks are few."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from . import readme
from .conftest import ROOT
from .test_readme import BIN, run_console

DOC_PAGES = [p for p in readme.pages() if p != readme.README]


def _blocks() -> list[readme.ConsoleBlock]:
    found = []
    for page in DOC_PAGES:
        found += readme.console_blocks(page.read_text(encoding="utf-8"), readme.page_name(page))
    return found


def _examples(info: str) -> list[tuple[str, int, str]]:
    found = []
    for page in DOC_PAGES:
        text = page.read_text(encoding="utf-8")
        skipped = readme.not_run(text)
        found += [(readme.page_name(page), line, body) for line, fence_info, body in readme.fences(text)
                  if fence_info == info and line not in skipped]
    return found


def test_the_site_has_the_four_kinds_of_pages_and_runs_their_commands() -> None:
    names = {readme.page_name(p) for p in DOC_PAGES}
    for folder in ("tutorials", "how-to", "reference", "explanation"):
        assert any(n.startswith(f"docs/{folder}/") for n in names), folder
    assert len(_blocks()) >= 15


def test_every_code_block_is_run_or_marked_and_few_are_marked() -> None:
    unmarked, marked, run = [], 0, 0
    for page in readme.pages():
        text = page.read_text(encoding="utf-8")
        skipped = readme.not_run(text)
        for line, info, body in readme.fences(text):
            if not readme.is_code(info, body):
                continue
            if line in skipped:
                marked += 1
            elif body.startswith("$ ") or info in ("pycon", "python"):
                run += 1
            else:
                unmarked.append(f"{readme.page_name(page)}:{line} ({info or 'no language'})")
    assert not unmarked, "blocks neither run nor marked <!-- not run: … -->: " + ", ".join(unmarked)
    assert marked < run, (marked, run)


@pytest.mark.parametrize("block", _blocks(), ids=lambda b: f"{b.page}:{b.line}")
def test_console_block(block: readme.ConsoleBlock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # what a command writes under "$(mktemp -d)" is cleaned up
    output = run_console(block, ROOT, BIN)
    assert block.matches(output), f"{block.page}:{block.line}: $ {block.command}\n" + "\n".join(
        __import__("difflib").unified_diff(block.expected.splitlines(), output.splitlines(), block.page, "output",
                                           lineterm=""))


@pytest.mark.parametrize("example", _examples("pycon"), ids=lambda e: f"{e[0]}:{e[1]}")
def test_pycon_example(example: tuple[str, int, str], tmp_path: Path) -> None:
    page, line, body = example
    path = tmp_path / "example.txt"
    path.write_text(body)
    done = subprocess.run([sys.executable, "-m", "doctest", "-o", "ELLIPSIS", "-o", "NORMALIZE_WHITESPACE", str(path)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"{page}:{line}\n" + done.stdout + done.stderr


@pytest.mark.parametrize("example", _examples("python"), ids=lambda e: f"{e[0]}:{e[1]}")
def test_python_example(example: tuple[str, int, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``python`` block runs from the clone (the demo's paths); "your" catalog, ``catalogs/mine``, is the demo's;
    the ``test_…`` functions it defines (hypothesis properties) are called."""
    page, line, body = example
    monkeypatch.chdir(ROOT)
    code = body.replace('"catalogs/mine"', repr(str(ROOT / "catalogs" / "demo")))
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(compile(code, f"{page}:{line}", "exec"), namespace)
    for name, function in list(namespace.items()):
        if name.startswith("test_") and callable(function):
            function()


def test_the_generated_reference_pages_are_current() -> None:
    done = subprocess.run([sys.executable, "tools/gen_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("mkdocs", path=str(BIN)) is None, reason="mkdocs is not installed (the docs extra)")
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([str(BIN / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "reference" / "python-api" / "index.html").read_text().count("doc-object") > 40


def test_the_property_test_example_is_on_the_test_engineers_page() -> None:
    """Moved from the README: test_python_example runs it on the demo catalog and calls its property."""
    text = (readme.DOCS / "tutorials" / "test-engineer.md").read_text(encoding="utf-8")
    (example,) = [body for _line, info, body in readme.fences(text) if info == "python" and "@given" in body]
    assert 'odedelta.load_catalog("catalogs/mine")' in example


def test_the_import_contract_shown_is_the_one_checked() -> None:
    """docs/explanation/design.md shows the import-linter contracts of pyproject.toml: the same ones."""
    text = (readme.DOCS / "explanation" / "design.md").read_text(encoding="utf-8")
    (shown,) = [body for _line, info, body in readme.fences(text) if info == "toml"]
    checked = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert tomllib.loads(shown)["tool"]["importlinter"]["contracts"] == checked["contracts"]


def test_every_public_name_has_a_docstring_for_the_api_reference() -> None:
    """docs/reference/python-api.md renders every name of odedelta.__all__ with its docstring: none is empty."""
    import odedelta

    page = (readme.DOCS / "reference" / "python-api.md").read_text(encoding="utf-8")
    assert [line[len("::: odedelta."):] for line in page.splitlines() if line.startswith(":::")] == odedelta.__all__
    missing = [name for name in odedelta.__all__ if not (getattr(odedelta, name).__doc__ or "").strip()]
    assert missing == []
