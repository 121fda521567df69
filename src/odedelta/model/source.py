"""Reading JSON and YAML files exactly (numbers become ``Decimal``) and finding the line of a JSON path.

This is edge code: it touches the file system. The core receives the parsed documents and the origin of each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from odedelta.model.errors import LoadError, Problem

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C speed where available

JSON_SUFFIXES = {".json"}
YAML_SUFFIXES = {".yaml", ".yml"}


class DecimalLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe YAML loader that reads floats as ``Decimal`` (``9.99`` stays exactly 9.99)."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | float:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:  # .inf, .nan: not money, keep YAML's meaning
        return float(yaml.SafeLoader.construct_yaml_float(loader, node))


DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def parse_text(text: str, file: str, *, yaml_syntax: bool) -> Any:
    """Parse ``text``; a syntax error becomes a :class:`LoadError` naming the file, line and column."""
    if not yaml_syntax:
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            problem = Problem(file, "$", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)
            raise LoadError(f"{file}: cannot parse", [problem]) from None
    try:
        return yaml.load(text, Loader=DecimalLoader)  # noqa: S506 - DecimalLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise LoadError(f"{file}: cannot parse", [Problem(file, "$", f"invalid YAML: {what}", line, column)]) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"{file}: cannot parse", [Problem(file, "$", f"invalid YAML: {exc}")]) from None


def read_document(path: Path, display: str | None = None) -> Any:
    """Read one JSON or YAML file (by suffix; anything else is read as YAML, which JSON is a subset of)."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{name}: not UTF-8 text", [Problem(name, "$", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise LoadError(f"{name}: cannot read ({exc.strerror})", [Problem(name, "$", "cannot read")]) from None
    return parse_text(text, name, yaml_syntax=path.suffix.lower() not in JSON_SUFFIXES)


def locate(text: str, parts: Sequence[str | int]) -> tuple[int, int] | None:
    """Line and column (1-based) of the node at ``parts`` in a JSON or YAML text, or of its nearest parent.

    Used only when a problem is reported, so the fast JSON parser serves the normal path.
    """
    try:
        node = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        return None
    best = node.start_mark if node is not None else None
    for part in parts:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = None
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    found = (key, value)
                    break
            if found is None:
                break
            best, node = found[0].start_mark, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            best = node.start_mark
        else:
            break
    return (best.line + 1, best.column + 1) if best is not None else None


def with_lines(problems: Sequence[Problem], texts: dict[str, str]) -> list[Problem]:
    """Add line and column to the problems whose file text is known (JSON or YAML alike)."""
    out = []
    for problem in problems:
        text = texts.get(problem.file)
        if problem.line is None and text is not None:
            where = locate(text, problem.parts)
            if where is not None:
                problem = replace(problem, line=where[0], column=where[1])
        out.append(problem)
    return out
