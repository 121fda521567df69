"""Reading JSON and YAML files exactly (numbers become ``Decimal``) and finding the line of a JSON path.

This is edge code: it touches the file system. The core receives the parsed documents and the origin of each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from odedelta.model.errors import LoadError, Problem, json_path
from odedelta.model.limits import DEFAULT, Limits

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C speed where available

JSON_SUFFIXES = {".json"}
YAML_SUFFIXES = {".yaml", ".yml"}


class DecimalLoader(_BaseLoader):  # type: ignore[misc,valid-type]  # a base chosen at run time (C or Python)
    """A safe YAML loader that reads floats as ``Decimal`` (``9.99`` stays exactly 9.99), checks every number
    against the :class:`~odedelta.model.limits.Limits`, reports duplicate keys with both positions, and turns every
    constructor error (an impossible date, a malformed number) into a problem at the node's line and column."""

    limits: Limits = DEFAULT
    file: str = "<text>"

    def found(self, node: yaml.Node, message: str) -> None:
        problems: list[Problem] = self.__dict__.setdefault("problems", [])
        mark = node.start_mark
        problems.append(Problem(self.file, "$", message, mark.line + 1, mark.column + 1))

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            what = node.tag.rsplit(":", 1)[-1]
            value = f" {_clip(node.value)!r}" if isinstance(node, yaml.ScalarNode) else ""
            self.found(node, f"cannot read {what}{value}: {exc}")
            self.constructed_objects[node] = None
            self.recursive_objects.pop(node, None)
            return None

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], yaml.Node] = {}
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    first = seen.setdefault((key.tag, key.value), key)
                    if first is not key:
                        where = f"{first.start_mark.line + 1}:{first.start_mark.column + 1}"
                        self.found(key, f"duplicate key {_clip(key.value)!r} (first at line {where}); "
                                        "the last one would silently win")
        return super().construct_mapping(node, deep=deep)


def _clip(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:30]}…({len(text)} characters)"


def _construct_decimal(loader: DecimalLoader, node: yaml.ScalarNode) -> Decimal | None:
    text = str(node.value).replace("_", "")
    problem = loader.limits.number_problem(text) if not text.lower().lstrip("+-").startswith(".") else \
        f"number {text} is not finite"
    if problem is not None:
        loader.found(node, problem)
        return None
    return Decimal(text)


def _construct_int(loader: DecimalLoader, node: yaml.ScalarNode) -> int | None:
    text = str(node.value).replace("_", "")
    if len(text) > loader.limits.max_number_chars:
        loader.found(node, f"number of {len(text)} characters (at most {loader.limits.max_number_chars})")
        return None
    value = yaml.SafeLoader.construct_yaml_int(loader, node)
    problem = loader.limits.value_problem(value)
    if problem is not None:
        loader.found(node, problem)
        return None
    return value


DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
# YAML 1.1 reads 1e16 (an exponent, no point) as text, which pydantic would then read as a number past every
# limit; read it as JSON and YAML 1.2 do, as a number, so the limits apply
DecimalLoader.add_implicit_resolver("tag:yaml.org,2002:float",
                                    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
                                    list("-+0123456789"))
DecimalLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _Refused(Exception):
    """A JSON value beyond the limits, found inside the decoder (raised through it, located afterwards)."""

    def __init__(self, message: str, token: str | None = None) -> None:
        super().__init__(message)
        self.token = token


class _Duplicate(Exception):
    pass


def _refuse(file: str, message: str, line: int | None = None, column: int | None = None) -> LoadError:
    return LoadError(f"{file}: cannot read", [Problem(file, "$", message, line, column)])


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def check_text(text: str, file: str, limits: Limits = DEFAULT) -> None:
    """What every text must be before it is parsed: within the size limit, no byte order mark, no NUL."""
    if len(text) > limits.max_file_bytes:
        raise _refuse(file, f"file of {len(text)} characters is larger than the limit of {limits.max_file_bytes}")
    if text.startswith("\ufeff"):
        raise _refuse(file, "the file starts with a byte order mark (BOM); save it as UTF-8 without BOM", 1, 1)
    nul = text.find("\x00")
    if nul >= 0:
        raise _refuse(file, "a NUL character: not a text file", *_line_col(text, nul))


