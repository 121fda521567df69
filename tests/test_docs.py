"""The documentation site (docs/, mkdocs.yml): every command block of every page is run and its output compared,
every Python example is run, the generated reference pages are current and the site builds strictly.

The format of the blocks is tests/readme.py's; a block that cannot run in a test is marked
``<!-- not run: the reason -->`` on the line before it, and such blocks are few. A tutorial marked
``<!-- session: … -->`` is followed as a reader would, in one terminal from an empty directory: its commands in
order, its titled blocks written as the files they are — from the clone, and (the product manager's) with the
built wheel installed in a fresh environment."""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import readme
from .conftest import ROOT
from .servers import Serve
from .test_readme import BIN, run_console

DOC_PAGES = [p for p in readme.pages() if p != readme.README]


SESSION_PAGES = [p for p in DOC_PAGES if readme.is_session(p.read_text(encoding="utf-8"))]
PM_TUTORIAL = readme.DOCS / "tutorials" / "product-manager.md"


def _blocks() -> list[readme.ConsoleBlock]:
    """The console blocks of the pages run block by block from the clone (a session page runs as one session)."""
    found = []
    for page in DOC_PAGES:
        if page not in SESSION_PAGES:
            found += readme.console_blocks(page.read_text(encoding="utf-8"), readme.page_name(page))
    return found


def _examples(info: str) -> list[tuple[str, int, str]]:
    """The page's examples of one language; on a session page the ``pycon`` blocks are one Python session (a
    tutorial's steps build on each other), run as one doctest."""
    found = []
    for page in DOC_PAGES:
        text = page.read_text(encoding="utf-8")
        skipped = readme.not_run(text)
        here = [(readme.page_name(page), line, body) for line, fence_info, body in readme.fences(text)
                if readme.language(fence_info) == info and readme.title(fence_info) is None and line not in skipped]
        if here and info == "pycon" and page in SESSION_PAGES:
            here = [(here[0][0], here[0][1], "\n".join(body for _page, _line, body in here))]
        found += here
    return found


def session_steps(page: Path) -> list[readme.ConsoleBlock | tuple[int, str, str]]:
    """A session page in reading order: its commands, and its titled blocks as (line, path, content)."""
    text = page.read_text(encoding="utf-8")
    skipped = readme.not_run(text)
    files = [(line, path, body) for line, info, body in readme.fences(text)
             if line not in skipped and (path := readme.title(info)) is not None]
    commands = readme.console_blocks(text, readme.page_name(page))
    return sorted([*commands, *files], key=lambda step: step.line if isinstance(step, readme.ConsoleBlock) else step[0])


