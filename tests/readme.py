"""The runnable parts of the README and of every documentation page (docs/**/*.md), read from the files so a test
can run them and compare what they print.

* Console blocks: a fenced block whose first line is ``$ odedelta …``. The command may continue over lines ending
  in a backslash; the lines after it are its output as a terminal shows it (stdout, then stderr). In the expected
  output a line that is ``…`` alone (indented or not) stands for any number of lines, and ``…`` within a line for
  any text.
* The Python example: the ``pycon`` block after "From Python:", run as a doctest; every other ``pycon`` block of a
  page is run as a doctest too.
* A console block may hold several commands: every line starting with ``$ `` begins the next one.
* A page whose source holds ``<!-- session: … -->`` is a tutorial followed in one terminal from an empty
  directory: its commands run in order, each where the previous one left the shell (``cd``), and a block with a
  ``title="PATH"`` (``` ```yaml title="rules-v2/retention.yaml" ```) is the file the reader writes at PATH.
* A block that cannot run in a test (a cluster on other machines, a service behind a proxy, an install) is marked by
  the line before it: ``<!-- not run: the reason -->``. Every block that is a command or code (``sh``, ``bash``,
  ``console``, ``shell``, ``python``, ``pycon``, or any block starting with ``$ ``) is either run or marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_NOT_RUN = re.compile(r"<!-- not run: ([^>]+?) -->\s*\n$")
_TITLE = re.compile(r'title="([^"]+)"')
SESSION = "<!-- session:"
CODE_INFOS = {"sh", "bash", "console", "shell", "python", "pycon"}


def pages() -> list[Path]:
    """The README and every documentation page."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def page_name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@dataclass(frozen=True)
class ConsoleBlock:
    line: int
    """The line of the command in its page."""
    command: str
    """The command as a shell reads it (continuation lines joined)."""
    expected: str
    page: str = "README.md"

    def matches(self, output: str) -> bool:
        return output_pattern(self.expected).fullmatch(output) is not None


def fences(text: str | None = None) -> list[tuple[int, str, str]]:
    """Every fenced block: (line of its first content line, its info string, its content)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    return [(text.count("\n", 0, m.start(2)) + 1, m.group(1).strip(), m.group(2)) for m in _FENCE.finditer(text)]


def not_run(text: str) -> dict[int, str]:
    """The blocks marked ``<!-- not run: reason -->``: the line of their first content line → the reason."""
    marked = {}
    for m in _FENCE.finditer(text):
        found = _NOT_RUN.search(text, 0, m.start())
        if found is not None and found.end() == m.start():
            marked[text.count("\n", 0, m.start(2)) + 1] = found.group(1)
    return marked


def language(info: str) -> str:
    """The language of a fence's info string (``python title="x.py"`` → ``python``)."""
    return info.split(maxsplit=1)[0] if info.strip() else ""


def title(info: str) -> str | None:
    """The ``title="…"`` of a fence's info string: on a session page, the file the block is."""
    found = _TITLE.search(info)
    return found.group(1) if found else None


def is_code(info: str, body: str) -> bool:
    return language(info) in CODE_INFOS or body.startswith("$ ")


def is_session(text: str) -> bool:
    """The page is followed in one terminal from an empty directory (``<!-- session: … -->``)."""
    return SESSION in text


def console_blocks(text: str | None = None, page: str = "README.md") -> list[ConsoleBlock]:
    """The console blocks (a first line ``$ …``) that are not marked not run."""
    text = README.read_text(encoding="utf-8") if text is None else text
    skipped = not_run(text)
    blocks = []
    for line, _info, body in fences(text):
        if not body.startswith("$ ") or line in skipped:
            continue
        lines = body.splitlines()
        at = 0
        while at < len(lines):
            start, command = at, lines[at][2:]
            at += 1
            while command.endswith("\\"):
                command = command[:-1].rstrip() + " " + lines[at].strip()
                at += 1
            output = []
            while at < len(lines) and not lines[at].startswith("$ "):
                output.append(lines[at])
                at += 1
            blocks.append(ConsoleBlock(line + start, command, "".join(f"{x}\n" for x in output), page))
    return blocks


def python_example(text: str | None = None) -> str:
    """The README's main Python example (the first ``pycon`` block), as doctest text."""
    found = [body for _line, info, body in fences(text) if info == "pycon"]
    if not found:
        raise AssertionError("README.md has no pycon block: the Python example is missing")
    return found[0]


def output_pattern(expected: str) -> re.Pattern[str]:
    parts = []
    for line in expected.splitlines():
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(r"[^\n]*".join(re.escape(piece) for piece in line.split("…")) + r"\n")
    return re.compile("".join(parts))