def parse_text(text: str, file: str, *, yaml_syntax: bool, limits: Limits = DEFAULT) -> Any:
    """Parse ``text`` within ``limits``; every problem (syntax, encoding, nesting, a number or a date that cannot
    be read, a duplicate key) becomes a :class:`LoadError` naming the file, line and column."""
    check_text(text, file, limits)
    if not yaml_syntax:
        return _parse_json(text, file, limits)
    data = _parse_yaml(text, file, limits)
    _check_shape(data, text, file, limits)  # aliases share values: depth and size once expanded
    return data


def _parse_json(text: str, file: str, limits: Limits) -> Any:
    short = min(limits.max_magnitude_exponent, limits.max_significant_digits, -limits.min_exponent - 1)

    def number(token: str) -> Decimal | int:
        problem = limits.number_problem(token)
        if problem is not None:
            raise _Refused(problem, token)
        return Decimal(token) if any(c in token for c in ".eE") else int(token)

    def decimal(token: str) -> Decimal | int:  # the common case (a short plain number) without the full check
        return Decimal(token) if len(token) <= short and "e" not in token and "E" not in token else number(token)

    def integer(token: str) -> Decimal | int:
        return int(token) if len(token) <= short else number(token)

    def constant(token: str) -> Any:
        raise _Refused(f"{token} is not a JSON number", token)

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            raise _Duplicate
        return out

    try:
        data = json.loads(text, parse_float=decimal, parse_int=integer, parse_constant=constant,
                          object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise LoadError(f"{file}: cannot parse", [Problem(file, "$", f"invalid JSON: {exc.msg}", exc.lineno,
                                                          exc.colno)]) from None
    except _Refused as exc:
        offset = text.find(exc.token) if exc.token else -1
        raise _refuse(file, str(exc), *(_line_col(text, offset) if offset >= 0 else ())) from None
    except _Duplicate:
        raise LoadError(f"{file}: duplicate keys", _duplicates(text, file)) from None
    except (RecursionError, MemoryError):
        raise _refuse(file, f"nesting deeper than {limits.max_depth} levels", *_deepest(text)) from None
    if _json_depth(data, limits.max_depth) > limits.max_depth:
        raise _refuse(file, f"nesting deeper than {limits.max_depth} levels", *_deepest(text))
    return data


def _json_depth(data: Any, limit: int) -> int:
    """How deep a parsed JSON value nests, up to ``limit + 1``: a level-by-level walk of its containers (JSON
    shares no values, so each is met once)."""
    level = [data] if type(data) is dict or type(data) is list else []
    depth = 0
    while level and depth <= limit:
        depth += 1
        below: list[Any] = []
        add = below.append
        for node in level:  # plain loops: twice as fast as a generator per container
            for v in node.values() if type(node) is dict else node:
                if type(v) is dict or type(v) is list:
                    add(v)
        level = below
    return depth


def _duplicates(text: str, file: str) -> list[Problem]:
    """Every duplicate key of a JSON text, each with the position of both (JSON is YAML: its composer keeps them)."""
    try:
        root = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        root = None
    problems = []
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, parts = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for key, value in node.value:
                first = seen.setdefault(key.value, key)
                if first is not key:
                    where = f"{first.start_mark.line + 1}:{first.start_mark.column + 1}"
                    problems.append(Problem(file, json_path(parts), f"duplicate key {_clip(key.value)!r} (first at "
                                            f"line {where}); the last one would silently win",
                                            key.start_mark.line + 1, key.start_mark.column + 1, parts))
                stack.append((value, (*parts, key.value)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*parts, i)) for i, item in enumerate(node.value))
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0)) or [
        Problem(file, "$", "duplicate key in an object; the last one would silently win")]


def _deepest(text: str) -> tuple[int, int] | tuple[()]:
    """Where the brackets of a JSON text are nested deepest (strings skipped)."""
    depth = best = 0
    where = -1
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > best:
                best, where = depth, match.start()
        elif char in "]}":
            depth -= 1
    return _line_col(text, where) if where >= 0 else ()