def run_session(page: Path, bin_dir: Path, home: Path) -> tuple[int, list[str]]:
    """Follow a session page in ``home`` (an empty directory) with ``odedelta`` from ``bin_dir``: each command where
    the previous one left the shell, each titled block written where it says. The commands run, and the mismatches."""
    state = home.parent / f"{home.name}.cwd"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", COLUMNS="120", TMPDIR=str(home.parent))
    cwd, ran, mismatches = home, 0, []
    for step in session_steps(page):
        if not isinstance(step, readme.ConsoleBlock):
            _line, path, content = step
            (cwd / path).parent.mkdir(parents=True, exist_ok=True)
            (cwd / path).write_text(content, encoding="utf-8")
            # the schema an editor is pointed at is where the file says, relative to the file (as editors read it)
            for schema in re.findall(r"\$schema=(\S+)", content):
                if not (cwd / path).parent.joinpath(schema).is_file():
                    mismatches.append(f"{readme.page_name(page)}:{_line}: {path} points at $schema={schema}, "
                                      "which is not there")
            continue
        script = f"trap 'pwd > {shlex.quote(str(state))}' EXIT\n{step.command}"
        done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
        cwd, ran = Path(state.read_text().strip()), ran + 1
        output = done.stdout + done.stderr
        if not step.matches(output):
            mismatches.append(f"{step.page}:{step.line}: $ {step.command}\n" + "\n".join(
                difflib.unified_diff(step.expected.splitlines(), output.splitlines(), step.page, "output",
                                     lineterm="")))
    return ran, mismatches


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
            elif body.startswith("$ ") or readme.language(info) in ("pycon", "python"):
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
        difflib.unified_diff(block.expected.splitlines(), output.splitlines(), block.page, "output",
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


@pytest.mark.parametrize("page", SESSION_PAGES, ids=readme.page_name)
def test_a_tutorial_followed_from_an_empty_directory(page: Path, tmp_path: Path) -> None:
    home = tmp_path / "empty"
    home.mkdir()
    ran, mismatches = run_session(page, BIN, home)
    assert mismatches == [], "\n\n".join(mismatches)
    assert ran == len([s for s in session_steps(page) if isinstance(s, readme.ConsoleBlock)]) >= 3


@pytest.fixture(scope="module")
def wheel_bin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The built wheel with the bulk extra (the impact run) in a fresh environment, as tests/test_wheel.py builds it:
    hatchling without an isolated build, dependencies from the package index pip is configured with."""
    base = tmp_path_factory.mktemp("docs-wheel")
    dist, venv = base / "dist", base / "venv"
    for args in ([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                  "--wheel-dir", str(dist), str(ROOT)],
                 [sys.executable, "-m", "venv", "--without-pip", str(venv)]):
        done = subprocess.run(args, cwd=base, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = dist.glob("odedelta-*.whl")
    python = venv / "bin" / "python"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                           f"{wheel}[bulk]"], cwd=base, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    yield venv / "bin"


def test_the_product_managers_tutorial_with_the_built_wheel(wheel_bin: Path, tmp_path: Path) -> None:
    """Issue 31's "done when": a newcomer with the built wheel, from an empty directory, gets every output the
    product manager's tutorial shows (the impact run included: the wheel is installed with the bulk extra)."""
    home = tmp_path / "empty"
    home.mkdir()
    ran, mismatches = run_session(PM_TUTORIAL, wheel_bin, home)
    assert mismatches == [], "\n\n".join(mismatches)
    assert ran >= 8
    done = subprocess.run([str(wheel_bin / "odedelta"), "demo", "--path"], capture_output=True, text=True)
    assert Path(done.stdout.strip()).is_relative_to(wheel_bin.parent)  # the wheel's demo, not the clone's


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


def test_the_test_engineers_property_runs_under_pytest_on_a_copy_of_the_demo() -> None:
    """The tutorial writes its property as test_catalog.py beside catalogs/mine (a copy of the demo catalog) and
    runs pytest on it: the session test above follows it; here, that the page still says so."""
    page = readme.DOCS / "tutorials" / "test-engineer.md"
    steps = session_steps(page)
    (example,) = [s[2] for s in steps if not isinstance(s, readme.ConsoleBlock) and s[1] == "test_catalog.py"]
    assert 'odedelta.load_catalog("catalogs/mine")' in example and "@given" in example
    assert any(isinstance(s, readme.ConsoleBlock) and "pytest" in s.command and "passed" in s.expected for s in steps)


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


def _rule_files() -> list[tuple[str, int, str]]:
    """The YAML blocks that are whole rule files (not the tutorials' files, which their sessions check)."""
    found = []
    for page in DOC_PAGES:
        text = page.read_text(encoding="utf-8")
        found += [(readme.page_name(page), line, body) for line, info, body in readme.fences(text)
                  if readme.language(info) == "yaml" and readme.title(info) is None
                  and body.startswith(("rules:", "# yaml-language-server: $schema=rules-v1"))]
    return found


@pytest.mark.parametrize("example", _rule_files(), ids=lambda e: f"{e[0]}:{e[1]}")
def test_a_rule_file_shown_loads_on_the_demo_catalog(example: tuple[str, int, str], tmp_path: Path) -> None:
    """A rule file a reference page shows is one the checker accepts (on the demo catalog, whose ids it names)."""
    import odedelta
    from odedelta import demo

    page, line, body = example
    (tmp_path / "shown.yaml").write_text(body, encoding="utf-8")
    rules = odedelta.load_rules(tmp_path, odedelta.load_catalog(demo.catalog_path()))
    assert rules is not None, f"{page}:{line}"


def test_every_page_the_site_promises_is_in_the_navigation_with_content() -> None:
    """Issue 31's list: a tutorial per kind of user, the how-to guides, the reference and the explanation pages —
    each in mkdocs.yml's navigation and more than a stub."""
    import yaml

    promised = [
        "tutorials/cpq-developer.md", "tutorials/product-manager.md", "tutorials/test-engineer.md",
        "how-to/own-catalog.md", "how-to/renewals.md", "how-to/partners.md", "how-to/campaigns.md",
        "how-to/service.md", "how-to/consequence-view.md", "how-to/embed-the-view.md",
        "reference/cli.md", "reference/rule-language.md", "reference/rule-schema.md", "facts.md",
        "reference/scenario-files.md", "reference/scenario-schema.md", "reference/python-api.md",
        "reference/http-api.md", "reference/errors.md", "reference/limits.md", "reference/tmf-mapping.md",
        "reference/tmf-versions.md",
        "explanation/delta.md", "explanation/money.md", "explanation/rule-engine.md", "explanation/design.md",
        "explanation/performance.md",
    ]
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)

    def pages(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [p for item in node for p in pages(item)]
        if isinstance(node, dict):
            return [p for value in node.values() for p in pages(value)]
        return []

    in_nav = pages(config["nav"])
    assert [p for p in promised if p not in in_nav] == []
    thin = [p for p in promised if len((readme.DOCS / p).read_text(encoding="utf-8").split()) < 250]
    assert thin == []


def test_the_readmes_links_into_the_site_lead_to_pages() -> None:
    """mkdocs checks the site's links; the README's (relative paths into docs/) are checked here."""
    import re

    links = re.findall(r"\]\((docs/[^)#\s]+)", readme.README.read_text(encoding="utf-8"))
    assert len(links) >= 20
    assert [link for link in links if not (ROOT / link).is_file()] == []


def _calls_of_the_service_guide() -> list[str]:
    """The service guide's curl commands (continuation lines joined), from the block that needs the server."""
    text = (readme.DOCS / "how-to" / "service.md").read_text(encoding="utf-8")
    skipped = readme.not_run(text)
    bodies = [body for line, _info, body in readme.fences(text) if "tests/test_docs.py" in skipped.get(line, "")]
    assert len(bodies) == 1, "the guide's block of calls is marked as run by tests/test_docs.py"
    return [c for c in bodies[0].replace("\\\n", " ").splitlines() if c.startswith("curl ")]


def test_the_service_guides_calls_answer_from_odedelta_serve(tmp_path: Path) -> None:
    """Each request of the service guide's "Calling it", sent as written (its port aside) to `odedelta serve` on the
    demo, gets a 2xx; the order ends StreamMax, so it has one partner order."""
    from .servers import serving

    calls = _calls_of_the_service_guide()
    assert len(calls) == 7
    with serving("--catalog", "catalogs/demo", "--rules", "rules", "--inventory", "catalogs/demo/inventories",
                 "--store", str(tmp_path / "store.db"), "--callback-allow", "127.0.0.1") as server:
        answers = []
        for call in calls:
            args = [a.replace("localhost:8080", server.url) for a in shlex.split(call)]
            done = subprocess.run([*args, "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=60,
                                  cwd=ROOT, check=True)
            body, _, status = done.stdout.rpartition("\n")
            answers.append((int(status), body))
    assert [status // 100 for status, _body in answers] == [2] * 7, list(zip(calls, answers, strict=True))
    order = json.loads(answers[4][1])
    assert order["state"] == "acknowledged", order
    assert [p["externalId"].rsplit(":", 1)[0] for p in json.loads(answers[5][1])] == [order["externalId"]]


def test_the_exit_code_table_says_how_a_stopped_campaign_and_a_stopped_service_end() -> None:
    """The 130 and 143 rows of the errors page are what happens: ``odedelta serve`` stopped with SIGTERM ends by
    the signal (a shell's 143), and a campaign stopped with Ctrl-C exits 130 (tests/test_campaign_kills.py)."""
    text = (ROOT / "docs" / "reference" / "errors.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", text, re.MULTILINE))
    assert "a campaign stopped by Ctrl-C (SIGINT)" in rows["130"] and "--resume" in rows["130"]
    server = Serve("--catalog", str(ROOT / "catalogs" / "demo"))
    server.stop()
    assert server.process.returncode == -signal.SIGTERM
    assert "`odedelta serve` stopped by SIGTERM" in rows[str(128 + signal.SIGTERM)]
