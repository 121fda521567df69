"""Reading scenario files: the files a list of paths names, and each file parsed and validated, every problem reported
with its file, line and JSON path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from odedelta.adapters.scenario.format import ScenarioFile
from odedelta.model.errors import LoadError, Problem, closest
from odedelta.model.limits import DEFAULT, Limits
from odedelta.model.plain import plain_words
from odedelta.model.requests import REQUEST_TYPES
from odedelta.model.source import parse_text, read_text, with_lines


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """``*.yaml`` files: the paths given, and every one below a directory given, sorted."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise LoadError(f"{path}: no such scenario file or directory", [Problem(str(path), "$", "not found")])
    return files


def read_scenario_file(path: Path, limits: Limits = DEFAULT) -> ScenarioFile:
    name = str(path)
    text = read_text(path, name, limits)
    data = parse_text(text, name, yaml_syntax=True, limits=limits)
    problems = _request_problems(name, data)  # checked beside the fields, so a bad key elsewhere hides none
    try:
        scenarios = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        asked = {tuple(p.parts[:2]) for p in problems}
        for error in exc.errors():
            loc = [p for p in error["loc"] if isinstance(p, (str, int))]
            if error["type"] == "value_error" and tuple(loc) in asked and str(error["msg"]).startswith(
                    ("Value error, unknown request", "Value error, request holds exactly")):
                continue  # the scenario's request check again, already reported at the request's own key
            message, suggestion = plain_words(error, loc)
            if error["type"] == "extra_forbidden" and loc:
                near = closest(str(loc[-1]), _keys_at(loc[:-1]))
                suggestion = f"did you mean {near!r}?" if near else suggestion
            problems.append(replace(Problem.at(name, loc, message), suggestion=suggestion))
    else:
        if not problems:
            return scenarios
    located = with_lines(problems, {name: text})
    raise LoadError(f"{name}: not a valid scenario file",
                    sorted(located, key=lambda p: (p.line or 0, p.column or 0))) from None


def _request_problems(name: str, data: Any) -> list[Problem]:
    """Each scenario's request: exactly one of the request types, an unknown one at its own key (did you mean)."""
    problems: list[Problem] = []
    scenarios = data.get("scenarios") if isinstance(data, dict) else None
    for index, scenario in enumerate(scenarios if isinstance(scenarios, list) else []):
        request = scenario.get("request") if isinstance(scenario, dict) else None
        if not isinstance(request, dict):
            continue
        at: list[str | int] = ["scenarios", index, "request"]
        if len(request) != 1:
            problems.append(Problem.at(name, at, f"request holds exactly one of {', '.join(REQUEST_TYPES)}; "
                                                 f"found {len(request)}"))
        for kind in request:
            if kind not in REQUEST_TYPES:
                near = closest(str(kind), REQUEST_TYPES)
                problems.append(replace(
                    Problem.at(name, [*at, str(kind)],
                               f"unknown request {kind!r}; expected one of {', '.join(REQUEST_TYPES)}"),
                    suggestion=f"did you mean {near!r}?" if near else None))
    return problems


def _keys_at(loc: Sequence[str | int]) -> list[str]:
    """The keys the scenario format allows at ``loc`` (none when it is not a model there)."""
    kind: Any = ScenarioFile
    for part in loc:
        model = _model_in(kind)
        if isinstance(part, int) or model is None:
            kind = _inner(kind) if isinstance(part, int) else None
            continue
        field = model.model_fields.get(part)
        kind = field.annotation if field is not None else None
    model = _model_in(kind)
    return list(model.model_fields) if model is not None else []


def _model_in(kind: Any) -> type[BaseModel] | None:
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return kind
    for arg in get_args(kind):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _inner(kind: Any) -> Any:
    """The element type of a list (or of an optional list)."""
    for arg in (kind, *get_args(kind)):
        if get_origin(arg) is list:
            return get_args(arg)[0]
    return None