def _parse_yaml(text: str, file: str, limits: Limits) -> Any:
    loader = DecimalLoader(text)
    loader.limits = limits
    loader.file = file
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise LoadError(f"{file}: cannot parse", [Problem(file, "$", f"invalid YAML: {what}", line, column)]) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"{file}: cannot parse", [Problem(file, "$", f"invalid YAML: {exc}")]) from None
    except (RecursionError, MemoryError):
        raise _refuse(file, f"nesting deeper than {limits.max_depth} levels") from None
    finally:
        loader.dispose()
    problems = loader.__dict__.get("problems")
    if problems:
        raise LoadError(f"{file}: cannot read {len(problems)} value(s)", problems)
    return data


def _check_shape(data: Any, text: str, file: str, limits: Limits) -> None:
    """Nesting depth and, for YAML (whose aliases share values), the number of values once expanded."""
    height: dict[int, int] = {}
    size: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            children = node.values() if isinstance(node, dict) else node
            nested = [c for c in children if isinstance(c, (dict, list))]
            height[key] = 1 + max((height[id(c)] for c in nested), default=0)
            size[key] = 1 + len(node) - len(nested) + sum(size[id(c)] for c in nested)
            if height[key] > limits.max_depth:
                where = locate(text, _deep_path(data, height, limits.max_depth)) or ()
                raise _refuse(file, f"nesting deeper than {limits.max_depth} levels", *where)
            if size[key] > limits.max_nodes:
                raise _refuse(file, f"more than {limits.max_nodes} values once aliases are expanded "
                                    "(a YAML alias bomb?)")
            continue
        if key in height or not isinstance(node, (dict, list)):
            continue
        if key in entered:
            raise _refuse(file, "a value that contains itself (a recursive YAML alias)")
        entered.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in (node.values() if isinstance(node, dict) else node)
                     if isinstance(c, (dict, list)) and id(c) not in height)


def _deep_path(data: Any, height: dict[int, int], limit: int) -> list[str | int]:
    parts: list[str | int] = []
    node = data
    while len(parts) < limit and isinstance(node, (dict, list)):
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        nested = [(k, v) for k, v in items if isinstance(v, (dict, list))]
        if not nested:
            break
        k, node = max(nested, key=lambda kv: height.get(id(kv[1]), 0))
        parts.append(k)
    return parts


def read_document(path: Path, display: str | None = None, limits: Limits = DEFAULT) -> Any:
    """Read one JSON or YAML file (by suffix; anything else is read as YAML, which JSON is a subset of)."""
    name = display or str(path)
    return parse_text(read_text(path, name, limits), name, yaml_syntax=path.suffix.lower() not in JSON_SUFFIXES,
                      limits=limits)


def read_text(path: Path, name: str | None = None, limits: Limits = DEFAULT) -> str:
    """The text of a file: UTF-8 (no byte order mark, no NUL) and within the size limit, else a located
    :class:`LoadError`."""
    name = name or str(path)
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise _refuse(name, f"file of {size} bytes is larger than the limit of {limits.max_file_bytes}")
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"{name}: cannot read ({exc.strerror})", [Problem(name, "$", "cannot read")]) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raise _refuse(name, "the file starts with a byte order mark (BOM); save it as UTF-8 without BOM", 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _refuse(name, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}: {exc.reason})", line, column) from None
    check_text(text, name, limits)
    return text


def locate(text: str, parts: Sequence[str | int], root: yaml.Node | None = None) -> tuple[int, int] | None:
    """Line and column (1-based) of the node at ``parts`` in a JSON or YAML text, or of its nearest parent
    (``root``: the text already composed).

    Used only when a problem is reported, so the fast JSON parser serves the normal path.
    """
    node = root if root is not None else _compose(text)
    if node is None:
        return None
    best = node.start_mark
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


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_BaseLoader)
    except (yaml.YAMLError, RecursionError, MemoryError):
        return None


def with_lines(problems: Sequence[Problem], texts: Mapping[str, str]) -> list[Problem]:
    """Add line and column to the problems whose file text is known (JSON or YAML alike)."""
    out = []
    composed: dict[str, yaml.Node | None] = {}  # each text composed once, however many problems it has
    for problem in problems:
        text = texts.get(problem.file)
        if problem.line is None and text is not None:
            if problem.file not in composed:
                composed[problem.file] = _compose(text)
            root = composed[problem.file]
            where = locate(text, problem.parts, root) if root is not None else None
            if where is not None:
                problem = replace(problem, line=where[0], column=where[1])
        out.append(problem)
    return out
