"""The README's runnable parts, read from README.md so a test can run them and compare what they print.

* Console blocks: a fenced block whose first line is ``$ odedelta …``. The command may continue over lines ending
  in a backslash; the lines after it are its output as a terminal shows it (stdout, then stderr). In the expected
  output a line that is ``…`` alone (indented or not) stands for any number of lines, and ``…`` within a line for
  any text.
* The Python example: the ``pycon`` block after "From Python:", run as a doctest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class ConsoleBlock:
    line: int
    """The README line of the command."""
    command: str
    """The command as a shell reads it (continuation lines joined)."""
    expected: str

    def matches(self, output: str) -> bool:
        return output_pattern(self.expected).fullmatch(output) is not None


def fences(text: str | None = None) -> list[tuple[int, str, str]]:
    """Every fenced block: (line of its first content line, its info string, its content)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    return [(text.count("\n", 0, m.start(2)) + 1, m.group(1).strip(), m.group(2)) for m in _FENCE.finditer(text)]


def console_blocks(text: str | None = None) -> list[ConsoleBlock]:
    blocks = []
    for line, _info, body in fences(text):
        if not body.startswith("$ odedelta"):
            continue
        lines = body.splitlines()
        command = lines[0][2:]
        rest = lines[1:]
        while command.endswith("\\"):
            command = command[:-1].rstrip() + " " + rest.pop(0).strip()
        blocks.append(ConsoleBlock(line, command, "".join(f"{x}\n" for x in rest)))
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
